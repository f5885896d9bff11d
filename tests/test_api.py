"""The public API: ``import petri`` gives everything, loads formats by suffix or content, stays
fast; errors share one root; registries and plugins."""
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import petri
from petri.registry import Registry, RegistryError

ROOT = Path(__file__).resolve().parent.parent
LINE = ROOT / "examples" / "production_line.toml"
MCC = Path(__file__).parent / "data" / "mcc" / "Philosophers-PT-000005.pnml"


def test_every_public_name_resolves():
    for name in petri.__all__:
        assert getattr(petri, name) is not None or name == "WAIT"
    assert petri.WAIT is None
    assert petri.Simulator.__module__ == "petri.engine"
    assert petri.reachability_graph.__module__ == "petri.analysis.reachability"
    assert set(petri.__all__) <= set(dir(petri))
    with pytest.raises(AttributeError, match="module 'petri' has no attribute 'nope'"):
        petri.nope


def test_import_petri_is_light():
    """The engine, the formats, the analyses, pandas and numpy load on first use only."""
    code = ("import sys, petri; print(sorted(m for m in ('petri.engine', 'petri.formats', "
            "'petri.analysis', 'petri.compiler', 'pandas', 'numpy') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_load_toml_by_suffix_and_by_content(tmp_path):
    net = petri.load(LINE)
    assert net.name == "production line" and len(net.places) == 5
    other = tmp_path / "line.net"          # no known suffix: read as TOML (not XML)
    other.write_text('[places.p]\ninitial = 2\n[transitions.t]\ninputs = ["p"]\n')
    net = petri.load(other)
    assert [t.count for t in net.places["p"].initial] == [2]


def test_load_fuses_several_toml_files(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('[places.shared]\ninitial = 1\n[transitions.put]\noutputs = ["shared"]\n'
                 'inputs = ["src"]\n[places.src]\ninitial = 3\n')
    b.write_text('[places.shared]\n[transitions.take]\ninputs = ["shared"]\n')
    net = petri.load(a, b)
    assert sorted(net.places) == ["shared", "src"]
    assert sorted(net.transitions) == ["put", "take"]
    sim = petri.Simulator(net, seed=0)
    assert sim.run().firings == 3 + 4 and sim.count("src") == 0 and sim.count("shared") == 0


def test_load_pnml_by_suffix_and_by_content(tmp_path):
    net = petri.load(MCC)
    assert len(net.places) == 25                  # 5 philosophers x 5 places
    disguised = tmp_path / "kanban.txt"
    disguised.write_bytes(MCC.read_bytes())
    assert sorted(petri.load(disguised).places) == sorted(net.places)
    # each of the 5 philosophers is in one of 3 states
    assert petri.reachability_graph(petri.load(disguised)).num_states == 3 ** 5


def test_load_refuses_pnml_with_other_files():
    with pytest.raises(petri.NetError) as e:
        petri.load(MCC, LINE)
    assert str(e.value) == ("a PNML file is read on its own: give one PNML file, or TOML files "
                            "to load together")
    with pytest.raises(petri.NetError, match="^no net file given$"):
        petri.load()


def test_load_reports_the_first_problem_and_check_lists_all(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[places.p]\n[transitions.t]\ninputs = ["q"]\noutputs = ["r"]\n')
    with pytest.raises(petri.NetError) as e:
        petri.load(bad)
    assert str(e.value) == (f"{bad}: transition 't': input arc 1: unknown place 'q' "
                            "(and 1 more problem)")
    net = petri.load(bad, check=False)
    assert [str(x) for x in petri.check(net)] == [
        f"{bad}: transition 't': input arc 1: unknown place 'q'",
        f"{bad}: transition 't': output arc 1: unknown place 'r'"]
    assert petri.check(petri.load(LINE)) == []


def test_one_root_for_every_error_kind():
    from control.actions import InvalidAction
    from control.policy import PolicyError
    for kind in (petri.NetError, petri.SimulationError, petri.LimitError, petri.CommandError,
                 RegistryError):
        assert issubclass(kind, petri.PetriError)
    assert issubclass(PolicyError, petri.NetError)
    assert issubclass(InvalidAction, petri.SimulationError)
    assert issubclass(InvalidAction, ValueError)      # as before: a bad action number
    from petri.workbench import Refused
    assert issubclass(Refused, petri.SimulationError)


def test_registry_lazy_targets_and_messages():
    reg = Registry("gadget")
    reg.register("pi", "math:pi", family="maths")
    reg.register("json-dumps", "json:dumps")
    assert "json" not in reg._entries["json-dumps"].target.split(":")[1]
    assert reg.get("pi") == pytest.approx(3.14159265)
    assert reg.create("json-dumps", obj=[1]) == "[1]"
    assert reg.describe("json-dumps").startswith("Serialize")
    assert [n for n in reg.names(family="maths")] == ["pi"]
    with pytest.raises(RegistryError) as e:
        reg.get("tau")
    assert str(e.value) == "unknown gadget 'tau' (known: pi, json-dumps)"
    with pytest.raises(RegistryError, match="^a gadget named 'pi' is already registered$"):
        reg.register("pi", "math:tau")


def test_flowfactory_registers_through_its_plugin():
    from control import registry
    from petri.commands import COMMANDS
    from petri.registry import plugins
    assert registry.names(family="flowfactory") == ["traditional", "ss", "earliest-order",
                                                   "thesis-rl", "rl"]
    assert plugins()["flowfactory"] == "control.flowfactory:register"
    assert COMMANDS.names(family="flowfactory") == ["experiment", "train"]
    assert COMMANDS.get("experiment").NAME == "experiment"
    assert registry.experiments.family("flowfactory") == "flowfactory"
    assert registry.create("traditional").name == "traditional"


def test_a_broken_plugin_is_a_warning_not_a_failure(monkeypatch):
    import petri.registry as pr

    class Broken:
        name, value = "broken", "no_such_module:register"

        def load(self):
            raise ModuleNotFoundError("No module named 'no_such_module'")

    monkeypatch.setattr(pr, "entry_points", lambda group: [Broken()])
    monkeypatch.setattr(pr, "_loaded", {})
    monkeypatch.setattr(pr, "_scanned", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert Registry("thing").names() == []
    assert [str(w.message) for w in caught] == [
        "petri plugin 'broken' (no_such_module:register) could not be loaded: "
        "ModuleNotFoundError: No module named 'no_such_module'"]


def test_docstring_examples_of_the_public_modules():
    import doctest

    import petri.formats
    import petri.registry
    for module in (petri, petri.formats, petri.registry):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_load_sniffs_only_regular_files(tmp_path):
    """A file of unknown suffix is sniffed through the safe reader: a FIFO is refused at once."""
    fifo = tmp_path / "pipe.net"
    os.mkfifo(fifo)
    with pytest.raises(petri.NetError) as e:
        petri.load(fifo)
    assert str(e.value) == f"{fifo}: is a FIFO (named pipe), not a net file"
    net, problems = petri.formats.load_with_errors(tmp_path)
    assert net is None and [str(x) for x in problems] == [
        f"{tmp_path}: is a directory, not a net file"]


def test_validate_and_simulate_read_pnml_too(capsys):
    from petri.cli import main
    assert main(["validate", str(MCC)]) == 0
    assert capsys.readouterr().out == f"{MCC}: ok (25 places, 25 transitions)\n"
    assert main(["simulate", str(MCC), "--max-firings", "3", "--json"]) == 0
    import json
    summary = json.loads(capsys.readouterr().out)
    assert (summary["firings"], summary["clock"]) == (3, 0)


def test_the_installed_plugins_are_read_once(monkeypatch):
    import petri.registry as pr
    calls = []

    def entry_points(group):
        calls.append(group)
        return []
    monkeypatch.setattr(pr, "entry_points", entry_points)
    monkeypatch.setattr(pr, "_loaded", {})
    monkeypatch.setattr(pr, "_scanned", False)
    things = Registry("thing")
    assert things.names() == [] and "circle" not in things and things.names() == []
    assert calls == [pr.ENTRY_POINT_GROUP]

"""docs/rl_storage.py, the script behind docs/rl.md's storage and malfunction figures: its
variants of the shipped rl policy are what the docs say they are."""
import importlib.util
from pathlib import Path

import pytest

from control.flowfactory import learned
from control.flowfactory import plant as ff

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("rl_storage", ROOT / "docs" / "rl_storage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("case", [4, 10])
def test_the_wait_variant_spans_the_two_gates(script, case):
    """docs/rl.md: "W = 0 is the net's-capacity variant, a long W the shipped gate" (thesis
    inputs, storage scenario); and the two gates differ on these cases, so the equalities
    say something."""
    shipped = learned.load().p
    stock = ff.read_cases(ff.DATA / "initial_stock.csv")[case]
    storage = str(script.SCENARIO_DIR / "storage.toml")

    def days(controller):
        return script.days(controller, None, storage, case, stock)

    below_net = days(script.AskedBelowNet(shipped))
    as_shipped = days(learned.LearnedController(shipped))
    assert days(script.AskedAfterWaiting(shipped, 0)) == below_net
    assert days(script.AskedAfterWaiting(shipped, 10_000)) == as_shipped
    assert below_net != as_shipped


def test_the_script_prints_the_malfunction_rows_of_the_thesis_inputs(script, capsys, monkeypatch):
    """One part of the script end to end on one case: the row names the best rule, the shipped
    policy and the variant with their percentages."""
    cases = ff.read_cases(ff.DATA / "initial_stock.csv")
    monkeypatch.setattr(ff, "read_cases", lambda path: {1: cases[1]})
    assert script.main(["--part", "malfunction", "--seed", "1"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("thesis inputs, malfunction:")]
    assert len(lines) == 2      # k1 = k2 = 0, and the earliest-order parameters
    assert "k1 = k2 = 0" in lines[0] and "earliest-order parameters" in lines[1]
    assert all("best rule per case" in line and "shipped" in line for line in lines)

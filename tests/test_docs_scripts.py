"""The scripts behind the docs' figures: docs/rl_storage.py (docs/rl.md's storage and
malfunction figures: its variants of the shipped rl policy are what the docs say they are) and
docs/results.py (docs/results.md: its targets and ablation tables, on made-up makespans)."""
import importlib.util
from pathlib import Path

import pytest

from control.flowfactory import learned
from control.flowfactory import plant as ff

ROOT = Path(__file__).resolve().parent.parent


def _docs_script(name: str):
    """docs/NAME.py as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script():
    return _docs_script("rl_storage")


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


def test_the_targets_table_of_the_results_page_by_hand():
    """docs/results.py's targets for rl, on made-up makespans (days): within 2 % of the bound
    in the ideal scenario and 3 % under a disruption, never more than 0.5 % worse than the best
    rule, and better than every rule under a disruption; a row is met only when all hold."""
    results = _docs_script("results")
    made_up = {   # scenario: (rl, lower bound, traditional, ss, earliest-order)
        "ideal": (101.0, 100.0, 110.0, 100.6, 100.8),       # 1.0100, 1.0040 of ss: met
        "storage": (102.0, 100.0, 103.0, 102.5, 102.6),     # 1.0200, 0.9951: met
        "malfunction": (100.2, 100.0, 100.1, 100.3, 100.4),  # ties no rule: beaten by traditional
        "workforce": (104.0, 100.0, 105.0, 105.0, 106.0),   # beats every rule, 1.04 of the bound
    }
    rows = []
    for scenario, (rl, bound, *rules) in made_up.items():
        for controller, days in zip(["rl", *results.RULES], [rl, *rules]):
            rows.append({"timing": "plant", "scenario": scenario, "controller": controller,
                         "makespan_days": days, "lower_bound_days": bound})
    assert results.targets({"made up": rows})[2:] == [
        "| made up | ideal | 1.0100 (target 1.02) | ss 100.60 | 1.0040 | yes |",
        "| made up | storage | 1.0200 (target 1.03) | ss 102.50 | 0.9951 | yes |",
        "| made up | malfunction | 1.0020 (target 1.03) | traditional 100.10 | 1.0010 | no |",
        "| made up | workforce | 1.0400 (target 1.03) | traditional 105.00 | 0.9905 | no |",
    ]
    assert results.ablation({"made up": rows})[2] == (
        "| made up | +0.20 % / +0.40 % | -0.58 % / -0.49 % | -0.20 % / +0.10 % "
        "| -1.89 % / -0.95 % |")

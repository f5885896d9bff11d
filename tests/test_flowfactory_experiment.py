"""``petri experiment``: resilience figures in the --json rows, and --generalise end to end."""
import json

import pytest

from control.flowfactory import plant as ff
from petri.cli import main


def _cases(tmp_path, *numbers):
    lines = (ff.DATA / "initial_stock.csv").read_text().splitlines()
    path = tmp_path / "cases.csv"
    path.write_text("\n".join([lines[0], *(lines[n] for n in numbers)]) + "\n")
    return str(path)


def test_json_rows_carry_resilience_against_the_ideal_run(tmp_path, capsys):
    orders = tmp_path / "orders.csv"
    orders.write_text("\n".join((ff.DATA / "orders.csv").read_text().splitlines()[:7]) + "\n")
    scenario = tmp_path / "slow.toml"
    scenario.write_text('[scenario]\nname = "slow"\n\n[[disruption]]\n'
                        'station = "Commissioning"\nparameter = "processing_time"\n'
                        'factor = 3\norders = [2, 4]\n')
    code = main(["experiment", "--scenario", "ideal", "--scenario", str(scenario),
                 "--controller", "traditional", "--orders", str(orders),
                 "--cases", _cases(tmp_path, 2, 7), "--out", str(tmp_path / "out"),
                 "--json", "--workers", "1"])
    assert code == 0
    rows = {r["scenario"]: r for r in json.loads(capsys.readouterr().out)}
    ideal, slow = rows["ideal"], rows["slow"]
    for key in ("makespan_loss_days", "makespan_loss_percent", "recovery_hours_mean",
                "recovery_hours_max"):
        assert ideal[key] is None                  # nothing to compare the ideal run with
        assert slow[key] is not None
    # commissioning three times slower for orders 2-4 can only delay these orders
    assert slow["makespan_loss_days"] == pytest.approx(
        slow["makespan_days"] - ideal["makespan_days"], abs=0.01)
    assert slow["makespan_loss_days"] > 0
    assert slow["makespan_loss_percent"] == pytest.approx(
        100 * slow["makespan_loss_days"] / ideal["makespan_days"], abs=0.1)
    assert 0 < slow["recovery_hours_mean"] <= slow["recovery_hours_max"]
    table = (tmp_path / "out" / "resilience.csv").read_text().splitlines()
    assert len(table) == 2 and table[1].startswith("slow,traditional,")


def test_generalise_runs_on_unseen_orders_and_moved_windows(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["experiment", "--generalise", "5", "--scenario", "ideal", "--scenario",
                 "malfunction", "--controller", "ss", "--controller", "thesis-rl",
                 "--cases", _cases(tmp_path, 2), "--out", str(out), "--json",
                 "--workers", "1"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["scenario"], r["controller"]) for r in rows} == {
        (s, c) for s in ("ideal", "malfunction") for c in ("ss", "thesis-rl")}
    assert all(r["complete"] and r["lower_bound_days"] <= r["makespan_days"] for r in rows)
    assert all(r["thesis_days"] is None for r in rows)      # not the thesis's order list
    assert all((r["makespan_loss_days"] is None) == (r["scenario"] == "ideal") for r in rows)
    # the drawn inputs are written next to the tables, and the run used them
    drawn = (out / "generalise" / "orders.csv").read_text()
    assert drawn != (ff.DATA / "orders.csv").read_text()
    moved = (out / "generalise" / "scenarios" / "malfunction.toml").read_text()
    assert "orders = [10, 15]" not in moved
    assert "from" in (out / "cases.csv").read_text()       # the moved window opened


def test_thesis_timing_from_the_command_line(tmp_path, capsys):
    code = main(["experiment", "--timing", "thesis", "--scenario", "ideal", "--scenario",
                 "malfunction", "--controller", "traditional", "--out", str(tmp_path / "out"),
                 "--json"])
    assert code == 0
    rows = {r["scenario"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["ideal"]["makespan_days"], rows["ideal"]["thesis_days"]) == (150.02, 152.4)
    assert (rows["malfunction"]["makespan_days"], rows["malfunction"]["thesis_days"]) == (173.5, 173.7)
    assert all(r["lower_bound_days"] <= r["makespan_days"] for r in rows.values())


def test_case_picks_cases_of_the_list(tmp_path, capsys):
    """--case 7 runs case 7 alone: the same makespan as a cases file holding only case 7."""
    orders = tmp_path / "orders.csv"
    orders.write_text("\n".join((ff.DATA / "orders.csv").read_text().splitlines()[:5]) + "\n")
    common = ["experiment", "--scenario", "ideal", "--controller", "traditional", "--orders",
              str(orders), "--out", str(tmp_path / "out"), "--json", "--workers", "1", "--force"]
    assert main(common + ["--case", "7"]) == 0
    picked = json.loads(capsys.readouterr().out)
    assert main(common + ["--cases", _cases(tmp_path, 7)]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert [r["cases"] for r in picked] == [1]
    assert picked[0]["makespan_days"] == alone[0]["makespan_days"] > 0
    assert main(common + ["--case", "7", "--case", "11"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "petri: error: --case 11: no such case in initial_stock.csv (its cases: 1, 2, 3, 4, 5, "
        "6, 7, 8, 9, 10)")

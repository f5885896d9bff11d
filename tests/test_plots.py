"""The experiment's figures are written as real PNG files."""
import json

from petri.cli import main

from control.flowfactory import plant as ff

PNG = b"\x89PNG\r\n\x1a\n"


def test_experiment_writes_every_figure(tmp_path, capsys):
    orders = tmp_path / "orders.csv"
    lines = (ff.DATA / "orders.csv").read_text().splitlines()
    orders.write_text("\n".join(lines[:16]) + "\n")                  # orders 1-15
    cases = tmp_path / "cases.csv"
    stock = (ff.DATA / "initial_stock.csv").read_text().splitlines()
    cases.write_text("\n".join([stock[0], stock[2]]) + "\n")         # case 2
    out = tmp_path / "out"
    assert main(["experiment", "--scenario", "ideal", "--scenario", "malfunction",
                 "--controller", "traditional", "--orders", str(orders), "--cases", str(cases),
                 "--out", str(out), "--workers", "1", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    figures = sorted(p.name for p in out.glob("*.png"))
    assert figures == ["errors_start.png", "errors_stop.png", "gantt_case2.png",
                       "makespan.png", "station_makespan.png", "stock_consumables.png", "stock_filament.png",
                       "stock_notlasered.png"]
    for name in figures:
        data = (out / name).read_bytes()
        assert data[:8] == PNG and len(data) > 5000, name

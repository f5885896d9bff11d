"""FlowFactory: the nets validate and match the data; hand-computed single-order runs."""
import csv
import json

import pytest

from control.flowfactory import plant as ff
from control.registry import create, names
from petri.formats.toml import check_files, load
from petri.model import NetError

SHARED, FULL, LASER, ASSEMBLY = ff.NET_FILES


@pytest.mark.parametrize("net_file", [FULL, LASER, ASSEMBLY])
def test_each_net_validates_with_the_shared_part(net_file):
    assert check_files(SHARED, net_file) == []


def test_the_three_nets_fuse_into_one():
    net = load(*ff.NET_FILES)
    assert {"to_laser", "to_commissioning", "demand", "cleaning_drying"} <= set(net.places)
    # stations are single resources
    for _, (_, place) in ff.STATIONS.items():
        assert net.places[place].initial_count() == 1
    controllable = sorted(t.name for t in net.transitions.values() if t.controllable)
    assert controllable == sorted(
        ["release", "manufacture"] + [f"stamp_{x}" for x in "ABCDEF"]
        + [f"take_complete_{x}" for x in "ABCDEF"]
        + [f"reorder_{s}" for s in ("cutting", "gas", "filament", "electrical_func")])


def test_literals_in_the_nets_match_the_data_tables():
    net = ff.load_plant()
    with open(ff.DATA / "storage_capacity.csv") as f:
        for row in csv.DictReader(f):
            assert net.places[row["item"]].capacity == int(row["max"])
    with open(ff.DATA / "stations.csv") as f:
        use = {r["station"]: int(r["consumption"]) for r in csv.DictReader(f) if int(r["consumption"])}
    station_of = {"saw": "Sawing", "laser": "Laser", "print_base": "Printer",
                  "verify_electrical": "Electrical_Function_Verification"}
    for store, (transition, units) in ff.CONSUMABLES.items():
        arcs = [a for a in net.transitions[transition].inputs if a.place == store]
        assert [a.weight for a in arcs] == [units] == [use[station_of[transition]]]
    assert net.tables["lead_days"].rows == {"cutting": 2, "gas": 1, "filament": 1,
                                            "electrical_func": 3}


def test_traditional_is_registered():
    assert "traditional" in names()
    assert create("traditional").wip is None          # no cap on orders in the plant
    assert create("earliest-order").name == "earliest-order"


def _one_order(tmp_path, qty, order=1):
    path = tmp_path / "orders.csv"
    with open(path, "w") as f:
        f.write(",".join(ff.ORDER_COLUMNS) + "\n")
        f.write(",".join([str(order)] + [str(qty.get(p, 0)) for p in ff.PRODUCTS] + ["1", "1"]) + "\n")
    return ff.read_orders(path)


def _fired(events, name):
    return events.loc[events["transition"] == name, "time"].tolist()


def test_case2_one_order_takes_the_assembly_route(tmp_path):
    cases = ff.read_cases(ff.DATA / "initial_stock.csv")
    orders = _one_order(tmp_path, {"ProductA": 4}, order=16)
    run = ff.run_case(ff.load_plant(orders), 2, cases[2], create("traditional"))
    ev = run.events
    assert _fired(ev, "take_complete_A") == [0, 0, 0, 0]
    assert not any(ev["transition"].str.startswith(("stamp", "manufacture", "reorder", "print")))
    # commissioning 1420+1430 = 2850 s each, back to back; transport 920
    assert _fired(ev, "commission") == [0, 2850, 5700, 8550]
    # powder coating 1426+934 = 2360 s, the jobs arrive every 2850 s
    assert _fired(ev, "coat") == [3770, 6620, 9470, 12320]
    ovens = ev[ev["transition"].isin(["oven_1", "oven_2"])]
    assert ovens["time"].tolist() == [6730, 9580, 12430, 15280]
    last = {"oven_1": 1290, "oven_2": 1344}[ovens["transition"].iloc[-1]]
    kit = 15280 + last + 1200                      # the fourth part reaches montage
    assert _fired(ev, "montage_4") == [kit]
    assert _fired(ev, "verify_electrical") == [kit + 586 + 662]
    assert _fired(ev, "package") == [kit + 586 + 662 + 225 + 320]
    assert run.makespan == kit + 586 + 662 + 225 + 320 + 75 + 200
    assert run.makespan in (19838, 19892)


def test_case1_one_order_is_manufactured_and_waits_for_every_delivery(tmp_path):
    cases = ff.read_cases(ff.DATA / "initial_stock.csv")
    orders = _one_order(tmp_path, {"ProductA": 1})
    run = ff.run_case(ff.load_plant(orders), 1, cases[1], create("traditional"))
    ev = run.events
    day = 86400
    assert _fired(ev, "manufacture") == [0]
    assert _fired(ev, "mill_1") == [0]
    # cutting ordered as soon as the milled part heads for sawing; 2 days lead time
    assert _fired(ev, "reorder_cutting") == [0]
    assert _fired(ev, "delivery_done_cutting") == [2 * day]
    assert len(_fired(ev, "unload_cutting")) == 30            # fills the store to capacity
    # filament for the base (base store empty): 1 day; the print takes 7823 s
    assert _fired(ev, "reorder_filament") == [0]
    assert _fired(ev, "print_base") == [day]
    assert _fired(ev, "base_printed") == [day + 7823 + 600]
    # sawing 610 + 630, cleaning 886 + 300, verification 630 + 320
    assert _fired(ev, "saw") == [2 * day]
    verify_1 = 2 * day + 1240 + 1186
    assert _fired(ev, "verify_1") == [verify_1]
    # gas ordered when the part leaves verification for the laser; 1 day lead time
    assert _fired(ev, "reorder_gas") == [verify_1]
    laser = verify_1 + day
    assert _fired(ev, "laser") == [laser]
    commission = laser + 335 + 920 + 886 + 300 + 630 + 320
    assert _fired(ev, "commission") == [commission]
    oven_at = commission + 2850 + 920 + 2360 + 600
    oven = ev[ev["transition"].isin(["oven_1", "oven_2"])]
    assert oven["time"].tolist() == [oven_at]
    kit = oven_at + {"oven_1": 1290, "oven_2": 1344}[oven["transition"].iloc[0]] + 1200
    assert _fired(ev, "montage_1") == [kit]
    # the electrical part is ordered when the assembled product heads for verification: 3 days
    assert _fired(ev, "reorder_electrical_func") == [kit]
    assert _fired(ev, "verify_electrical") == [kit + 3 * day]
    assert run.makespan == kit + 3 * day + 225 + 320 + 75 + 200
    assert run.makespan in (534257, 534311)


def test_bad_order_and_case_files_name_file_row_and_column(tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_text(",".join(ff.ORDER_COLUMNS) + "\n1,1,1,x,1,0,0,1,1\n")
    with pytest.raises(NetError) as e:
        ff.read_orders(bad)
    assert str(e.value) == f"{bad}: row 2: column 'ProductC': expected a whole number, got 'x'"
    bad.write_text(",".join(ff.ORDER_COLUMNS) + "\n1,2,2,1,0,0,0,1,1\n")
    with pytest.raises(NetError, match="row 2: columns ProductA..ProductF: a final product takes 1 to 4"):
        ff.read_orders(bad)
    cases = tmp_path / "cases.csv"
    cases.write_text(",".join(ff.CASE_COLUMNS) + "\n1" + ",0" * 12 + ",31,0,0,0,0\n")
    with pytest.raises(NetError, match=r"cases.csv: row 2: column 'cutting': 31 is more than"):
        ff.read_cases(cases)
    cases.write_text("case,cutting\n1,2\n")
    with pytest.raises(NetError, match="missing column"):
        ff.read_cases(cases)


def test_lower_bound_is_never_above_the_achieved_makespan():
    from kpi.flowfactory.bounds import flowfactory_lower_bound
    orders = ff.read_orders(ff.DATA / "orders.csv")
    cases = ff.read_cases(ff.DATA / "initial_stock.csv")
    net = ff.load_plant()
    for case, stock in cases.items():
        bound = flowfactory_lower_bound(net, orders, stock)
        run = ff.run_case(ff.load_plant(), case, stock, create("traditional"))
        assert run.shipped == 50
        assert 0 < bound.seconds <= run.makespan, case


def test_lower_bound_of_case_2_is_commissioning_work_plus_head_and_tail():
    from kpi.flowfactory.bounds import flowfactory_lower_bound
    orders = ff.read_orders(ff.DATA / "orders.csv")
    stock = ff.read_cases(ff.DATA / "initial_stock.csv")[2]
    net = ff.load_plant()
    comm = {p: net.tables["face1"][p, "Commissioning"] + net.tables["face2"][p, "Commissioning"]
            for p in ff.PRODUCTS}
    work = sum(q[p] * comm[p] for q in orders.values() for p in ff.PRODUCTS)
    # everything in stock: head 0; shortest tail: product C (863 + 1426+1049 + 600 + oven 2
    # 1230+1200 = 6368) then montage 586+662, electrical verification 225+320, packaging 75+200
    tail = min(
        net.tables["transport"][p, "Commissioning"]
        + net.tables["face1"][p, "Powder coating"] + net.tables["face2"][p, "Powder coating"]
        + net.tables["transport"][p, "Powder coating"]
        + min(net.tables["face1"][p, o] + net.tables["transport"][p, o] for o in ("Oven 1", "Oven 2"))
        for p in ff.PRODUCTS) + 586 + 662 + 225 + 320 + 75 + 200
    bound = flowfactory_lower_bound(net, orders, stock)
    assert bound.station == "Commissioning"
    assert bound.seconds == work + tail == 555_025 + 6_368 + 2_068


def test_experiment_command_json_and_errors(tmp_path, capsys):
    from petri.cli import main
    orders = tmp_path / "orders.csv"
    with open(ff.DATA / "orders.csv") as f:
        lines = f.read().splitlines()
    orders.write_text("\n".join(lines[:6]) + "\n")          # orders 1-5
    cases = tmp_path / "cases.csv"
    with open(ff.DATA / "initial_stock.csv") as f:
        lines = f.read().splitlines()
    cases.write_text("\n".join([lines[0], lines[2]]) + "\n")   # case 2
    out = tmp_path / "out"
    code = main(["experiment", "--scenario", "ideal", "--controller", "traditional",
                 "--orders", str(orders), "--cases", str(cases),
                 "--out", str(out), "--json", "--workers", "1"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    # the thesis has figures for its own 50 orders x 10 cases only
    assert [(r["scenario"], r["controller"], r["thesis_days"]) for r in rows] == [
        ("ideal", "traditional", None)]
    assert rows[0]["lower_bound_days"] <= rows[0]["makespan_days"]
    assert {"makespan_days", "lower_bound_days", "wall_seconds"} <= set(rows[0])
    for name in ("summary", "cases", "station_table", "station_makespan", "stock", "effort"):
        assert (out / f"{name}.csv").exists()
    summary = (out / "summary.csv").read_text()
    assert main(["experiment", "--scenario", "ideal", "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"petri: error: {out}: holds 17 file(s) of an earlier run (e.g. cases.csv); use --force "
        "to overwrite them, or another --out\n")
    assert (out / "summary.csv").read_text() == summary
    cases.write_text(lines[0] + "\n2,1\n")
    assert main(["experiment", "--cases", str(cases), "--out", str(out), "--force"]) == 1
    assert "row 2: column 'ProductB_complete'" in capsys.readouterr().err
    assert main(["experiment", "--scenario", "nosuch", "--out", str(out), "--force"]) == 1
    assert "unknown scenario 'nosuch'" in capsys.readouterr().err


def test_thesis_figures_are_matched_by_controller_kind():
    from control.flowfactory.scenarios import load_scenario
    ideal = load_scenario(ff.NET_DIR / "scenarios" / "ideal.toml")
    kinds = {name: getattr(create(name), "thesis_key", name) for name in ("traditional", "thesis-rl")}
    assert {name: ideal.thesis_days.get(k) for name, k in kinds.items()} == {
        "traditional": 152.4, "thesis-rl": 149.1}

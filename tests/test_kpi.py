"""KPI formulas on a hand-made event log."""
import pandas as pd
import pytest

from kpi.errors import station_errors
from kpi.makespan import completion_times, lead_times, makespan, station_makespan
from kpi.resilience import resilience
from kpi.stations import job_table, station_table, utilisation
from kpi.stock import stock_levels, stockout_time

STATIONS = {"saw": ("Sawing", "sawing"), "clean": ("Cleaning", "cleaner"),
            "print": ("Printer", "printer"), "mount": ("Montage", "montage")}


def _log():
    rows = [  # time, transition, binding, consumed, produced
        (0.0, "release", {"o": 1}, [], [("demand", (1, "A"), 0.0)]),
        (0.0, "saw", {"o": 1, "p": "A"}, [("cutting", (), 0)],
         [("sawing", (), 600.0), ("to_clean", (1, "A"), 1200.0)]),
        (600.0, "saw", {"o": 1, "p": "B"}, [("cutting", (), 0)],
         [("sawing", (), 1000.0), ("to_clean", (1, "B"), 1500.0)]),
        (700.0, "print", {}, [], [("printer", (), 2700.0), ("in_print", (), 3000.0)]),
        (1200.0, "clean", {"o": 1, "p": "A"}, [], [("cleaner", (), 2100.0), ("to_mount", 1, 2400.0)]),
        (1500.0, "release", {"o": 2}, [], []),
        (1500.0, "unload", {}, [], [("cutting", (), 0), ("cutting", (), 0)]),
        (2100.0, "clean", {"o": 1, "p": "B"}, [], [("cleaner", (), 3000.0), ("to_mount", 1, 3300.0)]),
        (3000.0, "landed", {}, [], [("base", (), 0)]),
        (3300.0, "mount", {"o": 1}, [("base", (), 0)], [("montage", (), 3900.0), ("shipped", 1, 4500.0)]),
        (4000.0, "mount", {"o": 2}, [], [("montage", (), 4600.0), ("shipped", 2, 5000.0)]),
    ]
    df = pd.DataFrame(rows, columns=["time", "transition", "binding", "consumed", "produced"])
    df.insert(0, "step", range(1, len(df) + 1))
    return df


def test_job_table_reads_start_processing_and_transport():
    jobs = job_table(_log(), STATIONS, attribute={"Printer": ("Montage", "landed")})
    saw = jobs[jobs["station"] == "Sawing"]
    assert saw[["start", "end", "arrival", "processing", "transport"]].values.tolist() == [
        [0, 600, 1200, 600, 600], [600, 1000, 1500, 400, 500]]
    printer = jobs[jobs["station"] == "Printer"].iloc[0]
    # the printed base lands at 3000; the next montage (order 1 at 3300) uses it
    assert (printer["order"], printer["processing"], printer["transport"]) == (1, 2000, 300)


def test_station_table_has_the_thesis_columns():
    table = station_table(job_table(_log(), STATIONS, attribute={"Printer": ("Montage", "landed")}))
    one = table[table["order"] == 1].set_index("station")
    assert list(table.columns) == ["order", "station", "start", "stop", "production_time",
                                   "transport_time"]
    assert one.loc["Sawing"].tolist() == [1, 0, 1500, 1000, 1100]
    assert one.loc["Cleaning"].tolist() == [1, 1200, 3300, 1800, 600]
    assert one.loc["Printer"].tolist() == [1, 700, 3000, 2000, 300]
    assert one.loc["Montage"].tolist() == [1, 3300, 4500, 600, 600]


def test_makespan_completions_and_lead_times():
    log = _log()
    assert completion_times(log, "shipped").to_dict() == {1: 4500.0, 2: 5000.0}
    assert makespan(log, "shipped") == 5000.0
    assert lead_times(log, "release", "shipped").values.tolist() == [[1, 0, 4500, 4500], [2, 1500, 5000, 3500]]


def test_station_makespan_eq_4_2():
    table = station_table(job_table(_log(), STATIONS))
    m = station_makespan(table, ["Sawing", "Cleaning", "Montage"])
    # order 1 only: stop(Cleaning) - start(Sawing) = 3300 s; stop(Montage) - start(Cleaning) = 3300 s
    assert m.values.tolist() == [["Sawing", "Cleaning", 3300 / 3600, 1],
                                 ["Cleaning", "Montage", 3300 / 3600, 1]]
    table2 = pd.concat([table.assign(case=1), table.assign(case=2, start=table["start"] + 3600)])
    m2 = station_makespan(table2, ["Sawing", "Cleaning"])
    # case 2 starts an hour later at sawing but stops cleaning at the same time: mean of 3300, -300
    assert m2["hours"].tolist() == [pytest.approx((3300 - 300) / 2 / 3600)]
    assert m2["inputs"].tolist() == [2]


def test_station_errors_eq_4_3_and_4_4():
    a = pd.DataFrame({"case": [1, 1, 1], "order": [1, 2, 3], "station": ["S", "S", "T"],
                      "start": [0.0, 7200.0, 0.0], "stop": [3600.0, 10800.0, 0.0]})
    b = pd.DataFrame({"case": [1, 1, 1], "order": [1, 2, 4], "station": ["S", "S", "T"],
                      "start": [3600.0, 0.0, 0.0], "stop": [3600.0, 3600.0, 0.0]})
    e = station_errors(a, b).set_index(["station", "time"])
    # start: d = -1 h, +2 h -> mean 0.5, MAE 1.5, MSE 2.5; stop: d = 0, +2 h
    assert e.loc[("S", "start")].tolist() == [2, 0.5, 1.5, 2.5]
    assert e.loc[("S", "stop")].tolist() == [2, 1.0, 1.0, 2.0]
    assert ("T", "start") not in e.index          # order 3 vs 4: nothing in common


def test_stock_levels_and_stockout():
    levels = stock_levels(_log(), {"cutting": 2, "base": 0})
    cut = levels[levels["store"] == "cutting"]
    assert cut[["time", "level"]].values.tolist() == [[0, 2], [0, 1], [600, 0], [1500, 2]]
    base = levels[levels["store"] == "base"]
    assert base[["time", "level"]].values.tolist() == [[0, 0], [3000, 1], [3300, 0]]
    out = stockout_time(levels, horizon=5000.0)
    assert out["base"] == 3000 + 1700
    assert out["cutting"] == 1500 - 600


def test_utilisation():
    jobs = job_table(_log(), STATIONS)
    u = utilisation(jobs, 5000.0)
    assert u["Sawing"] == 1000 / 5000 and u["Cleaning"] == 1800 / 5000


def test_resilience():
    r = resilience([100, 200, 300, 400], [100, 250, 400, 450], disruption_start=150, tolerance=10)
    assert r.makespan_loss == 50 and r.makespan_loss_ratio == 50 / 400
    assert r.throughput_loss == 0.25                 # 450 > 400: one order late
    assert r.time_to_recover == 400 - 150            # the lag grew last at the third order
    same = resilience([1, 2], [1, 2])
    assert (same.makespan_loss, same.throughput_loss, same.time_to_recover) == (0, 0, 0)


def test_lower_bound_of_case_1_is_the_cutting_supply():
    """Case 1 starts with empty stores: all 199 components are manufactured, each sawn with one
    cutting part. Deliveries bring at most 30 parts and follow each other 2 days apart, so the
    7th (parts 181-199) arrives after 14 days; 19 sawing jobs are left, at best product D's
    (500 + 105 = 605 s each), and the shortest way from sawing to a shipped order is product
    A's: transport 630, cleaning 886+300, verification 630+320, laser 335+920, cleaning
    886+300, verification 630+320, commissioning 2850+920, coating 2360+600, oven 1 1290+1200,
    montage 586+662, electrical verification 225+320, packaging 75+200 = 17,445 s."""
    from control.flowfactory import plant as ff
    from kpi.flowfactory.bounds import flowfactory_lower_bound
    orders = ff.read_orders(ff.DATA / "orders.csv")
    assert sum(q[p] for q in orders.values() for p in ff.PRODUCTS) == 199
    stock = ff.read_cases(ff.DATA / "initial_stock.csv")[1]
    bound = flowfactory_lower_bound(ff.load_plant(), orders, stock)
    tail = (630 + 886 + 300 + 630 + 320 + 335 + 920 + 886 + 300 + 630 + 320 + 2850 + 920
            + 2360 + 600 + 1290 + 1200 + 586 + 662 + 225 + 320 + 75 + 200)
    assert tail == 17_445
    assert bound.parts["Sawing"] == 7 * 2 * 86400 + 19 * 605 + tail == 1_238_540


def test_lower_bound_of_case_1_the_late_jobs_still_pass_commissioning():
    """The 19 jobs sawn after the 7th cutting delivery (day 14) must each pass commissioning.
    The shortest way from the start of sawing to commissioning is product D's: sawing
    500+105+650, cleaning 887+235, verification 580+324, laser 394+925, cleaning 887+235,
    verification 580+324 = 6,626 s. The 19 shortest commissioning jobs are product E's (29
    needed, 1313+1368 = 2,681 s each). The shortest tail after commissioning is product C's:
    transport 863, coating 2475+600, oven 2 1230+1200, montage 586 + 662, electrical
    verification 225+320, packaging 75+200 = 8,436 s."""
    from control.flowfactory import plant as ff
    from kpi.flowfactory.bounds import flowfactory_lower_bound
    orders = ff.read_orders(ff.DATA / "orders.csv")
    stock = ff.read_cases(ff.DATA / "initial_stock.csv")[1]
    bound = flowfactory_lower_bound(ff.load_plant(), orders, stock)
    reach = 500 + 105 + 650 + 887 + 235 + 580 + 324 + 394 + 925 + 887 + 235 + 580 + 324
    tail = 863 + 2475 + 600 + 1230 + 1200 + 586 + 662 + 225 + 320 + 75 + 200
    assert (reach, tail) == (6_626, 8_436)
    assert bound.station == "Commissioning"
    assert bound.seconds == 14 * 86400 + reach + 19 * 2681 + tail == 1_275_601


def test_lower_bound_under_a_scenario_takes_the_larger_capacity(tmp_path):
    """A scenario that enlarges the cutting store lets deliveries bring more: its bound must
    use the larger capacity (fewer deliveries), or it could exceed an achieved makespan."""
    from control.flowfactory import plant as ff
    from control.flowfactory.scenarios import load_scenario
    from kpi.flowfactory.bounds import flowfactory_lower_bound
    f = tmp_path / "big.toml"
    f.write_text('[scenario]\nname = "big"\n[[disruption]]\nstore = "cutting"\n'
                 'parameter = "capacity"\nvalue = 60\norders = [1, 50]\n')
    net = ff.load_plant()
    orders = ff.read_orders(ff.DATA / "orders.csv")
    stock = ff.read_cases(ff.DATA / "initial_stock.csv")[1]
    relaxed = load_scenario(f).relaxed(net)
    assert relaxed.places["cutting"].capacity == 60 and net.places["cutting"].capacity == 30
    normal = flowfactory_lower_bound(net, orders, stock).parts["Sawing"]
    bigger = flowfactory_lower_bound(relaxed, orders, stock).parts["Sawing"]
    # 4 deliveries of 60 instead of 7 of 30
    assert bigger < normal and bigger >= 4 * 2 * 86400

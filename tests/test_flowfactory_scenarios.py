"""Disruption scenarios change exactly the parameter and window they name, nothing else."""
import pytest

from control.flowfactory import plant as ff
from control.flowfactory.scenarios import SCENARIOS, load_scenario, resolve_scenario
from control.registry import create
from petri.engine import Simulator
from petri.model import NetError


class Recorder:
    """Records every parameter change the scenario makes through the engine."""

    def __init__(self, sim):
        self.calls = []
        for name in ("set_table_value", "set_capacity", "set_constant"):
            original = getattr(sim, name)

            def record(*args, _name=name, _original=original):
                self.calls.append((sim.clock, _name, *args))
                return _original(*args)

            setattr(sim, name, record)


def _run(scenario_name, case=2, orders=None):
    scenario = load_scenario(resolve_scenario(scenario_name))
    net = ff.load_plant(orders)
    ff.set_case(net, ff.read_cases(ff.DATA / "initial_stock.csv")[case])
    sim = Simulator(net, controller=create("traditional"), seed=0)
    rec = Recorder(sim)
    windows = scenario.attach(sim)
    scenario.run(sim)
    return sim, rec.calls, windows, sim.events.to_frame()


def _time_of(ev, transition, order):
    rows = ev[(ev["transition"] == transition) & ev["binding"].map(lambda b: b.get("o") == order)]
    return float(rows["time"].iloc[0])


def test_bundled_scenarios_load():
    assert [load_scenario(resolve_scenario(s)).name for s in SCENARIOS] == SCENARIOS
    assert load_scenario(resolve_scenario("ideal")).disruptions == []


def test_ideal_changes_nothing():
    sim, calls, windows, _ = _run("ideal")
    assert calls == [] and windows == []


@pytest.mark.parametrize("name, calls_open, first, last", [
    ("malfunction", [("set_table_value", t, (p, "Cleaning & Drying")) for t in ("face1", "face2")
                     for p in ff.PRODUCTS], 10, 15),
    ("workforce", [("set_table_value", "transport", (p, "Milling 1")) for p in ff.PRODUCTS], 43, 47),
    ("storage", [("set_capacity", "filament")], 25, 30),
])
def test_scenario_changes_its_parameter_in_its_window_only(name, calls_open, first, last):
    sim, calls, windows, ev = _run(name)
    # opens when the first of the window's orders is released, closes when the last is packed
    start = min(_time_of(ev, "release", o) for o in range(first, last + 1))
    end = max(_time_of(ev, "package", o) for o in range(first, last + 1))
    assert [w.start for w in windows] == [start] and [w.end for w in windows] == [end]
    n = len(calls_open)
    opened, closed = calls[:n], calls[n:]
    assert len(closed) == n
    assert all(c[0] == start for c in opened) and all(c[0] == end for c in closed)
    assert [c[1:-1] for c in opened] == calls_open
    net = ff.load_plant()
    if name == "storage":
        assert opened[0][-1] == 10 and closed[0][-1] == 30
    else:
        for (_, _, table, key, new), (_, _, t2, k2, old) in zip(opened, reversed(closed)):
            assert (table, key) == (t2, k2)
            assert old == net.tables[table][key] and new == 3 * old
    # after the run every parameter is back to the net's own value
    for table in ("face1", "face2", "transport", "lead_days"):
        for key, value in net.tables[table].rows.items():
            assert sim.table_value(table, key) == value
    assert sim.capacity("filament") == 30


def test_malfunction_triples_cleaning_inside_the_window(tmp_path):
    sim, calls, windows, ev = _run("malfunction")
    w = windows[0]
    jobs = ev[ev["transition"].isin(["clean_1", "clean_2"])]
    for _, row in jobs.iterrows():
        p = row["binding"]["p"]
        stamp = [t for place, _, t in row["produced"] if place == "cleaning_drying"][0]
        pt = stamp - row["time"]
        normal = {"ProductA": 886, "ProductB": 930, "ProductC": 826, "ProductD": 887,
                  "ProductE": 950, "ProductF": 961}[p]
        inside = w.start <= row["time"] < w.end
        assert pt == (3 * normal if inside else normal)


def test_time_window_opens_and_closes_at_its_instants(tmp_path):
    f = tmp_path / "slow.toml"
    f.write_text('[scenario]\nname = "slow"\n[[disruption]]\nstation = "Commissioning"\n'
                 'parameter = "processing_time"\nvalue = 100\nhours = [1, 2]\n')
    scenario = load_scenario(f)
    net = ff.load_plant()
    ff.set_case(net, ff.read_cases(ff.DATA / "initial_stock.csv")[2])
    scenario.validate(net, ff.read_orders(ff.DATA / "orders.csv"))
    sim = Simulator(net, controller=create("traditional"), seed=0)
    windows = scenario.attach(sim)
    scenario.run(sim)
    assert (windows[0].start, windows[0].end) == (3600, 7200)
    ev = sim.events.to_frame()
    for _, row in ev[ev["transition"] == "commission"].iterrows():
        stamp = [t for place, _, t in row["produced"] if place == "commissioning"][0]
        if 3600 <= row["time"] < 7200:
            assert stamp - row["time"] == 100


@pytest.mark.parametrize("body, message", [
    ('[[disruption]]\nstation = "Mill 9"\nparameter = "processing_time"\nfactor = 2\norders = [1, 2]\n',
     "disruption 1: unknown station 'Mill 9' (stations: Cleaning & Drying,"),
    ('[[disruption]]\nstation = "Sawing"\nparameter = "speed"\nfactor = 2\norders = [1, 2]\n',
     "disruption 1 (station 'Sawing'): parameter must be one of processing_time, transport_time"),
    ('[[disruption]]\nstore = "filament"\nparameter = "capacity"\nvalue = 10\norders = [30, 25]\n',
     "disruption 1 (store 'filament' capacity): orders [30, 25]: the first is after the last"),
    ('[[disruption]]\nstore = "filament"\nparameter = "capacity"\nfactor = -1\norders = [1, 2]\n',
     "factor must be a finite number more than 0"),
    ('[[disruption]]\nstore = "base"\nparameter = "lead_time"\nfactor = 2\norders = [1, 2]\n',
     "store 'base' has no supplier"),
    ('[[disruption]]\nstore = "gas"\nparameter = "capacity"\nvalue = 5\norders = [60, 70]\n',
     "orders [60, 70]: no such order in the order list (1..50)"),
    ('[[disruption]]\nstation = "Sawing"\nparameter = "transport_time"\nfactor = 2\n',
     "give exactly one window"),
])
def test_bad_scenarios_name_file_element_and_problem(tmp_path, body, message):
    f = tmp_path / "bad.toml"
    f.write_text('[scenario]\nname = "bad"\n' + body)
    with pytest.raises(NetError) as e:
        scenario = load_scenario(f)
        scenario.validate(ff.load_plant(), ff.read_orders(ff.DATA / "orders.csv"))
    assert str(e.value).startswith(str(f) + ": ")
    assert message in str(e.value)


def test_generalise_draws_orders_and_moves_windows_from_a_seed(tmp_path):
    from control.flowfactory import plant as ff
    from control.flowfactory.generate import generate_orders, generate_scenarios, write_orders
    from control.flowfactory.scenarios import load_scenario
    orders = generate_orders(1)
    assert orders == generate_orders(1) != generate_orders(2)
    assert ff.read_orders(write_orders(orders, tmp_path / "o.csv")) == orders
    files = generate_scenarios(1, tmp_path / "sc")
    moved = {f.stem: load_scenario(f) for f in files}
    assert moved["ideal"].disruptions == []
    storage = moved["storage"].disruptions[0].window
    assert storage[0] == "orders" and storage[2] - storage[1] == 30 - 25
    assert storage[1:] != (25, 30) and "thesis_days" not in (tmp_path / "sc" / "storage.toml").read_text()
    for sc in moved.values():
        sc.validate(ff.load_plant(orders), orders)


def test_scenario_file_that_is_not_text(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\x80\x81 not text")
    with pytest.raises(NetError) as e:
        load_scenario(bad)
    assert str(e.value) == (f"{bad}: not UTF-8 text (bad byte at offset 0); scenario files "
                            f"are UTF-8 TOML")

"""The FlowFactory plant: its nets, orders, initial-stock cases and one simulated run per case.

The three material-flow nets and their shared part live in the ``nets.flowfactory`` package
(TOML, data tables in its ``data/`` folder), found through ``importlib.resources``. This module loads them, swaps in another order list or
initial stock, and runs the 50 orders of one case under a controller and a disruption
scenario, returning the event log. Names of places and transitions that controllers and KPIs
rely on are listed here once.

>>> orders = read_orders(DATA / "orders.csv")
>>> len(orders), orders[35]
(50, {'ProductA': 0, 'ProductB': 2, 'ProductC': 1, 'ProductD': 0, 'ProductE': 0, 'ProductF': 0})
"""
from __future__ import annotations

import csv
import io
import re
import time
from importlib.resources import files
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from petri.files import read_text
from petri.model import NetError, Token

__all__ = [
    "NET_DIR", "DATA", "NET_FILES", "PRODUCTS", "CONSUMABLES", "STORES", "MAIN_STORES",
    "STATIONS", "STATION_ORDER", "START", "DAY", "read_orders", "read_cases", "load_plant",
    "set_case", "CaseRun", "run_case", "to_date", "compiled_plant",
]

#: the folder of the FlowFactory nets (package data of ``nets.flowfactory``)
NET_DIR = Path(str(files("nets.flowfactory")))
DATA = NET_DIR / "data"
NET_FILES = [NET_DIR / f for f in ("shared.toml", "full_manufacture.toml", "laser_only.toml",
                                   "assembly_only.toml")]

PRODUCTS = [f"Product{x}" for x in "ABCDEF"]
#: consumable store -> (station transition that uses it, units per job)
CONSUMABLES = {"cutting": ("saw", 1), "gas": ("laser", 1), "filament": ("print_base", 2),
               "electrical_func": ("verify_electrical", 1)}
MAIN_STORES = [f"{p}_{k}" for k in ("complete", "notLasered") for p in PRODUCTS]
#: every store place, named like the columns of initial_stock.csv
STORES = MAIN_STORES + ["cutting", "gas", "filament", "electrical_func", "base"]

#: station transition -> (station as named in stations.csv, station resource place)
STATIONS = {
    "mill_1": ("Milling 1", "milling_1"), "mill_2": ("Milling 2", "milling_2"),
    "saw": ("Sawing", "sawing"),
    "clean_1": ("Cleaning & Drying", "cleaning_drying"),
    "clean_2": ("Cleaning & Drying", "cleaning_drying"),
    "verify_1": ("Verification", "verification"), "verify_2": ("Verification", "verification"),
    "laser": ("Laser", "laser"), "commission": ("Commissioning", "commissioning"),
    "coat": ("Powder coating", "powder_coating"), "oven_1": ("Oven 1", "oven_1"),
    "oven_2": ("Oven 2", "oven_2"), "print_base": ("Printer", "printer"),
    **{f"montage_{k}": ("Montage", "montage") for k in (1, 2, 3, 4)},
    "verify_electrical": ("Electrical_Function_Verification", "efv"),
    "package": ("Packaging", "packaging"),
}
#: stations in the order of the thesis's output table (Fig. 4.11)
STATION_ORDER = ["Milling 1", "Milling 2", "Sawing", "Cleaning & Drying", "Verification", "Laser",
                 "Commissioning", "Powder coating", "Oven 1", "Oven 2", "Printer", "Montage",
                 "Electrical_Function_Verification", "Packaging"]

START = datetime(2024, 7, 15, 8, 0, 0)   #: model time 0 of the thesis's runs
DAY = 86400.0
ORDER_COLUMNS = ["order", *PRODUCTS, "base", "electrical_func"]
CASE_COLUMNS = ["case", *STORES]


def to_date(seconds: float) -> datetime:
    """Model time (s) as a calendar date, counted from 2024-07-15 08:00."""
    return START + timedelta(seconds=float(seconds))


# ---------------------------------------------------------------------------------------------
# Input tables
# ---------------------------------------------------------------------------------------------

def _read_table(path, columns: list[str], what: str) -> list[tuple[int, dict[str, int]]]:
    """Rows of a CSV with exactly ``columns`` (any order), all non-negative integers."""
    path = Path(path)
    text = read_text(path, what="CSV file")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in columns if c not in header]
    if missing:
        raise NetError(f"missing column(s) {', '.join(missing)}; {what} needs the columns "
                       f"{', '.join(columns)}", file=str(path))
    extra = [c for c in header if c not in columns]
    if extra:
        named = all(re.fullmatch(r"\w{1,40}", c) for c in extra)  # never echo another file
        raise NetError(f"unknown column(s) {', '.join(extra) if named else '(not names)'}; "
                       f"{what} has the columns {', '.join(columns)}", file=str(path))
    rows = []
    for line, raw in enumerate(reader, start=2):
        row = {}
        for c in columns:
            text = (raw.get(c) or "").strip()
            try:
                value = int(text)
            except ValueError:
                raise NetError(f"column {c!r}: expected a whole number, got {text!r}",
                               file=str(path), element=f"row {line}") from None
            if value < 0:
                raise NetError(f"column {c!r}: must not be negative, got {value}",
                               file=str(path), element=f"row {line}")
            row[c] = value
        rows.append((line, row))
    if not rows:
        raise NetError(f"no rows: {what} needs at least one", file=str(path))
    key = columns[0]
    seen: dict[int, int] = {}
    for line, row in rows:
        if row[key] in seen:
            raise NetError(f"column {key!r}: {row[key]} appears twice (also on row {seen[row[key]]})",
                           file=str(path), element=f"row {line}")
        seen[row[key]] = line
    return rows


def read_orders(path) -> dict[int, dict[str, int]]:
    """Order number -> components per product, from a CSV with the columns of orders.csv.

    Every order builds one final product: 1 to 4 components, exactly one base and one
    electrical part. The list order is the order numbers' order.
    """
    out = {}
    for line, row in _read_table(path, ORDER_COLUMNS, "an order list"):
        o = row["order"]
        if o < 1:
            raise NetError(f"column 'order': order numbers start at 1, got {o}", file=str(path),
                           element=f"row {line}")
        n = sum(row[p] for p in PRODUCTS)
        if not 1 <= n <= 4:
            raise NetError(f"columns {PRODUCTS[0]}..{PRODUCTS[-1]}: a final product takes 1 to 4 "
                           f"components, this order has {n}", file=str(path), element=f"row {line}")
        for c in ("base", "electrical_func"):
            if row[c] != 1:
                raise NetError(f"column {c!r}: a final product takes exactly 1, got {row[c]}",
                               file=str(path), element=f"row {line}")
        out[o] = {p: row[p] for p in PRODUCTS}
    return out


def read_cases(path, capacities: dict[str, int] | None = None) -> dict[int, dict[str, int]]:
    """Case number -> initial stock per store, from a CSV with the columns of initial_stock.csv."""
    capacities = capacities or {s: 30 for s in STORES}
    out = {}
    for line, row in _read_table(path, CASE_COLUMNS, "a list of initial-stock cases"):
        for s in STORES:
            if row[s] > capacities[s]:
                raise NetError(f"column {s!r}: {row[s]} is more than the store holds "
                               f"({capacities[s]})", file=str(path), element=f"row {line}")
        out[row["case"]] = {s: row[s] for s in STORES}
    return out


# ---------------------------------------------------------------------------------------------
# The net
# ---------------------------------------------------------------------------------------------

def load_plant(orders: dict[int, dict[str, int]] | None = None, dispatch: bool = False):
    """The four FlowFactory files fused into one net; ``orders`` replaces orders.csv.
    ``dispatch``: station starts become controllable, so that a controller chooses which
    waiting job a station takes (otherwise the nets' order: earliest order first)."""
    from petri.formats.toml import load
    net = load(*NET_FILES)
    if dispatch:
        for t in STATIONS:
            net.transitions[t].controllable = True
    if orders is not None:
        for x in "ABCDEF":
            table = net.tables[f"qty_{x}"]
            table.rows = {o: q[f"Product{x}"] for o, q in orders.items()}
        net.places["backlog"].initial = [Token(o, 1) for o in orders]
        net.places["unfinished"].initial = [Token((), len(orders))]
    return net


#: compiled plants of this process: (order list, dispatch) -> CompiledNet
_COMPILED: dict = {}


def compiled_plant(orders: dict[int, dict[str, int]] | None = None, dispatch: bool = False):
    """The plant of ``load_plant(orders, dispatch)``, loaded and compiled once per process
    and kept (the last four order lists): the cases of an experiment run on it one after
    another. Every run on it starts afresh (marking, clock, random numbers, parameters), with
    the initial stock ``run_case`` sets, so a case gives the same run as on a fresh load."""
    from petri.engine import compile_net
    key = (None if orders is None else tuple((o, tuple(q.items())) for o, q in orders.items()),
           bool(dispatch))
    compiled = _COMPILED.pop(key, None)
    if compiled is None:
        compiled = compile_net(load_plant(orders, dispatch=dispatch), log=True)
    _COMPILED[key] = compiled
    while len(_COMPILED) > 4:
        del _COMPILED[next(iter(_COMPILED))]
    return compiled


def set_case(net, stock: dict[str, int]) -> None:
    """Set the initial stock of every store (a row of initial_stock.csv)."""
    for s in STORES:
        n = int(stock.get(s, 0))
        net.places[s].initial = [Token((), n)] if n else []


# ---------------------------------------------------------------------------------------------
# One case
# ---------------------------------------------------------------------------------------------

@dataclass
class CaseRun:
    """The outcome of running the orders of one case: event log, makespan, timings."""

    case: int
    makespan: float                      # s: last order shipped (0 if none)
    events: object                       # pandas DataFrame (the engine's event log)
    shipped: int
    orders: int
    wall_seconds: float                  # the whole run
    decision_seconds: dict = field(default_factory=dict)   # per decision module
    windows: list = field(default_factory=list)            # (disruption label, start, end) in s
    initial_stock: dict = field(default_factory=dict)
    reason: str = ""

    @property
    def simulation_seconds(self) -> float:
        """Wall time spent in the engine itself (the run minus the controller's decisions)."""
        return max(0.0, self.wall_seconds - sum(self.decision_seconds.values()))


def run_case(net, case: int, stock: dict[str, int], controller=None, scenario=None,
             seed: int = 0, log: bool = True) -> CaseRun:
    """Run every order of ``net`` from the initial ``stock`` until all are shipped.

    ``net``: the plant's Net, or a compiled one (``compiled_plant``: no compiling per case;
    its event log is on). ``scenario``: a ``control.flowfactory.scenarios.Scenario`` whose
    disruptions are applied and reverted in their windows.
    """
    from petri.engine import CompiledNet, Simulator
    set_case(net.net if isinstance(net, CompiledNet) else net, stock)
    t0 = time.perf_counter()
    sim = Simulator(net, controller=controller, seed=seed, log=log or scenario is not None)
    n_orders = sim.count("backlog")
    windows = []
    if scenario is not None:
        windows = scenario.attach(sim)
        result = scenario.run(sim)
    else:
        result = sim.run()
    wall = time.perf_counter() - t0
    shipped = sim.tokens("shipped")
    makespan = max((t for _, t in shipped), default=0.0)
    effort = dict(getattr(controller, "effort", {}) or {})
    frame = sim.events.to_frame() if sim.log else None
    return CaseRun(case, float(makespan), frame, len(shipped), n_orders, wall, effort,
                   [w.as_tuple() for w in windows], dict(stock), result.reason)


#: The thesis's decision modules, in the order a decision point asks them.
MODULES = ("fulfil storage", "order release", "net selection")


def ask_modules(decision, effort: dict, fulfil_storage, release, select_net, offered=None):
    """Take a FlowFactory decision point as the thesis's modules do.

    Each module gets the offered bindings that are its own (``reorder_*``; ``release``; the
    net selection transitions) and the state; fulfil storage is asked first, then order release,
    then net selection, and the first that chooses a binding wins (``None`` from all: wait).
    The seconds each module takes are added to ``effort[module]``. ``offered``: the decision's
    ``offered_by_transition`` if already taken.
    """
    groups: dict[str, list] = {m: [] for m in MODULES}
    for name, bindings in (offered if offered is not None else offered_by_transition(decision)):
        module = _MODULE_OF.get(name)
        if module is None:
            module = _MODULE_OF[name] = ("fulfil storage" if name.startswith("reorder_") else
                                         "order release" if name == "release" else
                                         "net selection")
        groups[module] += bindings
    for module, decide in zip(MODULES, (fulfil_storage, release, select_net)):
        if groups[module]:
            start = time.perf_counter()
            chosen = decide(groups[module], decision.state)
            effort[module] += time.perf_counter() - start
            if chosen is not None:
                return chosen
    return None


#: transition name -> the decision module its bindings go to (filled as names are met)
_MODULE_OF: dict[str, str] = {}


def offered_by_transition(decision) -> list[tuple[str, list]]:
    """The decision's offered bindings as (transition name, its bindings) in net order: cut
    from the offer by the engine's listing per transition (``decision.listed``) instead of
    looking at every binding; by the bindings' own names when the decision has no listing."""
    bindings = decision.bindings
    listed = decision.listed
    out = []
    if listed is not None:
        i = 0
        for _, bs in listed:
            n = len(bs)
            if n:
                out.append((bindings[i].transition, bindings[i:i + n]))
                i += n
        if i == len(bindings):
            return out
        out = []
    for b in bindings:
        if out and out[-1][0] == b.transition:
            out[-1][1].append(b)
        else:
            out.append((b.transition, [b]))
    return out

"""Disruption scenarios: parameter changes of the running plant inside a window.

A scenario file (TOML; the bundled ones are ``scenarios/*.toml`` in ``nets.flowfactory``)
lists disruptions. Each names what it changes, how, and when::

    [scenario]
    name = "malfunction"
    description = "cleaning & drying three times slower while orders 10-15 are in the plant"
    thesis_days = { traditional = 173.7, rl = 151.4 }   # optional: the thesis's results

    [[disruption]]
    station = "Cleaning & Drying"      # or store = "filament", table = "...", constant = "...",
                                       #    place = "..." (any net)
    parameter = "processing_time"      # station: processing_time | transport_time
                                       # store: capacity | lead_time; place: capacity
    factor = 3                         # or value = ... (seconds, days for lead_time, units)
    orders = [10, 15]                  # or seconds = [a, b], hours = [a, b], days = [a, b]

An order window opens when the first of its orders is released and closes when the last of
them has been packed; a time window is model time of the run [a, b). Changes go through the
engine (``set_table_value``, ``set_constant``, ``set_capacity``) and are undone when the
window closes, so nothing outside the named parameter and window changes.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from petri.files import read_text
from petri.model import NetError

__all__ = ["Scenario", "Disruption", "Window", "load_scenario", "resolve_scenario",
           "check_scenario_file", "SCENARIO_DIR", "SCENARIOS"]

SCENARIO_DIR = Path(str(files("nets.flowfactory"))) / "scenarios"
#: the thesis's four scenarios, in its order
SCENARIOS = ["ideal", "storage", "malfunction", "workforce"]

_TARGETS = ("station", "store", "table", "constant", "place")
_PARAMETERS = {
    "station": ("processing_time", "transport_time"),
    "store": ("capacity", "lead_time"),
    "place": ("capacity",),
    "table": ("value",),
    "constant": ("value",),
}
_WINDOWS = {"orders": None, "seconds": 1.0, "hours": 3600.0, "days": 86400.0}
_KEYS = set(_TARGETS) | {"parameter", "factor", "value", "key"} | set(_WINDOWS)


@dataclass
class Disruption:
    """One parameter change inside one window."""

    label: str                      # e.g. "disruption 1" (for messages and reports)
    kind: str                       # station | store | table | constant | place
    target: str
    parameter: str
    factor: float | None = None
    value: object = None
    key: object = None              # table key (kind "table")
    window: tuple = ()              # ("orders", first, last) or ("time", start_s, end_s)

    def describe(self) -> str:
        how = f"x{self.factor:g}" if self.factor is not None else f"= {self.value!r}"
        if self.window[0] == "orders":
            when = f"orders {self.window[1]}-{self.window[2]}"
        else:
            when = f"time {self.window[1]:g}-{self.window[2]:g} s"
        return f"{self.kind} {self.target!r} {self.parameter} {how} during {when}"

    # -- what to change: a list of (setter, name, key, new value, getter) ----------------------
    def changes(self, sim) -> list[tuple]:
        """The engine calls this disruption makes, with the values now in force."""
        out = []
        if self.kind == "station":
            tables = ("face1", "face2") if self.parameter == "processing_time" else ("transport",)
            for t in tables:
                for key in _station_keys(sim.net, t, self.target):
                    old = sim.table_value(t, key)
                    if self.factor is not None:
                        new = old * self.factor
                    else:
                        new = self.value if t != "face2" else 0
                    out.append(("table", t, key, new, old))
        elif self.kind in ("store", "place") and self.parameter == "capacity":
            old = sim.capacity(self.target)
            new = self.value if self.factor is None else int(round(old * self.factor))
            out.append(("capacity", self.target, None, int(new), old))
        elif self.kind == "store":   # lead_time
            old = sim.table_value("lead_days", self.target)
            new = old * self.factor if self.factor is not None else self.value
            out.append(("table", "lead_days", self.target, new, old))
        elif self.kind == "table":
            old = sim.table_value(self.target, self.key)
            new = old * self.factor if self.factor is not None else self.value
            out.append(("table", self.target, self.key, new, old))
        else:   # constant
            old = sim.constant(self.target)
            new = old * self.factor if self.factor is not None else self.value
            out.append(("constant", self.target, None, new, old))
        return out


def _station_keys(net, table: str, station: str) -> list:
    return [k for k in net.tables[table].rows if isinstance(k, tuple) and k[1] == station]


def _set(sim, what, name, key, value) -> None:
    if what == "table":
        sim.set_table_value(name, key, value)
    elif what == "capacity":
        sim.set_capacity(name, value)
    else:
        sim.set_constant(name, value)


@dataclass
class Window:
    """When a disruption was in force during a run (model time, s; end None = to the end)."""

    disruption: Disruption
    start: float | None = None
    end: float | None = None
    _undo: list = field(default_factory=list)

    def open(self, sim, at: float | None = None) -> None:
        if self.start is not None:
            return
        self.start = sim.clock if at is None else at
        self._undo = self.disruption.changes(sim)
        for what, name, key, new, _ in self._undo:
            _set(sim, what, name, key, new)

    def close(self, sim, at: float | None = None) -> None:
        if self.start is None or self.end is not None:
            return
        self.end = sim.clock if at is None else at
        for what, name, key, _, old in reversed(self._undo):
            _set(sim, what, name, key, old)

    def as_tuple(self) -> tuple:
        return (self.disruption.label, self.disruption.describe(), self.start, self.end)


@dataclass
class Scenario:
    """A named set of disruptions; ``ideal`` has none."""

    name: str
    description: str = ""
    disruptions: list[Disruption] = field(default_factory=list)
    thesis_days: dict = field(default_factory=dict)
    file: str | None = None

    def validate(self, net, orders=None) -> None:
        """Check every disruption against ``net`` (names, parameters, order numbers)."""
        orders = sorted(orders) if orders is not None else None
        for d in self.disruptions:
            where = f"{d.label} ({d.kind} {d.target!r})"
            if d.kind == "station":
                stations = sorted({k[1] for k in net.tables["face1"].rows if isinstance(k, tuple)})
                if d.target not in stations:
                    raise NetError(f"unknown station {d.target!r} (stations: {', '.join(stations)})",
                                   file=self.file, element=d.label)
            elif d.kind == "store":
                if d.target not in net.places or net.places[d.target].capacity is None:
                    from control.flowfactory.plant import STORES
                    raise NetError(f"unknown store {d.target!r} (stores: {', '.join(STORES)})",
                                   file=self.file, element=d.label)
                if d.parameter == "lead_time" and d.target not in net.tables["lead_days"].rows:
                    raise NetError(f"store {d.target!r} has no supplier, so no lead time "
                                   f"(suppliers deliver: {', '.join(net.tables['lead_days'].rows)})",
                                   file=self.file, element=where)
            elif d.kind == "place":
                if d.target not in net.places:
                    raise NetError(f"unknown place {d.target!r}", file=self.file, element=d.label)
                if net.places[d.target].capacity is None:
                    raise NetError(f"place {d.target!r} has no capacity to change",
                                   file=self.file, element=where)
            elif d.kind == "table":
                if d.target not in net.tables:
                    raise NetError(f"unknown table {d.target!r}", file=self.file, element=d.label)
                if d.key not in net.tables[d.target].rows:
                    raise NetError(f"table {d.target!r} has no row {d.key!r}", file=self.file,
                                   element=where)
            elif d.kind == "constant" and d.target not in net.constants:
                raise NetError(f"unknown constant {d.target!r}", file=self.file, element=d.label)
            elif d.kind == "constant" and _finite(net.constants[d.target]) and d.value is not None \
                    and not _finite(d.value):
                raise NetError(f"constant {d.target!r} holds a number; the value must be a finite "
                               f"number, got {d.value!r}", file=self.file, element=where)
            if d.window[0] == "orders" and orders is not None:
                lo, hi = d.window[1], d.window[2]
                if not any(lo <= o <= hi for o in orders):
                    raise NetError(f"orders [{lo}, {hi}]: no such order in the order list "
                                   f"({orders[0]}..{orders[-1]})", file=self.file, element=where)
        # two windows changing the same parameter must not overlap (undoing would clash)
        for i, a in enumerate(self.disruptions):
            for b in self.disruptions[i + 1:]:
                if (a.kind, a.target, a.parameter, a.key) == (b.kind, b.target, b.parameter, b.key) \
                        and a.window[0] == b.window[0] \
                        and a.window[1] <= b.window[2] and b.window[1] <= a.window[2]:
                    raise NetError(f"changes the same parameter as {a.label} in an overlapping "
                                   f"window", file=self.file, element=b.label)

    def relaxed(self, net):
        """A shallow copy of ``net`` whose tables and constants take, for every disrupted
        parameter, the smaller of its normal and disrupted value, and whose capacities the
        larger: what a lower bound valid for this scenario must assume."""
        import copy
        import dataclasses
        from petri.model import Table
        out = copy.copy(net)
        out.tables = dict(net.tables)
        out.constants = dict(net.constants)
        out.places = dict(net.places)

        class _View:    # enough of a simulator for Disruption.changes
            def __init__(self, n):
                self.net = n

            def table_value(self, t, k):
                return out.tables[t][k]

            def capacity(self, p):
                return net.places[p].capacity

            def constant(self, c):
                return out.constants[c]

        view = _View(out)
        for d in self.disruptions:
            for what, name, key, new, old in d.changes(view):
                if what == "table" and isinstance(new, (int, float)) and new < old:
                    t = out.tables[name]
                    out.tables[name] = Table(t.name, {**t.rows, key: new}, t.key, t.value, t.source)
                elif what == "constant" and isinstance(new, (int, float)) and new < old:
                    out.constants[name] = new
                elif what == "capacity" and new > (out.places[name].capacity or 0):
                    out.places[name] = dataclasses.replace(out.places[name], capacity=new)
        return out

    def attach(self, sim) -> list[Window]:
        """Watch the run: order windows open and close on release and packaging events."""
        self._windows = [Window(d) for d in self.disruptions]
        by_orders = [(w, set(range(w.disruption.window[1], w.disruption.window[2] + 1)))
                     for w in self._windows if w.disruption.window[0] == "orders"]
        if by_orders:
            present = sim.colours("backlog")
            by_orders = [(w, {o for o in os_ if o in present}) for w, os_ in by_orders]

            def observe(event):
                name = event.transition
                if name == "release":
                    o = event.binding["o"]
                    for w, members in by_orders:
                        if o in members:
                            w.open(sim)
                elif name == "package":
                    o = event.binding["o"]
                    for w, members in by_orders:
                        if o in members:
                            members.discard(o)
                            if not members:
                                w.close(sim)

            sim.add_observer(observe)
        return self._windows

    def run(self, sim):
        """Run to the end, opening and closing the time windows at their instants."""
        marks = sorted({(w.disruption.window[k], k, i) for i, w in enumerate(self._windows)
                        if w.disruption.window[0] == "time" for k in (1, 2)})
        total = None
        for t, k, i in marks:
            if t > sim.clock:           # a window from time 0 applies to the first firings
                r = sim.run(until=t)
                total = _add(total, r)
                if r.reason == "interrupted":
                    return total
            w = self._windows[i]
            w.open(sim, t) if k == 1 else w.close(sim, t)
        return _add(total, sim.run())


def _add(a, b):
    if a is None:
        return b
    from petri.engine import RunResult
    return RunResult(b.clock, a.firings + b.firings, a.wall_seconds + b.wall_seconds, b.reason,
                     b.finish)


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

def resolve_scenario(name_or_file: str) -> Path:
    """A scenario file: a path, or the name of one of the bundled scenarios."""
    p = Path(name_or_file)
    if p.suffix == ".toml" or p.exists():
        return p
    candidate = SCENARIO_DIR / f"{name_or_file}.toml"
    if candidate.exists():
        return candidate
    known = sorted(f.stem for f in SCENARIO_DIR.glob("*.toml"))
    raise NetError(f"unknown scenario {name_or_file!r} (bundled: {', '.join(known)}; or give a "
                   f".toml file)")


def load_scenario(path) -> Scenario:
    """Read and check a scenario file; errors name the file, the disruption and the problem."""
    path = Path(path)
    file = str(path)
    text = read_text(path, what="scenario file", kind="UTF-8 TOML")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise NetError(f"not valid TOML: {e}", file=file) from None
    except RecursionError:
        raise NetError("not valid TOML: arrays or tables nested too deeply", file=file) from None
    if not data:
        raise NetError("the file holds no scenario (it is empty or only comments; a scenario "
                       "has a [scenario] table and [[disruption]] tables)", file=file)
    unknown = set(data) - {"scenario", "disruption"}
    if unknown:
        raise NetError(f"unknown section(s) {', '.join(sorted(unknown))} (expected [scenario] "
                       f"and [[disruption]])", file=file)
    head = data.get("scenario", {})
    if not isinstance(head, dict):
        raise NetError("[scenario] must be a table", file=file)
    bad = set(head) - {"name", "description", "thesis_days"}
    if bad:
        raise NetError(f"unknown key(s) {', '.join(sorted(bad))} (expected name, description, "
                       f"thesis_days)", file=file, element="[scenario]")
    name = head.get("name", path.stem)
    if not isinstance(name, str) or not name:
        raise NetError("name must be a non-empty string", file=file, element="[scenario]")
    thesis = head.get("thesis_days", {})
    if not isinstance(thesis, dict) or not all(_finite(v) for v in thesis.values()):
        raise NetError("thesis_days must map controller names to numbers of days", file=file,
                       element="[scenario]")
    items = data.get("disruption", [])
    if not isinstance(items, list):
        raise NetError("disruptions are written [[disruption]]", file=file)
    disruptions = [_disruption(item, k, file) for k, item in enumerate(items, start=1)]
    return Scenario(name, str(head.get("description", "")), disruptions, dict(thesis), file)


def _disruption(item, k: int, file: str) -> Disruption:
    label = f"disruption {k}"
    if not isinstance(item, dict):
        raise NetError("must be a table", file=file, element=label)
    bad = set(item) - _KEYS
    if bad:
        raise NetError(f"unknown key(s) {', '.join(sorted(bad))}", file=file, element=label)
    kinds = [t for t in _TARGETS if t in item]
    if len(kinds) != 1:
        raise NetError(f"name exactly one of {', '.join(_TARGETS)} (what is disrupted)",
                       file=file, element=label)
    kind = kinds[0]
    target = item[kind]
    if not isinstance(target, str) or not target:
        raise NetError(f"{kind} must be a name", file=file, element=label)
    allowed = _PARAMETERS[kind]
    parameter = item.get("parameter", allowed[0] if len(allowed) == 1 else None)
    if parameter not in allowed:
        raise NetError(f"parameter must be one of {', '.join(allowed)} for a {kind}, got "
                       f"{parameter!r}", file=file, element=f"{label} ({kind} {target!r})")
    where = f"{label} ({kind} {target!r} {parameter})"
    if ("factor" in item) == ("value" in item):
        raise NetError("give either factor (multiplies the parameter) or value (replaces it)",
                       file=file, element=where)
    factor = item.get("factor")
    value = item.get("value")
    if factor is not None and (not _finite(factor) or factor <= 0):
        raise NetError(f"factor must be a finite number more than 0, got {factor!r}", file=file,
                       element=where)
    if value is not None:
        if isinstance(value, bool) or (kind != "constant" and not _finite(value)) \
                or (isinstance(value, float) and not math.isfinite(value)):
            raise NetError(f"value must be a finite number, got {value!r}", file=file,
                           element=where)
        if parameter == "capacity" and (not isinstance(value, int) or value < 0):
            raise NetError(f"a capacity is a whole number, 0 or more, got {value!r}", file=file,
                           element=where)
        if isinstance(value, (int, float)) and value < 0:
            raise NetError(f"value must not be negative, got {value!r}", file=file, element=where)
    key = item.get("key")
    if kind == "table":
        if key is None:
            raise NetError("a table disruption needs key (the row it changes)", file=file,
                           element=where)
        key = tuple(key) if isinstance(key, list) else key
    elif key is not None:
        raise NetError("key is only for table disruptions", file=file, element=where)
    windows = [w for w in _WINDOWS if w in item]
    if len(windows) != 1:
        raise NetError(f"give exactly one window: {', '.join(_WINDOWS)} = [first, last]",
                       file=file, element=where)
    w = windows[0]
    span = item[w]
    if not isinstance(span, list) or len(span) != 2 or not all(map(_finite, span)):
        raise NetError(f"{w} must be [first, last], two finite numbers, got {span!r}", file=file,
                       element=where)
    a, b = span
    if w == "orders":
        if not all(isinstance(x, int) for x in span) or a < 1:
            raise NetError(f"orders are order numbers (1, 2, ...), got {span!r}", file=file,
                           element=where)
        if a > b:
            raise NetError(f"orders [{a}, {b}]: the first is after the last", file=file,
                           element=where)
        window = ("orders", a, b)
    else:
        if a < 0 or a >= b:
            raise NetError(f"{w} [{a}, {b}]: need 0 <= start < end", file=file, element=where)
        scale = _WINDOWS[w]
        window = ("time", a * scale, b * scale)
    return Disruption(label, kind, target, parameter, factor, value, key, window)


def _finite(x) -> bool:
    """Whether ``x`` is a finite number (not a boolean, not inf or nan)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_scenario_file(path) -> str:
    """Read a scenario file and check it against the FlowFactory plant (for ``petri
    validate``); returns what it holds, raises ``NetError`` naming the problem."""
    from control.flowfactory.plant import load_plant, read_orders, DATA
    scenario = load_scenario(path)
    scenario.validate(load_plant(), read_orders(DATA / "orders.csv"))
    n = len(scenario.disruptions)
    return f"scenario {scenario.name!r}, {n} disruption{'s' * (n != 1)}, checked against the plant"

"""Event logs that other tools read: CSV and Parquet with JSON columns, XES and OCEL 2.0.

A run's event log (``Simulator.events``) holds one event per firing: step, time, transition,
binding, consumed and produced tokens. Here it is written for spreadsheets, data frames and
process-mining tools:

* ``write_table(events, "log.csv")`` (or ``.parquet``): one row per firing; ``binding`` is a
  JSON object, ``consumed`` and ``produced`` are JSON lists of ``[place, colour, time]``
  (tuples become JSON arrays, the black token ``[]``).
* ``write_xes(events, "log.xes", case="p")``: IEEE XES; one trace per *case*, the value of a
  binding variable (``p``) or of a field of a tuple-valued variable (``job[0]``). Firings
  whose binding has no such variable belong to no case and are left out.
* ``write_ocel(events, "log.json", objects=["p", "m"])``: OCEL 2.0 JSON; every firing is an
  event related to one object per named variable (the object type is the variable's name, its
  id ``name:value``).

Files are written atomically (``petri.files.output``); ``force=False`` refuses to overwrite.
Model time is written as a date: ``start`` plus the time in seconds (``unit`` seconds per
model time unit); the model time itself is kept as the attribute ``petri:time``.

>>> from petri import Net
>>> from petri.engine import Simulator
>>> net = Net()
>>> _ = net.add_place("raw", "str", initial=["a"])
>>> _ = net.add_transition("make", inputs=[("raw", "p")], outputs=[("done", "p")])
>>> _ = net.add_place("done", "str")
>>> sim = Simulator(net); _ = sim.run()
>>> rows(sim.events)[0]["binding"]
'{"p": "a"}'
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from pathlib import Path
from typing import Any, Callable, Iterable
from xml.sax.saxutils import quoteattr

from .errors import CommandError, NetError

__all__ = ["rows", "write_table", "write_xes", "write_ocel", "case_key", "FORMATS"]

#: file suffix -> what ``petri simulate --events`` writes
FORMATS = {".csv": "CSV", ".parquet": "Parquet", ".xes": "XES", ".json": "OCEL 2.0 JSON"}
EPOCH = "1970-01-01T00:00:00+00:00"


def _json_value(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_json_value(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return repr(v)


def _tokens(tokens: Iterable) -> str:
    return json.dumps([[p, _json_value(c), t] for p, c, t in tokens], ensure_ascii=False)


def rows(events) -> list[dict]:
    """The log as flat rows: step, time, transition, and JSON text for the rest."""
    return [{"step": e.step, "time": e.time, "transition": e.transition,
             "binding": json.dumps({k: _json_value(v) for k, v in e.binding.items()},
                                   ensure_ascii=False),
             "consumed": _tokens(e.consumed), "produced": _tokens(e.produced)} for e in events]


def _write(path, write: Callable[[str], None], force: bool) -> None:
    """Write through a temporary file beside ``path``, renamed into place (``petri.files``)."""
    from .files import output
    with output(path, force=force) as tmp:
        write(tmp)


def write_table(events, path, parquet: bool | None = None, force: bool = True) -> None:
    """CSV, or Parquet (needs pyarrow) with JSON columns; ``parquet=None``: Parquet when
    ``path`` ends in ``.parquet``. ``path`` may also be an open file or buffer."""
    import pandas as pd
    frame = pd.DataFrame(rows(events), columns=["step", "time", "transition", "binding",
                                                "consumed", "produced"])
    if hasattr(path, "write"):      # an open file or buffer: written as it is
        if parquet:
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        return
    if parquet is None:
        parquet = Path(path).suffix.lower() == ".parquet"
    if parquet:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise NetError("writing Parquet needs pyarrow (pip install pyarrow)") from None
        _write(path, lambda tmp: frame.to_parquet(tmp, index=False), force)
    else:
        _write(path, lambda tmp: frame.to_csv(tmp, index=False), force)


# ---------------------------------------------------------------------------------------------
# Case and object notions
# ---------------------------------------------------------------------------------------------

_NOTION = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)((?:\[\d+\])*)$")


def case_key(notion: str) -> Callable[[dict], Any]:
    """A function of a binding giving its case: ``"p"`` is variable ``p``, ``"job[0]"`` the
    first field of the tuple bound to ``job``. It returns ``None`` when the binding has no such
    variable or field."""
    m = _NOTION.match(notion.strip()) if isinstance(notion, str) else None
    if m is None:
        raise CommandError(f"case or object {notion!r}: expected a variable name, or a field of "
                           f"one such as job[0]")
    name, fields = m.group(1), [int(x) for x in re.findall(r"\d+", m.group(2))]

    def key(binding: dict):
        if name not in binding:
            return None
        v = binding[name]
        for i in fields:
            if not isinstance(v, tuple) or i >= len(v):
                return None
            v = v[i]
        return v
    key.notion = notion.strip()
    return key


def _text(v: Any) -> str:
    """A case or object value as text: strings as they are, anything else as JSON."""
    return v if isinstance(v, str) else json.dumps(_json_value(v), ensure_ascii=False)


def _stamp(time: float, start: _dt.datetime, unit: float) -> str:
    return (start + _dt.timedelta(seconds=float(time) * unit)).isoformat(timespec="milliseconds")


def _start(start: str | None) -> _dt.datetime:
    try:
        d = _dt.datetime.fromisoformat(start or EPOCH)
    except ValueError:
        raise CommandError(f"start {start!r}: expected an ISO date and time such as "
                           f"2025-01-31T06:00:00") from None
    return d if d.tzinfo else d.replace(tzinfo=_dt.timezone.utc)


def _check_unit(unit: float) -> float:
    if not (isinstance(unit, (int, float)) and unit > 0 and unit != float("inf")):
        raise CommandError(f"time unit must be a positive number of seconds, got {unit!r}")
    return float(unit)


# ---------------------------------------------------------------------------------------------
# XES
# ---------------------------------------------------------------------------------------------

def write_xes(events, path, case: str, start: str | None = None, unit: float = 1.0,
              force: bool = True) -> int:
    """Write an XES log with one trace per case; returns the number of traces."""
    key = case_key(case)
    t0, unit = _start(start), _check_unit(unit)
    traces: dict[str, list] = {}
    for e in events:
        c = key(e.binding)
        if c is not None:
            traces.setdefault(_text(c), []).append(e)
    q = quoteattr
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<log xes.version="1.0" xes.features="nested-attributes" '
           'xmlns="http://www.xes-standard.org/">',
           '  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>',
           '  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>',
           '  <extension name="Lifecycle" prefix="lifecycle" '
           'uri="http://www.xes-standard.org/lifecycle.xesext"/>',
           '  <global scope="trace"><string key="concept:name" value="UNKNOWN"/></global>',
           '  <global scope="event"><string key="concept:name" value="UNKNOWN"/>'
           f'<date key="time:timestamp" value={q(_stamp(0, t0, unit))}/></global>',
           '  <classifier name="Transition" keys="concept:name"/>',
           f'  <string key="concept:name" value={q("petri event log, case " + key.notion)}/>']
    for name, evs in traces.items():
        out.append(f'  <trace>\n    <string key="concept:name" value={q(name)}/>')
        for e in evs:
            out.append("    <event>")
            out.append(f'      <string key="concept:name" value={q(e.transition)}/>')
            out.append('      <string key="lifecycle:transition" value="complete"/>')
            out.append(f'      <date key="time:timestamp" value={q(_stamp(e.time, t0, unit))}/>')
            out.append(f'      <float key="petri:time" value="{float(e.time)!r}"/>')
            out.append(f'      <int key="petri:step" value="{e.step}"/>')
            for var, v in e.binding.items():
                out.append(f'      <string key={q("petri:" + var)} value={q(_text(v))}/>')
            out.append("    </event>")
        out.append("  </trace>")
    out.append("</log>\n")
    text = "\n".join(out)

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
    _write(path, write, force)
    return len(traces)


# ---------------------------------------------------------------------------------------------
# OCEL 2.0
# ---------------------------------------------------------------------------------------------

def ocel(events, objects: Iterable[str], start: str | None = None, unit: float = 1.0) -> dict:
    """The log as an OCEL 2.0 JSON document (a dict): each named variable (or field) is an
    object type; each firing is an event of its transition's type, related to its objects."""
    keys = [case_key(o) for o in objects]
    if not keys:
        raise CommandError("OCEL needs at least one object notion (a variable name)")
    t0, unit = _start(start), _check_unit(unit)
    types = [k.notion for k in keys]
    seen: dict[str, dict] = {}
    out_events, event_types = [], {}
    for e in events:
        rel = []
        for k in keys:
            v = k(e.binding)
            if v is None:
                continue
            oid = f"{k.notion}:{_text(v)}"
            if oid not in seen:
                seen[oid] = {"id": oid, "type": k.notion, "attributes": [
                    {"name": "value", "time": _stamp(0, t0, unit), "value": _text(v)}]}
            rel.append({"objectId": oid, "qualifier": k.notion})
        event_types.setdefault(e.transition, sorted(e.binding))
        out_events.append({
            "id": f"e{e.step}", "type": e.transition, "time": _stamp(e.time, t0, unit),
            "attributes": [{"name": "petri:time", "value": e.time}] + [
                {"name": var, "value": _text(v)} for var, v in e.binding.items()],
            "relationships": rel})
    return {
        "objectTypes": [{"name": t, "attributes": [{"name": "value", "type": "string"}]}
                        for t in types],
        "eventTypes": [{"name": name, "attributes": [{"name": "petri:time", "type": "float"}] + [
            {"name": v, "type": "string"} for v in variables]}
            for name, variables in event_types.items()],
        "objects": list(seen.values()),
        "events": out_events,
    }


def write_ocel(events, path, objects: Iterable[str], start: str | None = None,
               unit: float = 1.0, force: bool = True) -> int:
    """Write an OCEL 2.0 JSON log; returns the number of objects."""
    doc = ocel(events, objects, start, unit)

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
            f.write("\n")
    _write(path, write, force)
    return len(doc["objects"])

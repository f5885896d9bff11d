"""Net files in TOML (docs/net-format.md): ``load``/``loads`` read them, ``dump``/``dumps`` write.

Several files loaded together are fused: places of the same name become one place (like
fusion places in CPN Tools), declarations of the same name must agree, and a transition
belongs to one file only. Reading never runs code: inscriptions stay text, checked by
``petri.check``; tables come from CSV files read with pandas.

>>> net = loads('''
... [places.raw]
... initial = 2
... [transitions.work]
... inputs = ["raw"]
... outputs = ["raw"]
... ''')
>>> net.places["raw"].initial_count()
2
"""
from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
import re
import tomllib
from pathlib import Path

import pandas as pd

from ..check import check_net, close_match, combine_errors, is_position
from ..files import (check_output, inside, output, read_bytes, read_text,
                     write_output)
from ..model import (BUILTIN_COLOUR_SETS, DOT, ColourSet, InputArc, Net, NetError, OutputArc,
                     Place, Table, Token, Transition, multiset)

__all__ = ["KEYS", "load", "loads", "load_with_errors", "check_files", "dump", "dumps"]

#: The keys each part of a file accepts (the JSON schema lists the same).
KEYS = {
    "top-level": ("net", "colours", "variables", "constants", "tables", "places", "transitions"),
    "net": ("name", "description"),
    "colour set": ("type", "enum", "values", "product", "components", "int", "min", "max",
                   "timed"),
    "table": ("file", "key", "value"),
    "place": ("colour", "initial", "capacity", "description", "position"),
    "token": ("colour", "count", "time"),
    "transition": ("guard", "delay", "priority", "order", "controllable", "description", "position",
                   "inputs", "reads", "inhibitors", "outputs"),
    "input arc": ("place", "inscription", "weight"),
    "output arc": ("place", "inscription", "weight", "delay"),
}

# which keys of the general colour set form go with which type
_KIND_KEYS = {"enum": ("values",), "product": ("components",), "int": ("min", "max")}
_ARC_LISTS = (("inputs", "normal", "input arc"), ("reads", "read", "read arc"),
              ("inhibitors", "inhibitor", "inhibitor arc"))
_TEXT, _EXPRESSION = "text", "an expression (text or a number)"
_COLUMN = re.compile(r"[\w][\w .\-]{0,39}")
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NOT_FINITE = re.compile(r"[+-]?(inf|infinity|nan)", re.IGNORECASE)
_BOOL = {"True": True, "False": False, "TRUE": True, "FALSE": False, "true": True, "false": False}


def _column_values(cells: list[str]) -> list:
    """A CSV column's cells as one type for the whole column: integers, finite numbers,
    booleans, else text (so a product called ``INF`` or ``NA`` stays the text it is)."""
    filled = [c for c in cells if c is not None]
    if filled and all(_INT.fullmatch(c) for c in filled):
        return [None if c is None else int(c) for c in cells]
    if filled and all(_INT.fullmatch(c) or _FLOAT.fullmatch(c) for c in filled):
        return [None if c is None else float(c) for c in cells]
    if filled and all(c in _BOOL for c in filled):
        return [None if c is None else _BOOL[c] for c in cells]
    return cells


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

def load(*paths, check: bool = True, allow_outside: bool = False) -> Net:
    """Load one net from one or more files, fusing places of the same name.

    Raises ``NetError`` for the first problem (saying how many more there are). CSV tables
    must lie in the folder of the file that names them (or below it) unless
    ``allow_outside`` is set.
    """
    net, problems = load_with_errors(*paths, check=check, allow_outside=allow_outside)
    if problems:
        raise combine_errors(problems)
    return net


def loads(text: str, path: str = "<string>", check: bool = True,
          allow_outside: bool = False) -> Net:
    """Load a net from TOML text; ``path`` names it in messages and anchors CSV paths."""
    net, problems = _finish([_read_text(text, path, allow_outside)], check)
    if problems:
        raise combine_errors(problems)
    return net


def check_files(*paths) -> list[NetError]:
    """Every problem of the net the files make together (empty when it is valid)."""
    return load_with_errors(*paths)[1]


def load_with_errors(*paths, check: bool = True, allow_outside: bool = False
                     ) -> tuple[Net | None, list[NetError]]:
    """The fused net and every problem found; the net is None if a file could not be read.

    Problems of form (syntax, keys, types, tables, fusion) are reported for every file; when
    there are none, the semantic checks of ``petri.check`` follow.
    """
    if not paths:
        return None, [NetError("no net file given")]
    parts, seen = [], set()
    for path in map(os.fspath, paths):
        if os.path.realpath(path) in seen:
            continue
        seen.add(os.path.realpath(path))
        try:
            text = _read_file(path)
        except NetError as e:
            parts.append((None, [e]))
            continue
        parts.append(_read_text(text, path, allow_outside))
    return _finish(parts, check)


def _read_file(path: str) -> str:
    return read_text(path, what="net file", kind="UTF-8 TOML")


def _read_text(text: str, path: str, allow_outside: bool = False
               ) -> tuple[Net | None, list[NetError]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return None, [NetError(f"malformed TOML: {e}", file=path)]
    except RecursionError:
        return None, [NetError("malformed TOML: arrays or tables nested too deeply", file=path)]
    if not data:
        return None, [NetError("the file holds no net (it is empty or only comments)", file=path)]
    reader = _Reader(path, allow_outside)
    return reader.read(data), reader.errors


def _finish(parts: list[tuple[Net | None, list[NetError]]], check: bool
            ) -> tuple[Net | None, list[NetError]]:
    problems = [e for _, errors in parts for e in errors]
    nets = [net for net, _ in parts]
    if any(net is None for net in nets):
        return None, problems
    net = nets[0] if len(nets) == 1 else _fuse(nets, problems)
    if check and not problems:
        problems = check_net(net)
    return net, problems


def _show(value) -> str:
    """A value from a file, shown in a message."""
    if isinstance(value, dict):
        return "a table"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _token_value(value):
    """A token value from TOML: arrays become tuples; tables and dates are no values."""
    if isinstance(value, list):
        return tuple(_token_value(v) for v in value)
    if isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(value)


class _Reader:
    """Reads one parsed file into a Net, collecting every problem of form."""

    def __init__(self, path: str, allow_outside: bool = False):
        self.path = path
        self.allow_outside = allow_outside
        self.errors: list[NetError] = []

    def error(self, message: str, element: str | None = None) -> None:
        self.errors.append(NetError(message, file=self.path, element=element))

    def keys(self, data: dict, allowed, element: str | None, what: str = "key") -> None:
        for key in data:
            if key not in allowed:
                match = close_match(key, allowed)
                hint = f"; did you mean {match!r}?" if match else ""
                self.error(f"unknown {what} {key!r} (allowed: {', '.join(allowed)}{hint})",
                           element)

    def field(self, data: dict, key: str, types: tuple, what: str, element: str | None,
              default=None):
        """``data[key]`` if it has one of ``types``, else ``default`` (and a problem)."""
        if key not in data:
            return default
        value = data[key]
        if isinstance(value, types) and (bool in types or not isinstance(value, bool)):
            return value
        self.error(f"{key} must be {what}, got {_show(value)}", element)
        return default

    def section(self, data: dict, key: str) -> dict:
        value = data.get(key, {})
        if isinstance(value, dict):
            return value
        self.error(f"[{key}] must be a table, got {_show(value)}")
        return {}

    def position(self, data: dict, element: str) -> tuple[float, float] | None:
        """``position = [x, y]``: where editors draw the node (PNML coordinates)."""
        raw = self.field(data, "position", (list,), "two numbers [x, y]", element)
        if raw is None:
            return None
        if not is_position(raw):
            self.error(f"position must be two numbers [x, y], got {_show(raw)}", element)
            return None
        return (float(raw[0]), float(raw[1]))

    def value(self, raw, what: str, element: str):
        try:
            return _token_value(raw)
        except TypeError:
            self.error(f"{what} must be text, a number, true/false or an array of these, got "
                       f"{_show(raw)}", element)
            return None

    # -- the file -------------------------------------------------------------------------------
    def read(self, data: dict) -> Net:
        self.keys(data, KEYS["top-level"], None, "top-level key")
        info = self.section(data, "net")
        self.keys(info, KEYS["net"], "net")
        stem = "net" if self.path.startswith("<") else Path(self.path).stem
        net = Net(self.field(info, "name", (str,), _TEXT, "net", stem),
                  self.field(info, "description", (str,), _TEXT, "net", ""))
        if "name" in info:
            net.origin["net"] = self.path
        readers = (("colours", "colour set", self.colour_set, net.colour_sets),
                   ("variables", "variable", self.variable, net.variables),
                   ("constants", "constant", self.constant, net.constants),
                   ("tables", "table", self.table, net.tables),
                   ("places", "place", self.place, net.places),
                   ("transitions", "transition", self.transition, net.transitions))
        for section, noun, read, into in readers:
            for name, spec in self.section(data, section).items():
                element = f"{noun} {name!r}"
                if not name:
                    self.error(f"a {noun} needs a non-empty name", f"[{section}]")
                    continue
                value = read(name, spec, element)
                if value is not None:
                    into[name] = value
                    net.origin[f"{noun} {name}"] = self.path
        return net

    # -- declarations -----------------------------------------------------------------------------
    def colour_set(self, name: str, spec, element: str) -> ColourSet | None:
        if isinstance(spec, list):
            return self.make_colour_set(element, name, "enum", values=self.values(spec, element))
        if isinstance(spec, str):
            if spec in BUILTIN_COLOUR_SETS:
                return ColourSet(name, spec)
            self.error(f"a colour set given as text must name a builtin "
                       f"({', '.join(BUILTIN_COLOUR_SETS)}), got {spec!r}; an enumeration is a "
                       f"list", element)
            return None
        if not isinstance(spec, dict):
            self.error(f"a colour set must be a list (an enumeration), the name of a builtin or "
                       f"a table, got {_show(spec)}", element)
            return None
        self.keys(spec, KEYS["colour set"], element)
        forms = [k for k in ("type", "enum", "product", "int") if k in spec]
        if len(forms) != 1:
            self.error("a colour set table needs exactly one of type, enum, product, int", element)
            return None
        form = forms[0]
        kind = self.field(spec, "type", (str,), _TEXT, element) if form == "type" else form
        if kind not in ColourSet.KINDS:
            if kind is not None:
                self.error(f"unknown type {kind!r} (allowed: {', '.join(ColourSet.KINDS)})",
                           element)
            return None
        fitting = ("type", "timed") + _KIND_KEYS.get(kind, ()) if form == "type" else (form, "timed")
        for key in spec:
            if key in KEYS["colour set"] and key not in fitting:
                self.error(f"{key} does not go with {form} = ... (allowed: {', '.join(fitting)})",
                           element)
        timed = self.field(spec, "timed", (bool,), "true or false", element, False)
        values, components, low, high = (), (), None, None
        if kind == "enum":
            raw = self.field(spec, form if form == "enum" else "values", (list,), "a list",
                             element, [])
            values = self.values(raw, element)
        elif kind == "product":
            raw = self.field(spec, form if form == "product" else "components", (list,),
                             "a list of colour set names", element, [])
            components = tuple(c for c in raw if isinstance(c, str))
            if len(components) != len(raw):
                self.error("components must be colour set names (text)", element)
        elif kind == "int" and form == "int":
            bounds = spec["int"]
            if (isinstance(bounds, list) and len(bounds) == 2
                    and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)):
                low, high = bounds
            else:
                self.error(f"int must be a list [low, high] of two integers, got {_show(bounds)}",
                           element)
        elif kind == "int":
            low = self.field(spec, "min", (int,), "an integer", element)
            high = self.field(spec, "max", (int,), "an integer", element)
        return self.make_colour_set(element, name, kind, values=values, components=components,
                                    low=low, high=high, timed=timed)

    def values(self, raw: list, element: str) -> tuple:
        values = tuple(self.value(v, "a value", element) for v in raw)
        return tuple(v for v in values if v is not None)

    def make_colour_set(self, element: str, name: str, kind: str, **fields) -> ColourSet | None:
        try:
            return ColourSet(name, kind, **fields)
        except NetError as e:  # an empty enumeration, a value twice, a one-component product
            self.error(e.reason, element)
            return None

    def variable(self, name: str, spec, element: str) -> str | None:
        if isinstance(spec, str):
            return spec
        self.error(f"a variable is declared with the name of its colour set (text), got "
                   f"{_show(spec)}", element)
        return None

    def constant(self, name: str, spec, element: str):
        return self.value(spec, "a constant", element)

    def table(self, name: str, spec, element: str) -> Table | None:
        if not isinstance(spec, dict):
            self.error(f"a table must be a TOML table with keys {', '.join(KEYS['table'])}, got "
                       f"{_show(spec)}", element)
            return None
        self.keys(spec, KEYS["table"], element)
        missing = [k for k in KEYS["table"] if k not in spec]
        if missing:
            self.error(f"a table needs {', '.join(missing)}", element)
        file = self.field(spec, "file", (str,), "a CSV file path (text)", element)
        key = self.field(spec, "key", (str, list), "a column name or a list of them", element)
        value = self.field(spec, "value", (str,), "a column name (text)", element)
        key = (key,) if isinstance(key, str) else key
        if key is not None and (not key or not all(isinstance(k, str) for k in key)):
            self.error(f"key must be a column name or a list of them, got {_show(key)}", element)
            key = None
        if file is None or key is None or value is None:
            return None
        rows = self.read_csv(file, tuple(key), value, element)
        return None if rows is None else Table(name, rows, tuple(key), value, file)

    def read_csv(self, file: str, key: tuple, value: str, element: str) -> dict | None:
        """The rows of a CSV table: key (a scalar, or a tuple for several columns) -> value."""
        name = f"CSV file {file!r}"
        try:
            path = inside(os.path.dirname(self.path), file, allow_outside=self.allow_outside,
                          what="CSV file", file=self.path, element=element)
        except NetError as e:
            self.errors.append(e)
            return None
        try:
            data = read_bytes(path, what="CSV file")
        except NetError as e:
            if e.reason == "no such file":
                self.error(f"{name} not found (looked for {path})", element)
            else:
                self.error(f"{name}: {e.reason}", element)
            return None
        try:
            frame = pd.read_csv(io.BytesIO(data), keep_default_na=False, na_values=[""],
                                skipinitialspace=True, dtype=str)
        except pd.errors.EmptyDataError:
            self.error(f"{name} is empty", element)
            return None
        except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as e:
            # the first line of pandas' message only: it says where, never a line of the file
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            self.error(f"cannot read {name}: {reason}", element)
            return None
        missing = [c for c in (*key, value) if c not in frame.columns]
        if missing:
            # name the columns only if the header looks like one: never echo another file
            header = [str(c) for c in frame.columns]
            shown = (f"columns: {', '.join(header)}"
                     if len(header) <= 30 and all(_COLUMN.fullmatch(c) for c in header)
                     else "its first line is not a header of column names")
            for column in missing:
                self.error(f"{name} has no column {column!r} ({shown})", element)
            return None
        if frame.empty:
            self.error(f"{name} is empty: it has a header but no rows", element)
            return None
        text = [[None if pd.isna(c) else c.strip() for c in frame[c].tolist()]
                for c in (*key, value)]
        numeric = [c for c in text[-1] if c is not None and not _NOT_FINITE.fullmatch(c)]
        if numeric and all(_INT.fullmatch(c) or _FLOAT.fullmatch(c) for c in numeric):
            bad = [(i + 2, c) for i, c in enumerate(text[-1])
                   if c is not None and _NOT_FINITE.fullmatch(c)]
            for line, c in bad:
                self.error(f"{name} line {line}: {value} must be a finite number, not {c!r}",
                           element)
            if bad:
                return None
        columns = [_column_values(cells) for cells in text]
        rows, lines = {}, {}
        for i, cells in enumerate(zip(*columns)):
            line = i + 2  # the header is line 1
            if any(c is None for c in cells):
                self.error(f"{name} line {line}: empty cell", element)
                continue
            row_key = cells[0] if len(key) == 1 else tuple(cells[:-1])
            if row_key in rows:
                self.error(f"{name} has key {row_key!r} twice: lines {lines[row_key]} and {line}",
                           element)
                continue
            rows[row_key], lines[row_key] = cells[-1], line
        return rows

    # -- places and transitions --------------------------------------------------------------------
    def place(self, name: str, spec, element: str) -> Place | None:
        if not isinstance(spec, dict):
            self.error(f"a place must be a table with keys {', '.join(KEYS['place'])}, got "
                       f"{_show(spec)}", element)
            return None
        self.keys(spec, KEYS["place"], element)
        return Place(name,
                     self.field(spec, "colour", (str,), "the name of a colour set", element, "dot"),
                     self.initial(spec.get("initial"), element),
                     self.field(spec, "capacity", (int,), "an integer", element),
                     self.field(spec, "description", (str,), _TEXT, element, ""),
                     self.position(spec, element))

    def initial(self, raw, element: str) -> list[Token]:
        if raw is None:
            return []
        if isinstance(raw, int) and not isinstance(raw, bool):
            if raw < 0:
                self.error(f"initial as a number counts black tokens and cannot be negative, got "
                           f"{raw}", element)
            return [Token(DOT, raw)] if raw > 0 else []
        if not isinstance(raw, list):
            self.error(f"initial must be a count of black tokens or a list of tokens, got "
                       f"{_show(raw)}", element)
            return []
        tokens = []
        for i, item in enumerate(raw, 1):
            what = f"initial token {i}"
            if not isinstance(item, dict):
                value = self.value(item, what, element)
                if value is not None:
                    tokens.append(Token(value))
                continue
            self.keys(item, KEYS["token"], f"{element}: {what}")
            value = self.value(item.get("colour", []), f"{what}: colour", element)
            count = self.field(item, "count", (int,), "an integer", f"{element}: {what}", 1)
            time = self.field(item, "time", (int, float), "a number", f"{element}: {what}", 0)
            if value is not None:
                tokens.append(Token(value, count, time))
        return tokens

    def transition(self, name: str, spec, element: str) -> Transition | None:
        if not isinstance(spec, dict):
            self.error(f"a transition must be a table with keys "
                       f"{', '.join(KEYS['transition'])}, got {_show(spec)}", element)
            return None
        self.keys(spec, KEYS["transition"], element)
        t = Transition(name,
                       self.field(spec, "guard", (str,), "an expression (text)", element),
                       self.field(spec, "delay", (str, int, float), _EXPRESSION, element, 0),
                       self.field(spec, "priority", (int,), "an integer", element, 0),
                       self.field(spec, "controllable", (bool,), "true or false", element, False),
                       description=self.field(spec, "description", (str,), _TEXT, element, ""),
                       position=self.position(spec, element),
                       order=self.field(spec, "order", (str,), "an expression (text)", element))
        for key, kind, noun in _ARC_LISTS:
            arcs = self.field(spec, key, (list,), "a list of arcs", element, [])
            for i, arc in enumerate(arcs, 1):
                arc = self.arc(arc, KEYS["input arc"], f"{element}: {noun} {i}")
                if arc:
                    t.inputs.append(InputArc(arc["place"], arc.get("inscription"),
                                             arc.get("weight", 1), kind))
        for i, arc in enumerate(self.field(spec, "outputs", (list,), "a list of arcs", element,
                                           []), 1):
            arc = self.arc(arc, KEYS["output arc"], f"{element}: output arc {i}")
            if arc:
                t.outputs.append(OutputArc(arc["place"], arc.get("inscription"),
                                           arc.get("weight", 1), arc.get("delay")))
        return t

    def arc(self, spec, allowed: tuple, element: str) -> dict | None:
        """An arc's keys after checking them: a plain place name is an arc of one black token."""
        if isinstance(spec, str):
            return {"place": spec}
        if not isinstance(spec, dict):
            self.error(f"an arc must be a place name or a table with keys {', '.join(allowed)}, "
                       f"got {_show(spec)}", element)
            return None
        self.keys(spec, allowed, element)
        if "place" not in spec:
            self.error("an arc needs a place", element)
            return None
        output = "delay" in allowed
        arc = {"place": self.field(spec, "place", (str,), "a place name (text)", element)}
        types = {"inscription": ((str, int, float), _EXPRESSION),
                 "weight": ((int, str), "an integer or an expression (text)") if output
                 else ((int,), "an integer"),
                 "delay": ((str, int, float), _EXPRESSION)}
        for key in allowed[1:]:
            if key in spec:
                arc[key] = self.field(spec, key, types[key][0], types[key][1], element)
        if any(v is None for v in arc.values()):
            return None
        return arc


# ---------------------------------------------------------------------------------------------
# Fusion
# ---------------------------------------------------------------------------------------------

def _same(a, b) -> bool:
    if isinstance(a, Table):
        return (a.rows, a.key, a.value) == (b.rows, b.key, b.value)
    return type(a) is type(b) and a == b


def _fuse(nets: list[Net], problems: list[NetError]) -> Net:
    """One net from the nets of several files; conflicts are added to ``problems``."""
    named = [n for n in nets if "net" in n.origin] or nets
    net = Net(named[0].name, next((n.description for n in nets if n.description), ""))
    if "net" in named[0].origin:
        net.origin["net"] = named[0].origin["net"]
    for part in nets:
        for attr, noun in (("colour_sets", "colour set"), ("variables", "variable"),
                           ("constants", "constant"), ("tables", "table")):
            into = getattr(net, attr)
            for name, value in getattr(part, attr).items():
                key = f"{noun} {name}"
                if name not in into:
                    into[name], net.origin[key] = value, part.origin[key]
                elif not _same(into[name], value):
                    problems.append(NetError(
                        f"defined differently in {net.origin[key]} and {part.origin[key]}",
                        file=part.origin[key], element=f"{noun} {name!r}"))
        for name, place in part.places.items():
            _fuse_place(net, place, part.origin[f"place {name}"], problems)
        for name, t in part.transitions.items():
            key = f"transition {name}"
            if name in net.transitions:
                problems.append(NetError(f"defined in both {net.origin[key]} and {part.origin[key]}",
                                         file=part.origin[key], element=f"transition {name!r}"))
            else:
                net.transitions[name], net.origin[key] = t, part.origin[key]
    return net


def _fuse_place(net: Net, place: Place, file: str, problems: list[NetError]) -> None:
    """Fuse ``place`` (from ``file``) into the place of the same name in ``net``."""
    key, element = f"place {place.name}", f"place {place.name!r}"
    old = net.places.get(place.name)
    if old is None:
        net.places[place.name], net.origin[key] = place, file
        return
    first = net.origin[key]
    if old.colour != place.colour:
        problems.append(NetError(f"fused place has colour set {old.colour!r} in {first} but "
                                 f"{place.colour!r} in {file}", file=file, element=element))
    if old.capacity is not None and place.capacity is not None and old.capacity != place.capacity:
        problems.append(NetError(f"fused place has capacity {old.capacity} in {first} but "
                                 f"{place.capacity} in {file}", file=file, element=element))
    elif old.capacity is None:
        old.capacity = place.capacity
    if old.initial and place.initial and multiset(old.initial) != multiset(place.initial):
        problems.append(NetError(f"fused place has different initial markings in {first} and "
                                 f"{file} (give it in one file only)", file=file, element=element))
    elif place.initial and not old.initial:
        old.initial, net.origin[key] = place.initial, file
    old.description = old.description or place.description
    if old.position is None:  # drawn where the first file that places it says
        old.position = place.position


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def dumps(net: Net, path=None) -> str:
    """The net as TOML text; ``path`` is where it will be saved (CSV paths are made relative
    to it). Every table must have a ``source`` CSV file: ``dump`` writes the others."""
    return _Writer(net, path, {}).text()


def dump(net: Net, path, *, force: bool = True, inputs=()) -> None:
    """Write the net to ``path`` and its tables as CSV files beside it.

    A table keeps its CSV file name when that is a plain path inside the output's folder
    (``data/times.csv``), else it is written as ``<stem>.<table>.csv``; a table read from the
    very file it would be written to is left as it is. Every file is written atomically, never
    through a symbolic link, over an existing file only with ``force``, never over ``inputs``.
    """
    path = os.fspath(path)
    folder = os.path.dirname(path)
    files = {name: _csv_name(net, t, path) for name, t in net.tables.items()}
    writes = {}
    for name, file in files.items():
        target = os.path.join(folder, file)
        if os.path.realpath(target) != _table_origin(net, net.tables[name]):
            writes[name] = target
    text = _Writer(net, path, files).text()
    for target in (*writes.values(), path):
        check_output(target, force=force, inputs=inputs)
    for name, target in writes.items():
        _write_csv(net.tables[name], target, force, inputs)
    write_output(path, text, force=force, inputs=inputs)


_SAFE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


def _csv_name(net: Net, table: Table, path: str) -> str:
    """The CSV file of ``table`` relative to the TOML file ``path`` that ``dump`` writes."""
    source = (table.source or "").replace("\\", "/")
    parts = source.split("/")
    if (source.lower().endswith(".csv") and all(_SAFE_PART.fullmatch(p) for p in parts)
            and ".." not in parts):
        return source
    if not _SAFE_PART.fullmatch(table.name):
        raise NetError("the table's name cannot name a CSV file (use letters, digits and _)",
                       element=f"table {table.name!r}")
    return f"{Path(path).stem}.{table.name}.csv"


def _table_origin(net: Net, table: Table) -> str | None:
    """The real path of the CSV file ``table`` was read from, if it was read from one."""
    origin = net.origin.get(f"table {table.name}")
    if not table.source or not origin or origin.startswith("<"):
        return None
    return os.path.realpath(os.path.join(os.path.dirname(origin), table.source))


def _columns(table: Table) -> tuple[tuple[str, ...], str]:
    """The key and value column names of a table (made up for tables built without them)."""
    key = table.key
    if not key:
        first = next(iter(table.rows), None)
        width = len(first) if isinstance(first, tuple) else 1
        key = ("key",) if width == 1 else tuple(f"key{i}" for i in range(1, width + 1))
    return tuple(key), table.value or "value"


def _write_csv(table: Table, path: str, force: bool, inputs) -> None:
    key, value = _columns(table)
    with output(path, force=force, inputs=inputs) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow([*key, value])
            for k, v in table.rows.items():
                writer.writerow([*(k if len(key) > 1 else (k,)), v])


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else _toml(name)


def _toml(value) -> str:
    """A value as TOML: text, numbers, booleans, tuples/lists (arrays) and dicts (inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):  # JSON string escapes are TOML basic string escapes
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise NetError(f"cannot write {value!r} in TOML (only text, numbers, booleans and tuples)")


def _array(items: list) -> str:
    """A TOML array, one item a line when it does not fit on one."""
    one_line = _toml(items)
    if len(one_line) <= 80:
        return one_line
    return "[\n" + "".join(f"    {_toml(item)},\n" for item in items) + "]"


class _Writer:
    """Builds the text of a net file."""

    def __init__(self, net: Net, path, new_csv: dict[str, str]):
        self.net, self.path, self.new_csv = net, None if path is None else os.fspath(path), new_csv
        self.lines: list[str] = []

    def table(self, header: str, fields: dict, optional: bool = True) -> None:
        """A TOML table; ``optional``: fields that are None are left out."""
        self.lines += ["", header] if self.lines else [header]
        for key, value in fields.items():
            if value is not None or not optional:
                text = _array(value) if isinstance(value, list) else _toml(value)
                self.lines.append(f"{_key(key)} = {text}")

    def text(self) -> str:
        net = self.net
        self.table("[net]", {"name": net.name, "description": net.description or None})
        sections = (("colours", net.colour_sets, _colour_set), ("variables", net.variables, None),
                    ("constants", net.constants, None))
        for section, items, convert in sections:
            if items:
                self.table(f"[{section}]", {k: convert(v) if convert else v
                                            for k, v in items.items()}, optional=False)
        for name, t in net.tables.items():
            key, value = _columns(t)
            self.table(f"[tables.{_key(name)}]", {"file": self.csv_file(t),
                                                  "key": key[0] if len(key) == 1 else key,
                                                  "value": value})
        for name, p in net.places.items():
            self.table(f"[places.{_key(name)}]", {
                "colour": None if p.colour == "dot" else p.colour,
                "initial": _initial(p.initial), "capacity": p.capacity,
                "description": p.description or None,
                "position": _position(p.position, f"place {name!r}")})
        for name, t in net.transitions.items():
            fields = {"guard": t.guard,
                      "delay": None if t.delay is None or (t.delay == 0 and not isinstance(
                          t.delay, str)) else t.delay,
                      "priority": t.priority or None, "order": t.order,
                      "controllable": t.controllable or None,
                      "description": t.description or None,
                      "position": _position(t.position, f"transition {name!r}")}
            for key, kind, _ in _ARC_LISTS:
                fields[key] = [_input_arc(a) for a in t.inputs if a.kind == kind] or None
            fields["outputs"] = [_output_arc(a) for a in t.outputs] or None
            self.table(f"[transitions.{_key(name)}]", fields)
        return "\n".join(self.lines) + "\n"

    def csv_file(self, table: Table) -> str:
        """The table's CSV path as the written file should reference it."""
        if table.name in self.new_csv:
            return self.new_csv[table.name]
        if not table.source:
            raise NetError("the table has no CSV file; dump() to a path writes one",
                           element=f"table {table.name!r}")
        if self.path is None:
            return table.source
        origin = self.net.origin.get(f"table {table.name}", "")
        base = "" if origin.startswith("<") else os.path.dirname(origin)
        source = os.path.abspath(os.path.join(base, table.source))
        try:
            return Path(os.path.relpath(source, os.path.dirname(os.path.abspath(self.path)))
                        ).as_posix()
        except ValueError:  # another drive
            return source


def _colour_set(cs: ColourSet):
    """The shortest TOML form of a colour set."""
    if cs.kind == "enum" and not cs.timed:
        return list(cs.values)
    if cs.kind in BUILTIN_COLOUR_SETS and not cs.timed and cs.low is None and cs.high is None:
        return cs.kind
    if cs.kind == "enum":
        fields = {"enum": list(cs.values)}
    elif cs.kind == "product":
        fields = {"product": list(cs.components)}
    elif cs.kind == "int" and cs.low is not None and cs.high is not None:
        fields = {"int": [cs.low, cs.high]}
    else:
        fields = {"type": cs.kind, "min": cs.low, "max": cs.high}
    if cs.timed:
        fields["timed"] = True
    return {k: v for k, v in fields.items() if v is not None}


def _initial(tokens: list[Token]):
    if not tokens:
        return None
    if all(t.value == DOT and t.time == 0 for t in tokens):
        return sum(t.count for t in tokens) or None
    items = []
    for t in tokens:
        if t.count == 1 and t.time == 0:
            items.append(t.value)
        else:
            fields = {"colour": t.value} if t.value != DOT else {}
            fields.update({"count": t.count} if t.count != 1 else {})
            fields.update({"time": t.time} if t.time != 0 else {})
            items.append(fields)
    return items


def _position(position, element: str):
    """``[x, y]``, whole numbers without a decimal point."""
    if position is None:
        return None
    if not is_position(position):
        raise NetError(f"position must be two numbers [x, y], got {position!r}", element=element)
    return [int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v) for v in position]


def _input_arc(arc: InputArc):
    if arc.pattern is None and arc.weight == 1:
        return arc.place
    fields = {"place": arc.place, "inscription": arc.pattern,
              "weight": None if arc.weight == 1 else arc.weight}
    return {k: v for k, v in fields.items() if v is not None}


def _output_arc(arc: OutputArc):
    if arc.expression is None and arc.weight == 1 and arc.delay is None:
        return arc.place
    fields = {"place": arc.place, "inscription": arc.expression,
              "weight": None if arc.weight == 1 and not isinstance(arc.weight, str) else arc.weight,
              "delay": arc.delay}
    return {k: v for k, v in fields.items() if v is not None}

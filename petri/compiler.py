"""Compile a net once into an indexed, executable form.

Places and transitions become integers. Each place keeps its tokens in one of three stores:

* ``COUNT``  untimed black tokens: an ``int``;
* ``MULTI``  untimed coloured tokens: a ``dict`` colour -> count;
* ``TIMED``  timed tokens: a ``dict`` colour -> ``list`` of timestamps ordered as a binary
  min-heap, oldest first (``petri.timestamps``).

Each transition becomes generated Python functions: ``bindings(m, now)`` yields the
enabled bindings (tuples of variable values) at clock ``now`` (``listing(m, now)`` returns the
same as one list), ``check(m, now)`` says whether there is one, and
``fire(m, now, b, heap, pending)`` consumes and produces tokens for binding ``b``. The ready time
of a token produced for later is kept under its *ready group* ``g`` (its place, and which
transitions its colour can enable: ``_ReadyGroups``): ``pending[g]`` is ``[earliest, later]``,
the group's earliest pending time (also on ``heap`` as ``(time, place, g)``) and a min-heap of
its later ones. The generated code embeds only inscriptions that passed ``petri.expressions``'s
checks; it runs with no builtins. ``dependents[t]`` lists the transitions whose enabling can
change when ``t`` fires: the engine re-examines only those; ``fire`` says whether a token it put
into a timed place is ready now, and when none is, ``dependents_later[t]`` is enough (a token not
yet ready changes no enabling, except by its count for inhibitor arcs and capacities). A
controllable transition also gets ``keeps(m, now, bs)``: of an earlier listing ``bs``, the
bindings whose tokens are still there (what listing again gives after firings that only took).
"""
from __future__ import annotations

import ast
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from heapq import heappush
from typing import Any, Callable, Iterable

from . import expressions as ex
from . import timestamps as _ts
from .errors import SimulationError
from .model import DOT, Net, NetError

__all__ = ["COUNT", "MULTI", "TIMED", "CompiledNet", "compile_net", "SimulationError"]

COUNT, MULTI, TIMED = 0, 1, 2


class Unordered(Exception):
    """Two order values that cannot be compared (``value``, and ``first``, the smallest found
    before it): raised by a generated ``smallest``, reported by the engine."""

    def __init__(self, value, first):
        super().__init__(value, first)
        self.value, self.first = value, first




@dataclass
class CompiledTransition:
    index: int
    name: str
    priority: int
    controllable: bool
    variables: tuple[str, ...]
    bindings: Callable            # (m, now) -> iterator of binding tuples
    check: Callable               # (m, now) -> bool: is some binding enabled
    since: Callable               # (m, b) -> its tokens' ready times, latest first
    fire: Callable                # (m, now, b, heap, pending) -> soon, or with the log
    #                               (consumed, produced, soon); soon: a token it put into a timed
    #                               place is ready now (True when it puts none there)
    simple: bool                  # exactly one binding (the empty one) whenever enabled
    source: str = ""              # the generated code, for debugging
    order: Callable | None = None  # b -> the binding's order value (transitions with `order`)
    smallest: Callable | None = None  # (m, now, first, best, u) -> the running smallest order
    #                                  value and its bindings, this transition's enabled ones added
    expressions: dict = field(default_factory=dict)   # line -> [(what, text, source)]
    listing: Callable | None = None  # (m, now) -> the list of what ``bindings`` yields
    #: the same list, the ready colours of the places of inner loops taken once (None: no
    #: inner loop); for controllable transitions, listed often
    listing_many: Callable | None = None
    #: (m, now, bs) -> the bindings of ``bs`` (an earlier listing at this clock) whose tokens
    #: are still there, in their order: the listing after firings that only took tokens away
    #: (and put tokens for later). None where a taking can enable (inhibitor arcs, outputs
    #: into places with a capacity)
    keeps: Callable | None = None
    #: the timed input places where a token getting ready can only add bindings that use it
    #: (one arc of weight 1 there, no inhibitor arc, no output into a place with a capacity,
    #: enabling independent of the clock): after a listing found no binding, the engine lists
    #: again only the colours of such a place that got ready since (``Simulator._settle``)
    fresh: frozenset = frozenset()

    def expression_at(self, line: int, columns: tuple | None = None) -> tuple[str, str] | None:
        """The inscription (what, text) evaluated at ``line`` of the generated code, if one
        is; ``columns`` (start, end, in bytes) of the failing operation pick one of several."""
        found = self.expressions.get(line, [])
        if len(found) > 1 and columns is not None and None not in columns:
            code = self.source.splitlines()[line - 1]
            raw = code.encode()
            start, end = (len(raw[:c].decode("utf-8", "ignore")) for c in columns)
            inside = [(len(src), what, text) for what, text, src in found
                      if any(k <= start and end <= k + len(src) for k in _occurrences(code, src))]
            return min(inside)[1:] if inside else found[0][:2]
        return found[0][:2] if found else None


def _occurrences(line: str, part: str) -> list[int]:
    out, k = [], line.find(part)
    while k >= 0:
        out.append(k)
        k = line.find(part, k + 1)
    return out


@dataclass
class CompiledNet:
    """A net in executable form. Build it with ``compile_net``."""

    net: Net
    place_names: list[str]
    place_kinds: list[int]
    transition_names: list[str]
    transitions: list[CompiledTransition]
    dependents: list[tuple[int, ...]]          # per transition
    place_dependents: list[tuple[int, ...]]    # per place: transitions to recheck
    namespace: dict                             # globals of the generated code
    capacity: list                              # per place, None = unbounded (shared with code)
    untimed: bool = False
    log: bool = True
    place_index: dict = field(default_factory=dict)
    transition_index: dict = field(default_factory=dict)
    ready: "_ReadyGroups | None" = None         # who is re-examined when tokens get ready
    #: per transition: its dependents less those that only read places it puts timed tokens
    #: into (by input or read arcs): enough after a firing whose tokens there are all for
    #: later, since a token not yet ready changes no enabling (it counts only for inhibitor
    #: arcs and capacities, whose transitions stay in)
    dependents_later: list = field(default_factory=list)
    #: what the engine works out from the net's structure, once per compiled net and kept for
    #: every run on it (``Simulator._structure``)
    engine_cache: dict = field(default_factory=dict, repr=False, compare=False)

    # -- markings ------------------------------------------------------------------------------
    def initial_marking(self) -> list:
        m = []
        for i, name in enumerate(self.place_names):
            place = self.net.places[name]
            kind = self.place_kinds[i]
            if kind == COUNT:
                m.append(sum(t.count for t in place.initial))
            elif kind == MULTI:
                d: dict = {}
                for t in place.initial:
                    if t.count:
                        d[t.value] = d.get(t.value, 0) + t.count
                m.append(d)
            else:
                d = {}
                for t in place.initial:
                    if t.count:
                        d.setdefault(t.value, []).extend([0 if self.untimed else t.time] * t.count)
                for lst in d.values():
                    lst.sort()
                m.append(d)
        return m

    def copy_marking(self, m: list) -> list:
        out = []
        for kind, s in zip(self.place_kinds, m):
            if kind == COUNT:
                out.append(s)
            elif kind == MULTI:
                out.append(dict(s))
            else:
                out.append({k: list(v) for k, v in s.items()})
        return out

    def place_tokens(self, m: list, i: int) -> Counter:
        """Counter of (colour, timestamp) of place ``i``."""
        kind, s = self.place_kinds[i], m[i]
        if kind == COUNT:
            return Counter({(DOT, 0): s}) if s else Counter()
        if kind == MULTI:
            return Counter({(v, 0): c for v, c in s.items()})
        c: Counter = Counter()
        for v, lst in s.items():
            for t in lst:
                c[(v, t)] += 1
        return c

    def place_count(self, m: list, i: int) -> int:
        kind, s = self.place_kinds[i], m[i]
        if kind == COUNT:
            return s
        if kind == MULTI:
            return sum(s.values())
        return sum(map(len, s.values()))

    def recount(self, m: list, places: Iterable[int], counts: list) -> None:
        """``counts[i] = place_count(m, i)`` for every place ``i`` of ``places``, in one call."""
        kinds = self.place_kinds
        for i in places:
            s, kind = m[i], kinds[i]
            counts[i] = s if kind == COUNT else sum(s.values()) if kind == MULTI else \
                sum(map(len, s.values()))

    # -- untimed state space -----------------------------------------------------------------------
    def marking_key(self, m: list) -> tuple:
        """A hashable canonical form of a marking, timestamps dropped."""
        key = []
        for kind, s in zip(self.place_kinds, m):
            if kind == COUNT:
                key.append(s)
            elif kind == MULTI:
                key.append(tuple(sorted(s.items(), key=_order)))
            else:
                key.append(tuple(sorted(((v, len(l)) for v, l in s.items() if l), key=_order)))
        return tuple(key)

    def key_to_marking(self, key: tuple) -> dict[str, Counter]:
        """Place name -> Counter of colours, from a marking key."""
        out = {}
        for name, kind, s in zip(self.place_names, self.place_kinds, key):
            out[name] = Counter({DOT: s}) if kind == COUNT and s else Counter(dict(s) if kind != COUNT else {})
        return out

    def _marking_from_key(self, key: tuple) -> list:
        m = []
        for kind, s in zip(self.place_kinds, key):
            if kind == COUNT:
                m.append(s)
            elif kind == MULTI:
                m.append(dict(s))
            else:
                m.append({v: [0] * c for v, c in s})
        return m

    def failure(self, e: BaseException, clock, transition: str | None = None) -> SimulationError:
        """One line for an error raised while a transition's generated code ran: the file,
        the transition, the inscription that failed, the binding and the clock.

        The transition and its binding are read from the innermost generated frame of the
        traceback, so nothing is paid for this while the net runs.
        """
        codes = self._codes()
        found = None
        tb = e.__traceback__
        while tb is not None:
            u = codes.get(tb.tb_frame.f_code)
            if u is not None:
                found = (u, tb)
            tb = tb.tb_next
        if found is None:
            where = None if transition is None else f"transition '{transition}'"
            t_name = transition
            binding, what = None, None
        else:
            u, tb = found
            t = self.transitions[u]
            t_name, where = t.name, f"transition '{t.name}'"
            values = tb.tb_frame.f_locals
            binding = {v: values["v_" + v] for v in t.variables if "v_" + v in values}
            what = None
            if not isinstance(e, SimulationError):   # generated checks name their inscription
                columns = None
                positions = list(tb.tb_frame.f_code.co_positions())
                if 0 <= tb.tb_lasti // 2 < len(positions):
                    columns = positions[tb.tb_lasti // 2][2:]
                what = t.expression_at(tb.tb_lineno, columns)
        if isinstance(e, SimulationError) and e.file is None and found is None:
            return e
        reason = _reason(e)
        if what is not None:
            reason = f"{what[0]} {what[1]!r}: {reason}"
        context = [] if binding is None else [
            ", ".join(f"{k}={_short(v)}" for k, v in binding.items()) or "no variables"]
        if clock is not None:
            context.append(f"time {clock:g}")
        file = self.net.origin.get(f"transition {t_name}") if t_name else None
        if context:
            reason += f" ({', '.join(context)})"
        return SimulationError(reason, file=file, element=where)

    def _codes(self) -> dict:
        """Code object of each generated function -> its transition's index."""
        if not hasattr(self, "_code_index"):
            self._code_index = {f.__code__: t.index for t in self.transitions
                                for f in (t.bindings, t.listing, t.check, t.since, t.fire,
                                          t.order, t.smallest, t.listing_many, t.keeps)
                                if f is not None}
        return self._code_index

    def initial_key(self) -> tuple:
        return self.marking_key(self.initial_marking())

    def successors(self, key: tuple) -> list[tuple[str, dict, tuple]]:
        """Untimed successors of a marking key: (transition, binding values, next key).

        Time is ignored (every token counts as ready). Priorities count as in the engine:
        only bindings of the highest priority enabled in the marking fire.
        """
        if not self.untimed:
            raise NetError("successors() needs a net compiled with untimed=True")
        m = self._marking_from_key(key)
        try:
            enabled = [t for t in self.transitions if t.check(m, 0)]
            if enabled:
                top = max(t.priority for t in enabled)
                enabled = [t for t in enabled if t.priority == top]
            out = []
            for t in enabled:
                for b in t.bindings(m, 0):
                    m2 = self.copy_marking(m)
                    t.fire(m2, 0, b, [], [])
                    out.append((t.name, dict(zip(t.variables, b)), self.marking_key(m2)))
        except Exception as e:   # an inscription failed: say where, as the engine does
            raise self.failure(e, None) from None
        return out


def _order(item):
    return repr(item[0])


def _short(value) -> str:
    """A value in a message, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _reason(e: BaseException) -> str:
    """What went wrong, in the words of the error."""
    if isinstance(e, SimulationError):
        return e.reason
    if isinstance(e, KeyError) and e.args and isinstance(e.args[0], str):
        return e.args[0]
    if isinstance(e, RecursionError):
        return "values nested too deeply"
    text = str(e)
    if isinstance(e, MemoryError) or not text:
        return f"{type(e).__name__}" if not isinstance(e, MemoryError) else "out of memory"
    return text


# ---------------------------------------------------------------------------------------------
# Code generation
# ---------------------------------------------------------------------------------------------

def compile_net(net: Net, *, log: bool = True, untimed: bool = False,
                check: bool = True) -> CompiledNet:
    """Check ``net`` and compile it. ``log``: ``fire`` returns consumed and produced tokens.
    ``untimed``: timestamps are ignored (all tokens ready), as state-space analysis wants.
    ``check=False`` skips ``petri.check.check_net`` (for nets checked already); inscriptions
    are checked by the expression checker either way."""
    if check:
        from .check import check_net
        problems = check_net(net)
        if problems:
            raise problems[0]
    place_names = list(net.places)
    pidx = {n: i for i, n in enumerate(place_names)}
    kinds = []
    for name in place_names:
        cs = net.colour_set(net.places[name].colour)
        if cs.timed and not untimed:
            kinds.append(TIMED)
        elif cs.timed:
            kinds.append(TIMED)
        elif cs.kind == "dot":
            kinds.append(COUNT)
        else:
            kinds.append(MULTI)
    capacity = [net.places[n].capacity for n in place_names]
    ns = ex.namespace(net.constants, net.tables)
    ns.update({"t_" + name: TableRows(t) for name, t in net.tables.items()})
    ns.update({"_push": heappush, "_pop": _ts.heappop, "_few": _ts.few_ready,
               "_nth": _ts.nth_oldest, "_take": _ts.take, "_addn": _ts.add, "_cap": capacity,
               "_Err": SimulationError, "_NUM": (int, float), "_INF": float("inf"), "_tuple": tuple, "_int": int, "_repr": _short, "_type": type, "_len": len,
               "_sum": sum, "_map": map, "_list": list, "_sorted": sorted, "_max": max,
               "_TypeError": TypeError, "_Unordered": Unordered})
    # colour sets appear in generated code by number only, never by their (file-given) names
    colour_sets = net.all_colour_sets()
    for k, (name, cs) in enumerate(colour_sets.items()):
        if cs.is_finite(colour_sets):
            ns[f"_all_{k}"] = tuple(cs.all_values(colour_sets))
        ns[f"_cs_{k}"] = _member_function(cs, colour_sets)

    readers = _readers(net, pidx, kinds)
    ready = _ReadyGroups(readers, kinds)
    transitions = []
    for ti, (tname, t) in enumerate(net.transitions.items()):
        gen = _TransitionCode(net, t, pidx, kinds, log, untimed, ready.group)
        src = gen.source()
        code = compile(src, f"<transition {tname}>", "exec")
        local: dict = {}
        exec(code, ns, local)  # generated from checked inscriptions only
        for k, v in local.items():
            ns[f"{k}_{ti}"] = v
        transitions.append(CompiledTransition(
            ti, tname, int(t.priority), bool(t.controllable), tuple(gen.variables),
            local["bindings"], local["check"], local["since"], local["fire"], gen.simple, src,
            local.get("order"), local.get("smallest"), gen.expression_lines(src),
            listing=local["listing"], listing_many=local.get("listing_many"),
            keeps=local.get("keeps"), fresh=_fresh_places(t, pidx, kinds, local.get("keeps"))))

    # dependents: who must be re-examined when a place's tokens change (or get ready)
    place_deps = [tuple(sorted({v for _, v in rs})) for rs in readers]
    # after a firing: the transitions reading a place it changed, unless both name a colour
    # of that place by a literal and the colours differ (taking an idle machine "M1" does not
    # change whether "M2" is idle)
    deps, later = [], []
    # per place: the transitions counting its tokens whatever their ready times (inhibitor
    # arcs, outputs into it when it has a capacity)
    counting: list[set] = [set() for _ in pidx]
    for ti, t in enumerate(net.transitions.values()):
        for a in t.inputs:
            if a.kind == "inhibitor":
                counting[pidx[a.place]].add(ti)
        for a in t.outputs:
            if net.places[a.place].capacity is not None:
                counting[pidx[a.place]].add(ti)
    for t in net.transitions.values():
        changed = {(pidx[a.place], _arc_colour(kinds, pidx[a.place], a.pattern)) for a in t.inputs
                   if a.kind == "normal"}
        taken = set(changed)
        changed |= {(pidx[a.place], _arc_colour(kinds, pidx[a.place], a.expression))
                    for a in t.outputs}
        deps.append(tuple(sorted({v for i, c in changed for c2, v in readers[i]
                                  if c is _ANY or c2 is _ANY or c == c2})))
        # the same, when every token the firing puts into a timed place is for later
        now = {(i, c) for i, c in changed if (i, c) in taken or kinds[i] != TIMED}
        loud = {v for i, c in now for c2, v in readers[i] if c is _ANY or c2 is _ANY or c == c2}
        loud |= {v for i, c in changed for v in counting[i]}
        later.append(tuple(v for v in deps[-1] if v in loud))
    for i, kind in enumerate(kinds):
        if kind == TIMED:
            ready.whole(i)      # for initial tokens stamped later: every group exists now
    return CompiledNet(net, place_names, kinds, list(net.transitions), transitions, deps,
                       place_deps, ns, capacity, untimed, log, pidx,
                       {n: i for i, n in enumerate(net.transitions)}, ready, later)


def _readers(net: Net, pidx: dict, kinds: list) -> list[list]:
    """Per place, ``(colour, transition)`` for each transition whose enabling depends on the
    place's tokens: its input arcs (the colour they name by a literal, else ``_ANY``), its
    output arcs into a place with a capacity, and every transition whose guard or input
    inscriptions read the clock (re-examined whenever a timed token becomes ready)."""
    readers: list[list] = [[] for _ in pidx]
    for ti, t in enumerate(net.transitions.values()):
        for a in t.inputs:
            i = pidx[a.place]
            readers[i].append((_arc_colour(kinds, i, a.pattern), ti))
        for a in t.outputs:
            if net.places[a.place].capacity is not None:
                readers[pidx[a.place]].append((_ANY, ti))
    clocked = [ti for ti, t in enumerate(net.transitions.values()) if _reads_clock(t)]
    for ti in clocked:
        for i, kind in enumerate(kinds):
            if kind == TIMED:
                readers[i].append((_ANY, ti))
    return readers


def _arc_colour(kinds: list, i: int, text):
    """The colour an arc on place ``i`` always names (``_ANY`` when it is known only when the
    arc is used, or the place holds black tokens by count)."""
    if text is _ANY:
        return _ANY
    return _ANY if kinds[i] == COUNT else _literal_colour(text)


class _ReadyGroups:
    """Who is re-examined when tokens become ready, as the clock advances.

    A token produced for later is kept in the engine's pending ready times under a *group*:
    the place it goes to and the transitions reading that place whose enabling a token of its
    colour can change (a token "M1" getting ready leaves a transition reading only "M2" of
    that place as it was). Each group keeps its own pending times, so the engine's heap holds
    about one entry per group, not one per pending token. ``dependents(groups)`` gives, for the groups whose
    tokens get ready at one time, the transitions to re-examine: those of the places'
    dependents (places in net order, each transition once, where it first appears) that some
    group names. Skipping a transition there changes nothing: its enabling cannot have changed.
    """

    CACHED = 4096       # combinations of groups kept (a net has few in practice)

    def __init__(self, readers: list[list], kinds: list):
        self.readers, self.kinds = readers, kinds
        self.all_of = [tuple(sorted({v for _, v in rs})) for rs in readers]   # per place
        self.index: dict = {}
        self.place: list[int] = []          # group -> its place
        self.members: list[tuple] = []      # group -> its transitions, ascending
        self.seen: dict = {}                # tuple of groups -> their dependents

    def group(self, i: int, text) -> int:
        """The group of a token that an arc with inscription ``text`` puts into place ``i``."""
        c = _arc_colour(self.kinds, i, text)
        members = tuple(sorted({v for c2, v in self.readers[i]
                                if c is _ANY or c2 is _ANY or c == c2}))
        key = (i, members)
        g = self.index.get(key)
        if g is None:
            g = self.index[key] = len(self.members)
            self.place.append(i)
            self.members.append(members)
        return g

    def whole(self, i: int) -> int:
        """The group of any token of place ``i``."""
        return self.group(i, _ANY)

    def dependents(self, groups) -> tuple:
        """The transitions to re-examine when the tokens of ``groups`` (a sequence of group
        numbers, in any order) get ready at one time; kept per sequence (``seen``)."""
        if len(groups) == 1:
            return self.members[groups[0]]
        key = tuple(groups)
        out = self.seen.get(key)
        if out is None:
            wanted = set().union(*(self.members[g] for g in key))
            places = sorted({self.place[g] for g in key})
            out = tuple(dict.fromkeys(v for i in places for v in self.all_of[i] if v in wanted))
            if len(self.seen) < self.CACHED:
                self.seen[key] = out
        return out


class TableRows(dict):
    """A table as the compiled net reads it: a ``dict`` of its rows, so that a lookup costs no
    Python call, failing as ``Table`` does on a missing row. It has the ``Table``'s ``name``,
    ``rows`` (itself), ``key``, ``value`` and ``source``; changing it changes only the run."""

    __slots__ = ("name", "key", "value", "source")

    def __init__(self, table):
        super().__init__(table.rows)
        self.name, self.key, self.value, self.source = table.name, table.key, table.value, table.source

    def __missing__(self, key):
        raise KeyError(f"table {self.name} has no row {key!r}")

    @property
    def rows(self) -> dict:
        return self

    def __repr__(self):
        return f"Table({self.name!r}, {len(self)} rows)"


_ANY = object()     # an inscription whose colour is known only when it runs


def _literal_colour(text):
    """The colour an arc inscription always gives: the black token for none, a literal such
    as ``"M1"`` or ``("A", 2)``; else ``_ANY``."""
    if text is None:
        return DOT
    try:
        tree = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError:
        return _ANY

    def value(node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Tuple):
            parts = [value(e) for e in node.elts]
            return _ANY if any(p is _ANY for p in parts) else tuple(parts)
        return _ANY
    v = value(tree)
    try:
        hash(v)
    except TypeError:
        return _ANY
    return v


def _fresh_places(t, pidx: dict, kinds: list, keeps) -> frozenset:
    """``CompiledTransition.fresh`` of net transition ``t`` (``keeps``: its generated
    ``keeps``, None where a taking can enable it or a place has two arcs)."""
    if keeps is None or not t.controllable or _reads_clock(t):
        return frozenset()
    return frozenset(pidx[a.place] for a in t.inputs
                     if kinds[pidx[a.place]] == TIMED and a.kind in ("normal", "read")
                     and int(a.weight) == 1)


def _reads_clock(t) -> bool:
    """Whether the enabling of ``t`` depends on the clock: ``time()`` or ``clock`` in its guard
    or input inscriptions."""
    for text in [t.guard] + [a.pattern for a in t.inputs]:
        if isinstance(text, str) and ("time" in text or ex.CLOCK in text):
            try:
                tree = ast.parse(text.strip(), mode="eval")
            except SyntaxError:
                continue
            for n in ast.walk(tree):
                if isinstance(n, ast.Name) and n.id == ex.CLOCK:
                    return True
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "time":
                    return True
    return False


def _member_function(cs, colour_sets) -> Callable[[Any], bool]:
    """Whether a value is in colour set ``cs``: ``cs.contains`` with the nesting of product
    colour sets resolved once, here, instead of at every token."""
    if cs.kind == "enum":
        values = frozenset(cs.values)
        return values.__contains__
    return _member(cs, colour_sets)


def _member(cs, colour_sets) -> Callable[[Any], bool]:
    """``cs.contains`` as one function (for a component of a product, or a product): the test
    of every component written out in a single expression, so a token is checked in one call."""
    consts: dict = {}
    code = _member_test(cs, colour_sets, "v", consts)
    return eval(f"lambda v: {code}", {"isinstance": isinstance, "len": len, "tuple": tuple,
                                       "int": int, "bool": bool, "str": str, **consts})


def _member_test(cs, colour_sets, v: str, consts: dict) -> str:
    """The expression saying whether ``v`` (a value, or a component of one: ``v[0][1]``) is
    in colour set ``cs``, as ``ColourSet.contains`` decides it; the values it compares with
    are put in ``consts`` (names ``_k0``, ``_k1``, ...)."""
    def const(value) -> str:
        name = f"_k{len(consts)}"
        consts[name] = value
        return name
    k = cs.kind
    if k == "dot":
        return f"{v} == {const(DOT)}"
    if k == "enum":
        return f"{v} in {const(tuple(cs.values))}"
    if k == "int":
        parts = [f"isinstance({v}, int)", f"not isinstance({v}, bool)"]
        if cs.low is not None:
            parts.append(f"{v} >= {const(cs.low)}")
        if cs.high is not None:
            parts.append(f"{v} <= {const(cs.high)}")
        return "(" + " and ".join(parts) + ")"
    if k == "str":
        return f"isinstance({v}, str)"
    if k == "bool":
        return f"isinstance({v}, bool)"
    parts = [f"isinstance({v}, tuple)", f"len({v}) == {len(cs.components)}"]
    parts += [_member_test(colour_sets[c], colour_sets, f"{v}[{i}]", consts)
              for i, c in enumerate(cs.components)]
    return "(" + " and ".join(parts) + ")"


_ARC_NAMES = {"normal": "input", "read": "read", "inhibitor": "inhibitor"}
_NONE = object()


class _TransitionCode:
    """Builds the source of one transition's ``bindings`` and ``fire`` functions."""

    def __init__(self, net: Net, t, pidx, kinds, log: bool, untimed: bool, ready_group=None):
        self.net, self.t, self.pidx, self.kinds, self.log, self.untimed = net, t, pidx, kinds, log, untimed
        self.ready_group = ready_group     # (place, output inscription) -> its ready group
        self.constants = set(net.constants)
        self.tables = set(net.tables)
        self.colour_number = {name: k for k, name in enumerate(net.all_colour_sets())}
        self.where = f"transition '{t.name}'"
        self.numeric = ex.numeric_names(net.constants, net.tables)
        self.evaluated: list[tuple[str, str, str]] = []   # (what, text, source) of each inscription
        self.lines: list[str] = []
        self.variables: list[str] = []
        self.var_origin: dict[str, str] = {}   # variable -> colour set of the place it came from
        self.bound_by: dict[str, int] = {}     # variable -> the input arc whose pattern bound it
        self._arc = -1                         # the input arc being matched
        self.patterns = {}
        seen = Counter()
        self.arc_label = {}
        for k, a in enumerate(t.inputs):
            seen[a.kind] += 1
            self.arc_label[k] = f"{_ARC_NAMES[a.kind]} arc {seen[a.kind]}"
        for k, a in enumerate(t.inputs):
            if a.pattern is not None:
                if kinds[pidx[a.place]] == COUNT:
                    raise NetError("an arc from a place of black tokens takes no inscription",
                                   element=f"{self.where}: {self.arc_label[k]} ({a.place})")
                self.patterns[k] = ex._parse(a.pattern, f"{self.where}: {self.arc_label[k]}")
        # pure patterns (of consuming and read arcs) bind variables; other inscriptions are
        # expressions over those variables
        binding = set()
        for k, tree in self.patterns.items():
            if t.inputs[k].kind != "inhibitor" and ex.is_pattern(tree):
                binding |= set(ex.pattern_variables(tree, self.constants))
        for k in self.patterns:
            self.patterns[k] = ex.check_pattern(
                t.inputs[k].pattern, variables=binding | set(net.variables), constants=self.constants,
                tables=self.tables, where=f"{self.where}: {self.arc_label[k]}")
        self.simple = all(a.pattern is None for a in t.inputs) and not self._declared_vars()

    # -- helpers -------------------------------------------------------------------------------
    def expr(self, text, what: str) -> str:
        tree = ex.check_expression(text, variables=set(self.variables) | set(self.net.variables),
                                   constants=self.constants, tables=self.tables,
                                   where=f"{self.where}: {what}")
        return self.code(tree, text, what)

    def code(self, tree, text, what: str) -> str:
        """Source of a checked inscription, remembered so a failure can name it."""
        src = ex.to_source(tree, self.constants, self.tables, self.numeric | self.int_variables())
        self.evaluated.append((what, str(text).strip(), src))
        return src

    def int_variables(self) -> set[str]:
        """Variables whose colour set holds only integers (their operators need no guard)."""
        colour_sets = self.net.all_colour_sets()
        origin = {**self.net.variables, **self.var_origin}
        return {v for v, cs in origin.items() if cs in colour_sets and colour_sets[cs].kind == "int"}

    def expression_lines(self, src: str) -> dict[int, list[tuple[str, str, str]]]:
        """Line of the generated code -> the inscriptions evaluated on it."""
        out: dict[int, list] = {}
        for n, line in enumerate(src.splitlines(), 1):
            code = line.split(": raise _Err(")[0]
            # a bare name (a pattern variable, a constant) cannot fail: never blame it
            found = [e for e in self.evaluated if e[2] in code and not e[2].isidentifier()
                     and e[2] != "()"]
            if found:
                out[n] = list({e[:2]: e for e in found}.values())
        return out

    def needs(self, k: int) -> list[str]:
        """Variables input arc k's inscription mentions (binds, if a pattern)."""
        if k not in self.patterns:
            return []
        tree = self.patterns[k]
        return [n for n in ex.pattern_variables(tree, self.constants)
                if n not in self.tables and n not in ex.FUNCTIONS]

    def pattern_value(self, k: int) -> str:
        """The pattern of input arc k as an expression of bound variables."""
        return self.code(self.patterns[k], self.t.inputs[k].pattern, self.arc_label[k])

    def _declared_vars(self) -> list[str]:
        bound = set()
        for k, a in enumerate(self.t.inputs):
            if a.kind != "inhibitor" and k in self.patterns and ex.is_pattern(self.patterns[k]):
                bound |= set(ex.pattern_variables(self.patterns[k], self.constants))
        used = set()
        texts = [self.t.guard, self.t.delay] + [x for a in self.t.outputs
                                                for x in (a.expression, a.weight, a.delay)]
        for text in texts:
            if isinstance(text, str) and text.strip():
                try:
                    used |= ex.names_used(ast.parse(text.strip(), mode="eval"))
                except SyntaxError:
                    pass
        return [v for v in self.net.variables if v in used and v not in bound]

    def _guard_lookup(self, k: int, bound: set) -> str | None:
        """Source of E when input arc k's pattern is a free variable v and the guard has a
        conjunct ``v == E`` (or ``E == v``) whose variables are all bound already."""
        node = self.patterns.get(k)
        if not isinstance(node, ast.Name) or node.id in bound or node.id in self.constants \
                or not isinstance(self.t.guard, str) or not self.t.guard.strip():
            return None
        tree = ast.parse(self.t.guard.strip(), mode="eval").body
        parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
        for c in parts:
            if isinstance(c, ast.Compare) and len(c.ops) == 1 and isinstance(c.ops[0], ast.Eq):
                for lhs, rhs in ((c.left, c.comparators[0]), (c.comparators[0], c.left)):
                    free = ex.names_used(rhs) - self.constants - self.tables - set(ex.FUNCTIONS)
                    if isinstance(lhs, ast.Name) and lhs.id == node.id and free <= bound:
                        return self.expr(ast.unparse(rhs), "guard")
        return None

    # -- the bindings generator --------------------------------------------------------------------
    def source(self) -> str:
        t, pidx, kinds = self.t, self.pidx, self.kinds
        L: list[str] = ["def bindings(m, now):"]
        ind = "    "
        bound: set[str] = set()
        normal = [(k, a) for k, a in enumerate(t.inputs) if a.kind in ("normal", "read")]
        inhib = [(k, a) for k, a in enumerate(t.inputs) if a.kind == "inhibitor"]
        # places several consuming arcs take from need a joint check after binding; read arcs
        # test the marking before firing, each on its own
        per_place = Counter(a.place for _, a in normal if a.kind == "normal")
        joint = {p for p, c in per_place.items() if c > 1}

        def few(kind, var, w):
            """The condition: fewer than ``w`` tokens of store ``var`` are ready."""
            if kind == MULTI:
                return f"{var} < {w}"
            if w == 1:
                return f"{var}[0] > now"
            if w < 1:
                return f"_few({var}, now, {w})"
            # _few's own first tests, without its call: too few tokens, the oldest not
            # ready, the first w entries all ready (then w tokens are)
            return (f"(_len({var}) < {w} or {var}[0] > now or "
                    f"(_max({var}[:{w}]) > now and _few({var}, now, {w})))")

        remaining = []
        # 1. arcs that need no variable: checked first
        for k, a in normal:
            i = pidx[a.place]
            w = int(a.weight)
            if a.place in joint:
                remaining.append((k, a))
                continue
            if kinds[i] == COUNT:
                L.append(f"{ind}if m[{i}] < {w}: return")
            elif not self.needs(k):
                val = repr(DOT) if k not in self.patterns else self.pattern_value(k)
                L.append(f"{ind}_s = m[{i}].get({val})")
                L.append(f"{ind}if _s is None or {few(kinds[i], '_s', w)}: return")
            else:
                remaining.append((k, a))
        # 2. arcs with variables: look up when the pattern is determined, else iterate
        depth = 0
        loops = 0
        while remaining:
            pick = None
            for k, a in remaining:
                if set(self.needs(k)) <= bound:
                    pick = (k, a, True)
                    break
            if pick is None:
                for k, a in remaining:
                    e = self._guard_lookup(k, bound)
                    if e is not None:
                        pick = (k, a, e)
                        break
            if pick is None:
                for k, a in remaining:
                    if ex.is_pattern(self.patterns[k]):
                        pick = (k, a, False)
                        break
            if pick is None:
                raise NetError("input arc inscriptions need variables that no pattern binds",
                               element=self.where)
            k, a, lookup = pick
            remaining.remove((k, a))
            i = pidx[a.place]
            w = int(a.weight)
            kind = kinds[i]
            pad = ind * (1 + depth)
            x, s = f"_x{k}", f"_s{k}"
            if kind == COUNT:
                L.append(f"{pad}if m[{i}] < {w}: {'continue' if loops else 'return'}")
                continue
            if isinstance(lookup, str):     # value given by the guard: bind, then look up
                v = self.patterns[k].id
                L.append(f"{pad}for {x} in ({lookup},):")
                depth += 1
                loops += 1
                pad = ind * (1 + depth)
                L.append(f"{pad}v_{v} = {x}")
                bound.add(v)
                self.variables.append(v)
                L.append(f"{pad}{s} = m[{i}].get({x})")
                L.append(f"{pad}if {s} is None or {few(kind, s, w)}: continue")
            elif lookup:
                val = repr(DOT) if k not in self.patterns else self.pattern_value(k)
                L.append(f"{pad}for {x} in ({val},):")
                depth += 1
                loops += 1
                pad = ind * (1 + depth)
                L.append(f"{pad}{s} = m[{i}].get({x})")
                L.append(f"{pad}if {s} is None or {few(kind, s, w)}: continue")
            else:
                L.append(f"{pad}for {x}, {s} in m[{i}].items():")
                depth += 1
                loops += 1
                pad = ind * (1 + depth)
                L.append(f"{pad}if {few(kind, s, w)}: continue")
                self._arc = k
                self._match(self.patterns[k], x, bound, L, pad, a.place)
                self._arc = -1
        pad = ind * (1 + depth)
        # 3. declared variables no arc binds: try every value
        for v in self._declared_vars():
            cs = self.net.variables[v]
            L.append(f"{pad}for v_{v} in _all_{self.colour_number[cs]}:")
            depth += 1
            loops += 1
            pad = ind * (1 + depth)
            bound.add(v)
            self.variables.append(v)
        skip = "continue" if loops else "return"
        # 4. the guard (before the joint check: it needs only bound variables and is cheap)
        if t.guard is not None and str(t.guard).strip() not in ("", "True"):
            L.append(f"{pad}if not ({self.expr(t.guard, 'guard')}): {skip}")
        # 5. joint availability where several arcs take from one place
        if joint:
            for p in sorted(joint, key=pidx.get):
                i = pidx[p]
                need = []
                for k, a in normal:
                    if a.place == p and a.kind == "normal":
                        val = repr(DOT) if k not in self.patterns else self.pattern_value(k)
                        need.append((val, int(a.weight)))
                if kinds[i] == COUNT:
                    L.append(f"{pad}if m[{i}] < {sum(w for _, w in need)}: {skip}")
                else:
                    L.append(f"{pad}_need = {{}}")
                    for val, w in need:
                        L.append(f"{pad}_need[{val}] = _need.get({val}, 0) + {w}")
                    lacking = "_s < _w" if kinds[i] == MULTI else "_few(_s, now, _w)"
                    L.append(f"{pad}_ok = True")
                    L.append(f"{pad}for _v, _w in _need.items():")
                    L.append(f"{pad}    _s = m[{i}].get(_v)")
                    L.append(f"{pad}    if _s is None or {lacking}: _ok = False; break")
                    L.append(f"{pad}if not _ok: {skip}")
        # 5. inhibitor arcs: fewer tokens than the weight (any timestamp)
        for k, a in inhib:
            i = pidx[a.place]
            w = int(a.weight)
            if kinds[i] == COUNT:
                L.append(f"{pad}if m[{i}] >= {w}: {skip}")
            elif k in self.patterns:
                val = self.pattern_value(k)
                cnt = "_s" if kinds[i] == MULTI else "_len(_s)"
                L.append(f"{pad}_s = m[{i}].get({val})")
                L.append(f"{pad}if _s is not None and {cnt} >= {w}: {skip}")
            else:
                L.append(f"{pad}if {self._size(i)} >= {w}: {skip}")
        # 7. capacities of output places
        produced = Counter()
        weights_expr = {}
        for j, a in enumerate(t.outputs):
            if self.net.places[a.place].capacity is not None:
                if isinstance(a.weight, int) and not isinstance(a.weight, bool):
                    produced[a.place] += a.weight
                else:
                    weights_expr.setdefault(a.place, []).append(self.expr(a.weight, f"output arc {j + 1} weight"))
        for p in sorted(set(produced) | set(weights_expr), key=pidx.get):
            i = pidx[p]
            consumed = sum(int(a.weight) for a in t.inputs if a.kind == "normal" and a.place == p)
            add = " + ".join([str(produced[p] - consumed)] + [f"({e})" for e in weights_expr.get(p, [])])
            L.append(f"{pad}if _cap[{i}] is not None and {self._size(i)} + {add} > _cap[{i}]: {skip}")
        names = ", ".join("v_" + v for v in self.variables)
        L.append(f"{pad}yield ({names}{',' if len(self.variables) == 1 else ''})")
        if len(L) == 2 and L[1].strip().startswith("yield"):
            pass
        self.source_bindings = "\n".join(L)
        parts = [self.source_bindings, self._listing_source(L), self._check_source(L),
                 self._since_source(), self._fire_source()]
        many = self._listing_many_source(L)
        if many is not None:
            parts.append(many)
        keeps = self._keeps_source() if t.controllable else None    # the engine lists those
        if keeps is not None:
            parts.append(keeps)
        if t.order is not None:
            parts.append(self._order_source())
            parts.append(self._smallest_source(L))
        return "\n\n".join(parts) + "\n"

    def _listing_source(self, L: list[str]) -> str:
        """``listing(m, now)``: the list of what ``bindings`` yields, in its order, built in
        one call (no generator to step through)."""
        out = ["def listing(m, now):", "    _o = []"]
        for line in L[1:]:
            if line.endswith(": return"):
                line += " _o"
            elif line.lstrip().startswith("yield "):
                pad = line[: len(line) - len(line.lstrip())]
                line = f"{pad}_o.append({line.lstrip()[len('yield '):]})"
            out.append(line)
        out.append("    return _o")
        return "\n".join(out)

    def _listing_many_source(self, L: list[str]) -> str | None:
        """``listing_many(m, now)``: ``listing`` with the ready colours of each place an inner
        loop runs over taken once, before the first loop, instead of once per binding of the
        loops around it (the same list, in the same order; for a transition listed often
        whose inner places hold few colours, e.g. a job shop's machines). None when
        ``bindings`` has no inner loop over a place."""
        out = self._listing_source(L).replace("def listing(", "def listing_many(", 1).splitlines()
        hoisted, k = [], 0
        while k < len(out) - 1:
            found = re.fullmatch(r"( {8,})for (_x\d+), (_s\d+) in m\[(\d+)\]\.items\(\):", out[k])
            if found:
                pad, x, s, i = found.groups()
                test = re.fullmatch(pad + r"    if (.+): continue", out[k + 1])
                if test and "_x" not in test.group(1):
                    hoisted.append(f"    _h{x} = [({x}, {s}) for {x}, {s} in m[{i}].items() "
                                   f"if not ({test.group(1)})]")
                    out[k:k + 2] = [f"{pad}for {x}, {s} in _h{x}:"]
            k += 1
        if not hoisted:
            return None
        first = next(k for k, line in enumerate(out) if line.startswith("    for "))
        out[first:first] = hoisted
        return "\n".join(out)

    def _keeps_source(self) -> str | None:
        """``keeps(m, now, bs)``: the bindings of ``bs``, a listing made earlier at clock
        ``now``, whose input and read arcs still find their tokens ready, in the order of ``bs``.
        After firings at this clock that only took tokens (and put tokens for later), that is
        the listing: a taking removes bindings and reorders none (a place's remaining colours
        keep their order), and a token for later enables nothing. ``bs`` itself when it keeps
        them all (whoever read the old list, e.g. the actions an environment offers, finds it
        unchanged). None (the transition is
        listed again instead) when a taking could enable it (an inhibitor arc, an output into a
        place with a capacity), when a place has two arcs, or for untimed compilation (enabling
        never depends on chance: ``petri.check``)."""
        t, pidx, kinds = self.t, self.pidx, self.kinds
        if self.untimed:
            return None
        if any(a.kind == "inhibitor" for a in t.inputs) or any(
                self.net.places[a.place].capacity is not None for a in t.outputs):
            return None
        places = [a.place for a in t.inputs]
        if len(set(places)) != len(places):
            return None
        L = ["def keeps(m, now, bs):"]
        loop = []
        for k, a in enumerate(t.inputs):
            i = pidx[a.place]
            w = int(a.weight)
            if kinds[i] == COUNT:
                L.append(f"    if m[{i}] < {w}: return []")
                continue
            val = repr(DOT) if k not in self.patterns else self.pattern_value(k)
            if kinds[i] == MULTI:
                loop.append(f"        if m[{i}].get({val}, 0) < {w}: continue")
            else:
                loop.append(f"        _l = m[{i}].get({val})")
                loop.append(f"        if not _l or _l[0] > now: continue" if w == 1 else
                            f"        if not _l or _few(_l, now, {w}): continue")
        if not loop:
            L.append("    return bs")
            return "\n".join(L)
        L.append("    _o = []")
        L.append("    for b in bs:")
        if self.variables:
            names = ", ".join("v_" + v for v in self.variables)
            L.append(f"        {names}{',' if len(self.variables) == 1 else ''} = b")
        L += loop
        L.append("        _o.append(b)")
        L.append("    return bs if _len(_o) == _len(bs) else _o")
        return "\n".join(L)

    def _smallest_source(self, L: list[str]) -> str:
        """``smallest(m, now, first, best, u)``: binding order's search carried on through this
        transition's enabled bindings, in the order ``bindings`` yields them: ``first`` is the
        smallest order value found so far (None: none yet) and ``best`` the ``(u, binding)``
        pairs that have it; returns both, updated (a binding with a smaller value starts
        ``best`` anew, one with the same value joins it). Values that cannot be compared raise
        ``Unordered``. One call per transition, no list of all its bindings."""
        out = ["def smallest(m, now, _f, _o, _u):"]
        value = self.expr(self.t.order, "order")
        for line in L[1:]:
            if line.endswith(": return"):
                line += " _f, _o"
            elif line.lstrip().startswith("yield "):
                pad = line[: len(line) - len(line.lstrip())]
                b = line.lstrip()[len('yield '):]
                out.append(f"{pad}_v = ({value})")
                out.append(f"{pad}try:")
                out.append(f"{pad}    if _f is None or _v < _f: _f = _v; _o = [(_u, {b})]")
                out.append(f"{pad}    elif _v == _f: _o.append((_u, {b}))")
                line = f"{pad}except _TypeError: raise _Unordered(_v, _f) from None"
            out.append(line)
        out.append("    return _f, _o")
        return "\n".join(out)

    def _order_source(self) -> str:
        """``order(b)``: the value of the transition's ``order`` expression for binding ``b``."""
        L = ["def order(b, now=0):"]
        if self.variables:
            names = ", ".join("v_" + v for v in self.variables)
            L.append(f"    {names}{',' if len(self.variables) == 1 else ''} = b")
        L.append(f"    return ({self.expr(self.t.order, 'order')})")
        return "\n".join(L)

    def _since_source(self) -> str:
        """``since(m, b)``: the ready times of the timed tokens binding ``b`` would take or
        read, latest first. Compared as lists, the smallest is the binding enabled earliest,
        then (on a tie, e.g. the same machine token) the one whose other tokens waited longest."""
        L = ["def since(m, b, now=0):"]
        ind = "    "
        if self.variables:
            names = ", ".join("v_" + v for v in self.variables)
            L.append(f"{ind}{names}{',' if len(self.variables) == 1 else ''} = b")
        times = []
        for k, a in enumerate(self.t.inputs):
            i = self.pidx[a.place]
            if a.kind == "inhibitor" or self.kinds[i] != TIMED:
                continue
            val = repr(DOT) if k not in self.patterns else self.pattern_value(k)
            w = int(a.weight)   # the w-th oldest token
            times.append(f"m[{i}][{val}][0]" if w == 1 else f"_nth(m[{i}][{val}], {w})")
        if len(times) > 1:
            L.append(f"{ind}return _sorted(({', '.join(times)}), reverse=True)")
        else:
            L.append(f"{ind}return [{times[0] if times else ''}]")
        return "\n".join(L)

    def _check_source(self, L: list[str]) -> str:
        """``check(m, now)``: whether some binding is enabled (the search stops at the first)."""
        out = ["def check(m, now):"]
        for line in L[1:]:
            if line.endswith(": return"):
                line += " False"
            elif line.lstrip().startswith("yield "):
                line = line[: len(line) - len(line.lstrip())] + "return True"
            out.append(line)
        out.append("    return False")
        return "\n".join(out)

    def constant_delay(self, d, what: str):
        if not (math.isfinite(d) and d >= 0):
            raise NetError(f"a delay must be a finite number of 0 or more, got {d!r}",
                           element=f"{self.where}: {what}")
        return d

    def delay_check(self, ind: str, var: str, what: str, text=None) -> str:
        """A line refusing a delay that is not a finite number of 0 or more (``text``: the
        delay's inscription; when it always gives a number, only the range is tested)."""
        if text is not None and self._always_number(text):
            return (f"{ind}if not 0 <= {var} < _INF: raise _Err("
                    f"{what + ' must be a finite number of 0 or more, got '!r} + _repr({var}))")
        return (f"{ind}if _type({var}) not in _NUM or not 0 <= {var} < _INF: raise _Err("
                f"{what + ' must be a finite number of 0 or more, got '!r} + _repr({var}))")

    def _always_number(self, text) -> bool:
        """Whether inscription ``text`` always gives an int or a float (never a bool): numbers,
        constants and rows of tables holding only such numbers (a run may change them only to
        other finite numbers), joined by ``+``, ``-`` and ``*``."""
        def number(x):
            return type(x) in (int, float)
        numbers = {k for k, v in self.net.constants.items() if number(v)}
        tables = {k for k, t in self.net.tables.items() if all(map(number, t.rows.values()))}

        def always(n) -> bool:
            if isinstance(n, ast.Constant):
                return number(n.value)
            if isinstance(n, ast.Name):
                return n.id in numbers
            if isinstance(n, ast.Subscript):
                return isinstance(n.value, ast.Name) and n.value.id in tables
            if isinstance(n, ast.BinOp):
                return isinstance(n.op, (ast.Add, ast.Sub, ast.Mult)) and always(n.left) \
                    and always(n.right)
            if isinstance(n, ast.UnaryOp):
                return isinstance(n.op, (ast.USub, ast.UAdd)) and always(n.operand)
            return False
        try:
            return always(ast.parse(str(text).strip(), mode="eval").body)
        except SyntaxError:
            return False

    def _literal(self, text):
        """The value of an output inscription that is a literal or a constant, else _NONE."""
        if text is None:
            return _NONE
        try:
            tree = ast.parse(str(text).strip(), mode="eval").body
        except SyntaxError:
            return _NONE
        if isinstance(tree, ast.Constant):   # constants' names may change value during a run
            return tree.value
        return _NONE

    def _size(self, i: int) -> str:
        kind = self.kinds[i]
        if kind == COUNT:
            return f"m[{i}]"
        if kind == MULTI:
            return f"_sum(m[{i}].values())"
        return f"_sum(_map(_len, m[{i}].values()))"

    def _match(self, node, value: str, bound: set, L: list, pad: str, place: str,
               colour: str | None = None) -> None:
        """Lines matching pattern ``node`` against the token ``value`` of ``place``: a bound
        variable or a literal compares, an unbound variable binds. ``colour``: the colour set
        ``value`` belongs to, when known (every token of a place is in its colour set, so a
        tuple pattern of a product of as many components needs no test of the token's shape)."""
        if colour is None and "[" not in value:
            colour = self.net.places[place].colour
        if isinstance(node, ast.Name) and node.id not in self.constants \
                and node.id not in ("True", "False", "None"):
            if node.id in bound:
                L.append(f"{pad}if {value} != v_{node.id}: continue")
            else:
                L.append(f"{pad}v_{node.id} = {value}")
                self.bound_by[node.id] = self._arc
                bound.add(node.id)
                self.variables.append(node.id)
                if value.startswith("_x") and "[" not in value:
                    self.var_origin[node.id] = self.net.places[place].colour
            return
        if isinstance(node, ast.Tuple):
            n = len(node.elts)
            cs = self.net.all_colour_sets().get(colour) if colour is not None else None
            parts = list(cs.components) if cs is not None and cs.kind == "product" else []
            if len(parts) != n:
                L.append(f"{pad}if _type({value}) is not _tuple or _len({value}) != {n}: continue")
                parts = [None] * n
            names = [e.id for e in node.elts if isinstance(e, ast.Name)]
            if parts[0] is not None and len(names) == n and len(set(names)) == n and not any(
                    v in bound or v in self.constants or v in ("True", "False", "None") for v in names):
                # fresh variables only: bind them all at once
                L.append(f"{pad}{', '.join('v_' + v for v in names)} = {value}")
                for v in names:
                    self.bound_by[v] = self._arc
                    bound.add(v)
                    self.variables.append(v)
                return
            for j, elt in enumerate(node.elts):
                self._match(elt, f"{value}[{j}]", bound, L, pad, place, parts[j])
            return
        L.append(f"{pad}if {value} != {ex.to_source(node, self.constants, self.tables)}: continue")

    def _rebuilt(self, text: str, colour: str) -> bool:
        """Whether output inscription ``text`` gives back the token an input arc from a place
        of colour set ``colour`` matched: the same pattern (say ``(o, p)``), every variable in
        it bound by that arc's match. Such a token is in ``colour`` already."""
        try:
            tree = ast.parse(str(text).strip(), mode="eval").body
        except SyntaxError:
            return False
        if not isinstance(tree, ast.Tuple):
            return False
        shape = ast.dump(tree)
        names = ex.pattern_variables(tree, self.constants) if ex.is_pattern(tree) else None
        if not names:
            return False
        for k, a in enumerate(self.t.inputs):
            if a.kind == "inhibitor" or k not in self.patterns \
                    or self.net.places[a.place].colour != colour:
                continue
            if ast.dump(ast.parse(str(a.pattern).strip(), mode="eval").body) == shape \
                    and all(self.bound_by.get(v) == k for v in names):
                return True
        return False

    def _negative_delay(self, ind: str, var: str, what: str) -> str:
        """A line stopping the run when a delay expression gives a negative number: a token
        stamped in the past would break the clock's order."""
        message = f"{self.where}: {what} is negative: "
        return f"{ind}if not {var} >= 0: raise _Err({message!r} + _repr({var}))"

    # -- the fire function -----------------------------------------------------------------------
    def _fire_source(self) -> str:
        t, pidx, kinds, log = self.t, self.pidx, self.kinds, self.log
        L = ["def fire(m, now, b, heap, pending):"]
        ind = "    "
        if self.variables:
            names = ", ".join("v_" + v for v in self.variables)
            L.append(f"{ind}{names}{',' if len(self.variables) == 1 else ''} = b")
        pt = all(kinds[pidx[a.place]] == COUNT for a in list(t.inputs) + list(t.outputs)) \
            and all(isinstance(a.weight, int) and not isinstance(a.weight, bool) for a in t.outputs)
        if log and pt:
            # black tokens only: what a firing consumes and produces never changes
            consumed = tuple((a.place, DOT, 0) for a in t.inputs if a.kind == "normal"
                             for _ in range(int(a.weight)))
            produced = tuple((a.place, DOT, 0) for a in t.outputs for _ in range(a.weight))
            L[0] = f"def fire(m, now, b, heap, pending, _CP=({consumed!r}, {produced!r}, True)):"
            log = False
        # the log record: each consumption and production names its records in a local,
        # joined into two tuples by the return (cheaper than growing lists)
        cparts: list[str] = []
        pparts: list[str] = []

        def record(parts, prefix, single, many):
            name = f"_{prefix}{len(parts)}"
            L.append(f"{ind}{name} = {single}" if many is None else f"{ind}{name} = {many}")
            parts.append(name if many is None else "*" + name)

        for k, a in enumerate(t.inputs):
            if a.kind != "normal":
                continue
            i = pidx[a.place]
            w = int(a.weight)
            pname = repr(a.place)
            val = repr(DOT) if k not in self.patterns else self.pattern_value(k)
            if kinds[i] == COUNT:
                L.append(f"{ind}m[{i}] -= {w}")
                if log:
                    record(cparts, "c", f"({pname}, (), 0)",
                           None if w == 1 else f"(({pname}, (), 0),) * {w}")
            elif kinds[i] == MULTI:
                L.append(f"{ind}_x = {val}; _d = m[{i}]; _n = _d[_x] - {w}")
                L.append(f"{ind}if _n: _d[_x] = _n")
                L.append(f"{ind}else: del _d[_x]")
                if log:
                    record(cparts, "c", f"({pname}, _x, 0)",
                           None if w == 1 else f"(({pname}, _x, 0),) * {w}")
            else:
                L.append(f"{ind}_x = {val}; _d = m[{i}]; _l = _d[_x]")
                L.append(f"{ind}_ts = _pop(_l)" if w == 1 else f"{ind}_ts = _take(_l, {w})")
                if log:
                    record(cparts, "c", f"({pname}, _x, _ts)",
                           None if w == 1 else f"_tuple([({pname}, _x, _u) for _u in _ts])")
                L.append(f"{ind}if not _l: del _d[_x]")
        timed_out = any(kinds[pidx[a.place]] == TIMED for a in t.outputs)
        if timed_out:
            L.append(f"{ind}_r = False")      # a token put into a timed place is ready now
            if self.untimed:
                L.append(f"{ind}_t0 = now")
            else:
                d = t.delay
                if isinstance(d, (int, float)) and not isinstance(d, bool):
                    L.append(f"{ind}_t0 = now + {self.constant_delay(d, 'delay')!r}")
                else:
                    L.append(f"{ind}_t0 = {self.expr(d, 'delay')}")
                    L.append(self.delay_check(ind, "_t0", f"delay {str(d).strip()!r}", d))
                    L.append(f"{ind}_t0 += now")
        for j, a in enumerate(t.outputs):
            i = pidx[a.place]
            kind = kinds[i]
            pname = repr(a.place)
            what = f"output arc {j + 1} ({a.place})"
            start = None
            if isinstance(a.weight, int) and not isinstance(a.weight, bool):
                if a.weight == 0:      # produces nothing: no colour with a count of 0
                    continue
                w = str(a.weight)
            else:
                w = "_w"
                L.append(f"{ind}_w = {self.expr(a.weight, what + ' weight')}")
                L.append(f"{ind}if _type(_w) is not _int or _w < 0: raise _Err("
                         f"{what + ': weight ' + repr(str(a.weight).strip()) + ' must be an integer of 0 or more, got '!r} + _repr(_w))")
                if log:
                    L.append(f"{ind}_p{len(pparts)} = ()")
                # a weight of 0 produces nothing: the lines below run only for more
                start = len(L)
            self._output_lines(L, a, i, kind, w, what, pname, ind, log, record, pparts)
            if start is not None:
                L[start:] = [f"{ind}if _w:"] + ["    " + line for line in L[start:]]
        soon = "_r" if timed_out else "True"
        if log:
            def joined(parts):
                return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
            L.append(f"{ind}return {joined(cparts)}, {joined(pparts)}, {soon}")
        elif self.log:
            L.append(f"{ind}return _CP")
        else:
            L.append(f"{ind}return {soon}")
        return "\n".join(L)

    def _output_lines(self, L, a, i, kind, w, what, pname, ind, log, record, pparts):
        """The lines of ``fire`` that put output arc ``a``'s tokens in place ``i``."""
        if kind == COUNT:
            L.append(f"{ind}m[{i}] += {w}")
            if log:
                record(pparts, "p", f"({pname}, (), 0)",
                       None if w == "1" else f"(({pname}, (), 0),) * {w}")
            return
        val = repr(DOT) if a.expression is None else self.expr(a.expression, what)
        L.append(f"{ind}_x = {val}")
        colour = self.net.places[a.place].colour
        bare = a.expression is not None and (
            (a.expression.strip() in self.var_origin and self.var_origin[a.expression.strip()] == colour)
            or self._rebuilt(a.expression, colour))
        literal = self._literal(a.expression)
        if literal is not _NONE:
            # a constant colour: checked once, here
            if not self.net.colour_set(colour).contains(literal, self.net.all_colour_sets()):
                raise NetError(f"token {literal!r} is not in colour set {colour}",
                               element=f"{self.where}: {what}")
        elif a.expression is not None and not bare:
            L.append(f"{ind}if not _cs_{self.colour_number[colour]}(_x): raise _Err("
                     f"{what + ': inscription ' + repr(str(a.expression).strip()) + ' gives a token not in colour set ' + colour + ': '!r} + _repr(_x))")
        if kind == MULTI:
            L.append(f"{ind}_d = m[{i}]; _d[_x] = _d.get(_x, 0) + {w}")
            if log:
                record(pparts, "p", f"({pname}, _x, 0)",
                       None if w == "1" else f"(({pname}, _x, 0),) * {w}")
        else:
            if a.delay is None or self.untimed:
                L.append(f"{ind}_t = _t0")
            elif isinstance(a.delay, (int, float)) and not isinstance(a.delay, bool):
                L.append(f"{ind}_t = _t0 + {self.constant_delay(a.delay, what + ' delay')!r}")
            else:
                L.append(f"{ind}_t = {self.expr(a.delay, what + ' delay')}")
                L.append(self.delay_check(ind, "_t", f"{what}: delay {str(a.delay).strip()!r}",
                                          a.delay))
                L.append(f"{ind}_t += _t0")
            L.append(f"{ind}_d = m[{i}]; _l = _d.get(_x)")
            if w == "1":
                L.append(f"{ind}if _l is None: _d[_x] = [_t]")
                L.append(f"{ind}else: _push(_l, _t)")
            else:
                L.append(f"{ind}if _l is None: _d[_x] = [_t] * {w}")
                L.append(f"{ind}else: _addn(_l, _t, {w})")
            # a token for later: its ready group's earliest pending time, on the heap of
            # groups, or one of the group's later times (see the engine's ``_pending``)
            g = self.ready_group(i, a.expression)
            L.append(f"{ind}if _t > now:")
            L.append(f"{ind}    _q = pending[{g}]; _a = _q[0]")
            L.append(f"{ind}    if _a is None: _q[0] = _t; _push(heap, (_t, {i}, {g}))")
            L.append(f"{ind}    elif _t < _a: _q[0] = _t; _push(heap, (_t, {i}, {g})); _push(_q[1], _a)")
            L.append(f"{ind}    elif _t != _a: _push(_q[1], _t)")
            L.append(f"{ind}else: _r = True")
            if log:
                record(pparts, "p", f"({pname}, _x, _t)",
                       None if w == "1" else f"(({pname}, _x, _t),) * {w}")

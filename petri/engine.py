"""The token game: a small, explicit kernel for timed coloured Petri nets.

How time moves (see docs/semantics.md): at clock ``t`` the engine fires enabled bindings one
at a time, highest priority first. When nothing is enabled it moves the clock to the next
time a token becomes ready (a heap of ready times) and looks again; when no token will ever
become ready, the run is over. After a firing only the transitions that depend on the places
it touched are re-examined.

With a controller, uncontrollable bindings fire first (a seeded RNG picks among them); when
only controllable ones remain at this instant, the controller chooses one, or waits, and
then time advances. Same net, same seed, same controller: the identical run.

>>> from petri import Net
>>> net = Net()
>>> _ = net.add_colour_set("Part", values=["A", "B"], timed=True)
>>> _ = net.add_place("raw", "Part", initial=["A", "B"])
>>> _ = net.add_place("done", "Part")
>>> _ = net.add_place("machine", initial=1)
>>> _ = net.add_transition("work", inputs=[("raw", "p"), "machine"], delay=5,
...                    outputs=[("done", "p"), "machine"])
>>> sim = Simulator(net, seed=1)
>>> sim.run().firings, sim.count("done"), sim.clock
(2, 2, 0)
"""
from __future__ import annotations

import heapq
import math
import operator
import random
import time as _time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .compiler import COUNT, MULTI, TIMED, CompiledNet, SimulationError, TableRows, Unordered, compile_net
from .distributions import Draws
from .interrupt import Interrupt
from .model import DOT, Net, NetError
from .timestamps import latest as latest_of

__all__ = ["Simulator", "Snapshot", "Binding", "Event", "EventLog", "RunResult", "StateView", "Decision",
           "compile_net", "SimulationError", "WAIT"]

#: What a controller returns to decline every choice now and let time advance.
WAIT = None
_ASK = object()     # no choice made in advance: the controller is asked (``choose_next``)


class Binding:
    """A transition with values for its variables: one way it can fire."""

    __slots__ = ("transition", "values", "_t", "_b")

    def __init__(self, transition: str, values: dict, _t: int = -1, _b: tuple = ()):
        self.transition = transition
        self.values = values
        self._t = _t
        self._b = _b

    def __eq__(self, other):
        return (isinstance(other, Binding) and self.transition == other.transition
                and self.values == other.values)

    def __hash__(self):
        return hash((self.transition, tuple(self.values.items())))

    def __repr__(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{self.transition}<{inner}>"


@dataclass(frozen=True)
class Event:
    """One firing: when, which transition and binding, the tokens it consumed and produced."""

    step: int
    time: float
    transition: str
    binding: dict
    consumed: tuple
    produced: tuple


@dataclass(frozen=True)
class RunResult:
    clock: float
    firings: int
    wall_seconds: float
    reason: str     # "dead", "until", "max_firings", "zero_time", "interrupted", "waiting"
    finish: float = 0   # when the last token became ready: the later of the clock and the
    #                     latest timestamp in the final marking

    @property
    def firings_per_second(self) -> float:
        return self.firings / self.wall_seconds if self.wall_seconds > 0 else float("inf")


class EventLog:
    """Every firing of a run. ``to_frame()`` gives a pandas DataFrame with columns ``step``,
    ``time``, ``transition``, ``binding``, ``consumed`` and ``produced`` (lists of
    ``(place, colour, timestamp)``)."""

    COLUMNS = ["step", "time", "transition", "binding", "consumed", "produced"]

    def __init__(self, compiled: CompiledNet):
        self._c = compiled
        self._rows: list[tuple] = []    # (time, transition index, binding tuple, consumed, produced)

    def __len__(self):
        return len(self._rows)

    def __getitem__(self, k: int) -> Event:
        rows = self._rows
        k = range(len(rows))[k]
        now, ti, b, c, p = rows[k]
        t = self._c.transitions[ti]
        return Event(k + 1, now, t.name, dict(zip(t.variables, b)), tuple(c), tuple(p))

    def __iter__(self):
        return (self[k] for k in range(len(self._rows)))

    def to_frame(self):
        import pandas as pd
        ts = self._c.transitions
        data = {
            "step": range(1, len(self._rows) + 1),
            "time": [r[0] for r in self._rows],
            "transition": [ts[r[1]].name for r in self._rows],
            "binding": [dict(zip(ts[r[1]].variables, r[2])) for r in self._rows],
            "consumed": [list(r[3]) for r in self._rows],
            "produced": [list(r[4]) for r in self._rows],
        }
        return pd.DataFrame(data, columns=self.COLUMNS)

    def to_csv(self, path) -> None:
        """Write the log as CSV: bindings and token lists as JSON (see ``petri.eventlog``)."""
        from .eventlog import write_table
        write_table(self, path, parquet=False)

    def to_parquet(self, path) -> None:
        """Write the log as Parquet with JSON columns (needs pyarrow: ``pip install pyarrow``)."""
        from .eventlog import write_table
        write_table(self, path, parquet=True)


class StateView:
    """A read-only view of a running simulation, as controllers and observers see it."""

    __slots__ = ("_sim", "_seen", "_compared", "_until")

    def __init__(self, sim: "Simulator", seen: set | None = None, compared: list | None = None):
        self._sim = sim
        #: what was read through this view (place names, ``CLOCK``, ``EVERY_PLACE``,
        #: ``FIRINGS``), for a controller whose waiting holds until it changes; None: not noted
        self._seen = seen
        #: the answers of ``at_least``: (place index, n, answer), noted as ``_seen``
        self._compared = compared
        self._until: float | None = None

    def valid_until(self, time: float) -> None:
        """Say that what was read of the clock through this view gives the same answer at
        any clock before ``time`` (for a ``deterministic`` controller: its wait then holds
        until ``time``, unless something else it read changes first). Without it, reading the
        clock makes a wait hold only at this clock."""
        if self._until is None or time < self._until:
            self._until = time

    @property
    def clock(self) -> float:
        if self._seen is not None:
            self._seen.add(CLOCK)
        return self._sim.clock

    @property
    def net(self) -> Net:
        return self._sim.net

    @property
    def firings(self) -> int:
        if self._seen is not None:
            self._seen.add(FIRINGS)
        return self._sim.firings

    @property
    def marking(self) -> dict[str, Counter]:
        if self._seen is not None:
            self._seen.add(EVERY_PLACE)
        return self._sim.marking

    def tokens(self, place: str) -> list:
        if self._seen is not None:
            self._seen.add(place)
        return self._sim.tokens(place)

    def count(self, place: str) -> int:
        sim = self._sim      # what controllers ask most: the count the engine keeps
        seen = self._seen
        if seen is not None:
            seen.add(place)
        i = sim._place_at.get(place)
        if i is None:
            return sim.count(place)
        if not sim._touched:       # no firing pending: kept_counts() without the call
            kept = sim._counts
            if kept is not None and sim._touched is not None:
                return kept[i]
        return sim.kept_counts()[i]

    def counts(self) -> list[int]:
        """The token count of every place (net order), kept by the engine from one firing to
        the next: only the places a firing touched are counted again. Read-only."""
        if self._seen is not None:
            self._seen.add(EVERY_PLACE)
        return self._sim.kept_counts()

    def at_least(self, place: str, n: int) -> bool:
        """Whether ``place`` holds at least ``n`` tokens (``count(place) >= n``). For a
        ``deterministic`` controller this reads less than ``count``: a wait that read it holds
        while the answer stays the same, however the count moves."""
        if n.__class__ is not int:
            try:
                if isinstance(n, bool):
                    raise TypeError
                n = operator.index(n)   # a whole number (numpy's too)
            except TypeError:
                raise NetError(f"at_least({place!r}, n): n must be a whole number of tokens, "
                               f"got {n!r}") from None
        sim = self._sim
        i = sim._place_at.get(place)
        if i is None:
            return sim.count(place) >= n     # (an unknown place: named by ``count``)
        answer = sim.kept_counts()[i] >= n
        compared = self._compared
        if compared is not None:
            compared.append((i, n, answer))
        return answer

    def colours(self, place: str) -> Counter:
        if self._seen is not None:
            self._seen.add(place)
        return self._sim.colours(place)

    def version(self, place: str) -> int:
        """A number that changes whenever a firing changes the tokens of ``place``: while it
        stays the same, so do the place's tokens (what a controller computed from them holds)."""
        seen = self._seen
        if seen is not None:
            seen.add(place)
        sim = self._sim
        i = sim._place_at.get(place)
        touched = sim._touched
        if i is None or sim._counts is None or touched or touched is None:
            return sim.place_version(sim._place(place))
        return sim._versions[i]

    def capacity(self, place: str):
        """The capacity of ``place`` now in force (a scenario may change it during a run)."""
        if self._seen is not None:
            self._seen.add(place)
        sim = self._sim
        i = sim._place_at.get(place)
        return sim.compiled.capacity[i] if i is not None else sim.capacity(place)


#: what a view notes besides place names (see ``StateView._seen``)
CLOCK, EVERY_PLACE, FIRINGS = -1, -2, -3


class Decision:
    """What a controller sees at a decision point: the clock, the enabled controllable
    ``bindings`` (net order) and a read-only view of the ``state``. The engine builds the
    list of bindings only when a controller first looks at it."""

    __slots__ = ("_clock", "state", "_bindings", "_offer", "listed")

    def __init__(self, clock: float, bindings: list | None = None, state: StateView | None = None,
                 *, offer: Callable[[], list] | None = None, listed: list | None = None):
        self._clock = clock
        self.state = state
        self._bindings = bindings
        self._offer = offer
        #: the same bindings as the engine keeps them, without building Binding objects:
        #: ``[(transition index, [values tuple in the transition's variable order, ...]), ...]``
        #: in net order (None when the decision was made by hand from a list of bindings)
        self.listed = listed

    @property
    def clock(self) -> float:
        if self.state is not None and self.state._seen is not None:
            self.state._seen.add(CLOCK)
        return self._clock

    @property
    def bindings(self) -> list:
        if self._bindings is None:
            self._bindings = self._offer() if self._offer is not None else []
        return self._bindings

    def offering(self, bindings: list) -> "Decision":
        """The same decision point offering only ``bindings`` (a part of these; for a
        controller that hands some bindings on to another), without reading the clock."""
        return Decision(self._clock, list(bindings), self.state)

    def __repr__(self):
        return f"Decision(clock={self.clock!r}, bindings={self.bindings!r})"


@dataclass(frozen=True)
class Snapshot:
    """What ``Simulator.snapshot`` keeps: enough to ``restore`` the token game exactly."""

    clock: float
    firings: int
    marking: list
    heap: list              # (pending ready time, place, ready group)
    rng: tuple
    declined: bool
    logged: int
    enabled: dict
    draws: tuple = ()       # the state of the run's random draws
    pending: list | None = None     # per ready group, its pending ready times
    parameters: dict | None = None  # constants and table rows in force (set_constant ...)


class _Enabled:
    """Transitions known to be enabled, per class (priority, controllable, ordered): an
    indexable set so that a uniform random pick costs O(1). ``ordered``: its transitions carry
    a binding order, so the smallest order value fires first."""

    __slots__ = ("items", "pos", "ordered")

    def __init__(self, ordered: bool = False):
        self.items: list[int] = []
        self.pos: dict[int, int] = {}
        self.ordered = ordered

    def add(self, t: int) -> None:
        if t not in self.pos:
            self.pos[t] = len(self.items)
            self.items.append(t)

    def discard(self, t: int) -> None:
        k = self.pos.pop(t, None)
        if k is not None:
            last = self.items.pop()
            if last != t:
                self.items[k] = last
                self.pos[last] = k


def _same_kind(what: str, old, new) -> None:
    """A number stays a finite number: the compiled inscriptions rely on it (an operator on
    numbers needs no guard against building long text)."""
    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool)
    if number(old) and not (number(new) and math.isfinite(new)):
        raise NetError(f"{what} holds a number; its new value must be a finite number, got {new!r}")


class Simulator:
    """Play the token game on ``net``.

    ``controller``: an object with ``choose(decision) -> Binding | None`` (see
    ``control.base``); ``seed``: the RNG seed for every free choice; ``log``: keep the
    event log (turn it off for the fastest long runs); ``choice``: how the engine picks among
    the bindings that may fire, ``"random"`` (a transition, then one of its bindings,
    uniformly) or ``"oldest"`` (first come, first served: the binding whose tokens have been
    ready longest, ties at random). Transitions with a binding ``order`` fire, at each instant
    and priority, smallest order value first, before those without one (docs/semantics.md).
    """

    CHOICES = ("random", "oldest")

    def __init__(self, net: Net | CompiledNet, controller=None, seed: int | None = 0,
                 log: bool = True, choice: str = "random"):
        if choice not in self.CHOICES:
            raise NetError(f"choice must be one of {', '.join(self.CHOICES)}, not {choice!r}")
        self.choice = choice
        self.compiled = net if isinstance(net, CompiledNet) else compile_net(net, log=log)
        self.net = self.compiled.net
        self._place_at = self.compiled.place_index     # place name -> index (the state view's reads)
        self.controller = controller
        self.rng = random.Random(seed)
        #: the run's random draws (``uniform``, ``exponential``, ...), seeded from ``seed``
        self.draws = Draws(seed)
        self._start_parameters()
        self._instant_limit = None
        self.log = self.compiled.log
        self.clock: float = 0
        self.firings = 0
        self.events = EventLog(self.compiled)
        self._m = self.compiled.initial_marking()
        # the pending ready times: per ready group (a place and the transitions its tokens
        # can enable, see compiler._ReadyGroups) ``[earliest, later]``, its earliest pending
        # time (None: none) and a min-heap of its later ones; and a min-heap of (time, place,
        # group) holding each group's earliest time (an entry whose time is no longer its
        # group's earliest when it comes up is skipped)
        self._heap: list = []
        self._pending: list[list] = [[None, []] for _ in self.compiled.ready.members]
        self._observers: list[Callable[[Event], Any]] = []
        self._declined = False
        c = self.compiled
        # enabled sets: one per (priority, controllable, ordered) class, highest priority
        # first, ordered before unordered
        use_control = controller is not None

        def klass(t):
            ctl = t.controllable and use_control
            return (t.priority, ctl, t.order is not None and not ctl)

        classes = sorted({klass(t) for t in c.transitions},
                         key=lambda pc: (-pc[0], pc[1], not pc[2]))
        self._classes = classes
        self._sets = {pc: _Enabled(pc[2]) for pc in classes}
        self._class_of = [self._sets[klass(t)] for t in c.transitions]
        self._has_order = any(pc[2] for pc in classes)
        self._uncontrolled = [(pc[0], self._sets[pc]) for pc in classes if not pc[1]]
        self._controlled = [(pc[0], self._sets[pc]) for pc in classes if pc[1]]
        # The bindings of a transition, listed once and kept until one of the places it
        # depends on changes (or the clock makes one of their tokens ready): whoever looks at
        # them more than once between firings (a controller, binding orders, "oldest") reads
        # them here. ``_offered`` holds them as Binding objects, built when a controller looks.
        n = len(c.transitions)
        keep = use_control or choice == "oldest" or self._has_order
        self._listed: list | None = [None] * n if keep else None
        self._offered: list | None = [None] * n if keep else None
        self._made: list = [None] * n      # per transition: values tuple -> Binding object
        # A controllable transition whose places changed is only marked: whether it is enabled
        # is settled (by listing its bindings, which a decision needs anyway) when someone
        # asks whether a decision is due. ``_dirty`` holds the marked ones (each with None, or
        # the list kept before firings that only took tokens: see ``_keeps`` below).
        self._lazy = [t.controllable and use_control for t in c.transitions]
        self._dirty: dict[int, None] = {}
        # A marked controllable transition found to have too few ready tokens in one of its
        # input places (``_lacks``) keeps that place here (-1: none known) until it is marked
        # again: it stays disabled until that place gains tokens (a firing puts some there,
        # or some get ready), so the firings and ready times that give that place nothing
        # leave it as it is (its kept bindings: none).
        self._lacking = [-1] * n
        self._gains = self._structure("gains", lambda: [
            frozenset(c.place_index[a.place] for a in self.net.transitions[t.name].outputs)
            for t in c.transitions])
        # A firing that only took tokens and put every token it made for later (all its
        # outputs go to timed places and none is ready now) leaves the marked controllable
        # transitions with a kept list to ``keeps``: the old list stays in ``_dirty`` (its
        # value, None: list again) and settling keeps those of its bindings whose tokens are
        # still there, instead of listing again (``CompiledTransition.keeps``).
        self._takes_only = self._structure("takes only", lambda: [
            bool(self.net.transitions[t.name].outputs) and all(
                c.place_kinds[c.place_index[a.place]] == TIMED
                for a in self.net.transitions[t.name].outputs) for t in c.transitions])
        self._keeps = [t.keeps if self._lazy[k] else None for k, t in enumerate(c.transitions)]
        # A marked controllable transition whose kept list was empty and whose only input place
        # to gain ready tokens is one of its ``fresh`` places is marked with (that place, the
        # clock of the empty listing) instead: its bindings all use a token of that place that
        # got ready since, so settling lists only those colours (``_settle``). ``_listed_at``:
        # the clock at which each kept list was made.
        self._fresh = [t.fresh if self._lazy[k] else frozenset() for k, t in enumerate(c.transitions)]
        self._inputs = self._structure("inputs", lambda: [
            frozenset(c.place_index[a.place] for a in self.net.transitions[t.name].inputs)
            for t in c.transitions])
        self._listed_at: list = [None] * n
        # The transitions fired since the kept counts were last brought up to date (a dict:
        # bounded by the number of transitions): ``kept_counts`` counts only their places again.
        self._touched: dict[int, None] | None = {} if keep else None
        self._counts: list[int] | None = None
        self._versions: list[int] = []      # per place: changes when its tokens change
        self._version = 0
        # the places counted again by the latest call of ``kept_counts`` that changed the
        # version (None: every place): whoever read the counts at the version before needs
        # only those
        self._recounted: Iterable[int] | None = None
        self._changed_places: list[tuple[int, ...]] | None = None
        self._needs: list | None = None     # per transition: (place, kind, weight) of its inputs
        # A controller that says its choice follows from what it reads (``deterministic``) and
        # waited is not asked again until its offer or something it read changes: what it was
        # offered and read is kept here (``_note_wait``)
        self._watch = use_control and bool(getattr(controller, "deterministic", False))
        self._waited: tuple | None = None
        self._watches: dict = {}    # what a controller read -> what to watch (``_watch_of``)
        self._changers: list | None = None  # per place: the transitions whose firing changes it
        self._chosen = _ASK         # what the next decision point takes (``choose_next``)
        self._pause = False         # stop at a decision point instead of asking (``_to_decision``)
        self._paused: Decision | None = None
        self._loop = None           # per transition: fire, listing, simple (``_run``)
        for i, place in enumerate(c.place_names):
            for tok in self.net.places[place].initial:
                if c.place_kinds[i] == 2 and tok.time > 0:
                    g = c.ready.whole(i)
                    q, t = self._pending[g], tok.time
                    if q[0] is None or t < q[0]:
                        if q[0] is not None:
                            heapq.heappush(q[1], q[0])
                        q[0] = t
                        heapq.heappush(self._heap, (t, i, g))
                    elif t != q[0]:
                        heapq.heappush(q[1], t)
        # per ready group, its place (what gains ready tokens), for the marked controllable
        # transitions: None when there are none
        self._group_places = [(i,) for i in c.ready.place] if any(self._lazy) else None
        self._gained_of: dict = {}  # groups getting ready together -> their places (``advance``)
        self._ready_now = [s for _, s in self._uncontrolled]   # what advance() looks at
        self._control_now = [s for _, s in self._controlled]
        self._checks = [t.check for t in c.transitions]
        self._rechecks = self._rechecker()
        self._recheck(range(len(c.transitions)))
        if controller is not None and hasattr(controller, "reset"):
            controller.reset(StateView(self))

    def _structure(self, key, make: Callable[[], list]) -> list:
        """``make()``: what follows from the net's structure alone (its arcs, places and
        transitions), worked out once per compiled net and kept for every run on it. Read-only."""
        cache = self.compiled.engine_cache
        out = cache.get(key)
        if out is None:
            out = cache[key] = make()
        return out

    def _start_parameters(self) -> None:
        """A run starts from the net's own constants, tables, capacities and random draws,
        whatever an earlier run on the same compiled net changed (``set_constant`` ...)."""
        c, net = self.compiled, self.compiled.net
        ns = c.namespace
        ns.update({"c_" + k: v for k, v in net.constants.items()})
        ns.update({"t_" + k: TableRows(v) for k, v in net.tables.items()})   # the run's own rows
        ns.update({"f_" + k: f for k, f in self.draws.functions().items()})
        for i, name in enumerate(c.place_names):
            c.capacity[i] = net.places[name].capacity

    # -- state --------------------------------------------------------------------------------
    @property
    def marking(self) -> dict[str, Counter]:
        """Place name -> Counter of (colour, timestamp)."""
        c = self.compiled
        return {name: c.place_tokens(self._m, i) for i, name in enumerate(c.place_names)}

    def _place(self, place: str) -> int:
        try:
            return self.compiled.place_index[place]
        except KeyError:
            raise NetError(f"unknown place {place!r}") from None

    def tokens(self, place: str) -> list:
        """The tokens of ``place`` as sorted (colour, timestamp) pairs."""
        i = self._place(place)
        kind, s = self.compiled.place_kinds[i], self._m[i]
        if kind == COUNT:
            return [(DOT, 0)] * s
        if kind == MULTI:
            out = [(v, 0) for v, n in s.items() for _ in range(n)]
        else:
            out = [(v, t) for v, stamps in s.items() for t in stamps]
        out.sort(key=lambda vt: (vt[1], repr(vt[0])))
        return out

    def count(self, place: str) -> int:
        return self.compiled.place_count(self._m, self._place(place))

    def counts(self) -> list[int]:
        """The token count of every place, in the net's order of places."""
        m, count = self._m, self.compiled.place_count
        return [count(m, i) for i in range(len(m))]

    def kept_counts(self) -> list[int]:
        """The token count of every place, as ``counts()``, but kept from one call to the next:
        only the places of the transitions fired since are counted again. The list is the
        engine's own: read it, do not change it."""
        touched, kept = self._touched, self._counts
        if touched is None or kept is None:
            kept = self._counts = self.counts()
            self._versions = [self._next_version()] * len(kept)
            self._recounted = None
            if touched is not None:
                touched.clear()
            return kept
        if touched:
            places = self._changed_places
            if places is None:
                places = self._places_of()
            self._version += 1      # ``_next_version`` without the call
            versions, now = self._versions, self._version
            if len(touched) == 1:
                for u in touched:
                    recount = places[u]
            else:
                recount = {i for u in touched for i in places[u]}
            self._recounted = recount
            self.compiled.recount(self._m, recount, kept)
            for i in recount:
                versions[i] = now
            touched.clear()
        return kept

    def place_version(self, i: int) -> int:
        """See ``StateView.version``: place ``i``'s number, brought up to date with the counts."""
        self.kept_counts()
        return self._versions[i]

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    def _places_of(self) -> list[tuple[int, ...]]:
        """Per transition, the places a firing of it may change (its input and output arcs'
        places; read and inhibitor arcs change nothing)."""
        places = self._changed_places
        if places is None:
            c = self.compiled
            idx = c.place_index
            places = self._changed_places = self._structure("changed places", lambda: [
                tuple(sorted({idx[a.place] for a in self.net.transitions[t.name].inputs
                              if a.kind == "normal"}
                             | {idx[a.place] for a in self.net.transitions[t.name].outputs}))
                for t in c.transitions])
        return places

    def colours(self, place: str) -> Counter:
        """Counter of colours in ``place``, timestamps ignored."""
        i = self._place(place)
        kind, s = self.compiled.place_kinds[i], self._m[i]
        if kind == COUNT:       # black tokens: a count
            return Counter({DOT: s}) if s else Counter()
        if kind == MULTI:       # untimed colours: colour -> count
            return Counter(s)
        return Counter({v: len(stamps) for v, stamps in s.items() if stamps})

    def state(self) -> StateView:
        return StateView(self)

    def snapshot(self) -> "Snapshot":
        """The state of the token game now (marking, clock, pending ready times, the RNG, the
        event log's length, the constants and table values in force, as ``set_constant`` and
        ``set_table_value`` left them), for ``restore``: undo in an interactive game, what-if
        runs. A controller's own memory is not part of it."""
        self._settle()
        return Snapshot(self.clock, self.firings, self.compiled.copy_marking(self._m),
                        list(self._heap), self.rng.getstate(), self._declined, len(self.events),
                        {pc: list(s.items) for pc, s in self._sets.items()},
                        self.draws.rng.getstate(), [[a, list(h)] for a, h in self._pending],
                        self._parameters())

    def _parameters(self) -> dict:
        ns = self.compiled.namespace
        kept = {"c_" + c: ns["c_" + c] for c in self.net.constants}
        for t in self.net.tables:      # a table changed in this run is its own copy: keep its rows
            tab = ns["t_" + t]
            kept["t_" + t] = tab if tab is self.net.tables[t] else (tab, dict(tab.rows))
        return kept

    def restore(self, snap: "Snapshot") -> None:
        """Go back to a snapshot of this simulator; later events leave the log. The same
        choices then follow as the first time (the RNG and the enabled sets come back too)."""
        if len(self.events) < snap.logged:
            raise NetError("this snapshot is not of this run (its event log is longer)")
        self.clock, self.firings, self._declined = snap.clock, snap.firings, snap.declined
        self._m[:] = self.compiled.copy_marking(snap.marking)    # in place: the run loop holds it
        self._heap = list(snap.heap)
        self._pending[:] = [[a, list(h)] for a, h in snap.pending]   # in place: the run loop holds it
        self.rng.setstate(snap.rng)
        for key, value in (snap.parameters or {}).items():   # the enabled sets come back below
            if key.startswith("t_") and isinstance(value, tuple):
                value[0].rows.clear()
                value[0].rows.update(value[1])
                value = value[0]
            self.compiled.namespace[key] = value
        if snap.draws:
            self.draws.rng.setstate(snap.draws)
        del self.events._rows[snap.logged:]
        for pc, items in snap.enabled.items():
            s = self._sets[pc]
            s.items = list(items)
            s.pos = {t: k for k, t in enumerate(s.items)}
        if self._listed is not None:
            n = len(self._listed)
            self._listed[:], self._offered[:] = [None] * n, [None] * n
        self._dirty.clear()
        self._lacking[:] = [-1] * len(self._lacking)
        self._chosen = _ASK
        self._counts = None
        self._waited = None

    # -- parameters (for disruption scenarios) --------------------------------------------------------
    def set_constant(self, name: str, value) -> None:
        if name not in self.net.constants:
            raise NetError(f"unknown constant {name!r}")
        _same_kind(f"constant {name!r}", self.compiled.namespace["c_" + name], value)
        self.compiled.namespace["c_" + name] = value
        self._recheck(range(len(self.compiled.transitions)))

    def constant(self, name: str):
        return self.compiled.namespace["c_" + name]

    def set_table_value(self, table: str, key, value) -> None:
        if table not in self.net.tables:
            raise NetError(f"unknown table {table!r}")
        tab = self.compiled.namespace["t_" + table]
        if key not in tab.rows:
            raise NetError(f"table {table!r} has no row {key!r}")
        _same_kind(f"table {table!r} row {key!r}", tab.rows[key], value)
        if tab is self.net.tables[table]:   # give this run its own copy before changing it
            from .model import Table
            tab = Table(tab.name, dict(tab.rows), tab.key, tab.value, tab.source)
            self.compiled.namespace["t_" + table] = tab
        tab.rows[key] = value
        self._recheck(range(len(self.compiled.transitions)))

    def table_value(self, table: str, key):
        return self.compiled.namespace["t_" + table][key]

    def set_capacity(self, place: str, capacity: int | None) -> None:
        i = self._place(place)
        if self.net.places[place].capacity is None:
            raise NetError(f"place {place!r} has no capacity in the net; declare one to change it")
        if capacity is None or (isinstance(capacity, int) and capacity >= 0):
            self.compiled.capacity[i] = capacity
        else:
            raise NetError(f"capacity of place {place!r} must be a non-negative integer")
        self._recheck(self.compiled.place_dependents[i])

    def capacity(self, place: str):
        return self.compiled.capacity[self._place(place)]

    def add_observer(self, fn: Callable[[Event], Any]) -> None:
        """Call ``fn(event)`` after every firing (needs the event log on)."""
        if not self.log:
            raise NetError("observers need the event log (Simulator(..., log=True))")
        self._observers.append(fn)

    # -- enabling ----------------------------------------------------------------------------------
    def _rechecker(self) -> Callable[[Iterable[int], float], None]:
        """``recheck(transitions, now, gained)``: examine ``transitions`` again after a place
        they depend on changed; each goes into or out of its enabled set, and its kept bindings
        are forgotten. ``gained``: the places that may have gained (ready) tokens, when only
        those did (a controllable transition still lacking tokens in another place is left as
        it is; None: any place may have). The one place where the enabling rule updates the
        enabled sets (a closure over the run's state, so the run loop pays one call per
        firing)."""
        checks, sets, m = self._checks, self._class_of, self._m
        listed, offered, failure = self._listed, self._offered, self._failure
        lazy, dirty, lacking = self._lazy, self._dirty, self._lacking
        fresh, inputs, listed_at = self._fresh, self._inputs, self._listed_at
        ts = self.compiled.transitions

        def recheck(transitions: Iterable[int], now: float, gained=None) -> None:
            u = -1
            try:
                for u in transitions:
                    if listed is not None:
                        if lazy[u]:
                            p = lacking[u]
                            if p >= 0:
                                if gained is not None and p not in gained:
                                    continue    # still too few tokens there: still disabled
                                lacking[u] = -1
                            if gained is not None and fresh[u] and listed[u] == [] \
                                    and u not in dirty:
                                got = inputs[u].intersection(gained)
                                if len(got) == 1:
                                    p, = got
                                    if p in fresh[u]:   # list only what got ready there
                                        listed[u] = offered[u] = None
                                        dirty[u] = (p, listed_at[u])
                                        continue
                            listed[u] = offered[u] = None
                            dirty[u] = None
                            continue
                        listed[u] = offered[u] = None
                    s = sets[u]
                    if checks[u](m, now):
                        if u not in s.pos:
                            s.pos[u] = len(s.items)
                            s.items.append(u)
                    elif u in s.pos:
                        s.discard(u)
            except Exception as e:
                raise failure(ts[u], e) from None
        return recheck

    def _settle(self) -> None:
        """Settle whether the marked controllable transitions are enabled, listing (and
        keeping) their bindings."""
        dirty, sets, listed, lacking = self._dirty, self._class_of, self._listed, self._lacking
        lacks, listed_at, now = self._lacks, self._listed_at, self.clock
        ready = None        # (place, since) -> its colours that got ready since, net order
        if not dirty:
            return
        for u, old in dirty.items():    # nothing here marks a transition
            bs = listed[u]
            if bs is None:
                if old is None:
                    p = lacking[u] = lacks(u)
                    if p >= 0:
                        bs = listed[u] = []
                        listed_at[u] = now
                    else:
                        bs = self._bindings(u)
                elif old.__class__ is list:     # only takings since ``old`` was listed, at this clock
                    try:
                        bs = listed[u] = self._keeps[u](self._m, now, old)
                    except Exception as e:
                        raise self._failure(self.compiled.transitions[u], e) from None
                    listed_at[u] = now
                    if not bs:
                        lacking[u] = lacks(u)
                else:   # no binding at ``since``; since then only tokens of place ``p`` got ready
                    p, since = old
                    if ready is None:
                        ready = {}
                    cols = ready.get(old)
                    if cols is None:
                        cols = ready[old] = {x: st for x, st in self._m[p].items()
                                             if st and since < st[0] <= now}
                    bs = self._bindings(u, p, cols) if cols else []
                    listed[u] = bs
                    listed_at[u] = now
            else:
                lacking[u] = -1
            s = sets[u]
            if bs:
                if u not in s.pos:
                    s.pos[u] = len(s.items)
                    s.items.append(u)
            elif u in s.pos:
                s.discard(u)
        dirty.clear()

    def _lacks(self, u: int) -> int:
        """The place (index) of the first input arc of controllable transition ``u`` that
        finds too few ready tokens there, whatever their colours (-1: none): then ``u`` has no
        binding, and listing them (a loop over every token of its other places) is not needed."""
        needs = self._needs
        if needs is None:
            c = self.compiled
            needs = self._needs = self._structure(("needs", self.controller is not None), lambda: [
                tuple((c.place_index[a.place], c.place_kinds[c.place_index[a.place]], int(a.weight))
                      for a in self.net.transitions[t.name].inputs if a.kind == "normal")
                if self._lazy[k] else () for k, t in enumerate(c.transitions)])
        m, now = self._m, self.clock
        for i, kind, w in needs[u]:
            s = m[i]
            if kind == COUNT:
                if s < w:
                    return i
            elif kind == MULTI:
                if not s or (w > 1 and sum(s.values()) < w):
                    return i
            elif w == 1:
                for stamps in s.values():
                    if stamps and stamps[0] <= now:
                        break
                else:
                    return i
            elif sum(map(len, s.values())) < w:
                return i
        return -1

    def _recheck(self, transitions: Iterable[int]) -> None:
        self._waited = None     # a parameter changed, or a firing by hand: ask the controller
        self._rechecks(transitions, self.clock)

    def _failure(self, t, e: Exception, b: tuple | None = None) -> SimulationError:
        """One line naming the file, transition, inscription and binding that failed."""
        return self.compiled.failure(e, self.clock, t.name)

    def _bindings(self, u: int, p: int = -1, colours: dict | None = None) -> list[tuple]:
        """The enabled bindings of transition ``u`` now (kept until its places change).
        ``p``, ``colours``: only those whose token of place ``p`` has one of ``colours`` (its
        colours that got ready since a listing found none, in the place's order, with their
        timestamps), listed over the marking with place ``p`` holding only those."""
        listed = self._listed
        m = self._m
        if p >= 0:
            m = list(m)
            m[p] = colours
        elif listed is not None:
            bs = listed[u]
            if bs is not None:
                return bs
        t = self.compiled.transitions[u]
        try:
            # the newly ready colours are few: hoisting the inner loops' ready colours first
            # (``listing_many``) would cost more than it saves
            if p < 0 and self._lazy[u] and t.listing_many is not None:
                bs = t.listing_many(m, self.clock)
            else:
                bs = t.listing(m, self.clock)
        except Exception as e:
            raise self._failure(t, e) from None
        if listed is not None:
            listed[u] = bs
            self._listed_at[u] = self.clock
        return bs

    def _binding_objects(self, u: int) -> list[Binding]:
        """The enabled bindings of ``u`` as Binding objects (kept as long as the bindings)."""
        offered = self._offered
        if offered is not None and offered[u] is not None:
            return offered[u]
        t = self.compiled.transitions[u]
        name, variables = t.name, t.variables
        bs = self._bindings(u)
        if offered is None:
            return [Binding(name, dict(zip(variables, b)), u, b) for b in bs]
        # a binding offered again after its transition's places changed gets its object back
        # (a dictionary per transition, started afresh when it outgrows what is offered)
        made = self._made[u]
        if made is None or len(made) > 4 * len(bs) + 256:
            made = self._made[u] = {}
        out = []
        for b in bs:
            o = made.get(b)
            if o is None:
                o = made[b] = Binding(name, dict(zip(variables, b)), u, b)
            out.append(o)
        offered[u] = out
        return out

    def enabled(self) -> list[Binding]:
        """The bindings that may fire now (the highest priority level with any)."""
        self._settle()
        best = None
        for pc, s in self._sets.items():
            if s.items and (best is None or pc[0] > best):
                best = pc[0]
        if best is None:
            return []
        out = []
        for u in sorted(u for pc, s in self._sets.items() if pc[0] == best for u in s.items):
            out += self._binding_objects(u)
        return out

    # -- firing ----------------------------------------------------------------------------------
    def fire(self, transition: Binding | str, binding: dict | None = None) -> Event | None:
        """Fire one binding now: ``fire(b)`` with a Binding from ``enabled()``, or
        ``fire("take", {"i": 1})`` naming the transition and its variables' values."""
        if isinstance(transition, Binding):
            chosen = transition
        elif isinstance(transition, str):
            if transition not in self.compiled.transition_index:
                raise NetError(f"unknown transition {transition!r}")
            chosen = Binding(transition, dict(binding or {}))
        else:
            raise TypeError("fire() takes a Binding, or a transition name and a dict of values")
        enabled = self.enabled()
        if chosen not in enabled:
            raise NetError(f"{chosen!r} is not enabled at time {self.clock}")
        chosen = enabled[enabled.index(chosen)]
        self._fire(chosen._t, chosen._b)
        return self.events[-1] if self.log else None

    def _fire(self, u: int, b: tuple) -> None:
        c = self.compiled
        t = c.transitions[u]
        try:
            record = t.fire(self._m, self.clock, b, self._heap, self._pending)
        except Exception as e:
            raise self._failure(t, e, b) from None
        self.firings += 1
        self._declined = False
        if self._touched is not None:
            self._touched[u] = None
        self._recheck(c.dependents[u])
        if self.log:
            self.events._rows.append((self.clock, u, b, record[0], record[1]))
            if self._observers:
                ev = self.events[-1]
                for fn in self._observers:
                    fn(ev)

    def advance(self, until: float | None = None) -> bool:
        """Move the clock to the earliest later time at which some binding is enabled.

        Returns False, leaving the clock where it was, if no such time exists (or none up to
        ``until``): the ready times it passed are then given back and the transitions it
        examined at them are judged again at the clock (a guard may read the clock). At each ready time, the transitions depending on the places whose tokens
        get ready are examined again, place by place in net order (a transition that reads
        only other colours of such a place than those getting ready is left as it was).
        """
        heap, pending, start = self._heap, self._pending, self.clock
        recheck, dirty = self._rechecks, self._dirty
        ready = self.compiled.ready
        place, members, dependents, seen = ready.place, ready.members, ready.dependents, ready.seen
        uncontrolled, controlled = self._ready_now, self._control_now
        place_of, gained_of = self._group_places, self._gained_of
        if dirty:           # what changed at this instant is judged at this instant
            self._settle()
        pop, replace = heapq.heappop, heapq.heapreplace
        passed = []         # (time, groups) examined without finding a binding
        declined, self._declined = self._declined, False     # back as it was if nothing is found
        while heap:
            t, _, g = heap[0]
            q = pending[g]
            if q[0] != t:               # no longer the group's earliest time
                pop(heap)
                continue
            if t <= start:              # not later than the clock: nothing to wait for
                later = q[1]
                while later and later[0] <= start:
                    pop(later)
                if later:
                    a = pop(later)
                    while later and later[0] == a:
                        pop(later)
                    q[0] = a
                    replace(heap, (a, place[g], g))
                else:
                    q[0] = None
                    pop(heap)
                continue
            if until is not None and t > until:
                break
            # every group whose earliest time is t (heap order: places in net order): its
            # next time becomes its earliest
            groups = []
            while heap and heap[0][0] == t:
                g = heap[0][2]
                q = pending[g]
                if q[0] != t:
                    pop(heap)
                    continue
                later = q[1]
                if later:
                    a = pop(later)
                    while later and later[0] == a:
                        pop(later)
                    q[0] = a
                    replace(heap, (a, place[g], g))
                else:
                    q[0] = None
                    pop(heap)
                groups.append(g)
            self.clock = t
            if len(groups) == 1:
                if place_of is None:
                    recheck(members[g], t)
                else:
                    recheck(members[g], t, place_of[g])
            else:
                key = tuple(groups)
                todo = seen.get(key)
                gained = None
                if place_of is not None:
                    gained = gained_of.get(key)
                    if gained is None:
                        gained = frozenset(place[g] for g in key)
                        if len(gained_of) < 4096:
                            gained_of[key] = gained
                recheck(dependents(key) if todo is None else todo, t, gained)
            for s in uncontrolled:
                if s.items:
                    return True
            if dirty:
                self._settle()
            for s in controlled:
                if s.items:
                    return True
            passed.append((t, groups))
        self.clock, self._declined = start, declined
        if passed:
            self._give_back(passed, start)
        return False

    def _give_back(self, passed: list, now: float) -> None:
        """Undo an advance that found nothing: its ready times go back to the pending heap
        (the clock did not pass them) and what it examined is judged again at ``now``."""
        heap, pending = self._heap, self._pending
        ready = self.compiled.ready
        place, members, dependents = ready.place, ready.members, ready.dependents
        for t, gs in passed:
            for g in gs:
                q = pending[g]
                a = q[0]
                if a is None or t < a:
                    if a is not None:
                        heapq.heappush(q[1], a)
                    q[0] = t
                    heapq.heappush(heap, (t, place[g], g))
                elif t != a:
                    heapq.heappush(q[1], t)
        for t, gs in passed:
            self._rechecks(members[gs[0]] if len(gs) == 1 else dependents(gs), now)

    def _decide(self) -> tuple[_Enabled | None, int, tuple | None]:
        """What fires next at this instant, when more than a uniform random choice among
        uncontrolled transitions may decide: ``(s, -1, None)`` to let the run loop pick
        uniformly from the enabled set ``s``; ``(None, u, b)`` for binding ``b`` of transition
        ``u`` chosen here (binding order, oldest first, the controller); ``(None, -1, None)``
        when nothing may fire now."""
        unc = None
        for prio, s in self._uncontrolled:
            if s.items:
                unc = (prio, s)
                break
        ctl = None
        if not self._declined:
            # settled only when a controllable class could come first: else the uncontrolled
            # bindings fire now and the marked transitions are judged once after them
            if self._dirty and (unc is None or self._controlled[0][0] > unc[0]):
                self._settle()
            for prio, s in self._controlled:
                if s.items:
                    ctl = (prio, s)
                    break
        if unc is not None and (ctl is None or unc[0] >= ctl[0]):
            s = unc[1]
            if s.ordered:
                return (None, *self._smallest(s.items))
            if self.choice == "oldest":
                return (None, *self._oldest(s.items))
            return s, -1, None
        if ctl is None:
            return None, -1, None
        s = ctl[1]
        if self._waited is not None and self._still_waiting(s):
            self._declined = True
            return self._decide()
        chosen = self._chosen
        if chosen is not _ASK:      # chosen in advance (``choose_next``): the controller is not asked
            self._chosen = _ASK
            if chosen is WAIT:
                self._declined = True
                return self._decide()
            if chosen.__class__ is tuple:   # ``_choose_listed``
                u, b, bs = chosen
                if u in s.pos and self._listed[u] is bs:
                    return None, u, b       # one of the bindings listed then, kept since
                t = self.compiled.transitions[u]
                chosen = Binding(t.name, dict(zip(t.variables, b)), u, b)
        else:
            offer, listed = self._offer(s)
            if self._pause:         # ``_to_decision``: the run stops here, nothing changed
                self._paused = Decision(self.clock, state=StateView(self), offer=offer,
                                        listed=listed)
                return None, -2, None
            view = StateView(self, set(), []) if self._watch else StateView(self)
            decision = Decision(self.clock, state=view, offer=offer, listed=listed)
            chosen = self.controller.choose(decision)
            if chosen is WAIT:
                self._declined = True
                if view._seen is not None:
                    self._note_wait(listed, view)
                return self._decide()
        if isinstance(chosen, Binding):
            u, b = chosen._t, chosen._b
            if u < 0 or chosen.transition != self.compiled.transitions[u].name:
                u = self.compiled.transition_index.get(chosen.transition, -1)
                t = self.compiled.transitions[u] if u >= 0 else None
                b = None if t is None or set(chosen.values) != set(t.variables) else \
                    tuple(chosen.values[v] for v in t.variables)
            if u in s.pos and b in self._bindings(u):
                return None, u, b
        offered = sum(len(self._bindings(u)) for u in s.items)
        raise SimulationError(f"the controller chose {chosen!r}, which is not one of the "
                              f"{offered} bindings it was offered at time {self.clock}")

    def _note_wait(self, listed: list, state: StateView) -> None:
        """A controller that says its choice follows from what it reads (``deterministic``)
        waited: keep what it was offered and the state of what it read, so that it is not asked
        again until one of them changes (``_still_waiting``)."""
        seen = state._seen
        key = frozenset(seen)
        watch = self._watches.get(key)
        if watch is None:
            watch = self._watches[key] = self._watch_of(seen)
        places, touching, versions_of = watch
        if places:
            self.kept_counts()      # the versions of now; later firings are in ``_touched``
        compared = state._compared or None
        if compared:
            names = self.compiled.place_names
            key = frozenset(names[i] for i, _, _ in compared)
            known = self._watches.get(key)
            if known is None:
                known = self._watches[key] = self._watch_of(key)
            compared = (known[1], tuple(compared))
        until = state._until
        self._waited = (listed, touching, versions_of,
                        versions_of(self._versions) if places else None, compared,
                        ((self.clock, until if until is not None and until > self.clock else None)
                         if CLOCK in seen else None),
                        self.firings if EVERY_PLACE in seen or FIRINGS in seen else None)

    def _watch_of(self, seen: set) -> tuple:
        """For what a controller read (``StateView._seen``): the places (indices), the
        transitions whose firing may change one of them, and a function giving those places'
        versions from the list of versions (kept per set of things read: a controller reads
        the same few sets again and again)."""
        index = self.compiled.place_index
        places = tuple(sorted({index[p] for p in seen if isinstance(p, str)}))
        changers = self._changers
        if changers is None:
            changers = self._changers = [set() for _ in self.compiled.place_names]
            for u, ps in enumerate(self._places_of()):
                for i in ps:
                    changers[i].add(u)
        touching = frozenset().union(*[changers[i] for i in places])
        return places, touching, (operator.itemgetter(*places, places[0]) if places else None)

    def _still_waiting(self, s: _Enabled) -> bool:
        """Whether the controller's last wait still holds: the same bindings offered, and
        nothing it read changed since (its places' tokens, the answers of its comparisons, the
        clock, the firings)."""
        listed, touching, versions_of, versions, compared, clock, firings = self._waited
        if ((clock is not None and clock[0] != self.clock
             and (clock[1] is None or self.clock >= clock[1]))
                or (firings is not None and firings != self.firings)
                or len(listed) != len(s.items)):
            self._waited = None
            return False
        if versions is not None:
            # a firing since: noted in ``_touched`` (or already counted into the versions)
            if not touching.isdisjoint(self._touched) or versions_of(self._versions) != versions:
                self._waited = None
                return False
        if compared is not None:
            # counts compared with a number (``at_least``): the same answers, the same choice
            # (the kept counts are those of now unless a transition of those places fired)
            kept = self._counts
            if kept is None or not compared[0].isdisjoint(self._touched):
                kept = self.kept_counts()
            for i, n, answer in compared[1]:
                if (kept[i] >= n) is not answer:
                    self._waited = None
                    return False
        pos, bindings = s.pos, self._bindings
        for u, bs in listed:
            if u not in pos:
                self._waited = None
                return False
            now = bindings(u)
            if now is not bs and now != bs:
                self._waited = None
                return False
        return True

    def _decide_uncontrolled(self) -> tuple[_Enabled | None, int, tuple | None]:
        """``_decide`` for a run in which no transition is controlled (no controller, or no
        controllable transition): the highest enabled class decides alone."""
        for s in self._ready_now:
            if s.items:
                if s.ordered:
                    u, b = self._smallest(s.items)
                    return None, u, b
                if self.choice == "oldest":
                    u, b = self._oldest(s.items)
                    return None, u, b
                return s, -1, None
        return None, -1, None

    def _offer(self, s: _Enabled) -> tuple[Callable[[], list[Binding]], list]:
        """The bindings of the transitions in ``s`` as a decision offers them (net order):
        their tuples taken now (and returned, paired with their transitions), their Binding
        objects built when the controller looks."""
        us = sorted(s.items)
        lists = []
        kept, bindings = self._listed, self._bindings
        for u in us:        # settled: their lists are kept (``_bindings`` without the call)
            bs = kept[u]
            lists.append(bs if bs is not None else bindings(u))

        def offer() -> list[Binding]:
            out = []
            ts, listed = self.compiled.transitions, self._listed
            for u, bs in zip(us, lists):
                if listed[u] is bs:         # unchanged since the decision: the kept objects
                    out += self._binding_objects(u)
                else:
                    t = ts[u]
                    out += [Binding(t.name, dict(zip(t.variables, b)), u, b) for b in bs]
            return out
        return offer, list(zip(us, lists))

    def _smallest(self, items: list[int]) -> tuple[int, tuple]:
        """Binding order: the enabled binding whose order value is the smallest, across the
        given transitions (in net order, each listing its bindings as ``bindings`` yields them);
        ties are broken by the seeded RNG."""
        ts, m, now = self.compiled.transitions, self._m, self.clock
        first = best = None
        for u in (sorted(items) if len(items) > 1 else items):
            try:
                first, best = ts[u].smallest(m, now, first, best, u)
            except Unordered as e:
                raise SimulationError(
                    f"at time {self.clock}: transition '{ts[u].name}': order value {e.value!r} "
                    f"cannot be compared with order value {e.first!r}") from None
            except Exception as e:
                raise self._failure(ts[u], e) from None
        return best[int(self.rng.random() * len(best))] if len(best) > 1 else best[0]

    def _oldest(self, items: list[int]) -> tuple[int, tuple]:
        """First come, first served: the binding enabled earliest (the latest ready time of its
        tokens is the smallest), then the one whose other tokens waited longest (ready times
        compared latest first); remaining ties are broken by the seeded RNG."""
        ts, m = self.compiled.transitions, self._m
        best, first = [], None
        for u in sorted(items):
            for b in self._bindings(u):
                try:
                    t = ts[u].since(m, b, self.clock)
                except Exception as e:
                    raise self._failure(ts[u], e) from None
                if first is None or t < first:
                    best, first = [(u, b)], t
                elif t == first:
                    best.append((u, b))
        return best[int(self.rng.random() * len(best))] if len(best) > 1 else best[0]

    def choose_next(self, chosen: Binding | None) -> None:
        """Let the next decision point take ``chosen`` (a Binding, or ``WAIT``) as if the
        controller had returned it, without asking the controller: for a caller that has seen
        the decision point already (the Gymnasium environment's step). It is checked as a
        controller's choice is."""
        if self.controller is None:
            raise NetError("choose_next needs a run with a controller")
        self._chosen = chosen

    def _choose_listed(self, u: int, b: tuple, bs: list) -> None:
        """``choose_next`` for binding ``b`` of transition ``u``, found in ``bs``, the list of
        its bindings offered at the decision point the run stopped at (``_to_decision``): taken
        without another look while the engine still keeps that list, else checked as a
        controller's choice is."""
        self._chosen = (u, b, bs)

    def step(self) -> Event | bool | None:
        """Fire one binding, advancing the clock first if nothing is enabled now.

        Returns the event (or True when the log is off), or None when nothing can fire.
        """
        fired = self.firings
        with Interrupt() as stop:
            self._run(None, fired + 1, None, 1, stop)
        if self.firings == fired:
            return None
        return self.events[-1] if self.log else True

    def run(self, until: float | None = None, max_firings: int | None = None,
            progress: Callable[[int, float], Any] | None = None, every: int = 10000,
            instant_limit: int | None = None) -> RunResult:
        """Fire until nothing can fire, the clock would pass ``until``, or ``max_firings``.

        ``instant_limit``: stop (reason ``zero_time``) after that many firings at one instant
        without the clock moving, the sign of a zero-time loop. ``progress(firings, clock)``
        is called every ``every`` firings. Ctrl-C stops the run between two firings and keeps
        everything finished (reason ``interrupted``).
        """
        start = _time.perf_counter()
        fired0 = self.firings
        limit = None if max_firings is None else fired0 + max_firings
        if instant_limit is not None and instant_limit < 1:
            raise NetError(f"instant_limit must be 1 or more, got {instant_limit}")
        self._instant_limit = instant_limit
        try:
            with Interrupt() as stop:
                reason = self._run(until, limit, progress, every, stop)
        finally:
            self._instant_limit = None
        return RunResult(self.clock, self.firings - fired0, _time.perf_counter() - start, reason,
                         self.finish_time())

    def _to_decision(self, max_firings: int) -> str:
        """Run to the next decision point and stop there without asking the controller
        (``"decision"``: ``_paused`` holds the Decision it would have been given; the next
        call, after ``choose_next``, goes on from it), or until the run ends (``run``'s
        reasons). For a caller that takes every decision itself (the Gymnasium environment):
        ``run`` without its result and clock readings."""
        self._pause = True
        try:
            with Interrupt() as stop:
                return self._run(None, self.firings + max_firings, None, 10000, stop)
        finally:
            self._pause = False

    def finish_time(self) -> float:
        """When the last token became ready: the later of the clock and the latest timestamp
        of a token in the marking (a part still being processed finishes then)."""
        latest = self.clock
        for kind, s in zip(self.compiled.place_kinds, self._m):
            if kind == 2:
                for stamps in s.values():
                    if stamps:
                        t = latest_of(stamps)
                        if t > latest:
                            latest = t
        return latest

    def _stop_at(self, limit: int | None) -> int | None:
        """The firing count at which to look whether ``max_firings`` or the instant limit
        (counted from now: the clock has just moved, or the run starts) is reached."""
        if self._instant_limit is None:
            return limit
        at = self.firings + self._instant_limit
        return at if limit is None else min(limit, at)

    def _stopped_reason(self, until) -> str:
        if until is not None and any(q[0] is not None and (q[0] > until or max(q[1], default=0) > until)
                                     for q in self._pending):
            # a token gets ready after until (advance gave back the times it passed before)
            return "until"
        self._settle()
        if any(s.items for _, s in self._controlled):
            return "waiting"
        return "dead"

    def _loop_state(self) -> tuple:
        """What the run loop reads and that stays the same through a simulator's life (lists
        kept in place, flags of the net and controller), gathered once (``_run``)."""
        c = self.compiled
        ts = c.transitions
        levels = [s for _, s in self._uncontrolled]
        random_choice = self.choice == "random"
        free = not self._controlled and random_choice and not self._has_order
        # no controller and random choice, but binding orders: the smallest order value is
        # found here too (``_decide_uncontrolled`` without its call)
        ordered = not self._controlled and random_choice and self._has_order
        # a controlled run, random choice: an uncontrolled class at or above the highest
        # controlled priority fires first whatever the controller would say (what ``_decide``
        # finds then, without its call)
        first = bool(self._controlled) and random_choice
        top = self._controlled[0][0] if first else None
        return (ts, [t.fire for t in ts], [t.listing for t in ts], [t.simple for t in ts],
                c.dependents, c.dependents_later, levels, free, ordered, first, top,
                self._uncontrolled, self._checks, self._class_of, self._listed, self._offered,
                self._lazy, self._dirty, self._touched, self._lacking, self._gains,
                self._takes_only, self._keeps, self._m, self._pending,
                self.events._rows if self.log else None, self._observers)

    def _run(self, until, limit, progress, every, stop) -> str:
        """The run loop: choose a binding, fire it, re-examine the transitions it may have
        enabled or disabled; when nothing may fire, advance the clock.

        The uniform random choice (a transition of the highest enabled priority, then one of
        its bindings) is made here, because it is most of the work of a firing; with a
        controller, binding orders or "oldest" choice, ``_decide`` says first whether it
        applies or what fires instead. A failing inscription is reported against the
        transition it belongs to.
        """
        loop = self._loop
        if loop is None:        # once per simulator, not per call (an env step is a call)
            loop = self._loop = self._loop_state()
        (ts, fires, binds, simple, deps, later, levels, free, ordered, first, top, unc_levels,
         checks, sets, listed, offered, lazy, dirty, touched, lacking, gains, takes_only, keeps,
         m, pending, rows, observers) = loop
        smallest = self._smallest
        decide = self._decide if self._controlled else self._decide_uncontrolled
        advance = self.advance
        kept = self._bindings if listed is not None else None
        heap, rnd = self._heap, self.rng.random
        now = self.clock
        instant = self._instant_limit
        stop_at = limit if instant is None else self._stop_at(limit)
        while True:
            if stop_at is not None and self.firings >= stop_at:
                return "max_firings" if limit is not None and self.firings >= limit else "zero_time"
            if free:
                u = -1
                for s in levels:
                    if s.items:
                        break
                else:
                    s = None
            elif ordered:
                u = -1
                for s in levels:
                    if s.items:
                        if s.ordered:
                            u, b = smallest(s.items)
                            s = None
                        break
                else:
                    s = None
            elif first:
                for prio, s in unc_levels:
                    if s.items:
                        break
                else:
                    s = None
                if s is not None and prio >= top:
                    u = -1
                    if s.ordered:
                        u, b = smallest(s.items)
                        s = None
                else:
                    s, u, b = decide()
            else:
                s, u, b = decide()
            if s is not None:       # uniformly: a transition, then (below) one of its bindings
                items = s.items
                n = len(items)
                u = items[int(rnd() * n)] if n > 1 else items[0]
                b = () if simple[u] else None
            if u < 0:
                if u == -2:
                    return "decision"
                if stop.flag:
                    return "interrupted"
                if not advance(until):
                    return self._stopped_reason(until)
                now = self.clock
                if instant is not None:
                    stop_at = self._stop_at(limit)
                continue
            try:
                if b is None:
                    bs = binds[u](m, now) if kept is None else kept(u)
                    b = bs[int(rnd() * len(bs))] if len(bs) > 1 else bs[0]
                record = fires[u](m, now, b, heap, pending)
            except Exception as e:
                raise self._failure(ts[u], e, b) from None
            # recheck(deps[u], now), written out: the call alone costs 7 % of a firing on a P/T net
            cur = u
            if touched is not None:
                touched[u] = None
            soon = record if rows is None else record[2]
            # every token it made is for later and it only took: see ``_keeps``
            narrow = not soon and takes_only[u]
            try:
                # only the dependents a token for later leaves alone, when all are for later
                for cur in deps[u] if soon else later[u]:
                    if listed is not None:
                        if lazy[cur]:
                            p = lacking[cur]
                            if p >= 0:
                                if narrow or p not in gains[u]:
                                    continue    # still too few tokens there: still disabled
                                lacking[cur] = -1
                            offered[cur] = None
                            if narrow and keeps[cur] is not None:
                                bs = listed[cur]
                                if bs is not None:
                                    if not bs:
                                        continue    # none before, and takings enable none
                                    listed[cur] = None
                                    dirty[cur] = bs
                                elif cur not in dirty:
                                    dirty[cur] = None
                            else:
                                listed[cur] = None
                                dirty[cur] = None
                            continue
                        listed[cur] = offered[cur] = None
                    s = sets[cur]
                    if checks[cur](m, now):
                        if cur not in s.pos:
                            s.pos[cur] = len(s.items)
                            s.items.append(cur)
                    elif cur in s.pos:
                        s.discard(cur)
            except Exception as e:
                raise self._failure(ts[cur], e) from None
            self.firings += 1
            self._declined = False
            if rows is not None:
                rows.append((now, u, b, record[0], record[1]))
                if observers:
                    ev = self.events[-1]
                    for fn in observers:
                        fn(ev)
            if stop.flag:           # checked every firing: a firing may take long
                return "interrupted"
            if self.firings % every == 0 and progress is not None:
                progress(self.firings, now)

"""An interactive token game over the engine: fire, step, advance, run, undo, reset, jump.

``Game`` wraps one ``petri.engine.Simulator``: every action first takes a snapshot so that
``undo`` goes back exactly (marking, clock, event log, the RNG); a controller (made anew by a
factory at each reset) takes the decisions the net leaves open when the engine steps, and each
of its decisions is kept. Everything the page shows comes from here as plain JSON-ready
data: colours as JSON values (tuples as lists, the black token ``[]``), times as numbers.
All methods hold one lock, so that a threaded server can call them.
"""
from __future__ import annotations

import io
import math
import threading
from collections import Counter

from ..drawing import fused_places, net_scene, scene_to_svg
from ..drawing.graphs import MAX_DRAWN_STATES as MAX_REACH_STATES
from ..drawing.scene import scene_layout
from ..engine import Binding, Simulator
from ..errors import LimitError, PetriError, SimulationError

__all__ = ["Game", "Refused", "jsonable", "MAX_RUN_FIRINGS", "MAX_UNDO", "MAX_REACH_STATES"]

#: firings one ``run`` request may make at most (a request must end)
MAX_RUN_FIRINGS = 100_000
#: undo steps kept
MAX_UNDO = 500
# the largest reachability graph the page draws is MAX_REACH_STATES, the limit of petri reach --draw


class Refused(SimulationError):
    """The game cannot do what was asked in its current state (HTTP 409)."""


def jsonable(value):
    """A token colour or binding value as JSON data: tuples become lists, numbers stay."""
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return str(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    return repr(value)


def binding_json(b: Binding) -> dict:
    return {"transition": b.transition,
            "binding": {k: jsonable(v) for k, v in b.values.items()}}


def event_json(ev) -> dict:
    return {"step": ev.step, "time": jsonable(ev.time), "transition": ev.transition,
            "binding": {k: jsonable(v) for k, v in ev.binding.items()},
            "consumed": [[p, jsonable(c), jsonable(t)] for p, c, t in ev.consumed],
            "produced": [[p, jsonable(c), jsonable(t)] for p, c, t in ev.produced]}


class _Watched:
    """A controller whose every decision is written down (what it was offered, what it chose)."""

    def __init__(self, controller, log: list):
        self.inner = controller
        self.log = log

    def reset(self, state) -> None:
        if hasattr(self.inner, "reset"):
            self.inner.reset(state)

    def choose(self, decision):
        chosen = self.inner.choose(decision)
        self.log.append({"clock": jsonable(decision.clock), "firing": decision.state.firings + 1,
                         "offered": [repr(b) for b in decision.bindings],
                         "chosen": repr(chosen) if isinstance(chosen, Binding) else None})
        return chosen


class Game:
    """The token game of ``net`` as the workbench plays it.

    ``controller``: a factory (no arguments) of the controller, e.g. a controller class, or
    None (the engine chooses at random); ``controller_name`` is what the page calls it;
    ``seed``: the seed of the engine's (and a reset's) random choices.
    """

    def __init__(self, net, controller=None, seed: int = 0, fused=None,
                 controller_name: str | None = None):
        self.net = net
        self.controller_factory = controller
        self.controller_name = (controller_name or getattr(controller, "__name__", "controller")
                                if controller is not None else None)
        self.seed = seed
        self.fused = set(fused_places(net) if fused is None else fused)
        self.lock = threading.RLock()
        self._layout = None
        self._reach = None
        self._start(seed)

    # -- building --------------------------------------------------------------------------
    def _controller(self):
        if self.controller_factory is None:
            return None
        return _Watched(self.controller_factory(), self.decisions)

    def _start(self, seed: int) -> None:
        self.seed = seed
        self.decisions: list[dict] = []
        compiled = getattr(self, "sim", None)
        self.sim = Simulator(compiled.compiled if compiled else self.net,
                             controller=self._controller(), seed=seed)
        self.initial = self.sim.snapshot()
        self.undo_stack: list[tuple] = []

    # -- what the page shows ---------------------------------------------------------------
    def net_json(self) -> dict:
        """Places, transitions and arcs with where they are drawn."""
        with self.lock:
            lay = self.layout()
            pos = {k: [round(x, 1), round(y, 1)] for k, (x, y) in lay.positions.items()}
            places = [{"name": p.name, "colour": p.colour, "capacity": p.capacity,
                       "fused": p.name in self.fused, "description": p.description,
                       "position": pos[("place", p.name)]} for p in self.net.places.values()]
            transitions = [{"name": t.name, "controllable": t.controllable,
                            "guard": t.guard or None, "delay": jsonable(t.delay)
                            if not isinstance(t.delay, str) else t.delay,
                            "priority": t.priority, "description": t.description,
                            "position": pos[("transition", t.name)]}
                           for t in self.net.transitions.values()]
            arcs = []
            for t in self.net.transitions.values():
                for a in t.inputs:
                    arcs.append({"source": a.place, "target": t.name, "kind": a.kind,
                                 "inscription": a.pattern, "weight": a.weight})
                for a in t.outputs:
                    arcs.append({"source": t.name, "target": a.place, "kind": "output",
                                 "inscription": a.expression, "weight": jsonable(a.weight)
                                 if not isinstance(a.weight, str) else a.weight})
            return {"name": self.net.name, "places": places, "transitions": transitions,
                    "arcs": arcs, "controller": self.controller_name}

    def state_json(self) -> dict:
        """The clock, the marking, the enabled bindings and the number of firings."""
        with self.lock:
            sim = self.sim
            marking = {}
            for place, tokens in sim.marking.items():
                rows = sorted(tokens.items(), key=lambda kv: (kv[0][1], repr(kv[0][0])))
                marking[place] = [[jsonable(c), jsonable(t), n] for (c, t), n in rows]
            return {"clock": jsonable(sim.clock), "marking": marking,
                    "enabled": [binding_json(b) for b in sim.enabled()],
                    "firings": sim.firings, "seed": self.seed,
                    "controller": self.controller_name, "undo": len(self.undo_stack)}

    def events_json(self, since: int = 0) -> list[dict]:
        """Events after the first ``since`` of the log."""
        with self.lock:
            log = self.sim.events
            return [event_json(log[k]) for k in range(max(0, since), len(log))]

    def events_csv(self) -> str:
        with self.lock:
            buf = io.StringIO()
            self.sim.events.to_csv(buf)
            return buf.getvalue()

    def decisions_json(self, since: int = 0) -> list[dict]:
        with self.lock:
            return self.decisions[max(0, since):]

    def layout(self):
        if self._layout is None:
            self._layout = scene_layout(self.net, tokens=True)
        return self._layout

    def svg(self) -> str:
        """The net drawn with the current marking, enabled transitions highlighted."""
        with self.lock:
            enabled = {b.transition for b in self.sim.enabled()}
            scene = net_scene(self.net, marking=self.sim.marking, enabled=enabled,
                              fused=self.fused, layout=self.layout())
            return scene_to_svg(scene)

    # -- actions -----------------------------------------------------------------------------
    def _act(self, action):
        """Run ``action`` with an undo point before it; a failure leaves the game as it was."""
        with self.lock:
            before = (self.sim.snapshot(), len(self.decisions))
            try:
                result = action()
            except BaseException:
                self.sim.restore(before[0])
                del self.decisions[before[1]:]
                raise
            if self.sim.firings != before[0].firings or self.sim.clock != before[0].clock:
                self.undo_stack.append(before)
                del self.undo_stack[:-MAX_UNDO]
            return result

    def fire(self, transition, binding) -> dict:
        """Fire ``transition`` with ``binding`` (variable -> JSON value) if it is enabled now."""
        if not isinstance(transition, str) or transition not in self.net.transitions:
            raise PetriError(f"unknown transition {transition!r}")
        if binding is None:
            binding = {}
        if not isinstance(binding, dict):
            raise PetriError("a binding is an object of variable: value")

        def action():
            enabled = [b for b in self.sim.enabled() if b.transition == transition]
            wanted = {k: v for k, v in binding.items()}
            for b in enabled:
                if binding_json(b)["binding"] == wanted:
                    return event_json(self.sim.fire(b))
            raise Refused(self.why_not(transition, wanted, enabled))
        return self._act(action)

    def why_not(self, transition: str, wanted: dict, enabled: list) -> str:
        """Why ``transition`` cannot fire with ``wanted`` now, in a line."""
        clock = jsonable(self.sim.clock)
        shown = ", ".join(f"{k}={v!r}" for k, v in wanted.items())
        if enabled:
            options = "; ".join(", ".join(f"{k}={v!r}" for k, v in binding_json(b)["binding"]
                                          .items()) for b in enabled[:5])
            more = f" and {len(enabled) - 5} more" if len(enabled) > 5 else ""
            return (f"transition {transition!r} is not enabled with {shown or 'no values'} at "
                    f"time {clock}; enabled with: {options}{more}")
        t = self.net.transitions[transition]
        empty = [a.place for a in t.inputs if a.kind != "inhibitor" and self.sim.count(a.place) == 0]
        blocked = [a.place for a in t.inputs if a.kind == "inhibitor"
                   and self.sim.count(a.place) >= a.weight]
        if empty:
            why = "its input place" + ("s " if len(empty) > 1 else " ") + ", ".join(
                repr(p) for p in dict.fromkeys(empty)) + (" are" if len(empty) > 1 else " is") + " empty"
        elif waiting := [(a.place, min(ts for _, ts in self.sim.tokens(a.place)))
                         for a in t.inputs if a.kind != "inhibitor"
                         and all(ts > self.sim.clock for _, ts in self.sim.tokens(a.place))]:
            why = "; ".join(f"the tokens in {p!r} are ready at time {jsonable(at)} at the earliest"
                            for p, at in dict(waiting).items())
        elif blocked:
            why = "its inhibitor arc from " + ", ".join(repr(p) for p in blocked) + " is blocked"
        else:
            why = ("its tokens are not ready yet, do not match its arcs or guard, or a "
                   "transition of higher priority is enabled")
        return f"transition {transition!r} is not enabled at time {clock}: {why}"

    def step(self) -> dict:
        """Let the engine (or the controller) fire one binding, advancing the clock if needed."""
        def action():
            ev = self.sim.step()
            if ev is None:
                raise Refused(f"nothing can fire at time {jsonable(self.sim.clock)} or later"
                              + (" (the controller waits)" if self.controller_name else
                                 " (dead marking)"))
            return event_json(ev)
        return self._act(action)

    def advance(self) -> dict:
        """Move the clock to the next time a binding becomes enabled."""
        def action():
            before = self.sim.clock
            if not self.sim.advance():
                raise Refused(f"no binding becomes enabled after time {jsonable(before)}: "
                              "the clock stays")
            return {"clock": jsonable(self.sim.clock)}
        return self._act(action)

    def run(self, until=None, firings=None) -> dict:
        """Fire until the clock would pass ``until`` or after ``firings`` firings (at most
        ``MAX_RUN_FIRINGS`` per request) or nothing can fire."""
        for name, v in (("until", until), ("firings", firings)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                                  or not math.isfinite(v) or v < 0):
                raise PetriError(f"{name} must be a number, zero or more")
        if firings is not None and firings != int(firings):
            raise PetriError("firings must be a whole number")
        limit = MAX_RUN_FIRINGS if firings is None else min(int(firings), MAX_RUN_FIRINGS)

        def action():
            r = self.sim.run(until=until, max_firings=limit)
            reason = r.reason
            if reason == "max_firings" and (firings is None or firings > MAX_RUN_FIRINGS):
                reason = "limit"
            return {"fired": r.firings, "clock": jsonable(r.clock), "stopped": reason}
        return self._act(action)

    def undo(self) -> dict:
        with self.lock:
            if not self.undo_stack:
                raise Refused("nothing to undo")
            snap, decided = self.undo_stack.pop()
            self.sim.restore(snap)
            del self.decisions[decided:]
            return {"clock": jsonable(self.sim.clock), "firings": self.sim.firings}

    def reset(self, seed=None) -> dict:
        """Back to the initial marking (with a new seed if given); the undo history goes."""
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise PetriError("seed must be a whole number")
        with self.lock:
            self._start(self.seed if seed is None else seed)
            return {"seed": self.seed}

    # -- the reachability graph ------------------------------------------------------------------
    def reach(self):
        """The (untimed) reachability graph, when it has at most ``MAX_REACH_STATES`` states."""
        with self.lock:
            if self._reach is None:
                from ..analysis import reachability_graph
                g = reachability_graph(self.net, max_states=MAX_REACH_STATES + 1, time_limit=10)
                if not g.complete or g.num_states > MAX_REACH_STATES:
                    why = ("the net is unbounded" if g.stopped == "unbounded" else
                           f"it has more than {MAX_REACH_STATES} states" if g.stopped != "time"
                           else "exploring it takes too long")
                    self._reach = LimitError(f"the reachability graph is not drawn: {why}")
                else:
                    self._reach = g
            if isinstance(self._reach, Exception):
                raise Refused(str(self._reach))
            return self._reach

    def current_state(self):
        """The reachability graph's state whose marking is the current one (timestamps
        ignored), or None."""
        g = self.reach()
        now = _untimed(self.sim.marking)
        for i in range(g.num_states):
            if _graph_marking(g, i) == now:
                return i
        return None

    def reach_json(self) -> dict:
        with self.lock:
            from ..drawing.graphs import graph_svg
            g = self.reach()
            out_deg = g.out_degree()
            current = self.current_state()
            return {"states": [{"id": i, "marking": g.marking_text(i), "initial": i == 0,
                                "deadlock": bool(out_deg[i] == 0)} for i in range(g.num_states)],
                    "edges": [{"source": int(g.src[e]), "target": int(g.dst[e]),
                               "label": g.edge_label(e)} for e in range(g.num_edges)],
                    "current": current, "svg": graph_svg(g, current=current)}

    def goto(self, state) -> dict:
        """Play a shortest firing sequence from the initial marking to ``state`` of the
        reachability graph (advancing the clock when a timed binding is not ready yet)."""
        if isinstance(state, bool) or not isinstance(state, int):
            raise PetriError("state must be a state number of the reachability graph")
        g = self.reach()
        if not 0 <= state < g.num_states:
            raise PetriError(f"the reachability graph has no state {state} "
                             f"(states 0 to {g.num_states - 1})")
        path = []
        s = state
        while s > 0:
            parent, t = int(g.parent[s]), int(g.parent_transition[s])
            e = next(e for e in range(g.num_edges) if int(g.src[e]) == parent
                     and int(g.dst[e]) == s and int(g.transition[e]) == t)
            values = g.bindings[e] if g.bindings is not None else {}
            path.append(Binding(g.transition_names[t], dict(values or {})))
            s = parent
        path.reverse()

        def action():
            self.sim.restore(self.initial)
            self.decisions.clear()
            for b in path:
                while b not in self.sim.enabled():
                    if not self.sim.advance():
                        raise Refused(f"state {state} is reached by {' '.join(map(repr, path))} "
                                      f"untimed, but {b!r} never becomes enabled in the timed "
                                      "token game")
                self.sim.fire(b)
            return {"reached": state, "path": [repr(b) for b in path]}
        return self._act(action)


def _untimed(marking: dict) -> dict:
    out = {}
    for place, tokens in marking.items():
        c: Counter = Counter()
        for (colour, _), n in tokens.items():
            c[colour] += n
        out[place] = c
    return out


def _graph_marking(g, i: int) -> dict:
    m = g.marking(i)
    return {p: (v if isinstance(v, Counter) else Counter({(): v} if v else {}))
            for p, v in m.items()}

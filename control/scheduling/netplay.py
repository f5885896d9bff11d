"""The job-shop net played by the engine: the reference the dispatcher is tested against.

``play_net(instance, decisions)`` runs ``petri.jobshop.instance_net(instance)`` in the
token-game engine with a controller that takes, at each decision, the binding of the next
``(job, machine)`` in ``decisions``. It returns the schedule read from the event log and,
for every decision, the ``(job, machine)`` pairs the net offered: the dispatcher must have
offered exactly these and must produce exactly this schedule.
"""
from __future__ import annotations

from petri.engine import Simulator
from petri.errors import SimulationError
from petri.jobshop import Instance, instance_net

from .schedule import Schedule, ScheduledOperation

__all__ = ["Recorder", "play_net"]


class Recorder:
    """Wraps a dispatcher controller and records what it was offered and what it chose."""

    def __init__(self, inner):
        self.inner = inner
        self.offered: list[list[tuple[int, int]]] = []
        self.chosen: list[tuple[int, int]] = []

    def reset(self, shop) -> None:
        if hasattr(self.inner, "reset"):
            self.inner.reset(shop)

    def choose(self, shop, cand) -> int:
        i = self.inner.choose(shop, cand)
        self.offered.append(sorted(zip(cand.jobs, cand.machines)))
        self.chosen.append((cand.jobs[i], cand.machines[i]))
        return i


class _Replay:
    def __init__(self, decisions):
        self.decisions = list(decisions)
        self.offered: list[list[tuple[int, int]]] = []

    def choose(self, decision):
        pairs = [(b.values["j"], b.values["m"]) for b in decision.bindings]
        self.offered.append(sorted(pairs))
        n = len(self.offered) - 1
        if n >= len(self.decisions):
            raise SimulationError(f"the net asks for decision {n + 1}, but only "
                                  f"{len(self.decisions)} were given")
        return decision.bindings[pairs.index(self.decisions[n])]


def play_net(inst: Instance, decisions, horizon: int | None = None):
    """(schedule, offered pairs per decision) of the net played with ``decisions``."""
    net = instance_net(inst, horizon=horizon)
    ctl = _Replay(decisions)
    sim = Simulator(net, controller=ctl, seed=0)
    sim.run()
    pieces: dict[tuple[int, int], list] = {}
    machine_of: dict[tuple[int, int], int] = {}
    for ev in sim.events:
        if not ev.transition.startswith(("process_", "resume_")):
            continue
        b = ev.binding
        key = (b["j"], b["k"])
        end = next(t for place, colour, t in ev.produced if place.startswith("machines_"))
        pieces.setdefault(key, []).append((int(ev.time), int(end)))
        machine_of[key] = b["m"]
    ops = [ScheduledOperation(j, k, machine_of[(j, k)], p[0][0], p[-1][1], tuple(p))
           for (j, k), p in pieces.items()]
    return Schedule(inst, ops, method="net"), ctl.offered

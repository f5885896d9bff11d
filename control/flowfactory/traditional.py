"""The thesis's benchmark ("traditional method") as a rule controller for the FlowFactory nets.

Three decision modules, the same as the thesis's three Q-learning modules, each a plain rule:

* **order release** (prioritization): every order in list order, at once: the thesis's code
  puts no limit on the orders in the plant (its "four" is the re-ordering window of the RL
  prioritization); stations serve the earliest order first (the nets' dispatch order). An
  optional ``wip`` caps the orders in the plant, for comparison;
* **net selection**: per component of the earliest released order, take a complete part if
  the store has one, else stamp a notLasered part, else manufacture from scratch;
* **fulfil storage**: reorder a consumable only when its store cannot serve the next job
  heading for its station; a delivery fills the store to capacity (done by the net).

A base is printed only when the base store is empty: the net itself enforces this (inhibitor
arc on the base store), so no decision is needed here.

The time spent in each module is kept in ``effort`` (seconds), the thesis's computational
effort per decision module.
"""
from __future__ import annotations

from control.flowfactory.plant import MODULES, ask_modules

__all__ = ["TraditionalController", "NEXT_JOBS"]

#: consumable store -> (units one job uses, places holding the jobs heading for its station)
NEXT_JOBS = {
    "cutting": (1, ("to_sawing",)),
    "gas": (1, ("to_laser",)),
    "electrical_func": (1, ("to_efv",)),
    "filament": (2, ()),       # the printer's next job: see _printer_waits
}


class TraditionalController:
    """Orders in list order; complete, else stamp, else manufacture; reorder when empty."""

    name = "traditional"
    thesis_key = "traditional"      # column of the thesis's results this controller compares to
    MODULES = MODULES
    deterministic = True    # its choice follows from the offer and the counts it reads

    def __init__(self, wip: int | None = None):
        if wip is not None and (not isinstance(wip, int) or wip < 1):
            raise ValueError("wip must be a whole number of orders, at least 1")
        self.wip = wip
        self.effort = {m: 0.0 for m in self.MODULES}
        self._orders = 0

    def reset(self, state) -> None:
        self.effort = {m: 0.0 for m in self.MODULES}
        self._orders = state.count("backlog")

    def choose(self, decision):
        return ask_modules(decision, self.effort, self._fulfil_storage, self._release,
                           self._select_net)

    # -- the three modules -----------------------------------------------------------------------
    def _fulfil_storage(self, bindings, state):
        for b in bindings:
            store = b.transition[len("reorder_"):]
            need, queues = NEXT_JOBS.get(store, (1, ()))
            if state.at_least(store, need):
                continue
            if store == "filament":
                waiting = _printer_waits(state)
            else:
                waiting = any(state.at_least(q, 1) for q in queues)
            if waiting:
                return b
        return None

    def _release(self, bindings, state):
        if self.wip is not None and \
                self._orders - state.count("backlog") - state.count("shipped") >= self.wip:
            return None
        return min(bindings, key=lambda b: b.values["o"])

    @staticmethod
    def _select_net(bindings, state=None):
        # the earliest order's components first; per component: complete, stamp, manufacture
        best, best_key = None, None
        kinds = _NET_KIND
        for b in bindings:
            name = b.transition
            kind = kinds.get(name)
            if kind is None:
                kind = kinds[name] = _net_kind(name)
            if not kind:
                continue
            rank, product = kind
            values = b.values
            key = (values["o"], values.get("p", "") if product is None else product, rank)
            if best_key is None or key < best_key:
                best, best_key = b, key
        return best


#: transition name -> its net's rank and product (``_net_kind``), filled as names are met
_NET_KIND: dict = {}


def _net_kind(name: str):
    """A net selection transition's (rank: complete 0, stamp 1, manufacture 2; its product,
    None for ``manufacture``, whose product is its binding's ``p``); () for other transitions."""
    rank = {"take_complete": 0, "stamp": 1, "manufacture": 2}
    kind = name.rsplit("_", 1)[0] if name != "manufacture" else "manufacture"
    if kind not in rank:
        return ()
    return rank[kind], (None if kind == "manufacture" else "Product" + name[-1])


def _printer_waits(state) -> bool:
    """The printer would start a base now if it had filament: the base store is empty, no base
    is being printed, and an order still needs one."""
    return (not state.at_least("base", 1) and not state.at_least("base_in_print", 1)
            and state.at_least("bases_needed", 1))

"""The earliest-order list rule for the FlowFactory nets: a plain rule a production engineer
would try first, and the yardstick for anything learned.

* **order release**: every order at once, in list order;
* **dispatch**: every station serves the earliest order first (the nets' ``order = "o"``);
* **net selection**: per component of the earliest order waiting: a complete part if the
  store has one, else stamp a notLasered part, else manufacture (as the traditional method);
* **fulfil storage**: reorder a consumable as soon as its supplier is free, while the store is
  not full and the jobs that have not yet passed its station need more than it holds.
"""
from __future__ import annotations

from control.flowfactory.plant import MODULES, ask_modules
from control.flowfactory.traditional import TraditionalController

__all__ = ["EarliestOrderController", "units_needed", "UPSTREAM"]

#: consumable store -> (units per job, places holding jobs that have not yet passed its station)
UPSTREAM = {
    "cutting": (1, ("demand", "to_milling", "to_sawing")),
    "gas": (1, ("demand", "to_milling", "to_sawing", "to_cleaning_1", "to_verification_1",
                "to_laser")),
    "electrical_func": (1, ("bases_needed", "to_efv")),
}


def units_needed(store: str, state) -> int:
    """Units of ``store`` that jobs not yet through its station will still use. Orders not
    released yet count in full; components still in ``demand`` count as if manufactured (an
    upper bound: stock may serve them)."""
    return backlog_units(store, state.colours("backlog"), state.net) + released_units(store, state)


def backlog_units(store: str, backlog, net) -> int:
    """Units of ``store`` the orders not released yet (``backlog``: order -> count) will use."""
    if not backlog:
        return 0
    if store in ("cutting", "gas"):
        qty = [net.tables[f"qty_{x}"] for x in "ABCDEF"]
        return sum(sum(q[o] for q in qty) * n for o, n in backlog.items())
    return sum((2 if store == "filament" else 1) * n for n in backlog.values())


def released_units(store: str, state) -> int:
    """Units of ``store`` that released jobs not yet through its station will use."""
    if store == "filament":
        return 2 * max(0, state.count("bases_needed") - state.count("base")
                       - state.count("base_in_print"))
    units, places = UPSTREAM[store]
    return units * sum(state.count(p) for p in places)


class EarliestOrderController:
    """Release every order; earliest order first everywhere; reorder while demand remains."""

    name = "earliest-order"
    thesis_key = None
    MODULES = MODULES
    deterministic = True    # its choice follows from the offer and the marking it reads

    def __init__(self):
        self.effort = {m: 0.0 for m in self.MODULES}

    def reset(self, state) -> None:
        self.effort = {m: 0.0 for m in self.MODULES}

    def choose(self, decision):
        return ask_modules(decision, self.effort, self._fulfil_storage, self._release,
                           TraditionalController._select_net)

    @staticmethod
    def _release(bindings, state):
        return min(bindings, key=lambda b: b.values["o"])

    @staticmethod
    def _fulfil_storage(bindings, state):
        for b in bindings:
            store = b.transition[len("reorder_"):]
            level = state.count(store)
            cap = state.net.places[store].capacity
            if (cap is None or level < cap) and units_needed(store, state) > level:
                return b
        return None

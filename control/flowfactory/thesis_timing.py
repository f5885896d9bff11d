"""The thesis's timing: its MATLAB model as the code printed in its appendix runs it.

The thesis's text describes a plant; the code it ran computes times its own way. This module
follows the appendix's traditional-method listing line by line, so that ``--timing thesis``
reproduces the thesis's figures (``docs/flowfactory.md`` quotes the lines):

* every station keeps its own clock; each component (one product of one order) copies the
  stop times of the component before it, so components pass every station in list order and
  orders pipeline through the plant, with no release dates;
* a station stays busy during transport: stop = start + production + transport, and the next
  station starts 60 s after the previous one stops (``HANDOVER``);
* sawing, cleaning & drying and verification after milling start at the previous station's
  stop + 60 s unless the station's own last stop is more than 10 h later (``OVERLAP``); the
  laser and commissioning start at the later of their own last stop and verification's stop,
  + 60 s; the stations after them at the previous stop + 60 s;
* an empty store stalls the job until 08:00 a fixed number of days after the day it would
  have started (``STALL_DAYS``: sawing 3, laser 1, printer and electrical verification 2;
  hard-coded in the code, not Table 4.5), and the store is then full (30);
* the consumable stores and the base store are set from the first case's initial stock once
  and carried over between cases; main storage is set per case;
* the ovens alternate per component within an order, starting with oven 1; after the last
  component of an order the printer (if the base store is empty) and montage start 60 s after
  oven 2's stop of that component (montage does not wait for the printer: the code tests the
  base store after the printer has added its base), then electrical verification and
  packaging follow;
* the malfunction line ``if 10 <= Orders{i, "Orders"} <= 15`` is always true in MATLAB
  (``(10 <= x) <= 15``): cleaning & drying takes three times its face-1 time for all 500
  inputs; the storage and workforce lines are commented out, so those scenarios run ideal;
* the run ends at the last input's packaging stop; days = end - 2024-07-15 08:00.

The code's decisions are the thesis's three modules: the sequence of a case's orders, the net
of each component (manufacture, stamp, available) and whether a store is refilled early; a
``ThesisDecisions`` object makes them (the default is the traditional method: list order,
stock decides the net, refill only when empty). An early refill stalls the job like an empty
store does (the RL listing does exactly that).

>>> from control.flowfactory import plant as ff
>>> orders = {1: {p: int(p in ("ProductA", "ProductB")) for p in ff.PRODUCTS}}
>>> stock = {s: 0 for s in ff.STORES}
>>> run = run_thesis([(1, stock)], orders)
>>> round(run.end / 86400, 2)          # A and B from scratch, every store empty
6.01
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field

from control.flowfactory import plant as ff

__all__ = ["HANDOVER", "OVERLAP", "STALL_DAYS", "MALFUNCTION_FACTOR", "ThesisDecisions",
           "ThesisRun", "run_thesis", "thesis_lower_bound", "scenario_effect"]

HANDOVER = 60.0                  #: s between one station's stop and the next one's start
OVERLAP = 10 * 3600.0            #: the code's "> hours(10)" test after milling
DAY = 86400.0
MORNING = 8 * 3600.0             #: model time 0 is 08:00
#: station -> days an empty store stalls a job (08:00 that many days after its start day)
STALL_DAYS = {"Sawing": 3, "Laser": 1, "Printer": 2, "Electrical_Function_Verification": 2}
#: station -> its store (the code's Machine_Storage rows), units a job takes
STORE_OF = {"Sawing": ("cutting", 1), "Laser": ("gas", 1), "Printer": ("filament", 2),
            "Electrical_Function_Verification": ("electrical_func", 1)}
CAPACITY = 30
MALFUNCTION_FACTOR = 3
MANUFACTURE = ["Sawing", "Cleaning & Drying", "Verification"]
LASER = ["Laser", "Cleaning & Drying", "Verification"]
FINAL = ["Printer", "Montage", "Electrical_Function_Verification", "Packaging"]
ITEM = {"Printer": "base", "Montage": "base", "Electrical_Function_Verification":
        "electrical_func", "Packaging": "final_prod"}
STATIONS = ff.STATION_ORDER


def _times(malfunction: bool) -> dict:
    """(product or item, station) -> (production s, transport s) from stations.csv."""
    out = {}
    with open(ff.DATA / "stations.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            face1, face2 = float(row["pt_face1_s"]), float(row["pt_face2_s"])
            if malfunction and row["station"] == "Cleaning & Drying":
                face1 *= MALFUNCTION_FACTOR
            out[row["product"], row["station"]] = (face1 + face2, float(row["transport_s"]))
    return out


def scenario_effect(name: str) -> bool:
    """Whether a bundled scenario changes the thesis's traditional run: only the malfunction
    (applied to all inputs); storage and workforce are commented out in the listing."""
    return name == "malfunction"


def _stall(start: float, days: int) -> float:
    """08:00 ``days`` calendar days after the day of ``start`` (model time 0 = 08:00)."""
    day = math.floor((start + MORNING) / DAY)
    return (day + days) * DAY


class ThesisDecisions:
    """The traditional method's decisions; subclass to decide otherwise."""

    name = "traditional"

    def sequence(self, case: int, orders: list[int], main: dict) -> list[int]:
        """The order in which a case's orders enter (prioritization)."""
        return list(orders)

    def net(self, order: int, product: str, main: dict) -> str:
        """'available', 'stamp' or 'manufacture' for one component, given main storage."""
        if main[f"{product}_complete"] >= 1:
            return "available"
        if main[f"{product}_notLasered"] >= 1:
            return "stamp"
        return "manufacture"

    def refill(self, store: str, level: int, order: int) -> bool:
        """Refill a store that can still serve this job (stalls the job as an empty one)."""
        return False


@dataclass
class ThesisRun:
    """The outcome: end of the last input (s), per case its end, every component's table."""

    end: float
    case_ends: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)     # (case, order, product, station, start, stop)
    stalls: dict = field(default_factory=dict)   # station -> number of stalls


def run_thesis(cases: list[tuple[int, dict]], orders: dict[int, dict[str, int]],
               decisions: ThesisDecisions | None = None, malfunction: bool = False) -> ThesisRun:
    """Run the cases one after another on one time line, as the thesis's code does."""
    decisions = decisions or ThesisDecisions()
    times = _times(malfunction)
    start = {s: 0.0 for s in STATIONS}
    stop = {s: 0.0 for s in STATIONS}
    store = None
    run = ThesisRun(0.0, stalls={s: 0 for s in STALL_DAYS})

    def pt(item, s):
        return times[item, s][0]

    def tt(item, s):
        return times[item, s][1]

    used: list[str] = []

    def finish(s, item, order):
        """Stop of station s for a job starting at start[s]; stalls at an empty store."""
        used.append(s)
        if s in STORE_OF:
            name, units = STORE_OF[s]
            if store[name] < units or decisions.refill(name, store[name], order):
                start[s] = _stall(start[s], STALL_DAYS[s])
                store[name] = CAPACITY
                run.stalls[s] += 1
            store[name] -= units
        stop[s] = start[s] + pt(item, s) + tt(item, s)

    for case, stock in cases:
        if store is None:                   # set once, from the first case, then carried over
            store = {k: int(stock.get(k, 0)) for k in ("cutting", "gas", "filament",
                                                       "electrical_func", "base")}
        main = {k: int(stock.get(k, 0)) for k in ff.MAIN_STORES}
        for o in decisions.sequence(case, list(orders), dict(main)):
            oven = "Oven 1"
            last_oven2 = None
            for p in ff.PRODUCTS:
                for _ in range(orders[o][p]):
                    # each component starts from the stop times of the one before it
                    start.update(stop)
                    used.clear()
                    kind = decisions.net(o, p, dict(main))
                    if kind == "available" and main[f"{p}_complete"] < 1:
                        kind = "stamp"
                    if kind == "stamp" and main[f"{p}_notLasered"] < 1:
                        kind = "manufacture"
                    if kind == "manufacture":
                        mill = "Milling 2" if p in ("ProductD", "ProductE", "ProductF") else "Milling 1"
                        start[mill] = stop["Sawing"]
                        finish(mill, p, o)
                        prev = mill
                        for s in MANUFACTURE:
                            if start[s] - stop[prev] > OVERLAP:
                                start[s] = stop[s] + HANDOVER
                            else:
                                start[s] = stop[prev] + HANDOVER
                            finish(s, p, o)
                            prev = s
                        main[f"{p}_notLasered"] += 1
                    if kind in ("manufacture", "stamp"):
                        start["Laser"] = max(start["Laser"], stop["Verification"]) + HANDOVER
                        finish("Laser", p, o)
                        for a, b in zip(LASER, LASER[1:]):
                            start[b] = stop[a] + HANDOVER
                            finish(b, p, o)
                        main[f"{p}_complete"] += 1
                        main[f"{p}_notLasered"] -= 1
                    start["Commissioning"] = max(start["Commissioning"],
                                                 stop["Verification"]) + HANDOVER
                    finish("Commissioning", p, o)
                    start["Powder coating"] = stop["Commissioning"] + HANDOVER
                    finish("Powder coating", p, o)
                    start[oven] = stop["Powder coating"] + HANDOVER
                    finish(oven, p, o)
                    oven = "Oven 2" if oven == "Oven 1" else "Oven 1"
                    main[f"{p}_complete"] -= 1
                    last_oven2 = stop["Oven 2"]
                    # a station used twice (cleaning, verification) keeps its second use
                    run.rows.extend((case, o, p, s, start[s], stop[s]) for s in dict.fromkeys(used))
            # the final product: from oven 2's stop of the order's last component
            used.clear()
            if store["base"] < 1:
                start["Printer"] = last_oven2 + HANDOVER
                finish("Printer", "base", o)
                store["base"] += 1
            # the code tests the base store after printing, so montage never waits for it
            start["Montage"] = last_oven2 + HANDOVER
            finish("Montage", "base", o)
            store["base"] -= 1
            for a, b in zip(FINAL[1:], FINAL[2:]):
                start[b] = stop[a] + HANDOVER
                finish(b, ITEM[b], o)
            run.rows.extend((case, o, "final", s, start[s], stop[s]) for s in used)
            run.end = stop["Packaging"]
        run.case_ends[case] = run.end
    return run


def thesis_lower_bound(cases: list[tuple[int, dict]], orders: dict[int, dict[str, int]],
                       malfunction: bool = False, tail: bool = True) -> float:
    """A bound no decisions can beat under this timing: every component passes commissioning
    in list order, each taking its production + transport + 60 s, and the last one still
    needs coating, an oven, montage, electrical verification and packaging (``tail``)."""
    times = _times(malfunction)
    n = sum(q[p] for q in orders.values() for p in ff.PRODUCTS) * len(cases)
    comm = sum(q[p] * (sum(times[p, "Commissioning"]) + HANDOVER)
               for q in orders.values() for p in ff.PRODUCTS) * len(cases)
    if not n or not tail:
        return comm
    tail = min(sum(times[p, "Powder coating"]) + min(sum(times[p, "Oven 1"]), sum(times[p, "Oven 2"]))
               for p in ff.PRODUCTS) + 2 * HANDOVER
    for s in FINAL[1:]:
        tail += sum(times[ITEM[s], s]) + HANDOVER
    return comm + tail


# ---------------------------------------------------------------------------------------------
# The controllers' decisions under this timing
# ---------------------------------------------------------------------------------------------
_STAGE1 = ["Commissioning", "Powder coating", "Oven 1", "Oven 2"]
_STAGE2 = ["Laser", "Cleaning & Drying", "Verification"]
_STAGE3 = ["Milling 1", "Milling 2", "Sawing", "Cleaning & Drying", "Verification"]


class ThesisRLDecisions(ThesisDecisions):
    """The thesis's three Q-learning modules as its RL listing computes them. Each module is a
    one-step MDP trained with learning rate 1, so its greedy action is the one with the largest
    reward: the prioritization ranks each group of four orders by 1/C(order) and places them as
    the listing's loop does; net selection takes the largest of the cost functions of the
    three nets (``productionfunction``; when all are -10 the listing's "empty" action would
    drop the component, here the stock rule decides instead); fulfil storage never refills
    early (S_max >= S_max - S_status)."""

    name = "thesis-rl"

    def __init__(self):
        self._t = _times(False)

    def _sums(self, products, stages):
        pr = sum(sum(self._t[p, s][:1]) for p in products for st in stages for s in st)
        tr = sum(self._t[p, s][1] for p in products for st in stages for s in st)
        return pr, tr

    def _cost(self, p, main, stage, qt):
        pr_sum, tr_sum = self._sums([p], [_STAGE1, _STAGE2, _STAGE3])
        stages = [_STAGE1] + ([_STAGE2] if stage >= 2 else []) + ([_STAGE3] if stage == 3 else [])
        pr, tr = self._sums([p], stages)
        e = main[f"{p}_complete"] - qt if main[f"{p}_complete"] >= qt else 0
        if stage >= 2:
            e = main[f"{p}_notLasered"] - qt if main[f"{p}_complete"] < qt else e + main[f"{p}_notLasered"]
        if e <= 0 or qt <= 0:
            return -10.0
        return pr / pr_sum + tr / tr_sum + e / (2 * CAPACITY)

    def _order_cost(self, q, main):
        pr_sum, tr_sum = self._sums(ff.PRODUCTS, [_STAGE1, _STAGE2, _STAGE3])
        total = 0.0
        for p in ff.PRODUCTS:
            if q[p] > 0:
                pr, tr = self._sums([p], [_STAGE1, _STAGE2, _STAGE3])
                e = main[f"{p}_complete"] - q[p] + main[f"{p}_notLasered"]
                total += pr / pr_sum + tr / tr_sum + e / (2 * CAPACITY)
        return total

    def sequence(self, case, orders, main):
        out = list(orders)
        for i in range(0, len(orders) - 3, 4):
            group = orders[i:i + 4]
            reward = [1.0 / c if (c := self._order_cost(self._q[o], main)) else 0.0 for o in group]
            ranked = sorted(range(4), key=lambda k: -reward[k])   # rank k2 -> row index
            for j in range(4):            # aux(i + rowIndices(j) - 1, :) = Orders(i + j - 1, :)
                out[i + ranked[j]] = group[j]
        return out

    def net(self, order, product, main):
        qt = self._q[order][product]
        f = {kind: self._cost(product, main, stage, qt)
             for kind, stage in (("manufacture", 3), ("stamp", 2), ("available", 1))}
        if max(f.values()) <= -10.0:
            return super().net(order, product, main)
        return max(f, key=f.get)


#: (s, S) under this timing: refill when the store holds at most s, tuned on the thesis's
#: cases, ideal, over s = 0..15 (s = 0: 150.02 days, 3: 140.21, 4: 133.10, 5: 138.30,
#: 7: 150.02, 10: 172.02): a refill stalls the job until 08:00 some days after its start day,
#: so when refills happen decides how much of each stall the plant waits out
THESIS_S = 4


class ReorderPointDecisions(ThesisDecisions):
    """The traditional method's sequence and nets; refill a store at ``s`` units or fewer."""

    name = "ss"

    def __init__(self, s: int = THESIS_S):
        self.s = s

    def refill(self, store: str, level: int, order: int) -> bool:
        return level <= self.s


def decisions_for(controller: str, orders: dict | None = None) -> ThesisDecisions:
    """The decisions a registered controller makes under this timing. The thesis's model has
    three decisions (sequence, net, early refill): (s, S) refills at ``THESIS_S``; the
    traditional, earliest-order and learned controllers make them as the traditional method
    does (list order, stock decides the net, refill only when empty); thesis-rl makes them
    with the thesis's reward functions."""
    if controller == "ss":
        return ReorderPointDecisions()
    if controller == "thesis-rl":
        d = ThesisRLDecisions()
        d._q = orders or ff.read_orders(ff.DATA / "orders.csv")
        return d
    return ThesisDecisions()

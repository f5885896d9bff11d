"""Our learned FlowFactory controller (``rl``): a linear policy over what the plant shows,
trained by policy search on randomised plants. One file, top to bottom: hyper-parameters,
features and actions, the policy, the training inputs, the update rule.

**Decision points** (the net ``load_plant(dispatch=True)``: station starts are controllable
too, so the controller decides dispatch):

* *release* (``release``): release the next order of the list while ``r0 + r1 * commissioning
  hours of released components not yet commissioned / 24 + r2 * capacity cut + r3 * slowdown
  + r4 * filament stock / its capacity + r5 * orders in the plant / 50 + r6 * share of
  suppliers with a delivery on its way + r7 * supply-bound > 0`` (an empty plant always gets
  an order), where *supply-bound* is the largest over the consumable stores of the
  deliveries the remaining work still needs (units needed beyond the stock, in store
  capacities) x the supplier's lead time, over the commissioning hours still to do;
* *net* per component of the earliest waiting order (``take_complete_X``, ``stamp_X``,
  ``manufacture``): the offered option with the highest score, ``bias[option] + laser queue /
  50 * q_laser (stamp, manufacture) + milling and sawing queue / 50 * q_mill (manufacture) +
  gas short * s_gas (stamp, manufacture) + cutting short * s_cut (manufacture) + n_slow *
  slowdown of the option's stations (stamp: laser, cleaning, verification; manufacture: also
  milling and sawing)``, where *short* is 1 - stock / capacity;
* *delivery* per store whose supplier is free and store below its capacity now in force
  (``reorder_X``): ``d0 + d1 * stock / capacity + d2 * min(units still needed / capacity, 3) +
  d3 * [units still needed > stock] + d4 * recent use per hour / capacity + d5 * this store's
  capacity cut > 0``;
* *dispatch* (every station start): the waiting job with the smallest ``order number / orders
  + k1 * share of its order already at montage + k2 * [its order's kit is complete but for
  this job]``.

**Observation** at each decision, all of it what the plant shows: stock per store and its
capacity now in force (*capacity cut*: the largest share by which a consumable store's
capacity is below the net's), deliveries on their way (a supplier without its token), the
units still needed per store, queue lengths, the commissioning work of released components
still upstream of commissioning (order progress), recent use per store (units taken in the
last 12 h), and each station's pace: when a job it started is finished (the station's token
is back), its processing time over the table's; *slowdown* is the largest mean pace - 1 over
the last 12 h (0: every station as planned, 2: one at three times its time).

**Reward**: per plant, - makespan / its lower bound (``kpi.flowfactory.bounds``), so plants of
different size weigh alike; a run that stops with orders unshipped (a policy that never
reorders) scores -10 - the unshipped share; nothing else. **Update**: the cross-entropy method: each
iteration draws ``POPULATION`` parameter vectors from a Gaussian, plays each on the same
``BATCH`` random plants, and refits mean and spread to the best ``ELITE``; then a grid search
over the release gate's weights on upstream work and on how supply-bound the plant is
(``RELEASE_WEIGHTS`` x ``SUPPLY_WEIGHTS``, on ``REFINE`` fresh plants, each candidate against
the starting parameters on the same plants: the fastest on the mean among those never more
than ``TOLERANCE`` slower on a plant), then a check on ``VALIDATION`` held-out plants that
the result is faster than the starting parameters on the mean and never more than
``TOLERANCE`` slower (else those are kept). Training starts from the parameters of the earliest-order
rule (release all, stock first, earliest order first, reorder while needed); what learning
adds over that rule is measured in docs/results.md. Every step can be checkpointed
(``train(checkpoint=)``, the state is plain JSON data) and continued (``train(state=)``) to
the same result.

**Training inputs** (``random_plant``): 20-150 orders of a random product mix (Dirichlet),
initial stock drawn per group of stores (complete parts, not lasered parts, consumables,
bases: each group empty, full, or random per store), and one disruption drawn from: none, a filament capacity cut, a cleaning
& drying slow-down, a milling 1 transport slow-down, a commissioning slow-down, a longer
supplier lead time, each over a random window of orders. The thesis's order list and cases are
never used in training.
"""
from __future__ import annotations

import json
import math
import random
import time
from collections import deque

from control.flowfactory import plant as ff
from control.flowfactory.earliest import backlog_units, released_units, units_needed
from control.flowfactory.plant import MODULES, ask_modules

__all__ = ["LearnedController", "PARAMETERS", "INITIAL", "load", "train", "random_plant",
           "KIND", "POLICY"]

# ---------------------------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------------------------
POPULATION = 8           # parameter vectors per iteration
ELITE = 2                # the best ones the Gaussian is refitted to
BATCH = 3                # random plants every vector plays per iteration
ITERATIONS = 8
SIGMA = 0.5              # initial spread of every parameter
SIGMA_MIN = 0.05
VALIDATION = 8           # held-out random plants: the learned mean must beat the start there
REFINE = 16              # random plants of the grid search over the release gate
#: the release gate's weights on upstream commissioning work tried besides the one the
#: cross-entropy method found (with r0 = 1, -0.5 holds orders while 48 h of work are upstream)
RELEASE_WEIGHTS = [-0.5, -1.0]
#: the release gate's weights on how supply-bound the plant is (``r7``), tried with each of
#: the above; set by the grid only (the cross-entropy method leaves it at its start, 0)
SUPPLY_WEIGHTS = [0.0, 1.0, 2.0]
GRID_ONLY = ("r7",)
#: the grid and the held-out check compare every candidate with the earliest-order parameters
#: on the same plants (common random numbers); a candidate more than this share slower than
#: them on any plant is taken only if no candidate stays within it
TOLERANCE = 0.005
RECENT = 12 * 3600.0     # s: the window of "recent use" of a store
KIND = "flowfactory-rl"
POLICY = "rl.json"       # shipped in nets/flowfactory/policies/

PARAMETERS = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
              "bias_available", "bias_stamp", "bias_manufacture", "q_laser", "q_mill", "s_gas",
              "s_cut", "n_slow",
              "d0", "d1", "d2", "d3", "d4", "d5",
              "k1", "k2"]
#: the earliest-order rule in these terms
INITIAL = {"r0": 1.0, "r1": 0.0, "r2": 0.0, "r3": 0.0, "r4": 0.0, "r5": 0.0, "r6": 0.0, "r7": 0.0,
           "bias_available": 2.0, "bias_stamp": 1.0, "bias_manufacture": 0.0, "q_laser": 0.0,
           "q_mill": 0.0, "s_gas": 0.0, "s_cut": 0.0, "n_slow": 0.0,
           "d0": -0.5, "d1": 0.0, "d2": 0.0, "d3": 1.0, "d4": 0.0, "d5": 0.0,
           "k1": 0.0, "k2": 0.0}

STORES = ("cutting", "gas", "filament", "electrical_func")
NET_KIND = {"take_complete": "available", "stamp": "stamp", "manufacture": "manufacture"}
LASER_QUEUE = ("to_laser",)
MILL_QUEUE = ("to_milling", "to_sawing")
STATION_STARTS = frozenset(ff.STATIONS)


#: the release gate's weights besides ``r0``: with all of them 0 the gate is ``r0`` alone
GATE_WEIGHTS = ("r1", "r2", "r3", "r4", "r5", "r6", "r7")


#: places holding components of released orders that have not yet started commissioning
BEFORE_COMMISSIONING = ("demand", "to_milling", "to_sawing", "to_cleaning_1", "to_verification_1",
                        "to_laser", "to_cleaning_2", "to_verification_2", "to_commissioning")
#: the item a station start without a product works on
ITEM = {"print_base": "base", "montage": "base", "verify_electrical": "electrical_func",
        "package": "final_prod"}
#: the stations a component passes on each net before commissioning
ROUTE = {"stamp": ("Laser", "Cleaning & Drying", "Verification"),
         "manufacture": ("Milling 1", "Milling 2", "Sawing", "Laser", "Cleaning & Drying",
                         "Verification")}


class LearnedController:
    """Linear scores over the plant's state at every decision point (see the module)."""

    name = "rl"
    thesis_key = None        # the thesis has no figures for this controller
    dispatch = True          # runs on load_plant(dispatch=True)
    #: its choice follows from the offer and what it reads (the clock too); what it observes
    #: while choosing (stores' use, stations' pace) comes out the same when asked again with
    #: nothing it read changed
    deterministic = True
    MODULES = MODULES + ("dispatch",)

    def __init__(self, parameters: dict | None = None):
        self.p = {**INITIAL, **(parameters or {})}
        self.effort = {m: 0.0 for m in self.MODULES}
        self._orders = 0
        self._levels: dict = {}
        self._use: dict = {}
        self._last: dict = {}
        self._pace: dict = {}
        self._upstream: dict = {}       # place -> (its version, its commissioning terms)
        self._upstream_sum = None       # (the places' versions, their commissioning hours)
        self._ready: dict = {}          # station resource -> (its version, earliest ready time)
        self._means: dict = {}          # station -> (first, last, length, mean pace) of its window
        self._sizes: dict = {}          # order -> its number of components
        self._backlog_hours = None      # (the backlog's version, its commissioning hours)
        self._used: dict = {}           # store -> units taken in its recent window (its _use)
        self._later: dict = {}          # store -> (the backlog's version, units it will use)
        self._montage = None            # (to_montage's version, its colours)
        self._normal = None             # (the net, its consumable stores' capacities)
        self._hours = None              # (the net, commissioning seconds per product)
        self._paced = 0                 # paces taken into or dropped from the windows so far
        self._slow: dict = {}           # stations -> (_paced, earliest pace kept, slowdown)

    def reset(self, state) -> None:
        self.effort = {m: 0.0 for m in self.MODULES}
        self._orders = state.count("backlog")
        self._levels = {s: state.count(s) for s in STORES}
        self._use = {s: deque() for s in STORES}
        self._last = {}          # station resource -> (station, start, table time) of its job
        self._pace = {}          # station -> deque of (time, observed / nominal processing time)
        self._upstream = {}
        self._upstream_sum = None
        self._ready = {}
        self._means = {}
        self._sizes = {}
        self._backlog_hours = None
        self._used = {s: 0 for s in STORES}
        self._later = {}
        self._montage = None
        self._normal = None
        self._hours = None
        self._paced = 0
        self._slow = {}

    # -- observation ---------------------------------------------------------------------------
    def _observe_use(self, state) -> None:
        """Units taken from each store since the last decision (deliveries only add)."""
        now = state.clock
        edge = now - RECENT
        levels, use, used = self._levels, self._use, self._used
        for s in STORES:
            level = state.count(s)
            taken = levels.get(s, level) - level
            q = use[s]
            if taken > 0:
                q.append((now, taken))
                used[s] = used.get(s, 0) + taken
            levels[s] = level
            while q and q[0][0] < edge:
                used[s] -= q.popleft()[1]

    def _recent_per_hour(self, store: str) -> float:
        """Units taken from ``store`` per hour in its recent window (the window's units are
        whole numbers, kept as a running total: the same sum as adding them up)."""
        return self._used.get(store, 0) / (RECENT / 3600.0)

    def _observe_start(self, chosen, state) -> None:
        """Remember a started job: its station, its start and the table's processing time."""
        station, resource = ff.STATIONS[chosen.transition]
        item = chosen.values.get("p") or ITEM.get(chosen.transition.rstrip("_0123456789"), "base")
        tables = state.net.tables
        try:
            nominal = float(tables["face1"][item, station] + tables["face2"][item, station])
        except KeyError:
            return
        self._last[resource] = (station, state.clock, nominal)

    def _observe_finished(self, state) -> None:
        """A station's pace: when a started job has finished (the station's token is back),
        its processing time over the table's is how much slower than planned it runs now."""
        now = state.clock
        ready, versions = self._ready, hasattr(state, "version")
        for resource in list(self._last):
            version = state.version(resource) if versions else None
            known = ready.get(resource)
            if version is not None and known is not None and known[0] == version \
                    and now < known[1]:
                continue        # its tokens as when last read, none of them ready yet
            tokens = state.tokens(resource)
            free = [t for _, t in tokens if t <= now]
            ready[resource] = (version, min((t for _, t in tokens), default=math.inf))
            if free:
                station, start, nominal = self._last.pop(resource)
                if nominal > 0:
                    self._pace.setdefault(station, deque()).append(
                        (now, (max(free) - start) / nominal))
                    self._paced += 1

    def _slowdown(self, state, stations=None) -> float:
        """How much slower than planned the slowest of ``stations`` ran in the recent window
        (0: as planned; 2: three times the processing time), at most 4."""
        now = state.clock
        edge = now - RECENT
        kept = self._slow.get(stations)
        if kept is not None and kept[0] == self._paced and not kept[1] < edge:
            return kept[2]      # no pace taken or dropped since, none leaving the window now
        worst = 0.0
        head = math.inf
        means = self._means
        for station, q in self._pace.items():
            while q and q[0][0] < edge:
                q.popleft()
                self._paced += 1
            if q:
                if q[0][0] < head:
                    head = q[0][0]
                if stations is None or station in stations:
                    known = means.get(station)      # the window changes only at its two ends
                    if known is None or known[0] is not q[0] or known[1] is not q[-1] \
                            or known[2] != len(q):
                        known = means[station] = (q[0], q[-1], len(q),
                                                  sum(r for _, r in q) / len(q))
                    worst = max(worst, known[3] - 1.0)
        worst = min(4.0, worst)
        self._slow[stations] = (self._paced, head, worst)
        return worst

    @staticmethod
    def _capacity(state, store) -> int:
        now = state.capacity(store) if hasattr(state, "capacity") else None
        return now if now is not None else (state.net.places[store].capacity or 30)

    def _normal_capacity(self, state, store: str) -> int:
        """A store's capacity in the net (30 if it has none; kept per net)."""
        net = state.net
        known = self._normal
        if known is None or known[0] is not net:
            known = self._normal = (net, {})
        cap = known[1].get(store)
        if cap is None:
            cap = known[1][store] = net.places[store].capacity or 30
        return cap

    def _cut(self, state) -> float:
        """The largest share by which a consumable store's capacity is now below the net's."""
        return max(1.0 - self._capacity(state, s) / self._normal_capacity(state, s)
                   for s in STORES)

    def _needed(self, store: str, state) -> int:
        """``units_needed``: the part of the orders not released yet is kept while the backlog
        keeps its version (read all the same: the backlog is noted as read)."""
        if not hasattr(state, "version"):
            return units_needed(store, state)
        version = state.version("backlog")
        known = self._later.get(store)
        if known is None or known[0] != version:
            known = self._later[store] = (version, backlog_units(store, state.colours("backlog"),
                                                                  state.net))
        return known[1] + released_units(store, state)

    def _upstream_hours(self, state) -> float:
        """Commissioning hours of the released components that have not reached it yet (each
        place's terms are computed again only when its tokens changed: ``state.version``)."""
        hours = self._commissioning(state)
        kept = self._upstream
        last = self._upstream_sum       # (versions, running work after each place, hours)
        start = 0
        if hasattr(state, "version"):
            version = state.version
            versions = tuple([version(p) for p in BEFORE_COMMISSIONING])
            if last is not None:
                if last[0] == versions:
                    return last[2]
                while last[0][start] == versions[start]:
                    start += 1      # the running work up to here is as last time
        else:
            versions = (None,) * len(BEFORE_COMMISSIONING)
        work = last[1][start - 1] if start else 0.0
        running = list(last[1][:start]) if start else []
        for place, version in zip(BEFORE_COMMISSIONING[start:], versions[start:]):
            known = kept.get(place)
            if version is None or known is None or known[0] != version:
                terms = [n * hours[job[1]] for job, n in state.colours(place).items()]
                known = kept[place] = (version, terms)
            for x in known[1]:      # added one by one, in the same order as ever
                work += x
            running.append(work)
        if versions[0] is not None:
            self._upstream_sum = (versions, running, work / 3600.0)
        return work / 3600.0

    def _commissioning(self, state) -> dict:
        """Product -> the seconds of its commissioning (both faces) in the net's tables
        (kept per net)."""
        net = state.net
        known = self._hours
        if known is None or known[0] is not net:
            f1, f2 = net.tables["face1"], net.tables["face2"]
            known = self._hours = (net, {p: f1[p, "Commissioning"] + f2[p, "Commissioning"]
                                         for p in ff.PRODUCTS})
        return known[1]

    def _remaining_hours(self, state) -> float:
        """Commissioning hours of every component not yet commissioned (released or not)."""
        backlog = state.colours("backlog")
        version = state.version("backlog") if hasattr(state, "version") else None
        known = self._backlog_hours
        if version is None or known is None or known[0] != version:
            net = state.net
            f1, f2 = net.tables["face1"], net.tables["face2"]
            hours = sum(n * sum(net.tables[f"qty_{x}"][o] * (f1["Product" + x, "Commissioning"]
                                                             + f2["Product" + x, "Commissioning"])
                                for x in "ABCDEF")
                        for o, n in backlog.items()) / 3600.0
            known = self._backlog_hours = (version, hours)
        return known[1] + self._upstream_hours(state)

    def _supply_bound(self, state) -> float:
        """How supply-bound the rest of the run is: the largest over the consumable stores of
        the deliveries the remaining work still needs (units still needed beyond the stock, in
        store capacities) x the supplier's lead time, over the commissioning hours still to do.
        Near or above 1, a store can only keep up if every delivery arrives to an empty store
        and brings a full one, so holding orders back (which slows the use of stock) costs."""
        work = self._remaining_hours(state)
        if work <= 0:
            return 0.0
        lead = state.net.tables["lead_days"]
        worst = 0.0
        for s in STORES:
            short = self._needed(s, state) - state.count(s)
            if short > 0:
                worst = max(worst, short / max(self._capacity(state, s), 1) * lead[s] * 24.0 / work)
        return min(worst, 4.0)

    # -- the contract --------------------------------------------------------------------------
    def choose(self, decision):
        state = decision.state
        self._observe_use(state)
        if self._last:
            self._observe_finished(state)
        offered = ff.offered_by_transition(decision)
        starts = [b for name, bs in offered if name in STATION_STARTS for b in bs]
        if starts:
            t0 = time.perf_counter()
            chosen = self._dispatch(starts, state)
            self._observe_start(chosen, state)
            self.effort["dispatch"] += time.perf_counter() - t0
            return chosen
        chosen = ask_modules(decision, self.effort, self._deliver, self._release, self._net,
                             offered)
        if chosen is None and hasattr(state, "valid_until"):
            state.valid_until(self._holds_until(state))
        return chosen

    def _holds_until(self, state) -> float:
        """The clock before which what this decision read of the clock stays as it was: the
        first time a use or a pace leaves its window (a millisecond early: the windows' own
        comparison rounds), or a started job's station token gets ready."""
        now = state.clock
        until = math.inf
        for q in (*self._use.values(), *self._pace.values()):
            if q and q[0][0] + RECENT - 1e-3 < until:
                until = q[0][0] + RECENT - 1e-3
        for resource in self._last:     # read by _observe_finished just before: none ready
            known = self._ready.get(resource)
            t = known[1] if known is not None else min(
                (t for _, t in state.tokens(resource) if t > now), default=math.inf)
            if now < t < until:
                until = t
        return until

    # -- decisions -----------------------------------------------------------------------------
    def _release(self, bindings, state):
        p = self.p
        in_plant = self._orders - state.count("backlog") - state.count("shipped")
        if in_plant > 0 and any(p[k] for k in GATE_WEIGHTS):
            cap = self._capacity(state, "filament")
            transit = sum(1 for s in STORES if state.count(f"supplier_{s}") == 0) / len(STORES)
            gate = (p["r0"] + p["r1"] * self._upstream_hours(state) / 24 + p["r2"] * self._cut(state)
                    + p["r3"] * self._slowdown(state) + p["r4"] * state.count("filament") / max(cap, 1)
                    + p["r5"] * in_plant / 50 + p["r6"] * transit)
            if p["r7"]:
                gate += p["r7"] * self._supply_bound(state)
        else:
            gate = p["r0"]
        if gate <= 0 and in_plant > 0:       # never hold with an empty plant
            return None
        return min(bindings, key=lambda b: b.values["o"])

    def _net(self, bindings, state):
        p = self.p
        first = min(b.values["o"] for b in bindings)
        mine = [b for b in bindings if b.values["o"] == first]
        laser_q = sum(state.count(q) for q in LASER_QUEUE) / 50
        mill_q = sum(state.count(q) for q in MILL_QUEUE) / 50
        gas_short = 1 - state.count("gas") / 30
        cut_short = 1 - state.count("cutting") / 30
        slow = ({k: self._slowdown(state, route) for k, route in ROUTE.items()}
                if p["n_slow"] else {})

        def score(b):
            kind = NET_KIND[b.transition.rsplit("_", 1)[0] if b.transition != "manufacture"
                            else "manufacture"]
            s = p["bias_" + kind]
            if kind != "available":
                s += p["q_laser"] * laser_q + p["s_gas"] * gas_short
                s += p["n_slow"] * slow.get(kind, 0.0)
            if kind == "manufacture":
                s += p["q_mill"] * mill_q + p["s_cut"] * cut_short
            product = b.values["p"] if b.transition == "manufacture" else "Product" + b.transition[-1]
            return (-s, product)

        return min(mine, key=score)

    def _asked(self, store: str, level: int, cap: int, state) -> bool:
        """Whether the delivery gate is asked for ``store``: only below its capacity now in
        force (a delivery fills the store to that capacity, so a full store gains nothing)."""
        return level < cap

    def _deliver(self, bindings, state):
        p = self.p
        for b in bindings:
            store = b.transition[len("reorder_"):]
            level = state.count(store)
            cap = self._capacity(state, store)
            if not self._asked(store, level, cap, state):
                continue
            needed = self._needed(store, state)
            normal = self._normal_capacity(state, store)
            gate = (p["d0"] + p["d1"] * level / cap + p["d2"] * min(needed / cap, 3.0)
                    + p["d3"] * (needed > level) + p["d4"] * self._recent_per_hour(store) / cap
                    + p["d5"] * (1.0 - cap / normal))
            if gate > 0:
                return b
        return None

    def _at_montage(self, state):
        """The colours of ``to_montage``, kept while it keeps its version."""
        if not hasattr(state, "version"):
            return state.colours("to_montage")
        version = state.version("to_montage")
        known = self._montage
        if known is None or known[0] != version:
            known = self._montage = (version, state.colours("to_montage"))
        return known[1]

    def _dispatch(self, bindings, state):
        p = self.p
        if len(bindings) == 1:      # the one start offered (what it reads then matters not)
            return bindings[0]
        if p["k1"] == 0 and p["k2"] == 0:
            return min(bindings, key=lambda b: (b.values.get("o", 0), b.transition))
        at_montage = self._at_montage(state)
        net = state.net
        n = max(self._orders, 1)

        sizes = self._sizes

        def key(b):
            o = b.values.get("o")
            if o is None:
                return (-1.0, b.transition)
            size = sizes.get(o)
            if size is None:
                size = sizes[o] = sum(net.tables[f"qty_{x}"][o] for x in "ABCDEF")
            share = at_montage.get(o, 0) / size
            last = 1.0 if at_montage.get(o, 0) == size - 1 else 0.0
            return (o / n - p["k1"] * share - p["k2"] * last, b.transition)

        return min(bindings, key=key)


# ---------------------------------------------------------------------------------------------
# Policy files
# ---------------------------------------------------------------------------------------------

def plant_net(orders=None):
    """The net the learned controller runs on: station starts controllable."""
    return ff.load_plant(orders, dispatch=True)


def load(path=None, net=None) -> LearnedController:
    """The shipped policy (or ``path``); refused if trained on another net."""
    from control.policy import load_policy
    path = path or ff.NET_DIR / "policies" / POLICY
    head, _ = load_policy(path, net=net or plant_net(), kind=KIND)
    values = head["meta"].get("parameters", {})
    unknown = set(values) - set(PARAMETERS)
    if unknown or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values.values()):
        from control.policy import PolicyError
        raise PolicyError("parameters must be finite numbers named as in control.flowfactory."
                          "learned.PARAMETERS", file=str(path))
    return LearnedController(values)


def rl_controller(policy=None) -> LearnedController:
    """Our learned controller: linear scores over the plant's state at every decision point
    (release, net, delivery, dispatch), trained by policy search on randomised plants."""
    return load(policy)


# ---------------------------------------------------------------------------------------------
# Training inputs: random plants
# ---------------------------------------------------------------------------------------------

#: stores whose initial stock is drawn together: each group empty, full, or random per store
STOCK_GROUPS = ([s for s in ff.MAIN_STORES if s.endswith("_complete")],
                [s for s in ff.MAIN_STORES if s.endswith("_notLasered")],
                list(STORES), ["base"])


def random_plant(rng: random.Random):
    """(orders, initial stock, scenario or None) drawn from ``rng``."""
    from control.flowfactory.scenarios import Disruption, Scenario
    n = rng.randint(20, 150)
    weights = [rng.gammavariate(0.7, 1.0) for _ in ff.PRODUCTS]
    orders = {}
    for o in range(1, n + 1):
        q = {p: 0 for p in ff.PRODUCTS}
        for _ in range(rng.choice((4, 4, 4, 3, 2, 1))):
            q[rng.choices(ff.PRODUCTS, weights)[0]] += 1
        orders[o] = q
    stock = {}
    for group in STOCK_GROUPS:
        kind = rng.choice(("empty", "full", "random"))
        for s in group:
            if kind == "random":
                stock[s] = 0 if rng.random() < 0.4 else rng.randint(0, 30)
            else:
                stock[s] = 0 if kind == "empty" else 30
    a = rng.randint(1, n)
    b = min(n, a + rng.randint(2, max(2, n // 5)))
    kind = rng.choice(["none", "filament", "cleaning", "milling", "commissioning", "lead"])
    d = {
        "none": None,
        "filament": Disruption("d", "store", "filament", "capacity", value=rng.choice((6, 10, 14))),
        "cleaning": Disruption("d", "station", "Cleaning & Drying", "processing_time",
                               factor=rng.choice((2, 3))),
        "milling": Disruption("d", "station", "Milling 1", "transport_time", factor=3),
        "commissioning": Disruption("d", "station", "Commissioning", "processing_time",
                                    factor=rng.choice((1.2, 1.5))),
        "lead": Disruption("d", "store", rng.choice(STORES), "lead_time", factor=2),
    }[kind]
    if d is None:
        return orders, stock, None
    d.window = ("orders", a, b)
    return orders, stock, Scenario(kind, disruptions=[d])


def play(parameters: dict, plant, seed: int = 0) -> float:
    """Makespan / lower bound of one plant under ``parameters``."""
    from kpi.flowfactory.bounds import flowfactory_lower_bound
    orders, stock, scenario = plant
    net = plant_net(orders)
    relaxed = scenario.relaxed(net) if scenario is not None else net
    bound = flowfactory_lower_bound(relaxed, orders, stock).seconds
    run = ff.run_case(net, 0, stock, LearnedController(parameters), scenario, seed=seed, log=False)
    if run.shipped < len(orders):        # stuck (e.g. never reorders): worse than any finish
        return 10.0 + (len(orders) - run.shipped) / len(orders)
    return run.makespan / bound


def play_all(parameters: dict, plants: list) -> float:
    """The mean of ``play`` over ``plants``."""
    return sum(play(parameters, pl) for pl in plants) / len(plants)


# ---------------------------------------------------------------------------------------------
# Training: the cross-entropy method, the release grid search, the held-out check
# ---------------------------------------------------------------------------------------------

class Interrupted(Exception):
    """Ctrl-C during a training step: the step is dropped, the state before it is kept."""


def _score(candidates: list[dict], plants: list, workers: int) -> list[float]:
    from petri.parallel import Backend, run_tasks
    done = run_tasks(play_all, [(c, plants) for c in candidates], Backend(workers=workers))
    if done.interrupted or any(r is None for r in done.results):
        raise Interrupted
    return done.results


def start_state(seed: int, iterations: int) -> dict:
    """The training state before the first step (plain JSON data, kept in checkpoints)."""
    return {"seed": seed, "iterations": iterations, "stage": "cem", "done": 0,
            "mean": dict(INITIAL), "sigma": {k: SIGMA for k in PARAMETERS},
            "rng": _rng_state(random.Random(seed)), "history": []}


def check_state(state, file: str) -> dict:
    """A training state read from a policy file, checked (``PolicyError`` naming the file and
    what is wrong), so that resuming never fails half way."""
    from control.policy import PolicyError

    def fail(what):
        raise PolicyError(f"training state: {what}", file=file)

    if not isinstance(state, dict) or state.get("stage") not in ("cem", "release", "validation",
                                                                  "done"):
        fail("no stage (one of cem, release, validation, done)")
    for key in ("seed", "iterations", "done"):
        if not isinstance(state.get(key), int) or isinstance(state.get(key), bool) or state[key] < 0:
            fail(f"{key} must be a whole number >= 0")
    if not isinstance(state.get("history"), list):
        fail("history must be a list")
    names = ("mean", "sigma") if state["stage"] != "done" else ("mean",)
    for key in names:
        values = state.get(key)
        if (not isinstance(values, dict) or sorted(values) != sorted(PARAMETERS)
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           and math.isfinite(v) for v in values.values())):
            fail(f"{key} must give a finite number for every parameter")
    if state["stage"] != "done":
        r = state.get("rng")
        if not (isinstance(r, list) and len(r) == 3 and r[0] == 3 and isinstance(r[1], list)
                and len(r[1]) == 625 and all(isinstance(x, int) and 0 <= x < 2 ** 32 for x in r[1])
                and (r[2] is None or isinstance(r[2], float))):
            fail("rng must be a Mersenne Twister state (version 3, 625 words)")
    return state


def _rng_state(rng: random.Random) -> list:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _rng(state: list) -> random.Random:
    rng = random.Random()
    rng.setstate((state[0], tuple(state[1]), state[2]))
    return rng


def step(state: dict, workers: int = 2) -> dict:
    """One training step from ``state`` (a new state; raises ``Interrupted`` on Ctrl-C):
    a cross-entropy iteration while fewer than ``iterations`` are done, then the release grid
    search, then the held-out check (stage ``done``; ``mean`` is the policy)."""
    state = json.loads(json.dumps(state))        # a copy: the old state stays as it was
    seed = state["seed"]
    if state["stage"] == "cem":
        rng = _rng(state["rng"])
        mean, sigma = state["mean"], state["sigma"]
        plants = [random_plant(rng) for _ in range(BATCH)]
        pop = [dict(mean)] + [{k: mean[k] + sigma[k] * rng.gauss(0, 1) if k not in GRID_ONLY
                               else mean[k] for k in PARAMETERS}
                              for _ in range(POPULATION - 1)]
        scores = _score(pop, plants, workers)
        ranked = sorted(range(len(pop)), key=scores.__getitem__)
        elite = [pop[i] for i in ranked[:ELITE]]
        for k in PARAMETERS:
            vals = [e[k] for e in elite]
            mean[k] = sum(vals) / ELITE
            sigma[k] = max(SIGMA_MIN, (sum((v - mean[k]) ** 2 for v in vals) / ELITE) ** 0.5)
        state["done"] += 1
        state["rng"] = _rng_state(rng)
        state["history"].append({"iteration": state["done"], "mean_of_current": scores[0],
                                 "best": scores[ranked[0]]})
        if state["done"] >= state["iterations"]:
            state["stage"] = "release"
    elif state["stage"] == "release":
        state["mean"], record = refine_release(state["mean"], seed, workers)
        state["history"].append(record)
        state["stage"] = "validation"
    elif state["stage"] == "validation":
        state["mean"], record = validate(state["mean"], seed, workers)
        state["history"].append(record)
        state["stage"] = "done"
        del state["sigma"], state["rng"]
    return state


def train(iterations: int = ITERATIONS, seed: int = 0, workers: int = 2, progress=None,
          checkpoint=None, state: dict | None = None):
    """Train from ``INITIAL`` (or continue ``state``, a checkpoint's): returns the last state
    (``stage == "done"`` when finished; ``mean`` holds the parameters). ``progress(state)`` and
    ``checkpoint(state)`` are called after every step; Ctrl-C stops after the running step
    (twice: drops it) and returns the state reached, which continues to the same result."""
    from petri.interrupt import Interrupt
    state = state or start_state(seed, iterations)
    with Interrupt() as stop:
        while state["stage"] != "done":
            try:
                state = step(state, workers)
            except (Interrupted, KeyboardInterrupt):
                stop.flag = True
                break
            if progress:
                progress(state)
            if checkpoint:
                checkpoint(state)
            if stop.flag:
                break
    return state


def _relative(candidates: list[dict], plants: list, workers: int) -> list[list[float]]:
    """Per candidate, per plant: its makespan over the earliest-order parameters' on the same
    plant (both played from the same seed: common random numbers)."""
    from petri.parallel import Backend, run_tasks
    everyone = [dict(INITIAL)] + candidates
    done = run_tasks(play, [(c, pl) for c in everyone for pl in plants], Backend(workers=workers))
    if done.interrupted or any(r is None for r in done.results):
        raise Interrupted
    n = len(plants)
    base = done.results[:n]
    return [[done.results[(i + 1) * n + j] / base[j] for j in range(n)]
            for i in range(len(candidates))]


def _pick(relative: list[list[float]]) -> int:
    """The candidate with the lowest mean relative makespan among those never more than
    ``TOLERANCE`` slower than the earliest-order parameters on a plant; if none is, the one
    whose worst plant is least slow (ties: the first)."""
    within = [i for i, r in enumerate(relative) if max(r) <= 1.0 + TOLERANCE]
    if within:
        return min(within, key=lambda i: (sum(relative[i]) / len(relative[i]), i))
    return min(range(len(relative)), key=lambda i: (max(relative[i]), i))


def refine_release(parameters: dict, seed: int, workers: int = 2) -> tuple[dict, dict]:
    """A grid search over the release gate's weights on upstream commissioning work (``r1``)
    and on how supply-bound the plant is (``r7``), the other parameters fixed, on ``REFINE``
    fresh random plants, each candidate against the earliest-order parameters on the same
    plants (``_pick``). The gate is flat wherever it stays positive (every order released), so
    the Gaussian of the cross-entropy method rarely lands where holding orders starts to
    matter; the grid covers it."""
    rng = random.Random(seed + 20_000)
    plants = [random_plant(rng) for _ in range(REFINE)]
    weights = [parameters["r1"]] + RELEASE_WEIGHTS
    grid = [(a, b) for a in weights for b in SUPPLY_WEIGHTS]
    candidates = [dict(parameters, r1=a, r7=b) for a, b in grid]
    relative = _relative(candidates, plants, workers)
    best = _pick(relative)
    return candidates[best], {"release_grid_search": {
        "r1": weights, "r7": SUPPLY_WEIGHTS,
        "mean_relative": [sum(r) / len(r) for r in relative],
        "worst_relative": [max(r) for r in relative],
        "chosen": list(grid[best])}}


def validate(learned: dict, seed: int, workers: int = 2) -> tuple[dict, dict]:
    """Play the learned parameters and the starting ones (the earliest-order rule) on
    ``VALIDATION`` held-out random plants; keep the learned ones only if they are faster on
    the mean and never more than ``TOLERANCE`` slower on a plant."""
    rng = random.Random(seed + 10_000)
    plants = [random_plant(rng) for _ in range(VALIDATION)]
    [relative] = _relative([learned], plants, workers)
    mean = sum(relative) / len(relative)
    keep = mean < 1.0 and max(relative) <= 1.0 + TOLERANCE
    return (dict(learned) if keep else dict(INITIAL)), {
        "validation": {"mean_relative": mean, "worst_relative": max(relative),
                       "kept": "learned" if keep else "earliest-order parameters"}}


def save(path, state: dict) -> None:
    """Write a policy file (JSON or .npz, as ``control.policy``) with the parameters of
    ``state`` (while training: the current mean) and the state itself, to resume from."""
    from control.policy import save_policy
    save_policy(path, {}, net=plant_net(), kind=KIND,
                meta={"parameters": {k: float(state["mean"][k]) for k in PARAMETERS},
                      "seed": state["seed"], "iterations": state["iterations"],
                      "population": POPULATION, "batch": BATCH, "refine": REFINE,
                      "validation": VALIDATION, "training": state})

"""Our learned FlowFactory controller (``rl``): a linear policy over what the plant shows,
trained by policy search on randomised plants. One file, top to bottom: hyper-parameters,
features and actions, the policy, the training inputs, the update rule.

**Decision points** (the net ``load_plant(dispatch=True)``: station starts are controllable
too, so the controller decides dispatch):

* *release* (``release``): release the next order of the list when
  ``r0 + r1 * orders in the plant / 50 + r2 * jobs waiting for commissioning / 50 > 0``;
* *net* per component of the earliest waiting order (``take_complete_X``, ``stamp_X``,
  ``manufacture``): the offered option with the highest score, ``bias[option] + laser queue /
  50 * q_laser (stamp, manufacture) + milling and sawing queue / 50 * q_mill (manufacture) +
  gas short * s_gas (stamp, manufacture) + cutting short * s_cut (manufacture)``, where
  *short* is 1 - stock / capacity;
* *delivery* per store whose supplier is free and store not full (``reorder_X``):
  ``d0 + d1 * stock / capacity + d2 * min(units still needed / capacity, 3) + d3 * [units
  still needed > stock] + d4 * recent use per hour / capacity > 0``;
* *dispatch* (every station start): the waiting job with the smallest ``order number / orders
  + k1 * share of its order already at montage + k2 * [its order's kit is complete but for
  this job]``.

**Observation** at each decision: stock per store, the units still needed per store, queue
lengths before commissioning, the laser and milling/sawing, recent use per store (units taken
in the last 12 h: a slowed sawing, laser, printer or electrical verification shows as slower
use), order progress (components at montage per order). A delivery in transit shows only as
its reorder not being offered (one delivery per supplier at a time); throughput of stations
without a store is not observed.

**Reward**: per plant, - makespan / its lower bound (``kpi.flowfactory.bounds``), so plants of
different size weigh alike; a run that stops with orders unshipped (a policy that never
reorders) scores -10 - the unshipped share; nothing else. **Update**: the cross-entropy method: each
iteration draws ``POPULATION`` parameter vectors from a Gaussian, plays each on the same
``BATCH`` random plants, and refits mean and spread to the best ``ELITE``. Training starts
from the parameters of the earliest-order rule (release all, stock first, earliest order first,
reorder while needed); what learning adds over that rule is measured in docs/results.md.

**Training inputs** (``random_plant``): 20-150 orders of a random product mix (Dirichlet),
random initial stock, and one disruption drawn from: none, a filament capacity cut, a cleaning
& drying slow-down, a milling 1 transport slow-down, a commissioning slow-down, a longer
supplier lead time, each over a random window of orders. The thesis's order list and cases are
never used in training.
"""
from __future__ import annotations

import math
import random
import time
from collections import deque

from control.flowfactory import plant as ff
from control.flowfactory.plant import MODULES, ask_modules

__all__ = ["LearnedController", "PARAMETERS", "INITIAL", "load", "train", "random_plant",
           "KIND", "POLICY"]

# ---------------------------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------------------------
POPULATION = 8           # parameter vectors per iteration
ELITE = 2                # the best ones the Gaussian is refitted to
BATCH = 3                # random plants every vector plays per iteration
ITERATIONS = 5
SIGMA = 0.5              # initial spread of every parameter
SIGMA_MIN = 0.05
VALIDATION = 6           # held-out random plants: the learned mean must beat the start there
RECENT = 12 * 3600.0     # s: the window of "recent use" of a store
KIND = "flowfactory-rl"
POLICY = "rl.json"       # shipped in nets/flowfactory/policies/

PARAMETERS = ["r0", "r1", "r2",
              "bias_available", "bias_stamp", "bias_manufacture", "q_laser", "q_mill", "s_gas",
              "s_cut",
              "d0", "d1", "d2", "d3", "d4",
              "k1", "k2"]
#: the earliest-order rule in these terms
INITIAL = {"r0": 1.0, "r1": 0.0, "r2": 0.0,
           "bias_available": 2.0, "bias_stamp": 1.0, "bias_manufacture": 0.0, "q_laser": 0.0,
           "q_mill": 0.0, "s_gas": 0.0, "s_cut": 0.0,
           "d0": -0.5, "d1": 0.0, "d2": 0.0, "d3": 1.0, "d4": 0.0,
           "k1": 0.0, "k2": 0.0}

STORES = ("cutting", "gas", "filament", "electrical_func")
NET_KIND = {"take_complete": "available", "stamp": "stamp", "manufacture": "manufacture"}
LASER_QUEUE = ("to_laser",)
MILL_QUEUE = ("to_milling", "to_sawing")
STATION_STARTS = frozenset(ff.STATIONS)


def _upstream_units(store: str, state) -> int:
    from control.flowfactory.earliest import units_needed
    return units_needed(store, state)


class LearnedController:
    """Linear scores over the plant's state at every decision point (see the module)."""

    name = "rl"
    thesis_key = None        # the thesis has no figures for this controller
    dispatch = True          # runs on load_plant(dispatch=True)
    MODULES = MODULES + ("dispatch",)

    def __init__(self, parameters: dict | None = None):
        self.p = {**INITIAL, **(parameters or {})}
        self.effort = {m: 0.0 for m in self.MODULES}
        self._orders = 0
        self._levels: dict = {}
        self._use: dict = {}

    def reset(self, state) -> None:
        self.effort = {m: 0.0 for m in self.MODULES}
        self._orders = state.count("backlog")
        self._levels = {s: state.count(s) for s in STORES}
        self._use = {s: deque() for s in STORES}

    # -- observation ---------------------------------------------------------------------------
    def _observe_use(self, state) -> None:
        """Units taken from each store since the last decision (deliveries only add)."""
        now = state.clock
        for s in STORES:
            level = state.count(s)
            taken = self._levels.get(s, level) - level
            if taken > 0:
                self._use[s].append((now, taken))
            self._levels[s] = level
            q = self._use[s]
            while q and q[0][0] < now - RECENT:
                q.popleft()

    def _recent_per_hour(self, store: str) -> float:
        return sum(n for _, n in self._use[store]) / (RECENT / 3600.0)

    # -- the contract --------------------------------------------------------------------------
    def choose(self, decision):
        state = decision.state
        self._observe_use(state)
        starts = [b for b in decision.bindings if b.transition in STATION_STARTS]
        if starts:
            t0 = time.perf_counter()
            chosen = self._dispatch(starts, state)
            self.effort["dispatch"] += time.perf_counter() - t0
            return chosen
        return ask_modules(decision, self.effort, self._deliver, self._release, self._net)

    # -- decisions -----------------------------------------------------------------------------
    def _release(self, bindings, state):
        p = self.p
        in_plant = self._orders - state.count("backlog") - state.count("shipped")
        gate = p["r0"] + p["r1"] * in_plant / 50 + p["r2"] * state.count("to_commissioning") / 50
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

        def score(b):
            kind = NET_KIND[b.transition.rsplit("_", 1)[0] if b.transition != "manufacture"
                            else "manufacture"]
            s = p["bias_" + kind]
            if kind != "available":
                s += p["q_laser"] * laser_q + p["s_gas"] * gas_short
            if kind == "manufacture":
                s += p["q_mill"] * mill_q + p["s_cut"] * cut_short
            product = b.values["p"] if b.transition == "manufacture" else "Product" + b.transition[-1]
            return (-s, product)

        return min(mine, key=score)

    def _deliver(self, bindings, state):
        p = self.p
        for b in bindings:
            store = b.transition[len("reorder_"):]
            level = state.count(store)
            cap = state.net.places[store].capacity or 30
            if level >= cap:
                continue
            needed = _upstream_units(store, state)
            gate = (p["d0"] + p["d1"] * level / cap + p["d2"] * min(needed / cap, 3.0)
                    + p["d3"] * (needed > level) + p["d4"] * self._recent_per_hour(store) / cap)
            if gate > 0:
                return b
        return None

    def _dispatch(self, bindings, state):
        p = self.p
        if p["k1"] == 0 and p["k2"] == 0:
            return min(bindings, key=lambda b: (b.values.get("o", 0), b.transition))
        at_montage = state.colours("to_montage")
        net = state.net
        n = max(self._orders, 1)

        def key(b):
            o = b.values.get("o")
            if o is None:
                return (-1.0, b.transition)
            size = sum(net.tables[f"qty_{x}"][o] for x in "ABCDEF")
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
    stock = {s: (0 if rng.random() < 0.4 else rng.randint(0, 30)) for s in ff.STORES}
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


def _play_all(args):
    parameters, plants = args
    return sum(play(parameters, pl) for pl in plants) / len(plants)


def train(iterations: int = ITERATIONS, seed: int = 0, workers: int = 2, progress=None):
    """The cross-entropy method from ``INITIAL``; returns (best parameters, history)."""
    from concurrent.futures import ProcessPoolExecutor
    rng = random.Random(seed)
    mean = dict(INITIAL)
    sigma = {k: SIGMA for k in PARAMETERS}
    history = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for it in range(iterations):
            plants = [random_plant(rng) for _ in range(BATCH)]
            pop = [dict(mean)] + [{k: mean[k] + sigma[k] * rng.gauss(0, 1) for k in PARAMETERS}
                                  for _ in range(POPULATION - 1)]
            scores = list(pool.map(_play_all, [(c, plants) for c in pop]))
            ranked = sorted(range(len(pop)), key=scores.__getitem__)
            elite = [pop[i] for i in ranked[:ELITE]]
            for k in PARAMETERS:
                vals = [e[k] for e in elite]
                mean[k] = sum(vals) / ELITE
                sigma[k] = max(SIGMA_MIN, (sum((v - mean[k]) ** 2 for v in vals) / ELITE) ** 0.5)
            history.append({"iteration": it + 1, "mean_of_current": scores[0],
                            "best": scores[ranked[0]]})
            if progress:
                progress(it + 1, history[-1])
    chosen, record = validate(mean, seed, workers)
    history.append(record)
    return chosen, history


def validate(learned: dict, seed: int, workers: int = 2) -> tuple[dict, dict]:
    """Play the learned parameters and the starting ones (the earliest-order rule) on
    ``VALIDATION`` held-out random plants; keep the learned ones only if they do better."""
    from concurrent.futures import ProcessPoolExecutor
    rng = random.Random(seed + 10_000)
    plants = [random_plant(rng) for _ in range(VALIDATION)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        mine, start = pool.map(_play_all, [(learned, plants), (dict(INITIAL), plants)])
    keep = mine < start
    return (dict(learned) if keep else dict(INITIAL)), {
        "validation": {"learned": mine, "earliest_order": start,
                       "kept": "learned" if keep else "earliest-order parameters"}}


def save(path, parameters: dict, history: list, seed: int) -> None:
    """Write a policy file (JSON or .npz, as ``control.policy``) for ``parameters``."""
    from control.policy import save_policy
    save_policy(path, {}, net=plant_net(), kind=KIND,
                meta={"parameters": {k: float(parameters[k]) for k in PARAMETERS},
                      "seed": seed, "iterations": sum(1 for h in history if "iteration" in h),
                      "population": POPULATION,
                      "batch": BATCH, "history": history})

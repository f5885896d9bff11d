"""The thesis's three Q-learning modules for the FlowFactory nets (``thesis-rl``), in one
controller.

Hyper-parameters, state features, actions and rewards of every module are here, top to
bottom; the update rule is ``control.qlearning.QTable``. Each module is a one-step decision
(as the thesis's MDPs: state, action, terminal state with a reward), so the discount does not
matter. Rewards are the thesis's, cost based (C = C_production + C_transport + C_storage,
eq. 2.17-2.20, tables 4.1-4.3).

**Prioritization** (``release``): which order enters the plant next. State: (orders in the
  plant, capped at 6; components waiting before commissioning: 0, 1-2, 3-5, 6+; gas in
  stock?; cutting parts in stock?). Actions: release the first order, among the next four of
  the list (the thesis's window), that is *ready* (every component complete in stock),
  *stampable* (every component complete or notLasered) or *other*. Reward 1/C(order).
  Every order is released (the thesis's code puts no limit on the orders in the plant).
**Net selection** (``manufacture``/``stamp_X``/``take_complete_X``): per component of the
  earliest released order. State: (complete in stock?, notLasered in stock?, gas 0/1-5/6+,
  cutting 0/1-5/6+). Actions: available, stamp, manufacture (the offered ones). Reward
  1/C(product) of the chosen net.
**Fulfil storage** (``reorder_X``): per consumable store when its supplier is free. State:
  (store, stock in sixths of capacity, jobs waiting for its station?). Actions: delivery, no
  delivery. Reward S_max for no delivery, S_max - S_status for a delivery (both / S_max).
"""
from __future__ import annotations


from control.flowfactory.plant import ask_modules
from control.qlearning import HyperParameters, QTable

__all__ = ["FlowFactoryQController", "PARAMS", "REWARDS", "MODULES", "ACTIONS"]

# ---------------------------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------------------------
#: thesis agents: discount 1, epsilon 0.9 decaying 1 %/episode; rate 1/visits (exact averages)
PARAMS = HyperParameters(learning_rate=None, discount=1.0, epsilon_start=0.9,
                         epsilon_decay=0.03, epsilon_min=0.02, seed=0)
REWARDS = ("thesis",)
MODULES = ("order release", "net selection", "fulfil storage")
WINDOW = 4                      # the thesis ranks the next four orders
ACTIONS = {
    "prioritization": ["release ready", "release stampable", "release other", "hold"],
    "net_selection": ["available", "stamp", "manufacture"],
    "fulfil_storage": ["delivery", "no delivery"],
}
PRODUCTS = [f"Product{x}" for x in "ABCDEF"]
STORE_STATION = {"cutting": ("saw", ("to_sawing",), 1), "gas": ("laser", ("to_laser",), 1),
                 "filament": ("print_base", (), 2),
                 "electrical_func": ("verify_electrical", ("to_efv",), 1)}
CAPACITY = 30                   # the stores' capacity in the net (thesis table 4.6)
BEFORE_COMMISSIONING = ("to_commissioning", "to_laser", "to_cleaning_2", "to_verification_2")


class FlowFactoryQController:
    """Three tabular Q-learning modules (prioritization, net selection, fulfil storage)."""

    name = "thesis-rl"
    thesis_key = "rl"        # compared with the thesis's RL results
    MODULES = MODULES

    def __init__(self, reward: str = "thesis", tables: dict | None = None, learn: bool = False,
                 params: HyperParameters = PARAMS):
        if reward not in REWARDS:
            raise ValueError(f"reward is one of {', '.join(REWARDS)}, not {reward!r}")
        self.reward = reward
        self.learn = learn
        self.tables = tables or {m: QTable(len(a), params, a) for m, a in ACTIONS.items()}
        self.effort = {m: 0.0 for m in MODULES}
        self._orders = 0
        self._pending: dict = {}          # module/key -> (state, action, clock, extra)

    # -- the contract --------------------------------------------------------------------------
    @property
    def deterministic(self) -> bool:
        """Greedy (not learning), its choice follows from the offer and the counts it reads."""
        return not self.learn

    def reset(self, state) -> None:
        self.effort = {m: 0.0 for m in MODULES}
        self._orders = state.count("backlog")
        self._pending = {}

    def finish(self, state) -> None:
        """A run ended: pay the decisions still waiting for their reward, count the episode."""
        if self.learn:
            for key, (s, a, clock, extra) in self._pending.items():
                table = self.tables[key[0]]
                table.update(s, a, self._delayed(key, state, clock, a, extra))
            for t in self.tables.values():
                t.end_episode()
        self._pending = {}

    def choose(self, decision):
        return ask_modules(decision, self.effort, self._fulfil_storage, self._prioritize,
                           self._select_net)

    # -- learning plumbing ------------------------------------------------------------------------
    def _decide(self, module: str, key, s, allowed: list[int], state, extra=None,
                immediate: float | None = None) -> int:
        table = self.tables[module]
        pkey = (module, key)
        if self.learn and pkey in self._pending:
            ps, pa, pclock, pextra = self._pending.pop(pkey)
            table.update(ps, pa, self._delayed(pkey, state, pclock, pa, pextra))
        a = table.act(s, allowed, explore=self.learn)
        if self.learn:
            r = immediate(a) if callable(immediate) else None
            if r is not None:
                table.update(s, a, r)
            else:
                self._pending[pkey] = (s, a, state.clock, extra)
        return a

    def _delayed(self, pkey, state, since, action, extra) -> float:
        """Rewards paid at the module's next decision (none: every thesis reward is immediate)."""
        return 0.0

    # -- features -----------------------------------------------------------------------------------
    def _in_plant(self, state) -> int:
        return self._orders - state.count("backlog") - state.count("shipped")

    @staticmethod
    def _level(n: int) -> int:
        return 0 if n == 0 else (1 if n <= 5 else 2)

    def _order_class(self, o: int, state) -> int:
        """0 ready (all complete in stock), 1 stampable (complete or notLasered), 2 other."""
        net = state.net
        cls = 0
        for x in "ABCDEF":
            k = net.tables[f"qty_{x}"][o]
            if not k:
                continue
            complete = state.count(f"Product{x}_complete")
            if complete >= k:
                continue
            if complete + state.count(f"Product{x}_notLasered") >= k:
                cls = max(cls, 1)
            else:
                return 2
        return cls

    # -- module 1: prioritization ----------------------------------------------------------------
    def _prioritize(self, bindings, state):
        in_plant = self._in_plant(state)
        window = sorted(bindings, key=lambda b: b.values["o"])[:WINDOW]
        first_of = {}
        for b in window:
            first_of.setdefault(self._order_class(b.values["o"], state), b)
        queued = sum(state.count(p) for p in BEFORE_COMMISSIONING) + state.count("demand")
        qb = 0 if queued == 0 else 1 if queued <= 2 else 2 if queued <= 5 else 3
        s = (min(in_plant, 6), qb, state.count("gas") > 0, state.count("cutting") > 0)
        a = self._decide("prioritization", None, s, sorted(first_of), state,
                         immediate=lambda a: 1.0 / _order_cost(first_of[a].values["o"], state))
        return first_of[a]

    # -- module 2: net selection ------------------------------------------------------------------
    def _select_net(self, bindings, state):
        """The earliest order's first component (in product order) is decided now."""
        components: dict = {}
        for b in bindings:
            kind = b.transition.rsplit("_", 1)[0] if b.transition != "manufacture" else "manufacture"
            options = components.setdefault((b.values["o"], _product(b)), {})
            options[{"take_complete": 0, "stamp": 1, "manufacture": 2}[kind]] = b
        (o, product), options = min(components.items())
        return self._select_component(product, options, state)

    def _select_component(self, product, options, state):
        s = (state.count(f"{product}_complete") > 0, state.count(f"{product}_notLasered") > 0,
             self._level(state.count("gas")), self._level(state.count("cutting")))

        def reward(a):
            return 1.0 / _path_cost(product, a, state)

        a = self._decide("net_selection", product, s, sorted(options), state, immediate=reward)
        return options[a]

    # -- module 3: fulfil storage --------------------------------------------------------------------
    def _fulfil_storage(self, bindings, state):
        for b in bindings:
            store = b.transition[len("reorder_"):]
            cap = state.net.places[store].capacity or CAPACITY
            level = state.count(store)
            station, queues, units = STORE_STATION.get(store, (None, (), 1))
            waiting = sum(state.count(q) for q in queues)
            if store == "filament":
                waiting = state.count("bases_needed") - state.count("base")
            s = (store, min(6, level * 6 // cap), waiting > 0)

            def reward(a, level=level, cap=cap):
                return 1.0 if a == 1 else (cap - level) / cap

            a = self._decide("fulfil_storage", store, s, [0, 1], state, immediate=reward)
            if a == 0:
                return b
        return None


# ---------------------------------------------------------------------------------------------
# Costs (thesis eq. 2.17-2.20) and processing hours of the three nets
# ---------------------------------------------------------------------------------------------
_NETS = {
    0: ["Commissioning", "Powder coating", "Oven 1"],
    1: ["Laser", "Cleaning & Drying", "Verification", "Commissioning", "Powder coating", "Oven 1"],
    2: ["Milling", "Sawing", "Cleaning & Drying", "Verification", "Laser", "Cleaning & Drying",
        "Verification", "Commissioning", "Powder coating", "Oven 1"],
}


def _product(b) -> str:
    return b.values["p"] if b.transition == "manufacture" else "Product" + b.transition[-1]


def _times(product, net_kind, state):
    f1, f2, tr = (state.net.tables[t] for t in ("face1", "face2", "transport"))
    mill = "Milling 1" if product in ("ProductA", "ProductB", "ProductC") else "Milling 2"
    stations = [mill if s == "Milling" else s for s in _NETS[net_kind]]
    prod = sum(f1[product, s] + f2[product, s] for s in stations)
    trans = sum(tr[product, s] for s in stations)
    return prod, trans


def _path_cost(product, net_kind, state) -> float:
    """C = C_production + C_transport + C_storage for one product on one net: the net's share
    of the processing and transport time of the longest net, plus the stock share it draws on."""
    prod, trans = _times(product, net_kind, state)
    full_prod, full_trans = _times(product, 2, state)
    store = {0: "complete", 1: "notLasered"}.get(net_kind)
    storage = state.count(f"{product}_{store}") / 30 if store else 0.0
    return prod / full_prod + trans / full_trans + storage + 1e-9


def _order_cost(o: int, state) -> float:
    """C(theta) = sum of C_product over the order's components, each on the cheapest net the
    stock allows (thesis eq. 4.1)."""
    total = 0.0
    for x in "ABCDEF":
        k = state.net.tables[f"qty_{x}"][o]
        if k:
            p = f"Product{x}"
            kind = 0 if state.count(f"{p}_complete") >= k else (
                1 if state.count(f"{p}_notLasered") >= k else 2)
            total += k * _path_cost(p, kind, state)
    return total


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def load(path=None, net=None) -> "FlowFactoryQController":
    """The shipped policy (or ``path``), checked against the FlowFactory net."""
    from control.flowfactory.plant import NET_DIR, load_plant
    from control.policy import load_policy
    path = path or NET_DIR / "policies" / "thesis_rl.json"
    head, tables = load_policy(path, net=net or load_plant(), kind="flowfactory-qlearning")
    return FlowFactoryQController(head["meta"].get("reward", "thesis"), tables, learn=False)


def run_episode(net, stock: dict, controller, scenario=None, seed: int = 0) -> float:
    """One case under ``controller`` (learning if it is set to); returns the makespan (s)."""
    from control.flowfactory.plant import set_case
    from petri.engine import Simulator
    set_case(net, stock)
    sim = Simulator(net, controller=controller, seed=seed, log=scenario is not None)
    if scenario is not None:
        scenario.attach(sim)
        scenario.run(sim)
    else:
        sim.run()
    if hasattr(controller, "finish"):
        controller.finish(sim.state())
    return max((t for _, t in sim.tokens("shipped")), default=0.0)


# ---------------------------------------------------------------------------------------------
# Registry factories
# ---------------------------------------------------------------------------------------------
#: (s, S) reorder points tuned on the thesis's ten cases, ideal scenario, plant timing, over s in
#: {10, 20, 25, 29} (makespan 100.04, 96.84, 95.71, 94.81 days); S is the store's capacity, as a
#: delivery fills the store
TUNED_S = {"cutting": 29, "gas": 29, "filament": 29, "electrical_func": 29}


def thesis_rl_controller(policy=None) -> FlowFactoryQController:
    """The thesis's three Q-learning modules with its cost-based rewards, greedy on a trained
    policy."""
    return load(policy)


def ss_controller(s: dict | None = None):
    """(s, S) reorder points for supplier deliveries; release and net selection traditional."""
    from control.rules import ReorderPoint, Rules
    from control.flowfactory.traditional import TraditionalController
    levels = {**TUNED_S, **(s or {})}
    ctl = Rules([ReorderPoint(f"reorder_{k}", k, v) for k, v in levels.items()],
                base=TraditionalController(), name="ss")
    ctl.MODULES = TraditionalController.MODULES
    return ctl

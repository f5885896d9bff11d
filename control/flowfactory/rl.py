"""The thesis's three Q-learning modules for the FlowFactory nets, in one controller.

Hyper-parameters, state features, actions and rewards of every module are here, top to
bottom; the update rule is ``control.qlearning.QTable``. Each module is a one-step decision
(as the thesis's MDPs: state, action, terminal state with a reward), so the discount does not
matter; rewards that need to see what happened next are paid at the module's next decision.

**Prioritization** (``release``): which order enters the plant next, and whether one does now.
  state: (orders in the plant, capped at 6; components waiting before commissioning: 0, 1-2,
  3-5, 6+; gas in stock?; cutting parts in stock?). Actions: release the first order, among
  the next four of the list (the thesis's window), that is *ready* (every component complete
  in stock), *stampable* (every component complete or notLasered) or *other*; or *hold*.
**Net selection** (``manufacture``/``stamp_X``/``take_complete_X``): per component of the
  earliest released order. State: (complete in stock?, notLasered in stock?, gas 0/1-5/6+,
  cutting 0/1-5/6+). Actions: available, stamp, manufacture (the offered ones).
**Fulfil storage** (``reorder_X``): per consumable store when its supplier is free. State:
  (store, stock in sixths of capacity, jobs waiting for its station?). Actions: delivery,
  no delivery.

Rewards, ``reward="thesis"`` (cost based, C = C_production + C_transport + C_storage, thesis
eq. 2.17-2.20 and tables 4.1-4.3): prioritization 1/C(order); net selection 1/C(product) of
the chosen net; fulfil storage S_max for no delivery, S_max - S_status for a delivery (both
divided by S_max). With this reward every order is released, in the sequence the
prioritization module picks within windows of four (the thesis's code puts no limit on the
orders in the plant).
``reward="makespan"`` (ours): prioritization picks a release plan once per case (``PLANS``:
at most 3, 4, 6, 8, 20 or 50 orders in the plant; whether a complete part is held back while a
job already waits for commissioning, so that commissioning, which takes a random waiting job,
works the orders in list order; whether a part that would be stamped waits while 8 jobs wait
for the laser, with stock kept for the earliest orders, so that the first kits, and the
printer that waits for them, start early); state: what limits the case (the consumable whose
supply sets the lower bound of ``kpi.flowfactory.bounds``, or "stations") and the third (0-2) of the
components that complete + notLasered stock can serve; a state the table never saw plays the
nearest seen one; reward, at the end of the case: minus makespan / the case's lower bound, so
that cases of one state compare; orders go in list order within the plan. Net selection pays minus the processing hours the
chosen net adds and 1 when it needs a consumable that is out. Fulfil storage: state (store,
stock in sixths of capacity, do the jobs not yet through its station need more than the
store holds?); a delivery pays 0 while they do and the store is not full, else -1; no
delivery pays minus the store's empty share while they do, else 0.
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
REWARDS = ("makespan", "thesis")
MODULES = ("order release", "net selection", "fulfil storage")
WINDOW = 4                      # the thesis ranks the next four orders
HOUR = 3600.0
#: release plans the makespan reward chooses among: (orders in the plant at most; hold a
#: complete part back while this many jobs already wait for commissioning; hold a part that
#: would be stamped while this many jobs wait for the laser, and keep stock for the earliest
#: orders; None: never)
PLANS = [(3, None, None), (4, None, None), (6, None, None), (8, 1, None), (20, 1, 8),
         (50, 1, None), (50, 1, 8)]
#: station that sets a case's lower bound -> the consumable whose supply limits it
SUPPLY_LIMITED = {"Sawing": "cutting", "Laser": "gas", "Printer": "filament",
                  "Electrical_Function_Verification": "electrical_func"}
ACTIONS = {
    "prioritization": ["release ready", "release stampable", "release other", "hold"],
    "net_selection": ["available", "stamp", "manufacture"],
    "fulfil_storage": ["delivery", "no delivery"],
}
#: the makespan reward's prioritization module picks a release plan per case
MAKESPAN_ACTIONS = {**ACTIONS, "prioritization": [
    f"wip {w}" + (f", dispatch {q}" if q else "") + (f", laser {h}" if h else "")
    for w, q, h in PLANS]}
PRODUCTS = [f"Product{x}" for x in "ABCDEF"]
STORE_STATION = {"cutting": ("saw", ("to_sawing",), 1), "gas": ("laser", ("to_laser",), 1),
                 "filament": ("print_base", (), 2),
                 "electrical_func": ("verify_electrical", ("to_efv",), 1)}
#: consumable store -> places holding jobs that have not yet been through its station
UPSTREAM = {"cutting": ("demand", "to_milling", "to_sawing"),
            "gas": ("demand", "to_milling", "to_sawing", "to_cleaning_1", "to_verification_1",
                    "to_laser"),
            "electrical_func": ("bases_needed", "to_efv")}
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
        actions = MAKESPAN_ACTIONS if reward == "makespan" else ACTIONS
        self.tables = tables or {m: QTable(len(a), params, a) for m, a in actions.items()}
        self.effort = {m: 0.0 for m in MODULES}
        self._orders = 0
        self._pending: dict = {}          # module/key -> (state, action, clock, extra)

    # -- the contract --------------------------------------------------------------------------
    def reset(self, state) -> None:
        self.effort = {m: 0.0 for m in MODULES}
        self._orders = state.count("backlog")
        self._pending = {}
        self._idle_hours, self._last_clock, self._was_idle = 0.0, 0.0, False
        self._plan = None

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
        state = decision.state
        # commissioning (the bottleneck) idle hours so far, sampled at every decision point
        if self._was_idle:
            self._idle_hours += (state.clock - self._last_clock) / HOUR
        self._last_clock, self._was_idle = state.clock, state.count("to_commissioning") == 0
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
        """Rewards paid at the module's next decision (or at the end of the run)."""
        module = pkey[0]
        if pkey == ("prioritization", "plan"):
            done = max((t for _, t in state.tokens("shipped")), default=0.0)
            return -done / extra
        if module == "prioritization":
            idle = self._idle_hours - extra
            return -idle - 0.05 * max(0, self._in_plant(state) - 4)
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
        if self.reward == "makespan":
            if self._plan is None:
                s, bound = _stock_profile(state)
                table = self.tables["prioritization"]
                if not self.learn and s not in table.q:
                    s = _nearest_seen(table, s)
                a = self._decide("prioritization", "plan", s, list(range(len(PLANS))), state,
                                 extra=bound)
                self._plan = PLANS[a]
            if self._in_plant(state) >= self._plan[0]:
                return None
            return min(bindings, key=lambda b: b.values["o"])
        in_plant = self._in_plant(state)
        window = sorted(bindings, key=lambda b: b.values["o"])[:WINDOW]
        first_of = {}
        for b in window:
            first_of.setdefault(self._order_class(b.values["o"], state), b)
        queued = sum(state.count(p) for p in BEFORE_COMMISSIONING) + state.count("demand")
        qb = 0 if queued == 0 else 1 if queued <= 2 else 2 if queued <= 5 else 3
        s = (min(in_plant, 6), qb, state.count("gas") > 0, state.count("cutting") > 0)
        allowed = sorted(first_of)
        if self.reward == "makespan":
            allowed.append(3)
            a = self._decide("prioritization", None, s, allowed, state,
                             extra=self._idle_hours)
        else:
            a = self._decide("prioritization", None, s, allowed, state,
                             immediate=lambda a: 1.0 / _order_cost(first_of[a].values["o"], state))
        return None if a == 3 else first_of[a]

    # -- module 2: net selection ------------------------------------------------------------------
    def _select_net(self, bindings, state):
        components: dict = {}
        for b in bindings:
            kind = b.transition.rsplit("_", 1)[0] if b.transition != "manufacture" else "manufacture"
            options = components.setdefault((b.values["o"], _product(b)), {})
            options[{"take_complete": 0, "stamp": 1, "manufacture": 2}[kind]] = b
        _, hold, laser_hold = self._plan if self._plan else (None, None, None)
        queued = state.count("to_commissioning")
        at_laser = state.count("to_laser")
        rank: dict = {}
        for (o, product), options in sorted(components.items()):
            if laser_hold is not None:
                # stock is kept for the earliest orders: of a product's waiting components (in
                # list order) the first take complete parts, the next notLasered ones, the rest
                # are manufactured now; a stamp waits while the laser has this many queued
                r = rank[product] = rank.get(product, -1) + 1
                complete = state.count(f"{product}_complete")
                kind = 0 if r < complete else 1 if r < complete + state.count(
                    f"{product}_notLasered") else 2
                options = {kind: options[kind]} if kind in options else options
                if kind == 1 and at_laser >= laser_hold:
                    continue
            # the plan's dispatch: a complete part waits while commissioning has work queued,
            # so that commissioning takes the parts in order (it picks at random among them)
            if hold is not None and 0 in options and queued >= hold:
                continue
            return self._select_component(product, options, state)
        return None

    def _select_component(self, product, options, state):
        s = (state.count(f"{product}_complete") > 0, state.count(f"{product}_notLasered") > 0,
             self._level(state.count("gas")), self._level(state.count("cutting")))

        def reward(a):
            if self.reward == "thesis":
                return 1.0 / _path_cost(product, a, state)
            hours = _path_hours(product, a, state)
            out = (a >= 1 and state.count("gas") == 0) or (a == 2 and state.count("cutting") == 0)
            return -hours - (1.0 if out else 0.0)

        a = self._decide("net_selection", product, s, sorted(options), state, immediate=reward)
        return options[a]

    # -- module 3: fulfil storage --------------------------------------------------------------------
    def _fulfil_storage(self, bindings, state):
        for b in bindings:
            store = b.transition[len("reorder_"):]
            cap = state.net.places[store].capacity or CAPACITY
            level = state.count(store)
            station, queues, units = STORE_STATION.get(store, (None, (), 1))
            if self.reward == "thesis":
                waiting = sum(state.count(q) for q in queues)
                if store == "filament":
                    waiting = state.count("bases_needed") - state.count("base")
                s = (store, min(6, level * 6 // cap), waiting > 0)
            else:
                needed = _units_needed(store, state)
                s = (store, min(6, level * 6 // cap), needed > level)

            def reward(a, level=level, cap=cap, s=s):
                if self.reward == "thesis":
                    return 1.0 if a == 1 else (cap - level) / cap
                # a delivery fills the store: worth its trip while jobs will need more than the
                # store holds; a full store gains nothing and blocks the supplier a lead time
                short = s[2]
                if a == 0:
                    return 0.0 if short and level < cap else -1.0
                return -(1.0 - level / cap) if short else 0.0

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


def _units_needed(store: str, state) -> int:
    """Units of ``store`` that jobs not yet through its station may still need (orders not
    released count fully: a delivery is worth its trip while any remain)."""
    if state.count("backlog"):
        return 10 ** 6
    if store == "filament":
        return 2 * max(0, state.count("bases_needed") - state.count("base")
                       - state.count("base_in_print"))
    return sum(state.count(p) for p in UPSTREAM[store])


def _stock_profile(state) -> tuple[tuple, float]:
    """The prioritization state at a case's start: what limits the case (the consumable whose
    supply sets its lower bound, or ``"stations"`` when station work does) and the thirds (0,
    1, 2) of the components that complete + notLasered stock can serve; and the case's lower
    bound (s), which scales the plan's reward."""
    from kpi.flowfactory.bounds import flowfactory_lower_bound
    net = state.net
    orders = {o: {p: net.tables[f"qty_{p[-1]}"][o] for p in PRODUCTS}
              for o in state.colours("backlog")}
    need = {p: sum(q[p] for q in orders.values()) for p in PRODUCTS}
    total = sum(need.values()) or 1
    stamp = sum(min(need[p], state.count(f"{p}_complete") + state.count(f"{p}_notLasered"))
                for p in PRODUCTS)
    stock = {p: state.count(p) for p in net.places if net.places[p].capacity is not None}
    bound = flowfactory_lower_bound(net, orders, stock)
    limit = SUPPLY_LIMITED.get(bound.station, "stations")
    return (limit, min(2, 3 * stamp // total)), max(bound.seconds, 1.0)


def _nearest_seen(table, s):
    """A state the plan table has seen, for one it has not (other order lists and stock):
    the same limit with the closest stock third, else the closest stock third."""
    seen = [k for k in table.q if isinstance(k, tuple) and len(k) == len(s)]
    if not seen:
        return s
    return min(seen, key=lambda k: (k[0] != s[0], abs(k[1] - s[1]), -int(table.visits[k].sum())))


def _product(b) -> str:
    return b.values["p"] if b.transition == "manufacture" else "Product" + b.transition[-1]


def _times(product, net_kind, state):
    f1, f2, tr = (state.net.tables[t] for t in ("face1", "face2", "transport"))
    mill = "Milling 1" if product in ("ProductA", "ProductB", "ProductC") else "Milling 2"
    stations = [mill if s == "Milling" else s for s in _NETS[net_kind]]
    prod = sum(f1[product, s] + f2[product, s] for s in stations)
    trans = sum(tr[product, s] for s in stations)
    return prod, trans


def _path_hours(product, net_kind, state) -> float:
    return sum(_times(product, net_kind, state)) / HOUR


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
#: (s, S) reorder points tuned on the thesis's ten cases, ideal scenario, over s in {10, 20, 29}
#: (makespan 139.7, 116.7, 109.0 days); S is the store's capacity, as a delivery fills the store
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

"""The ``rl`` FlowFactory controller keeps parts of its features from one decision to the next
(while the places they come from keep their versions): at every decision the kept values
equal the ones computed afresh from the marking, and a controller that forgets what it kept
before every decision runs the same."""
from __future__ import annotations

import random

import pytest

from control.flowfactory import learned
from control.flowfactory import plant as ff
from control.flowfactory.earliest import units_needed
from petri.engine import StateView


def _fresh_slowdown(pace: dict, now: float, stations) -> float:
    """The largest mean pace - 1 (at most 4) over the paces still in their 12-hour window."""
    worst = 0.0
    for station, q in pace.items():
        window = [r for t, r in q if not t < now - 12 * 3600.0]
        if window and (stations is None or station in stations):
            worst = max(worst, sum(window) / len(window) - 1.0)
    return min(4.0, worst)


def _fresh_upstream_hours(state) -> float:
    """Commissioning hours upstream of commissioning, added up from scratch in the order the
    controller adds them (place by place, colour by colour)."""
    f1, f2 = state.net.tables["face1"], state.net.tables["face2"]
    work = 0.0
    for place in learned.BEFORE_COMMISSIONING:
        for job, n in state.colours(place).items():
            work += n * (f1[job[1], "Commissioning"] + f2[job[1], "Commissioning"])
    return work / 3600.0


class Checked(learned.LearnedController):
    """Compares its kept features with fresh ones after every decision (through a view of the
    same run that notes nothing, so that the run is not changed by the checking)."""

    checked = 0

    def choose(self, decision):
        chosen = super().choose(decision)
        state = StateView(decision.state._sim)
        for store in learned.STORES:
            window = self._use[store]
            assert self._recent_per_hour(store) == sum(n for _, n in window) / 12.0
            assert self._needed(store, state) == units_needed(store, state)
            assert self._normal_capacity(state, store) == (state.net.places[store].capacity
                                                            or 30)
        assert self._upstream_hours(state) == _fresh_upstream_hours(state)
        for stations in (None, *learned.ROUTE.values()):
            assert self._slowdown(state, stations) == _fresh_slowdown(self._pace, state.clock,
                                                                      stations)
        assert self._at_montage(state) == state.colours("to_montage")
        f1, f2 = state.net.tables["face1"], state.net.tables["face2"]
        assert self._commissioning(state) == {
            p: f1[p, "Commissioning"] + f2[p, "Commissioning"] for p in ff.PRODUCTS}
        Checked.checked += 1
        return chosen


class Forgetful(learned.LearnedController):
    """Forgets everything it keeps between decisions (not what it observes) before each one."""

    def choose(self, decision):
        self._upstream, self._upstream_sum, self._backlog_hours = {}, None, None
        self._later, self._montage, self._normal, self._hours = {}, None, None, None
        self._ready, self._means, self._sizes, self._slow = {}, {}, {}, {}
        self._used = {s: sum(n for _, n in q) for s, q in self._use.items()}
        return super().choose(decision)


def _plants(seed: int, n: int):
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        orders, stock, scenario = learned.random_plant(rng)
        if len(orders) <= 40:
            params = {k: v + rng.gauss(0, 0.3) for k, v in learned.load().p.items()}
            params["r7"] = rng.choice((0.0, 1.0))     # the supply-bound term, shipped at 0
            out.append((orders, stock, scenario, params))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_kept_features_equal_fresh_ones_at_every_decision(seed):
    for orders, stock, scenario, params in _plants(seed, 2):
        Checked.checked = 0
        run = ff.run_case(learned.plant_net(orders), 0, stock, Checked(params), scenario,
                          seed=0, log=False)
        assert run.reason
        assert Checked.checked > 100


def test_forgetting_what_is_kept_changes_no_run():
    """The shipped policy and random parameters, on random plants with disruptions: the
    same event log whether the controller keeps its features or computes them every time."""
    plants = _plants(3, 2)
    plants[0] = (*plants[0][:3], learned.load().p)
    for k, (orders, stock, scenario, params) in enumerate(plants):
        net = learned.plant_net(orders)
        runs = [ff.run_case(net, 0, stock, c(params), scenario, seed=0)
                for c in (Forgetful, learned.LearnedController)]
        assert runs[1].events.equals(runs[0].events)
        assert runs[1].shipped == runs[0].shipped
        if k == 0:                  # the shipped policy finishes every order
            assert runs[0].shipped == runs[0].orders

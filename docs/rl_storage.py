"""Measure the learned controller's delivery gate under the storage disruption and its
dispatch under the malfunction, per case (the figures of docs/rl.md's "Why rl loses under
storage on the --generalise inputs" and what follows it).

    python docs/rl_storage.py [--part storage|rush|wait|malfunction ...] [--seed N ...]

Plays the shipped ``rl`` policy and variants of it on the thesis's inputs and on the inputs of
``petri experiment --generalise 1, 2, 3`` (same order lists and disruption windows), every
initial-stock case, plant timing, engine seed 0, against the best rule controller of each
case (``ss`` or ``earliest-order``):

* ``storage``: the storage scenario; the shipped gate (asked only below the store's capacity
  now in force) against the same parameters asked below the net's capacity, as the
  earliest-order rule is (so under the filament cut a full store is topped up every day);
* ``rush``: the storage scenario; the net's-capacity variant that also, while a capacity cut
  is in force, serves first at every station the orders released since the cut appeared (an
  order window opens with the release of its first order);
* ``wait``: case 10 under storage: the gate asked at the capacity in force once the filament
  store has been full for W hours (at the first decision point after; before that, only once
  the printer has taken from it, as shipped): W = 0 is the net's-capacity variant, a long W
  the shipped gate;
* ``malfunction``: the malfunction scenario; the shipped policy against the same parameters
  with the learned dispatch terms (``k1``, ``k2``) at 0, i.e. earliest order first, and
  against the earliest-order parameters (``learned.INITIAL``) on the same net.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from control.flowfactory import learned, plant as ff          # noqa: E402
from control.flowfactory.scenarios import load_scenario       # noqa: E402
from control.registry import create                           # noqa: E402

SCENARIO_DIR = ff.NET_DIR / "scenarios"
WAITS = (0, 2, 4, 6, 8, 10, 12, 16, 24)


class AskedBelowNet(learned.LearnedController):
    """The shipped gate, asked below the net's capacity (as the earliest-order rule)."""

    def _asked(self, store, level, cap, state):
        return level < self._normal_capacity(state, store)


class AskedAfterWaiting(learned.LearnedController):
    """The shipped gate, asked at the filament store's capacity in force once the store has
    been full for ``wait`` hours."""

    deterministic = False       # asked at every decision point: the wait is read off the clock

    def __init__(self, parameters, wait: float):
        super().__init__(parameters)
        self.wait = wait * 3600.0
        self._full_since = None

    def reset(self, state):
        super().reset(state)
        self._full_since = None

    def _asked(self, store, level, cap, state):
        if store != "filament" or level >= self._normal_capacity(state, store):
            return level < cap
        if level < cap:
            self._full_since = None
            return True
        if self._full_since is None:
            self._full_since = state.clock
        if state.clock >= self._full_since + self.wait:
            self._full_since = None
            return True
        return False


class CutOrdersFirst(AskedBelowNet):
    """Asked below the net's capacity, and while a capacity cut is in force every station
    serves first the orders released since the cut appeared (the order whose release it came
    with and later ones), earliest first among them."""

    def reset(self, state):
        super().reset(state)
        self._first = None

    def choose(self, decision):
        state = decision.state
        if self._cut(state) > 0:
            if self._first is None:     # the cut came with the order released last
                self._first = self._orders - state.count("backlog")
        else:
            self._first = None
        return super().choose(decision)

    def _dispatch(self, bindings, state):
        if self._first is None or len(bindings) == 1:
            return super()._dispatch(bindings, state)
        return min(bindings, key=lambda b: (b.values.get("o", 0) < self._first,
                                            b.values.get("o", 0), b.transition))


def inputs(seed, folder: Path):
    """(orders or None, scenario folder) of the thesis's inputs (seed None) or --generalise."""
    if seed is None:
        return None, SCENARIO_DIR
    from control.flowfactory.generate import generate_orders, generate_scenarios
    names = [str(SCENARIO_DIR / f"{s}.toml") for s in ("storage", "malfunction")]
    out = folder / f"generalise{seed}"
    generate_scenarios(seed, out, names=names, force=True)
    return generate_orders(seed), out


def days(controller, orders, scenario_file, case, stock) -> float:
    net = ff.compiled_plant(orders, dispatch=getattr(controller, "dispatch", False))
    run = ff.run_case(net, case, stock, controller, load_scenario(scenario_file), seed=0,
                      log=False)
    if run.shipped < run.orders:
        raise RuntimeError(f"case {case}: {run.shipped} of {run.orders} orders shipped")
    return run.makespan / 86400.0


def best_rule(orders, scenario_file, case, stock) -> float:
    return min(days(create(name), orders, scenario_file, case, stock)
               for name in ("ss", "earliest-order"))


def name_of(seed) -> str:
    return "thesis inputs" if seed is None else f"generalise {seed}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["storage", "rush", "wait", "malfunction"], action="append",
                    help="what to measure (repeatable; default: all)")
    ap.add_argument("--seed", type=int, action="append",
                    help="a --generalise seed (repeatable; default: the thesis's inputs, 1, 2, 3)")
    args = ap.parse_args(argv)
    parts = args.part or ["storage", "rush", "wait", "malfunction"]
    seeds = [None, *args.seed] if args.seed else [None, 1, 2, 3]
    shipped = learned.load().p
    cases = ff.read_cases(ff.DATA / "initial_stock.csv")
    variants = [("storage", "storage", lambda: AskedBelowNet(shipped),
                 "asked below the net's capacity"),
                ("rush", "storage", lambda: CutOrdersFirst(shipped),
                 "asked below the net's capacity, the cut's orders first"),
                ("malfunction", "malfunction",
                 lambda: learned.LearnedController(dict(shipped, k1=0.0, k2=0.0)), "k1 = k2 = 0"),
                ("malfunction", "malfunction", lambda: learned.LearnedController(learned.INITIAL),
                 "earliest-order parameters")]
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            orders, folder = inputs(seed, Path(tmp))
            known = {}          # (scenario, case) -> (best rule, shipped) in days
            for part, scenario, variant, label in variants:
                if part not in parts:
                    continue
                file = str(folder / f"{scenario}.toml")
                rows = []
                for case, stock in cases.items():
                    if (scenario, case) not in known:
                        known[scenario, case] = (
                            best_rule(orders, file, case, stock),
                            days(learned.LearnedController(shipped), orders, file, case, stock))
                    rows.append((case, *known[scenario, case],
                                 days(variant(), orders, file, case, stock)))
                rule, ship, var = (sum(r[i] for r in rows) for i in (1, 2, 3))
                print(f"{name_of(seed)}, {scenario}: best rule per case {rule:.3f} d; shipped "
                      f"{ship:.3f} d ({(ship / rule - 1) * 100:+.3f} %); {label} {var:.3f} d "
                      f"({(var / rule - 1) * 100:+.3f} %)")
                for case, r, s, v in rows:
                    if abs(s - r) >= 0.001 or abs(v - r) >= 0.001:
                        print(f"  case {case:2d}: rule {r:.3f}  shipped {s - r:+.3f}  "
                              f"{label} {v - r:+.3f} d")
                sys.stdout.flush()
            if "wait" in parts:
                storage = str(folder / "storage.toml")
                stock = cases[10]
                rule = best_rule(orders, storage, 10, stock)
                got = [days(AskedAfterWaiting(shipped, w), orders, storage, 10, stock)
                       for w in WAITS]
                print(f"{name_of(seed)}, storage, case 10 (best rule {rule:.3f} d), gate asked "
                      f"after the store was full for W h: "
                      + ", ".join(f"W={w}: {d:.3f}" for w, d in zip(WAITS, got)))
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

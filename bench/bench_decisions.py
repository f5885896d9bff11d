"""Controlled runs and Gymnasium steps: what decisions cost, side by side with an earlier version.

Measures, in CPU time of one process (pin it: ``taskset -c 1``):

* **cases**: the FlowFactory experiment's cases as ``petri experiment`` runs them
  (``control.flowfactory.experiment.run_one``: plant, lower bound, the controlled run, KPI
  tables), ideal scenario, every FlowFactory controller, cases 1-10: CPU seconds per case;
* **decisions**: the controlled runs alone, under ``cProfile``: the share of the run's time
  spent choosing (listing the decision's bindings and the controller's ``choose``;
  uncontrolled choices by binding order excluded), split by the profile's call edges into the
  engine's part (settling, the offer and its Binding objects, the state view's reads, the
  bookkeeping of a wait) and the controllers' own code; and the same share measured with
  CPU-time timers instead of the profiler, split at the controllers' ``choose`` and by what
  each ask ended in (a binding taken, a wait); printed besides (not in the section): the asks
  per controller and what a share of 20 % would allow per ask;
* **reasons** (``--parts reasons``, not in the section): why a controller that waited was
  asked again, counted per controller (deterministic);
* **env**: ``control.env.PetriNetEnv`` steps per second with a random policy over the
  offered actions (``action_masks`` + ``step``; resets counted in), on the FlowFactory plant
  (50 orders, case 1's stock) and on a 20-job x 10-machine job shop as a net;
* **split** (``--parts split``, not in the section): where a step's time goes, in the engine
  (of it: settling controllable transitions, choosing by binding order) and outside it;
* **counts** (``--counts``, not in the section): what the engine does per step, counted
  (deterministic): full listings of a transition's bindings, listings of a place's newly
  ready colours, ``_lacks``, ``keeps``, marked transitions settled, clock moves.

``--baseline REV`` also measures the git revision ``REV`` of this repository (extracted to a
temporary folder), alternating with the working tree repeat by repeat, and prints ratios.

    taskset -c 1 python bench/bench_decisions.py --repeats 5 --baseline main

Section ``decisions`` of ``python -m bench``: the same, against ``BASELINE`` (the version
before the latest changes to environment steps, see docs/performance.md).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTROLLERS = ["traditional", "ss", "earliest-order", "thesis-rl", "rl"]
#: the version before the Ctrl-C handler kept installed between engine runs, the observation
#: written place by place and the other trims of an environment step (docs/performance.md)
BASELINE = "d717c3c"


def measure_cases(cases: list[int]) -> float:
    """CPU seconds per case of the experiment's case runner."""
    from control.flowfactory import experiment as ex
    from control.flowfactory import plant as ff
    from control.flowfactory.scenarios import resolve_scenario
    stock = ff.read_cases(ff.DATA / "initial_stock.csv")
    scenario = str(resolve_scenario("ideal"))
    start = time.process_time()
    n = 0
    for ctrl in CONTROLLERS:
        for case in cases:
            ex.run_one(scenario, ctrl, case, stock[case], None, 0)
            n += 1
    return (time.process_time() - start) / n


def _flowfactory_runs(cases: list[int]):
    """The five controllers with their compiled plants, and a function that plays cases
    ``cases`` of each (ideal scenario)."""
    from control import registry
    from control.flowfactory import plant as ff
    from petri.engine import Simulator, compile_net
    stock = ff.read_cases(ff.DATA / "initial_stock.csv")
    runs = []
    for name in CONTROLLERS:
        ctrl = registry.create(name)
        runs.append((ctrl, compile_net(ff.load_plant(None, dispatch=getattr(ctrl, "dispatch", False)))))

    def play():
        for ctrl, compiled in runs:
            for case in cases:
                ff.set_case(compiled.net, stock[case])
                Simulator(compiled, controller=ctrl, seed=0).run()
    return [ctrl for ctrl, _ in runs], play


def measure_decisions(cases: list[int]) -> dict:
    """Share of the controlled runs' time spent on decisions, under cProfile."""
    _, play = _flowfactory_runs(cases)
    return profiled_share(play)


def measure_decisions_timed(cases: list[int]) -> dict:
    """The same share without the profiler (see ``timed_share``)."""
    controllers, play = _flowfactory_runs(cases)
    return timed_share(controllers, play)


def profiled_share(play) -> dict:
    """Under ``cProfile``, of ``play()``'s controlled runs (``Simulator.run``): the share spent
    choosing (the engine's ``_decide`` less its choices by binding order, ``_smallest`` and
    ``_oldest``), and its split read off the profile's call edges: the controllers' own code
    (the calls out of ``_decide`` into code outside the engine's package, that is their
    ``choose``, less what that code called back in the engine's services: the state view's
    reads, the decision's bindings) and the engine's (the rest)."""
    import cProfile
    import pstats

    from petri import engine
    profile = cProfile.Profile()
    profile.enable()
    play()
    profile.disable()
    stats = pstats.Stats(profile).stats
    engine_file = engine.__file__
    # the engine package's modules, told by their folder (a checkout in a folder named
    # ``petri`` must not count the controllers in)
    package = os.path.dirname(engine_file) + os.sep
    cum = {}
    for (file, _, func), (_, _, _, ct, _) in stats.items():
        if file == engine_file:
            cum[func] = cum.get(func, 0.0) + ct
    run = cum["run"]
    choosing = cum.get("_decide", cum.get("_choose", 0.0)) - cum.get("_smallest", 0.0) \
        - cum.get("_oldest", 0.0)
    out = {"share": choosing / run, "run_seconds_profiled": run}
    decide = next((k for k in stats if k[2] == "_decide" and k[0] == engine_file), None)
    if decide is None:
        return out

    def from_decide(*names):    # time in the engine's ``names`` when ``_decide`` called them
        return sum(callers[decide][3] for key, (_, _, _, _, callers) in stats.items()
                   if key[0] == engine_file and key[2] in names and decide in callers) / run

    def outside(file):
        return file != "~" and not file.startswith(package)

    served = _engine_services()
    # what the controllers called back in the engine, per service
    back = {key[1:]: sum(edge[3] for caller, edge in callers.items() if outside(caller[0]))
            for key, (_, _, _, _, callers) in stats.items() if key in served}
    out_of = sum(callers[decide][3] for key, (_, _, _, _, callers) in stats.items()
                 if outside(key[0]) and decide in callers)
    own = out_of - sum(back.values())
    out["share_controllers"] = own / run
    out["share_engine"] = (choosing - own) / run
    # where the engine's part goes (printed by ``--parts decisions``, not in the section)
    out["where_settling"] = from_decide("_settle")
    out["where_waits"] = from_decide("_still_waiting", "_note_wait")
    out["where_services"] = sum(back.values()) / run
    out["where_offer"] = sum(v for (_, name), v in back.items() if name in ("bindings", "offer")) / run
    out["where_count"] = sum(v for (_, name), v in back.items() if name == "count") / run
    out["where_decide_own"] = stats[decide][2] / run
    return out


def measure_reasons(cases: list[int]) -> dict:
    """``wait_reasons`` of the five FlowFactory controllers on ``cases`` (ideal scenario)."""
    controllers, play = _flowfactory_runs(cases)
    return wait_reasons(controllers, play)


def wait_reasons(controllers: list, play) -> dict:
    """Why a controller that waited (``deterministic``) was asked again, counted per
    controller (its ``name``) over ``play()``: the clock passed what it read of it
    (``valid_until``), its offer changed, a place it read changed, a comparison it read
    (``at_least``) gives another answer, the firings it read moved
    (several at once are counted together, e.g. ``clock+offer``). Counted by wrapping the
    engine's ``_still_waiting``; deterministic."""
    from petri import engine
    real = engine.Simulator._still_waiting
    counts: dict = {}
    current = [None]

    def still_waiting(self, s):
        if len(self._waited) < 6:       # an engine that keeps a wait otherwise: not told
            holds = real(self, s)
            if not holds:
                mine = counts.setdefault(current[0], {})
                mine["unknown"] = mine.get("unknown", 0) + 1
            return holds
        listed, _, versions_of, versions, *compared, clock, firings = self._waited
        compared = compared[0] if compared else None    # (an earlier engine has none)
        holds = real(self, s)
        if not holds:
            why = []
            if clock is not None and clock[0] != self.clock and (clock[1] is None or
                                                                 self.clock >= clock[1]):
                why.append("clock")
            if len(listed) != len(s.items) or any(u not in s.pos or self._bindings(u) != bs
                                                  for u, bs in listed):
                why.append("offer")
            kept = self.kept_counts()       # the versions and counts of now
            if versions is not None and versions_of(self._versions) != versions:
                why.append("places")
            if compared is not None and any((kept[i] >= n) is not answer
                                            for i, n, answer in compared[1]):
                why.append("comparisons")
            if firings is not None and firings != self.firings:
                why.append("firings")
            mine = counts.setdefault(current[0], {})
            key = "+".join(why) or "other"
            mine[key] = mine.get(key, 0) + 1
        return holds

    def noting(real_choose, name):     # a wait is the last asked controller's
        def choose(decision):
            current[0] = name
            return real_choose(decision)
        return choose

    engine.Simulator._still_waiting = still_waiting
    try:
        with _choose_wrapped(controllers, noting):
            play()
    finally:
        engine.Simulator._still_waiting = real
    return counts


@contextlib.contextmanager
def _choose_wrapped(controllers: list, wrap):
    """Each controller's ``choose`` replaced by ``wrap(its choose, its name)`` on the instance
    (the engine calls ``controller.choose``), and put back afterwards."""
    own = [(ctrl, vars(ctrl).get("choose")) for ctrl in controllers]
    for ctrl in controllers:
        ctrl.choose = wrap(ctrl.choose, getattr(ctrl, "name", type(ctrl).__name__))
    try:
        yield
    finally:
        for ctrl, choose in own:
            if choose is None:
                del ctrl.choose
            else:
                ctrl.choose = choose


def _engine_services() -> set:
    """Profile keys (file, first line, name) of what the engine serves a controller at a
    decision: the state view's reads and the decision's bindings (``Decision``, the offer)."""
    import inspect
    from petri import engine
    keys = set()
    for cls in (engine.StateView, engine.Decision):
        for member in vars(cls).values():
            fn = member.fget if isinstance(member, property) else member
            code = getattr(fn, "__code__", None)
            if code is not None:
                keys.add((code.co_filename, code.co_firstlineno, code.co_name))
    offer = getattr(engine.Simulator, "_offer", None)
    if offer is not None:       # the closure that builds the Binding objects
        for const in offer.__code__.co_consts:
            if inspect.iscode(const) and const.co_name == "offer":
                keys.add((const.co_filename, const.co_firstlineno, const.co_name))
    return keys


def timed_share(controllers: list, play) -> dict:
    """The same share without the profiler (which inflates every Python call, and so the
    controllers' many small calls): CPU-time timers (``time.process_time``) around the
    engine's ``_decide`` (outermost call only) and, inside it, ``_smallest`` and ``_oldest``,
    around each controller's ``choose`` (their reads through the state view fall in it), and
    around the whole of ``play()``. A timer costs about 0.3 us, part of it inside what it
    times. The controllers' time is also split by what an ask ended in: a binding taken (a
    decision the run needs: every controllable firing is one) or a wait, with the number of
    each."""
    from petri import engine
    clock = time.process_time
    acc = {"decide": 0.0, "excluded": 0.0, "choose": 0.0, "took": 0.0, "waited": 0.0}
    asks = {"took": 0, "waited": 0}
    by_controller = {}      # controller's name -> [asks that took a binding, asks that waited]
    depth = [0]
    saved = {name: getattr(engine.Simulator, name) for name in ("_decide", "_smallest", "_oldest")}

    def decide(self):
        if depth[0]:
            return saved["_decide"](self)
        depth[0] = 1
        t = clock()
        try:
            return saved["_decide"](self)
        finally:
            acc["decide"] += clock() - t
            depth[0] = 0

    def excluded(name):
        real = saved[name]

        def wrapper(self, *a):
            t = clock()
            try:
                return real(self, *a)
            finally:
                acc["excluded"] += clock() - t
        return wrapper

    def timed_choose(real, name):
        mine = by_controller.setdefault(name, [0, 0])

        def choose(decision):
            t = clock()
            chosen = None
            try:
                chosen = real(decision)
                return chosen
            finally:
                spent = clock() - t
                acc["choose"] += spent
                ended = "waited" if chosen is None else "took"
                acc[ended] += spent
                asks[ended] += 1
                mine[ended == "waited"] += 1
        return choose

    engine.Simulator._decide = decide
    engine.Simulator._smallest = excluded("_smallest")
    engine.Simulator._oldest = excluded("_oldest")
    try:
        with _choose_wrapped(controllers, timed_choose):
            start = clock()
            play()
            total = clock() - start
    finally:
        for name, real in saved.items():
            setattr(engine.Simulator, name, real)
    return {"share_timed": (acc["decide"] - acc["excluded"]) / total, "run_seconds_timed": total,
            "share_choose_timed": acc["choose"] / total,
            "share_outside_choose_timed": (acc["decide"] - acc["excluded"] - acc["choose"]) / total,
            "share_choose_took_timed": acc["took"] / total,
            "share_choose_waited_timed": acc["waited"] / total,
            "asks_took": asks["took"], "asks_waited": asks["waited"],
            "asks_by_controller": by_controller}


def flowfactory_env():
    from control.env import PetriNetEnv
    from control.flowfactory import plant as ff
    net = ff.load_plant()
    ff.set_case(net, ff.read_cases(ff.DATA / "initial_stock.csv")[1])
    return PetriNetEnv(net, values={"o": range(1, 51)}, time_scale=3600.0)


def jobshop_env():
    import random
    from control.env import PetriNetEnv
    from control.scheduling.generate import random_jobshop
    from petri.jobshop import instance_net
    inst = random_jobshop(20, 10, random.Random(0))
    return PetriNetEnv(instance_net(inst), values={"k": range(10)})


def measure_env(make, steps: int) -> dict:
    """Steps per CPU second of a random policy over the offered actions (wait only when
    nothing else is offered)."""
    import numpy as np
    env = make()
    rng = np.random.default_rng(0)
    episodes, done, firings = 0, True, 0
    start = time.process_time()
    for _ in range(steps):
        if done:
            if episodes:
                firings += env.sim.firings
            env.reset(seed=episodes)
            episodes += 1
        mask = env.action_masks()
        offered = mask[:-1].nonzero()[0]   # np.flatnonzero without its ravel
        action = int(offered[rng.integers(len(offered))]) if len(offered) else len(mask) - 1
        _, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
    cpu = time.process_time() - start
    return {"steps_per_second": steps / cpu, "episodes": episodes,
            "firings": firings + env.sim.firings}


def measure_split(make, steps: int) -> dict:
    """Where a step's CPU time goes (microseconds per step): in the engine (``Simulator.run``,
    or ``_to_decision`` where the environment calls it),
    of it settling controllable transitions and choosing by binding order, and outside the
    engine (the environment and this benchmark's random policy); timers around those calls."""
    from petri import engine
    acc = {"engine": 0.0, "settling": 0.0, "binding_order": 0.0}
    clock = time.process_time
    saved = {}

    def timed(name, key):
        real = saved[name] = getattr(engine.Simulator, name)

        def wrapper(self, *a, **k):
            t = clock()
            try:
                return real(self, *a, **k)
            finally:
                acc[key] += clock() - t
        setattr(engine.Simulator, name, wrapper)

    timed("run", "engine")
    if hasattr(engine.Simulator, "_to_decision"):     # how the environment runs the engine now
        timed("_to_decision", "engine")
    timed("_settle", "settling")
    timed("_smallest", "binding_order")
    try:
        r = measure_env(make, steps)
    finally:
        for name, real in saved.items():
            setattr(engine.Simulator, name, real)
    out = {k: v / steps * 1e6 for k, v in acc.items()}
    out["step"] = 1e6 / r["steps_per_second"]
    out["outside"] = out["step"] - out["engine"]
    out["firings_per_step"] = r["firings"] / steps
    return out


COUNTS = [("full_listings", "full listings"),
          ("fresh_listings", "listings of newly ready colours"),
          ("fresh_colours", "  their colours, all together"),
          ("lacks", "_lacks"),
          ("keeps", "keeps"),
          ("settled", "marked transitions settled"),
          ("advances", "clock moves (advance)"),
          ("decides", "_decide calls")]


def measure_counts(make, steps: int) -> dict:
    """What the engine does per step of ``measure_env`` (same policy, same seeds), counted by
    wrapping its functions: full listings of a transition's bindings (``_bindings`` with no
    kept list, or ``listing`` called from the run loop), listings of a place's newly ready
    colours (``_bindings`` given a place, and their colours), ``_lacks``, the generated
    ``keeps``, the marked transitions settled (``_dirty`` when ``_settle`` starts), clock moves
    and ``_decide`` calls. Deterministic: the same on every machine."""
    from petri import engine
    n = dict.fromkeys((k for k, _ in COUNTS), 0)
    saved = {}

    def wrap(owner, name, count):
        real = saved[(owner, name)] = getattr(owner, name)

        def wrapper(self, *a, **k):
            count(self, *a, **k)
            return real(self, *a, **k)
        setattr(owner, name, wrapper)

    def bindings(self, u, p=-1, colours=None):
        if p >= 0:
            n["fresh_listings"] += 1
            n["fresh_colours"] += len(colours)
        elif self._listed is None or self._listed[u] is None:
            n["full_listings"] += 1

    def add(key):
        def count(*_, **__):
            n[key] += 1
        return count

    def settle(self):
        n["settled"] += len(self._dirty)

    wrap(engine.Simulator, "_bindings", bindings)
    wrap(engine.Simulator, "_lacks", add("lacks"))
    wrap(engine.Simulator, "_settle", settle)
    wrap(engine.Simulator, "advance", add("advances"))
    wrap(engine.Simulator, "_decide", add("decides"))
    try:
        env = make()        # a net compiled once: its transitions' keeps counted
        for t in env._compiled.transitions:
            if getattr(t, "keeps", None) is not None:
                def keeps(m, now, bs, real=t.keeps):
                    n["keeps"] += 1
                    return real(m, now, bs)
                t.keeps = keeps
        measure_env(lambda: env, steps)
    finally:
        for (owner, name), real in saved.items():
            setattr(owner, name, real)
    return {k: v / steps for k, v in n.items()}


def child(args) -> None:
    cases = list(range(1, args.cases + 1))
    out = {}
    if "cases" in args.parts:
        out["case_seconds"] = measure_cases(cases)
    if "decisions" in args.parts:
        out.update(measure_decisions(cases))
        out.update(measure_decisions_timed(cases))
    if "reasons" in args.parts:
        out["wait_reasons"] = measure_reasons(cases)
    if "env" in args.parts:
        out["env_flowfactory"] = measure_env(flowfactory_env, args.steps)["steps_per_second"]
        out["env_jobshop"] = measure_env(jobshop_env, args.steps)["steps_per_second"]
    if "counts" in args.parts:
        out["counts_flowfactory"] = measure_counts(flowfactory_env, args.steps)
        out["counts_jobshop"] = measure_counts(jobshop_env, args.steps)
    if "split" in args.parts:
        out["split_flowfactory"] = measure_split(flowfactory_env, args.steps)
        out["split_jobshop"] = measure_split(jobshop_env, args.steps)
    print(json.dumps(out))


def run_child(tree: Path, args) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--cases", str(args.cases),
           "--steps", str(args.steps), "--parts", *args.parts]
    r = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"measuring {tree} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def side_by_side(args) -> dict:
    """Revision -> list of measurements, the baseline (if any) and this tree alternating."""
    trees = {"this": ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            trees = {args.baseline: Path(tmp), "this": ROOT}
        results = {k: [] for k in trees}
        for _ in range(args.repeats):
            for k, tree in trees.items():
                results[k].append(run_child(tree, args))
    return results


def decisions_section(quick: bool):
    """Section ``decisions`` of ``python -m bench``: this version against ``BASELINE``."""
    from bench.harness import Result
    args = argparse.Namespace(repeats=1 if quick else 3, cases=1 if quick else 10,
                              steps=300 if quick else 20000, parts=["cases", "decisions"],
                              baseline=None if quick else BASELINE)
    results = side_by_side(args)
    # environment steps are cheap to measure and the host's speed varies from one process to
    # the next: more repeats of their own
    env_args = argparse.Namespace(**{**vars(args), "parts": ["env"],
                                     "repeats": 1 if quick else ENV_REPEATS})
    for k, rs in side_by_side(env_args).items():
        results[k] = [{**(results[k][i] if i < len(results[k]) else {}), **r}
                      for i, r in enumerate(rs)]
    med = {k: {key: statistics.median(r[key] for r in rs if key in r) for key, _, _ in FIGURES}
           for k, rs in results.items()}
    before = med.get(args.baseline)
    rows = ["| what | before | after | after/before |", "|---|---:|---:|---:|"]
    for key, label, _ in FIGURES:
        a = med["this"][key]
        fmt = (lambda v: f"{v:.3f}") if key.startswith(("case_seconds", "share")) else (lambda v: f"{v:,.0f}")
        b = before[key] if before else None
        rows.append(f"| {label} | {fmt(b) if b is not None else '-'} | {fmt(a)} | "
                    f"{f'{a / b:.2f}x' if b else '-'} |")
    text = "\n".join(rows) + "\n"
    if before:
        text += (f"\nBefore: revision `{args.baseline}`; after: this version; each measured in its "
                 f"own process, alternating, {args.repeats} times (environment steps "
                 f"{env_args.repeats} times).\n")
    return Result(markdown=text, figures=results,
                  method=f"CPU time (time.process_time) in a child process per version and repeat, "
                         f"median of {args.repeats}: experiment cases 1-{args.cases} x 5 controllers; "
                         f"the choosing share under cProfile and with CPU-time timers around the "
                         f"engine's decision code; median of {env_args.repeats}: "
                         f"{args.steps:,} environment steps per net")


ENV_REPEATS = 11

SECTIONS = {"decisions": decisions_section}


FIGURES = [("case_seconds", "CPU s per experiment case", "lower"),
           ("share", "share of a controlled run spent choosing (cProfile)", "lower"),
           ("share_engine", "  of it the engine's: settling, the offer, the state view's reads, "
            "a wait's bookkeeping (cProfile)", "lower"),
           ("share_controllers", "  of it the controllers' own code (cProfile)", "lower"),
           ("share_timed", "share of a controlled run spent choosing (timers, no profiler)",
            "lower"),
           ("share_outside_choose_timed", "  of it the engine's outside the controllers' `choose` "
            "(timers)", "lower"),
           ("share_choose_timed", "  of it in the controllers' `choose`, their reads through the "
            "state view included (timers)", "lower"),
           ("share_choose_took_timed", "    of it at asks that took a binding (timers)", "lower"),
           ("share_choose_waited_timed", "    of it at asks that waited (timers)", "lower"),
           ("env_flowfactory", "env steps/s, FlowFactory plant", "higher"),
           ("env_jobshop", "env steps/s, 20x10 job shop", "higher")]


WHERE = [("where_settling", "settling the controllable transitions (called by _decide)"),
         ("where_waits", "watching and noting waits"),
         ("where_services", "what the controllers read through the state view and the decision"),
         ("where_offer", "  of it the decision's bindings (Binding objects)"),
         ("where_count", "  of it the state view's count"),
         ("where_decide_own", "_decide's own lines")]


ASKS = ("asks_took", "asks_waited", "run_seconds_timed", "share_timed",
        "share_choose_took_timed", "share_choose_waited_timed")


def asks_budget(m: dict) -> dict:
    """From the timed figures ``m`` (``ASKS``): CPU us per ask in the controllers' ``choose``,
    by what it ended in; CPU us of choosing per ask now (the engine's part included); and what
    a choosing share of 20 % would allow per ask, the rest of the run as it is (choosing at most
    a quarter of the rest), over every ask and over the asks that took a binding alone."""
    run, asks = m["run_seconds_timed"], m["asks_took"] + m["asks_waited"]
    rest = run * (1.0 - m["share_timed"])
    return {"us_took": m["share_choose_took_timed"] * run / max(m["asks_took"], 1) * 1e6,
            "us_waited": m["share_choose_waited_timed"] * run / max(m["asks_waited"], 1) * 1e6,
            "us_choosing": m["share_timed"] * run / max(asks, 1) * 1e6,
            "us_allowed": 0.25 * rest / max(asks, 1) * 1e6,
            "us_allowed_took": 0.25 * rest / max(m["asks_took"], 1) * 1e6}


def asks_line(m: dict) -> str:
    b = asks_budget(m)
    return (f"{m['asks_took']:,.0f} asks took a binding ({b['us_took']:.1f} us each in choose), "
            f"{m['asks_waited']:,.0f} waited ({b['us_waited']:.1f} us each); choosing "
            f"{b['us_choosing']:.1f} us per ask in all; a 20 % share allows {b['us_allowed']:.1f} "
            f"us per ask ({b['us_allowed_took']:.1f} us if only the asks that took a binding "
            f"were left)")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--cases", type=int, default=10, help="cases 1..N of each controller (default 10)")
    p.add_argument("--steps", type=int, default=20000, help="env steps per measurement")
    p.add_argument("--parts", nargs="+", default=["cases", "decisions", "env"],
                   choices=["cases", "decisions", "reasons", "env", "split", "counts"],
                   help="split: where an environment step's time goes (not in the section)")
    p.add_argument("--counts", action="store_true",
                   help="instead: what the engine does per step, counted (deterministic)")
    p.add_argument("--baseline", metavar="REV", help="also measure this git revision")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args)
        return 0
    if args.counts:
        args.parts, args.repeats = ["counts"], 1
    results = side_by_side(args)
    print(f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}; " +
          ("counts, deterministic" if args.counts else f"medians of {args.repeats} repeats, CPU time"))
    for net in ("flowfactory", "jobshop"):
        key = f"split_{net}"
        if key not in results["this"][0]:
            continue
        print(f"us per env step, {net}:")
        for part in ("firings_per_step", "step", "engine", "settling", "binding_order", "outside"):
            med = {k: statistics.median(r[key][part] for r in rs) for k, rs in results.items()}
            print(f"  {part}: " + "  ".join(f"{k}: {v:,.1f}" for k, v in med.items()))
    for net in ("flowfactory", "jobshop"):
        key = f"counts_{net}"
        if key not in results["this"][0]:
            continue
        print(f"per env step, {net} ({args.steps:,} steps):")
        for part, label in COUNTS:
            line = "  ".join(f"{k}: {rs[0][key][part]:.2f}" for k, rs in results.items())
            print(f"  {label}: {line}")
    for key, label, better in FIGURES:
        if key not in results["this"][0]:
            continue
        if any(key not in r for rs in results.values() for r in rs):
            continue        # a version that does not measure it
        med = {k: statistics.median(r[key] for r in rs) for k, rs in results.items()}
        line = "  ".join(f"{k}: {v:,.3f}" if key.startswith(("case_seconds", "share")) else f"{k}: {v:,.0f}"
                         for k, v in med.items())
        if args.baseline:
            ratio = med["this"] / med[args.baseline]
            line += f"  (this / {args.baseline}: {ratio:.2f}x)"
        print(f"{label}: {line}")
    if "asks_took" in results["this"][0]:
        print("asks (timers; CPU us per ask are medians of the repeats):")
        for k, rs in results.items():
            if not all("asks_took" in r for r in rs):
                continue
            print(f"  {k}: " + asks_line({key: statistics.median(r[key] for r in rs)
                                          for key in ASKS}))
            by = rs[0].get("asks_by_controller", {})     # counts: the same in every repeat
            print("    per controller (took + waited): " + ", ".join(
                f"{name} {took:,} + {waited:,}" for name, (took, waited) in by.items()))
    if "wait_reasons" in results["this"][0]:
        print("why a controller that waited was asked again (counts, deterministic):")
        for k, rs in results.items():
            if "wait_reasons" in rs[0]:
                print(f"  {k}: " + "; ".join(
                    f"{name} " + ", ".join(f"{why} {n:,}" for why, n in
                                           sorted(reasons.items(), key=lambda x: -x[1]))
                    for name, reasons in rs[0]["wait_reasons"].items()))
    if "where_settling" in results["this"][0]:
        print("where the engine's part of choosing goes (cProfile, shares of a controlled run):")
        for key, label in WHERE:
            line = "  ".join(f"{k}: {statistics.median(r[key] for r in rs):.3f}"
                             for k, rs in results.items() if all(key in r for r in rs))
            print(f"  {label}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

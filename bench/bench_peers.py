"""Firings per second of this engine beside SNAKES, SimPN and cpnpy, on the same nets, in one run.

The nets are those of ``bench_engine.py`` (an untimed P/T production line, coloured dining
philosophers, a timed coloured production line), written here a second time in SimPN's and
cpnpy's own terms; SNAKES's are in ``bench_engine.py``. Each tool plays its own token game:

* ours: ``Simulator(net, seed, log=False).run(max_firings=n)`` (and again with ``log=True``);
* SNAKES: the enabled modes of every transition (``t.modes()``), one picked at random, fired;
* SimPN: ``SimProblem.step()`` (each event's first binding, one event picked at random, the
  clock moved to the earliest enabling time when nothing is enabled), with ``debugging=False``;
* cpnpy: the first binding of every transition (``CPN._find_binding``, the search its
  ``is_enabled`` runs), one transition picked at random and fired with that binding
  (``fire_transition``), ``advance_global_clock`` when none is enabled.

After every run the firing count and the nets' token invariants are checked, for every tool. A
peer that is not installed is reported as such in the table; our side is still measured.

    python bench/bench_peers.py [--seconds 1] [--repeats 5]      # prints the table
    python -m bench --section engine                             # writes it into the doc
"""
from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_engine as be  # noqa: E402

PEERS = ("SNAKES", "SimPN", "cpnpy")


def peer_version(peer: str) -> str | None:
    """The installed version of ``peer``, or None when it is not installed."""
    from importlib import metadata
    try:
        return metadata.version({"SNAKES": "snakes"}.get(peer, peer.lower()))
    except metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------------------------
# SimPN: places are SimVars, transitions are events whose behaviour returns the output tokens
# ---------------------------------------------------------------------------------------------

def _simpn():
    from simpn.simulator import SimProblem, SimToken
    return SimProblem, SimToken


def pt_line_simpn(stations: int = be.STATIONS):
    SimProblem, SimToken = _simpn()
    sp = SimProblem(debugging=False)
    buffer = [sp.add_var(f"buffer{i}") for i in range(stations)]
    machine = [sp.add_var(f"machine{i}") for i in range(stations)]
    busy = [sp.add_var(f"busy{i}") for i in range(stations)]
    for i in range(stations):
        machine[i].put("dot")
        if be._pt_initial(i):
            buffer[i].put("dot")
    for i in range(stations):
        nxt = (i + 1) % stations
        sp.add_event([buffer[i], machine[i]], [busy[i]], lambda b, m: [SimToken("dot")],
                     name=f"start{i}")
        sp.add_event([busy[i]], [buffer[nxt], machine[i]],
                     lambda b: [SimToken("dot"), SimToken("dot")], name=f"finish{i}")
    return sp


def philosophers_simpn(n: int = be.PHILOSOPHERS):
    SimProblem, SimToken = _simpn()
    sp = SimProblem(debugging=False)
    thinking, forks, eating = sp.add_var("thinking"), sp.add_var("forks"), sp.add_var("eating")
    for i in range(n):
        thinking.put(i)
        forks.put(i)
    sp.add_event([thinking, forks, forks], [eating], lambda x, f, y: [SimToken((x, y))],
                 name="take", guard=lambda x, f, y: f == x and y == (x + 1) % n)
    sp.add_event([eating], [thinking, forks, forks],
                 lambda e: [SimToken(e[0]), SimToken(e[0]), SimToken((e[0] + 1) % n)],
                 name="release")
    return sp


def timed_line_simpn(machines=be.MACHINES, products=be.PRODUCTS,
                     per_product: int = be.PARTS_PER_PRODUCT):
    SimProblem, SimToken = _simpn()
    sp = SimProblem(debugging=False)
    idle = sp.add_var("idle")
    queue = {m: sp.add_var(f"queue_{m}") for m in machines}
    for m in machines:
        idle.put(m)
    for p in products:
        for _ in range(per_product):
            queue[machines[0]].put(p)

    def on(m):                         # SimPN wants exactly one parameter per input place
        def process(p, machine):
            delay = be.PROC[p, m]
            return [SimToken(p, delay=delay), SimToken(machine, delay=delay)]
        return process, (lambda p, machine: machine == m)

    for k, m in enumerate(machines):
        process, guard = on(m)
        sp.add_event([queue[m], idle], [queue[machines[(k + 1) % len(machines)]], idle], process,
                     name=f"process_{m}", guard=guard)
    return sp


def simpn_firings(sp):
    """SimPN's token game: ``(clock, event name)`` of each firing until nothing can fire."""
    while (binding := sp.step()) is not None:
        yield binding[1], binding[2].get_id()


def run_simpn(build: Callable, bench: be.Bench, firings: int, *, seed: int = 0) -> float:
    """Fire ``firings`` times with SimPN's ``step()``; returns the CPU time of the run."""
    sp = build()
    random.seed(seed)                    # SimPN picks among events with the random module
    cpu = time.process_time()
    fired = sum(1 for _ in itertools.islice(simpn_firings(sp), firings))
    cpu = time.process_time() - cpu
    if fired != firings:
        raise be.BenchError(f"{bench.name} (SimPN): fired {fired} of {firings} (dead marking)")
    be.check_invariants(bench, lambda p: len(sp.var(p).marking), "SimPN")
    return cpu


# ---------------------------------------------------------------------------------------------
# cpnpy: places with colour sets, transitions with variables and a guard, arcs with expressions
# ---------------------------------------------------------------------------------------------

def _cpn(places: dict, transitions: list, arcs: list, initial: dict, code: str = ""):
    """A cpnpy net: ``places`` name -> colour set, ``transitions`` cpnpy Transitions, ``arcs``
    (source, target, expression) by name, ``initial`` place -> list of (value, timestamp)."""
    from cpnpy.cpn.cpn_imp import CPN, Arc, EvaluationContext, Marking, Place
    cpn = CPN()
    nodes = {}
    for name, colours in places.items():
        nodes[name] = Place(name, colours)
        cpn.add_place(nodes[name])
    for t in transitions:
        nodes[t.name] = t
        cpn.add_transition(t)
    for source, target, expression in arcs:
        cpn.add_arc(Arc(nodes[source], nodes[target], expression))
    marking = Marking()
    for name in places:
        tokens = initial.get(name, [])
        marking.set_tokens(name, [v for v, _ in tokens], [ts for _, ts in tokens])
    return cpn, marking, EvaluationContext(code or None)


def pt_line_cpnpy(stations: int = be.STATIONS):
    from cpnpy.cpn.colorsets import IntegerColorSet
    from cpnpy.cpn.cpn_imp import Transition
    dot = IntegerColorSet()
    places, transitions, arcs, initial = {}, [], [], {}
    for i in range(stations):
        places |= {f"buffer{i}": dot, f"machine{i}": dot, f"busy{i}": dot}
        initial[f"machine{i}"] = [(1, 0)]
        initial[f"buffer{i}"] = [(1, 0)] * be._pt_initial(i)
    for i in range(stations):
        nxt = (i + 1) % stations
        transitions += [Transition(f"start{i}"), Transition(f"finish{i}")]
        arcs += [(f"buffer{i}", f"start{i}", "1"), (f"machine{i}", f"start{i}", "1"),
                 (f"start{i}", f"busy{i}", "1"), (f"busy{i}", f"finish{i}", "1"),
                 (f"finish{i}", f"buffer{nxt}", "1"), (f"finish{i}", f"machine{i}", "1")]
    return _cpn(places, transitions, arcs, initial)


def philosophers_cpnpy(n: int = be.PHILOSOPHERS):
    from cpnpy.cpn.colorsets import IntegerColorSet, ProductColorSet
    from cpnpy.cpn.cpn_imp import Transition
    phil = IntegerColorSet()
    places = {"thinking": phil, "forks": phil, "eating": ProductColorSet(phil, phil)}
    # cpnpy binds a variable to a whole token, so release names the pair and takes it apart
    transitions = [Transition("take", guard="y == (x + 1) % N", variables=["x", "y"]),
                   Transition("release", variables=["e"])]
    arcs = [("thinking", "take", "x"), ("forks", "take", "[x, y]"), ("take", "eating", "(x, y)"),
            ("eating", "release", "e"), ("release", "thinking", "e[0]"),
            ("release", "forks", "[e[0], (e[0] + 1) % N]")]
    initial = {"thinking": [(i, 0) for i in range(n)], "forks": [(i, 0) for i in range(n)]}
    return _cpn(places, transitions, arcs, initial, f"N = {n}")


def timed_line_cpnpy(machines=be.MACHINES, products=be.PRODUCTS,
                     per_product: int = be.PARTS_PER_PRODUCT):
    from cpnpy.cpn.colorsets import EnumeratedColorSet
    from cpnpy.cpn.cpn_imp import Transition
    product = EnumeratedColorSet(list(products), timed=True)
    machine = EnumeratedColorSet(list(machines), timed=True)
    places = {"idle": machine} | {f"queue_{m}": product for m in machines}
    transitions, arcs = [], []
    for k, m in enumerate(machines):
        nxt = machines[(k + 1) % len(machines)]
        transitions.append(Transition(f"process_{m}", variables=["p"]))
        delay = f"proc[(p, {m!r})]"
        arcs += [(f"queue_{m}", f"process_{m}", "p"), ("idle", f"process_{m}", repr(m)),
                 (f"process_{m}", f"queue_{nxt}", f"p @+ {delay}"),
                 (f"process_{m}", "idle", f"{m!r} @+ {delay}")]
    initial = {"idle": [(m, 0) for m in machines],
               f"queue_{machines[0]}": [(p, 0) for p in products for _ in range(per_product)]}
    return _cpn(places, transitions, arcs, initial, f"proc = {be.PROC!r}")


def cpnpy_firings(cpn, marking, context, rng: random.Random):
    """cpnpy's token game: ``(clock, transition name)`` of each firing until nothing can fire."""
    while True:
        enabled = [(t, b) for t in cpn.transitions
                   if (b := cpn._find_binding(t, marking, context)) is not None]
        if not enabled:
            clock = marking.global_clock
            cpn.advance_global_clock(marking)
            if marking.global_clock == clock:
                return
            continue
        t, binding = rng.choice(enabled)
        cpn.fire_transition(t, marking, context, binding)
        yield marking.global_clock, t.name


def run_cpnpy(build: Callable, bench: be.Bench, firings: int, *, seed: int = 0) -> float:
    """Fire ``firings`` times in cpnpy; returns the CPU time of the run."""
    cpn, marking, context = build()
    rng = random.Random(seed)
    cpu = time.process_time()
    fired = sum(1 for _ in itertools.islice(cpnpy_firings(cpn, marking, context, rng), firings))
    cpu = time.process_time() - cpu
    if fired != firings:
        raise be.BenchError(f"{bench.name} (cpnpy): fired {fired} of {firings} (dead marking)")
    be.check_invariants(bench, lambda p: len(marking.get_multiset(p).tokens), "cpnpy")
    return cpu


#: net name -> peer -> runner(bench, firings) returning CPU seconds
RUNNERS: dict[str, dict[str, Callable[[be.Bench, int], float]]] = {
    "pt_line": {"SNAKES": lambda b, n: be.run_snakes(b, n),
                "SimPN": lambda b, n: run_simpn(pt_line_simpn, b, n),
                "cpnpy": lambda b, n: run_cpnpy(pt_line_cpnpy, b, n)},
    "philosophers": {"SNAKES": lambda b, n: be.run_snakes(b, n),
                     "SimPN": lambda b, n: run_simpn(philosophers_simpn, b, n),
                     "cpnpy": lambda b, n: run_cpnpy(philosophers_cpnpy, b, n)},
    "timed_line": {"SimPN": lambda b, n: run_simpn(timed_line_simpn, b, n),
                   "cpnpy": lambda b, n: run_cpnpy(timed_line_cpnpy, b, n)},
}
NETS = ("pt_line", "philosophers", "timed_line")


# ---------------------------------------------------------------------------------------------
# Measuring: ours and every installed peer on each net, one after the other, in one process
# ---------------------------------------------------------------------------------------------

def measure(seconds: float, repeats: int, *, peer_fraction: float = 0.5,
            progress: bool = True, flowfactory: bool = False) -> list[dict]:
    """One row per (net, tool): firings per run, the rate of each repeat and the median.
    ``flowfactory``: a last row of ours on the FlowFactory plant, every initial-stock case run
    to its end (``bench_engine.measure_flowfactory``)."""
    be.CLOCK = "cpu"
    benches = {b.name: b for b in be.BENCHES}
    rows = []
    for name in NETS:
        bench = benches[name]
        n = be.calibrate(lambda k: be.run_ours(bench, k), seconds, 1_000)
        for log in (False, True):
            rates = be.rates(lambda k: be.run_ours(bench, k, log=log), n, repeats)
            rows.append({"net": name, "title": bench.title, "tool": f"ours, log={log}",
                         "firings": n, "rates": rates, "median": statistics.median(rates)})
        ours = rows[-2]["median"]                    # without the event log, as the peers
        for peer in PEERS:
            runner = RUNNERS[name].get(peer)
            if runner is None:
                continue
            version = peer_version(peer)
            row = {"net": name, "title": bench.title, "tool": peer, "version": version}
            if version is None:
                row["missing"] = True
            else:
                k = be.calibrate(lambda k: runner(bench, k), seconds * peer_fraction, 10)
                row["firings"] = k
                row["rates"] = be.rates(lambda k: runner(bench, k), k, repeats)
                row["median"] = statistics.median(row["rates"])
                row["ours_over_peer"] = ours / row["median"]
            rows.append(row)
            if progress:
                print(f"  {name}: {peer} done", file=sys.stderr, flush=True)
    if flowfactory:     # the case study's plant, ours only (no peer plays it)
        ff = be.measure_flowfactory(repeats)
        rows.append({"net": "flowfactory", "title": ff["net"], "tool": "ours, log=False",
                     "firings": ff["firings"], "rates": ff["rates"], "median": ff["median"]})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| net | tool | firings per run | firings/s (median) | min-max | ours (log off) / tool |",
             "|---|---|---:|---:|---:|---:|"]
    last = None
    for r in rows:
        net = r["title"] if r["net"] != last else ""
        last = r["net"]
        tool = r["tool"] + (f" {r['version']}" if r.get("version") else "")
        if r.get("missing"):
            lines.append(f"| {net} | {r['tool']} | not installed (`pip install -e \".[bench]\"`) "
                         "| | | |")
            continue
        ratio = f"{r['ours_over_peer']:,.1f}x" if "ours_over_peer" in r else ""
        lines.append(f"| {net} | {tool} | {r['firings']:,} | {r['median']:,.0f} | "
                     f"{min(r['rates']):,.0f}-{max(r['rates']):,.0f} | {ratio} |")
    return "\n".join(lines)


def engine_section(quick: bool):
    from bench.harness import Result
    seconds, repeats = (0.05, 1) if quick else (0.6, 5)
    rows = measure(seconds, repeats, flowfactory=True)
    text = table(rows) + ("\n\nEvery run fired the requested number of times and kept the "
                          "net's token invariants, in every tool; every FlowFactory case shipped "
                          "all its orders.")
    return Result(text, rows,
                  f"CPU time (`time.process_time`) of each tool's token game on the same net in "
                  f"this process, tools one after the other; firings per run calibrated so that a "
                  f"run of ours takes about {seconds:g} s and a peer's about {seconds / 2:g} s; "
                  + (f"median of {repeats} repeats" if repeats > 1 else "one run"))


SECTIONS = {"engine": engine_section}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="CPU seconds of one run of ours (a peer's: half of it)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    print(table(measure(args.seconds, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

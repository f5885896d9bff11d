"""Firings per second of the token-game engine, side by side with SNAKES on the same nets.

Three nets, each built in code:

* ``pt_line``: an untimed place/transition production line, a cycle of stations (a machine
  place with one token, a buffer and a busy place each) around which parts circulate;
* ``philosophers``: coloured dining philosophers (integer forks, a guard picking the right
  fork, tuple inscriptions); SNAKES allows no expression on an input arc, hence the guard;
* ``philosophers_expr``: the same philosophers as this engine can also write them, the right
  fork taken by the input inscription ``(x + 1) % N`` (this engine only);
* ``timed_line``: a timed coloured production line (machines, three products, processing
  times from a table ``proc[p, m]``); this engine only, SNAKES has no time.

A SNAKES firing is what its own token game costs: the enabled modes of every transition
(``t.modes()``), one picked by a seeded random choice, ``t.fire(mode)``. Ours is
``Simulator(net, seed, log=False).run(max_firings=n)``, and again with ``log=True``. Each
measurement is repeated and the median rate reported; the firing counts are calibrated so a
repeat of our engine takes about ``--seconds`` seconds (SNAKES gets fewer firings). After every
repeat the script checks that the requested number of firings happened and that the net's
token invariants still hold, for both tools.

Run it on one core::

    taskset -c 0 python bench/bench_engine.py
"""
from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

from petri import Net, Simulator, Token

try:
    import snakes.nets as sn
except ImportError:  # the benchmark still measures our engine alone
    sn = None

# -- sizes -----------------------------------------------------------------------------------
STATIONS = 10          # pt_line: stations in the cycle
PARTS = 5              # pt_line: parts circulating
PHILOSOPHERS = 10      # philosophers: philosophers and forks
MACHINES = ("M1", "M2", "M3")
PRODUCTS = ("A", "B", "C")
PARTS_PER_PRODUCT = 2  # timed_line
PROC = {("A", "M1"): 3, ("A", "M2"): 5, ("A", "M3"): 2,
        ("B", "M1"): 4, ("B", "M2"): 2, ("B", "M3"): 6,
        ("C", "M1"): 2, ("C", "M2"): 4, ("C", "M3"): 3}


@dataclass
class Bench:
    """One net: how to build it in each tool and the token counts that must never change.

    ``invariants`` are ``(weights, total)``: the weighted sum of the token counts of the
    places in ``weights`` equals ``total`` in every reachable marking.
    """

    name: str
    title: str
    ours: Callable[[], Net]
    snakes: Callable[[], object] | None
    invariants: list[tuple[dict[str, int], int]] = field(default_factory=list)
    warmup: int = 0      # firings before the timed ones (to reach a steady state)


# ---------------------------------------------------------------------------------------------
# 1. untimed P/T production line
# ---------------------------------------------------------------------------------------------

def _pt_initial(i: int) -> int:
    """Parts initially waiting at station ``i``: one at each of the first PARTS stations."""
    return 1 if i < PARTS else 0


def pt_line_ours(stations: int = STATIONS) -> Net:
    net = Net("pt_line")
    for i in range(stations):
        net.add_place(f"buffer{i}", initial=_pt_initial(i))
        net.add_place(f"machine{i}", initial=1)
        net.add_place(f"busy{i}")
    for i in range(stations):
        nxt = (i + 1) % stations
        net.add_transition(f"start{i}", inputs=[f"buffer{i}", f"machine{i}"], outputs=[f"busy{i}"])
        net.add_transition(f"finish{i}", inputs=[f"busy{i}"],
                           outputs=[f"buffer{nxt}", f"machine{i}"])
    return net


def pt_line_snakes(stations: int = STATIONS):
    net = sn.PetriNet("pt_line")
    dot = sn.Value(sn.dot)
    for i in range(stations):
        net.add_place(sn.Place(f"buffer{i}", [sn.dot] * _pt_initial(i)))
        net.add_place(sn.Place(f"machine{i}", [sn.dot]))
        net.add_place(sn.Place(f"busy{i}", []))
    for i in range(stations):
        nxt = (i + 1) % stations
        net.add_transition(sn.Transition(f"start{i}"))
        net.add_input(f"buffer{i}", f"start{i}", dot)
        net.add_input(f"machine{i}", f"start{i}", dot)
        net.add_output(f"busy{i}", f"start{i}", dot)
        net.add_transition(sn.Transition(f"finish{i}"))
        net.add_input(f"busy{i}", f"finish{i}", dot)
        net.add_output(f"buffer{nxt}", f"finish{i}", dot)
        net.add_output(f"machine{i}", f"finish{i}", dot)
    return net


def pt_line_invariants(stations: int = STATIONS) -> list:
    parts = ({f"buffer{i}": 1 for i in range(stations)} | {f"busy{i}": 1 for i in range(stations)},
             sum(_pt_initial(i) for i in range(stations)))
    machines = [({f"machine{i}": 1, f"busy{i}": 1}, 1) for i in range(stations)]
    return [parts] + machines


# ---------------------------------------------------------------------------------------------
# 2. coloured dining philosophers
# ---------------------------------------------------------------------------------------------

def philosophers_ours(n: int = PHILOSOPHERS) -> Net:
    net = Net("philosophers")
    net.add_constant("N", n)
    net.add_colour_set("Phil", "int", low=0, high=n - 1)
    net.add_colour_set("Pair", components=("Phil", "Phil"))
    net.add_place("thinking", "Phil", initial=list(range(n)))
    net.add_place("forks", "Phil", initial=list(range(n)))
    net.add_place("eating", "Pair")
    net.add_transition("take", guard="y == (x + 1) % N",
                       inputs=[("thinking", "x"), ("forks", "x"), ("forks", "y")],
                       outputs=[("eating", "(x, y)")])
    net.add_transition("release", inputs=[("eating", "(x, y)")],
                       outputs=[("thinking", "x"), ("forks", "x"), ("forks", "(x + 1) % N")])
    return net


def philosophers_snakes(n: int = PHILOSOPHERS):
    net = sn.PetriNet("philosophers")
    net.globals["N"] = n
    x, y = sn.Variable("x"), sn.Variable("y")
    net.add_place(sn.Place("thinking", list(range(n))))
    net.add_place(sn.Place("forks", list(range(n))))
    net.add_place(sn.Place("eating", []))
    net.add_transition(sn.Transition("take", sn.Expression("y == (x + 1) % N")))
    net.add_input("thinking", "take", x)
    net.add_input("forks", "take", sn.MultiArc([x, y]))
    net.add_output("eating", "take", sn.Tuple([x, y]))
    net.add_transition(sn.Transition("release"))
    net.add_input("eating", "release", sn.Tuple([x, y]))
    net.add_output("thinking", "release", x)
    net.add_output("forks", "release", sn.MultiArc([x, sn.Expression("(x + 1) % N")]))
    return net


def philosophers_expr_ours(n: int = PHILOSOPHERS) -> Net:
    """The philosophers with the right fork as an input expression: no guard, no search."""
    net = Net("philosophers_expr")
    net.add_constant("N", n)
    net.add_colour_set("Phil", "int", low=0, high=n - 1)
    net.add_place("thinking", "Phil", initial=list(range(n)))
    net.add_place("forks", "Phil", initial=list(range(n)))
    net.add_place("eating", "Phil")
    net.add_transition("take", inputs=[("thinking", "x"), ("forks", "x"), ("forks", "(x + 1) % N")],
                       outputs=[("eating", "x")])
    net.add_transition("release", inputs=[("eating", "x")],
                       outputs=[("thinking", "x"), ("forks", "x"), ("forks", "(x + 1) % N")])
    return net


def philosophers_invariants(n: int = PHILOSOPHERS) -> list:
    # every philosopher thinks or eats; every fork lies on the table or is held (2 per eater)
    return [({"thinking": 1, "eating": 1}, n), ({"forks": 1, "eating": 2}, n)]


# ---------------------------------------------------------------------------------------------
# 3. timed coloured production line (this engine only)
# ---------------------------------------------------------------------------------------------

def timed_line_ours(machines=MACHINES, products=PRODUCTS, per_product: int = PARTS_PER_PRODUCT) -> Net:
    """Parts visit the machines in turn, forever; each stay takes ``proc[p, m]``."""
    net = Net("timed_line")
    net.add_colour_set("Product", values=products, timed=True)
    net.add_colour_set("Machine", values=machines, timed=True)
    net.add_table("proc", {k: v for k, v in PROC.items() if k[0] in products and k[1] in machines},
                  key=("product", "machine"), value="minutes")
    net.add_place("idle", "Machine", initial=list(machines))
    for m in machines:
        net.add_place(f"queue_{m}", "Product",
                      initial=[Token(p, per_product) for p in products] if m == machines[0] else None)
    for k, m in enumerate(machines):
        nxt = machines[(k + 1) % len(machines)]
        net.add_transition(f"process_{m}", delay=f'proc[p, "{m}"]',
                           inputs=[(f"queue_{m}", "p"), ("idle", f'"{m}"')],
                           outputs=[(f"queue_{nxt}", "p"), ("idle", f'"{m}"')])
    return net


def timed_line_invariants(machines=MACHINES, products=PRODUCTS,
                          per_product: int = PARTS_PER_PRODUCT) -> list:
    return [({f"queue_{m}": 1 for m in machines}, len(products) * per_product),
            ({"idle": 1}, len(machines))]


# ---------------------------------------------------------------------------------------------
# 4. one timed place filling up (the scaling of the timed token store)
# ---------------------------------------------------------------------------------------------

SCALING_TOKENS = (10, 1_000, 100_000)
#: how long a served part stays away: not at all, a constant time (tokens come back in
#: timestamp order), a random time (they come back out of order)
SCALING_DELAYS = {"no delay": 0, "delay 5": 5, "delay uniform(1, 10)": "uniform(1, 10)"}


def timed_place_ours(tokens: int, delay) -> Net:
    """``tokens`` parts of one product in one timed place; ``serve`` takes the oldest ready
    part and puts it back ``delay`` later. Every part has the same colour, so every firing
    takes from and adds to one store of ``tokens`` timestamps. The parts all start at time 0:
    the benchmark serves each once (a warm-up) before it times anything."""
    net = Net(f"timed_place_{tokens}")
    net.add_colour_set("Part", values=["part"], timed=True)
    net.add_place("queue", "Part", initial=[Token("part", tokens, 0)])
    net.add_transition("serve", delay=delay, inputs=[("queue", "p")], outputs=[("queue", "p")])
    return net


def scaling_benches() -> list[tuple[int, str, Bench]]:
    """(tokens, delay's label, bench) of each row of the scaling table."""
    return [(n, label, Bench(f"timed_place_{n}", f"one timed place, {n:,} tokens, {label}",
                             (lambda n=n, d=d: timed_place_ours(n, d)), None, [({"queue": 1}, n)],
                             warmup=n))
            for label, d in SCALING_DELAYS.items() for n in SCALING_TOKENS]


# ---------------------------------------------------------------------------------------------
# 5. the FlowFactory nets (the case study), every initial-stock case run to its end
# ---------------------------------------------------------------------------------------------

def flowfactory_cases() -> list:
    """The plant's net, compiled once per initial-stock case (without the event log)."""
    from control.flowfactory import plant
    from petri.compiler import compile_net
    cases = plant.read_cases(plant.DATA / "initial_stock.csv")
    out = []
    for stock in cases.values():
        net = plant.load_plant()      # a compiled net reads its initial marking from its net
        plant.set_case(net, stock)
        out.append(compile_net(net, log=False))
    return out


def run_flowfactory(compiled: list) -> tuple[int, float]:
    """Every case from its initial stock until all its orders are shipped, in the nets'
    order (no controller). Returns (firings, duration; see CLOCK)."""
    fired, seconds = 0, 0.0
    for c in compiled:
        sim = Simulator(c, seed=0)
        cpu = time.process_time()
        result = sim.run()
        cpu = time.process_time() - cpu
        if result.reason != "dead" or sim.count("unfinished"):
            raise BenchError(f"flowfactory: a case stopped ({result.reason}) with orders unfinished")
        fired += result.firings
        seconds += cpu if CLOCK == "cpu" else result.wall_seconds
    return fired, seconds


def measure_flowfactory(repeats: int) -> dict:
    compiled = flowfactory_cases()
    runs = [run_flowfactory(compiled) for _ in range(repeats)]
    rs = [n / s for n, s in runs]
    return {"net": f"FlowFactory, {len(compiled)} cases to the end", "tool": "ours (log=False)",
            "firings": runs[0][0], "rates": rs, "median": statistics.median(rs)}


BENCHES = [
    Bench("pt_line", f"untimed P/T line, {STATIONS} stations", pt_line_ours, pt_line_snakes,
          pt_line_invariants()),
    Bench("philosophers", f"coloured philosophers, {PHILOSOPHERS}", philosophers_ours,
          philosophers_snakes, philosophers_invariants()),
    Bench("philosophers_expr", f"philosophers, input expr, {PHILOSOPHERS}",
          philosophers_expr_ours, None, philosophers_invariants()),
    Bench("timed_line", f"timed coloured line, {len(MACHINES)} machines", timed_line_ours, None,
          timed_line_invariants()),
]


# ---------------------------------------------------------------------------------------------
# Running and checking
# ---------------------------------------------------------------------------------------------

class BenchError(AssertionError):
    """A run fired the wrong number of times or broke a token invariant."""


def check_invariants(bench: Bench, count: Callable[[str], int], tool: str) -> None:
    for weights, total in bench.invariants:
        got = sum(w * count(p) for p, w in weights.items())
        if got != total:
            raise BenchError(f"{bench.name} ({tool}): tokens not conserved: "
                             f"{' + '.join(weights)} = {got}, expected {total}")


#: "wall": elapsed time (RunResult.wall_seconds); "cpu": this process's CPU time, steadier
#: when other programs share the core
CLOCK = "wall"


def run_ours(bench: Bench, firings: int, *, seed: int = 0, log: bool = False) -> float:
    """Fire ``firings`` times in our engine; returns the duration of the run (see CLOCK)."""
    sim = Simulator(bench.ours(), seed=seed, log=log)
    if bench.warmup and sim.run(max_firings=bench.warmup).firings != bench.warmup:
        raise BenchError(f"{bench.name} (ours): the warm-up stopped early")
    cpu = time.process_time()
    result = sim.run(max_firings=firings)
    cpu = time.process_time() - cpu
    if result.firings != firings or result.reason != "max_firings":
        raise BenchError(f"{bench.name} (ours): fired {result.firings} of {firings} "
                         f"(stopped: {result.reason})")
    if log and len(sim.events) != bench.warmup + firings:
        raise BenchError(f"{bench.name} (ours): event log has {len(sim.events)} rows")
    check_invariants(bench, sim.count, "ours")
    return cpu if CLOCK == "cpu" else result.wall_seconds


def snakes_token_game(net, firings: int, rng: random.Random) -> int:
    """SNAKES's own token game: all enabled modes, a random one, fire it. Returns firings."""
    transitions = net.transition()
    for k in range(firings):
        modes = [(t, mode) for t in transitions for mode in t.modes()]
        if not modes:
            return k
        t, mode = rng.choice(modes)
        t.fire(mode)
    return firings


def run_snakes(bench: Bench, firings: int, *, seed: int = 0) -> float:
    net = bench.snakes()
    rng = random.Random(seed)
    start, cpu = time.perf_counter(), time.process_time()
    fired = snakes_token_game(net, firings, rng)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if fired != firings:
        raise BenchError(f"{bench.name} (SNAKES): fired {fired} of {firings} (dead marking)")
    check_invariants(bench, lambda p: len(net.place(p).tokens), "SNAKES")
    return cpu if CLOCK == "cpu" else wall


def calibrate(run: Callable[[int], float], seconds: float, trial: int) -> int:
    """Firings for one repeat to take about ``seconds``, from a trial run (grown until it
    takes at least a tenth of that)."""
    while True:
        wall = run(trial)
        if wall >= seconds / 10 or trial >= 10**8:
            return max(1, int(trial * seconds / wall))
        trial *= 4


def rates(run: Callable[[int], float], firings: int, repeats: int) -> list[float]:
    """Firings per second of each of ``repeats`` runs of ``firings`` firings."""
    return [firings / run(firings) for _ in range(repeats)]


def measure(bench: Bench, seconds: float, snakes_fraction: float, repeats: int) -> list[dict]:
    """The table rows of one net: our engine without and with the log, then SNAKES."""
    n = calibrate(lambda k: run_ours(bench, k), seconds, 10_000)
    rows = [{"tool": "ours (log=False)", "firings": n,
             "rates": rates(lambda k: run_ours(bench, k), n, repeats)},
            {"tool": "ours (log=True)", "firings": n,
             "rates": rates(lambda k: run_ours(bench, k, log=True), n, repeats)}]
    if bench.snakes is not None and sn is not None:
        ns = calibrate(lambda k: run_snakes(bench, k), seconds * snakes_fraction, 100)
        rows.append({"tool": "SNAKES", "firings": ns,
                     "rates": rates(lambda k: run_snakes(bench, k), ns, repeats)})
    for row in rows:
        row["net"] = bench.title
        row["median"] = statistics.median(row["rates"])
    if len(rows) == 3:
        for row in rows[:2]:
            row["ratio"] = row["median"] / rows[2]["median"]
    return rows


def scaling(seconds: float, repeats: int) -> int:
    """The table of one timed place as it fills: firings/s without the event log, and each
    row's rate over the rate with the fewest tokens."""
    print("| tokens in the place | delay | firings/s (median) | min-max | vs 10 tokens |")
    print("|---:|---|---:|---:|---:|")
    first = {}
    for tokens, delay, bench in scaling_benches():
        n = calibrate(lambda k: run_ours(bench, k), seconds, 10_000)
        rs = rates(lambda k: run_ours(bench, k), n, repeats)
        med = statistics.median(rs)
        first.setdefault(delay, med)
        print(f"| {tokens:,} | {delay} | {med:,.0f} | {min(rs):,.0f}-{max(rs):,.0f} "
              f"| {med / first[delay]:.2f} |", flush=True)
    print("every run fired the requested number of times and kept its tokens")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="repeats per measurement (default 5)")
    ap.add_argument("--seconds", type=float, default=1.5,
                    help="target duration of one repeat of our engine (default 1.5)")
    ap.add_argument("--snakes-fraction", type=float, default=0.5,
                    help="SNAKES repeats last about this fraction of --seconds (default 0.5)")
    ap.add_argument("--only", choices=[b.name for b in BENCHES], action="append",
                    help="run only this net (repeatable)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="time runs by elapsed (wall) or process CPU time (default wall)")
    ap.add_argument("--flowfactory", action="store_true",
                    help="measure only the FlowFactory nets (every initial-stock case to its end)")
    ap.add_argument("--scaling", action="store_true",
                    help="measure one timed place holding 10, 1,000 and 100,000 tokens instead")
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = args.clock

    print(f"Python {platform.python_version()} ({platform.python_implementation()}), "
          f"{platform.machine()}, SNAKES {sn.version if sn else 'not installed'}; "
          f"median of {args.repeats} repeats, {args.clock} clock")
    rows = []
    if args.scaling:
        return scaling(args.seconds, args.repeats)
    for bench in BENCHES:
        if not args.flowfactory and (not args.only or bench.name in args.only):
            rows += measure(bench, args.seconds, args.snakes_fraction, args.repeats)
            print(f"  measured {bench.name}", file=sys.stderr, flush=True)
    if args.flowfactory or not args.only:
        rows.append(measure_flowfactory(args.repeats))

    head = ("net", "tool", "firings/run", "firings/s", "min-max", "ours/SNAKES")
    table = [head] + [(r["net"], r["tool"], f"{r['firings']:,}", f"{r['median']:,.0f}",
                       f"{min(r['rates']):,.0f}-{max(r['rates']):,.0f}",
                       f"{r['ratio']:.1f}x" if "ratio" in r else "-") for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(head))]
    for line in table:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(line, widths))))
    print("every run fired the requested number of times and conserved its tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())

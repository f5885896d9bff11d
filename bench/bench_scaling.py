"""Scaling curves: how firings/s and states/s change with tokens, places, bindings and states.

Four sections of docs/performance.md, each a table of rates by size beside the ratio to the
smallest size (a flat curve keeps ratios near 1.0):

* ``scaling-tokens``: one place holding 10, 1,000 or 100,000 tokens; ``serve`` takes one and
  puts it back (black tokens, one colour untimed, one colour timed with no delay, a constant
  delay and a random delay, which brings tokens back out of timestamp order);
* ``scaling-places``: the untimed P/T production line of ``bench_engine.py`` with 10 to 10,000
  stations (3 places each) and the same 5 parts: firings/s and the time to build the simulator;
* ``scaling-bindings``: a transition with k enabled bindings (k jobs of distinct colours waiting
  for one machine), and a join of two places of k tokens each on equal colours (k of the k²
  pairs enable);
* ``scaling-states``: ``reachability_graph`` on nets of growing state spaces (Kanban with 1 to 5
  kanbans per cell, 160 to 2,546,432 states; one chain of 1,000 to 1,000,000 markings), in a
  child process per size so that its peak memory can be read.

    python -m bench --section scaling-tokens     # and so on; or all four with `python -m bench`
"""
from __future__ import annotations

import json
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_engine as be  # noqa: E402
from bench.harness import Result  # noqa: E402
from petri import Net, Token  # noqa: E402


def _repeats(repeats: int) -> str:
    return f"median of {repeats} repeats" if repeats > 1 else "one run"


def _rate_rows(benches, seconds: float, repeats: int, trial: int = 1_000) -> list[dict]:
    be.CLOCK = "cpu"
    rows = []
    for key, bench in benches:
        n = be.calibrate(lambda k: be.run_ours(bench, k), seconds, trial)
        rates = be.rates(lambda k: be.run_ours(bench, k), n, repeats)
        rows.append(key | {"firings": n, "rates": rates, "median": statistics.median(rates)})
        print(f"  {bench.title}: {rows[-1]['median']:,.0f} firings/s", file=sys.stderr, flush=True)
    return rows


def _grid(rows: list[dict], row_key: str, col_key: str, row_title: str, unit: str) -> str:
    """Rates as a grid: one line per ``row_key`` value, one column per ``col_key`` value, and
    the last column's rate over the first's."""
    rkeys = list(dict.fromkeys(r[row_key] for r in rows))
    ckeys = list(dict.fromkeys(r[col_key] for r in rows))
    cell = {(r[row_key], r[col_key]): r["median"] for r in rows}
    lines = [f"| {row_title} | " + " | ".join(f"{c:,} {unit}" for c in ckeys)
             + f" | {ckeys[-1]:,} / {ckeys[0]:,} |",
             "|---|" + "---:|" * (len(ckeys) + 1)]
    for rk in rkeys:
        vals = [cell[rk, c] for c in ckeys]
        lines.append(f"| {rk} | " + " | ".join(f"{v:,.0f}" for v in vals)
                     + f" | {vals[-1] / vals[0]:.2f} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# tokens in one place
# ---------------------------------------------------------------------------------------------

#: black tokens and one untimed colour beside the timed place of ``bench_engine.py`` with each
#: of its delays
TOKEN_KINDS = ["black tokens", "one colour, untimed"] + [f"timed, {d}" for d in be.SCALING_DELAYS]


def one_place(tokens: int, kind: str) -> Net:
    """``tokens`` tokens in place ``queue``; ``serve`` takes the oldest ready one and puts it
    back (after the kind's delay when the place is timed: ``bench_engine.timed_place_ours``)."""
    if kind.startswith("timed, "):
        return be.timed_place_ours(tokens, be.SCALING_DELAYS[kind.removeprefix("timed, ")])
    net = Net(f"one_place_{tokens}")
    if kind == "black tokens":
        net.add_place("queue", initial=tokens)
        net.add_transition("serve", inputs=["queue"], outputs=["queue"])
        return net
    net.add_colour_set("Part", values=["part"])
    net.add_place("queue", "Part", initial=[Token("part", tokens)])
    net.add_transition("serve", inputs=[("queue", "p")], outputs=[("queue", "p")])
    return net


def tokens_section(quick: bool) -> Result:
    sizes, seconds, repeats = ((10, 1_000), 0.02, 1) if quick else (be.SCALING_TOKENS, 0.3, 5)
    benches = [({"kind": kind, "tokens": n},
                be.Bench(f"one_place_{n}", f"one place, {n:,} tokens, {kind}",
                         lambda n=n, kind=kind: one_place(n, kind), None, [({"queue": 1}, n)],
                         warmup=n if kind.startswith("timed") else 0))
               for kind in TOKEN_KINDS for n in sizes]
    rows = _rate_rows(benches, seconds, repeats)
    text = (_grid(rows, "kind", "tokens", "tokens in the place: firings/s", "tokens")
            + "\n\nThe last column is the rate with the most tokens over the rate with the fewest "
              "(1.00: flat). Timed places start with every part at time 0: each is served once "
              "(not timed) before the timed firings, so that the runs measure the steady state. "
              "Every run fired the requested number of times and kept its tokens.")
    return Result(text, rows, "CPU time (`time.process_time`) of `Simulator(net, seed=0, "
                  f"log=False).run(max_firings=n)`, n calibrated to about {seconds:g} s per run; "
                  + _repeats(repeats))


# ---------------------------------------------------------------------------------------------
# places
# ---------------------------------------------------------------------------------------------

def places_section(quick: bool) -> Result:
    sizes, seconds, repeats = ((10, 100), 0.02, 1) if quick else ((10, 100, 1_000, 10_000), 0.3, 5)
    rows = []
    for stations in sizes:
        bench = be.Bench(f"pt_line_{stations}", f"P/T line, {stations:,} stations",
                         lambda s=stations: be.pt_line_ours(s), None,
                         be.pt_line_invariants(stations))
        setups = []
        for _ in range(min(repeats, 3)):
            t = time.process_time()
            be.Simulator(bench.ours(), seed=0, log=False)
            setups.append(time.process_time() - t)
        row = _rate_rows([({"stations": stations}, bench)], seconds, repeats,
                         trial=1_000 if quick else 30_000)[0]
        row["setup_seconds"] = statistics.median(setups)
        rows.append(row)
    first = rows[0]["median"]
    lines = ["| stations | places | transitions | firings/s | vs 10 stations | building the net and "
             "simulator (CPU s) |", "|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        s = r["stations"]
        lines.append(f"| {s:,} | {3 * s:,} | {2 * s:,} | {r['median']:,.0f} | "
                     f"{r['median'] / first:.2f} | {r['setup_seconds']:.4f} |")
    text = "\n".join(lines) + (f"\n\n{be.PARTS} parts circulate whatever the size, so the enabled "
                               "transitions stay few while the net grows.")
    return Result(text, rows, "CPU time (`time.process_time`) of `Simulator(net, seed=0, "
                  f"log=False).run(max_firings=n)`, n calibrated to about {seconds:g} s per run, "
                  "and of building the net and its `Simulator`; " + _repeats(repeats))


# ---------------------------------------------------------------------------------------------
# bindings per transition
# ---------------------------------------------------------------------------------------------

def waiting_jobs(k: int) -> Net:
    """k jobs of distinct colours wait for one machine: ``start`` has k bindings whenever the
    machine is free, ``finish`` one."""
    net = Net(f"waiting_jobs_{k}")
    net.add_colour_set("Job", "int", low=0, high=k - 1)
    net.add_place("waiting", "Job", initial=list(range(k)))
    net.add_place("machine", initial=1)
    net.add_place("busy", "Job")
    net.add_transition("start", inputs=[("waiting", "j"), "machine"], outputs=[("busy", "j")])
    net.add_transition("finish", inputs=[("busy", "j")], outputs=[("waiting", "j"), "machine"])
    return net


def join(k: int) -> Net:
    """Orders and parts, k of each, with colours 0..k-1: ``match`` takes an order and the part of
    the same colour (k of the k² pairs), ``ship`` puts both back."""
    net = Net(f"join_{k}")
    net.add_colour_set("Id", "int", low=0, high=k - 1)
    net.add_colour_set("Pair", components=("Id", "Id"))
    net.add_place("orders", "Id", initial=list(range(k)))
    net.add_place("parts", "Id", initial=list(range(k)))
    net.add_place("matched", "Pair")
    net.add_transition("match", guard="o == p", inputs=[("orders", "o"), ("parts", "p")],
                       outputs=[("matched", "(o, p)")])
    net.add_transition("ship", inputs=[("matched", "(o, p)")],
                       outputs=[("orders", "o"), ("parts", "p")])
    return net


BINDING_NETS = {"k jobs waiting for one machine (k bindings)":
                (waiting_jobs, lambda k: [({"waiting": 1, "busy": 1}, k)]),
                "join of two places on equal colours (k of k² pairs)":
                (join, lambda k: [({"orders": 1, "matched": 1}, k), ({"parts": 1, "matched": 1}, k)])}


def bindings_section(quick: bool) -> Result:
    sizes, seconds, repeats = ((1, 10), 0.02, 1) if quick else ((1, 10, 100, 1_000), 0.3, 5)
    benches = [({"net": title, "k": k},
                be.Bench(f"{build.__name__}_{k}", f"{title}, k={k:,}", lambda b=build, k=k: b(k),
                         None, inv(k)))
               for title, (build, inv) in BINDING_NETS.items() for k in sizes]
    rows = _rate_rows(benches, seconds, repeats)
    text = (_grid(rows, "net", "k", "bindings: firings/s", "(k)")
            + "\n\nA firing of the engine picks one of all enabled bindings at random, so the "
              "enabled bindings are what a firing may cost; the last column is the rate at the "
              "largest k over the rate at k = 1.")
    return Result(text, rows, "CPU time (`time.process_time`) of `Simulator(net, seed=0, "
                  f"log=False).run(max_firings=n)`, n calibrated to about {seconds:g} s per run; "
                  + _repeats(repeats))


# ---------------------------------------------------------------------------------------------
# states
# ---------------------------------------------------------------------------------------------

KANBAN = ROOT / "tests" / "data" / "mcc" / "Kanban-PT-00005.pnml"


def kanban(n: int) -> Net:
    """Kanban with ``n`` kanbans in each of its four cells (the MCC's Kanban-PT-0000n)."""
    from petri.formats import pnml
    text = KANBAN.read_text(encoding="utf-8")
    text, count = re.subn(r"(<initialMarking>.*?<text>)5(</text>)", rf"\g<1>{n}\g<2>", text,
                          flags=re.S)
    assert count == 4, count
    net = pnml.loads(text.encode("utf-8"))
    net.name = f"Kanban-{n}"
    return net


def explore(family: str, size: int, repeats: int) -> dict:
    """Explore one net ``repeats`` times in this process: states, edges, CPU times, and the
    growth of the peak resident memory over what it was before the first exploration."""
    from bench.bench_statespace import chain_net
    from petri.analysis import reachability_graph
    net = kanban(size) if family == "kanban" else chain_net(f"chain-move-{size}")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(repeats):
        t = time.process_time()
        g = reachability_graph(net)
        times.append(time.process_time() - t)
        assert g.complete
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"states": g.num_states, "edges": g.num_edges, "cpu_seconds": times,
            "median": statistics.median(times), "peak_growth_bytes": (peak - before) * 1024}


def explore_in_child(family: str, size: int, repeats: int) -> dict:
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
            "from bench.bench_scaling import explore; "
            f"print(json.dumps(explore({family!r}, {size}, {repeats})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"exploring {family} {size} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


STATE_FAMILIES = {"kanban": "Kanban, n kanbans per cell", "chain": "one chain of n markings"}


def states_section(quick: bool) -> Result:
    if quick:
        sizes, repeats = {"kanban": (1, 2), "chain": (1_000, 10_000)}, 1
    else:
        sizes, repeats = {"kanban": (1, 2, 3, 4, 5), "chain": (1_000, 10_000, 100_000, 1_000_000)}, 3
    rows = []
    for family, ns in sizes.items():
        for n in ns:
            r = explore_in_child(family, n, repeats)
            rows.append({"family": family, "n": n} | r | {"rate": r["states"] / r["median"]})
            print(f"  {family} {n}: {r['states']:,} states, {rows[-1]['rate']:,.0f} states/s",
                  file=sys.stderr, flush=True)
    lines = ["| net | n | states | edges | CPU s | states/s | vs the smallest | peak memory growth "
             "per state |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for family in sizes:
        fam = [r for r in rows if r["family"] == family]
        for k, r in enumerate(fam):
            per_state = (f"{r['peak_growth_bytes'] / r['states']:,.0f} B"
                         if r["states"] >= 10_000 else "")
            lines.append(f"| {STATE_FAMILIES[family] if not k else ''} | {r['n']:,} | "
                         f"{r['states']:,} | {r['edges']:,} | {r['median']:.3f} | "
                         f"{r['rate']:,.0f} | {r['rate'] / fam[0]['rate']:.2f} | {per_state} |")
    text = "\n".join(lines) + (
        "\n\nPeak memory growth is the child process's peak resident memory after the explorations "
        "minus before them (`getrusage`), over the states; it includes the edges and the "
        "explorer's temporary arrays, and is left out below 10,000 states, where it is noise.")
    return Result(text, rows, "CPU time (`time.process_time`) of `reachability_graph(net)` "
                  "(default options) in a fresh child process per size; " + _repeats(repeats))


SECTIONS = {"scaling-tokens": tokens_section, "scaling-places": places_section,
            "scaling-bindings": bindings_section, "scaling-states": states_section}

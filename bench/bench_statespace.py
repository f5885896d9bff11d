"""State-space exploration benchmark: this toolkit against a tuned C breadth-first search (and,
optionally, SNAKES and pm4py) side by side in one run.

    taskset -c 1 python bench/bench_statespace.py [--repeat 5] [--budget 0]

For each model (MCC nets in tests/data/mcc, and two chains of 100,000 markings built in code:
``chain_net``) it measures ``reachability_graph(net)`` (the whole call, default options, PNML
parsing excluded) in a fresh child process per model: the process CPU time of ``--repeat``
explorations (median, min, max) and the growth of the resident set during the first one (peak
resident memory after it minus the resident memory before it, after a first exploration of
2,000 states has imported what the explorer needs) per state.

The C reference (``bench/bfs_reference.c``) is compiled with the system compiler (``cc -O2``,
or ``$CC``) when there is one, otherwise its columns say why they are empty. It gets the same
net as enabling conditions and changes derived from ``petri.structure.pt_view`` (the firing rule
of ``petri.structure.is_enabled``: consuming, read and inhibitor arcs, capacities), the bits of
each place's largest count (from our graph), and is run ``--repeat`` times (a fresh process
each); its CPU time excludes reading the net. States, edges and deadlocks must agree exactly with
ours (``BenchError`` otherwise). ``speed`` is (our states/s) / (C states/s), ``memory`` (our bytes/state) / (C bytes/state).

``--cold`` also times a whole ``python -m petri reach FILE`` (wall clock, interpreter start and
imports included) on the nets given, median of ``--repeat``.

SNAKES's ``StateGraph`` and pm4py's ``construct_reachability_graph`` are far slower: with
``--budget S`` > 0 each gets at most S seconds per MCC model, and its rate is the number of
markings it finished expanding in that time divided by the time (their rate only falls as their
graphs grow, so the ratios are lower bounds). pm4py is optional (``pip install pm4py``).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "mcc"
sys.path.insert(0, str(ROOT))

from petri.formats import pnml  # noqa: E402

MODELS = ["Philosophers-PT-000010", "TokenRing-PT-010", "Kanban-PT-00005", "chain-move-100000",
          "chain-fill-100000"]
TARGETS = {"Philosophers-PT-000010": 500_000, "TokenRing-PT-010": 200_000,
           "chain-move-100000": 50_000, "chain-fill-100000": 50_000}


def chain_net(model: str):
    """``chain-move-N``: N-1 tokens moved one by one from ``a`` to ``b``; ``chain-fill-N``: a
    transition adds tokens to ``b`` until an inhibitor arc stops it at N-1 (no structural bound,
    so the unboundedness check runs at every state). Both: N markings in one chain."""
    from petri import Net
    _, kind, n = model.split("-")
    n = int(n)
    net = Net(model)
    if kind == "move":
        net.add_place("a", initial=n - 1)
        net.add_place("b")
        net.add_transition("t", inputs=["a"], outputs=["b"])
    else:
        net.add_place("b")
        net.add_transition("fill", inhibitors=[("b", None, n - 1)], outputs=["b"])
    return net


def load(model: str):
    return chain_net(model) if model.startswith("chain-") else pnml.load(DATA / f"{model}.pnml")


class BenchError(Exception):
    """Ours and the C reference disagree, or the reference failed."""


CHILD = r"""
import json, resource, statistics, sys, time
sys.path.insert(0, %(root)r)
import numpy as np
from bench.bench_statespace import load, rss_bytes
from petri.analysis import reachability_graph
net = load(%(model)r)
if %(compiled)r is not False:       # a process that has loaded the compiled code (if installed)
    from petri.analysis.reachability import _compiled_kernel
    _compiled_kernel()
reachability_graph(net, max_states=2000, compiled=%(compiled)r)   # imports what it needs
before = rss_bytes()
times = []
for i in range(%(repeat)d):
    t = time.process_time()
    g = reachability_graph(net, compiled=%(compiled)r)
    times.append(time.process_time() - t)
    if i == 0:
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
assert g.complete, g.stop_message()
out = g.out_degree()
held = sum(a.nbytes for a in (g.src, g.dst, g.transition, g.parent, g.parent_transition))
print(json.dumps({"states": g.num_states, "edges": g.num_edges,
                  "deadlocks": int((out == 0).sum()), "times": times,
                  "rss_growth_bytes": growth, "held_bytes": held,
                  "max_tokens": g.markings.max(axis=0).tolist()}))
"""


def rss_bytes() -> int:
    """The resident memory of this process now (Linux), else 0."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096
    except OSError:
        return 0


def summary(times: list[float], states: int) -> dict:
    med = statistics.median(times)
    return {"median_s": med, "min_s": min(times), "max_s": max(times), "rate": states / med}


def ours(model: str, repeat: int, compiled: bool | None = None) -> dict:
    """Our explorer in a fresh child process: CPU times, resident-set growth, the results
    (``compiled``: as ``reachability_graph``'s; False: the numpy explorer)."""
    code = CHILD % {"root": str(ROOT), "model": model, "repeat": repeat, "compiled": compiled}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise BenchError(f"{model}: our exploration failed:\n{out.stderr}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r.update(summary(r["times"], r["states"]))
    r["bytes_per_state"] = r["rss_growth_bytes"] / r["states"]
    return r


# -- the C reference ---------------------------------------------------------------------------

C_SOURCE = ROOT / "bench" / "bfs_reference.c"


def compile_reference(folder: Path) -> tuple[Path | None, str]:
    """Compile ``bfs_reference.c`` into ``folder`` with ``$CC`` or ``cc`` (``-O2``): (the
    program, how) or (None, why not)."""
    import os
    import shutil
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        return None, f"no C compiler ({cc!r} is not on PATH): the C reference is skipped"
    exe = Path(folder) / "bfs_reference"
    cmd = [cc, "-O2", "-o", str(exe), str(C_SOURCE)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        return None, f"{' '.join(cmd[:2])} failed: the C reference is skipped\n{out.stderr}"
    return exe, f"{cc} -O2"


def reference_input(net, bits) -> str:
    """The net as ``bfs_reference`` reads it: from ``pt_view``, the conditions of
    ``petri.structure.is_enabled`` and the changes of ``fire``."""
    from petri.structure import pt_view
    v = pt_view(net)
    P, T = len(v.places), len(v.transitions)
    lines = [f"{P} {T}", " ".join(str(int(b)) for b in bits),
             " ".join(str(int(x)) for x in v.initial)]
    change = v.post - v.pre
    for t in range(T):
        conds = []
        for p in range(P):
            lo = max(int(v.pre[t, p]), int(v.test[t, p]))
            hi = -1
            if v.inhibitor[t, p]:
                hi = int(v.inhibitor[t, p]) - 1
            if v.limited[t, p]:
                cap = int(v.capacity[p]) - int(change[t, p])
                hi = cap if hi < 0 else min(hi, cap)
            if lo > 0 or hi >= 0:
                conds.append(f"{p} {lo} {hi}")
        changes = [f"{p} {int(change[t, p])}" for p in range(P) if change[t, p]]
        lines.append(f"{len(conds)} {' '.join(conds)} {len(changes)} {' '.join(changes)}")
    return "\n".join(lines) + "\n"


def run_reference(exe: Path, net, bits, repeat: int) -> dict:
    """``bfs_reference`` on ``net``, ``repeat`` fresh processes: CPU times and memory."""
    text = reference_input(net, bits)
    runs = []
    for _ in range(repeat):
        out = subprocess.run([str(exe)], input=text, capture_output=True, text=True)
        if out.returncode:
            raise BenchError(f"the C reference failed on {net.name}: {out.stderr.strip()}")
        runs.append(json.loads(out.stdout))
    r = dict(runs[0])
    r["times"] = [x["cpu_s"] for x in runs]
    r.update(summary(r["times"], r["states"]))
    r["rss_growth_bytes"] = statistics.median(x["rss_growth_bytes"] for x in runs)
    r["bytes_per_state"] = r["rss_growth_bytes"] / r["states"]
    return r


def bits_for(max_tokens) -> list[int]:
    return [max(1, int(m).bit_length()) for m in max_tokens]


def check_same(model: str, a: dict, c: dict) -> None:
    for key in ("states", "edges", "deadlocks"):
        if a[key] != c[key]:
            raise BenchError(f"{model}: {key} differ: ours {a[key]:,}, C reference {c[key]:,}")


def cold_reach(model: str, repeat: int) -> dict:
    """Wall and CPU time of a whole ``python -m petri reach`` on an MCC net (interpreter start,
    imports, PNML reading, exploration and analysis included)."""
    import resource
    times, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "petri", "reach", str(DATA / f"{model}.pnml")],
                             cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if out.returncode:
            raise BenchError(f"petri reach {model} failed: {out.stderr.strip()}")
    return {"times": times, "median_s": statistics.median(times), "cpu_times": cpus,
            "median_cpu_s": statistics.median(cpus)}


def snakes_rate(model: str, budget: float) -> dict:
    import snakes.nets as sn
    from petri.interop.snakes import to_snakes
    pn = to_snakes(pnml.load(DATA / f"{model}.pnml"))
    g = sn.StateGraph(pn)
    t, cpu = time.perf_counter(), time.process_time()
    done = 0
    complete = True
    for _ in g:                        # each step expands one marking
        done += 1
        if time.perf_counter() - t > budget:
            complete = False
            break
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    return {"expanded": done, "seconds": elapsed, "cpu_s": cpu, "rate": done / cpu,
            "complete": complete}


def pm4py_rate(model: str, budget: float) -> dict:
    try:
        import logging
        logging.disable(logging.WARNING)
        from pm4py.objects.petri_net.obj import Marking, PetriNet
        from pm4py.objects.petri_net.utils import petri_utils
        from pm4py.objects.petri_net.utils.reachability_graph import marking_flow_petri
    except ImportError:
        return {"error": "pm4py is not installed"}
    net = pnml.load(DATA / f"{model}.pnml")
    pn = PetriNet(net.name)
    places = {p: PetriNet.Place(p) for p in net.places}
    for p in places.values():
        pn.places.add(p)
    im = Marking()
    for name, p in net.places.items():
        if p.initial_count():
            im[places[name]] = p.initial_count()
    for name, t in net.transitions.items():
        tr = PetriNet.Transition(name, name)
        pn.transitions.add(tr)
        for a in t.inputs:
            petri_utils.add_arc_from_to(places[a.place], tr, pn, weight=a.weight)
        for a in t.outputs:
            petri_utils.add_arc_from_to(tr, places[a.place], pn, weight=a.weight)
    t0, cpu = time.perf_counter(), time.process_time()
    _, outgoing, _ = marking_flow_petri(pn, im, parameters={"max_elab_time": budget})
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu
    return {"expanded": len(outgoing), "seconds": elapsed, "cpu_s": cpu,
            "rate": len(outgoing) / cpu, "complete": elapsed < budget}


def measure(models, repeat: int, budget: float = 0.0, cold_models=(), log=print,
            numpy: bool = True) -> dict:
    """Ours and the C reference (and the peers with ``budget`` > 0) on each model, side by side;
    with ``numpy``, also our numpy explorer (what runs without numba)."""
    import tempfile
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        exe, how = compile_reference(Path(folder))
        if exe is None:
            log(how)
        for model in models:
            r = ours(model, repeat)
            row = {"model": model, "ours": r, "c": None, "snakes": None, "pm4py": None,
                   "numpy": None}
            if numpy:
                row["numpy"] = ours(model, repeat, compiled=False)
                check_same(model, r, row["numpy"])
                del row["numpy"]["max_tokens"]
            if exe is not None:
                c = run_reference(exe, load(model), bits_for(r["max_tokens"]), repeat)
                check_same(model, r, c)
                row["c"] = c
                row["speed"] = r["rate"] / c["rate"]
                row["memory"] = r["bytes_per_state"] / c["bytes_per_state"]
            if budget > 0 and not model.startswith("chain-"):
                row["snakes"] = snakes_rate(model, budget)
                row["pm4py"] = pm4py_rate(model, budget)
            del r["max_tokens"]
            rows.append(row)
            log(line(row))
        cold = {m: cold_reach(m, repeat) for m in cold_models}
        for m, c in cold.items():
            states = next((row["ours"]["states"] for row in rows if row["model"] == m), None)
            if states is None:
                states = ours(m, 1)["states"]
            c["states"] = states
            c["rate"] = states / c["median_s"]
            c["cpu_rate"] = states / c["median_cpu_s"]
            log(f"cold `petri reach` {m}: median {c['median_s']:.3f} s wall = "
                f"{c['rate']:,.0f} states/s; {c['median_cpu_s']:.3f} s CPU = "
                f"{c['cpu_rate']:,.0f} states/s")
    return {"compiler": how, "repeat": repeat, "rows": rows, "cold": cold}


def line(row) -> str:
    r, c = row["ours"], row["c"]
    s = (f"{row['model']}: {r['states']:,} states, {r['edges']:,} edges; ours median "
         f"{r['median_s']:.3f} s CPU (min {r['min_s']:.3f}, max {r['max_s']:.3f}) = "
         f"{r['rate']:,.0f} states/s, {r['bytes_per_state']:.0f} B/state")
    if c is not None:
        s += (f"; C {c['median_s']:.3f} s = {c['rate']:,.0f} states/s, "
              f"{c['bytes_per_state']:.0f} B/state; speed ours/C {row['speed']:.2f}, "
              f"memory ours/C {row['memory']:.2f}")
    if row["numpy"] is not None:
        p = row["numpy"]
        s += f"; numpy explorer {p['rate']:,.0f} states/s, {p['bytes_per_state']:.0f} B/state"
        if c is not None:
            s += f" ({p['rate'] / c['rate']:.2f} of C)"
    for peer in ("snakes", "pm4py"):
        p = row[peer]
        if p is not None:
            s += (f"; {peer}: {p['error']}" if "error" in p else
                  f"; {peer} {p['rate']:,.0f} states/s -> x{r['rate'] / p['rate']:,.0f}")
    return s


def markdown(result: dict) -> str:
    out = ["| net | states | edges | ours: CPU median (min-max) | ours states/s | C states/s | "
           "ours/C speed | ours B/state | C B/state | ours/C memory |",
           "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for row in result["rows"]:
        r, c = row["ours"], row["c"]
        cells = [row["model"], f"{r['states']:,}", f"{r['edges']:,}",
                 f"{r['median_s']:.3f} s ({r['min_s']:.3f}-{r['max_s']:.3f})", f"{r['rate']:,.0f}"]
        if c is None:
            cells += ["-", "-", f"{r['bytes_per_state']:.0f}", "-", "-"]
        else:
            cells += [f"{c['rate']:,.0f}", f"{row['speed']:.2f}", f"{r['bytes_per_state']:.0f}",
                      f"{c['bytes_per_state']:.0f}", f"{row['memory']:.2f}"]
        out.append("| " + " | ".join(cells) + " |")
    if result["rows"] and result["rows"][0]["c"] is None:
        out.append("")
        out.append(f"The C reference was not run: {result['compiler']}.")
    if any(row["numpy"] is not None for row in result["rows"]):
        out += ["", "Our numpy explorer (`compiled=False`: what runs without numba), same run:", "",
                "| net | CPU median (min-max) | states/s | of C | of ours compiled | B/state |",
                "|---|---|---:|---:|---:|---:|"]
        for row in result["rows"]:
            p, c, r = row["numpy"], row["c"], row["ours"]
            if p is None:
                continue
            out.append(f"| {row['model']} | {p['median_s']:.3f} s ({p['min_s']:.3f}-"
                       f"{p['max_s']:.3f}) | {p['rate']:,.0f} | "
                       + (f"{p['rate'] / c['rate']:.2f}" if c is not None else "-")
                       + f" | {p['rate'] / r['rate']:.2f} | {p['bytes_per_state']:.0f} |")
    for m, c in result["cold"].items():
        out.append("")
        out.append(f"A whole `petri reach` of {m} from a fresh process (interpreter start, "
                   f"imports, reading, exploration and analysis): median {c['median_s']:.3f} s "
                   f"wall ({c['rate']:,.0f} states/s), {c['median_cpu_s']:.3f} s CPU "
                   f"({c['cpu_rate']:,.0f} states/s).")
    return "\n".join(out) + "\n"


def section(quick: bool):
    """The state-space section of docs/performance.md (``python -m bench --section statespace``)."""
    from bench.harness import Result
    if quick:
        models, repeat, cold = ["Philosophers-PT-000005", "TokenRing-PT-005"], 1, []
    else:
        models, repeat = ["Philosophers-PT-000010", "TokenRing-PT-010", "Kanban-PT-00005",
                          "chain-move-100000", "chain-fill-100000"], 5
        cold = ["Philosophers-PT-000010"]
    result = measure(models, repeat, 0.0, cold, log=lambda text: print(text, file=sys.stderr))
    text = markdown(result) + NOTES
    method = (f"process CPU time of `reachability_graph(net)` (default options, PNML parsing "
              f"excluded) and of the C reference's search, median of {repeat} repeats, each "
              f"side in fresh child processes; bytes per state: growth of the resident set "
              f"during one exploration over the states; states, edges and deadlocks asserted "
              f"equal between the two")
    return Result(text, result, method)


NOTES = """
The C reference is `bench/bfs_reference.c` (`cc -O2`): the same enabling conditions (consuming,
read and inhibitor arcs, capacities), markings packed into 64-bit words with the bits of each
place's largest count, transitions looked up by pivot place, an open-addressing hash table, and
source, target and transition stored per edge (32-bit), parent and parent transition per state.
Ours is the compiled explorer when numba is installed (the `fast` extra), as here; bytes per
state include growth slack and, for small nets, the arrays' first allocations.
"""

PEER_MODELS = ["Philosophers-PT-000010", "TokenRing-PT-010", "Kanban-PT-00005"]


def peers(models, repeat: int, budget: float, log=print) -> dict:
    """Our explorers (compiled, numpy) beside SNAKES's and pm4py's on MCC nets: ours over the
    whole graph, the peers' markings expanded within ``budget`` seconds each."""
    rows = []
    for model in models:
        r = ours(model, repeat)
        p = ours(model, repeat, compiled=False)
        check_same(model, r, p)
        row = {"model": model, "ours": r, "numpy": p}
        try:
            import snakes  # noqa: F401
            row["snakes"] = snakes_rate(model, budget)
        except ImportError:
            row["snakes"] = {"error": "SNAKES is not installed"}
        row["pm4py"] = pm4py_rate(model, budget)
        for key in ("ours", "numpy"):
            del row[key]["max_tokens"]
        rows.append(row)
        log(f"{model}: ours {r['rate']:,.0f} states/s, numpy {p['rate']:,.0f}; " + "; ".join(
            f"{peer} " + (row[peer]["error"] if "error" in row[peer] else
                          f"{row[peer]['rate']:,.0f} states/s ({row[peer]['expanded']:,} in "
                          f"{row[peer]['seconds']:.1f} s)") for peer in ("snakes", "pm4py")))
    return {"budget_s": budget, "repeat": repeat, "rows": rows, "versions": peer_versions()}


def peer_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version
    out = {}
    for name in ("snakes", "pm4py"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def peers_markdown(result: dict) -> str:
    v = result["versions"]
    names = {"snakes": f"SNAKES {v['snakes'] or '(not installed)'}",
             "pm4py": f"pm4py {v['pm4py'] or '(not installed)'}"}
    out = [f"| net | states | ours compiled: states/s | ours numpy: states/s | "
           f"{names['snakes']}: states/s (expanded in {result['budget_s']:g} s) | ours/SNAKES | "
           f"{names['pm4py']}: states/s (expanded) | ours/pm4py |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in result["rows"]:
        r, p = row["ours"], row["numpy"]
        cells = [row["model"], f"{r['states']:,}", f"{r['rate']:,.0f}", f"{p['rate']:,.0f}"]
        for peer in ("snakes", "pm4py"):
            q = row[peer]
            if "error" in q:
                cells += [q["error"], "-"]
            else:
                done = ", all" if q["expanded"] >= r["states"] else ""
                cells += [f"{q['rate']:,.0f} ({q['expanded']:,}{done})",
                          f"{r['rate'] / q['rate']:,.0f}x"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n" + PEER_NOTES


PEER_NOTES = """
SNAKES (`StateGraph`, iterated marking by marking) and pm4py (`marking_flow_petri`, the core of
`construct_reachability_graph`, with its `max_elab_time`) get the budget (wall clock) per net;
their rate is the markings they expanded (", all": the whole graph) over the CPU time it took.
It only falls as their graphs grow (pm4py's frontier is a list searched linearly), so on graphs
they do not finish the ratios are lower bounds. Ours: the whole graph, CPU time, as in the
section above.
"""


def peers_section(quick: bool):
    """SNAKES and pm4py beside our explorers (``python -m bench --section statespace-peers``)."""
    from bench.harness import Result
    if quick:
        models, repeat, budget = ["Philosophers-PT-000005"], 1, 0.5
    else:
        models, repeat, budget = PEER_MODELS, 5, 10.0
    result = peers(models, repeat, budget, log=lambda text: print(text, file=sys.stderr))
    method = (f"ours: process CPU time of `reachability_graph(net)` (compiled, and "
              f"`compiled=False`), median of {repeat} repeats in fresh child processes; "
              f"SNAKES and pm4py in this process: at most {budget:g} s (wall clock) per net, "
              f"markings expanded over the CPU time taken")
    return Result(peers_markdown(result), result, method)


SECTIONS = {"statespace": section, "statespace-peers": peers_section}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--budget", type=float, default=0.0,
                    help="seconds SNAKES and pm4py get per MCC model (0: not run)")
    ap.add_argument("--models", nargs="*", default=MODELS)
    ap.add_argument("--cold", nargs="*", default=[], metavar="MODEL",
                    help="also time a whole `python -m petri reach` on these MCC models")
    args = ap.parse_args()
    result = measure(args.models, args.repeat, args.budget, args.cold)
    print(markdown(result))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

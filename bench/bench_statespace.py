"""State-space exploration benchmark: this toolkit, SNAKES and pm4py side by side in one run.

    python bench/bench_statespace.py [--repeat 5] [--budget 60]

For each model (MCC nets in tests/data/mcc, and two chains of 100,000 markings built in code:
``chain_net``) it measures ``reachability_graph(net)`` (the whole
call, default options, PNML parsing excluded) ``--repeat`` times and reports the median time and
states/s; Kanban-PT-00005 runs in a child process so that its peak memory can be read. SNAKES's
``StateGraph`` and pm4py's ``construct_reachability_graph`` are far slower: each gets at most
``--budget`` seconds per model, and its rate is the number of markings it finished expanding in
that time divided by the time (their rate only falls as their graphs grow, so the ratios are
lower bounds). pm4py is optional (``pip install pm4py``); without it its column says so.
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

from petri.analysis import reachability_graph  # noqa: E402
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


CLOCK = time.perf_counter


def ours(model: str, repeat: int) -> dict:
    net = load(model)
    times = []
    for _ in range(repeat):
        t = CLOCK()
        g = reachability_graph(net)
        times.append(CLOCK() - t)
    assert g.complete
    med = statistics.median(times)
    return {"states": g.num_states, "edges": g.num_edges, "median_s": med,
            "min_s": min(times), "max_s": max(times), "rate": g.num_states / med}


def ours_in_child(model: str, repeat: int) -> dict:
    code = ("import json, resource, sys, time; sys.path.insert(0, %r);"
            "import bench.bench_statespace as b;"
            + ("b.CLOCK = time.process_time;" if CLOCK is time.process_time else "") +
            "from bench.bench_statespace import ours;"
            "r = ours(%r, %d);"
            "r['peak_gib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20;"
            "print(json.dumps(r))") % (str(ROOT), model, repeat)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def snakes_rate(model: str, budget: float) -> dict:
    import snakes.nets as sn
    from petri.interop.snakes import to_snakes
    pn = to_snakes(pnml.load(DATA / f"{model}.pnml"))
    g = sn.StateGraph(pn)
    t = time.perf_counter()
    done = 0
    for _ in g:                        # each step expands one marking
        done += 1
        if time.perf_counter() - t > budget:
            break
    elapsed = time.perf_counter() - t
    complete = len(g._todo) == 0 if hasattr(g, "_todo") else None
    return {"expanded": done, "seconds": elapsed, "rate": done / elapsed, "complete": complete}


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
    t0 = time.perf_counter()
    _, outgoing, _ = marking_flow_petri(pn, im, parameters={"max_elab_time": budget})
    elapsed = time.perf_counter() - t0
    return {"expanded": len(outgoing), "seconds": elapsed, "rate": len(outgoing) / elapsed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds SNAKES and pm4py get per model")
    ap.add_argument("--models", nargs="*", default=MODELS)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="time our explorations by elapsed (wall) or process CPU time")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    rows = []
    for model in args.models:
        if model.startswith("Kanban"):
            r = ours_in_child(model, max(1, args.repeat // 2))
        else:
            r = ours(model, args.repeat)
        if model.startswith("chain-"):         # ours only
            s = p = {"error": "not run"}
        else:
            s = snakes_rate(model, args.budget)
            p = pm4py_rate(model, args.budget)
        rows.append((model, r, s, p))
        line = (f"{model}: {r['states']:,} states, {r['edges']:,} edges; median {r['median_s']:.3f} s "
                f"(min {r['min_s']:.3f}, max {r['max_s']:.3f}) = {r['rate']:,.0f} states/s")
        if "peak_gib" in r:
            line += f", peak {r['peak_gib']:.2f} GiB"
        if model in TARGETS:
            line += f" (target {TARGETS[model]:,})"
        if "error" not in s:
            line += (f"; SNAKES {s['rate']:,.0f} states/s ({s['expanded']:,} in "
                     f"{s['seconds']:.0f} s) -> x{r['rate'] / s['rate']:,.0f}")
        if "error" in p:
            line += f"; pm4py: {p['error']}" if p["error"] != "not run" else ""
        else:
            line += (f"; pm4py {p['rate']:,.0f} states/s ({p['expanded']:,} in {p['seconds']:.0f} s)"
                     f" -> x{r['rate'] / p['rate']:,.0f}")
        print(line, flush=True)
    print(json.dumps([{"model": m, "ours": r, "snakes": s, "pm4py": p} for m, r, s, p in rows],
                     indent=1))


if __name__ == "__main__":
    main()

"""Speed-up of a grid on a local Ray cluster against one process.

    python bench/bench_parallel.py [--repeat 2] [--workers 2] [--long]
    python -m bench --section parallel        # the default and the long grid, once each

Runs the FlowFactory experiment's ideal scenario under the traditional controller (10
initial-stock cases, each an independent task) three ways: in one process (``--workers 1``),
in ``--workers`` local processes, and on a private Ray cluster with as many CPUs
(``--ray local``, Ray's start and stop included); then the same for Ray's start-up alone.
Checks that every way gives the same makespans, and prints one JSON line per run and one
with the median wall times and the speed-ups. ``--long``: the four bundled scenarios under
both timings (80 tasks), a grid long enough against Ray's start-up.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

EXPERIMENT = ["experiment", "--scenario", "ideal", "--controller", "traditional", "--json",
              "--force"]
RAY_START = ("import logging, ray; ray.init(num_cpus={n}, include_dashboard=False, "
             "log_to_driver=False, logging_level=logging.ERROR, "
             "object_store_memory=200 * 2 ** 20); ray.shutdown()")


def timed(args: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, r.stdout


#: the longer grid: the four bundled scenarios under both timings, 80 cases of the same
#: controller, long enough against Ray's start and stop
LONG = ["experiment", "--all", "--controller", "traditional", "--json", "--force"]


def grid(repeat: int = 2, workers: int = 2, long: bool = False, ray: bool = True,
         cases: list[int] | None = None, echo: bool = False) -> dict:
    """Time the grid each way; the median wall times, the speed-ups and whether every way
    gave the same table."""
    out = Path(tempfile.mkdtemp(prefix="petri-bench-parallel-"))
    n = str(workers)
    base_args = list(LONG if long else EXPERIMENT)
    base_args += [a for c in (cases or []) for a in ("--case", str(c))]
    ways = {"one process": ["--workers", "1"], f"{n} processes": ["--workers", n]}
    if ray:
        ways[f"ray local {n}"] = ["--ray", "local", "--workers", n]
    walls: dict[str, list[float]] = {w: [] for w in ways}
    if ray:
        walls["ray start+stop"] = []
    tables = {}
    for k in range(repeat):
        for way, extra in ways.items():
            wall, stdout = timed([sys.executable, "-m", "petri", *base_args, *extra,
                                  "--out", str(out / f"{k}")])
            tables[way] = [(r["scenario"], r["controller"], r.get("timing"), r["makespan_days"],
                            r["cases"]) for r in json.loads(stdout)]
            walls[way].append(wall)
            if echo:
                print(json.dumps({"way": way, "wall_s": round(wall, 1)}), flush=True)
        if ray:
            wall, _ = timed([sys.executable, "-c", RAY_START.format(n=workers)])
            walls["ray start+stop"].append(wall)
    same = len({json.dumps(t, sort_keys=True) for t in tables.values()}) == 1
    assert same, tables
    med = {w: round(statistics.median(v), 1) for w, v in walls.items()}
    first = med["one process"]
    rows = tables["one process"]
    return {"grid": "long" if long else "default", "arguments": base_args,
            "tasks": sum(r[4] for r in rows),
            "median_wall_s": med, "speed_up": {w: round(first / med[w], 2) for w in ways},
            "repeat": repeat, "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 1), "same_results": same}


def parallel_section(quick: bool):
    """``python -m bench --section parallel``: the default grid and the longer one, in one
    process, in worker processes and on a private Ray cluster."""
    from bench.harness import Result
    try:
        import ray  # noqa: F401
        installed = True
    except ImportError:
        installed = False
    has_ray = installed and not quick
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, range(os.cpu_count() or 1))      # the grid needs every core
    try:
        runs = [grid(repeat=1, ray=has_ray, cases=[1, 2] if quick else None)]
        if not quick:
            runs.append(grid(repeat=1, long=True, ray=has_ray))
    finally:
        os.sched_setaffinity(0, allowed)
    lines = ["| grid | tasks | way | wall | speed-up against one process |",
             "|---|---:|---|---:|---:|"]
    for r in runs:
        name, tasks = f"`petri {' '.join(r['arguments'])}`", r["tasks"]
        for way, wall in r["median_wall_s"].items():
            up = r["speed_up"].get(way)
            lines.append(f"| {name} | {tasks} | {way} | {wall} s | "
                         f"{'' if up is None else f'{up:.2f}x'} |")
            name, tasks = "", ""
    text = ("Wall time of each grid run (the same table from every way), every core of the "
            "machine (load average when each grid ended: "
            + ", ".join(str(r["load_average_1min"]) for r in runs) + "):\n\n"
            + "\n".join(lines) + "\n")
    if not installed:
        text += "\nRay is not installed here (the `ray` extra): its rows are missing.\n"
    return Result(markdown=text, figures=runs,
                  method="wall-clock time of each whole command (start-up included), one run "
                         "each way; Ray's start and stop timed alone beside it")


SECTIONS = {"parallel": parallel_section}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--long", action="store_true",
                    help="the longer grid: every bundled scenario under both timings (80 cases)")
    args = ap.parse_args()
    print(json.dumps(grid(args.repeat, args.workers, args.long, echo=True)))


if __name__ == "__main__":
    main()

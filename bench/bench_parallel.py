"""Speed-up of a grid on a local Ray cluster against one process.

    python bench/bench_parallel.py [--repeat 2] [--workers 2]

Runs the FlowFactory experiment's ideal scenario under the traditional controller (10
initial-stock cases, each an independent task) three ways: in one process (``--workers 1``),
in ``--workers`` local processes, and on a private Ray cluster with as many CPUs
(``--ray local``, Ray's start and stop included); then the same for Ray's start-up alone.
Checks that every way gives the same makespans, and prints one JSON line per run and one
with the median wall times and the speed-ups.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="petri-bench-parallel-"))
    n = str(args.workers)
    ways = {"one process": ["--workers", "1"], f"{n} processes": ["--workers", n],
            f"ray local {n}": ["--ray", "local", "--workers", n]}
    walls: dict[str, list[float]] = {w: [] for w in ways}
    walls["ray start+stop"] = []
    tables = {}
    for k in range(args.repeat):
        for way, extra in ways.items():
            wall, stdout = timed([sys.executable, "-m", "petri", *EXPERIMENT, *extra,
                                  "--out", str(out / f"{k}")])
            rows = json.loads(stdout)
            tables[way] = [(r["scenario"], r["controller"], r["makespan_days"], r["cases"])
                           for r in rows]
            walls[way].append(wall)
            print(json.dumps({"way": way, "wall_s": round(wall, 1), "rows": tables[way]}),
                  flush=True)
        wall, _ = timed([sys.executable, "-c", RAY_START.format(n=args.workers)])
        walls["ray start+stop"].append(wall)
    assert len({json.dumps(t) for t in tables.values()}) == 1, tables
    med = {w: round(statistics.median(v), 1) for w, v in walls.items()}
    base = med["one process"]
    print(json.dumps({"median_wall_s": med,
                      "speed_up": {w: round(base / med[w], 2) for w in ways},
                      "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 1),
                      "same_results": True}))


if __name__ == "__main__":
    main()

"""Scheduling benchmark: every rule, the policy (one pass), the policy with a time limit and
CP-SAT alone with the same limit, on Taillard's and Brandimarte's instances, beside the best
known makespans; and how the one-pass time grows with the number of jobs.

    python bench/bench_scheduling.py quick            # rules and one-pass policy, all instances
    python bench/bench_scheduling.py limit [--time-limit 60] [--subset ta01,ta11,...]
    python bench/bench_scheduling.py scale            # time per decision, plants of 10 to 2,000 jobs
    python bench/bench_scheduling.py plant            # one pass on the 411 x 149 plant
    python bench/bench_scheduling.py plants           # policy against mwkr on 21 plants
    python bench/bench_scheduling.py tabu             # time per tabu-search step

Each part prints a Markdown table and appends its raw rows to ``--out`` (CSV). Times are the
process's CPU time (``time.process_time``) of the scheduling call alone (reading excluded).
"""
from __future__ import annotations

import argparse
import csv
import random
import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from control.scheduling import check_schedule, schedule  # noqa: E402
from control.scheduling.dispatch import dispatch  # noqa: E402
from control.scheduling.generate import generate_plant, random_jobshop  # noqa: E402
from control.scheduling.policy import PolicyController, shipped_policy  # noqa: E402
from control.scheduling.rules import RULES, Rule  # noqa: E402
from petri.formats.jobshop import read_instance  # noqa: E402

from nets.scheduling import INSTANCES  # noqa: E402
DEFAULT_SUBSET = "ta01,ta11,ta21,ta31,ta41,ta51,ta61,ta71,mk01,mk02,mk03,mk04,mk05,mk06,mk07,mk08,mk09,mk10"


def benchmark_rows():
    with open(INSTANCES / "best_known.csv", newline="") as f:
        return list(csv.DictReader(f))


def family(row, inst) -> str:
    if row["family"] == "brandimarte":
        return "Brandimarte mk01-mk10"
    return f"Taillard {inst.n_jobs}x{inst.n_machines}"


def run_one(inst, method, time_limit=None, seed=0):
    t0 = time.process_time()
    w0 = time.perf_counter()
    s = schedule(inst, method=method, time_limit=time_limit, seed=seed)
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    assert check_schedule(inst, s) == [], (inst.name, method)
    return s, cpu, wall


def table(results, methods):
    """results[family][method] -> list of (gap, cpu seconds)"""
    lines = ["| family | instances | " + " | ".join(methods) + " |",
             "|---|---|" + "---|" * len(methods)]
    for fam in sorted(results, key=lambda f: (f.startswith("Brandimarte"), _size(f))):
        cells = []
        n = 0
        for m in methods:
            v = results[fam].get(m)
            if not v:
                cells.append("")
                continue
            n = len(v)
            gap = 100 * statistics.mean(g for g, _ in v)
            t = statistics.median(c for _, c in v)
            cells.append(f"{gap:.1f} % ({_t(t)})")
        lines.append(f"| {fam} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _size(f):
    try:
        a, b = f.split()[-1].split("x")
        return int(a) * 1000 + int(b)
    except ValueError:
        return 0


def _t(s):
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.1f} s"


def write_rows(path, rows):
    new = not Path(path).exists()
    with open(path, "a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["instance", "family", "method", "time_limit", "makespan", "best_known",
                        "gap", "cpu_seconds", "wall_seconds"])
        w.writerows(rows)


def quick(args):
    methods = [f"rule:{r}" for r in RULES] + ["policy"]
    results = defaultdict(lambda: defaultdict(list))
    rows = []
    only = set(getattr(args, "only", None) or [])
    for row in benchmark_rows():
        if only and row["instance"] not in only:
            continue
        inst = read_instance(INSTANCES / row["file"])
        fam = family(row, inst)
        best = int(row["best_known"])
        for m in methods:
            s, cpu, wall = run_one(inst, m)
            gap = s.makespan / best - 1
            results[fam][m].append((gap, cpu))
            rows.append([row["instance"], fam, m, "", s.makespan, best, round(gap, 5),
                         round(cpu, 4), round(wall, 4)])
    write_rows(args.out, rows)
    print(table(results, methods))


def limit(args):
    from control.scheduling import cpsat, localsearch
    if localsearch.numba_available():
        localsearch.warm_up().wait()     # compiled (or loaded from the cache) once, not timed
    cpsat.available()                    # OR-Tools imported once, not timed
    subset = set(args.subset.split(","))
    methods = ["policy", "cpsat"]
    results = defaultdict(lambda: defaultdict(list))
    per_instance = []
    for row in benchmark_rows():
        if row["instance"] not in subset:
            continue
        inst = read_instance(INSTANCES / row["file"])
        fam = family(row, inst)
        best = int(row["best_known"])
        got = {}
        for m in methods:
            s, cpu, wall = run_one(inst, m, time_limit=args.time_limit)
            gap = s.makespan / best - 1
            results[fam][m].append((gap, wall))
            got[m] = s
            write_rows(args.out, [[row["instance"], fam, m, args.time_limit, s.makespan, best,
                                   round(gap, 5), round(cpu, 2), round(wall, 2)]])
            print(f"{row['instance']} {m}: {s.makespan} (best known {best}, gap "
                  f"{100 * gap:.1f} %) in {wall:.1f} s; {s.stats}", flush=True)
        per_instance.append((row["instance"], best, got))
    print(table(results, methods))
    print()
    print("| instance | best known | policy, limit | after rules and samples | after tabu search "
          "| after CP-SAT | CP-SAT alone |")
    print("|---|---|---|---|---|---|---|")
    for name, best, got in per_instance:
        p, c = got["policy"], got["cpsat"]
        st = p.stats

        def cell(v):
            return "" if v is None else f"{v} ({100 * (v / best - 1):.1f} %)"
        print(f"| {name} | {best} | {cell(p.makespan)} | {cell(st.get('sampled', st.get('rules')))} "
              f"| {cell(st.get('tabu'))} | {cell(st.get('cpsat'))} | {cell(c.makespan)} |")


def tabu(args):
    """CPU time per step of the job-shop tabu search, compiled (numba) and plain Python."""
    from control.scheduling.localsearch import kernels, numba_available, tabu_search
    names = getattr(args, "only", None) or ("ta01", "ta41", "ta71")
    scale = getattr(args, "steps_scale", 1.0)
    print("| instance | operations | compiled (numba) | plain Python | ratio |")
    print("|---|---|---|---|---|")
    if numba_available():
        kernels(True)
    for name in names:
        row = next(r for r in benchmark_rows() if r["instance"] == name)
        inst = read_instance(INSTANCES / row["file"])
        first = dispatch(inst, Rule("mwkr"))
        per = {}
        for compiled, steps in ((True, int(20000 * scale)), (False, int(200 * scale))):
            if compiled and not numba_available():
                continue
            tabu_search(inst, first, float("inf"), max_iterations=5, compiled=compiled,
                        workers=1)                                 # warm up
            times = []
            for rep in range(3):
                t0 = time.process_time()
                tabu_search(inst, first, float("inf"), seed=rep, max_iterations=steps,
                            compiled=compiled, workers=1)
                times.append((time.process_time() - t0) / steps)
            per[compiled] = statistics.median(times)
        c, p = per.get(True), per[False]
        print(f"| {name} | {inst.n_operations} | {'' if c is None else f'{c * 1e6:.1f} µs'} | "
              f"{p * 1e3:.2f} ms | {'' if c is None else f'{p / c:.0f}'} |", flush=True)


SCALE_JOBS = (10, 20, 50, 100, 200, 411, 500, 1000, 2000)


def plant_of_size(n: int, seed: int = 1):
    """A plant shaped like the 411 x 149 one: machines and hours of work in the same
    proportion to the jobs."""
    return generate_plant(n, max(3, round(n * 149 / 411)), 14951 * n / 411, seed=seed)


class _Counting:
    """Counts the decisions with more than one binding and the bindings offered at them."""

    def __init__(self, inner):
        self.inner, self.decisions, self.offered = inner, 0, 0

    def choose(self, shop, cand):
        if len(cand) > 1:
            self.decisions += 1
            self.offered += len(cand)
        return self.inner.choose(shop, cand)


def scale(args):
    """Time per decision of the one-pass policy on plant-shaped instances, 10 to 2,000 jobs."""
    pol = shipped_policy()
    print("| jobs | machines | operations | decisions | bindings per decision | one pass (CPU) "
          "| per operation | per decision | makespan / mwkr |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in getattr(args, "jobs", None) or SCALE_JOBS:
        inst = plant_of_size(n)
        times = []
        for _ in range(3):
            t0 = time.process_time()
            s = dispatch(inst, PolicyController(pol))
            times.append(time.process_time() - t0)
        t = statistics.median(times)
        count = _Counting(PolicyController(pol))
        dispatch(inst, count)
        mwkr = dispatch(inst, Rule("mwkr")).makespan
        ops = inst.n_operations
        print(f"| {n} | {inst.n_machines} | {ops} | {count.decisions} | "
              f"{count.offered / max(1, count.decisions):.1f} | {_t(t)} | "
              f"{1e6 * t / ops:.0f} µs | {1e6 * t / max(1, count.decisions):.0f} µs | "
              f"{s.makespan / mwkr:.3f} |", flush=True)


def plant(args):
    size = getattr(args, "size", None) or (411, 149, 14951)
    inst = generate_plant(*size, seed=args.seed)
    pol = shipped_policy()
    times = []
    for _ in range(3):
        t0 = time.process_time()
        s = dispatch(inst, PolicyController(pol), method="policy")
        times.append(time.process_time() - t0)
    assert check_schedule(inst, s) == []
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mwkr = dispatch(inst, Rule("mwkr"))
    print(f"plant {inst.n_jobs} jobs x {inst.n_machines} machines ({inst.n_operations} operations, "
          f"{inst.total_work() / 60:.0f} h of work, seed {args.seed}): one pass "
          f"{_t(statistics.median(times))} CPU (median of 3), makespan "
          f"{inst.to_hours(s.makespan):.1f} h (mwkr {inst.to_hours(mwkr.makespan):.1f} h, lower "
          f"bound {inst.to_hours(inst.lower_bound()):.1f} h), peak memory {rss:.0f} MB")


PLANTS = [(411, seed) for seed in range(1, 12)] + [(n, 1) for n in (100, 150, 200, 250, 300, 500,
                                                                    600, 700, 800, 1000)]


def plants(args):
    """The one-pass policy against the mwkr rule and the lower bound on plant-shaped instances."""
    pol = shipped_policy()
    print("| plant | jobs | machines | operations | policy, one pass | mwkr | lower bound "
          "| policy / mwkr |")
    print("|---|---|---|---|---|---|---|---|")
    ratios = []
    for n, seed in getattr(args, "plants", None) or PLANTS:
        inst = plant_of_size(n, seed)
        s = dispatch(inst, PolicyController(pol))
        assert check_schedule(inst, s) == []
        mwkr = dispatch(inst, Rule("mwkr")).makespan
        ratios.append(s.makespan / mwkr)
        print(f"| {n} jobs, seed {seed} | {n} | {inst.n_machines} | {inst.n_operations} | "
              f"{inst.to_hours(s.makespan):.1f} h | {inst.to_hours(mwkr):.1f} h | "
              f"{inst.to_hours(inst.lower_bound()):.1f} h | {ratios[-1]:.3f} |", flush=True)
    wins = sum(r < 1 for r in ratios)
    ties = sum(r == 1 for r in ratios)
    print(f"\npolicy / mwkr over {len(ratios)} plants: mean {statistics.mean(ratios):.3f}, "
          f"median {statistics.median(ratios):.3f}; shorter on {wins}, equal on {ties}, "
          f"longer on {len(ratios) - wins - ties}")


# -- sections of docs/performance.md (python -m bench --section NAME) -----------------------

def _capture(fn, **kw) -> str:
    import contextlib
    import io
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        args = argparse.Namespace(time_limit=60, subset=DEFAULT_SUBSET, seed=1,
                                  out=str(Path(tmp) / "rows.csv"), **kw)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            fn(args)
    return buf.getvalue().strip()


def one_pass_section(quick: bool):
    """Every rule and the policy, one pass, on Taillard's and Brandimarte's instances."""
    from bench.harness import Result
    text = _capture(globals()["quick"], only=["ta01", "mk01"] if quick else None)
    return Result(text, {"table": text},
                  "CPU time (`time.process_time`) of one scheduling call per instance and "
                  "method, reading excluded; mean gap to the best known makespan and median "
                  "time per family")


def plant_section(quick: bool):
    """One pass of the shipped policy over a generated 411 x 149 plant."""
    from bench.harness import Result
    text = _capture(plant, size=(40, 13, 1456) if quick else None)
    return Result(text, {"line": text},
                  "CPU time (`time.process_time`) of one dispatch with the shipped policy, "
                  "median of 3; peak resident memory of the process (`getrusage`)")


def tabu_section(quick: bool):
    """CPU time per step of the job-shop tabu search, compiled and plain Python."""
    from bench.harness import Result
    text = _capture(tabu, only=["ta01"] if quick else None, steps_scale=0.05 if quick else 1.0)
    return Result(text, {"table": text},
                  "CPU time (`time.process_time`) per step, median of 3 runs of 20,000 "
                  "(compiled) or 200 (plain Python) steps from the `mwkr` schedule")


def scale_section(quick: bool):
    """Time per decision of the one-pass policy, plant-shaped instances of 10 to 2,000 jobs."""
    from bench.harness import Result
    text = _capture(scale, jobs=(10, 50) if quick else None)
    return Result(text, {"table": text},
                  "CPU time (`time.process_time`) of one dispatch with the shipped policy, "
                  "median of 3, on plants of `petri generate-plant` shape (machines and hours "
                  "of work in proportion to the jobs as in the 411 x 149 plant, seed 1); a "
                  "decision is a choice among two or more offered bindings")


SECTIONS = {"scheduling-one-pass": one_pass_section, "scheduling-plant": plant_section,
            "scheduling-scale": scale_section,
            "scheduling-tabu": tabu_section}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("part", choices=["quick", "limit", "scale", "plant", "plants", "tabu"])
    p.add_argument("--time-limit", type=float, default=60)
    p.add_argument("--subset", default=DEFAULT_SUBSET)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="bench_scheduling.csv", help="CSV file the raw rows go to")
    args = p.parse_args()
    {"quick": quick, "limit": limit, "scale": scale, "plant": plant, "plants": plants,
     "tabu": tabu}[args.part](args)


if __name__ == "__main__":
    main()

"""The compiled policy pass's kernel, this source tree's against another's, in one process.

    python bench/bench_pass.py --side-by-side TREE [--rounds 41] [--jobs 411] [--seed 1]

Both trees' ``control/scheduling/_passkernel.py`` (each with its own ``features.py``) are
compiled by numba in this process and run, taking turns round by round on one core, on the
plant of ``petri generate-plant`` with those jobs (149 machines for 411 jobs, as many in
proportion otherwise; 14,951 hours) and the shipped policy; the inputs are made by this tree's
``onepass._run`` (so both kernels must take the same arguments), the schedules must be the
same. Printed: the CPU time of the kernel call alone (without making its inputs and reading
its results), the smallest and the median of the rounds, and the median of the per-round
ratios TREE / this. The smallest is the steadiest figure on a machine that other work keeps
busy.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import source_tree  # noqa: E402
from petri.cli import whole_number  # noqa: E402


def load_kernel(tree: Path, tag: str):
    """``tree``'s kernel functions compiled, as ``onepass.kernel`` compiles them."""
    import numba
    folder = tree / "control" / "scheduling"
    spec = importlib.util.spec_from_file_location(f"_bench_features_{tag}", folder / "features.py")
    features = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = features
    spec.loader.exec_module(features)
    source = (folder / "_passkernel.py").read_text().replace(
        "from .features import", f"from {spec.name} import")
    K = types.ModuleType(f"_bench_kernel_{tag}")
    K.__file__ = str(folder / "_passkernel.py")
    exec(compile(source, K.__file__, "exec"), K.__dict__)
    g = {"np": np, "math": K.math, "__name__": K.__name__, "__file__": K.__file__}
    g.update({k: getattr(K, k) for k in dir(K) if k.isupper()})
    for name in K.FUNCTIONS:
        f = getattr(K, name)
        clone = types.FunctionType(f.__code__, g, name, f.__defaults__)
        fastmath = {"reassoc", "contract"} if name in K.REASSOCIATED else False
        g[name] = numba.njit(nogil=True, fastmath=fastmath)(clone)
    return types.SimpleNamespace(**{k: g[k] for k in K.FUNCTIONS})


def side_by_side(other: str, rounds: int = 41, jobs: int = 411, seed: int = 1,
                 cpu: int = 1) -> dict:
    from control.scheduling import onepass
    from control.scheduling.generate import generate_plant
    from control.scheduling.policy import shipped_policy
    os.sched_setaffinity(0, {cpu})
    kernels = {"this": load_kernel(ROOT, "this"), "TREE": load_kernel(Path(other).resolve(), "tree")}
    policy = shipped_policy()
    inst = generate_plant(jobs=jobs, machines=max(1, round(jobs * 149 / 411)), hours=14951,
                          seed=seed)
    made = {name: [(o.job, o.operation, o.machine, o.start, o.end, o.pieces)
                   for o in onepass._run(inst, policy, k)] for name, k in kernels.items()}
    if made["this"] != made["TREE"]:
        raise SystemExit("the two kernels made different schedules")
    times: dict[str, list[float]] = {name: [] for name in kernels}

    def timed(name):
        k = kernels[name]

        def run(*args):
            t0 = time.process_time()
            k.policy_pass(*args)
            times[name].append(1000 * (time.process_time() - t0))
        return types.SimpleNamespace(policy_pass=run)

    for r in range(rounds):
        for name in (("this", "TREE") if r % 2 == 0 else ("TREE", "this")):
            onepass._run(inst, policy, timed(name))
    return {"operations": len(made["this"]),
            "ms": {name: (round(min(v), 1), round(statistics.median(v), 1))
                   for name, v in times.items()},
            "ratio": round(statistics.median(b / a for a, b in zip(times["this"],
                                                                   times["TREE"])), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--side-by-side", metavar="TREE", required=True, type=source_tree)
    ap.add_argument("--rounds", type=whole_number(1), default=41)
    ap.add_argument("--jobs", type=int, default=411)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cpu", type=int, default=1)
    args = ap.parse_args()
    out = side_by_side(args.side_by_side, args.rounds, args.jobs, args.seed, args.cpu)
    load = os.getloadavg()[0]
    print(f"kernel of the policy pass, {args.jobs}-job plant (seed {args.seed}, "
          f"{out['operations']} operations), CPU ms, {args.rounds} rounds, load average "
          f"{load:.1f}")
    for name, (low, mid) in out["ms"].items():
        print(f"  {name:5} smallest {low:6.1f}   median {mid:6.1f}")
    print(f"  TREE / this, median of the rounds' ratios: {out['ratio']}")


if __name__ == "__main__":
    main()

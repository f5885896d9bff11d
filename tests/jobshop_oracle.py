"""The optimum of a tiny job shop by trying every machine order (for hand-sized tests only)."""
import itertools

from control.scheduling.improve import Solution, _Index, timing


def brute_force_optimum(inst):
    idx = _Index(inst)
    per = [[o for o, op in enumerate(idx.ops) if op.machines[0] == m]
           for m in range(inst.n_machines)]
    best = None
    for orders in itertools.product(*[list(itertools.permutations(p)) for p in per]):
        t = timing(idx, Solution([op.machines[0] for op in idx.ops], [list(x) for x in orders]))
        if t is not None and (best is None or max(t[1]) < best):
            best = max(t[1])
    return best

"""The tabu search's inner loop on plain integer arrays (compiled by numba when installed).

Every function here is plain Python over numpy arrays and numbers, in the subset numba
compiles; ``control.scheduling.localsearch`` runs them as they are or compiled. The search
state lives in arrays the caller owns, so the search can go on in slices between which the
caller looks at the clock.

Operations are numbered job by job; ``seq[m, :seqlen[m]]`` is machine ``m``'s order.
Heads ``r`` (earliest start) and tails ``q`` (longest path after the operation's end) come
from one pass in topological order; a move's makespan is estimated from them by re-timing
only the operations whose machine order it changes (Taillard; Dell'Amico and Trubian).
"""
import numpy as np

# state[...] indices
IT, SINCE, BEST, CUR, RUNBEST, RESTARTS = 0, 1, 2, 3, 4, 5


def seed_rng(seed):
    np.random.seed(seed)


def links(seq, seqlen, mpred, msucc, pos):
    """Machine predecessor, successor and position of every operation from ``seq``."""
    for m in range(seq.shape[0]):
        k = seqlen[m]
        for i in range(k):
            o = seq[m, i]
            pos[o] = i
            mpred[o] = seq[m, i - 1] if i > 0 else -1
            msucc[o] = seq[m, i + 1] if i + 1 < k else -1


def heads_tails(jpred, jsucc, mpred, msucc, dur, rel, r, q, order, indeg):
    """Heads and tails; the makespan, or -1 when the orders make a cycle."""
    n = dur.shape[0]
    top = 0
    for o in range(n):
        d = 0
        if jpred[o] >= 0:
            d += 1
        if mpred[o] >= 0:
            d += 1
        indeg[o] = d
        if d == 0:
            order[top] = o
            top += 1
    head = 0
    while head < top:
        o = order[head]
        head += 1
        t = rel[o]
        a = jpred[o]
        if a >= 0 and r[a] + dur[a] > t:
            t = r[a] + dur[a]
        a = mpred[o]
        if a >= 0 and r[a] + dur[a] > t:
            t = r[a] + dur[a]
        r[o] = t
        a = jsucc[o]
        if a >= 0:
            indeg[a] -= 1
            if indeg[a] == 0:
                order[top] = a
                top += 1
        a = msucc[o]
        if a >= 0:
            indeg[a] -= 1
            if indeg[a] == 0:
                order[top] = a
                top += 1
    if top < n:
        return -1
    ms = 0
    for i in range(n - 1, -1, -1):
        o = order[i]
        t = 0
        a = jsucc[o]
        if a >= 0 and q[a] + dur[a] > t:
            t = q[a] + dur[a]
        a = msucc[o]
        if a >= 0 and q[a] + dur[a] > t:
            t = q[a] + dur[a]
        q[o] = t
        if r[o] + dur[o] + t > ms:
            ms = r[o] + dur[o] + t
    return ms


def critical_moves(jsucc, mach, msucc, dur, r, q, ms, seqlen, pos, path, moves):
    """The moves on one critical path (ties broken at random): for each block (a run of
    critical operations one after the other on a machine), each operation moved to the
    block's front or end, and the first and last operations moved inside it (N7 of Zhang
    et al.). ``moves[k] = (machine, from position, to position)``; returns their number."""
    n = dur.shape[0]
    # start: a critical operation with no critical predecessor (smallest head), at random
    start = -1
    best_r = -1
    ties = 0
    for o in range(n):
        if r[o] + dur[o] + q[o] == ms:
            if start < 0 or r[o] < best_r:
                start, best_r, ties = o, r[o], 1
            elif r[o] == best_r:
                ties += 1
                if np.random.randint(ties) == 0:
                    start = o
    k = 0
    o = start
    while o >= 0:
        path[k] = o
        k += 1
        end = r[o] + dur[o]
        a = msucc[o]
        b = jsucc[o]
        ok_a = a >= 0 and r[a] == end and q[o] == dur[a] + q[a]
        ok_b = b >= 0 and r[b] == end and q[o] == dur[b] + q[b]
        if ok_a and ok_b:
            o = a if np.random.randint(2) == 0 else b
        elif ok_a:
            o = a
        elif ok_b:
            o = b
        else:
            o = -1
    nm = 0
    i = 0
    while i < k:
        j = i
        while j + 1 < k and msucc[path[j]] == path[j + 1]:
            j += 1
        if j > i:
            m = mach[path[i]]
            ps = pos[path[i]]
            pe = pos[path[j]]
            for x in range(ps + 1, pe + 1):          # to the front (the first: a swap)
                moves[nm, 0], moves[nm, 1], moves[nm, 2] = m, x, ps
                nm += 1
            for x in range(ps, pe):                  # to the end
                if x == pe - 1 and pe - 1 == ps:
                    continue                         # the same swap as above
                moves[nm, 0], moves[nm, 1], moves[nm, 2] = m, x, pe
                nm += 1
            for x in range(ps + 2, pe):              # the first inside
                moves[nm, 0], moves[nm, 1], moves[nm, 2] = m, ps, x
                nm += 1
            for x in range(ps + 1, pe - 1):          # the last inside
                moves[nm, 0], moves[nm, 1], moves[nm, 2] = m, pe, x
                nm += 1
        i = j + 1
    return nm


def estimate(seq, seqlen, m, p, t, jpred, jsucc, dur, rel, r, q, seg, hh, tt):
    """The makespan estimated after moving the operation at position ``p`` of machine
    ``m`` to position ``t``: the moved stretch re-timed from the heads and tails around it."""
    lo = p if p < t else t
    hi = t if p < t else p
    k = 0
    if p < t:
        for x in range(p + 1, t + 1):
            seg[k] = seq[m, x]
            k += 1
        seg[k] = seq[m, p]
        k += 1
    else:
        seg[k] = seq[m, p]
        k += 1
        for x in range(t, p):
            seg[k] = seq[m, x]
            k += 1
    prev_end = -1
    if lo > 0:
        a = seq[m, lo - 1]
        prev_end = r[a] + dur[a]
    for i in range(k):
        o = seg[i]
        h = rel[o]
        a = jpred[o]
        if a >= 0 and r[a] + dur[a] > h:
            h = r[a] + dur[a]
        if prev_end > h:
            h = prev_end
        hh[i] = h
        prev_end = h + dur[o]
    nxt = -1
    if hi + 1 < seqlen[m]:
        a = seq[m, hi + 1]
        nxt = q[a] + dur[a]
    est = 0
    for i in range(k - 1, -1, -1):
        o = seg[i]
        v = 0
        a = jsucc[o]
        if a >= 0 and q[a] + dur[a] > v:
            v = q[a] + dur[a]
        if nxt > v:
            v = nxt
        tt[i] = v
        nxt = v + dur[o]
        if hh[i] + dur[o] + v > est:
            est = hh[i] + dur[o] + v
    return est


def is_tabu(seq, m, p, t, job, tabu, it):
    """Whether the move puts back an order its tabu list forbids."""
    u = seq[m, p]
    if p < t:
        for x in range(p + 1, t + 1):
            if tabu[seq[m, x], job[u]] > it:
                return True
    else:
        for x in range(t, p):
            if tabu[u, job[seq[m, x]]] > it:
                return True
    return False


def forbid(seq, m, p, t, job, tabu, until):
    """After moving position ``p`` to ``t``: forbid putting the moved operation back."""
    u = seq[m, t]
    if p < t:
        for x in range(p, t):               # u now after seq[p..t-1]
            tabu[u, job[seq[m, x]]] = until
    else:
        for x in range(t + 1, p + 1):       # u now before seq[t+1..p]
            tabu[seq[m, x], job[u]] = until


def apply_move(seq, seqlen, m, p, t, mpred, msucc, pos):
    u = seq[m, p]
    if p < t:
        for x in range(p, t):
            seq[m, x] = seq[m, x + 1]
    else:
        for x in range(p, t, -1):
            seq[m, x] = seq[m, x - 1]
    seq[m, t] = u
    lo = p if p < t else t
    hi = t if p < t else p
    k = seqlen[m]
    a = lo - 1 if lo > 0 else 0
    b = hi + 1 if hi + 1 < k else k - 1
    for i in range(a, b + 1):
        o = seq[m, i]
        pos[o] = i
        mpred[o] = seq[m, i - 1] if i > 0 else -1
        msucc[o] = seq[m, i + 1] if i + 1 < k else -1


def search(jpred, jsucc, dur, rel, job, mach, seq, seqlen, best_seq, elite, elite_ms,
           tabu, state, iterations, patience, tenure_lo, tenure_hi, lower_bound):
    """``iterations`` steps of tabu search from ``seq`` (changed in place). ``best_seq``
    keeps the best orders found (makespan ``state[BEST]``), ``elite`` the best few of each
    run; after ``patience`` steps without a better schedule the run starts again from an
    elite schedule with a few random moves."""
    n = dur.shape[0]
    mpred = np.empty(n, np.int64)
    msucc = np.empty(n, np.int64)
    pos = np.empty(n, np.int64)
    r = np.empty(n, np.int64)
    q = np.empty(n, np.int64)
    order = np.empty(n, np.int64)
    indeg = np.empty(n, np.int64)
    path = np.empty(n, np.int64)
    moves = np.empty((4 * n + 4, 3), np.int64)
    est = np.empty(4 * n + 4, np.int64)
    seg = np.empty(n, np.int64)
    hh = np.empty(n, np.int64)
    tt = np.empty(n, np.int64)
    links(seq, seqlen, mpred, msucc, pos)
    ms = heads_tails(jpred, jsucc, mpred, msucc, dur, rel, r, q, order, indeg)
    if ms < 0:
        return -1
    n_elite = elite.shape[0]
    for _ in range(iterations):
        if state[BEST] <= lower_bound:
            break
        state[IT] += 1
        it = state[IT]
        nm = critical_moves(jsucc, mach, msucc, dur, r, q, ms, seqlen, pos, path, moves)
        restart = nm == 0
        if not restart:
            for k in range(nm):
                est[k] = estimate(seq, seqlen, moves[k, 0], moves[k, 1], moves[k, 2], jpred,
                                  jsucc, dur, rel, r, q, seg, hh, tt)
            done = False
            for _try in range(nm):
                chosen = -1
                for k in range(nm):
                    if est[k] < 0:
                        continue
                    if is_tabu(seq, moves[k, 0], moves[k, 1], moves[k, 2], job, tabu, it) \
                            and est[k] >= state[BEST]:
                        continue
                    if chosen < 0 or est[k] < est[chosen] or (
                            est[k] == est[chosen] and np.random.randint(2) == 0):
                        chosen = k
                if chosen < 0:                    # all tabu: any move not tried
                    for k in range(nm):
                        if est[k] >= 0 and (chosen < 0 or np.random.randint(2) == 0):
                            chosen = k
                if chosen < 0:
                    break
                m, p, t = moves[chosen, 0], moves[chosen, 1], moves[chosen, 2]
                apply_move(seq, seqlen, m, p, t, mpred, msucc, pos)
                new = heads_tails(jpred, jsucc, mpred, msucc, dur, rel, r, q, order, indeg)
                if new < 0:                       # a cycle: undo, try the next move
                    apply_move(seq, seqlen, m, t, p, mpred, msucc, pos)
                    est[chosen] = -1
                    continue
                forbid(seq, m, p, t, job, tabu, it + tenure_lo
                       + np.random.randint(tenure_hi - tenure_lo + 1))
                ms = new
                done = True
                break
            if not done:
                ms = heads_tails(jpred, jsucc, mpred, msucc, dur, rel, r, q, order, indeg)
                restart = True
        if not restart:
            if ms < state[RUNBEST]:
                state[RUNBEST] = ms
                state[SINCE] = 0
                if ms < state[BEST]:
                    state[BEST] = ms
                    best_seq[:, :] = seq
                # keep it among the elite: replace the worst if better and not there yet
                worst = 0
                same = False
                for e in range(n_elite):
                    if elite_ms[e] == ms:
                        same = True
                    if elite_ms[e] > elite_ms[worst]:
                        worst = e
                if not same and ms < elite_ms[worst]:
                    elite[worst, :, :] = seq
                    elite_ms[worst] = ms
            else:
                state[SINCE] += 1
                if state[SINCE] > patience:
                    restart = True
        if restart:
            state[RESTARTS] += 1
            e = np.random.randint(n_elite)
            if elite_ms[e] >= np.iinfo(np.int64).max // 2:
                seq[:, :] = best_seq
            else:
                seq[:, :] = elite[e]
            links(seq, seqlen, mpred, msucc, pos)
            ms = heads_tails(jpred, jsucc, mpred, msucc, dur, rel, r, q, order, indeg)
            tabu[:, :] = 0
            # a few random critical moves that keep the orders acyclic
            kicks = 2 + np.random.randint(4)
            for _k in range(kicks):
                nm = critical_moves(jsucc, mach, msucc, dur, r, q, ms, seqlen, pos, path, moves)
                if nm == 0:
                    break
                c = np.random.randint(nm)
                m, p, t = moves[c, 0], moves[c, 1], moves[c, 2]
                apply_move(seq, seqlen, m, p, t, mpred, msucc, pos)
                new = heads_tails(jpred, jsucc, mpred, msucc, dur, rel, r, q, order, indeg)
                if new < 0:
                    apply_move(seq, seqlen, m, t, p, mpred, msucc, pos)
                    ms = heads_tails(jpred, jsucc, mpred, msucc, dur, rel, r, q, order, indeg)
                else:
                    ms = new
            state[RUNBEST] = ms
            state[SINCE] = 0
            if ms < state[BEST]:
                state[BEST] = ms
                best_seq[:, :] = seq
    state[CUR] = ms
    return state[BEST]


FUNCTIONS = ("seed_rng", "links", "heads_tails", "critical_moves", "estimate", "is_tabu",
             "forbid", "apply_move", "search")

"""The greedy policy's one pass on plain integer and float arrays (compiled by numba).

The same dispatch as ``control.scheduling.dispatch.dispatch`` with a greedy
``PolicyController``: the same events in the same order, the same bindings offered at each
decision (sorted by job, then machine), the same features (``features.fill_features``, the
one definition, called here) and the policy's network applied row by row; the binding with
the highest score is taken (the first of those within ``tie`` of it, as
``policy.greedy_choice``). A row whose score is bound to lie too far below the best to be
taken goes only part of the way through the network (``scores``). Every function
here is plain Python over numpy arrays and numbers, in the subset numba compiles;
``control.scheduling.onepass`` runs them compiled (or, for tests, as they are).

Operations are numbered job by job (job ``j``'s ``k``-th is ``first_op[j] + k``); the
machines an operation can run on are ``entry_machine[e]`` and ``entry_duration[e]`` for
``e`` from ``entry_first[o]`` to ``entry_first[o + 1]``. Calendars are the working windows
``win_start``/``win_end`` of calendar ``c`` from ``cal_first[c]`` to ``cal_first[c + 1]``,
every window that starts before ``covered[c]``; a look-up past that stops the pass with
``NEED_WINDOWS`` and the caller lays out more windows and runs it again.
"""
import math

import numpy as np

from .features import N_FEATURES, NONE_SHORTER, fill_features, starting_state

JOB, MACHINE, RESUME = 0, 1, 2
# what policy_pass returns in status[0]
DONE, NEED_WINDOWS, NEED_PIECES, STOPPED = 0, 1, 2, 3
# status[...] indices
STATUS, RESULTS, PIECES = 0, 1, 2

FUNCTIONS = ["fill_features", "starting_state", "heap_push", "heap_pop", "window_at", "next_start",
             "score_bound_gain", "scores", "tanh_of_sum", "add_piece", "run_piece",
             "policy_pass"]
#: compiled allowing sums in any order and fused multiply-adds (the network's sums, which
#: differ from numpy's BLAS in the last bits either way)
REASSOCIATED = {"scores", "tanh_of_sum"}
# exp(y) = 2^k exp(r): log2(e), ln 2 in two parts (k times the first is exact), the Taylor
# coefficients 1/i!
LOG2_E = 1.4426950408889634
LN2_HIGH = 6.93147180369123816490e-01
LN2_LOW = 1.90821492927058770002e-10
C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13 = (1.0 / math.factorial(i)
                                                      for i in range(2, 14))
#: added to a bound on a score: far more than the rounding of the network's sums (about
#: 1e-15 of their terms) can make a computed score differ from the exact one
BOUND_MARGIN = 1e-9


def heap_push(heap, size, t, kind, x):
    """Push ``(t, kind, x)`` on the heap ``heap[0..2, :size]`` (ordered as tuples, as
    ``heapq`` orders them); the heap (a larger copy when it was full) and its new size."""
    if size == heap.shape[1]:
        bigger = np.empty((3, 2 * size + 16), dtype=heap.dtype)
        bigger[:, :size] = heap[:, :size]
        heap = bigger
    i = size
    while i > 0:
        p = (i - 1) >> 1
        pt, pk, px = heap[0, p], heap[1, p], heap[2, p]
        if pt < t or (pt == t and (pk < kind or (pk == kind and px <= x))):
            break
        heap[0, i], heap[1, i], heap[2, i] = pt, pk, px
        i = p
    heap[0, i], heap[1, i], heap[2, i] = t, kind, x
    return heap, size + 1


def heap_pop(heap, size):
    """Remove the smallest entry (``heap[:, 0]``, read it before); the new size."""
    size -= 1
    t, kind, x = heap[0, size], heap[1, size], heap[2, size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size:
            at, ak, ax = heap[0, c], heap[1, c], heap[2, c]
            bt, bk, bx = heap[0, c + 1], heap[1, c + 1], heap[2, c + 1]
            if bt < at or (bt == at and (bk < ak or (bk == ak and bx < ax))):
                c += 1
        ct, ck, cx = heap[0, c], heap[1, c], heap[2, c]
        if t < ct or (t == ct and (kind < ck or (kind == ck and x <= cx))):
            break
        heap[0, i], heap[1, i], heap[2, i] = ct, ck, cx
        i = c
    heap[0, i], heap[1, i], heap[2, i] = t, kind, x
    return size


def window_at(win_start, win_end, lo, hi, covered, t):
    """The window of ``win_start[lo:hi]`` open at ``t``: (1, start, end), (0, 0, 0) when
    none is, (-1, 0, 0) when ``t`` is past the windows laid out."""
    if t >= covered:
        return -1, 0, 0
    k = lo + np.searchsorted(win_start[lo:hi], t, side="right") - 1
    if k >= lo and t < win_end[k]:
        return 1, win_start[k], win_end[k]
    return 0, 0, 0


def next_start(win_start, lo, hi, t):
    """The start of the first window after ``t``, or -1 when it is not laid out yet."""
    k = lo + np.searchsorted(win_start[lo:hi], t, side="right")
    if k < hi:
        return win_start[k]
    return -1


def score_bound_gain(w2, w3):
    """``gain[a]``: how far the score can move per unit that the first hidden layer's
    ``a``-th output moves, ``sum_b |w2[a, b]| |w3[b]|`` (tanh moves its output at most as
    far as its input)."""
    H1 = w2.shape[0]
    gain = np.zeros(H1, dtype=np.float64)
    for a in range(H1):
        for b in range(w2.shape[1]):
            gain[a] += abs(w2[a, b]) * abs(w3[b])
    return gain


def scores(x, n, entry, out, mean, inv_scale, w1, b1, w2, b2, w3, b3, tie, gain,
           ref_pre, ref_h1, ref_s, has_ref, pre, upper, z, h1, h2, bits):
    """The network's score of each of the ``n`` rows of ``x`` (as ``Policy.scores``), except
    that a row which cannot be the greedy choice may get ``-inf`` instead: the choice (the
    first row within ``tie`` of the best) is the same.

    Row ``i`` is the binding numbered ``entry[i]``. For every binding scored before
    (``has_ref``), ``ref_pre`` and ``ref_h1`` hold its first hidden layer then, before and
    after tanh (``H1`` numbers from ``entry * H1``), and ``ref_s`` its score. As tanh moves
    its output at most as far as its input, ``|s - ref_s| <= sum_a gain[a] |h1[a] -
    ref_h1[a]| <= sum_a gain[a] |pre[a] - ref_pre[a]|`` (``score_bound_gain``). The rows
    without a reference and the one likely best are scored first; then a row whose bound
    lies below the best score so far by more than ``tie`` (with ``BOUND_MARGIN`` for the
    rounding) is neither the best nor within ``tie`` of it, and is left at ``-inf`` after
    its first layer (or after its tanh). The scored rows become the bindings' references.
    ``pre`` (``n * H1``), ``upper`` (``n``), ``z``, ``h1``, ``h2``, ``bits`` (one int64 per
    hidden unit): scratch."""
    F = mean.shape[0]
    H1 = w1.shape[1]
    H2 = w2.shape[1]
    first = -1
    top = -np.inf
    for i in range(n):                   # the first layer of every row, and its bound
        for k in range(F):
            z[k] = (x[i * F + k] - mean[k]) * inv_scale[k]
        for a in range(H1):
            h1[a] = 0.0
        for k in range(F):
            zk = z[k]
            for a in range(H1):
                h1[a] += zk * w1[k, a]
        r = i * H1
        for a in range(H1):
            pre[r + a] = h1[a]
        e = entry[i]
        if has_ref[e]:
            q = e * H1
            d = 0.0
            for a in range(H1):
                d += gain[a] * abs(h1[a] - ref_pre[q + a])
            upper[i] = ref_s[e] + d + BOUND_MARGIN
            if ref_s[e] - d > top:
                top = ref_s[e] - d
                first = i
        else:
            upper[i] = np.inf
    best = -np.inf
    for sweep in range(2):               # 0: the rows scored in any case; 1: the others
        for i in range(n):
            if (i == first or upper[i] == np.inf) != (sweep == 0):
                continue
            if sweep == 1 and upper[i] < best - tie:
                out[i] = -np.inf
                continue
            e = entry[i]
            r = i * H1
            q = e * H1
            for a in range(H1):
                h1[a] = pre[r + a]
            tanh_of_sum(h1, b1, H1, bits)
            if sweep == 1:
                d = 0.0
                for a in range(H1):
                    d += gain[a] * abs(h1[a] - ref_h1[q + a])
                if ref_s[e] + d + BOUND_MARGIN < best - tie:
                    out[i] = -np.inf
                    continue
            for a in range(H2):
                h2[a] = 0.0
            for k in range(H1):
                hk = h1[k]
                for a in range(H2):
                    h2[a] += hk * w2[k, a]
            tanh_of_sum(h2, b2, H2, bits)
            s = 0.0
            for a in range(H2):
                s += h2[a] * w3[a]
            s += b3
            out[i] = s
            for a in range(H1):
                ref_pre[q + a] = pre[r + a]
                ref_h1[q + a] = h1[a]
            ref_s[e] = s
            has_ref[e] = True
            if s > best:
                best = s


def tanh_of_sum(h, b, n, bits):
    """``h[a] = tanh(h[a] + b[a])`` for ``a < n``, as 1 - 2 / (1 + exp(2 x)) with exp(y)
    written out as 2^k p(r) (y = k ln 2 + r, |r| <= ln 2 / 2, p the Taylor polynomial of
    degree 13, 2^k put together from its bits in ``bits``): plain arithmetic that the
    compiler turns into vector instructions, where the C library's exp is called one value
    at a time (the network's scores take a third less time on the 411-job plant); within
    1e-15 of tanh. Beyond |y| = 40, tanh is 1 or -1 in doubles either way."""
    for a in range(n):
        y = 2.0 * (h[a] + b[a])
        y = min(max(y, -40.0), 40.0)
        k = np.floor(y * LOG2_E + 0.5)
        r = (y - k * LN2_HIGH) - k * LN2_LOW
        h[a] = 1.0 + r * (1.0 + r * (C2 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * (
            C7 + r * (C8 + r * (C9 + r * (C10 + r * (C11 + r * (C12 + r * C13))))))))))))
        bits[a] = (np.int64(k) + 1023) << 52
    power = bits.view(np.float64)
    for a in range(n):
        h[a] = 1.0 - 2.0 / (1.0 + h[a] * power[a])


def add_piece(pieces, status, head, tail, j, start, end):
    """Record a piece of job ``j``'s running operation; False when ``pieces`` is full."""
    p = status[PIECES]
    if p >= pieces.shape[1]:
        return False
    status[PIECES] = p + 1
    pieces[0, p], pieces[1, p], pieces[2, p] = start, end, -1
    if head[j] < 0:
        head[j] = p
    else:
        pieces[2, tail[j]] = p
    tail[j] = p
    return True


def run_piece(j, k, m, t, work, machine_calendar, cal_first, win_start, win_end, covered,
              heap, size, pieces, status, head, tail, suspended, results, free, ready,
              next_op, n_ops):
    """Job ``j``'s operation ``k`` works on machine ``m`` from ``t``: all of ``work``, or up
    to the end of the working window (the rest goes on when the next one opens). The heap
    and its size; size -1 when the pass must stop (``status`` says why)."""
    c = machine_calendar[m]
    end = t + work
    if c >= 0:
        found, w_start, w_end = window_at(win_start, win_end, cal_first[c], cal_first[c + 1],
                                          covered[c], t)
        if found <= 0:                   # 0: never expected, the caller falls back
            status[STATUS] = NEED_WINDOWS if found < 0 else STOPPED
            return heap, -1
        end = t + min(work, w_end - t)
    if not add_piece(pieces, status, head, tail, j, t, end):
        status[STATUS] = NEED_PIECES
        return heap, -1
    left = work - (end - t)
    free[m] = end
    heap, size = heap_push(heap, size, end, MACHINE, m)
    if left > 0:
        suspended[0, j], suspended[1, j], suspended[2, j] = k, m, left
        when = next_start(win_start, cal_first[c], cal_first[c + 1], end - 1)
        if when < 0:
            status[STATUS] = NEED_WINDOWS
            return heap, -1
        return heap_push(heap, size, when, RESUME, j)
    r = status[RESULTS]
    status[RESULTS] = r + 1
    results[0, r], results[1, r], results[2, r] = j, k, m
    results[3, r], results[4, r], results[5, r] = pieces[0, head[j]], end, head[j]
    head[j] = -1
    ready[j] = end
    next_op[j] = k + 1
    if k + 1 < n_ops[j]:
        return heap_push(heap, size, end, JOB, j)
    return heap, size


def policy_pass(release, n_ops, due, has_due, priority, entry_first, entry_machine,
                entry_duration, op_splittable, machine_calendar, machine_week,
                cal_first, win_start, win_end, covered,
                mean, inv_scale, w1, b1, w2, b2, w3, b3, tie,
                results, pieces, status):
    """Dispatch every operation; ``results[:, r]`` = (job, operation, machine, start, end,
    first piece) in the order operations finish, ``pieces[:, p]`` = (start, end, next piece
    of the same operation or -1). ``status``: (DONE / NEED_WINDOWS / NEED_PIECES / STOPPED,
    results, pieces); STOPPED at once when an operation lists a machine twice. Per job:
    ``release``, ``n_ops`` (its operations), ``due`` and ``has_due``, ``priority``; per
    machine: ``machine_calendar`` (-1: none) and ``machine_week`` (``features.week_shares``).
    The per-job and per-machine state is the dispatcher's ``Shop``'s
    (``features.starting_state``) and changes as it would."""
    J = release.shape[0]
    M = machine_calendar.shape[0]
    E = entry_machine.shape[0]
    O = entry_first.shape[0] - 1
    status[RESULTS] = 0
    status[PIECES] = 0
    status[STATUS] = STOPPED
    first_op = np.zeros(J, dtype=np.int64)
    entry_job = np.empty(E, dtype=np.int64)
    o = 0
    for j in range(J):
        first_op[j] = o
        for e in range(entry_first[o], entry_first[o + n_ops[j]]):
            entry_job[e] = j
        o += n_ops[j]
    seen = np.full(M, -1, dtype=np.int64)     # an operation listing a machine twice: stop
    for o in range(O):
        for e in range(entry_first[o], entry_first[o + 1]):
            if seen[entry_machine[e]] == o:
                return
            seen[entry_machine[e]] = o
    op_min = np.empty(O, dtype=np.int64)
    op_n_machines = np.empty(O, dtype=np.int64)
    op_mean = np.empty(O, dtype=np.float64)
    op_time_left = np.empty(O, dtype=np.float64)
    remaining_work = np.empty(J, dtype=np.float64)
    load = np.zeros(M, dtype=np.float64)
    total_work, mean_sum = starting_state(entry_first, entry_machine, entry_duration, first_op,
                                          n_ops, 1.0 / machine_week, op_min, op_n_machines,
                                          op_mean, op_time_left, remaining_work, load)
    op_share = np.empty(O, dtype=np.float64)
    for o in range(O):
        op_share[o] = op_mean[o] / op_n_machines[o]
    mean_duration = mean_sum / max(1, O)
    if mean_duration == 0:
        mean_duration = 1.0
    inv_mean = 1.0 / mean_duration
    top_priority = 1.0
    if J > 0:
        top_priority = priority[0]
        for j in range(1, J):
            if priority[j] > top_priority:
                top_priority = priority[j]
        if top_priority == 0:
            top_priority = 1.0
    n_operations = max(1, O)
    next_op = np.zeros(J, dtype=np.int64)
    ready = release.copy()
    remaining_ops = n_ops.copy()
    free = np.zeros(M, dtype=np.int64)
    heap = np.empty((3, 2 * M + 2 * J + 16), dtype=np.int64)
    size = 0
    for j in range(J):
        if n_ops[j] > 0:
            heap, size = heap_push(heap, size, release[j], JOB, j)
    # the jobs waiting for each machine: entries e in queue[qfirst[m]:qfirst[m] + qlen[m]]
    qfirst = np.zeros(M + 1, dtype=np.int64)
    for e in range(E):
        qfirst[entry_machine[e] + 1] += 1
    for m in range(M):
        qfirst[m + 1] += qfirst[m]
    queue = np.empty(E, dtype=np.int64)
    qlen = np.zeros(M, dtype=np.int64)
    qpos = np.zeros(E, dtype=np.int64)
    suspended = np.zeros((3, J), dtype=np.int64)     # operation, machine, work left
    head = np.full(J, -1, dtype=np.int64)
    tail = np.full(J, -1, dtype=np.int64)
    last_recheck = np.full(M, -1, dtype=np.int64)
    is_touched = np.zeros(M, dtype=np.bool_)
    touched = np.empty(M, dtype=np.int64)
    resumes = np.empty(J, dtype=np.int64)
    cj = np.empty(E, dtype=np.int64)
    cm = np.empty(E, dtype=np.int64)
    cd = np.empty(E, dtype=np.int64)
    ce = np.empty(E, dtype=np.int64)
    order = np.empty(E, dtype=np.int64)
    x = np.empty(E * N_FEATURES, dtype=np.float64)
    time_left = np.empty(E, dtype=np.float64)
    s = np.empty(E, dtype=np.float64)
    z = np.empty(mean.shape[0], dtype=np.float64)
    h1 = np.empty(w1.shape[1], dtype=np.float64)
    h2 = np.empty(w2.shape[1], dtype=np.float64)
    bits = np.empty(max(w1.shape[1], w2.shape[1]), dtype=np.int64)
    gain = score_bound_gain(w2, w3)
    ref_pre = np.empty(E * w1.shape[1], dtype=np.float64)    # see scores
    ref_h1 = np.empty(E * w1.shape[1], dtype=np.float64)
    ref_s = np.empty(E, dtype=np.float64)
    has_ref = np.zeros(E, dtype=np.bool_)
    pre = np.empty(E * w1.shape[1], dtype=np.float64)
    upper = np.empty(E, dtype=np.float64)
    per_machine = np.zeros(M, dtype=np.int64)
    best_on = np.full(M, NONE_SHORTER, dtype=np.int64)
    per_job = np.zeros(J, dtype=np.int64)
    scheduled = 0
    while size > 0:
        t = heap[0, 0]
        n_touched = 0
        n_resumes = 0
        while size > 0 and heap[0, 0] == t:
            kind, v = heap[1, 0], heap[2, 0]
            size = heap_pop(heap, size)
            if kind == MACHINE:
                if not is_touched[v]:
                    is_touched[v] = True
                    touched[n_touched] = v
                    n_touched += 1
            elif kind == JOB:
                o = first_op[v] + next_op[v]
                for e in range(entry_first[o], entry_first[o + 1]):
                    m = entry_machine[e]
                    qpos[e] = qlen[m]
                    queue[qfirst[m] + qlen[m]] = e
                    qlen[m] += 1
                    if not is_touched[m]:
                        is_touched[m] = True
                        touched[n_touched] = m
                        n_touched += 1
            else:
                resumes[n_resumes] = v
                n_resumes += 1
        # 1. split operations go on first (priority above every decision)
        resumes[:n_resumes].sort()
        for r in range(n_resumes):
            j = resumes[r]
            heap, size = run_piece(j, suspended[0, j], suspended[1, j], t, suspended[2, j],
                                   machine_calendar, cal_first, win_start, win_end, covered,
                                   heap, size, pieces, status, head, tail, suspended, results,
                                   free, ready, next_op, n_ops)
            if size < 0:
                return
        # 2. the enabled bindings among the jobs and machines that became ready
        n = 0
        touched[:n_touched].sort()
        for a in range(n_touched):
            m = touched[a]
            is_touched[m] = False
            if free[m] > t or qlen[m] == 0:
                continue
            c = machine_calendar[m]
            w_end = 0
            blocked = False
            if c >= 0:
                found, w_start, w_end = window_at(win_start, win_end, cal_first[c],
                                                  cal_first[c + 1], covered[c], t)
                if found < 0:
                    status[STATUS] = NEED_WINDOWS
                    return
                blocked = found == 0
            if not blocked:
                for q in range(qfirst[m], qfirst[m] + qlen[m]):
                    e = queue[q]
                    j = entry_job[e]
                    d = entry_duration[e]
                    if c >= 0 and t + d > w_end and not op_splittable[first_op[j] + next_op[j]]:
                        blocked = True
                        continue
                    cj[n], cm[n], cd[n], ce[n] = j, m, d, e
                    n += 1
            if blocked:                  # look again when the next working window opens
                when = next_start(win_start, cal_first[c], cal_first[c + 1], t)
                if when < 0:
                    status[STATUS] = NEED_WINDOWS
                    return
                if last_recheck[m] != when:
                    last_recheck[m] = when
                    heap, size = heap_push(heap, size, when, MACHINE, m)
        # bindings sorted by job, then machine
        for i in range(n):
            order[i] = cj[i] * M + cm[i]
        idx = np.argsort(order[:n])
        sj = cj[idx]
        sm = cm[idx]
        sd = cd[idx]
        se = ce[idx]
        cj[:n] = sj
        cm[:n] = sm
        cd[:n] = sd
        ce[:n] = se
        # 3. the policy chooses until nothing is enabled at this instant
        while n > 0:
            i = 0
            if n > 1:
                fill_features(x, n, cj, cm, cd, t, scheduled, total_work, next_op, first_op,
                              n_ops, ready, remaining_work, remaining_ops, due, has_due,
                              priority, op_min, op_n_machines, op_mean, free, load, inv_mean,
                              top_priority, n_operations, per_machine, best_on, per_job,
                              op_time_left, machine_week, time_left)
                scores(x, n, ce, s, mean, inv_scale, w1, b1, w2, b2, w3, b3, tie, gain, ref_pre,
                       ref_h1, ref_s, has_ref, pre, upper, z, h1, h2, bits)
                best = s[0]
                for a in range(1, n):
                    if s[a] > best:
                        best = s[a]
                while s[i] < best - tie:         # as policy.greedy_choice
                    i += 1
            j, m, work = cj[i], cm[i], cd[i]
            k = next_op[j]
            o = first_op[j] + k
            for e in range(entry_first[o], entry_first[o + 1]):
                q = entry_machine[e]         # job j leaves every machine's queue
                last = queue[qfirst[q] + qlen[q] - 1]
                queue[qfirst[q] + qpos[e]] = last
                qpos[last] = qpos[e]
                qlen[q] -= 1
            remaining_work[j] -= op_mean[o]
            total_work -= op_mean[o]
            remaining_ops[j] -= 1
            for e in range(entry_first[o], entry_first[o + 1]):
                load[entry_machine[e]] -= op_share[o]
            scheduled += 1
            heap, size = run_piece(j, k, m, t, work, machine_calendar, cal_first, win_start,
                                   win_end, covered, heap, size, pieces, status, head, tail,
                                   suspended, results, free, ready, next_op, n_ops)
            if size < 0:
                return
            kept = 0                     # the bindings of job j or machine m are gone
            for a in range(n):
                if cj[a] != j and cm[a] != m:
                    cj[kept], cm[kept], cd[kept], ce[kept] = cj[a], cm[a], cd[a], ce[a]
                    kept += 1
            n = kept
    status[STATUS] = DONE

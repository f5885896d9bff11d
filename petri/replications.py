"""Replications: run a stochastic net many times and estimate its measures with confidence.

One run of a net with random delays is one sample. ``replicate(net, 20, until=1000)`` runs 20
independent runs (seeds ``seed``, ``seed + 1``, ...; in worker processes when ``workers > 1``,
with results that do not depend on how many) and estimates, for each measure, the mean over
the runs and a Student-t confidence interval:

* ``finish``: when the last token became ready (for runs that end by themselves, not at
  ``until``);
* ``throughput`` of each transition: firings per time unit after the warm-up;
* ``tokens`` of each place: the time-average number of tokens after the warm-up (tokens not yet
  ready count: a part on a machine is in the machine's output place from the start);
* ``sojourn`` between two transitions: the mean time from a firing of the first to the firing
  of the second with the same value of a binding variable (a customer, an order, a job), for
  those that started after the warm-up.

>>> t_quantile(0.975, 9)    # doctest: +ELLIPSIS
2.262157...
"""
from __future__ import annotations

import math
import statistics
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable

from .errors import PetriError, NetError

__all__ = ["Estimate", "Sojourn", "Replications", "replicate", "run_measures", "t_quantile",
           "confidence_interval"]


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------

def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def _t_cdf(t: float, df: float) -> float:
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t distribution with ``df`` degrees of freedom."""
    if not 0 < p < 1 or df <= 0:
        raise ValueError("t_quantile needs 0 < p < 1 and df > 0")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    lo, hi = 0.0, 1.0
    while _t_cdf(hi, df) < p:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if _t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2


@dataclass(frozen=True)
class Estimate:
    """The mean of ``n`` replications' values and the half-width of its confidence interval
    (``None`` with fewer than two values)."""

    mean: float
    half_width: float | None
    n: int
    level: float = 0.95

    @property
    def low(self) -> float | None:
        return None if self.half_width is None else self.mean - self.half_width

    @property
    def high(self) -> float | None:
        return None if self.half_width is None else self.mean + self.half_width

    def contains(self, value: float) -> bool:
        return self.half_width is not None and self.low <= value <= self.high


def confidence_interval(values: Iterable[float], level: float = 0.95) -> Estimate:
    """Mean and Student-t confidence interval of independent samples.

    >>> e = confidence_interval([1.0, 2.0, 3.0])
    >>> e.mean, round(e.half_width, 4)
    (2.0, 2.4841)
    """
    xs = [float(x) for x in values]
    if not xs:
        raise ValueError("no values")
    mean = statistics.fmean(xs)
    if len(xs) < 2:
        return Estimate(mean, None, len(xs), level)
    sd = statistics.stdev(xs)
    return Estimate(mean, t_quantile(0.5 + level / 2, len(xs) - 1) * sd / math.sqrt(len(xs)),
                    len(xs), level)


# ---------------------------------------------------------------------------------------------
# One run's measures
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sojourn:
    """The time from a firing of ``start`` to the next firing of ``end`` with equal values of
    the ``key`` variables (all variables the two transitions share, when empty)."""

    start: str
    end: str
    key: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> "Sojourn":
        """``"arrive,depart"`` or ``"arrive,depart,c"`` (or several key variables)."""
        parts = [p.strip() for p in str(text).split(",")]
        if len(parts) < 2 or not all(parts):
            raise PetriError(f"sojourn {text!r}: expected FROM,TO or FROM,TO,VARIABLE")
        return cls(parts[0], parts[1], tuple(parts[2:]))

    @property
    def name(self) -> str:
        return f"{self.start}->{self.end}" + (f" by {','.join(self.key)}" if self.key else "")


def _sojourn_keys(compiled, sojourns: list[Sojourn]) -> list[tuple]:
    """Per sojourn: (start index, end index, key positions in start, key positions in end)."""
    out = []
    for s in sojourns:
        idx = compiled.transition_index
        for t in (s.start, s.end):
            if t not in idx:
                raise NetError(f"sojourn {s.name}: unknown transition {t!r}")
        a, b = compiled.transitions[idx[s.start]], compiled.transitions[idx[s.end]]
        key = s.key or tuple(v for v in a.variables if v in b.variables)
        if not key:
            raise NetError(f"sojourn {s.name}: transitions {s.start!r} and {s.end!r} share no "
                           f"variable; name the one that identifies a token, e.g. "
                           f"{s.start},{s.end},VARIABLE")
        for t in (a, b):
            missing = [v for v in key if v not in t.variables]
            if missing:
                raise NetError(f"sojourn {s.name}: transition {t.name!r} binds no variable "
                               f"{missing[0]!r}")
        out.append((a.index, b.index, tuple(a.variables.index(v) for v in key),
                    tuple(b.variables.index(v) for v in key)))
    return out


def run_measures(net, seed: int, *, until: float | None = None, warm_up: float = 0.0,
                 sojourns: Iterable[Sojourn] = (), max_firings: int | None = None,
                 instant_limit: int | None = None, choice: str = "random") -> dict:
    """Run ``net`` once with ``seed`` and measure it (see the module docstring)."""
    from .engine import Simulator

    sim = Simulator(net, seed=seed, log=True, choice=choice)
    compiled = sim.compiled
    sojourns = list(sojourns)
    keys = _sojourn_keys(compiled, sojourns)
    counts = [compiled.place_count(sim._m, i) for i in range(len(compiled.place_names))]
    result = sim.run(until=until, max_firings=max_firings, instant_limit=instant_limit)
    end = until if until is not None and result.reason == "until" else result.finish
    if result.reason in ("zero_time", "interrupted"):
        raise PetriError(f"replication with seed {seed} stopped: {result.reason} at time "
                         f"{result.clock:g}")
    span = end - warm_up
    pidx = compiled.place_index
    fired = [0] * len(compiled.transitions)
    area = [0.0] * len(counts)
    since = [warm_up] * len(counts)     # last change of each place's count (after warm-up)
    open_: list[dict] = [{} for _ in keys]     # key -> start times not yet ended
    times: list[list[float]] = [[] for _ in keys]
    for now, u, b, consumed, produced in sim.events._rows:
        if now > end:
            break
        if now >= warm_up:
            fired[u] += 1
        delta: dict[int, int] = {}
        for place, _, _ in consumed:
            i = pidx[place]
            delta[i] = delta.get(i, 0) - 1
        for place, _, _ in produced:
            i = pidx[place]
            delta[i] = delta.get(i, 0) + 1
        for i, d in delta.items():
            if d:
                if now > warm_up:
                    area[i] += counts[i] * (now - since[i])
                    since[i] = now
                counts[i] += d
        for k, (a, z, ka, kz) in enumerate(keys):
            if u == a:
                open_[k].setdefault(tuple(b[j] for j in ka), deque()).append(now)
            if u == z:
                waiting = open_[k].get(tuple(b[j] for j in kz))
                if waiting:
                    t0 = waiting.popleft()
                    if t0 >= warm_up:
                        times[k].append(now - t0)
    # the finish time means something only for runs that end by themselves
    measures = {} if result.reason == "until" else {("finish", ""): result.finish}
    if span > 0:
        for i, name in enumerate(compiled.place_names):
            area[i] += counts[i] * (end - since[i])
            measures[("tokens", name)] = area[i] / span
        for u, t in enumerate(compiled.transitions):
            measures[("throughput", t.name)] = fired[u] / span
    for s, ts in zip(sojourns, times):
        if ts:
            measures[("sojourn", s.name)] = statistics.fmean(ts)
    return measures


# ---------------------------------------------------------------------------------------------
# Many runs
# ---------------------------------------------------------------------------------------------

@dataclass
class Replications:
    """The estimates of ``replicate``: ``estimates[(kind, name)]`` is an ``Estimate``."""

    net: str
    seeds: list[int]
    warm_up: float
    until: float | None
    estimates: dict = field(default_factory=dict)

    def estimate(self, kind: str, name: str = "") -> Estimate:
        return self.estimates[(kind, name)]

    def to_dict(self) -> dict:
        return {"net": self.net, "replications": len(self.seeds), "seeds": self.seeds,
                "warm_up": self.warm_up, "until": self.until, "level": 0.95,
                "measures": [{"measure": k, "of": n, "mean": e.mean, "half_width": e.half_width,
                              "low": e.low, "high": e.high, "n": e.n}
                             for (k, n), e in self.estimates.items()]}


def _one(job):
    net, seed, options = job
    return run_measures(net, seed, **options)


def replicate(net, replications: int, *, seed: int = 0, until: float | None = None,
              warm_up: float = 0.0, sojourns: Iterable[Sojourn] = (), workers: int = 1,
              max_firings: int | None = None, instant_limit: int | None = None,
              choice: str = "random", level: float = 0.95) -> Replications:
    """Run ``replications`` runs with seeds ``seed .. seed + replications - 1`` and estimate
    every measure with a ``level`` Student-t confidence interval."""
    if not isinstance(replications, int) or replications < 1:
        raise PetriError(f"replications must be 1 or more, got {replications!r}")
    if warm_up < 0 or (until is not None and until <= warm_up):
        raise PetriError(f"the warm-up ({warm_up:g}) must be 0 or more and end before the "
                         f"horizon ({until:g})" if until is not None else
                         f"the warm-up must be 0 or more, got {warm_up:g}")
    sojourns = list(sojourns)
    options = dict(until=until, warm_up=warm_up, sojourns=sojourns, max_firings=max_firings,
                   instant_limit=instant_limit, choice=choice)
    seeds = [seed + k for k in range(replications)]
    # check names (sojourn transitions) once, here, before starting workers
    from .compiler import compile_net
    _sojourn_keys(compile_net(net), sojourns)
    jobs = [(net, s, options) for s in seeds]
    if workers > 1 and replications > 1:
        with ProcessPoolExecutor(max_workers=min(workers, replications)) as pool:
            runs = list(pool.map(_one, jobs))
    else:
        runs = [_one(job) for job in jobs]
    keys: list = []
    for r in runs:
        keys += [k for k in r if k not in keys]
    out = Replications(getattr(net, "name", ""), seeds, warm_up, until)
    for k in keys:
        values = [r[k] for r in runs if k in r]
        out.estimates[k] = confidence_interval(values, level)
    return out

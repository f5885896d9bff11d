"""Resilience of a disrupted run against the undisturbed (ideal) run of the same orders.

* makespan loss: how much later the last order is done (seconds, and relative);
* throughput loss: the share of orders the ideal run has finished by its makespan that the
  disrupted run has not finished by then;
* time to recover: from the start of the disruption until the disrupted run finishes orders at
  the ideal pace again: completion times are compared order by order (the k-th order done in
  each run); the lag grows while the plant suffers, and the run has recovered at the completion
  of the last order whose lag grew by more than ``tolerance``.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Resilience", "resilience"]


@dataclass(frozen=True)
class Resilience:
    makespan_loss: float          # s
    makespan_loss_ratio: float    # makespan_loss / ideal makespan
    throughput_loss: float        # share of orders (0..1)
    time_to_recover: float        # s (0 when the disruption never delayed an order)


def resilience(ideal: list[float], disrupted: list[float], disruption_start: float | None = None,
               tolerance: float = 60.0) -> Resilience:
    """Compare completion times (seconds) of the ideal and the disrupted run.

    >>> r = resilience([10, 20, 30, 40], [10, 25, 35, 45], disruption_start=12, tolerance=1)
    >>> r.makespan_loss, r.throughput_loss, r.time_to_recover
    (5.0, 0.25, 13.0)
    """
    a, b = sorted(map(float, ideal)), sorted(map(float, disrupted))
    m_a = a[-1] if a else 0.0
    m_b = b[-1] if b else 0.0
    loss = m_b - m_a
    done_ideal = sum(1 for t in a if t <= m_a)
    done = sum(1 for t in b if t <= m_a)
    tput = (done_ideal - done) / done_ideal if done_ideal else 0.0
    start = 0.0 if disruption_start is None else float(disruption_start)
    recovered = None
    worst = 0.0
    for ta, tb in zip(a, b):
        lag = tb - ta
        if lag > worst + tolerance:
            worst = lag
            recovered = tb
    ttr = max(0.0, recovered - start) if recovered is not None else 0.0
    return Resilience(loss, loss / m_a if m_a else 0.0, max(0.0, tput), ttr)

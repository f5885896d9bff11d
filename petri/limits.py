"""Memory budgets for long computations, measured as they grow.

A ``MemoryBudget`` says how much memory a computation may use: by default what the process
holds now plus 70 % of the memory the system has available, and, when the process runs under an
address-space limit (``ulimit -v``, ``RLIMIT_AS``), 80 % of that limit (the rest is room for
the analysis that follows an exploration). A computation asks
``budget.check(done)`` between steps: the memory in use is measured (resident set and address
space, from ``/proc/self/statm``), as is how much the last step added, and the check fails when
one more step like the last would not fit. Nothing is assumed about how much a state or an edge
costs; the figure per unit of work is reported, measured.

>>> budget = MemoryBudget(2**40)
>>> budget.check(1000) is None
True
"""
from __future__ import annotations

import os
import resource

__all__ = ["MemoryBudget", "resident_bytes", "available_bytes", "address_space_limit"]

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _statm() -> tuple[int, int] | None:
    """(address space, resident) bytes of this process, or None where /proc is missing."""
    try:
        with open("/proc/self/statm") as f:
            size, resident = f.read().split()[:2]
        return int(size) * _PAGE, int(resident) * _PAGE
    except (OSError, ValueError):
        return None


def resident_bytes() -> int:
    """Resident memory of this process now (its peak where /proc is missing)."""
    s = _statm()
    return s[1] if s else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def available_bytes() -> int | None:
    """Memory the system can give without swapping (``MemAvailable``), else physical memory."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * _PAGE
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not a POSIX system
        return None


def address_space_limit() -> int | None:
    """The soft ``RLIMIT_AS`` of this process in bytes, or None without one."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


class MemoryBudget:
    """The memory a computation may use (see the module docstring).

    ``resident``: bytes of resident memory; None: what is in use now plus 70 % of the
    memory available. Under an address-space limit, the address space may grow to 80 % of it.
    """

    def __init__(self, resident: int | None = None):
        now = _statm()
        self.start_resident = now[1] if now else resident_bytes()
        if resident is None:
            available = available_bytes()
            resident = None if available is None else self.start_resident + int(0.7 * available)
        self.resident = resident
        limit = address_space_limit()
        self.address_space = None if limit is None else int(0.8 * limit)
        self.start_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self._last: tuple[int, int] | None = now
        self._growth = (0, 0)
        self.per_unit: float | None = None

    def check(self, done: int) -> str | None:
        """None while one more step like the last fits; else why not, in words. ``done``: the
        units of work (e.g. states) finished so far, for the measured cost per unit.

        A step's need is measured as what the last one kept (growth since the previous check)
        plus what the largest one held for a moment (the peak resident memory above the
        memory in use now, when that peak was reached during this computation: temporary
        arrays)."""
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        now = _statm() or (peak, peak)
        if self._last is not None:
            self._growth = (max(0, now[0] - self._last[0]), max(0, now[1] - self._last[1]))
        self._last = now
        if done > 0:
            self.per_unit = max(0, now[1] - self.start_resident) / done
        # a peak from before this computation says nothing about its steps
        transient = max(0, peak - now[1]) if peak > self.start_peak else 0
        if self.resident is not None and now[1] + self._growth[1] + transient > self.resident:
            return f"{_gib(now[1])} resident of a {_gib(self.resident)} budget{self._cost()}"
        if (self.address_space is not None
                and now[0] + self._growth[0] + transient > self.address_space):
            return (f"{_gib(now[0])} of address space, near the limit of "
                    f"{_gib(self.address_space / 0.8)}{self._cost()}")
        return None

    def _cost(self) -> str:
        return "" if not self.per_unit else f", about {self.per_unit:,.0f} bytes per state"

"""Ctrl-C as a request to stop at the next safe point, for every long-running loop.

``with Interrupt() as stop:`` makes SIGINT set ``stop.flag`` instead of raising
``KeyboardInterrupt``; the loop checks the flag where stopping leaves nothing half done (the
engine between two firings, a state-space search between two states, a training loop between
two episodes) and returns what it finished. A second Ctrl-C raises ``KeyboardInterrupt`` at
once.

Blocks nest: an inner ``Interrupt`` shares the flag of the outermost active one, so a loop
that runs simulations (a training loop, an experiment) sees that the run it started was cut
short and can drop it. Outside the main thread an ``Interrupt`` only offers a flag that
nothing sets.
"""
from __future__ import annotations

import signal
import threading

try:        # the C function itself: signal.signal's enum conversion of a Python handler
    from _signal import signal as _set_handler   # costs about 50 us per call, paid per run
except ImportError:     # pragma: no cover - another Python implementation
    _set_handler = signal.signal

__all__ = ["Interrupt"]


class Interrupt:
    """While active, the first SIGINT sets ``flag``; see the module docstring."""

    _active: "Interrupt | None" = None      # the outermost active block

    def __init__(self):
        self.flag = False
        self._old = None
        self._installed = False

    def __enter__(self) -> "Interrupt":
        outer = Interrupt._active
        if outer is not None:
            return outer
        if threading.current_thread() is threading.main_thread():
            try:
                self._old = _set_handler(signal.SIGINT, self._handle)
            except ValueError:          # pragma: no cover - not the main interpreter
                return self
            self._installed = True
            Interrupt._active = self
        return self

    def _handle(self, signum, frame):
        if self.flag:                   # asked twice: stop now
            raise KeyboardInterrupt
        self.flag = True

    def __exit__(self, *exc) -> bool:
        if self._installed:
            _set_handler(signal.SIGINT, self._old)
            self._installed = False
            Interrupt._active = None
        return False

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

The handler stays installed after a block when the one it replaced is a Python function (as
Python's own, which raises ``KeyboardInterrupt``) or "ignore": outside every block it hands
the signal to that one, so Ctrl-C does there what it did before; the next block then only
marks itself active, without changing the process's signal handling again (a Gymnasium
environment enters a block per step). When the handler was replaced since, or the one it
replaced was the operating system's default, a block installs it and puts the other back.
"""
from __future__ import annotations

import signal
import threading

try:        # the C function itself: signal.signal's enum conversion of a Python handler
    from _signal import signal as _set_handler   # costs about 50 us per call, paid per run
    from _signal import getsignal as _get_handler
except ImportError:     # pragma: no cover - another Python implementation
    _set_handler, _get_handler = signal.signal, signal.getsignal

__all__ = ["Interrupt"]

_SIGINT = int(signal.SIGINT)
_MAIN = threading.main_thread().ident
_thread = threading.get_ident


def _handle(signum, frame):
    """The SIGINT handler: sets the flag of the active block (raises on a second Ctrl-C); with
    no block active, does what the handler it replaced does."""
    active = Interrupt._active
    if active is None:
        before = Interrupt._replaced
        if before == signal.SIG_IGN:
            return None
        if callable(before) and not Interrupt._handing_on:
            Interrupt._handing_on = True    # a handler that calls the one it replaced, ours
            try:
                return before(signum, frame)
            finally:
                Interrupt._handing_on = False
        raise KeyboardInterrupt
    if active.flag:         # asked twice: stop now
        raise KeyboardInterrupt
    active.flag = True
    return None


class Interrupt:
    """While active, the first SIGINT sets ``flag``; see the module docstring."""

    _active: "Interrupt | None" = None      # the outermost active block
    _replaced = None        # the handler ``_handle`` replaced when it was last installed
    _handing_on = False     # ``_handle`` is calling it
    _stays = False          # ``_handle`` stays installed after a block

    def __init__(self):
        self.flag = False
        self._installed = False

    def __enter__(self) -> "Interrupt":
        outer = Interrupt._active
        if outer is not None:
            return outer
        if _thread() == _MAIN:
            if _get_handler(_SIGINT) is not _handle:
                try:
                    before = _set_handler(_SIGINT, _handle)
                except ValueError:          # pragma: no cover - not the main interpreter
                    return self
                Interrupt._replaced = before
                # the operating system's default action (None: a handler not set from
                # Python) is put back after the block
                Interrupt._stays = callable(before) or before == signal.SIG_IGN
            self._installed = True
            Interrupt._active = self
        return self

    def __exit__(self, *exc) -> bool:
        if self._installed:
            self._installed = False
            Interrupt._active = None
            if not Interrupt._stays and _get_handler(_SIGINT) is _handle:
                before = Interrupt._replaced
                _set_handler(_SIGINT, signal.SIG_DFL if before is None else before)
        return False

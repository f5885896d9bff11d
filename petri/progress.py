"""A small progress line on standard error for long runs (silent when it is not a terminal,
unless the environment variable ``PETRI_PROGRESS`` is ``always``: then one line per update,
for logs)."""
from __future__ import annotations

import os
import sys
import time

__all__ = ["Progress"]


class Progress:
    """``with Progress("simulate", total=N) as p: p.update(done, extra="clock 12")``.

    Redraws at most every ``interval`` seconds; draws only when ``stream`` is a terminal
    unless ``force`` is set.
    """

    def __init__(self, label: str, total: float | None = None, stream=None, interval: float = 0.2,
                 force: bool = False):
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.interval = interval
        terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.lines = not terminal and os.environ.get("PETRI_PROGRESS") == "always"
        self.active = force or terminal or self.lines
        self._last = 0.0
        self._start = time.perf_counter()
        self._drawn = False

    def __enter__(self):
        return self

    def update(self, done: float, extra: str = "") -> None:
        if not self.active:
            return
        now = time.perf_counter()
        if now - self._last < self.interval:
            return
        self._last = now
        self._draw(done, extra)

    def _draw(self, done, extra):
        elapsed = now = time.perf_counter() - self._start
        if self.total:
            frac = min(1.0, done / self.total)
            bar = "#" * int(frac * 30)
            text = f"\r{self.label} [{bar:<30}] {frac:6.1%} {extra}  {elapsed:6.1f}s"
        else:
            text = f"\r{self.label} {done:,} {extra}  {now:6.1f}s"
        if self.lines:          # a log: whole lines, nothing drawn over
            self.stream.write(text[1:200] + "\n")
        else:
            self.stream.write(text[:200])
            self._drawn = True
        self.stream.flush()

    def __exit__(self, *exc):
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
        return False

"""A small progress line on standard error for long runs. The environment variable
``PETRI_PROGRESS`` says when: ``auto`` (or unset, the default) draws it on a terminal only,
``always`` also writes it to a log or a pipe as one whole line per update, ``never`` draws
nothing."""
from __future__ import annotations

import os
import sys
import time

__all__ = ["Progress", "progress_setting"]

SETTINGS = ("auto", "always", "never")


def progress_setting() -> str:
    """The value of ``PETRI_PROGRESS`` (``auto`` when unset or empty); ``ValueError`` naming the
    variable when it is something else."""
    value = os.environ.get("PETRI_PROGRESS", "").strip().lower() or "auto"
    if value not in SETTINGS:
        raise ValueError(f"environment variable PETRI_PROGRESS={os.environ['PETRI_PROGRESS']!r}: "
                         f"not auto, always or never")
    return value


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
        try:
            setting = progress_setting()
        except ValueError:
            setting = "auto"     # the command line refuses it before a run; a library call draws as auto
        self.lines = not terminal and setting == "always"
        self.active = force or (terminal and setting != "never") or self.lines
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

"""The harness of the bad-input corpus: run one ``petri`` command on files that are wrong.

A ``Case`` names the command line, the files it needs (written into a fresh folder, the
command's working directory) and a distinctive part of the one-line message expected on
standard error. ``run_case`` runs the command in a forked child, bounded in time (an alarm)
and memory (``RLIMIT_DATA``), and says how it ended: a clean error, a traceback, a hang, a
crash or bad input accepted. See ``tests/bad_input_cases.py`` for the corpus itself.
"""
from __future__ import annotations

import importlib
import io
import os
import resource
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

#: Seconds and extra bytes of memory one case may use.
TIME_LIMIT = 10
MEMORY_LIMIT = 1 << 30
#: Exit status of a child that ended with an exception the command did not catch.
TRACEBACK = 99


@dataclass
class Case:
    """One bad input: ``petri ARGV...`` run in a folder holding ``files``.

    ``expect`` is a part of the message the command must print on standard error; ``code``
    the exit status it must end with (any non-zero status when None).
    """

    name: str
    argv: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    expect: str = ""
    code: int | None = None


@dataclass
class Outcome:
    status: str          # "error", "accepted", "traceback", "hang", "crash"
    code: int | None
    stdout: str
    stderr: str
    seconds: float

    def __str__(self):
        return (f"{self.status} (exit {self.code}, {self.seconds:.1f} s)\n--- stderr:\n"
                f"{self.stderr[-3000:]}\n--- stdout:\n{self.stdout[-1000:]}")


def write_files(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _data_size() -> int:
    """Bytes of this process's data segment and private mappings (what RLIMIT_DATA counts)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(argv: list[str], folder: Path) -> int:
    """Runs in the forked child: the command with stdout/stderr going to files."""
    for fd, name in ((1, "_stdout"), (2, "_stderr")):
        out = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, fd)
        os.close(out)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    os.chdir(folder)
    # RLIMIT_DATA, not RLIMIT_AS: allocators (pyarrow's, numpy's) reserve address space they
    # never touch, but every byte a case writes to counts here
    if "pyarrow" in sys.modules:   # its own allocator reserves memory in huge steps: use malloc
        import pyarrow
        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    limit = _data_size() + MEMORY_LIMIT
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(TIME_LIMIT)
    from petri.cli import main
    try:
        code = main(list(argv))
    except SystemExit as e:        # argparse: exit status 2 after its message
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:          # noqa: B902 - what the corpus exists to find
        traceback.print_exc()
        code = TRACEBACK
    sys.stdout.flush()
    sys.stderr.flush()
    return int(code or 0)


def warm_up() -> None:
    """Import what the commands import, once, so that each forked child starts at once."""
    import petri.cli
    petri.cli.build_parser()
    for module in ("petri.analysis", "petri.engine", "petri.formats.pnml", "petri.formats.toml",
                   "petri.formats.dot", "control.flowfactory.plant", "control.flowfactory.rl",
                   "control.flowfactory.experiment", "control.flowfactory.scenarios",
                   "control.policy", "kpi.flowfactory.plots"):
        importlib.import_module(module)


def run_case(case: Case, folder: Path) -> Outcome:
    """Write the case's files into ``folder``, run it there, and classify how it ended."""
    warm_up()
    folder.mkdir(parents=True, exist_ok=True)
    write_files(folder, case.files)
    start = time.monotonic()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:   # pragma: no cover - the child
        code = 1
        try:
            code = _child(case.argv, folder)
        finally:
            os._exit(code)
    deadline = start + TIME_LIMIT + 5
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.005)
    seconds = time.monotonic() - start
    out = (folder / "_stdout").read_text(errors="replace") if (folder / "_stdout").exists() else ""
    err = (folder / "_stderr").read_text(errors="replace") if (folder / "_stderr").exists() else ""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        kind = "hang" if sig in (signal.SIGALRM, signal.SIGKILL) else "crash"
        return Outcome(kind, -sig, out, err, seconds)
    code = os.WEXITSTATUS(status)
    if code == TRACEBACK or "Traceback (most recent call last)" in err:
        return Outcome("traceback", code, out, err, seconds)
    return Outcome("accepted" if code == 0 else "error", code, out, err, seconds)

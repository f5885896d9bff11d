"""One command regenerating the measured sections of ``docs/performance.md``.

    python -m bench                                  # every section, into docs/performance.md
    python -m bench --section engine --section pnml  # only these sections
    python -m bench --quick --doc /tmp/perf.md       # small sizes, few repeats, another file
    python -m bench --list                           # the sections and where they stand

A *section* is a function in one of the ``bench/bench_*.py`` modules, listed in that module's
``SECTIONS`` dictionary (name -> function). It takes ``quick`` (a bool: small sizes and few
repeats, for tests) and returns a :class:`Result`: the Markdown of its tables, its raw figures
(anything ``json`` can write) and a sentence saying how it measured. The harness runs each
section in a fresh Python process pinned to one core, writes a header (command, date, machine,
load average, method) and the section's Markdown between the section's markers in the
document, and its raw figures with the same header to ``<doc folder>/<doc stem>/<name>.json``.
Everything outside the markers is left as it is::

    <!-- BEGIN GENERATED engine -->
    ...written by `python -m bench --section engine`...
    <!-- END GENERATED engine -->

A section whose markers are not in the document yet is appended at its end. Files are
written atomically (a temporary file in the same folder, then renamed), and the document is
read again just before each section is written, so a long run keeps what it finished.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
BEGIN = "<!-- BEGIN GENERATED {name} -->"
END = "<!-- END GENERATED {name} -->"
_BLOCK = re.compile(r"<!-- BEGIN GENERATED (?P<name>[\w.-]+) -->\n(?P<body>.*?)"
                    r"<!-- END GENERATED (?P=name) -->\n?", re.S)
_MARKER = re.compile(r"<!-- (BEGIN|END) GENERATED ([\w.-]+) -->")


@dataclasses.dataclass
class Result:
    """What a section returns: its Markdown (tables and a few sentences about the figures),
    its raw figures (JSON-serialisable) and how it measured (one sentence: clock, repeats,
    statistic), which the harness puts in the section's header."""

    markdown: str
    figures: Any
    method: str


Section = Callable[[bool], Result]


class HarnessError(Exception):
    """The document's markers are inconsistent, or a section is unknown or failed."""


# ---------------------------------------------------------------------------------------------
# Sections: found in bench/bench_*.py
# ---------------------------------------------------------------------------------------------

def section_modules() -> list[str]:
    """The modules that may hold sections: every ``bench/bench_*.py``, in name order."""
    return [f"bench.{p.stem}" for p in sorted((ROOT / "bench").glob("bench_*.py"))]


def collect(modules: list[str], *, quiet: bool = False) -> dict[str, str]:
    """Section name -> ``module:function``, from each module's ``SECTIONS``. A module that
    cannot be imported (a missing optional library) is named on stderr and skipped."""
    found: dict[str, str] = {}
    for module in modules:
        try:
            mod = importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - reported, the other modules still count
            if not quiet:
                print(f"bench: {module} not loaded ({type(exc).__name__}: {exc})", file=sys.stderr)
            continue
        for name, fn in getattr(mod, "SECTIONS", {}).items():
            if name in found:
                raise HarnessError(f"section {name!r} is defined twice: {found[name]} and "
                                   f"{module}:{fn.__name__}")
            found[name] = f"{module}:{fn.__name__}"
    return found


def run_section(target: str, quick: bool) -> Result:
    """Import ``module:function`` and run it (in this process)."""
    module, function = target.split(":")
    result = getattr(importlib.import_module(module), function)(quick)
    if not isinstance(result, Result):
        raise HarnessError(f"{target} returned {type(result).__name__}, not bench.harness.Result")
    json.dumps(result.figures)          # fails here, not after the document is half written
    return result


# ---------------------------------------------------------------------------------------------
# The machine and the header
# ---------------------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        total += sum(cpu_seconds(int(c)) for c in children)
    return total


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def pin(cpu: int | None) -> str:
    """Pin this process (and the children it starts) to one core; say what was done."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no CPU affinity on this system)"
    allowed = sorted(os.sched_getaffinity(0))
    cpu = allowed[-1] if cpu is None else cpu
    if cpu not in allowed:
        raise HarnessError(f"--cpu {cpu}: this process may only run on CPUs {allowed}")
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu} (as `taskset -c {cpu}`)"


def uncommitted() -> bool:
    """Whether the code differs from its last commit (documentation aside): then the figures
    measured code that no commit holds, and the header says so. (The commit's name itself is not
    recorded: it changes when the branch is rebased before it lands.)"""
    try:
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=ROOT, text=True, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    return any(not line[3:].startswith("docs/") for line in status.splitlines())



def source_tree(text: str) -> str:
    """An argparse ``type`` for ``--side-by-side TREE``: a checkout of this project (a folder
    holding ``petri`` and ``control``)."""
    tree = Path(text)
    if not (tree / "petri").is_dir() or not (tree / "control").is_dir():
        raise argparse.ArgumentTypeError(f"{text[:200]!r} is not a checkout of this project "
                                         "(no petri and control folders in it)")
    return text

def machine() -> dict:
    import numpy
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpu": cpu_model(), "cores": os.cpu_count(),
            "system": f"{platform.system()} {platform.machine()}",
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "numpy": numpy.__version__,
            "load_average": [round(x, 2) for x in load] if load else None}


def command(name: str, quick: bool) -> str:
    return f"python -m bench --section {name}" + (" --quick" if quick else "")


def header(name: str, quick: bool, when: datetime.datetime, mach: dict, pinned: str,
           method: str, changed: bool, json_path: str) -> str:
    load = mach["load_average"]
    load = (f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) "
            "when the section started" if load else "load average unknown")
    lines = [f"- Command: `{command(name, quick)}`, run on {when:%Y-%m-%d} at {when:%H:%M} UTC"
             + (" on code with uncommitted changes" if changed else "")
             + (". **Quick run: small sizes, few repeats; do not quote these figures.**"
                if quick else "."),
             f"- Machine: {mach['cpu']}, {mach['cores']} cores, {mach['system']}, {mach['python']},"
             f" numpy {mach['numpy']}; {load}.",
             f"- Method: {pinned}; {method.rstrip('.')}.",
             f"- Raw figures: `{json_path}`."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------

def blocks(text: str) -> dict[str, str]:
    """Name -> body of every generated block; inconsistent markers are an error."""
    names = [m.group(2) for m in _MARKER.finditer(text)]
    found = {m.group("name"): m.group("body") for m in _BLOCK.finditer(text)}
    for name in set(names):
        if names.count(name) != 2 or name not in found:
            raise HarnessError(f"the markers of section {name!r} are not one BEGIN line followed "
                               f"by one END line")
    return found


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the block of ``name`` holding ``body`` (appended when it has none)."""
    if not body.endswith("\n"):
        body += "\n"
    block = f"{BEGIN.format(name=name)}\n{body}{END.format(name=name)}\n"
    if name not in blocks(text):
        return text.rstrip("\n") + "\n\n" + block
    return _BLOCK.sub(lambda m: block if m.group("name") == name else m.group(0), text)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def json_dir(doc: Path) -> Path:
    return doc.parent / doc.stem


def shown(path: Path) -> str:
    """``path`` relative to the repository (or as given, outside it)."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------

def measure_in_child(target: str, quick: bool) -> Result:
    """Run one section in a fresh interpreter (same pinned core); its progress goes to stderr."""
    code = ("import json, sys, dataclasses; from bench.harness import run_section; "
            f"r = run_section({target!r}, {quick!r}); "
            "sys.stdout.write('\\n' + json.dumps(dataclasses.asdict(r)))")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(
        os.pathsep) if p])
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE)
    if proc.returncode != 0:
        raise HarnessError(f"{target} failed (exit status {proc.returncode}; its error is above)")
    return Result(**json.loads(proc.stdout.rstrip("\n").rsplit("\n", 1)[-1]))


def regenerate(names: list[str], registry: dict[str, str], doc: Path, *, quick: bool,
               pinned: str) -> list[str]:
    """Measure each named section and write it into ``doc``; returns the names that failed."""
    failed = []
    for name in names:
        mach = machine()
        when = datetime.datetime.now(datetime.timezone.utc)
        changed = uncommitted()
        print(f"bench: {name} ({registry[name]}) ...", file=sys.stderr, flush=True)
        try:
            result = measure_in_child(registry[name], quick)
        except HarnessError as exc:
            print(f"bench: {exc}; {shown(doc)} keeps its section {name!r} as it was",
                  file=sys.stderr)
            failed.append(name)
            continue
        jpath = json_dir(doc) / f"{name}.json"
        write_atomic(jpath, json.dumps({
            "section": name, "command": command(name, quick), "quick": quick,
            "date": when.isoformat(timespec="seconds"), "uncommitted_changes": changed,
            "machine": mach,
            "method": f"{pinned}; {result.method}", "figures": result.figures}, indent=1) + "\n")
        body = (header(name, quick, when, mach, pinned, result.method, changed, shown(jpath))
                + "\n" + result.markdown.strip("\n") + "\n")
        text = doc.read_text(encoding="utf-8") if doc.exists() else ""
        write_atomic(doc, replace_block(text, name, body))
        print(f"bench: {name} written to {shown(doc)}", file=sys.stderr, flush=True)
    return failed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--section", action="append", metavar="NAME",
                    help="regenerate only this section (repeatable; default: all)")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes and few repeats (for tests; the header says so)")
    ap.add_argument("--doc", type=Path, default=DOC,
                    help="the document to write into (default docs/performance.md)")
    ap.add_argument("--cpu", type=int, default=None,
                    help="the core to pin to (default: the last one this process may use)")
    ap.add_argument("--module", action="append", default=[], metavar="MODULE",
                    help="also take sections from this importable module")
    ap.add_argument("--list", action="store_true", help="list the sections and stop")
    args = ap.parse_args(argv)
    try:
        registry = collect(section_modules() + args.module)
        text = args.doc.read_text(encoding="utf-8") if args.doc.exists() else ""
        present = blocks(text)
        if args.list:
            for name, target in registry.items():
                where = "in" if name in present else "not yet in"
                print(f"{name:24} {target:48} {where} {shown(args.doc)}")
            for name in present.keys() - registry.keys():
                print(f"{name:24} {'(no module defines it)':48} in {shown(args.doc)}")
            return 0
        names = args.section or list(registry)
        unknown = [n for n in names if n not in registry]
        if unknown:
            raise HarnessError(f"unknown section {', '.join(map(repr, unknown))}; "
                               f"known: {', '.join(registry)}")
        pinned = pin(args.cpu)
    except HarnessError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    failed = regenerate(names, registry, args.doc, quick=args.quick, pinned=pinned)
    if failed:
        print(f"bench: {len(failed)} of {len(names)} sections failed: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

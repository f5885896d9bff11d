"""``petri validate FILE...``: check files and report every problem, one a line.

Net files (TOML) are loaded together as one net, a PNML file is read on its own (both through
``petri.formats``); a TOML file of another kind (e.g. a case study's scenario file) is recognised by its top-level
table and checked by the function registered for it in ``petri.commands.FILE_KINDS``.
"""
from __future__ import annotations

import os
import re
import sys
import tomllib
from pathlib import Path

from . import FILE_KINDS, add_allow_outside

NAME = "validate"
HELP = ("check net files (TOML files loaded together, places of the same name fused; or a PNML "
        "file) and other files the commands read (scenarios), and list every problem")

#: Sibling files looked at to suggest what a part of a net should be loaded with.
_MAX_SIBLINGS = 50
_UNKNOWN = re.compile(r"unknown (place|colour set|table|constant) '([^']+)'")


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="net files (.toml, or one .pnml) or other files the commands read")
    add_allow_outside(p)


def run(args) -> int:
    nets, others = [], []
    for f in args.files:
        kind = file_kind(f)
        (others if kind else nets).append((f, kind))
    status = 0
    for f, kind in others:
        status |= _report(f, _check_other(f, kind))
    if nets:
        status |= _check_net([f for f, _ in nets], args.allow_outside_tables)
    return status


def file_kind(path: str) -> str | None:
    """A registered kind of TOML file, or None for a net file (or an unreadable file)."""
    if Path(path).suffix.lower() != ".toml" or not FILE_KINDS.names():
        return None
    try:
        from ..files import read_text
        data = tomllib.loads(read_text(path, what="file", kind="UTF-8 TOML"))
    except Exception:   # noqa: BLE001 - the net loader reports the problem
        return None
    return next((k for k in FILE_KINDS.names() if k in data), None)


def _check_other(path: str, kind: str) -> tuple[list, str]:
    """(problems, what was found) for a registered kind of file."""
    from ..errors import PetriError
    try:
        return [], FILE_KINDS.get(kind)(path)
    except PetriError as e:
        return getattr(e, "problems", [e]), ""


def _report(name: str, result: tuple[list, str]) -> int:
    problems, found = result
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"{name}: ok ({found})")
    return 0


def _size(net) -> str:
    places, transitions = len(net.places), len(net.transitions)
    return (f"{places} place{'s' * (places != 1)}, "
            f"{transitions} transition{'s' * (transitions != 1)}")


def _check_net(files: list[str], allow_outside: bool) -> int:
    from ..errors import NetError
    from ..formats import load_with_errors

    net, problems = load_with_errors(*files, allow_outside=allow_outside)
    if net is not None and not problems and not net.places and not net.transitions:
        problems = [NetError("the net has no place and no transition", file=" + ".join(files))]
    if net is not None and not problems:
        from ..check import check_warnings
        for warning in check_warnings(net):
            print(warning, file=sys.stderr)
    status = _report(" + ".join(files), (problems, _size(net) if net is not None else ""))
    missing = {m.group(2) for p in problems for m in [_UNKNOWN.search(p.reason)] if m}
    if missing:
        print(_part_hint(files, missing), file=sys.stderr)
    return status


def _part_hint(files: list[str], missing: set[str]) -> str:
    """A hint for a file that is a part of a net: which files declare what it uses."""
    declared_by = []
    folders = {os.path.dirname(os.path.abspath(f)) for f in files}
    given = {os.path.abspath(f) for f in files}
    for folder in sorted(folders):
        siblings = sorted(Path(folder).glob("*.toml"))[:_MAX_SIBLINGS]
        for sibling in siblings:
            if str(sibling) in given:
                continue
            names = _declared(sibling)
            if names & missing:
                declared_by.append(os.path.relpath(sibling))
    names = " ".join(files)
    hint = (f"{names} may be a part of a net: load it with the files that declare what it uses "
            f"({', '.join(sorted(missing)[:5])}{', ...' if len(missing) > 5 else ''})")
    if declared_by:
        hint += f", e.g. petri validate {' '.join(declared_by)} {names}"
    return hint


def _declared(path: Path) -> set[str]:
    """The places, colour sets, tables and constants a TOML file declares (empty if unreadable)."""
    try:
        from ..files import read_text
        data = tomllib.loads(read_text(path, what="file", kind="UTF-8 TOML"))
    except Exception:   # noqa: BLE001 - only a hint
        return set()
    out = set()
    for section in ("places", "colours", "tables", "constants"):
        value = data.get(section)
        if isinstance(value, dict):
            out |= set(value)
    return out

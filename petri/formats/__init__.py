"""Net file formats: each module reads files into a ``petri.model.Net`` and writes one back.

* ``toml``: our format, one file per net or part of a net (places of the same name fuse);
* ``pnml``: the ISO/IEC 15909-2 interchange format (P/T nets, and our coloured dialect);
* ``dot``: Graphviz drawings (write only);
* ``jobshop``: scheduling instances (read only), each made into its timed net
  (``petri.jobshop.instance_net``): an OR-Library job shop (``.txt``), a Brandimarte flexible
  job shop (``.fjs``) or a folder of a plant's CSV files (``operations.csv`` and the others).

``load`` reads any of them: the format is told by the suffix (``.toml``; ``.pnml`` or ``.xml``;
``.fjs``), a folder holding ``operations.csv`` is a plant, and for any other suffix the content
tells (an XML document is PNML; a ``.txt`` file whose first line is two whole numbers is an
OR-Library job shop; anything else TOML).
``load_with_errors`` returns every problem of the files instead of raising the first.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "line.net")
>>> _ = open(path, "w").write('[places.p]\\ninitial = 2\\n')
>>> format_of(path), load(path).places["p"].initial[0].count
('toml', 2)
"""
from __future__ import annotations

import os

from ..errors import NetError

__all__ = ["load", "load_with_errors", "format_of", "FORMATS"]

#: format name -> file suffixes it is known by
FORMATS = {"toml": (".toml",), "pnml": (".pnml", ".xml"), "jobshop": (".fjs",)}


def format_of(path) -> str:
    """``"toml"``, ``"pnml"`` or ``"jobshop"``: by the suffix, else by the first bytes of the
    file (a folder holding ``operations.csv`` is a plant's job shop)."""
    path = os.fspath(path)
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "operations.csv")):
        return "jobshop"
    suffix = os.path.splitext(path)[1].lower()
    for name, suffixes in FORMATS.items():
        if suffix in suffixes:
            return name
    from ..files import read_bytes          # refuses folders, FIFOs, devices and huge files
    data = read_bytes(path, what="net file")
    head = data[:256].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<"):
        return "pnml"
    if suffix == ".txt" and _orlib_header(data[:4096]):
        return "jobshop"
    return "toml"


def _orlib_header(head: bytes) -> bool:
    """Whether the first line that is not empty or a ``#`` comment is two whole numbers."""
    for line in head.split(b"\n"):
        words = line.split()
        if not words or words[0].startswith(b"#"):
            continue
        return len(words) == 2 and all(w.isdigit() for w in words)
    return False


def _kind(path: str) -> str:
    """``format_of``, where a file that cannot be read counts as TOML: the TOML reader then
    reports it among the problems of the other files."""
    try:
        return format_of(path)
    except (NetError, OSError):
        return "toml"


def _split(paths) -> tuple[str, list[str]]:
    if not paths:
        raise NetError("no net file given")
    paths = [os.fspath(p) for p in paths]
    kinds = [_kind(p) for p in paths]
    if "jobshop" in kinds:
        if len(paths) > 1:
            raise NetError("a scheduling instance is read on its own: give one .txt, .fjs file "
                           "or plant folder")
        return "jobshop", paths
    if "pnml" in kinds:
        if len(paths) > 1:
            raise NetError("a PNML file is read on its own: give one PNML file, or TOML files "
                           "to load together")
        return "pnml", paths
    return "toml", paths


def load(*paths, check: bool = True, allow_outside: bool = False):
    """One net from one PNML file or from TOML files loaded together (places of the same name
    fuse). Raises ``NetError`` for the first problem found (saying how many more there are).
    ``allow_outside``: TOML nets may read CSV tables outside their file's folder."""
    kind, paths = _split(paths)
    if kind == "jobshop":
        net = _jobshop_net(paths[0])
        if check:
            from ..check import validate
            validate(net)
        return net
    if kind == "pnml":
        from . import pnml
        net = pnml.load(paths[0])
        if check:
            from ..check import validate
            validate(net)
        return net
    from . import toml
    return toml.load(*paths, check=check, allow_outside=allow_outside)


def load_with_errors(*paths, allow_outside: bool = False) -> tuple:
    """``(net, problems)``: the net the files make together and every problem found (one
    ``NetError`` each); the net is None when the files could not be read."""
    try:
        kind, paths = _split(paths)
    except NetError as e:
        return None, [e]
    if kind == "jobshop":
        from ..check import check_net
        try:
            net = _jobshop_net(paths[0])
        except NetError as e:
            return None, [e]
        return net, check_net(net)
    if kind == "pnml":
        from ..check import check_net
        from . import pnml
        try:
            net = pnml.load(paths[0])
        except NetError as e:
            return None, [e]
        return net, check_net(net)
    from . import toml
    return toml.load_with_errors(*paths, allow_outside=allow_outside)


def _jobshop_net(path):
    from ..jobshop import instance_net
    from .jobshop import read_instance
    return instance_net(read_instance(path))

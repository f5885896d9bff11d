"""Files named by users: reading them safely, and writing outputs safely.

Every loader opens a user's file with ``read_bytes`` (or ``read_text``): only regular files
are read (a FIFO, a device or a folder is refused at once, never waited on) and only up to a
size limit (``MAX_BYTES``, 16 MiB unless the environment variable ``PETRI_MAX_FILE_MIB`` says
otherwise, or a loader's ``max_bytes``). ``inside`` keeps a file a net refers to (a CSV table)
inside the net's folder.

Every writer writes through ``output``/``write_output``: the data goes to a temporary file in
the same folder that replaces the target only when complete (``os.replace``), so that a crash
or Ctrl-C never leaves half a file. An output is never written through a symbolic link, never
over an existing file unless ``force`` is given, and never over a file the same command has
read (while ``reading_inputs()`` is active, as it is for every ``petri`` command).

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> write_output(os.path.join(folder, "a.txt"), "hello\\n")
>>> read_text(os.path.join(folder, "a.txt"))
'hello\\n'
>>> write_output(os.path.join(folder, "a.txt"), "again\\n")
Traceback (most recent call last):
...
petri.errors.NetError: ...a.txt: already exists; use --force to overwrite it
"""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from .errors import NetError

__all__ = ["MAX_BYTES", "max_bytes", "read_bytes", "read_text", "inside", "check_output",
           "output", "write_output", "reading_inputs", "update_in_place"]

#: The default size limit of a file read by a loader (16 MiB).
MAX_BYTES = 16 * 2**20
_ENV = "PETRI_MAX_FILE_MIB"

# realpaths of the files read while ``reading_inputs`` is active (None: not tracking)
_inputs: set[str] | None = None


def max_bytes() -> int:
    """The size limit for files read: ``PETRI_MAX_FILE_MIB`` MiB if set, else ``MAX_BYTES``."""
    text = os.environ.get(_ENV, "").strip()
    if not text:
        return MAX_BYTES
    try:
        mib = float(text)
    except ValueError:
        raise NetError(f"{_ENV}={text!r} is not a number of MiB") from None
    if not mib > 0:
        raise NetError(f"{_ENV}={text!r} must be more than 0")
    return int(mib * 2**20)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def read_bytes(path, *, what: str = "file", limit: int | None = None) -> bytes:
    """The content of the regular file ``path``, at most ``limit`` bytes (default
    ``max_bytes()``); anything else is a one-line ``NetError`` naming the file."""
    file = os.fspath(path)
    limit = max_bytes() if limit is None else limit
    try:
        st = os.stat(file)
    except FileNotFoundError:
        raise NetError("no such file", file=file) from None
    except PermissionError:
        raise NetError("permission denied", file=file) from None
    except OSError as e:
        raise NetError(f"cannot read: {e.strerror or e}", file=file) from None
    if not stat.S_ISREG(st.st_mode):
        raise NetError(f"is {_kind(st.st_mode)}, not a {what}", file=file)
    try:
        # O_NONBLOCK: if the path became a FIFO since the stat, opening it does not wait
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except PermissionError:
        raise NetError("permission denied", file=file) from None
    except OSError as e:
        raise NetError(f"cannot read: {e.strerror or e}", file=file) from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise NetError(f"is {_kind(st.st_mode)}, not a {what}", file=file)
        if st.st_size > limit:
            raise NetError(f"{_size(st.st_size)}, more than the limit of {_size(limit)} for a "
                           f"{what} (raise it with {_ENV})", file=file)
        data = f.read(limit + 1)
    if len(data) > limit:  # grew while being read
        raise NetError(f"more than the limit of {_size(limit)} for a {what} (raise it with "
                       f"{_ENV})", file=file)
    if _inputs is not None:
        _inputs.add(os.path.realpath(file))
    return data


def read_text(path, *, what: str = "file", limit: int | None = None,
              kind: str = "UTF-8 text") -> str:
    """``read_bytes`` decoded as UTF-8 (a byte order mark is dropped); ``kind`` names the
    format in the message for a file that is not UTF-8 (``"UTF-8 TOML"``)."""
    data = read_bytes(path, what=what, limit=limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise NetError(f"not UTF-8 text (bad byte at offset {e.start}); {what}s are {kind}",
                       file=os.fspath(path)) from None


def inside(folder, name: str, *, allow_outside: bool = False, what: str = "file",
           file: str | None = None, element: str | None = None) -> str:
    """The path of ``name`` (relative to ``folder``), refused unless it lies inside ``folder``:
    no absolute path, no ``..`` above it, no symbolic link leading out of it. With
    ``allow_outside`` any path is accepted. ``file`` and ``element`` say where it was named."""
    path = os.path.join(folder, name)
    if allow_outside:
        return path
    hint = "; allow it with --allow-outside-tables (allow_outside=True in Python)"
    if os.path.isabs(name) or (os.path.splitdrive(name)[0]):
        raise NetError(f"{what} {name!r} is an absolute path; it must lie in the net's "
                       f"folder{hint}", file=file, element=element)
    norm = os.path.normpath(name)
    if norm == os.pardir or norm.startswith(os.pardir + os.sep):
        raise NetError(f"{what} {name!r} goes above the net's folder (..); it must lie in the "
                       f"net's folder{hint}", file=file, element=element)
    base = os.path.realpath(folder or ".")
    real = os.path.realpath(path)
    if os.path.commonpath([base, real]) != base:
        raise NetError(f"{what} {name!r} leads out of the net's folder through a symbolic "
                       f"link{hint}", file=file, element=element)
    return path


@contextlib.contextmanager
def reading_inputs():
    """While active, remember every file read, so that no output overwrites one of them."""
    global _inputs
    old, _inputs = _inputs, set()
    try:
        yield _inputs
    finally:
        _inputs = old


def update_in_place(path) -> None:
    """Allow the command to write ``path`` although it read it (a training run resumed from
    its own policy file writes the policy back)."""
    if _inputs is not None:
        _inputs.discard(os.path.realpath(os.fspath(path)))


def check_output(path, *, force: bool = False, inputs=()) -> None:
    """Refuse to write ``path`` if it is a symbolic link, a folder or another non-regular file,
    a file read by this command (or one of ``inputs``), or an existing file without ``force``."""
    file = os.fspath(path)
    if os.path.islink(file):
        raise NetError("is a symbolic link; outputs are not written through links (give the "
                       "path of the file itself)", file=file)
    read = set(_inputs or ()) | {os.path.realpath(os.fspath(p)) for p in inputs}
    if os.path.realpath(file) in read:
        raise NetError("is an input of this command; write the output to another file",
                       file=file)
    try:
        st = os.stat(file)
    except FileNotFoundError:
        return
    except OSError as e:
        raise NetError(f"cannot write: {e.strerror or e}", file=file) from None
    if not stat.S_ISREG(st.st_mode):
        raise NetError(f"is {_kind(st.st_mode)}; cannot write a file there", file=file)
    if not force:
        raise NetError("already exists; use --force to overwrite it", file=file)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def output(path, *, force: bool = False, inputs=()):
    """``with output(path) as tmp:`` write the file ``tmp`` (same folder and suffix as
    ``path``); when the block ends without error, it replaces ``path`` in one step.
    On any error (or Ctrl-C) the temporary file is removed and ``path`` is left as it was."""
    file = os.fspath(path)
    check_output(file, force=force, inputs=inputs)
    folder = os.path.dirname(file) or "."
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(file)}.",
                                   suffix=f".tmp{Path(file).suffix}")
    except OSError as e:
        raise NetError(f"cannot write: {e.strerror or e}", file=file) from None
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        check_output(file, force=force, inputs=inputs)  # nothing appeared meanwhile
        os.replace(tmp, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_output(path, data: str | bytes, *, force: bool = False, inputs=()) -> None:
    """Write ``data`` (text as UTF-8 with ``\\n`` line ends, or bytes) to ``path`` through
    ``output``."""
    with output(path, force=force, inputs=inputs) as tmp:
        if isinstance(data, str):
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                f.write(data)
        else:
            with open(tmp, "wb") as f:
                f.write(data)

"""Policy files: trained Q-tables as JSON or .npz, never pickle.

A policy file holds a format version, the kind of controller it is for, the hash of the net
it was trained on, its hyper-parameters and training record, and one or more named Q-tables
(action labels, states, values, visit counts). Loading checks the version and, given a net,
the hash: a policy trained on another net is refused with a message that says so.

The hash covers the net's structure (colour sets, variables, places with their colour sets
and capacities, transitions with their arcs, guards, delays and priorities, the names and key
columns of its tables and the names of its constants), not its initial marking or the rows of
its tables: a policy carries over to other order lists, initial stocks and parameter values,
but not to a net with other places or transitions.

In ``.npz`` files every table is stored as arrays (``<name>.q``, ``<name>.visits``) and the
rest as JSON text (``meta``, ``<name>.states``, ``<name>.labels``); they load with
``allow_pickle=False``.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from petri.files import max_bytes, output, read_bytes, read_text
from petri.model import Net, NetError

__all__ = ["FORMAT_VERSION", "net_hash", "save_policy", "load_policy", "PolicyError"]

FORMAT_VERSION = 1


class PolicyError(NetError):
    """A policy file that cannot be used: wrong format, version, or net."""


def _structure(net: Net) -> dict:
    def arc_in(a):
        return [a.place, a.pattern, a.weight, a.kind]

    def arc_out(a):
        return [a.place, a.expression, a.weight, a.delay]

    return {
        "colour_sets": {n: [c.kind, list(map(repr, c.values)), list(c.components), c.low, c.high,
                            c.timed] for n, c in sorted(net.colour_sets.items())},
        "variables": dict(sorted(net.variables.items())),
        "constants": sorted(net.constants),
        "tables": {n: list(t.key) for n, t in sorted(net.tables.items())},
        "places": {n: [p.colour, p.capacity] for n, p in sorted(net.places.items())},
        "transitions": {n: [t.guard, t.delay, t.priority, t.controllable,
                            [arc_in(a) for a in t.inputs], [arc_out(a) for a in t.outputs]]
                        + ([t.order] if t.order is not None else [])
                        for n, t in sorted(net.transitions.items())},
    }


def net_hash(net: Net) -> str:
    """A stable hash (sha256, hex) of the net's structure; see the module docstring."""
    text = json.dumps(_structure(net), sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save_policy(path, tables: dict, *, net: Net, kind: str, meta: dict | None = None,
                force: bool = True) -> Path:
    """Write ``tables`` (name -> ``QTable``) for controller ``kind``, trained on ``net``.

    The suffix decides the format: ``.json`` or ``.npz``. The file is written atomically
    (``petri.files.output``); over an existing file only with ``force``.
    """
    path = Path(path)
    head = {"format": "petri-flow policy", "format_version": FORMAT_VERSION, "kind": kind,
            "net": net.name, "net_hash": net_hash(net), "meta": meta or {}}
    data = {name: t.to_data() for name, t in tables.items()}
    if path.suffix not in (".json", ".npz"):
        raise PolicyError(f"a policy file is .json or .npz, not {path.suffix or 'no suffix'!r}",
                          file=str(path))
    with output(path, force=force) as tmp:
        if path.suffix == ".json":
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({**head, "tables": data}, f, indent=1)
                f.write("\n")
        else:
            arrays = {"meta": np.array(json.dumps({**head, "tables": list(data)}))}
            for name, d in data.items():
                arrays[f"{name}.q"] = np.asarray(d["q"], dtype=np.float64).reshape(
                    -1, len(d["labels"]))
                arrays[f"{name}.visits"] = np.asarray(d["visits"], dtype=np.int64).reshape(
                    -1, len(d["labels"]))
                rest = {k: v for k, v in d.items() if k not in ("q", "visits")}
                arrays[f"{name}.rest"] = np.array(json.dumps(rest))
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)
    return path


def load_policy(path, net: Net | None = None, kind: str | None = None) -> tuple[dict, dict]:
    """Read a policy file: (head, tables as ``QTable``). With ``net``, refuse a policy trained
    on another net; with ``kind``, refuse one made for another controller."""
    from control.qlearning import QTable
    path = Path(path)
    file = str(path)
    try:
        if path.suffix == ".json":
            whole = json.loads(read_text(path, what="policy file"))
            if not isinstance(whole, dict):
                raise PolicyError("not a policy file (no 'petri-flow policy' format marker)",
                                  file=file)
            head = {k: v for k, v in whole.items() if k != "tables"}
            raw = whole.get("tables", {})
        elif path.suffix == ".npz":
            data = io.BytesIO(read_bytes(path, what="policy file"))
            with zipfile.ZipFile(data) as archive:    # compressed: check what it unpacks to
                unpacked = sum(member.file_size for member in archive.infolist())
            if unpacked > max_bytes():
                raise PolicyError(f"unpacks to {unpacked:,} bytes, more than the limit of "
                                  f"{max_bytes():,} for a policy file (raise it with "
                                  f"PETRI_MAX_FILE_MIB)", file=file)
            with np.load(data, allow_pickle=False) as z:
                head = json.loads(str(z["meta"]))
                raw = {}
                for name in head.pop("tables"):
                    d = json.loads(str(z[f"{name}.rest"]))
                    d["q"] = z[f"{name}.q"].tolist()
                    d["visits"] = z[f"{name}.visits"].tolist()
                    raw[name] = d
        else:
            raise PolicyError("a policy file is .json or .npz", file=file)
    except (ValueError, KeyError, OSError, RecursionError, EOFError, zipfile.BadZipFile) as e:
        if isinstance(e, (FileNotFoundError, NetError)):
            raise
        if isinstance(e, RecursionError):
            raise PolicyError("not a readable policy file (nested too deeply)", file=file) from None
        raise PolicyError(f"not a readable policy file ({type(e).__name__}: {e})", file=file) from None
    if head.get("format") != "petri-flow policy":
        raise PolicyError("not a policy file (no 'petri-flow policy' format marker)", file=file)
    version = head.get("format_version")
    if version != FORMAT_VERSION:
        raise PolicyError(f"policy format version {version!r}; this version of petri-flow reads "
                          f"version {FORMAT_VERSION}; train the policy again", file=file)
    if kind is not None and head.get("kind") != kind:
        raise PolicyError(f"this policy is for the controller {head.get('kind')!r}, not {kind!r}",
                          file=file)
    if net is not None:
        mine = net_hash(net)
        if head.get("net_hash") != mine:
            raise PolicyError(
                f"this policy was trained on another net: net {head.get('net')!r} with hash "
                f"{str(head.get('net_hash'))[:12]}, but this net {net.name!r} has hash {mine[:12]} "
                f"(places, transitions or arcs differ); train a policy for this net "
                f"(petri train)", file=file)
    try:
        tables = {name: QTable.from_data(d) for name, d in raw.items()}
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise PolicyError(f"a table of the policy is malformed ({type(e).__name__}: {e})",
                          file=file) from None
    for name, table in tables.items():
        for state, q in table.q.items():
            if not np.all(np.isfinite(q)):
                raise PolicyError(f"table {name!r}: state {state!r} has a Q-value that is not a "
                                  f"finite number ({q.tolist()})", file=file)
    return head, tables

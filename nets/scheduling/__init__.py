"""Public scheduling benchmark instances, shipped with the package (``instances/``).

Taillard's job shops ``ta01``-``ta80`` and Brandimarte's flexible job shops ``mk01``-``mk10``,
with their best known makespans and lower bounds (``instances/best_known.csv``; sources in
``instances/README.md``).

>>> from nets.scheduling import benchmark, instance_path
>>> instance_path("ta01").name, benchmark()["ta01"]["best_known"]
('ta01.txt', 1231)
"""
from __future__ import annotations

import csv
from pathlib import Path

__all__ = ["INSTANCES", "benchmark", "instance_path", "names"]

#: the folder of the shipped instance files
INSTANCES = Path(__file__).resolve().parent / "instances"


def benchmark() -> dict[str, dict]:
    """Instance name -> its row: ``family``, ``file`` (relative to ``INSTANCES``), ``jobs``,
    ``machines``, ``lower_bound`` and ``best_known`` (numbers as ints), in file order."""
    with open(INSTANCES / "best_known.csv", newline="", encoding="utf-8") as f:
        out = {}
        for row in csv.DictReader(f):
            for key in ("jobs", "machines", "lower_bound", "best_known"):
                row[key] = int(row[key])
            out[row["instance"]] = row
    return out


def names() -> list[str]:
    """The shipped instances' names (``ta01``, ..., ``mk10``)."""
    return list(benchmark())


def instance_path(name: str) -> Path:
    """The file of the shipped instance ``name`` (``KeyError`` when there is none)."""
    return INSTANCES / benchmark()[name]["file"]

"""CPU and wall time of the FlowFactory experiment and of training, as a user runs them.

Each command runs once, as its own process (``python -m petri ...``) writing into a temporary
folder; its CPU time is the user plus system time of the process and its children
(``getrusage(RUSAGE_CHILDREN)``), which the sharing of the machine inflates far less than the
wall time beside it.

    python -m bench --section training
"""
from __future__ import annotations

import importlib.util
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Result  # noqa: E402


def commands(quick: bool, out: Path) -> list[tuple[str, list[str] | None, str]]:
    """(what, argv or None when it cannot run here, why not)."""
    if quick:
        return [("`petri experiment --controller traditional --case 1` (ideal scenario, one case)",
                 ["-m", "petri", "experiment", "--controller", "traditional", "--case", "1",
                  "--out", str(out / "experiment")], "")]
    ppo = importlib.util.find_spec("sb3_contrib") is not None
    return [
        ("`petri experiment` as shipped (the README's first command: ideal scenario, 5 "
         "controllers x 10 cases, plant timing, tables and plots)",
         ["-m", "petri", "experiment", "--out", str(out / "experiment")], ""),
        ("`petri train --episodes 60` (thesis-rl, the thesis's Q-learning modules, ideal, ten "
         "cases)", ["-m", "petri", "train", "--episodes", "60", "--out",
                    str(out / "policy.json")], ""),
        ("`examples/maskable_ppo.py` (MaskablePPO, 4096 steps, flow shop)",
         [str(ROOT / "examples" / "maskable_ppo.py")] if ppo else None,
         "sb3-contrib is not installed"),
    ]


def run(argv: list[str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
    return {"cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "wall_seconds": wall}


def training_section(quick: bool) -> Result:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for what, argv, why in commands(quick, Path(tmp)):
            row = {"what": what}
            if argv is None:
                row["not_run"] = why
            else:
                row |= run(argv)
                print(f"  {what[:60]}: {row['cpu_seconds']:.1f} s CPU", file=sys.stderr, flush=True)
            rows.append(row)
    lines = ["| what | CPU s (user + system) | wall s |", "|---|---:|---:|"]
    for r in rows:
        if "not_run" in r:
            lines.append(f"| {r['what']} | not run: {r['not_run']} | |")
        else:
            lines.append(f"| {r['what']} | {r['cpu_seconds']:.1f} | {r['wall_seconds']:.1f} |")
    return Result("\n".join(lines), rows,
                  "user + system CPU time of each command's process and children "
                  "(`getrusage(RUSAGE_CHILDREN)`) and its wall time, one run each")


SECTIONS = {"training": training_section}

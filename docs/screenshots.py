"""Regenerate the pictures of docs/workbench.md: ``python docs/screenshots.py [OUT_DIR]``.

The drawings come from ``petri draw`` and ``petri reach --draw``; the pictures of the page come
from the browser tests (tests/test_workbench_browser.py), which save them when
``PETRI_SCREENSHOTS`` names a folder, so that what the docs show is what the tests checked.
Needs matplotlib, selenium, chromium and chromium-driver (see the README).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: picture -> the petri command that draws it into the picture
DRAWINGS = {
    "draw-production-line.png": ["draw", "examples/production_line.toml", "--marking", "-o"],
    "draw-kanban.png": ["draw", "tests/data/mcc/Kanban-PT-00005.pnml", "-o"],
    "reach-two-locks.png": ["reach", "examples/two_locks.toml", "--draw"],
}


def draw_all(out: Path) -> None:
    """The drawings, by the commands the docs show."""
    out.mkdir(parents=True, exist_ok=True)
    for name, args in DRAWINGS.items():
        subprocess.run([sys.executable, "-m", "petri", *args, str(out / name), "--force"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def main(out: Path) -> int:
    draw_all(out)
    env = {**os.environ, "PETRI_SCREENSHOTS": str(out)}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_workbench_browser.py"], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"))

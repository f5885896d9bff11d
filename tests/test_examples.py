"""The examples run and say what the docs say they say."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_example(name: str) -> subprocess.CompletedProcess:
    """Run examples/NAME from the repository root with this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ROOT / "examples" / name)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_production_line_example():
    r = run_example("production_line.py")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == ("production line: 48 firings, last firing at t=1255 s, "
                        "all 24 parts finished at t=1310 s")
    assert lines[-2:] == ["M1: busy 1220 s, utilisation 93%", "M2: busy 1060 s, utilisation 81%"]


def test_quickstart_example_is_the_readme_section():
    """Every line of the README's Python blocks under "In Python" is in examples/quickstart.py,
    and the file runs: the plain run, then M1 controlled (all A first, then B, then C)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## In Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks
    example = (ROOT / "examples" / "quickstart.py").read_text(encoding="utf-8")
    for line in "".join(blocks).splitlines():
        assert line in example.splitlines(), line
    r = run_example("quickstart.py")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "1255 [('A', 115), ('C', 160), ('C', 205)]"
    clock, order = lines[1].split(" ", 1)
    assert clock == "1340"
    assert order == "A" * 10 + "B" * 8 + "C" * 6

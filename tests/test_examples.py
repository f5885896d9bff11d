"""The examples run and say what the docs say they say."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_production_line_example():
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "production_line.py")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == ("production line: 48 firings, last firing at t=1255 s, "
                        "all 24 parts finished at t=1310 s")
    assert lines[-2:] == ["M1: busy 1220 s, utilisation 93%", "M2: busy 1060 s, utilisation 81%"]

"""The built wheel works on its own: installed in a fresh virtual environment outside the
checkout, ``petri experiment`` finds its nets, data and plugin and gives the same table as the
checkout.

The environment reuses the dependencies already installed (numpy, pandas, ...) through a
``.pth`` line naming their folder; a ``.pth`` line only adds a path, so the editable install's
own ``.pth`` hooks in that folder do not run, and the wheel's packages come first.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE_CASE = ["experiment", "--case", "2", "--scenario", "ideal", "--controller", "traditional",
            "--workers", "1", "--json"]


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    return r


def _build_isolation() -> list[str]:
    """Build with the setuptools at hand when it writes wheels itself (70.1 or newer)."""
    try:
        import setuptools
        major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    except (ImportError, ValueError):
        return []
    return ["--no-build-isolation"] if (major, minor) >= (70, 1) else []


def test_wheel_runs_the_experiment_outside_the_checkout(tmp_path):
    # build from a copy, so that the checkout gets no build/ or egg-info folders
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", "out", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
        ".hypothesis", "tests"))
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *_build_isolation(),
          "-w", str(dist), str(src)])
    wheels = list(dist.glob("petri_flow-*.whl"))
    assert len(wheels) == 1

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                            "['purelib'])"]).stdout.strip())
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (purelib / "_dependencies.pth").write_text("".join(f"{d}\n" for d in deps))
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
          "--no-index", str(wheels[0])])

    work = tmp_path / "elsewhere"
    work.mkdir()
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    where = _run([str(python), "-c", "import petri, control, kpi, nets; "
                  "print(*(m.__file__ for m in (petri, control, kpi, nets)), sep='\\n')"],
                 cwd=work, env=clean).stdout.split()
    assert all(Path(f).is_relative_to(purelib) for f in where), where
    assert (purelib / "nets" / "flowfactory" / "data" / "orders.csv").is_file()
    assert (purelib / "petri" / "net-format.schema.json").is_file()
    assert (purelib / "nets" / "scheduling" / "instances" / "taillard" / "ta80.txt").is_file()
    assert (purelib / "nets" / "scheduling" / "instances" / "brandimarte" / "mk10.fjs").is_file()

    petri = env_dir / "bin" / "petri"
    assert "experiment" in _run([str(petri), "--help"], cwd=work, env=clean).stdout
    installed = _run([str(petri), *ONE_CASE, "--out", str(work / "out")], cwd=work, env=clean)
    checkout = _run([sys.executable, "-m", "petri", *ONE_CASE, "--out", str(tmp_path / "out")],
                    cwd=ROOT, env={**clean, "PYTHONPATH": str(ROOT)})
    rows, expected = json.loads(installed.stdout), json.loads(checkout.stdout)
    timing = ("wall_seconds", "simulation_seconds", "decision_seconds")
    assert [{k: v for k, v in r.items() if k not in timing} for r in rows] == \
        [{k: v for k, v in r.items() if k not in timing} for r in expected]
    assert [(r["scenario"], r["controller"], r["cases"], r["complete"]) for r in rows] == \
        [("ideal", "traditional", 1, True)]
    assert rows[0]["makespan_days"] >= rows[0]["lower_bound_days"] > 0
    assert (work / "out" / "summary.csv").is_file()      # written outside the checkout
    # the scheduling service's migrations are in the wheel: the installed command creates
    # its tables outside the checkout
    keys = _run([str(petri), "keys", "create", "wheel", "--database",
                 f"sqlite:///{work / 'service.db'}"], cwd=work, env=clean)
    assert keys.stdout.startswith("pk_") and (work / "service.db").is_file()
    # the shipped benchmark instances: by name, and as nets, outside the checkout
    shop = json.loads(_run([str(petri), "schedule", "mk01", "--method", "rule:mwkr", "--json"],
                           cwd=work, env=clean).stdout)
    here = json.loads(_run([sys.executable, "-m", "petri", "schedule",
                            "nets/scheduling/instances/brandimarte/mk01.fjs", "--method",
                            "rule:mwkr", "--json"], cwd=ROOT).stdout)
    assert shop["makespan"] == here["makespan"] and shop["operations"] == 55
    net = _run([str(python), "-c", "import petri; from nets.scheduling import instance_path; "
                "n = petri.load(instance_path('ta01')); print(len(n.places['waiting'].initial))"],
               cwd=work, env=clean)
    assert net.stdout.split() == ["15"]

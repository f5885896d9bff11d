"""``petri.parallel``: the grids and training give the same results here, in worker processes
and on a local Ray cluster (``--ray local``); Ctrl-C keeps what finished; a missing Ray or an
unreachable cluster is one line."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from control.flowfactory import plant as ff
from control.scheduling import schedule
from petri.errors import CommandError
from petri.formats.jobshop import read_instance
from petri.parallel import RAY_HINT, Backend, run_tasks
from parallel_tasks import fail, square
from terminal import default_sigint

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "scheduling"
MK = ROOT / "nets" / "scheduling" / "instances" / "brandimarte"


def petri(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "petri", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def without_wall(rows):
    return [{k: v for k, v in r.items() if "wall" not in k and "seconds" not in k}
            for r in rows]


# -- run_tasks here and in processes ---------------------------------------------------------

@pytest.mark.parametrize("workers", [1, 2])
def test_results_in_task_order_and_as_they_arrive(workers):
    arrived = []
    out = run_tasks(square, [(x,) for x in range(7)], Backend(workers),
                    on_result=lambda i, r: arrived.append((i, r)))
    assert out.results == [0, 1, 4, 9, 16, 25, 36] and not out.interrupted and out.done == 7
    assert sorted(arrived) == [(i, i * i) for i in range(7)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_task_raises_its_own_error(workers):
    with pytest.raises(ValueError, match="^task 2 fails$"):
        run_tasks(fail, [(x,) for x in range(4)], Backend(workers))


def test_backend_from_the_options():
    assert Backend.parse() == Backend(1, None)
    assert Backend.parse(3) == Backend(3, None)
    assert Backend.parse(None, "local") == Backend(os.cpu_count() or 1, "local")
    assert Backend.parse(2, " 10.0.0.5:6379 ") == Backend(2, "10.0.0.5:6379")
    with pytest.raises(CommandError, match="^--ray: give a cluster address"):
        Backend.parse(None, " ")


# -- without Ray, or without a cluster ---------------------------------------------------------

def test_missing_ray_is_one_line(tmp_path):
    shadow = tmp_path / "ray"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    r = petri("schedule-grid", DATA / "three.txt", "--ray", "local",
              env={"PYTHONPATH": str(tmp_path)})
    assert (r.returncode, r.stdout, r.stderr) == (1, "", f"petri: error: {RAY_HINT}\n")
    assert RAY_HINT == ('--ray needs Ray, which is not installed: pip install '
                        '"petri-flow[ray]" (or pip install "ray>=2.60")')


def test_unreachable_cluster_is_one_line():
    import socket
    with socket.socket() as s:          # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = petri("schedule-grid", DATA / "three.txt", "--ray", f"127.0.0.1:{port}")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"petri: error: --ray 127.0.0.1:{port}: cannot reach the Ray cluster "
                        f"(Connection refused); start one with 'ray start --head' or use "
                        f"--ray local\n")
    r = petri("schedule-grid", DATA / "three.txt", "--ray", "nowhere")
    assert r.stderr == ("petri: error: --ray nowhere: not a cluster address (host:port, "
                        "ray://host:port, auto) nor local\n")


# -- the grids on a local Ray cluster ------------------------------------------------------------

def test_schedule_grid_on_ray_equals_the_local_run():
    args = [DATA / "three.txt", MK / "mk01.fjs", "--method", "policy", "--method", "rule:spt",
            "--seeds", 2, "--seed", 5, "--json"]
    here = petri("schedule-grid", *args)
    assert here.returncode == 0, here.stderr
    rows = json.loads(here.stdout)
    # instances x methods x seeds, in that order, each the makespan schedule() gives
    assert [(r["instance"], r["method"], r["seed"]) for r in rows] == [
        (i, m, s) for i in ("three", "mk01") for m in ("policy", "rule:spt") for s in (5, 6)]
    for r, path in zip(rows[::4], (DATA / "three.txt", MK / "mk01.fjs")):
        inst = read_instance(path)
        assert r["makespan"] == schedule(inst, method="policy").makespan
        assert r["lower_bound"] == inst.lower_bound()
    ray = petri("schedule-grid", *args, "--ray", "local", "--workers", 2)
    assert ray.returncode == 0, ray.stderr
    assert without_wall(json.loads(ray.stdout)) == without_wall(rows)
    assert ray.stderr == ""                    # Ray's own logging stays quiet


def _cases(tmp_path, *numbers):
    lines = (ff.DATA / "initial_stock.csv").read_text().splitlines()
    path = tmp_path / "cases.csv"
    path.write_text("\n".join([lines[0], *(lines[n] for n in numbers)]) + "\n")
    return path


def test_experiment_on_ray_equals_the_local_run(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text("\n".join((ff.DATA / "orders.csv").read_text().splitlines()[:6]) + "\n")
    args = ["--scenario", "ideal", "--controller", "traditional", "--controller", "ss",
            "--orders", orders, "--cases", _cases(tmp_path, 2, 7), "--json"]
    here = petri("experiment", *args, "--workers", 1, "--out", tmp_path / "here")
    assert here.returncode == 0, here.stderr
    ray = petri("experiment", *args, "--ray", "local", "--workers", 2, "--out", tmp_path / "ray")
    assert ray.returncode == 0, ray.stderr
    rows = without_wall(json.loads(here.stdout))
    assert [(r["scenario"], r["controller"], r["cases"]) for r in rows] == [
        ("ideal", "traditional", 2), ("ideal", "ss", 2)]
    assert without_wall(json.loads(ray.stdout)) == rows
    for out in ("here", "ray"):                 # a header and one row per case and group
        assert len((tmp_path / out / "cases.csv").read_text().splitlines()) == 5


def test_train_scheduler_on_ray_trains_the_same_policy(tmp_path):
    pytest.importorskip("torch")
    # one validation instance: what is compared is the labelling, not the set judged on
    args = ["train-scheduler", "--instances", 10, "--checkpoint-every", 10, "--seed", 2,
            "--validation", 1]
    here = petri(*args, "--out", tmp_path / "here.json")
    assert here.returncode == 0, here.stderr
    ray = petri(*args, "--out", tmp_path / "ray.json", "--ray", "local", "--workers", 2)
    assert ray.returncode == 0, ray.stderr
    # 10 instances: a batch of 8 and one of 2, each labelled in parallel; the same weights
    assert (tmp_path / "here.npz").read_bytes() == (tmp_path / "ray.npz").read_bytes()
    a = json.loads((tmp_path / "here.json").read_text())["meta"]
    b = json.loads((tmp_path / "ray.json").read_text())["meta"]
    assert a["instances"] == b["instances"] == 10 and a["history"] == b["history"]


CTRL_C = """
import os, sys, time
from parallel_tasks import press_ctrl_c
from petri.parallel import Backend, run_tasks
arrived = sys.argv[2]
t = time.monotonic()
f = run_tasks(press_ctrl_c, [(i, os.getpid(), 4, arrived) for i in range(12)],
              Backend(2, sys.argv[1] or None),
              on_result=lambda i, r: open(os.path.join(arrived, str(i)), "w").close())
print(f.interrupted, f.results[:4], f.results[4], f.done, round(time.monotonic() - t))
"""


@pytest.mark.parametrize("where", ["processes", "local"])
def test_ctrl_c_keeps_the_results_that_arrived(where, tmp_path):
    # task 4 presses Ctrl-C once tasks 0-3 have answered; it never answers itself
    r = subprocess.run([sys.executable, "-c", CTRL_C, where if where == "local" else "",
                        tmp_path],
                       cwd=ROOT, capture_output=True, text=True, timeout=300,
                       preexec_fn=default_sigint,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "tests")})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("True [0, 1, 4, 9] None ")
    done = int(r.stdout.split()[-2])
    assert 4 <= done < 12                       # what arrived is kept, the rest dropped


def test_ctrl_c_in_training_keeps_the_batches_learnt(tmp_path):
    pytest.importorskip("torch")
    from test_interrupt import interrupt
    out = tmp_path / "pol.json"
    # the signal goes at the first progress line: it comes once a batch is labelled
    code, stdout, err, _ = interrupt(["train-scheduler", "--instances", 1000, "--out", out,
                                      "--checkpoint-every", 8, "--validation", 1],
                                     after_progress=r"% val ", timeout=300)
    assert code == 130 and stdout == ""
    meta = json.loads(out.read_text())["meta"]
    done = meta["instances"]
    assert 0 < done < 1000 and done % 8 == 0          # whole batches only
    assert meta["validation_instances"] == 1
    assert err.endswith(f"{out}: interrupted after {done} instances; --resume goes on from "
                        f"there\n")

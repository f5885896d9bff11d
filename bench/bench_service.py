"""Load test of the scheduling service: concurrent clients posting a plant instance.

    python bench/bench_service.py [--clients 20] [--seconds 60] [--jobs 411] [--machines 149]
                                  [--hours 14951] [--workers 1]
    python bench/bench_service.py --request-path     # CPU per stage, old and new pass
    python bench/bench_service.py --side-by-side TREE   # CPU per stage, this code and TREE's
    python bench/bench_service.py --together    # CPU per stage, one process alone and two at once
    python -m bench --section service                # both, into docs/performance.md

Starts ``petri serve --workers N`` (N > 1: one HTTP process and N scheduling processes) on a
loopback port with a fresh SQLite database, writes a plant with ``petri generate-plant``,
turns it into a JSON request (jobs, machines, calendars) and lets ``--clients`` threads post
it for ``--seconds`` seconds, each waiting for its answer before posting again. Prints requests, errors, throughput, the latency percentiles (p50, p95,
p99), the server's CPU seconds per request (its processes' user + system time over the load,
from /proc) and the clients' (this process's CPU time) as one JSON line. The clients use
http.client with the body encoded once, each on one kept-alive connection.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import cpu_seconds, source_tree  # noqa: E402
from petri.cli import whole_number  # noqa: E402
from petri.formats.jobshop import read_plant  # noqa: E402
from control.scheduling.service.requests import instance_request  # noqa: E402


def plant_request(folder: Path, method: str) -> dict:
    """A plant read from its CSV folder, as a ``POST /schedules`` body."""
    return instance_request(read_plant(folder)) | {"method": method}


def _own_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads, not its children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    out = [pid]
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for c in children:
            out += _process_tree(int(c))
    return out


def _counters(pid: int) -> dict:
    """What the kernel counts for one process (all its threads): CPU seconds, page faults,
    context switches (voluntary: it waited; involuntary: it was preempted), threads."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = dict(line.split(":", 1) for line in
                      Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    except OSError:
        return {}
    return {"cpu_s": (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"),
            "minor_faults": int(fields[7]), "major_faults": int(fields[9]),
            "voluntary_switches": int(status["voluntary_ctxt_switches"]),
            "involuntary_switches": int(status["nonvoluntary_ctxt_switches"]),
            "threads": int(status["Threads"])}


def load_test(clients: int = 20, seconds: float = 60.0, jobs: int = 411, machines: int = 149,
              hours: int = 14951, method: str = "policy", workers: int = 1) -> dict:
    """Run the load test; its figures (what ``main`` prints)."""
    tmp = Path(tempfile.mkdtemp(prefix="petri-bench-"))
    subprocess.run([sys.executable, "-m", "petri", "generate-plant", "--jobs", str(jobs),
                    "--machines", str(machines), "--hours", str(hours), "-o",
                    str(tmp / "plant")], cwd=ROOT, check=True, capture_output=True)
    body = json.dumps(plant_request(tmp / "plant", method))
    payload = body.encode("utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    key = "bench-key"
    extra = ["--workers", str(workers)] if workers > 1 else []
    server = subprocess.Popen([sys.executable, "-m", "petri", "serve", "--port", str(port),
                               *extra, "--database", f"sqlite:///{tmp / 'bench.db'}"], cwd=ROOT,
                              env={**os.environ, "PETRI_API_KEY": key})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        for _ in range(2 * workers):          # every process past its first request
            first = httpx.post(base + "/schedules", content=body, timeout=120,
                               headers={"X-API-Key": key, "content-type": "application/json"})
            first.raise_for_status()
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def client():
            # a lean client (http.client, the body encoded once), as a real one behaves:
            # one kept-alive connection, each request waiting for its answer
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            headers = {"X-API-Key": key, "Content-Type": "application/json"}
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    conn.request("POST", "/schedules", body=payload, headers=headers)
                    r = conn.getresponse()
                    r.read()
                    ok = r.status == 201
                    what = f"HTTP {r.status}"
                except (OSError, http.client.HTTPException) as e:
                    ok, what = False, type(e).__name__
                    conn.close()
                dt = time.perf_counter() - t0
                with lock:
                    (latencies.append(dt) if ok else errors.append(what))
            conn.close()

        load0 = os.getloadavg()[0]
        processes = _process_tree(server.pid)
        before = {p: _counters(p) for p in processes}
        t0 = time.perf_counter()
        cpu0 = cpu_seconds(server.pid)
        front0 = _own_cpu_seconds(server.pid)
        own0 = time.process_time()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        cpu = cpu_seconds(server.pid) - cpu0
        front = _own_cpu_seconds(server.pid) - front0
        own = time.process_time() - own0
        after = {p: _counters(p) for p in processes}
        served = max(1, len(latencies) + len(errors))
        # per process: the HTTP process (the server's pid) and the scheduling processes
        # (the ones that used CPU; a --workers 1 server has none), per request served
        kinds = {}
        for p in processes:
            if not before[p] or not after[p]:
                continue
            delta = {k: after[p][k] - before[p][k] for k in before[p] if k != "threads"}
            if p != server.pid and delta["cpu_s"] < 0.05 * wall:
                continue                    # multiprocessing's resource tracker
            kind = "http_process" if p == server.pid else "scheduling_processes"
            into = kinds.setdefault(kind, {"processes": 0, "threads": 0})
            into["processes"] += 1
            into["threads"] += after[p]["threads"]
            for k, v in delta.items():
                into[k] = into.get(k, 0) + v
        processes_per_request = {
            kind: {k: (v if k in ("processes", "threads") else
                       round(v / served, 4 if k == "cpu_s" else 1)) for k, v in d.items()}
            for kind, d in kinds.items()}
        q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
        return {
            "clients": clients, "workers": workers, "seconds": round(wall, 1), "jobs": jobs,
            "operations": sum(len(j["operations"]) for j in json.loads(body)["jobs"]),
            "method": first.json()["method"], "makespan": first.json()["makespan"],
            "requests": len(latencies), "errors": len(errors),
            "error_kinds": sorted(set(errors)),
            "per_second": round(len(latencies) / wall, 2),
            "p50_s": round(q[49], 3), "p95_s": round(q[94], 3), "p99_s": round(q[98], 3),
            "server_cpu_s_per_request": round(cpu / max(1, len(latencies) + len(errors)), 3),
            "http_process_cpu_s_per_request": round(front / max(1, len(latencies) + len(errors)),
                                                    4),
            "client_cpu_s_per_request": round(own / max(1, len(latencies) + len(errors)), 4),
            "per_request_by_process": processes_per_request,
            "load_average_1min_before": round(load0, 1),
            "load_average_1min": round(os.getloadavg()[0], 1)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def request_path(jobs: int = 411, machines: int = 149, hours: int = 14951,
                 repeats: int = 5) -> dict:
    """CPU time of each stage of ``POST /schedules`` in this process, the policy's pass run
    by the dispatcher (plain Python) and by the compiled kernel, side by side: stage ->
    {"dispatcher": ms, "compiled": ms} (medians of ``repeats`` after one unmeasured run)."""
    from control.scheduling import onepass
    from control.scheduling.policy import shipped_policy
    from control.scheduling.schedule import check_schedule
    from control.scheduling.service.app import (answer_json, collector_paused,
                                                parse_schedule_request)
    from control.scheduling.service.requests import build_instance
    from control.scheduling.service.store import open_database
    tmp = Path(tempfile.mkdtemp(prefix="petri-bench-"))
    subprocess.run([sys.executable, "-m", "petri", "generate-plant", "--jobs", str(jobs),
                    "--machines", str(machines), "--hours", str(hours), "-o",
                    str(tmp / "plant")], cwd=ROOT, check=True, capture_output=True)
    body = json.dumps(plant_request(tmp / "plant", "policy")).encode()
    policy = shipped_policy()
    onepass.warm_up().wait()
    db = open_database(f"sqlite:///{tmp / 'bench.db'}")
    times: dict[str, dict[str, list[float]]] = {}
    operations = 0

    def timed(stage, way, fn):
        t0 = time.process_time()
        out = fn()
        times.setdefault(stage, {}).setdefault(way, []).append(time.process_time() - t0)
        return out

    for k in range(repeats + 1):
        for way, compiled in (("dispatcher", False), ("compiled", True)):
            with collector_paused():              # as the service does
                req = timed("parsing and validation (pydantic, from the bytes)", way,
                            lambda: parse_schedule_request(body, "application/json"))
                inst, fmt, source = timed("building the instance", way,
                                          lambda: build_instance(req, body))
                timed("lower bound", way, inst.lower_bound)
                result = timed("the policy's pass", way,
                               lambda: onepass.policy_pass(inst, policy, compiled=compiled))
                assert timed("checking the schedule", way,
                             lambda: check_schedule(inst, result)) == []
                sid = timed("storing it (SQLite)", way,
                            lambda: db.save(name=inst.name, format=fmt, source=source,
                                            instance=inst, schedule=result, fallback=False))
                timed("the answer as JSON", way,
                      lambda: answer_json(sid, inst.name, result, False))
            operations = len(result.operations)
            runs = getattr(request_path, "_runs", {})
            runs[way] = [(o.job, o.operation, o.machine, o.start, o.end, o.pieces)
                         for o in result.operations]
            request_path._runs = runs
        assert request_path._runs["dispatcher"] == request_path._runs["compiled"]
        if k == 0:
            times.clear()                     # the first run loads and caches
    stages = {stage: {way: round(1000 * statistics.median(v), 1) for way, v in ways.items()}
              for stage, ways in times.items()}
    stages["total"] = {way: round(sum(s[way] for s in stages.values()), 1)
                       for way in ("dispatcher", "compiled")}
    return {"jobs": jobs, "operations": operations, "request_bytes": len(body),
            "repeats": repeats, "stages_ms": stages}


#: one request path per line read from stdin, each stage's CPU time printed as a JSON line;
#: run in a source tree (its working directory and PYTHONPATH) by ``side_by_side``
_STAGE_WORKER = """
import contextlib, gc, json, sys, tempfile, time
from pathlib import Path
from control.scheduling import onepass
from control.scheduling.service import app
from control.scheduling.policy import shipped_policy
from control.scheduling.schedule import check_schedule
from control.scheduling.service.app import answer_json, parse_schedule_request
from control.scheduling.service.requests import build_instance
from control.scheduling.service.store import open_database
body = Path(sys.argv[1]).read_bytes()
policy = shipped_policy()
onepass.warm_up().wait()
db = open_database(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
gc.collect(); gc.freeze(); gc.set_threshold(20000, 20, 20)      # as the service does
paused = getattr(app, "collector_paused", contextlib.nullcontext)   # where it does
def one():
    t = {}
    def timed(stage, fn):
        t0 = time.process_time(); out = fn(); t[stage] = 1000 * (time.process_time() - t0)
        return out
    req = timed("parsing and validation", lambda: parse_schedule_request(body, "application/json"))
    inst, fmt, source = timed("building the instance", lambda: build_instance(req, body))
    timed("lower bound", inst.lower_bound)
    result = timed("the policy's pass", lambda: onepass.policy_pass(inst, policy, compiled=True))
    assert timed("checking the schedule", lambda: check_schedule(inst, result)) == []
    sid = timed("storing it (SQLite)", lambda: db.save(name=inst.name, format=fmt, source=source,
                                                       instance=inst, schedule=result,
                                                       fallback=False))
    timed("the answer as JSON", lambda: answer_json(sid, inst.name, result, False))
    t["total"] = sum(t.values())
    t["schedule"] = sorted((o.job, o.operation, o.machine, o.start, o.end, o.pieces)
                           for o in result.operations)
    return t
one()
print("ready", flush=True)
for line in sys.stdin:
    with paused():
        t = one()
    print(json.dumps(t), flush=True)
"""


def side_by_side(other: str, rounds: int = 21, cpu: int = 1, jobs: int = 411,
                 machines: int = 149, hours: int = 14951) -> dict:
    """The request path's stages in this source tree and in ``other`` (a checkout of other
    code), side by side: two processes pinned to one core take turns, request by request
    (the order alternating each round), so that both meet the same load on a shared
    machine. Stage -> (this tree's median ms, the other's, the median of the per-round
    ratios other / this); the schedules must be the same."""
    tmp = Path(tempfile.mkdtemp(prefix="petri-bench-"))
    subprocess.run([sys.executable, "-m", "petri", "generate-plant", "--jobs", str(jobs),
                    "--machines", str(machines), "--hours", str(hours), "-o",
                    str(tmp / "plant")], cwd=ROOT, check=True, capture_output=True)
    (tmp / "body.json").write_text(json.dumps(plant_request(tmp / "plant", "policy")))
    trees = [str(ROOT), str(Path(other).resolve())]
    workers = [subprocess.Popen(["taskset", "-c", str(cpu), sys.executable, "-c", _STAGE_WORKER,
                                 str(tmp / "body.json")], cwd=tree,
                                env={**os.environ, "PYTHONPATH": tree}, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True) for tree in trees]
    try:
        for w in workers:
            if w.stdout.readline().strip() != "ready":
                raise SystemExit("a stage worker did not start")
        runs: list[list[dict]] = [[], []]
        for r in range(rounds):
            for i in ((0, 1) if r % 2 == 0 else (1, 0)):
                workers[i].stdin.write("go\n")
                workers[i].stdin.flush()
                runs[i].append(json.loads(workers[i].stdout.readline()))
    finally:
        for w in workers:
            w.stdin.close()
            w.wait()
    if any(t["schedule"] != runs[0][0]["schedule"] for t in runs[0] + runs[1]):
        raise SystemExit("the two trees made different schedules")
    return {stage: (round(statistics.median(t[stage] for t in runs[0]), 1),
                    round(statistics.median(t[stage] for t in runs[1]), 1),
                    round(statistics.median(b[stage] / a[stage] for a, b in zip(*runs)), 2))
            for stage in runs[0][0] if stage != "schedule"}


def together(rounds: int = 10, jobs: int = 411, machines: int = 149, hours: int = 14951) -> dict:
    """The request path's stages in one process on CPU 0 while nothing of ours runs beside
    it, then in two processes at once (CPU 0 and CPU 1), as a server's two scheduling
    processes run under load: phase -> stage -> median ms of ``rounds`` requests (each
    phase twice, alternating)."""
    tmp = Path(tempfile.mkdtemp(prefix="petri-bench-"))
    subprocess.run([sys.executable, "-m", "petri", "generate-plant", "--jobs", str(jobs),
                    "--machines", str(machines), "--hours", str(hours), "-o",
                    str(tmp / "plant")], cwd=ROOT, check=True, capture_output=True)
    (tmp / "body.json").write_text(json.dumps(plant_request(tmp / "plant", "policy")))
    workers = [subprocess.Popen(["taskset", "-c", str(cpu), sys.executable, "-c", _STAGE_WORKER,
                                 str(tmp / "body.json")], cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for cpu in (0, 1)]

    def run(w, n, out):
        for _ in range(n):
            w.stdin.write("go\n")
            w.stdin.flush()
            t = json.loads(w.stdout.readline())
            t.pop("schedule")
            out.append(t)

    runs: dict[str, list[dict]] = {"alone": [], "two at once": []}
    try:
        for w in workers:
            if w.stdout.readline().strip() != "ready":
                raise SystemExit("a stage worker did not start")
        for _ in range(2):
            run(workers[0], rounds // 2, runs["alone"])
            threads = [threading.Thread(target=run, args=(w, rounds // 2, runs["two at once"]))
                       for w in workers]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        for w in workers:
            w.stdin.close()
            w.wait()
    return {phase: {stage: round(statistics.median(t[stage] for t in r), 1) for stage in r[0]}
            for phase, r in runs.items()}


def service_section(quick: bool):
    """``python -m bench --section service``: the request path stage by stage (dispatcher
    and compiled pass side by side, one core) and the load test (every core)."""
    from bench.harness import Result
    size = dict(jobs=40, machines=12, hours=1200) if quick else {}
    path = request_path(repeats=1 if quick else 5, **size)
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, range(os.cpu_count() or 1))      # the server needs every core
    try:
        load = load_test(clients=2, seconds=2.0, workers=1, **size) if quick else \
            load_test(clients=20, seconds=60.0, workers=2)
    finally:
        os.sched_setaffinity(0, allowed)
    st = path["stages_ms"]
    lines = ["| stage | dispatcher (plain Python) | compiled pass |", "|---|---:|---:|"]
    lines += [f"| {stage} | {v['dispatcher']:.1f} ms | {v['compiled']:.1f} ms |"
              for stage, v in st.items()]
    ratio = st["total"]["dispatcher"] / st["total"]["compiled"]
    text = (f"The request path in one process pinned to one core: the plant of `petri "
            f"generate-plant --jobs {path['jobs']}` ({path['operations']} operations, a "
            f"{path['request_bytes'] // 1000} kB request), CPU time of each stage, the same "
            f"schedule from both passes; a request costs {ratio:.1f}x less with the compiled "
            f"pass.\n\n" + "\n".join(lines) + "\n\n")
    how = (f"one HTTP process handing each schedule to whichever of its {load['workers']} "
           f"scheduling processes is free" if load["workers"] > 1 else
           "one process, schedules made one at a time")
    text += (f"The load test: `petri serve --workers {load['workers']}` ({how}), "
             f"{load['clients']} clients posting the same plant "
             f"({load['operations']} operations) for {load['seconds']} s on loopback, each on "
             f"one kept-alive connection, every core (load average "
             f"{load['load_average_1min_before']} before, {load['load_average_1min']} after, "
             f"the clients included):\n\n"
             "| schedules | errors | per second | p50 | p95 | p99 | server CPU per request | "
             "clients' CPU per request |\n"
             "|---:|---:|---:|---:|---:|---:|---:|---:|\n"
             f"| {load['requests']} | {load['errors']} | {load['per_second']} | "
             f"{load['p50_s']} s | {load['p95_s']} s | {load['p99_s']} s | "
             f"{load['server_cpu_s_per_request']} s | "
             f"{load['client_cpu_s_per_request']} s |\n")
    return Result(markdown=text, figures={"request_path": path, "load_test": load},
                  method=f"request path: CPU time (time.process_time) per stage, median of "
                         f"{path['repeats']} requests after one; load test: wall-clock latency "
                         f"per request, server CPU from /proc (user + system of its processes)")


SECTIONS = {"service": service_section}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--jobs", type=int, default=411)
    ap.add_argument("--machines", type=int, default=149)
    ap.add_argument("--hours", type=int, default=14951)
    ap.add_argument("--method", default="policy")
    ap.add_argument("--workers", type=int, default=1, help="server processes")
    ap.add_argument("--request-path", action="store_true",
                    help="instead: CPU time of each stage of a request in this process, the "
                         "dispatcher's pass beside the compiled one")
    ap.add_argument("--side-by-side", metavar="TREE", type=source_tree,
                    help="instead: CPU time of each stage of a request in this source tree and "
                         "in TREE (a checkout of other code), two processes on one core taking "
                         "turns request by request")
    ap.add_argument("--together", action="store_true",
                    help="instead: CPU time of each stage of a request in one process on CPU 0 "
                         "alone, then in two processes at once on CPUs 0 and 1")
    ap.add_argument("--rounds", type=whole_number(1), default=21,
                    help="requests each, with --side-by-side and --together")
    args = ap.parse_args()
    if args.together:
        phases = together(args.rounds, jobs=args.jobs, machines=args.machines, hours=args.hours)
        print(f"{'stage':32} {'alone':>10} {'two at once':>12}  (median of {args.rounds} "
              f"requests each; load average {os.getloadavg()[0]:.1f})")
        for stage, ms in phases["alone"].items():
            print(f"{stage:32} {ms:7.1f} ms {phases['two at once'][stage]:9.1f} ms")
        return
    if args.side_by_side:
        stages = side_by_side(args.side_by_side, args.rounds, jobs=args.jobs,
                              machines=args.machines, hours=args.hours)
        print(f"{'stage':32} {'this tree':>10} {'TREE':>10}  TREE / this (median of "
              f"{args.rounds} rounds; load average {os.getloadavg()[0]:.1f})")
        for stage, (a, b, ratio) in stages.items():
            print(f"{stage:32} {a:8.1f} ms {b:8.1f} ms  {ratio:.2f}")
        return
    if args.request_path:
        print(json.dumps(request_path(args.jobs, args.machines, args.hours)))
        return
    print(json.dumps(load_test(args.clients, args.seconds, args.jobs, args.machines, args.hours,
                               args.method, args.workers)))


if __name__ == "__main__":
    main()

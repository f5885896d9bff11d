"""Load test of the scheduling service: concurrent clients posting a plant instance.

    python bench/bench_service.py [--clients 20] [--seconds 60] [--jobs 411] [--machines 149]
                                  [--hours 14951] [--workers 1]

Starts ``petri serve --workers N`` on a loopback port with a fresh SQLite database, writes a
plant with ``petri generate-plant``, turns it into a JSON request (jobs, machines, calendars)
and lets ``--clients`` threads post it for ``--seconds`` seconds, each waiting for its answer
before posting again. Prints requests, errors, throughput, the latency percentiles (p50, p95,
p99) and the server's CPU seconds per request (its processes' user + system time over the
load, from /proc) as one JSON line.
"""
from __future__ import annotations

import argparse
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

from petri.formats.jobshop import read_plant  # noqa: E402
from petri.jobshop import WEEKDAYS  # noqa: E402


def plant_request(folder: Path, method: str) -> dict:
    """A plant read from its CSV folder, as a ``POST /schedules`` body."""
    inst = read_plant(folder)

    def days(d):
        return {WEEKDAYS[k]: [[s, e] for s, e in v] for k, v in d.items() if v}
    cals = [{"name": c.name, "shifts": days(c.shifts), "breaks": days(c.breaks),
             "holidays": [h.isoformat() for h in sorted(c.holidays)]} for c in inst.calendars]
    machines = [{"name": n, "group": g} | ({"calendar": inst.calendars[c].name} if c >= 0 else {})
                for n, g, c in zip(inst.machine_names, inst.machine_groups,
                                   inst.machine_calendars)]
    jobs = []
    for job in inst.jobs:
        j = {"name": job.name, "release": job.release, "priority": job.priority,
             "operations": [{"machines": {inst.machine_names[m]: d
                                          for m, d in zip(op.machines, op.durations)},
                             "splittable": op.splittable} for op in job.operations]}
        if job.due is not None:
            j["due"] = job.due
        jobs.append(j)
    body = {"name": inst.name, "jobs": jobs, "machines": machines, "calendars": cals,
            "method": method}
    if inst.start is not None:
        body["start"] = inst.start.date().isoformat()
    return body


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        total += sum(cpu_seconds(int(c)) for c in children)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--jobs", type=int, default=411)
    ap.add_argument("--machines", type=int, default=149)
    ap.add_argument("--hours", type=int, default=14951)
    ap.add_argument("--method", default="policy")
    ap.add_argument("--workers", type=int, default=1, help="server processes")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="petri-bench-"))
    subprocess.run([sys.executable, "-m", "petri", "generate-plant", "--jobs", str(args.jobs),
                    "--machines", str(args.machines), "--hours", str(args.hours), "-o",
                    str(tmp / "plant")], cwd=ROOT, check=True, capture_output=True)
    body = json.dumps(plant_request(tmp / "plant", args.method))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    key = "bench-key"
    workers = ["--workers", str(args.workers)] if args.workers > 1 else []
    server = subprocess.Popen([sys.executable, "-m", "petri", "serve", "--port", str(port),
                               *workers, "--database", f"sqlite:///{tmp / 'bench.db'}"], cwd=ROOT,
                              env={**os.environ, "PETRI_API_KEY": key})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        for _ in range(2 * args.workers):     # every process past its first request
            first = httpx.post(base + "/schedules", content=body, timeout=120,
                               headers={"X-API-Key": key, "content-type": "application/json"})
            first.raise_for_status()
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client():
            with httpx.Client(base_url=base, timeout=120,
                              headers={"X-API-Key": key,
                                       "content-type": "application/json"}) as c:
                while time.monotonic() < stop:
                    t0 = time.perf_counter()
                    try:
                        r = c.post("/schedules", content=body)
                        ok = r.status_code == 201
                        what = f"HTTP {r.status_code}"
                    except httpx.HTTPError as e:
                        ok, what = False, type(e).__name__
                    dt = time.perf_counter() - t0
                    with lock:
                        (latencies.append(dt) if ok else errors.append(what))

        t0 = time.perf_counter()
        cpu0 = cpu_seconds(server.pid)
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        cpu = cpu_seconds(server.pid) - cpu0
        q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
        print(json.dumps({
            "clients": args.clients, "workers": args.workers, "seconds": round(wall, 1),
            "jobs": args.jobs,
            "operations": sum(len(j["operations"]) for j in json.loads(body)["jobs"]),
            "method": first.json()["method"], "makespan": first.json()["makespan"],
            "requests": len(latencies), "errors": len(errors),
            "error_kinds": sorted(set(errors)),
            "per_second": round(len(latencies) / wall, 2),
            "p50_s": round(q[49], 3), "p95_s": round(q[94], 3), "p99_s": round(q[98], 3),
            "server_cpu_s_per_request": round(cpu / max(1, len(latencies) + len(errors)), 3),
            "load_average_1min": round(os.getloadavg()[0], 1)}))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

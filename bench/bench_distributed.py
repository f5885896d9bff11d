"""The measured inputs of the distributed-exploration estimate in docs/performance.md.

A hash-partitioned breadth-first search sends every successor whose owner (hash of the marking
mod W workers) is another worker to that worker. Its cost per state is therefore: the successors
per state that cross to another worker, times the bytes of a marking on the wire, over the
transfer throughput, plus the cost of hashing, serialising and deserialising them, against the
explorer's own time per state. This section measures, on one real state space (Kanban with 4
kanbans per cell, 454,475 states):

* the explorer's time per state on this machine (``reachability_graph``);
* successors per state, and the fraction of edges that cross workers and the load balance of
  owner = hash(marking) mod W, for W = 2 to 64, from the graph's own edges;
* the bytes of a marking: rows of the narrowest integer type, and bit-packed to each place's
  largest count;
* the cost of the owner hash (vectorised over a batch), of pickling and unpickling a batch of
  rows, and of sending batches over a loopback TCP connection to another process (throughput
  and the round trip of a small message, the fixed cost of one batch);
* Ray's object store (``ray.put`` then ``ray.get`` from a task), when Ray is installed.

    python -m bench --section distributed
"""
from __future__ import annotations

import math
import pickle
import resource
import socket
import statistics
import sys
import threading
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Result  # noqa: E402

WORKERS = (2, 4, 8, 16, 64)
BATCH = 10_000                       # markings per message
_COEFF = np.random.default_rng(12345).integers(1, 2**63 - 1, size=256, dtype=np.uint64) | 1


def owner_hash(rows: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row (multiply-add of the counts, then a final mix), vectorised."""
    h = rows.astype(np.uint64) @ _COEFF[: rows.shape[1]]
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    return h


def partition_figures(markings: np.ndarray, src: np.ndarray, dst: np.ndarray) -> list[dict]:
    """For each W: the fraction of edges whose target has another owner than their source, and
    the largest worker's share of the states over the mean share."""
    h = owner_hash(markings)
    out = []
    for w in WORKERS:
        owner = (h % np.uint64(w)).astype(np.int64)
        cross = float(np.mean(owner[src] != owner[dst]))
        counts = np.bincount(owner, minlength=w)
        out.append({"workers": w, "cross_fraction": cross,
                    "imbalance": float(counts.max() / counts.mean())})
    return out


def levels(parent: np.ndarray) -> int:
    """Breadth-first levels of a graph whose states are numbered in breadth-first order (each
    state's parent comes before it), the initial state's level being 1."""
    depth = np.zeros(len(parent), dtype=np.int64)
    for i in range(1, len(parent)):
        depth[i] = depth[parent[i]] + 1
    return int(depth.max()) + 1


def bits_per_marking(markings: np.ndarray) -> int:
    """Bits of a marking packed with each place's width set by its largest count."""
    top = markings.max(axis=0)
    return int(sum(max(1, math.ceil(math.log2(int(m) + 1))) for m in top))


def _best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _receiver(port: int, total: int, chunk: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        got, buf = 0, bytearray(chunk)
        while got < total:
            n = s.recv_into(buf)
            if not n:
                break
            got += n
        s.sendall(b"k")


def _echo(port: int, rounds: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        for _ in range(rounds):
            s.sendall(s.recv(16))


def loopback(total: int, chunk: int, rounds: int) -> dict:
    """Throughput of ``total`` bytes sent in ``chunk``-byte writes to another process over
    loopback TCP (until it acknowledges), and the median round trip of a 16-byte message."""
    ctx = get_context("spawn")
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        proc = ctx.Process(target=_receiver, args=(port, total, chunk))
        proc.start()
        conn, _ = server.accept()
        payload = bytes(chunk)
        with conn:
            t = time.perf_counter()
            sent = 0
            while sent < total:
                conn.sendall(payload)
                sent += chunk
            conn.recv(1)
            seconds = time.perf_counter() - t
        proc.join()
        proc = ctx.Process(target=_echo, args=(port, rounds))
        proc.start()
        conn, _ = server.accept()
        trips = []
        with conn:
            for _ in range(rounds):
                t = time.perf_counter()
                conn.sendall(b"x" * 16)
                conn.recv(16)
                trips.append(time.perf_counter() - t)
        proc.join()
    return {"bytes": total, "seconds": seconds, "bytes_per_second": total / seconds,
            "round_trip_seconds": statistics.median(trips)}


def ray_transfer(rows: np.ndarray, repeats: int) -> dict:
    """Ray's object store: ``ray.put`` of a batch and a task that reads it, per batch."""
    try:
        import ray
    except ImportError:
        return {"error": "Ray is not installed"}
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        @ray.remote
        def size(batch):
            return batch.nbytes

        ray.get(size.remote(rows))                       # start the worker first
        t = _best_of(lambda: ray.get(size.remote(ray.put(rows))), repeats)
        return {"version": ray.__version__, "batch_bytes": int(rows.nbytes),
                "seconds_per_batch": t}
    finally:
        ray.shutdown()


def measure(quick: bool) -> dict:
    from bench.bench_scaling import kanban
    from petri.analysis import reachability_graph
    n, repeats = (2, 1) if quick else (4, 3)
    net = kanban(n)
    times = []
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(repeats):
        t = time.process_time()
        g = reachability_graph(net)
        times.append(time.process_time() - t)
    peak_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    markings = g.markings
    narrow = markings.astype(np.min_scalar_type(int(markings.max())))
    states, edges = g.num_states, g.num_edges
    figures = {"net": f"Kanban, {n} kanbans per cell", "states": states, "edges": edges,
               "places": markings.shape[1], "explore_seconds": statistics.median(times),
               "levels": levels(g.parent),
               "peak_growth_bytes_per_state": peak_growth / g.num_states,
               "bytes_narrow": int(narrow.shape[1] * narrow.itemsize),
               "bits_packed": bits_per_marking(markings),
               "partition": partition_figures(markings, g.src, g.dst)}
    batch = np.ascontiguousarray(np.resize(narrow, (BATCH, narrow.shape[1])))
    figures["hash_seconds_per_state"] = _best_of(lambda: owner_hash(batch), 5 * repeats) / BATCH
    blob = pickle.dumps(batch, protocol=5)
    figures["pickle_bytes_per_batch"] = len(blob)
    figures["pickle_seconds_per_state"] = _best_of(
        lambda: pickle.loads(pickle.dumps(batch, protocol=5)), 5 * repeats) / BATCH
    total = (16 if quick else 256) * 2**20
    figures["loopback"] = loopback(total, 2**20, 50 if quick else 500)
    figures["ray"] = ray_transfer(batch, repeats) if not quick else {"error": "not run (--quick)"}
    return figures


def _ns(seconds: float) -> str:
    return f"{seconds * 1e9:,.0f} ns"


#: an assumed link between machines, not measured here: 10 Gbit/s Ethernet at about 90 %
#: efficiency, and 50 µs for a message's fixed cost
NETWORK = {"bytes_per_second": 1.1e9, "message_seconds": 50e-6}


def estimate(f: dict) -> list[dict]:
    """Expected exchange cost per state for each W, from the measured figures: over loopback
    (all measured), over the assumed network, and through Ray's object store (when measured)."""
    local = f["explore_seconds"] / f["states"]
    succ = f["edges"] / f["states"]
    wire = f["bytes_narrow"]
    cpu = f["hash_seconds_per_state"] + f["pickle_seconds_per_state"]
    lb = f["loopback"]
    rows = []
    for p in f["partition"]:
        sent = succ * p["cross_fraction"]
        row = {"workers": p["workers"], "sent_per_state": sent, "bytes_per_state": sent * wire,
               "loopback_seconds_per_state": sent * (cpu + wire / lb["bytes_per_second"]
                                                     + lb["round_trip_seconds"] / BATCH),
               "network_seconds_per_state": sent * (cpu + wire / NETWORK["bytes_per_second"]
                                                    + NETWORK["message_seconds"] / BATCH)}
        if "seconds_per_batch" in f["ray"]:
            row["ray_seconds_per_state"] = sent * (f["hash_seconds_per_state"]
                                                   + f["ray"]["seconds_per_batch"] / BATCH)
        row["local_seconds_per_state"] = local
        rows.append(row)
    return rows


def conclusion(f: dict) -> str:
    """What the measured figures say, in a few sentences computed from them."""
    e = next(r for r in f["estimate"] if r["workers"] == 16)
    local = e["local_seconds_per_state"]
    per_second = e["bytes_per_state"] / (local + e["network_seconds_per_state"])
    growth = f["peak_growth_bytes_per_state"]
    sync = f["levels"] * 15 * f["loopback"]["round_trip_seconds"]
    imbalance = next(p["imbalance"] for p in f["partition"] if p["workers"] == 16)
    share = per_second / NETWORK["bytes_per_second"]
    speedup = 16 / imbalance * local / (local + e["network_seconds_per_state"])
    text = (f"At W = 16 the exchange adds about {_ns(e['network_seconds_per_state'])} per state "
            f"over a 10 Gbit/s link to the {_ns(local)} the explorer spends per state "
            f"({e['network_seconds_per_state'] / local:.0%} more), and a worker exploring at "
            f"that pace sends about {per_second / 1e6:,.0f} MB/s, {share:.1%} of its link: "
            + ("the search stays bound by exploring. " if share < 0.5 else
               "the link, not exploring, sets the pace. ")
            + f"As the largest worker holds {imbalance:.3f} times the mean share and sets the pace "
            f"of every round, 16 workers would explore about {speedup:.1f} times as fast as one "
            "(estimated from the measured inputs, not run). ")
    if "ray_seconds_per_state" in e:
        ray = e["ray_seconds_per_state"]
        text += (f"Through Ray's object store with one `ray.put` and one task per batch, the "
                 f"exchange would cost {_ns(ray)} per state, {ray / local:.1f} times the "
                 "exploration" + (": Ray would have to carry much larger batches, or only start "
                 "long-lived workers that exchange over their own connections. " if ray > local
                                  else ". "))
    if growth > 0:
        per_worker = WORKER_MEMORY / growth
        text += (f"With {WORKER_MEMORY / 2**30:.0f} GiB per worker (assumed) and the measured "
                 f"memory per state, one worker holds about {per_worker / 1e6:,.0f} million "
                 f"states and 16 workers about {16 * per_worker / 1e9:,.1f} billion. ")
    else:
        text += "The net is too small for its memory per state to show. "
    return text + (f"The end-of-round markers cost {f['levels']} levels x 15 messages x one "
                   f"round trip = {sync * 1e3:,.1f} ms for the whole search.")


#: memory a worker gives to the search, assumed for the capacity figure
WORKER_MEMORY = 64 * 2**30


def distributed_section(quick: bool) -> Result:
    f = measure(quick)
    f["estimate"] = estimate(f)
    lb = f["loopback"]
    local = f["explore_seconds"] / f["states"]
    lines = [
        f"Measured on {f['net']} ({f['states']:,} states, {f['edges']:,} edges, "
        f"{f['places']} places):", "",
        "| quantity | measured |", "|---|---:|",
        f"| explorer, one core: time per state | {_ns(local)} "
        f"({f['states'] / f['explore_seconds']:,.0f} states/s) |",
        f"| successors (edges) per state | {f['edges'] / f['states']:.2f} |",
        f"| breadth-first levels (rounds of exchange) | {f['levels']} |",
        f"| explorer's peak memory growth per state (states, edges, temporaries) | "
        f"{f['peak_growth_bytes_per_state']:,.0f} B |",
        f"| a marking on the wire: narrowest integer rows | {f['bytes_narrow']} B |",
        f"| a marking bit-packed to each place's largest count | {f['bits_packed']} bits "
        f"({math.ceil(f['bits_packed'] / 8)} B) |",
        f"| owner hash, vectorised over a batch of {BATCH:,} | {_ns(f['hash_seconds_per_state'])}"
        " per state |",
        f"| pickle and unpickle a batch of {BATCH:,} rows | "
        f"{_ns(f['pickle_seconds_per_state'])} per state, "
        f"{f['pickle_bytes_per_batch'] - BATCH * f['bytes_narrow']} B of framing per batch |",
        f"| loopback TCP to another process, 1 MiB writes | {lb['bytes_per_second'] / 1e6:,.0f} MB/s"
        f" ({lb['bytes'] / 2**20:.0f} MiB in {lb['seconds']:.2f} s) |",
        f"| loopback TCP round trip of a 16-byte message | {lb['round_trip_seconds'] * 1e6:,.0f} µs |",
    ]
    ray = f["ray"]
    if "error" in ray:
        lines.append(f"| Ray object store | {ray['error']} |")
    else:
        lines.append(f"| Ray {ray['version']}: `ray.put` of a batch ({ray['batch_bytes'] / 1e3:,.0f}"
                     f" kB) and a task reading it | {ray['seconds_per_batch'] * 1e3:,.2f} ms per batch"
                     f" ({_ns(ray['seconds_per_batch'] / BATCH)} per state) |")
    ray_col = "seconds_per_batch" in ray
    lines += ["", "| workers W | edges crossing workers | largest / mean states per worker | "
              "markings sent per state | bytes sent per state | exchange per state, loopback "
              "(measured inputs) | over 10 Gbit/s (assumed) | "
              + ("through Ray's object store | " if ray_col else "")
              + "loopback exchange / local exploration |",
              "|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if ray_col else "") + "---:|"]
    for p, e in zip(f["partition"], f["estimate"]):
        lines.append(f"| {p['workers']} | {p['cross_fraction']:.1%} | {p['imbalance']:.3f} | "
                     f"{e['sent_per_state']:.2f} | {e['bytes_per_state']:.0f} B | "
                     f"{_ns(e['loopback_seconds_per_state'])} | "
                     f"{_ns(e['network_seconds_per_state'])} | "
                     + (f"{_ns(e['ray_seconds_per_state'])} | " if ray_col else "")
                     + f"{e['loopback_seconds_per_state'] / local:.2f} |")
    lines += ["", "Exchange per state = markings sent per state x (owner hash + pickling + bytes of "
              "a marking / throughput + a message's fixed cost / batch of "
              f"{BATCH:,} markings). Loopback: throughput and round trip measured above (both "
              "processes on this machine). 10 Gbit/s: "
              f"{NETWORK['bytes_per_second'] / 1e9:.1f} GB/s and "
              f"{NETWORK['message_seconds'] * 1e6:.0f} µs per message, assumed, not measured."
              + (" Ray: the owner hash plus the measured cost of a batch through `ray.put` and a "
                 "task, per marking." if ray_col else "")]
    lines += ["", conclusion(f)]
    return Result("\n".join(lines), f,
                  "wall-clock time (`time.perf_counter`) of the hash, pickling and transfer steps "
                  "(median of repeats), CPU time of the exploration (median of "
                  f"{1 if quick else 3}); edge and partition counts from the explored graph")


SECTIONS = {"distributed": distributed_section}

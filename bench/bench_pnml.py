"""CPU time of reading a PNML file, by the number of named places.

The net is a ring of N places and N transitions (place ``p<i>`` named ``place <i>``, one token
in the first place), with 2N arcs, written as one ``ptnet`` page. The figure is the median
CPU time of ``petri.formats.pnml.loads`` over ``--repeat`` runs; a linear reader takes about
ten times longer for ten times the places.

Run it on one core::

    taskset -c 1 python bench/bench_pnml.py --places 2000 20000

The section ``pnml`` of docs/performance.md is written by ``python -m bench --section pnml``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

from petri.formats import pnml


def ring(n: int) -> bytes:
    """A PNML ring of ``n`` named places and ``n`` named transitions."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             f'<pnml xmlns="{pnml.PNML_NS}"><net id="ring" type="{pnml.PTNET_TYPE}">'
             '<page id="g">']
    for i in range(n):
        marking = "<initialMarking><text>1</text></initialMarking>" if i == 0 else ""
        parts.append(f'<place id="p{i}"><name><text>place {i}</text></name>{marking}</place>'
                     f'<transition id="t{i}"><name><text>move {i}</text></name></transition>'
                     f'<arc id="a{i}" source="p{i}" target="t{i}"/>'
                     f'<arc id="b{i}" source="t{i}" target="p{(i + 1) % n}"/>')
    parts.append("</page></net></pnml>\n")
    return "".join(parts).encode("utf-8")


def measure(n: int, repeat: int) -> float:
    data = ring(n)
    times = []
    for _ in range(repeat):
        start = time.process_time()
        net = pnml.loads(data)
        times.append(time.process_time() - start)
        assert len(net.places) == n and len(net.transitions) == n
    return statistics.median(times)


def pnml_section(quick: bool):
    """Reading time by size: a linear reader takes twice the time for twice the places."""
    from bench.harness import Result
    sizes, repeat = ([250, 500, 1000], 1) if quick else ([2500, 5000, 10000, 20000, 40000], 3)
    rows = [{"places": n, "cpu_seconds": measure(n, repeat)} for n in sizes]
    lines = ["| places (and transitions) | arcs | CPU s | µs per place | time / time of half the places |",
             "|---:|---:|---:|---:|---:|"]
    for k, r in enumerate(rows):
        n, t = r["places"], r["cpu_seconds"]
        growth = f"{t / rows[k - 1]['cpu_seconds']:.2f}x" if k else ""
        lines.append(f"| {n:,} | {2 * n:,} | {t:.3f} | {t / n * 1e6:.1f} | {growth} |")
    return Result("\n".join(lines), rows,
                  f"CPU time (`time.process_time`) of `petri.formats.pnml.loads` on the bytes "
                  f"of a generated ring, " + (f"median of {repeat} repeats" if repeat > 1 else "one run"))


SECTIONS = {"pnml": pnml_section}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = [{"places": n, "cpu_seconds": round(measure(n, args.repeat), 3)} for n in args.places]
    print(json.dumps(rows))


if __name__ == "__main__":
    main()

"""CPU time to lay out and draw a net as SVG and as PNG (``petri.drawing``).

Three nets: the production line of ``examples/``, the FlowFactory nets (fused) and
TokenRing-PT-010 from the MCC (121 places, 1,111 transitions, many long arcs), each with its
initial marking, as ``petri draw`` and the page of ``petri play`` draw them.

    python -m bench --section drawing
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Result  # noqa: E402


def nets(quick: bool) -> list[tuple[str, object, tuple[str, ...]]]:
    """(title, net, pictures) of the nets to draw."""
    from petri.formats import load, pnml
    line = load(str(ROOT / "examples" / "production_line.toml"))
    out = [(f"production line ({len(line.places)} places, {len(line.transitions)} transitions)",
            line, ("SVG", "PNG"))]
    if quick:
        return out
    # shared.toml first: it names the fused net
    ff = sorted((str(p) for p in (ROOT / "nets" / "flowfactory").glob("*.toml")),
                key=lambda p: (not p.endswith("shared.toml"), p))
    ff = load(*ff)
    ring = pnml.load(str(ROOT / "tests" / "data" / "mcc" / "TokenRing-PT-010.pnml"))
    out += [(f"FlowFactory ({len(ff.places)} places, {len(ff.transitions)} transitions)", ff,
             ("SVG", "PNG")),
            (f"TokenRing-PT-010 ({len(ring.places)} places, {len(ring.transitions):,} "
             "transitions)", ring, ("SVG",))]
    return out


def drawing_section(quick: bool) -> Result:
    from petri.drawing import net_png, net_svg
    repeats = 1 if quick else 5
    rows = []
    todo = nets(quick)
    net_png(todo[0][1])                  # imports matplotlib once, outside the timings
    for title, net, pictures in todo:
        marking = net.initial_marking()
        for picture in pictures:
            draw = net_svg if picture == "SVG" else net_png
            times = []
            for _ in range(repeats):
                t = time.process_time()
                out = draw(net, marking=marking)
                times.append(time.process_time() - t)
            rows.append({"net": title, "picture": picture, "bytes": len(out),
                         "cpu_seconds": statistics.median(times)})
            if picture == "PNG":         # width and height from the PNG's IHDR chunk
                rows[-1]["pixels"] = [int.from_bytes(out[16:20], "big"),
                                      int.from_bytes(out[20:24], "big")]
            print(f"  {title} {picture}: {rows[-1]['cpu_seconds']:.3f} s", file=sys.stderr,
                  flush=True)
    lines = ["| net | picture | size | CPU s |", "|---|---|---:|---:|"]
    for r in rows:
        px = f", {r['pixels'][0]:,} x {r['pixels'][1]:,} pixels" if "pixels" in r else ""
        lines.append(f"| {r['net']} | {r['picture']} | {r['bytes'] / 1e3:,.0f} kB{px} | "
                     f"{r['cpu_seconds']:.3f} |")
    return Result("\n".join(lines), rows,
                  "CPU time (`time.process_time`) of `petri.drawing.net_svg` / `net_png` (layout, "
                  "scene and writing) with the initial marking; "
                  + (f"median of {repeats} repeats" if repeats > 1 else "one run"))


SECTIONS = {"drawing": drawing_section}

"""Pictures of a run, for any net: which token held which resource when (a Gantt chart), and
how many tokens places held over time.

The data come from the event log alone: ``resource_intervals`` and ``token_counts`` return
plain lists a caller may use as they are; ``run_png`` draws them with matplotlib.

A *resource place* holds resource tokens (machines, workers, servers). A resource is held from
the firing that takes its token from the place to the time its token is back and ready: either
the same firing puts it back stamped later (``delay`` on the transition), or a later firing
puts it back. Each bar is labelled with the other values of the binding that took it (the part
it worked on), or with the transition's name when there are none (a repair).

>>> from petri import Net
>>> from petri.engine import Simulator
>>> net = Net()
>>> _ = net.add_colour_set("M", values=["m1"], timed=True)
>>> _ = net.add_colour_set("P", "str", timed=True)
>>> _ = net.add_place("raw", "P", initial=["a", "b"])
>>> _ = net.add_place("idle", "M", initial=["m1"])
>>> _ = net.add_place("done", "P")
>>> _ = net.add_transition("work", delay=3, inputs=[("raw", "p"), ("idle", "m")],
...                        outputs=[("done", "p"), ("idle", "m")])
>>> sim = Simulator(net); _ = sim.run()
>>> [(r, s, e) for r, s, e, _ in resource_intervals(sim.events, "idle")]
[('m1', 0, 3), ('m1', 3, 6)]
"""
from __future__ import annotations

import io
import re
from collections import deque

from ..errors import CommandError

__all__ = ["resource_intervals", "token_counts", "run_png"]


def _name(v) -> str:
    if isinstance(v, str):
        return v
    if v == ():
        return "token"
    if isinstance(v, tuple):
        return "(" + ", ".join(map(_name, v)) + ")"
    return repr(v)


def resource_intervals(events, place: str, field: int | None = None
                       ) -> list[tuple[str, float, float, str]]:
    """(resource, start, end, label) for every time a token of ``place`` was held; black
    tokens are told apart as ``#1``, ``#2``, ... by the first free one. ``field``: name the
    resource by that field of a tuple token (``0`` for ``(machine, state)`` tokens)."""
    def key(c):
        return c[field] if field is not None and isinstance(c, tuple) and \
            -len(c) <= field < len(c) else c

    taken: dict = {}        # resource -> deque of (time, label) not yet returned
    out = []
    for e in events:
        held = [c for p, c, _ in e.consumed if p == place]
        label = ", ".join(_name(v) for v in e.binding.values() if not any(
            c == v or (isinstance(c, tuple) and v in c) for c in held)) or e.transition
        gone = [key(c) for c in held]
        back = [(key(c), t) for p, c, t in e.produced if p == place]
        for c in gone:
            same = next((k for k, (c2, _) in enumerate(back) if c2 == c), None)
            if same is not None:          # taken and put back stamped later, in one firing
                _, t = back.pop(same)
                if t > e.time:
                    out.append([c, e.time, t, label])
            else:
                taken.setdefault(c, deque()).append((e.time, label))
        for c, t in back:
            q = taken.get(c)
            if q:
                start, lab = q.popleft()
                out.append([c, start, max(t, e.time), lab])    # untimed tokens carry no time
    out.sort(key=lambda r: (r[1], r[2]))
    # several equal tokens (black tokens, identical servers): one lane each
    free: dict = {}
    for r in out:
        lanes = free.setdefault(r[0], [])
        for k, end in enumerate(lanes):
            if end <= r[1]:
                lanes[k] = r[2]
                break
        else:
            lanes.append(r[2])
            k = len(lanes) - 1
        r.append(k)
    result = []
    for c, s, e, lab, k in out:
        name = _name(c)
        if len(free[c]) > 1 or c == ():
            name = f"{place} #{k + 1}" if c == () else f"{name} #{k + 1}"
        result.append((name, s, e, lab))
    return result


def token_counts(events, initial: dict[str, int], places) -> dict[str, list[tuple[float, int]]]:
    """Place -> [(time, tokens from then on), ...], starting at time 0 with ``initial``."""
    places = list(places)
    counts = {p: initial.get(p, 0) for p in places}
    series = {p: [(0.0, counts[p])] for p in places}
    for e in events:
        delta = {}
        for p, _, _ in e.consumed:
            if p in counts:
                delta[p] = delta.get(p, 0) - 1
        for p, _, _ in e.produced:
            if p in counts:
                delta[p] = delta.get(p, 0) + 1
        for p, d in delta.items():
            if d:
                counts[p] += d
                if series[p][-1][0] == e.time:
                    series[p][-1] = (e.time, counts[p])
                else:
                    series[p].append((e.time, counts[p]))
    return series


def _resource(spec) -> tuple[str, int | None]:
    """``"idle"`` or ``"idle[0]"`` (resources named by a field of their tokens)."""
    m = re.match(r"^(.*)\[(-?\d+)\]$", spec)
    return (m.group(1), int(m.group(2))) if m else (spec, None)


def run_png(events, *, initial: dict[str, int], places=(), resources=(), end: float | None = None,
            title: str = "") -> bytes:
    """A PNG: a Gantt chart of the ``resources`` places above the token counts of ``places``."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise CommandError("plots need matplotlib (pip install matplotlib)") from None
    places, resources = list(places), list(resources)
    if not places and not resources:
        raise CommandError("nothing to plot: name places (token counts) or resource places")
    bars = [(r, resource_intervals(events, *_resource(r))) for r in resources]
    lanes = sorted({name for _, iv in bars for name, *_ in iv})
    panels = (1 if resources else 0) + (1 if places else 0)
    heights = ([max(1.5, 0.35 * len(lanes) + 0.8)] if resources else []) + ([3.0] if places else [])
    fig = Figure(figsize=(10, sum(heights) + 0.6), dpi=100)
    axes = fig.subplots(panels, 1, squeeze=False, sharex=True,
                        gridspec_kw={"height_ratios": heights})[:, 0]
    if end is None:
        end = max([e.time for e in events] + [s for _, iv in bars for _, _, s, _ in iv] + [1])
    k = 0
    if resources:
        ax = axes[k]
        k += 1
        labels = sorted({lab for _, iv in bars for *_, lab in iv})
        cmap = matplotlib.colormaps["tab20"]
        colour = {lab: cmap(i % 20) for i, lab in enumerate(labels)}
        row = {name: i for i, name in enumerate(lanes)}
        for _, iv in bars:
            for name, s, e, lab in iv:
                ax.barh(row[name], e - s, left=s, height=0.7, color=colour[lab],
                        edgecolor="#333333", linewidth=0.4)
                if len(labels) <= 40:
                    ax.text((s + e) / 2, row[name], lab, ha="center", va="center", fontsize=6,
                            clip_on=True)
        ax.set_yticks(range(len(lanes)))
        ax.set_yticklabels(lanes)
        ax.invert_yaxis()
        ax.set_ylabel("resource")
        ax.set_title(title or "resources held (Gantt chart)", fontsize=10)
    if places:
        ax = axes[k]
        series = token_counts(events, initial, places)
        for p in places:
            xs = [t for t, _ in series[p]] + [end]
            ys = [n for _, n in series[p]] + [series[p][-1][1]]
            ax.step(xs, ys, where="post", label=p)
        ax.set_ylabel("tokens")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8, loc="upper right")
        if not resources:
            ax.set_title(title or "tokens over time", fontsize=10)
    axes[-1].set_xlabel("model time")
    axes[-1].set_xlim(0, end)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()

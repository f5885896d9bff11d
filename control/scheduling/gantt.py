"""A Gantt chart of a schedule: one row per machine, one bar per operation (piece)."""
from __future__ import annotations

from petri.errors import CommandError
from petri.files import output

__all__ = ["draw_gantt"]


def draw_gantt(schedule, path, force: bool = False) -> None:
    """Draw ``schedule`` into a PNG file at ``path`` (written whole or not at all; over an
    existing file only with ``force``)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CommandError("--gantt needs matplotlib (pip install matplotlib)") from None
    inst = schedule.instance
    n = inst.n_machines
    fig, ax = plt.subplots(figsize=(12, max(3, min(40, 0.25 * n + 1.5))))
    cmap = plt.get_cmap("tab20")
    for o in schedule.operations:
        for s, e in (o.pieces or ((o.start, o.end),)):
            ax.barh(o.machine, inst.to_hours(e - s), left=inst.to_hours(s), height=0.8,
                    color=cmap(o.job % 20), edgecolor="black", linewidth=0.2)
    ax.set_yticks(range(n))
    ax.set_yticklabels(inst.machine_names, fontsize=max(3, min(9, 400 // max(n, 1))))
    ax.invert_yaxis()
    ax.set_xlabel("hours" if inst.time_unit == "minute" else "time")
    ax.set_ylabel("machine")
    ax.set_title(f"{inst.name}: makespan {inst.to_hours(schedule.makespan):g} "
                 f"({schedule.method})")
    fig.tight_layout()
    try:
        with output(path, force=force) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        plt.close(fig)

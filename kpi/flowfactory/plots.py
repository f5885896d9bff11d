"""PNG plots of the FlowFactory experiment (needs matplotlib: ``pip install petri-flow[plot]``).

Each function takes the experiment's tables (pandas DataFrames, as written to CSV) and writes
one figure; ``available()`` says whether matplotlib can be imported.
"""
from __future__ import annotations

import os

import pandas as pd

__all__ = ["available", "makespan_plot", "station_makespan_plot", "stock_plot", "errors_plot",
           "gantt_plot", "write_plots"]

DAY = 86400.0
MAX_SERIES = 8          # lines per axis; more go to further panels (small multiples)


def _legend_outside(ax, **kw) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8, **kw)


def _panels(plt, n: int, width: float = 11, height: float = 3.2):
    fig, axes = plt.subplots(n, 1, figsize=(width, height * n + 0.6), squeeze=False)
    return fig, [a[0] for a in axes]


def makespan_plot(summary: pd.DataFrame, path: str) -> None:
    """Makespan per controller (bars) and scenario (one panel each), beside the lower bound."""
    plt = _plt()
    scenarios = list(dict.fromkeys(summary["scenario"]))
    fig, axes = _panels(plt, len(scenarios), height=2.6)
    for ax, sc in zip(axes, scenarios):
        g = summary[summary["scenario"] == sc]
        ax.barh(g["controller"], g["makespan_days"], color="tab:blue", label="makespan")
        bound = float(g["lower_bound_days"].max())
        ax.axvline(bound, color="black", ls="--", lw=1, label="lower bound")
        for y, v in enumerate(g["makespan_days"]):
            ax.text(v, y, f" {v:.1f}", va="center", fontsize=8)
        ax.set_title(f"scenario: {sc}", fontsize=9, loc="left")
        ax.set_xlabel("makespan [days]")
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
        _legend_outside(ax)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _save(fig, path) -> None:
    """Write ``fig`` as PNG through ``petri.files.output`` (atomically, never through a link)."""
    from petri.files import output
    try:
        with output(path, force=True) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        _plt().close(fig)


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def station_makespan_plot(table: pd.DataFrame, path: str) -> None:
    """Thesis Fig. 5.1/5.4: eq. 4.2 between consecutive stations, one line per scenario."""
    plt = _plt()
    scenarios = list(dict.fromkeys(table["scenario"]))
    fig, axes = _panels(plt, len(scenarios), height=3.6)
    for ax, sc in zip(axes, scenarios):
        for k, (ctrl, g) in enumerate(table[table["scenario"] == sc].groupby("controller", sort=False)):
            if k >= MAX_SERIES:
                break
            labels = [f"{a} -> {b}" for a, b in zip(g["from"], g["to"])]
            ax.plot(labels, g["hours"], marker="o", label=ctrl)
        ax.set_ylabel("stop(next) - start [h]")
        ax.set_title(f"Station-to-station makespan (thesis eq. 4.2), scenario: {sc}",
                     fontsize=9, loc="left")
        ax.tick_params(axis="x", rotation=60, labelsize=7)
        for lab in ax.get_xticklabels():
            lab.set_horizontalalignment("right")
        ax.grid(alpha=0.3)
        _legend_outside(ax)
    fig.tight_layout()
    _save(fig, path)


def stock_plot(stock: pd.DataFrame, stores: list[str], path: str, title: str,
               scenarios: list[str] | None = None) -> None:
    """Thesis Fig. 5.3/5.12: store levels over the whole time line (days), step plots."""
    plt = _plt()
    data = stock[stock["store"].isin(stores)]
    if scenarios is not None:
        data = data[data["scenario"].isin(scenarios)]
    panels = list(dict.fromkeys(zip(data["scenario"], data["controller"])))
    fig, axes = _panels(plt, max(1, len(panels)), height=2.4)
    for ax, (scenario, ctrl) in zip(axes, panels):
        g0 = data[(data["scenario"] == scenario) & (data["controller"] == ctrl)]
        for k, (store, g) in enumerate(g0.groupby("store", sort=False)):
            if k >= MAX_SERIES:
                break
            ax.step(g["time"] / DAY, g["level"], where="post", lw=0.9, label=store)
        ax.set_title(f"{title}: {scenario}, {ctrl}", fontsize=9, loc="left")
        ax.set_xlabel("days since 2024-07-15 08:00 (cases one after another) [d]")
        ax.set_ylabel("stock [units]")
        ax.grid(alpha=0.3)
        _legend_outside(ax)
    fig.tight_layout()
    _save(fig, path)


def errors_plot(errors: pd.DataFrame, which: str, path: str) -> None:
    """Thesis Fig. 5.5-5.7: MSE and MAE per station of one run against another."""
    plt = _plt()
    data = errors[errors["time"] == which]
    series = list(dict.fromkeys(zip(data["scenario"], data["controller"], data["against"])))
    series = series[:MAX_SERIES]
    fig, axes = plt.subplots(2, 1, figsize=(11, 8))
    for scenario, ctrl, against in series:
        g = data[(data["scenario"] == scenario) & (data["controller"] == ctrl)
                 & (data["against"] == against)]
        lab = f"{scenario} ({ctrl}) vs {against}"
        axes[0].plot(g["station"], g["mae"], marker="o", label=lab)
        axes[1].plot(g["station"], g["mse"], marker="o", label=lab)
    axes[0].set_ylabel("MAE [h]")
    axes[1].set_ylabel("MSE [h²]")
    for ax in axes:
        ax.tick_params(axis="x", rotation=60, labelsize=7)
        for lab in ax.get_xticklabels():
            lab.set_horizontalalignment("right")
        ax.grid(alpha=0.3)
    _legend_outside(axes[0])
    fig.suptitle(f"{which} times per station: MAE and MSE (thesis eq. 4.3, 4.4)")
    fig.tight_layout()
    _save(fig, path)


def gantt_plot(stations: pd.DataFrame, order: list[str], path: str, title: str) -> None:
    """A Gantt chart of one case: one bar per order and station (start to stop), coloured by
    order."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(12, 5.5))
    rows = {s: i for i, s in enumerate(order)}
    cmap = plt.get_cmap("tab20")
    t0 = stations["start"].min() if len(stations) else 0.0
    for _, r in stations.iterrows():
        if r["station"] not in rows:
            continue
        ax.barh(rows[r["station"]], (r["stop"] - r["start"]) / 3600, left=(r["start"] - t0) / 3600,
                height=0.7, color=cmap(int(r["order"]) % 20), edgecolor="none")
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels(order, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time since the case started [h]")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    _save(fig, path)


def write_plots(tables: dict[str, pd.DataFrame], out: str, station_order: list[str],
                gantt_case: int = 1) -> list[str]:
    """Every figure of the experiment into ``out``; returns the files written."""
    files = []

    def target(name):
        p = os.path.join(out, name)
        files.append(p)
        return p

    if len(tables.get("summary", [])):
        makespan_plot(tables["summary"], target("makespan.png"))
    if len(tables.get("station_makespan", [])):
        station_makespan_plot(tables["station_makespan"], target("station_makespan.png"))
    stock = tables.get("stock")
    if stock is not None and len(stock):
        scen = list(dict.fromkeys(stock["scenario"]))
        first = scen[:1]
        stock_plot(stock, [f"Product{x}_notLasered" for x in "ABCDEF"], target("stock_notlasered.png"),
                   "Main storage, notLasered parts (thesis Fig. 5.3)", first)
        stock_plot(stock, ["filament"], target("stock_filament.png"),
                   "3D printer filament store (thesis Fig. 5.12)",
                   [s for s in scen if s == "storage"] or first)
        stock_plot(stock, ["cutting", "gas", "filament", "electrical_func", "base"],
                   target("stock_consumables.png"), "Consumable and base stores", first)
    errors = tables.get("errors")
    if errors is not None and len(errors):
        errors_plot(errors, "start", target("errors_start.png"))
        errors_plot(errors, "stop", target("errors_stop.png"))
    st = tables.get("station_table")
    if st is not None and len(st):
        g0 = st[(st["scenario"] == st["scenario"].iloc[0]) & (st["controller"] == st["controller"].iloc[0])]
        case = gantt_case if gantt_case in set(g0["case"]) else int(g0["case"].iloc[0])
        one = g0[g0["case"] == case]
        gantt_plot(one, station_order, target(f"gantt_case{case}.png"),
                   f"Case {case}, {g0['scenario'].iloc[0]}, {g0['controller'].iloc[0]}: "
                   f"orders at the stations (start to stop, incl. transport)")
    return files

"""PNG plots of the FlowFactory experiment (needs matplotlib: ``pip install petri-flow[plot]``).

Each function takes the experiment's tables (pandas DataFrames, as written to CSV) and writes
one figure; ``available()`` says whether matplotlib can be imported.
"""
from __future__ import annotations

import os

import pandas as pd

__all__ = ["available", "station_makespan_plot", "stock_plot", "errors_plot", "gantt_plot",
           "write_plots"]

DAY = 86400.0


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
    fig, ax = plt.subplots(figsize=(11, 5))
    for (scenario, ctrl), g in table.groupby(["scenario", "controller"], sort=False):
        labels = [f"{a} -> {b}" for a, b in zip(g["from"], g["to"])]
        ax.plot(labels, g["hours"], marker="o", label=f"{scenario} ({ctrl})")
    ax.set_ylabel("mean stop(next) - start(station)  [h]")
    ax.set_title("Station-to-station makespan (thesis eq. 4.2)")
    ax.tick_params(axis="x", rotation=60)
    for lab in ax.get_xticklabels():
        lab.set_horizontalalignment("right")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    _save(fig, path)


def stock_plot(stock: pd.DataFrame, stores: list[str], path: str, title: str,
               scenarios: list[str] | None = None) -> None:
    """Thesis Fig. 5.3/5.12: store levels over the whole time line (days), step plots."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 4.5))
    data = stock[stock["store"].isin(stores)]
    if scenarios is not None:
        data = data[data["scenario"].isin(scenarios)]
    for (scenario, ctrl, store), g in data.groupby(["scenario", "controller", "store"], sort=False):
        ax.step(g["time"] / DAY, g["level"], where="post", lw=0.9,
                label=f"{store} - {scenario} ({ctrl})")
    ax.set_xlabel("days since 2024-07-15 08:00 (cases one after another)")
    ax.set_ylabel("units in store")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    _save(fig, path)


def errors_plot(errors: pd.DataFrame, which: str, path: str) -> None:
    """Thesis Fig. 5.5-5.7: MSE and MAE per station of one run against another."""
    plt = _plt()
    data = errors[errors["time"] == which]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for (scenario, ctrl, against), g in data.groupby(["scenario", "controller", "against"], sort=False):
        lab = f"{scenario} ({ctrl}) vs {against}"
        axes[0].plot(g["station"], g["mae"], marker="o", label=lab)
        axes[1].plot(g["station"], g["mse"], marker="o", label=lab)
    axes[0].set_ylabel("MAE [h]")
    axes[1].set_ylabel("MSE [h²]")
    for ax in axes:
        ax.tick_params(axis="x", rotation=60)
        for lab in ax.get_xticklabels():
            lab.set_horizontalalignment("right")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
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
    ax.set_xlabel("hours since the case started")
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
                   [s for s in scen if s in ("ideal", "storage")] or first)
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

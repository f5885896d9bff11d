"""Makespan KPIs: overall, per case, the thesis's station-to-station makespan (eq. 4.2), and
order lead times.

Eq. 4.2 of the thesis, T_i = (T_{i-1} + (theta_stop,m2 - theta_start,m1)) / n, accumulates over
the n inputs (orders) the time from the start of station m1 to the stop of the next station m2
and divides by n: the mean, over the orders that visit both, of stop(m2) - start(m1), in hours.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["makespan", "station_makespan", "lead_times", "completion_times"]


def completion_times(events: pd.DataFrame, place: str) -> pd.Series:
    """Order -> time its token reaches ``place`` (the timestamp it is produced with).

    >>> log = pd.DataFrame({"time": [5.0], "transition": ["finish"], "binding": [{"o": 3}],
    ...                     "produced": [[("machine", (), 80.0), ("done", 3, 280.0)]]})
    >>> completion_times(log, "done").to_dict()
    {3: 280.0}
    """
    out = {}
    for produced in events["produced"]:
        for p, colour, stamp in produced:
            if p == place:
                out[colour] = float(stamp)
    return pd.Series(out, dtype=float, name="completion").sort_index()


def makespan(events: pd.DataFrame, place: str) -> float:
    """Time the last order reaches ``place`` (0 when none does)."""
    done = completion_times(events, place)
    return float(done.max()) if len(done) else 0.0


def lead_times(events: pd.DataFrame, release: str, place: str) -> pd.DataFrame:
    """Per order: release time, completion time and lead time (completion - release), seconds.

    >>> log = pd.DataFrame({"time": [0.0, 5.0], "transition": ["start", "finish"],
    ...     "binding": [{"o": 3}, {"o": 3}],
    ...     "produced": [[], [("done", 3, 280.0)]]})
    >>> lead_times(log, release="start", place="done").values.tolist()
    [[3.0, 0.0, 280.0, 280.0]]
    """
    rel = events.loc[events["transition"] == release]
    released = {b["o"]: float(t) for t, b in zip(rel["time"], rel["binding"])}
    done = completion_times(events, place)
    rows = [(o, released[o], float(done[o]), float(done[o]) - released[o])
            for o in done.index if o in released]
    return pd.DataFrame(rows, columns=["order", "release", "completion", "lead_time"])


def station_makespan(table: pd.DataFrame, stations: list[str], unit: float = 3600.0) -> pd.DataFrame:
    """Eq. 4.2 for consecutive stations (m1, m2) of ``stations``: the mean over inputs of
    stop(m2) - start(m1), in hours (``unit`` seconds). ``table`` is a station table (columns
    order, station, start, stop; optionally case); inputs are (case, order).

    >>> t = pd.DataFrame({"order": [1, 1, 2, 2], "station": ["A", "B", "A", "B"],
    ...                   "start": [0.0, 3600.0, 0.0, 7200.0], "stop": [1.0, 7200.0, 1.0, 14400.0]})
    >>> station_makespan(t, ["A", "B"]).values.tolist()
    [['A', 'B', 3.0, 2]]
    """
    keys = ["case", "order"] if "case" in table.columns else ["order"]
    start = table.pivot_table(index=keys, columns="station", values="start", aggfunc="min")
    stop = table.pivot_table(index=keys, columns="station", values="stop", aggfunc="max")
    rows = []
    for m1, m2 in zip(stations, stations[1:]):
        if m1 in start.columns and m2 in stop.columns:
            d = (stop[m2] - start[m1]).dropna()
        else:
            d = pd.Series(dtype=float)
        rows.append((m1, m2, float(d.mean() / unit) if len(d) else float("nan"), int(len(d))))
    return pd.DataFrame(rows, columns=["from", "to", "hours", "inputs"])

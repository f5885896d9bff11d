"""Station KPIs from an event log: one row per job, the thesis's station table, utilisation.

A station is a resource place that a transition takes and gives back delayed by the processing
time. From one firing of such a transition we read: start (the
event time), end of processing (the timestamp of the resource token it gives back) and arrival
at the next station (the timestamp of the job token it produces), so
processing = end - start and transport = arrival - end.

>>> import pandas as pd
>>> log = pd.DataFrame({"step": [1], "time": [10.0], "transition": ["drill"],
...     "binding": [{"o": 1, "p": "A"}], "consumed": [[]],
...     "produced": [[("drill_idle", (), 620.0), ("to_paint", (1, "A"), 1250.0)]]})
>>> jobs = job_table(log, {"drill": ("Drilling", "drill_idle")})
>>> jobs[["station", "order", "start", "end", "arrival", "processing", "transport"]].values.tolist()
[['Drilling', 1, 10.0, 620.0, 1250.0, 610.0, 630.0]]
"""
from __future__ import annotations

import pandas as pd

__all__ = ["job_table", "station_table", "utilisation", "JOB_COLUMNS", "STATION_COLUMNS"]

JOB_COLUMNS = ["station", "transition", "order", "product", "start", "end", "arrival",
               "processing", "transport"]
STATION_COLUMNS = ["order", "station", "start", "stop", "production_time", "transport_time"]


def job_table(events: pd.DataFrame, stations: dict[str, tuple[str, str]],
              attribute: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """One row per station job.

    ``stations``: transition -> (station name, resource place). The order is the binding's
    ``o`` and the product its ``p`` (None when the transition binds none). ``attribute``:
    station -> (consumer station, arrival transition): jobs without an order (e.g. a printed
    base) are given the order of the first consumer job that starts after the arrival
    transition next fires (the base reaching the store).
    """
    rows = []
    for time, name, binding, produced in zip(events["time"], events["transition"],
                                             events["binding"], events["produced"]):
        if name not in stations:
            continue
        station, resource = stations[name]
        end = arrival = None
        for place, _, stamp in produced:
            if place == resource:
                end = stamp
            elif arrival is None:
                arrival = stamp
        end = time if end is None else end
        arrival = end if arrival is None else arrival
        rows.append((station, name, binding.get("o"), binding.get("p"), float(time), float(end),
                     float(arrival), float(end - time), float(arrival - end)))
    jobs = pd.DataFrame(rows, columns=JOB_COLUMNS)
    for station, (consumer, landed) in (attribute or {}).items():
        _attribute(jobs, events, station, consumer, landed)
    return jobs


def _attribute(jobs, events, station, consumer, landed) -> None:
    lands = sorted(events.loc[events["transition"] == landed, "time"])
    made = jobs.index[(jobs["station"] == station) & jobs["order"].isna()]
    users = jobs[jobs["station"] == consumer].sort_values("start")
    taken: set = set()
    k = 0
    for idx in sorted(made, key=lambda i: jobs.at[i, "start"]):
        ready = jobs.at[idx, "arrival"]
        while k < len(lands) and lands[k] < ready:
            k += 1
        land = lands[k] if k < len(lands) else ready
        for u, row in users.iterrows():
            if u not in taken and row["start"] >= land:
                taken.add(u)
                jobs.at[idx, "order"] = row["order"]
                break


def station_table(jobs: pd.DataFrame) -> pd.DataFrame:
    """The thesis's output table (Fig. 4.11) for every order: per station the start, the stop
    (last job's processing and transport done), production time and transport time (sums).

    >>> jobs = pd.DataFrame({"station": ["Drilling", "Drilling"], "order": [1, 1],
    ...     "start": [0.0, 700.0], "arrival": [1240.0, 1940.0], "processing": [610.0, 610.0],
    ...     "transport": [630.0, 630.0]})
    >>> station_table(jobs).values.tolist()
    [[1, 'Drilling', 0.0, 1940.0, 1220.0, 1260.0]]
    """
    if jobs.empty:
        return pd.DataFrame(columns=STATION_COLUMNS)
    g = jobs.dropna(subset=["order"]).groupby(["order", "station"], sort=False)
    out = g.agg(start=("start", "min"), stop=("arrival", "max"),
                production_time=("processing", "sum"), transport_time=("transport", "sum"))
    out = out.reset_index()
    out["order"] = out["order"].astype(int)
    return out.sort_values(["order", "start"], kind="stable").reset_index(drop=True)[STATION_COLUMNS]


def utilisation(jobs: pd.DataFrame, horizon: float) -> pd.Series:
    """Per station: processing time / ``horizon`` (a station with two machines can exceed 1
    only if they are listed as one station).

    >>> jobs = pd.DataFrame({"station": ["Drilling", "Drilling"], "processing": [610.0, 390.0]})
    >>> utilisation(jobs, 2000.0).to_dict()
    {'Drilling': 0.5}
    """
    if horizon <= 0 or jobs.empty:
        return pd.Series(dtype=float)
    return (jobs.groupby("station")["processing"].sum() / horizon).rename("utilisation")

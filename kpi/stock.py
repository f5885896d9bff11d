"""Stock KPIs from an event log: the level of each store over time and its stockout time.

>>> import pandas as pd
>>> log = pd.DataFrame({"time": [10.0, 20.0],
...     "consumed": [[("gas", (), 0)], []], "produced": [[], [("gas", (), 0), ("gas", (), 0)]]})
>>> stock_levels(log, {"gas": 1}).values.tolist()
[[0.0, 'gas', 1], [10.0, 'gas', 0], [20.0, 'gas', 2]]
>>> stockout_time(stock_levels(log, {"gas": 1}), horizon=30.0).to_dict()
{'gas': 10.0}
"""
from __future__ import annotations

import pandas as pd

__all__ = ["stock_levels", "stockout_time"]


def stock_levels(events: pd.DataFrame, initial: dict[str, int]) -> pd.DataFrame:
    """Columns time, store, level: the level after every change (one row per event that
    changes it), starting with the initial level at time 0."""
    level = dict(initial)
    rows = [(0.0, s, n) for s, n in level.items()]
    for time, consumed, produced in zip(events["time"], events["consumed"], events["produced"]):
        touched = []
        for place, _, _ in consumed:
            if place in level:
                level[place] -= 1
                touched.append(place)
        for place, _, _ in produced:
            if place in level:
                level[place] += 1
                touched.append(place)
        for s in dict.fromkeys(touched):
            rows.append((float(time), s, level[s]))
    return pd.DataFrame(rows, columns=["time", "store", "level"])


def stockout_time(levels: pd.DataFrame, horizon: float) -> pd.Series:
    """Per store: total time in [0, horizon] at level 0."""
    out = {}
    for store, g in levels.groupby("store", sort=False):
        g = g.drop_duplicates("time", keep="last")
        times = list(g["time"]) + [horizon]
        total = 0.0
        for (t, n), t_next in zip(zip(g["time"], g["level"]), times[1:]):
            if n == 0:
                total += max(0.0, min(t_next, horizon) - t)
        out[store] = total
    return pd.Series(out, dtype=float, name="stockout")

"""MSE and MAE between two runs' station start and stop times (thesis eq. 4.3, 4.4).

For each station, over the inputs (case, order) present in both station tables, with
d = theta_a - theta_b in hours: MAE = mean |d|, MSE = mean d^2 and the signed mean of d
(eq. 4.3 as printed in the thesis has no absolute value; both are reported).
"""
from __future__ import annotations

import pandas as pd

__all__ = ["station_errors"]


def station_errors(a: pd.DataFrame, b: pd.DataFrame, unit: float = 3600.0) -> pd.DataFrame:
    """Per station and time (start, stop): mean, MAE and MSE of ``a`` - ``b`` in hours.

    >>> a = pd.DataFrame({"order": [1, 2], "station": ["S", "S"], "start": [3600.0, 0.0],
    ...                   "stop": [7200.0, 3600.0]})
    >>> b = pd.DataFrame({"order": [1, 2], "station": ["S", "S"], "start": [0.0, 7200.0],
    ...                   "stop": [7200.0, 3600.0]})
    >>> station_errors(a, b).values.tolist()
    [['S', 'start', 2, -0.5, 1.5, 2.5], ['S', 'stop', 2, 0.0, 0.0, 0.0]]
    """
    keys = [k for k in ("case", "order") if k in a.columns and k in b.columns] + ["station"]
    m = a[keys + ["start", "stop"]].merge(b[keys + ["start", "stop"]], on=keys,
                                          suffixes=("_a", "_b"))
    rows = []
    for station, g in m.groupby("station", sort=False):
        for which in ("start", "stop"):
            d = (g[f"{which}_a"] - g[f"{which}_b"]) / unit
            rows.append((station, which, int(len(d)), float(d.mean()), float(d.abs().mean()),
                         float((d * d).mean())))
    return pd.DataFrame(rows, columns=["station", "time", "inputs", "mean", "mae", "mse"])

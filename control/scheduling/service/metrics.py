"""The service's counters in Prometheus' text exposition format (version 0.0.4).

* ``petri_http_requests_total{method, path, status}``: requests answered;
* ``petri_http_request_duration_seconds{path}``: a latency histogram;
* ``petri_schedules_total{method}``: schedules made (reschedules included);
* ``petri_schedule_fallbacks_total``: schedules the fallback rule made because the
  requested method failed or ran out of time;
* ``petri_schedules_stored{origin}``: schedules in the database (a gauge read from it when
  scraped: the same from every process, and it survives restarts).

The counters live in the process's memory and start at zero when it starts.
"""
from __future__ import annotations

import threading

__all__ = ["Metrics", "BUCKETS"]

#: upper bounds of the latency histogram's buckets, in seconds
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _labels(**kv) -> str:
    def esc(v):
        return str(v).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in kv.items()) + "}"


class Metrics:
    """Thread-safe counters, rendered by ``text()``."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = {}
        self.latency: dict[str, list] = {}       # path -> [bucket counts..., sum, count]
        self.schedules: dict[str, int] = {}
        self.fallbacks = 0

    def request(self, method: str, path: str, status: int, seconds: float) -> None:
        with self._lock:
            key = (method, path, status)
            self.requests[key] = self.requests.get(key, 0) + 1
            h = self.latency.setdefault(path, [0] * len(BUCKETS) + [0.0, 0])
            for i, b in enumerate(BUCKETS):
                if seconds <= b:
                    h[i] += 1
            h[-2] += seconds
            h[-1] += 1

    def schedule(self, method: str, fallback: bool) -> None:
        with self._lock:
            self.schedules[method] = self.schedules.get(method, 0) + 1
            if fallback:
                self.fallbacks += 1

    def text(self, stored: dict[str, int] | None = None) -> str:
        """The exposition; ``stored``: schedules in the database by origin (None: the
        database did not answer, the gauge is left out)."""
        with self._lock:
            lines = ["# HELP petri_http_requests_total HTTP requests answered.",
                     "# TYPE petri_http_requests_total counter"]
            for (m, p, s), n in sorted(self.requests.items()):
                lines.append(f"petri_http_requests_total{_labels(method=m, path=p, status=s)} {n}")
            lines += ["# HELP petri_http_request_duration_seconds Time to answer a request.",
                      "# TYPE petri_http_request_duration_seconds histogram"]
            for p, h in sorted(self.latency.items()):
                for i, b in enumerate(BUCKETS):
                    lines.append(f"petri_http_request_duration_seconds_bucket"
                                 f"{_labels(path=p, le=f'{b:g}')} {h[i]}")
                lines.append(f"petri_http_request_duration_seconds_bucket"
                             f"{_labels(path=p, le='+Inf')} {h[-1]}")
                lines.append(f"petri_http_request_duration_seconds_sum{_labels(path=p)} {h[-2]:.6f}")
                lines.append(f"petri_http_request_duration_seconds_count{_labels(path=p)} {h[-1]}")
            lines += ["# HELP petri_schedules_total Schedules made, by the method that made them.",
                      "# TYPE petri_schedules_total counter"]
            for m, n in sorted(self.schedules.items()):
                lines.append(f"petri_schedules_total{_labels(method=m)} {n}")
            lines += ["# HELP petri_schedule_fallbacks_total Schedules made by the fallback rule.",
                      "# TYPE petri_schedule_fallbacks_total counter",
                      f"petri_schedule_fallbacks_total {self.fallbacks}"]
            if stored is not None:
                lines += ["# HELP petri_schedules_stored Schedules in the database, by origin.",
                          "# TYPE petri_schedules_stored gauge"]
                for origin, n in sorted(stored.items()):
                    lines.append(f"petri_schedules_stored{_labels(origin=origin)} {n}")
            return "\n".join(lines) + "\n"

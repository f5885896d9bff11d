"""The FlowFactory experiment: scenarios x controllers x initial-stock cases, and its KPIs.

Every case runs all orders from its own initial stock (stores re-initialised), and the cases
follow each other on one time line, as in the thesis: case k starts when case k-1 ends, so the
total makespan is the sum of the case makespans and model time reads as dates from
2024-07-15 08:00. Runs are independent tasks, spread over worker processes or a Ray
cluster (``petri.parallel``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from control.flowfactory import plant as ff
from petri.files import output
from petri.parallel import Backend, run_tasks
from control.flowfactory.scenarios import load_scenario
from kpi.flowfactory.bounds import flowfactory_lower_bound
from kpi.errors import station_errors
from kpi.makespan import completion_times, lead_times, station_makespan
from kpi.resilience import resilience
from kpi.stations import job_table, station_table, utilisation
from kpi.stock import stock_levels, stockout_time

__all__ = ["CaseResult", "GroupResult", "run_one", "run_experiment", "summarise", "write_tables",
           "resilience_rows"]


@dataclass
class CaseResult:
    """What one case of one scenario under one controller produced (plain data, picklable)."""

    scenario: str
    controller: str
    case: int
    makespan: float
    lower_bound: float
    bottleneck: str
    orders: int
    shipped: int
    wall_seconds: float
    simulation_seconds: float
    decision_seconds: dict
    windows: list
    jobs: pd.DataFrame
    stations: pd.DataFrame
    stock: pd.DataFrame
    leads: pd.DataFrame
    completions: list
    firings: int
    reason: str

    @property
    def complete(self) -> bool:
        return self.shipped == self.orders and self.reason != "interrupted"


def run_one(scenario_file: str, controller: str, case: int, stock: dict, orders: dict | None,
            seed: int, options: dict | None = None) -> CaseResult:
    """Run one case and reduce its event log to the KPI tables (runs in a worker process)."""
    from control.registry import create
    scenario = load_scenario(scenario_file)
    ctrl = create(controller, **(options or {}))
    # a controller that decides dispatch runs on the net whose station starts it controls;
    # compiled once per worker process, reused by its next cases
    compiled = ff.compiled_plant(orders, dispatch=getattr(ctrl, "dispatch", False))
    net = compiled.net
    order_numbers = orders if orders is not None else ff.read_orders(ff.DATA / "orders.csv")
    scenario.validate(net, order_numbers)
    bound = flowfactory_lower_bound(scenario.relaxed(net), order_numbers, stock)
    run = ff.run_case(compiled, case, stock, ctrl, scenario, seed=seed)
    ev = run.events
    jobs = job_table(ev, ff.STATIONS, attribute={"Printer": ("Montage", "base_printed")})
    table = station_table(jobs)
    levels = stock_levels(ev, {s: stock.get(s, 0) for s in ff.STORES})
    return CaseResult(scenario.name, controller, case, run.makespan, bound.seconds, bound.station,
                      run.orders, run.shipped, run.wall_seconds, run.simulation_seconds,
                      run.decision_seconds, run.windows, jobs, table, levels, lead_times(ev, release="release", place="shipped"),
                      sorted(completion_times(ev, "shipped").tolist()), len(ev), run.reason)


@dataclass
class GroupResult:
    """All cases of one scenario under one controller, on one time line."""

    scenario: str
    controller: str
    thesis_days: float | None
    description: str
    cases: list[CaseResult] = field(default_factory=list)
    expected_cases: int = 0
    wall_seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return len(self.cases) == self.expected_cases and all(c.complete for c in self.cases)

    def offsets(self) -> dict[int, float]:
        out, t = {}, 0.0
        for c in sorted(self.cases, key=lambda c: c.case):
            out[c.case] = t
            t += c.makespan
        return out

    @property
    def makespan(self) -> float:
        return sum(c.makespan for c in self.cases)

    @property
    def lower_bound(self) -> float:
        return sum(c.lower_bound for c in self.cases)


def run_thesis_timing(scenario_file: str, controller: str, cases: dict[int, dict],
                      orders: dict | None) -> list[CaseResult]:
    """All cases of one scenario under one controller with the thesis's timing
    (``control.flowfactory.thesis_timing``): one time line, cases one after another, each
    case's makespan the time from the previous case's end to its own."""
    import time
    from control.flowfactory.thesis_timing import (decisions_for, run_thesis,
                                                   scenario_effect, thesis_lower_bound)
    scenario = load_scenario(scenario_file)
    orders = orders if orders is not None else ff.read_orders(ff.DATA / "orders.csv")
    malfunction = scenario_effect(scenario.name)
    t0 = time.perf_counter()
    run = run_thesis(list(cases.items()), orders, decisions_for(controller, orders), malfunction)
    wall = time.perf_counter() - t0
    rows = pd.DataFrame(run.rows, columns=["case", "order", "product", "station", "start", "stop"])
    out, before = [], 0.0
    for i, case in enumerate(cases):
        end = run.case_ends[case]
        # the tail after commissioning counts once, for the last case
        bound = thesis_lower_bound([(case, cases[case])], orders, malfunction,
                                   tail=i == len(cases) - 1)
        mine = rows[rows["case"] == case]
        stations = pd.DataFrame({
            "order": mine["order"], "station": mine["station"],
            "start": mine["start"] - before, "stop": mine["stop"] - before,
            "production_time": 0.0, "transport_time": 0.0})
        finals = mine[(mine["station"] == "Packaging")]
        completions = sorted((finals["stop"] - before).tolist())
        jobs = pd.DataFrame({"station": mine["station"], "transition": "", "order": mine["order"],
                             "product": mine["product"], "start": mine["start"] - before,
                             "end": mine["stop"] - before, "arrival": mine["start"] - before,
                             "processing": mine["stop"] - mine["start"], "transport": 0.0})
        windows = [("disruption 1", "cleaning & drying x3 on every input (the thesis's code)",
                    0.0, None)] if malfunction else []
        out.append(CaseResult(
            scenario.name, controller, case, end - before, bound, "Commissioning",
            len(orders), len(orders), wall / len(cases), wall / len(cases), {}, windows, jobs,
            stations.reset_index(drop=True),
            pd.DataFrame(columns=["time", "store", "level"]),
            pd.DataFrame(columns=["order", "release", "completion", "lead_time"]),
            completions, 0, "dead"))
        before = end
    return out


def run_experiment(scenario_files: list[str], controllers: list[str], cases: dict[int, dict],
                   orders: dict | None = None, seed: int = 0, workers: int | None = None,
                   progress=None, options: dict | None = None,
                   timing: str = "plant", ray: str | None = None) -> tuple[list[GroupResult], bool]:
    """Run everything; returns the groups (finished cases only) and whether it was interrupted.

    ``options``: controller name -> keyword options for its factory (e.g. ``{"thesis-rl":
    {"policy": "my.json"}}``). ``timing``: ``"plant"`` (the nets) or ``"thesis"`` (the
    thesis's MATLAB model, ``control.flowfactory.thesis_timing``). The cases run in
    ``workers`` processes (default one per CPU), or on the Ray cluster at ``ray`` (an address,
    or ``"local"``); see ``petri.parallel``."""
    options = options or {}
    scenarios = [load_scenario(f) for f in scenario_files]
    groups: dict[tuple, GroupResult] = {}
    tasks = []
    for f, sc in zip(scenario_files, scenarios):
        for ctrl in controllers:
            from control.registry import create
            thesis = sc.thesis_days.get(getattr(create(ctrl, **options.get(ctrl, {})),
                                                "thesis_key", ctrl))
            groups[(sc.name, ctrl)] = GroupResult(sc.name, ctrl, thesis, sc.description,
                                                  expected_cases=len(cases))
            for case, stock in cases.items():
                tasks.append((str(f), ctrl, case, stock, orders, seed, options.get(ctrl)))
    done = 0
    if timing == "thesis":          # fast: every group in this process
        for f, sc in zip(scenario_files, scenarios):
            for ctrl in controllers:
                g = groups[(sc.name, ctrl)]
                g.cases = run_thesis_timing(str(f), ctrl, cases, orders)
                g.wall_seconds = sum(c.wall_seconds for c in g.cases)
                done += len(cases)
                if progress:
                    progress(done, len(tasks), f"{sc.name}/{ctrl}")
        return list(groups.values()), False

    def collect(i: int, result: CaseResult):
        nonlocal done
        done += 1
        g = groups[(result.scenario, result.controller)]
        g.wall_seconds += result.wall_seconds
        if result.complete:
            g.cases.append(result)
        if progress:
            progress(done, len(tasks), f"{result.scenario}/{result.controller} case {result.case}")

    backend = Backend.parse(workers, ray, default_workers=min(len(tasks), os.cpu_count() or 1))
    interrupted = run_tasks(run_one, tasks, backend, on_result=collect).interrupted
    for g in groups.values():
        g.cases.sort(key=lambda c: c.case)
    return list(groups.values()), interrupted


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------

def summarise(groups: list[GroupResult]) -> list[dict]:
    """One row per scenario and controller: the experiment's table. Rows of a disrupted
    scenario whose controller also ran the ideal one carry its resilience against that run
    (``makespan_loss_days``, ``makespan_loss_percent``, ``recovery_hours_mean``,
    ``recovery_hours_max``); otherwise these are None."""
    res = {(r["scenario"], r["controller"]): r for r in resilience_rows(groups)}
    rows = []
    for g in groups:
        if not g.cases:
            continue
        ms, lb = g.makespan / ff.DAY, g.lower_bound / ff.DAY
        rows.append({
            "scenario": g.scenario, "controller": g.controller,
            "makespan_days": round(ms, 2), "lower_bound_days": round(lb, 2),
            "ratio": round(ms / lb, 3) if lb else None,
            "thesis_days": g.thesis_days,
            "end_date": ff.to_date(g.makespan).strftime("%Y-%m-%d %H:%M:%S"),
            "cases": len(g.cases), "complete": g.complete,
            "wall_seconds": round(g.wall_seconds, 3),
            "simulation_seconds": round(sum(c.simulation_seconds for c in g.cases), 3),
            "decision_seconds": {m: round(sum(c.decision_seconds.get(m, 0.0) for c in g.cases), 4)
                                 for m in sorted({m for c in g.cases for m in c.decision_seconds})},
        })
        r = res.get((g.scenario, g.controller))
        rows[-1].update({
            "makespan_loss_days": round(r["makespan_loss_days"], 3) if r else None,
            "makespan_loss_percent": round(r["makespan_loss_percent"], 2) if r else None,
            "recovery_hours_mean": round(r["time_to_recover_hours_mean"], 2) if r else None,
            "recovery_hours_max": round(r["time_to_recover_hours_max"], 2) if r else None,
        })
    return rows


def _global_stations(g: GroupResult) -> pd.DataFrame:
    off = g.offsets()
    parts = []
    for c in g.cases:
        t = c.stations.copy()
        t.insert(0, "case", c.case)
        t["start"] += off[c.case]
        t["stop"] += off[c.case]
        parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def write_tables(groups: list[GroupResult], out, stations_order=ff.STATION_ORDER,
                 force: bool = True) -> dict[str, pd.DataFrame]:
    """Write the CSV tables into ``out`` (over existing files only with ``force``); returns
    them by name (for the plots)."""
    tables: dict[str, pd.DataFrame] = {}
    groups = [g for g in groups if g.cases]
    tables["summary"] = pd.DataFrame([{k: v for k, v in r.items() if k != "decision_seconds"}
                                      for r in summarise(groups)])
    case_rows, effort, util, outs, leads, stock, station_rows, mk = [], [], [], [], [], [], [], []
    for g in groups:
        off = g.offsets()
        for c in g.cases:
            case_rows.append({
                "scenario": g.scenario, "controller": g.controller, "case": c.case,
                "makespan_days": c.makespan / ff.DAY, "lower_bound_days": c.lower_bound / ff.DAY,
                "ratio": c.makespan / c.lower_bound if c.lower_bound else None,
                "bottleneck": c.bottleneck,
                "start_date": ff.to_date(off[c.case]), "end_date": ff.to_date(off[c.case] + c.makespan),
                "orders": c.orders, "firings": c.firings, "wall_seconds": c.wall_seconds,
                "simulation_seconds": c.simulation_seconds,
                "disruption_windows": "; ".join(
                    f"{d} from {s / 3600:.1f} h to {e / 3600:.1f} h" if s is not None and e is not None
                    else f"{d}: {'never opened' if s is None else 'open to the end'}"
                    for _, d, s, e in c.windows),
            })
            effort.append({"scenario": g.scenario, "controller": g.controller, "case": c.case,
                           "module": "simulation", "seconds": c.simulation_seconds})
            for m, s in c.decision_seconds.items():
                effort.append({"scenario": g.scenario, "controller": g.controller, "case": c.case,
                               "module": m, "seconds": s})
            for st, u in utilisation(c.jobs, c.makespan).items():
                util.append({"scenario": g.scenario, "controller": g.controller, "case": c.case,
                             "station": st, "utilisation": u})
            for st, s in stockout_time(c.stock, c.makespan).items():
                outs.append({"scenario": g.scenario, "controller": g.controller, "case": c.case,
                             "store": st, "stockout_hours": s / 3600})
            lt = c.leads.copy()
            lt.insert(0, "case", c.case)
            lt.insert(0, "controller", g.controller)
            lt.insert(0, "scenario", g.scenario)
            leads.append(lt)
            sl = c.stock.copy()
            sl["time"] += off[c.case]
            sl.insert(0, "case", c.case)
            sl.insert(0, "controller", g.controller)
            sl.insert(0, "scenario", g.scenario)
            stock.append(sl)
        st = _global_stations(g)
        st.insert(0, "controller", g.controller)
        st.insert(0, "scenario", g.scenario)
        st["start_date"] = st["start"].map(ff.to_date)
        st["stop_date"] = st["stop"].map(ff.to_date)
        station_rows.append(st)
        m = station_makespan(st, [s for s in stations_order if s != "Printer"])
        m.insert(0, "controller", g.controller)
        m.insert(0, "scenario", g.scenario)
        mk.append(m)
    tables["cases"] = pd.DataFrame(case_rows)
    tables["effort"] = pd.DataFrame(effort)
    tables["utilisation"] = pd.DataFrame(util)
    tables["stockout"] = pd.DataFrame(outs)
    tables["lead_times"] = pd.concat(leads, ignore_index=True) if leads else pd.DataFrame()
    tables["stock"] = pd.concat(stock, ignore_index=True) if stock else pd.DataFrame()
    tables["station_table"] = pd.concat(station_rows, ignore_index=True) if station_rows else pd.DataFrame()
    tables["station_makespan"] = pd.concat(mk, ignore_index=True) if mk else pd.DataFrame()
    tables["errors"], tables["resilience"] = _comparisons(groups)
    for name, df in tables.items():
        units = {**CSV_UNITS, "time": "which"} if name == "errors" else CSV_UNITS
        with output(os.path.join(out, f"{name}.csv"), force=force) as tmp:
            df.rename(columns=units).to_csv(tmp, index=False)
    return tables


#: column -> its name in the CSV files, with its unit (model times are seconds from
#: 2024-07-15 08:00)
CSV_UNITS = {
    "ratio": "ratio_to_bound", "thesis_days": "thesis_days", "start": "start_s",
    "stop": "stop_s", "time": "time_s", "production_time": "production_time_s",
    "transport_time": "transport_time_s", "level": "level_units", "release": "release_s",
    "completion": "completion_s", "lead_time": "lead_time_s", "utilisation": "utilisation_share",
    "mean": "mean_h", "mae": "mae_h", "mse": "mse_h2", "inputs": "inputs_count",
    "orders": "orders_count", "firings": "firings_count", "cases": "cases_count",
    "cases_delayed": "cases_delayed_count", "throughput_loss_percent": "throughput_loss_percent",
}


def _comparisons(groups: list[GroupResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MSE/MAE of every disrupted run against the ideal run of its controller, and of every
    controller against the first one in the same scenario; and the resilience table."""
    by = {(g.scenario, g.controller): g for g in groups}
    errors = []
    controllers = list(dict.fromkeys(g.controller for g in groups))
    for g in groups:
        ref = by.get(("ideal", g.controller))
        pairs = []
        if ref is not None and g.scenario != "ideal":
            pairs.append((ref, "ideal"))
        first = by.get((g.scenario, controllers[0]))
        if first is not None and g.controller != controllers[0]:
            pairs.append((first, f"{controllers[0]}"))
        for base, label in pairs:
            e = station_errors(_global_stations(g), _global_stations(base))
            e.insert(0, "against", label)
            e.insert(0, "controller", g.controller)
            e.insert(0, "scenario", g.scenario)
            errors.append(e)
    return (pd.concat(errors, ignore_index=True) if errors else pd.DataFrame(),
            pd.DataFrame(resilience_rows(groups)))


def resilience_rows(groups: list[GroupResult]) -> list[dict]:
    """Per disrupted scenario and controller, against the same controller's ideal run: the
    makespan loss (days, %), the throughput loss and the time to recover (mean and worst case
    over the cases, hours: from the window's opening until orders finish at the ideal pace)."""
    by = {(g.scenario, g.controller): g for g in groups if g.cases}
    res = []
    for g in groups:
        ref = by.get(("ideal", g.controller))
        if ref is None or g.scenario == "ideal" or not g.cases:
            continue
        done_ref = {c.case: c for c in ref.cases}
        per_case = []
        for c in g.cases:
            r0 = done_ref.get(c.case)
            if r0 is None:
                continue
            starts = [s for _, _, s, _ in c.windows if s is not None]
            per_case.append(resilience(r0.completions, c.completions,
                                       min(starts) if starts else None))
        if not per_case:
            continue
        total = resilience(_timeline(ref), _timeline(g))
        res.append({
            "scenario": g.scenario, "controller": g.controller,
            "makespan_loss_days": total.makespan_loss / ff.DAY,
            "makespan_loss_percent": 100 * total.makespan_loss_ratio,
            "throughput_loss_percent": 100 * total.throughput_loss,
            "time_to_recover_hours_mean": sum(r.time_to_recover for r in per_case) / len(per_case) / 3600,
            "time_to_recover_hours_max": max(r.time_to_recover for r in per_case) / 3600,
            "cases_delayed": sum(1 for r in per_case if r.makespan_loss > 0),
        })
    return res


def _timeline(g: GroupResult) -> list[float]:
    off = g.offsets()
    return [off[c.case] + t for c in g.cases for t in c.completions]

"""A lower bound on the makespan of one FlowFactory case (all its orders, from its initial stock).

No schedule can beat, for any station s,

    head(s) + work(s) + tail(s)

where work(s) is the processing every schedule must give s (components beyond the complete
stock must be stamped, beyond complete + notLasered stock also manufactured; bases beyond the
base stock must be printed), head(s) the earliest any job can reach s (including the supplier
lead time when s's consumable store starts too low to serve one job) and tail(s) the shortest
way from s to a shipped order. Stations with a consumable give a second bound: the jobs the
initial stock cannot serve start after a delivery, so lead time + their work + tail. The two
ovens share their work. The bound is the largest of all these.

**Supply limit.** A consumable store s (capacity C, supplier lead time L, initial stock I)
serves J jobs of u units each at its station. In the nets a supplier holds one delivery at a
time: ``reorder_s`` takes the supplier token, the delivery becomes ready L after the order,
and the supplier is free again only when that delivery is unloaded; so, with no order before
time 0, the k-th delivery arrives at k·L at the earliest. A delivery unloads one unit at a
time at priority 20 (nothing else fires in between) until the store is full, so it brings at
most C units. Hence before the k-th arrival at most I + (k-1)·C units have been available,
and of the J jobs (taken in the order they start) the job j with j·u > I + (k-1)·C cannot
start before k·L. That is m_k = J - floor((I + (k-1)·C) / u) jobs, and they run one at a
time on the station, so the last of them ends at least k·L + (the m_k shortest jobs' work)
after time 0 and the order it belongs to still needs the station's shortest tail: for every
k = 1 .. ceil((J·u - I) / C), k·L + work of the m_k shortest + tail is a lower bound.
The same m_k jobs must then pass commissioning and powder coating one at a time: k·L + the
shortest way from the supplied station to there + their m_k smallest processing times there
+ the shortest tail after it is a lower bound too (for sawing and the laser).
J is the fewest jobs any schedule runs there (manufacturing, stamping or printing more only
adds jobs). Under a scenario the relaxed net gives the shorter lead time and the larger
capacity of normal and disrupted values, so the bound stays valid.

>>> from control.flowfactory import plant as ff
>>> net, orders = ff.load_plant(), ff.read_orders(ff.DATA / "orders.csv")
>>> b = flowfactory_lower_bound(net, orders, ff.read_cases(ff.DATA / "initial_stock.csv")[1])
>>> b.station, round(b.seconds / 86400, 2)      # case 1: 7 cutting deliveries, 2 days each,
('Commissioning', 14.76)
>>> round(b.parts["Sawing"] / 86400, 2)         # then the late jobs pass commissioning
14.33
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LowerBound", "flowfactory_lower_bound"]

MILL = {"ProductA": "Milling 1", "ProductB": "Milling 1", "ProductC": "Milling 1",
        "ProductD": "Milling 2", "ProductE": "Milling 2", "ProductF": "Milling 2"}
#: consumable store -> (station, units per job)
SUPPLY = {"cutting": ("Sawing", 1), "gas": ("Laser", 1), "filament": ("Printer", 2),
          "electrical_func": ("Electrical_Function_Verification", 1)}
ITEM = {"Montage": "base", "Printer": "base", "Electrical_Function_Verification": "electrical_func",
        "Packaging": "final_prod"}
ASSEMBLY = ["Montage", "Electrical_Function_Verification", "Packaging"]


@dataclass(frozen=True)
class LowerBound:
    seconds: float
    station: str                                   # the station that gives the bound
    parts: dict = field(default_factory=dict)      # station -> its bound (s)


def flowfactory_lower_bound(net, orders: dict[int, dict[str, int]], stock: dict[str, int]) -> LowerBound:
    """The bound for ``orders`` (order -> components per product) from ``stock`` (store ->
    units), with the processing, transport and lead times of ``net``'s tables."""
    f1, f2, tr = net.tables["face1"], net.tables["face2"], net.tables["transport"]
    lead = net.tables["lead_days"]
    day = float(net.constants.get("DAY", 86400))

    def pt(item, station):
        return float(f1[item, station] + f2[item, station])

    def tt(item, station):
        return float(tr[item, station])

    def oven(p):      # the faster oven, processing + transport
        return min(pt(p, s) + tt(p, s) for s in ("Oven 1", "Oven 2"))

    n = len(orders)
    products = sorted({p for q in orders.values() for p, k in q.items() if k})
    need = {p: sum(q.get(p, 0) for q in orders.values()) for p in products}
    complete = {p: min(need[p], stock.get(f"{p}_complete", 0)) for p in products}
    stamp = {p: need[p] - complete[p] for p in products}
    make = {p: max(0, stamp[p] - stock.get(f"{p}_notLasered", 0)) for p in products}
    wait = {s: (lead[s] * day if stock.get(s, 0) < units else 0.0)
            for s, (_, units) in SUPPLY.items()}
    wait_at = {station: wait[s] for s, (station, _) in SUPPLY.items()}

    def assembly_tail(station):   # from the end of processing at an assembly station to shipped
        i = ASSEMBLY.index(station)
        t = tt(ITEM[station], station)
        for s in ASSEMBLY[i + 1:]:
            t += pt(ITEM[s], s) + tt(ITEM[s], s)
        return t

    # earliest arrival at each station of a component's route, and the tail after it
    heads: dict[str, list[float]] = {}
    tails: dict[str, list[float]] = {}
    for p in products:
        routes = []
        if complete[p]:
            routes.append([])
        if stamp[p] > make[p]:
            routes.append(["Laser", "Cleaning & Drying", "Verification"])
        if make[p]:
            routes.append([MILL[p], "Sawing", "Cleaning & Drying", "Verification",
                           "Laser", "Cleaning & Drying", "Verification"])
        for route in routes:
            path = route + ["Commissioning", "Powder coating", "Oven"]
            times = [oven(p) if s == "Oven" else pt(p, s) + tt(p, s) for s in path]
            out = [min(tt(p, "Oven 1"), tt(p, "Oven 2")) if s == "Oven" else tt(p, s) for s in path]
            t = 0.0
            for k, s in enumerate(path):
                t = max(t, wait_at.get(s, 0.0))
                heads.setdefault(s, []).append(t)
                tails.setdefault(s, []).append(out[k] + sum(times[k + 1:]) + pt("base", "Montage")
                                               + assembly_tail("Montage"))
                t += times[k]
            heads.setdefault("Montage", []).append(t)

    parts: dict[str, float] = {}

    def work(station, items):
        return sum(k * pt(p, station) for p, k in items.items())

    # component stations: unavoidable work
    work_at = {
        "Commissioning": work("Commissioning", need),
        "Powder coating": work("Powder coating", need),
        "Oven": sum(k * min(pt(p, "Oven 1"), pt(p, "Oven 2")) for p, k in need.items()) / 2,
        "Laser": work("Laser", stamp),
        "Cleaning & Drying": work("Cleaning & Drying", stamp) + work("Cleaning & Drying", make),
        "Verification": work("Verification", stamp) + work("Verification", make),
        "Sawing": work("Sawing", make),
        "Milling 1": work("Milling 1", {p: k for p, k in make.items() if MILL[p] == "Milling 1"}),
        "Milling 2": work("Milling 2", {p: k for p, k in make.items() if MILL[p] == "Milling 2"}),
    }
    for s, w in work_at.items():
        if w > 0 and s in heads:
            parts[s] = min(heads[s]) + w + min(tails[s])

    # bases: printed beyond the base stock
    prints = max(0, n - stock.get("base", 0))
    base_ready = 0.0 if stock.get("base", 0) else wait["filament"] + pt("base", "Printer") + tt("base", "Printer")
    montage_head = max(min(heads.get("Montage", [0.0])), base_ready)
    after_montage = pt("base", "Montage") + assembly_tail("Montage")
    if prints:
        parts["Printer"] = (wait["filament"] + prints * pt("base", "Printer") + tt("base", "Printer")
                            + after_montage)
    head = montage_head
    for s in ASSEMBLY:
        item = ITEM[s]
        t = max(head, wait_at.get(s, 0.0))
        parts[s] = max(parts.get(s, 0.0), t + n * pt(item, s) + assembly_tail(s))
        head = t + pt(item, s) + tt(item, s)

    # the component stations after a supplied one, as the late jobs meet them
    after_supply = {"Sawing": ["Cleaning & Drying", "Verification", "Laser", "Cleaning & Drying",
                               "Verification", "Commissioning", "Powder coating"],
                    "Laser": ["Cleaning & Drying", "Verification", "Commissioning",
                              "Powder coating"]}
    downstream_tail = {
        d: min((tt(p, d) + (pt(p, "Powder coating") + tt(p, "Powder coating")
                            if d == "Commissioning" else 0.0) + oven(p)
                for p in products), default=0.0) + pt("base", "Montage") + assembly_tail("Montage")
        for d in ("Commissioning", "Powder coating")}

    def downstream(station, items):
        """For each of Commissioning and Powder coating after ``station``: the shortest time
        from a job's start at ``station`` to its arrival there, and the jobs' processing times
        there, ascending."""
        route = after_supply.get(station)
        items = {p: k for p, k in items.items() if k}
        if not route or not items:
            return {}
        out = {}
        for d in ("Commissioning", "Powder coating"):
            i = route.index(d)
            reach = min(pt(p, station) + tt(p, station)
                        + sum(pt(p, s) + tt(p, s) for s in route[:i]) for p in items)
            out[d] = (reach, sorted(pt(p, d) for p, k in items.items() for _ in range(k)))
        return out

    # supply limit: the k-th delivery of a store arrives at k lead times at the earliest and
    # brings at most the store's capacity (see the module docstring)
    jobs_at = {"Sawing": make, "Laser": stamp, "Printer": {"base": prints},
               "Electrical_Function_Verification": {"electrical_func": n}}
    for store, (station, units) in SUPPLY.items():
        durations = sorted(pt(item, station) for item, k in jobs_at[station].items()
                           for _ in range(k))
        jobs, initial = len(durations), stock.get(store, 0)
        if jobs * units <= initial:
            continue
        if station in ("Printer", "Electrical_Function_Verification"):
            item = ITEM[station]
            tail = tt(item, station) + after_montage if station == "Printer" else assembly_tail(station)
        else:
            tail = min(tails[station]) if station in tails else 0.0
        cap = net.places[store].capacity or 30
        deliveries = -(-(jobs * units - initial) // cap)
        for k in range(1, deliveries + 1):
            late = jobs - (initial + (k - 1) * cap) // units
            bound = k * lead[store] * day + sum(durations[:late]) + tail
            parts[station] = max(parts.get(station, 0.0), bound)
            # the late jobs must still pass every station after this one, one at a time
            for d, (reach, after) in downstream(station, jobs_at[station]).items():
                bound = k * lead[store] * day + reach + sum(after[:late]) + downstream_tail[d]
                parts[d] = max(parts.get(d, 0.0), bound)

    station = max(parts, key=parts.get)
    return LowerBound(parts[station], station, parts)

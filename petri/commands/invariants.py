"""``petri invariants FILE...``: incidence matrix facts, P- and T-invariants, siphons, traps."""
from __future__ import annotations

from . import add_allow_outside

NAME = "invariants"
HELP = ("list the P- and T-semiflows (minimal non-negative invariants), an integer basis of "
        "the invariants, structural bounds, and the minimal siphons and traps of small nets")


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a net: TOML file(s) loaded together, or one PNML file (.pnml, .xml)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    add_allow_outside(p)


def _fmt(vec: dict) -> str:
    return " + ".join(name if v == 1 else f"{v}*{name}" for name, v in vec.items())


def run(args) -> int:
    import json
    from ..analysis import invariants as inv
    from .reach import load_net

    net = load_net(args.files, allow_outside=args.allow_outside_tables)
    places, transitions, C = inv.incidence_matrix(net)
    m0 = {p: net.places[p].initial_count() for p in places}
    ps, ts = inv.p_semiflows(net), inv.t_semiflows(net)
    pb, tb = inv.p_invariants(net), inv.t_invariants(net)
    bounds = inv.structural_bounds(net)
    covered = inv.structurally_bounded(net)
    siphons, traps = inv.siphons(net), inv.traps(net)
    result = {
        "net": net.name, "places": len(places), "transitions": len(transitions),
        "p_semiflows": [{"weights": y, "tokens": sum(v * m0[p] for p, v in y.items())}
                        for y in ps] if ps is not None else None,
        "t_semiflows": ts,
        "p_invariant_basis": pb, "t_invariant_basis": tb,
        "structurally_bounded": bool(covered.all()) if len(places) else True,
        "structural_bounds": {p: b for p, b in zip(places, bounds)},
        "conservative": ps is not None and bool(ps) and all(
            any(p in y for y in ps) for p in places),
        "consistent": ts is not None and bool(ts) and all(any(t in x for x in ts)
                                                          for t in transitions),
        "siphons": siphons, "traps": traps,
    }
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    L = [f"Net: {net.name} ({len(places)} places, {len(transitions)} transitions)", ""]
    if ps is None:
        L.append("P-semiflows: too many to enumerate")
    else:
        L.append(f"P-semiflows ({len(ps)}): weighted token sums that never change")
        for y, r in zip(ps, result["p_semiflows"]):
            L.append(f"  {_fmt(y)} = {r['tokens']}")
    if ts is None:
        L.append("T-semiflows: too many to enumerate")
    else:
        L.append(f"T-semiflows ({len(ts)}): firing counts that reproduce a marking")
        for x in ts:
            L.append(f"  {_fmt(x)}")
    L.append(f"Integer basis: {len(pb)} P-invariant(s), {len(tb)} T-invariant(s) "
             f"(incidence matrix rank {len(transitions) - len(tb)})")
    L.append("")
    L.append(f"Structurally bounded (bounded from every initial marking): "
             f"{'yes' if result['structurally_bounded'] else 'no'}")
    L.append(f"Covered by P-semiflows (conservative): {'yes' if result['conservative'] else 'no'}")
    L.append(f"Covered by T-semiflows (consistent): {'yes' if result['consistent'] else 'no'}")
    L.append("Structural bounds (from the P-semiflows and capacities):")
    width = max((len(p) for p in places), default=0)
    for p, b in zip(places, bounds):
        L.append(f"  {p.ljust(width)}  {'none' if b is None else b}")
    for name, sets in (("siphons", siphons), ("traps", traps)):
        if sets is None:
            L.append(f"Minimal {name}: not computed (more than 40 places)")
        else:
            L.append(f"Minimal {name} ({len(sets)}):")
            for s in sets:
                L.append("  {" + ", ".join(s) + "}")
    print("\n".join(L))
    return 0

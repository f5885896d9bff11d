"""``petri experiment``: the FlowFactory case study, every scenario under every controller.

Runs the orders of every initial-stock case (stores re-initialised per case, cases one after
another) and prints one table: makespan in days per scenario and controller, its ratio to the
lower bound, and what the thesis reports. CSV tables and PNG plots go to ``--out``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from petri.commands import add_force
from petri.cli import SEED, whole_number
from petri.errors import CommandError
from petri.parallel import add_ray_option

NAME = "experiment"
HELP = ("run the FlowFactory experiment: disruption scenarios x controllers x initial-stock "
        "cases; print the makespan table, write CSV tables and plots")


def add_arguments(p) -> None:
    p.add_argument("--scenario", action="append", metavar="NAME|FILE",
                   help="a bundled scenario (ideal, storage, malfunction, workforce) or a scenario "
                        ".toml file; repeatable (default: ideal; with --all: the four bundled ones)")
    p.add_argument("--all", action="store_true",
                   help="every bundled scenario (unless --scenario) under both timings; tables "
                        "and plots in OUT/plant/ and OUT/thesis/")
    p.add_argument("--controller", action="append", metavar="NAME",
                   help="a registered controller; repeatable (default: every FlowFactory one)")
    p.add_argument("--policy", metavar="FILE",
                   help="policy file (.json/.npz, from petri train) for the thesis-rl controller "
                        "(default: the shipped policy)")
    p.add_argument("--orders", metavar="FILE.csv", help="order list (columns of orders.csv)")
    p.add_argument("--cases", metavar="FILE.csv",
                   help="initial-stock cases (columns of initial_stock.csv)")
    p.add_argument("--case", type=whole_number(1), action="append", metavar="N",
                   help="run only case N of the cases; repeatable (default: every case)")
    p.add_argument("--generalise", type=SEED, metavar="SEED",
                   help="unseen inputs: an order list and the scenarios' disruption windows "
                        "drawn from SEED (written to --out); not with --orders")
    p.add_argument("--timing", choices=["plant", "thesis"], default="plant",
                   help="plant: the nets as docs/flowfactory.md describes the plant (default); "
                        "thesis: the thesis's MATLAB model as its appendix code runs it")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the engine's free choices (default 0)")
    p.add_argument("--out", default="out", metavar="DIR", help="output folder (default ./out)")
    p.add_argument("--workers", type=whole_number(1, 256), default=None, metavar="N",
                   help="worker processes (default: one per CPU)")
    add_ray_option(p)
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    add_force(p)


def run(args) -> int:
    from control.flowfactory import plant as ff
    from control import registry
    from control.flowfactory.experiment import run_experiment, summarise, write_tables
    from control.flowfactory.scenarios import SCENARIOS, load_scenario, resolve_scenario
    from kpi.flowfactory import plots
    from petri.progress import Progress

    start = time.perf_counter()
    out = Path(args.out)
    if not args.force:      # before the run, not after it
        earlier = _earlier_outputs(out)
        if earlier:
            raise CommandError(f"{out}: holds {len(earlier)} file(s) of an earlier run (e.g. "
                               f"{earlier[0]}); use --force to overwrite them, or another --out")
    default = SCENARIOS if args.all else ["ideal"]
    scenario_files = [str(resolve_scenario(s)) for s in (args.scenario or default)]
    if args.generalise is not None:
        if args.orders:
            raise CommandError("--generalise draws its own order list; leave out --orders")
        from control.flowfactory.generate import generate_orders, generate_scenarios, write_orders
        gen = Path(args.out) / "generalise"
        args.orders = str(write_orders(generate_orders(args.generalise), gen / "orders.csv",
                                       force=args.force))
        scenario_files = [str(p) for p in generate_scenarios(
            args.generalise, gen / "scenarios", names=scenario_files, force=args.force)]
    names = [load_scenario(f).name for f in scenario_files]      # checks every file now
    if len(set(names)) != len(names):
        raise CommandError(f"two scenarios share a name: {', '.join(names)}")
    controllers = args.controller or registry.names(family="flowfactory")
    for c in controllers:
        if c not in registry.names():
            raise CommandError(f"unknown controller {c!r} (known: {', '.join(registry.names())})")
    options = {}
    if args.policy is not None:
        if "thesis-rl" not in controllers:
            raise CommandError("--policy is for the thesis-rl controller; add --controller thesis-rl")
        if not Path(args.policy).is_file():
            raise CommandError(f"{args.policy}: no such policy file (train one with petri train)")
        options["thesis-rl"] = {"policy": str(Path(args.policy).resolve())}
    orders = ff.read_orders(args.orders) if args.orders else None
    cases = ff.read_cases(args.cases or ff.DATA / "initial_stock.csv")
    if args.case:
        for c in args.case:
            if c not in cases:
                raise CommandError(f"--case {c}: no such case in "
                                   f"{args.cases or 'initial_stock.csv'} (its cases: "
                                   f"{', '.join(map(str, cases))})")
        cases = {c: cases[c] for c in dict.fromkeys(args.case)}
    # validate the scenarios against the net and the order list before anything runs
    net = ff.load_plant(orders)
    order_list = orders if orders is not None else ff.read_orders(ff.DATA / "orders.csv")
    for f in scenario_files:
        load_scenario(f).validate(net, order_list)
    if args.policy is not None:     # refuses a policy of another net or controller, naming both
        from control.flowfactory.rl import load
        load(args.policy, net)

    timings = ["plant", "thesis"] if args.all else [args.timing]
    thesis_inputs = (orders is None or orders == ff.read_orders(ff.DATA / "orders.csv")) and \
        cases == ff.read_cases(ff.DATA / "initial_stock.csv")
    notes = []
    all_rows = []
    interrupted = False
    for timing in timings:
        with Progress(f"experiment ({timing} timing)",
                      total=len(scenario_files) * len(controllers) * len(cases)) as bar:
            groups, interrupted = run_experiment(
                scenario_files, controllers, cases, orders, seed=args.seed,
                workers=args.workers, options=options, timing=timing, ray=args.ray,
                progress=lambda done, total, what: bar.update(done, f"{done}/{total} {what}"))
        rows = summarise(groups)
        for r in rows:
            r["timing"] = timing
            if not thesis_inputs:       # the thesis reports its own 50 orders x 10 cases only
                r["thesis_days"] = None
        out = Path(args.out) / timing if args.all else Path(args.out)
        tables = {}
        if rows:
            tables = write_tables(groups, out, force=args.force)
            if plots.available():
                plots.write_plots(tables, str(out), ff.STATION_ORDER)
            else:
                notes.append("plots skipped: matplotlib is not installed (pip install petri-flow[plot])")
            notes.append(f"tables written to {out}/")
        if not args.json:
            if len(timings) > 1:
                print(f"{timing} timing")
            _print_table(rows, len(cases))
            _print_resilience(tables.get("resilience"))
            print()
        all_rows += rows
        if interrupted:
            notes.append("interrupted: the table covers the cases that finished")
            break
    wall = time.perf_counter() - start
    if args.json:
        print(json.dumps(all_rows, default=str))
    else:
        print(f"total wall time {wall:.1f} s")
    for n in notes:
        print(n, file=sys.stderr)
    return 130 if interrupted else 0


def _earlier_outputs(out: Path) -> list[str]:
    """The CSV, PNG and TOML files an earlier run left in ``out`` (relative names)."""
    if not out.is_dir():
        return []
    found = [p for folder in (out, out / "generalise", out / "generalise" / "scenarios",
                              out / "plant", out / "thesis")
             if folder.is_dir() for p in sorted(folder.iterdir())
             if p.suffix in (".csv", ".png", ".toml") and (p.is_file() or p.is_symlink())]
    return [str(p.relative_to(out)) for p in found]


def _print_table(rows: list[dict], n_cases: int) -> None:
    head = ["scenario", "controller", "makespan d", "lower bound d", "ratio", "thesis d",
            "ends", "wall s"]
    body = []
    for r in rows:
        partial = "" if r["complete"] else f" ({r['cases']}/{n_cases} cases)"
        body.append([r["scenario"], r["controller"], f"{r['makespan_days']:.1f}{partial}",
                     f"{r['lower_bound_days']:.1f}", f"{r['ratio']:.2f}" if r["ratio"] else "-",
                     f"{r['thesis_days']:.1f}" if r["thesis_days"] is not None else "-",
                     r["end_date"], f"{r['wall_seconds']:.1f}"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for b in body:
        print("  ".join(str(x).ljust(w) if i < 2 or i == 6 else str(x).rjust(w)
                        for i, (x, w) in enumerate(zip(b, widths))))
    if not body:
        print("(no case finished)")


def _print_resilience(table) -> None:
    """Per disrupted scenario and controller: makespan lost against the same controller's
    ideal run, and the time to recover (mean and worst case)."""
    if table is None or table.empty:
        return
    print()
    head = ["scenario", "controller", "makespan loss d", "loss %", "recover h (mean)",
            "recover h (max)", "cases delayed"]
    body = [[r.scenario, r.controller, f"{r.makespan_loss_days:+.2f}",
             f"{r.makespan_loss_percent:+.1f}", f"{r.time_to_recover_hours_mean:.1f}",
             f"{r.time_to_recover_hours_max:.1f}", str(r.cases_delayed)]
            for r in table.itertuples()]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for b in body:
        print("  ".join(str(x).ljust(w) if i < 2 else str(x).rjust(w)
                        for i, (x, w) in enumerate(zip(b, widths))))

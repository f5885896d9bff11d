"""``petri train``: train the FlowFactory Q-learning controller and write its policy file.

Episodes cycle through the initial-stock cases (and the scenarios given); the policy is
written every ``--checkpoint-every`` episodes and at the end, so an interrupted run keeps its
finished episodes, and ``--resume`` continues from the file (same seed: the same Q-table as
an uninterrupted run).
"""
from __future__ import annotations

import time
from pathlib import Path

from petri.commands import add_force
from petri.cli import SEED, whole_number
from petri.errors import CommandError

NAME = "train"
HELP = "train the thesis's three Q-learning modules for FlowFactory (thesis-rl) and save the policy"


def add_arguments(p) -> None:
    p.add_argument("--controller", choices=["thesis-rl", "rl"], default="thesis-rl",
                   help="thesis-rl: the thesis's Q-learning modules (default); rl: our learned "
                        "controller, by policy search on random plants (--episodes is then the "
                        "number of iterations)")
    p.add_argument("--episodes", type=whole_number(0, 10**7), default=100, metavar="N", help="episodes (default 100)")
    p.add_argument("--reward", choices=["thesis"], default="thesis",
                   help="thesis: the thesis's cost-based rewards (the only one)")
    p.add_argument("--scenario", action="append", metavar="NAME|FILE",
                   help="train under these scenarios too (default: ideal only)")
    p.add_argument("--cases", metavar="FILE.csv", help="initial-stock cases to train on")
    p.add_argument("--orders", metavar="FILE.csv", help="order list to train on")
    p.add_argument("--seed", type=SEED, default=0, help="seed (default 0)")
    p.add_argument("--out", default="thesis_rl.json", metavar="FILE",
                   help="policy file, .json or .npz (default thesis_rl.json)")
    p.add_argument("--checkpoint-every", type=whole_number(1), default=10, metavar="K",
                   help="write the policy every K episodes (default 10)")
    p.add_argument("--resume", action="store_true", help="continue training from --out")
    add_force(p)


def run(args) -> int:
    from control.flowfactory import plant as ff
    from control.flowfactory.rl import FlowFactoryQController, PARAMS, run_episode
    from control.flowfactory.scenarios import load_scenario, resolve_scenario
    from control.policy import load_policy, save_policy
    from control.qlearning import QTable
    from dataclasses import replace
    from petri.files import check_output, update_in_place
    from petri.interrupt import Interrupt
    from petri.progress import Progress

    out = Path(args.out)
    check_output(out, force=args.force or args.resume)   # before training, not after it
    if args.controller == "rl":
        return _train_rl(args, out)
    orders = ff.read_orders(args.orders) if args.orders else None
    cases = ff.read_cases(args.cases or ff.DATA / "initial_stock.csv")
    net = ff.load_plant(orders)
    scenarios = [None] + [load_scenario(resolve_scenario(s)) for s in (args.scenario or [])]
    done = 0
    if args.resume:
        if not out.exists():
            raise CommandError(f"{out}: no policy to resume from")
        head, tables = load_policy(out, net=net, kind="flowfactory-qlearning")
        update_in_place(out)            # resuming writes the policy back to its own file
        if head["meta"].get("reward") != args.reward or head["meta"].get("seed") != args.seed:
            raise CommandError(f"{out} was trained with --reward {head['meta'].get('reward')} "
                               f"--seed {head['meta'].get('seed')}; resume with the same options")
        ctl = FlowFactoryQController(args.reward, tables, learn=True)
        done = int(head["meta"].get("episodes", 0))
    else:
        ctl = FlowFactoryQController(args.reward, learn=True, params=replace(PARAMS, seed=args.seed))
    case_ids = sorted(cases)
    start = time.perf_counter()

    def save(n, data):
        save_policy(out, {m: QTable.from_data(d) for m, d in data.items()}, net=net,
                    kind="flowfactory-qlearning", force=True,
                    meta={"reward": args.reward, "seed": args.seed, "episodes": n,
                          "cases": case_ids, "scenarios": [s.name if s else "ideal" for s in scenarios]})

    # the finished episodes and the tables after the last of them, replaced in one step: an
    # interrupted episode has already updated some values and drawn from the exploration RNG,
    # so it is neither kept nor counted, and every file written says how many episodes made it
    kept = (done, {m: t.to_data() for m, t in ctl.tables.items()})
    with Progress("train", total=args.episodes) as bar, Interrupt() as stop:
        try:
            for k in range(done, args.episodes):
                case = case_ids[k % len(case_ids)]
                scenario = scenarios[(k // len(case_ids)) % len(scenarios)]
                m = run_episode(net, cases[case], ctl, scenario, seed=args.seed + k)
                if stop.flag:           # Ctrl-C: the run was cut short
                    break
                kept = (k + 1, {m: t.to_data() for m, t in ctl.tables.items()})
                bar.update(k + 1, f"episode {k + 1} case {case} makespan {m / ff.DAY:.2f} d")
                if (k + 1) % args.checkpoint_every == 0:
                    save(*kept)
        except KeyboardInterrupt:       # Ctrl-C twice, or from inside an episode
            stop.flag = True
    save(*kept)
    if stop.flag:
        print(f"interrupted: {kept[0]} episodes kept in {out}; continue with --resume")
        return 130
    wall = time.perf_counter() - start
    print(f"trained {args.episodes - done} episodes in {wall:.1f} s ({args.reward} reward); "
          f"policy written to {out}")
    return 0


def _train_rl(args, out: Path) -> int:
    """Our learned controller: one step per cross-entropy iteration, then the release grid and
    the held-out check; the policy file (with the training state) is written every
    ``--checkpoint-every`` iterations and after the last two steps."""
    from control.flowfactory import learned
    from control.policy import load_policy
    from petri.files import update_in_place
    from petri.progress import Progress

    state = None
    if args.resume:
        if not out.exists():
            raise CommandError(f"{out}: no policy to resume from")
        head, _ = load_policy(out, net=learned.plant_net(), kind=learned.KIND)
        update_in_place(out)
        state = learned.check_state(head["meta"].get("training"), str(out))
        if state.get("seed") != args.seed or state.get("iterations") != args.episodes:
            raise CommandError(f"{out} was trained with --seed {state.get('seed')} --episodes "
                               f"{state.get('iterations')}; resume with the same options")
    steps = args.episodes + 2
    start = time.perf_counter()

    def done_steps(s):
        return s["done"] + {"cem": 0, "release": 0, "validation": 1, "done": 2}[s["stage"]]

    def checkpoint(s):
        if s["stage"] != "cem" or s["done"] % args.checkpoint_every == 0:
            learned.save(out, s)

    with Progress("train rl", total=steps) as bar:
        def progress(s):
            last = s["history"][-1]
            what = (f"iteration {last['iteration']}: mean {last['mean_of_current']:.4f}, best "
                    f"{last['best']:.4f} of the bound" if "iteration" in last else next(iter(last)))
            bar.update(done_steps(s), what)

        if state is not None:
            bar.update(done_steps(state), "resumed")
        state = learned.train(args.episodes, seed=args.seed, progress=progress,
                              checkpoint=checkpoint, state=state)
    learned.save(out, state)
    if state["stage"] != "done":
        print(f"interrupted: {done_steps(state)} of {steps} steps kept in {out}; continue with "
              f"--resume")
        return 130
    print(f"trained {args.episodes} iterations in {time.perf_counter() - start:.1f} s; "
          f"policy written to {out}")
    return 0

"""``petri train-scheduler``: train the dispatching policy on generated job shops (needs torch)."""
from __future__ import annotations

import sys
from pathlib import Path

from petri.cli import SEED, whole_number
from petri.errors import CommandError
from petri.parallel import add_ray_option

NAME = "train-scheduler"
VALIDATION_INSTANCES = 16            # len(control.scheduling.train.VALIDATION), without torch
HELP = "train the scheduling policy on generated job shops (needs torch: pip install -e .[train])"


def add_arguments(p) -> None:
    p.add_argument("--instances", type=whole_number(1), default=None, metavar="N",
                   help="training instances in all (default: as in control/scheduling/train.py)")
    p.add_argument("--seed", type=SEED, default=0, help="seed (default 0)")
    p.add_argument("--out", default="policy.json", metavar="FILE",
                   help="policy file: FILE.json and FILE.npz (default policy.json)")
    p.add_argument("--checkpoint-every", type=whole_number(1), default=40, metavar="K",
                   help="validate and write the best policy so far every K instances (default 40)")
    p.add_argument("--validation", type=whole_number(1, VALIDATION_INSTANCES), default=None,
                   metavar="N",
                   help=f"judge the checkpoints on only the first N of the {VALIDATION_INSTANCES} "
                        "held-out instances (in order: 9 job shops, 3 flexible job shops, 4 "
                        "plants of 40 to 411 jobs; default all of them)")
    p.add_argument("--resume", action="store_true", help="continue training from --out")
    p.add_argument("--force", action="store_true", help="overwrite an existing policy file")
    p.add_argument("--workers", type=whole_number(1, 256), default=None, metavar="N",
                   help="worker processes labelling each batch's instances (default 1: this "
                        "process; with --ray local: the cluster's CPUs, default one per CPU)")
    add_ray_option(p)


def run(args) -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise CommandError("training needs torch: pip install torch==2.13.0 (or pip install -e "
                           "\".[train]\")") from None
    from control.scheduling import train as tr
    from petri.files import check_output, update_in_place
    from petri.parallel import Backend
    from petri.progress import Progress

    backend = Backend.parse(args.workers, args.ray)
    total = tr.INSTANCES if args.instances is None else args.instances
    out = Path(args.out)
    resume, done, seed = None, 0, args.seed
    if args.resume:
        if not out.with_suffix(".json").exists():
            raise CommandError(f"{out}: no policy to resume from")
        resume, done, seed = tr.resume_from(out)
        for suffix in (".json", ".npz"):       # the policy read is the one written on
            update_in_place(out.with_suffix(suffix))
        if seed != args.seed:
            raise CommandError(f"{out} was trained with --seed {seed}; resume with the same seed")
        judged = resume.header.get("meta", {}).get("validation_instances")
        if judged != args.validation:      # "best so far" must mean one set throughout
            was = (f"--validation {judged}" if judged is not None
                   else f"all {VALIDATION_INSTANCES} validation instances")
            raise CommandError(f"{out} was trained with {was}; resume with the same --validation")
        if done >= total:
            print(f"{out}: already trained on {done} instances")
            return 0
    else:
        for suffix in (".json", ".npz"):
            check_output(out.with_suffix(suffix), force=args.force)

    validation = None if args.validation is None else tr.default_validation(seed, args.validation)

    def checkpoint(policy, state):
        tr.save_trained(policy, out, state, seed, validation_instances=args.validation)

    with Progress("train-scheduler", total=total) as bar:
        policy, state = tr.train(total, seed=seed, resume=resume, done=done,
                                 checkpoint=checkpoint, every=args.checkpoint_every,
                                 progress=lambda k, n, note: bar.update(k, note),
                                 backend=backend, validation=validation)
    tr.save_trained(policy, out, state, seed, validation_instances=args.validation)
    if state.interrupted:
        print(f"{out.with_suffix('.json')}: interrupted after {state.instances} instances; "
              f"--resume goes on from there", file=sys.stderr)
        return 130
    print(f"{out.with_suffix('.json')}: trained on {state.instances} instances in "
          f"{state.seconds:.0f} s; validation makespan / mwkr's (worst kind of instance) {state.best_validation:.4f}")
    return 0

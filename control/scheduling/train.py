"""Training the dispatching policy: self-labelling on generated job shops (needs torch).

The method (Corsini et al., "Self-Labeling the Job Shop Scheduling Problem", 2024): for each
training instance, sample several complete schedules with the current policy, take the best
one as the label, and raise the probability of its every choice (cross-entropy over the
bindings offered at each decision). Schedules of the dispatching rules compete for the label
too, so the policy starts from the best rule and moves past it as its own samples get better.
Why this and not PPO: the reward (the makespan) comes only at the end of an episode, and
self-labelling needs no critic and no advantage estimates; it is the policy-gradient-style
method with the best published greedy gaps on Taillard's instances (5.9-18.5 %), and it
trains in minutes on a CPU.

Rollouts run in numpy through the same dispatcher and policy code as inference; torch only
computes the gradient. Everything is seeded.
"""
from __future__ import annotations

import functools
import random
import time
from dataclasses import dataclass, field

import numpy as np

from petri.interrupt import Interrupt
from petri.parallel import run_tasks

from .dispatch import dispatch
from .features import FEATURES
from .generate import generate_plant, random_flexible, random_jobshop
from .policy import Policy, PolicyController, Recording, load_policy, save_policy
from .rules import Rule

# -- hyper-parameters ------------------------------------------------------------------------
INSTANCES = 480                      # training instances, each used once
JOBSHOP_SIZES = [(6, 6), (10, 5), (10, 10), (15, 10), (15, 15), (20, 10), (20, 15), (30, 20)]
FLEXIBLE_SIZES = [(10, 6), (15, 8), (20, 5), (10, 10)]
FLEXIBLE_SHARE = 0.3                 # share of flexible instances
PLANT_SHARE = 0.2                    # share of plant-shaped instances (calendars, due dates)
PLANT_JOBS = (15, 60)                # their number of jobs at first
LARGE_FROM = 0.4                     # from this share of the instances on (a curriculum) ...
LARGE_PLANT_SHARE = 0.35             # ... this share of the plants is large:
LARGE_PLANT_JOBS = (100, 450)        # this many jobs
PLANT_MACHINES = (0.25, 0.5)         # a plant's machines per job (the 411-job plant: 0.36)
PLANT_HOURS = 36                     # a plant's hours of work per job
SAMPLES = 8                          # sampled schedules per instance
TEMPERATURE = 1.0                    # softmax temperature when sampling
LABEL_RULES = ["mwkr", "mor"]   # rules whose schedules compete for the label
HIDDEN = 32                          # units in each of the two hidden layers
LEARNING_RATE = 2e-3                 # Adam
BATCH = 8                            # instances per update
STEPS_PER_BATCH = 4                  # gradient steps on each batch of labels
# held-out validation instances (jobs, machines, kind: 0 job shop, 1 flexible, 2 plant); the
# score is the greedy policy's makespan against the mwkr rule's, averaged per kind, and the
# worst kind counts, so a checkpoint is kept only when no kind of instance got worse
VALIDATION = [(15, 15, 0), (15, 15, 0), (20, 15, 0), (20, 20, 0), (30, 15, 0), (30, 20, 0),
              (50, 15, 0), (50, 20, 0), (100, 20, 0),
              (10, 6, 1), (15, 8, 1), (10, 10, 1),
              (40, 14, 2), (120, 44, 2), (250, 90, 2), (411, 149, 2)]
SEED = 0


@dataclass
class Progress:
    instances: int = 0
    seconds: float = 0.0
    best_validation: float = float("inf")
    history: list = field(default_factory=list)
    interrupted: bool = False


def training_instance(k: int, seed: int = SEED, total: int = INSTANCES):
    """The k-th of ``total`` training instances: a job shop, a flexible job shop or a plant
    of a drawn size; large plants come in from ``LARGE_FROM`` of the way on."""
    rng = random.Random(seed * 1_000_003 + k)
    draw = rng.random()
    if draw < PLANT_SHARE:
        large = k >= LARGE_FROM * total and rng.random() < LARGE_PLANT_SHARE
        n = rng.randint(*(LARGE_PLANT_JOBS if large else PLANT_JOBS))
        return training_plant(n, rng, f"train{k}")
    if draw < PLANT_SHARE + FLEXIBLE_SHARE:
        n, m = rng.choice(FLEXIBLE_SIZES)
        return random_flexible(n, m, rng, f"train{k}")
    n, m = rng.choice(JOBSHOP_SIZES)
    return random_jobshop(n, m, rng, f"train{k}")


def training_plant(n: int, rng: random.Random, name: str = "plant", machines: int | None = None):
    if machines is None:
        machines = max(3, round(n * rng.uniform(*PLANT_MACHINES)))
    return generate_plant(n, machines, PLANT_HOURS * n, seed=rng.randrange(1 << 30), name=name)


def validation_set(seed: int = SEED, count: int | None = None):
    """The held-out instances (drawn from their own seed, none of them a training instance);
    ``count``: only the first ``count`` of them (the same instances as in the whole set, drawn
    in the same order)."""
    rng = random.Random(seed + 99991)
    make = {0: lambda n, m: random_jobshop(n, m, rng), 1: lambda n, m: random_flexible(n, m, rng),
            2: lambda n, m: training_plant(n, rng, machines=m)}
    return [make[kind](n, m) for n, m, kind in VALIDATION[:count]]


class Validation:
    """The held-out instances with the mwkr rule's makespans (computed once) and their kinds."""

    def __init__(self, instances, kinds=None):
        self.instances = list(instances)
        self.kinds = list(kinds) if kinds is not None else [0] * len(self.instances)
        self.reference = [dispatch(i, Rule("mwkr")).makespan for i in self.instances]

    def __len__(self):
        return len(self.instances)

    def score(self, policy: Policy) -> float:
        """The worst kind's mean of the greedy policy's makespan / mwkr's makespan."""
        per: dict = {}
        for inst, ref, kind in zip(self.instances, self.reference, self.kinds):
            ms = dispatch(inst, PolicyController(policy)).makespan
            per.setdefault(kind, []).append(ms / ref)
        return float(max(np.mean(v) for v in per.values()))


def default_validation(seed: int = SEED, count: int | None = None) -> Validation:
    """The held-out set, or its first ``count`` instances."""
    return Validation(validation_set(seed, count), [kind for _, _, kind in VALIDATION[:count]])


def validation_score(policy: Policy, instances) -> float:
    """The score of ``Validation`` (or of a plain list of instances, all of one kind)."""
    if not isinstance(instances, Validation):
        instances = Validation(instances)
    return instances.score(policy)


def label_task(make_instance, k: int, policy: Policy, rng_seed: int, samples: int, rules):
    """``label`` of the k-th instance (a task that can run in another process)."""
    return label(make_instance(k), policy, rng_seed, samples=samples, rules=rules)


def label(inst, policy: Policy, rng_seed: int, samples: int = SAMPLES, rules=LABEL_RULES):
    """The trace (features, choice per decision) of the best schedule found for ``inst``."""
    best, best_trace = None, None
    for name in rules:
        ctl = Recording(Rule(name))
        ms = dispatch(inst, ctl).makespan
        if best is None or ms < best:
            best, best_trace = ms, ctl.trace
    for s in range(samples):
        ctl = PolicyController(policy, sample=True, seed=rng_seed + s, temperature=TEMPERATURE,
                               record=True)
        ms = dispatch(inst, ctl).makespan
        if ms < best:
            best, best_trace = ms, ctl.trace
    return best, [(x, i) for x, i in best_trace if len(x) > 1]


class _Net:
    """The torch twin of ``Policy`` (same layers), for the gradient."""

    def __init__(self, policy: Policy):
        import torch
        self.torch = torch
        self.params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k not in
                                       ("mean", "scale")) for k, v in policy.arrays.items()}
        self.opt = torch.optim.Adam([p for k, p in self.params.items() if p.requires_grad],
                                    lr=LEARNING_RATE)

    def policy(self) -> Policy:
        return Policy({k: v.detach().numpy().copy() for k, v in self.params.items()})

    def step(self, traces) -> float:
        torch = self.torch
        xs = np.concatenate([x for x, _ in traces])
        sizes = [len(x) for x, _ in traces]
        seg = torch.tensor(np.repeat(np.arange(len(sizes)), sizes))
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        chosen = torch.tensor(offsets + np.array([i for _, i in traces]))
        x = torch.tensor(xs)
        p = self.params
        h = torch.tanh(((x - p["mean"]) / p["scale"]) @ p["w1"] + p["b1"])
        h = torch.tanh(h @ p["w2"] + p["b2"])
        s = (h @ p["w3"]).reshape(-1) + p["b3"]
        top = torch.zeros(len(sizes), dtype=s.dtype).scatter_reduce(
            0, seg, s.detach(), reduce="amax", include_self=False)
        z = torch.exp(s - top[seg])
        lse = torch.log(torch.zeros(len(sizes), dtype=s.dtype).index_add(0, seg, z)) + top
        loss = (lse - s[chosen]).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return float(loss.detach())


def train(instances: int = INSTANCES, seed: int = SEED, resume: Policy | None = None,
          done: int = 0, make_instance=None, checkpoint=None, every: int = 40,
          progress=None, validation=None, samples: int = SAMPLES, rules=LABEL_RULES,
          time_limit: float | None = None, backend=None) -> tuple[Policy, Progress]:
    """Train for ``instances`` instances (from ``done``, continuing ``resume`` if given).

    ``make_instance(k)`` gives the k-th instance (default: generated ones);
    ``checkpoint(policy, progress)`` is called every ``every`` instances and at the end with
    the best policy so far on the validation set; ``progress(done, total, note)`` reports.
    ``backend`` (a ``petri.parallel.Backend``): where the labels of each batch are computed
    (default: this process); every backend trains the same policy. Ctrl-C stops at the end of
    the batch being labelled (``Progress.interrupted``).
    """
    import torch
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    make_instance = make_instance or functools.partial(training_instance, seed=seed,
                                                       total=instances)
    validation = default_validation(seed) if validation is None else validation
    if validation and not isinstance(validation, Validation):
        validation = Validation(validation)
    t0 = time.perf_counter()
    if resume is not None:
        policy = resume
    else:
        policy = Policy.random(HIDDEN, seed)
        # input normalisation from the rules' decisions on the first instances
        rows = []
        for k in range(min(16, instances)):
            rows += [x for x, _ in label(make_instance(k), policy, 0, samples=0, rules=rules)[1]]
        if rows:
            xs = np.concatenate(rows)
            policy.arrays["mean"] = xs.mean(axis=0)
            std = xs.std(axis=0)
            # a feature that did not vary keeps its scale: it must not blow up when it does
            policy.arrays["scale"] = np.where(std > 1e-3, std, 1.0)
            policy = Policy(policy.arrays)
    net = _Net(policy)
    state = Progress(instances=done)
    best_policy = policy
    if validation:
        state.best_validation = validation_score(policy, validation)
    batch, losses = [], []
    k = done
    with Interrupt() as ctrl_c:          # Ctrl-C: stop at the end of a batch
        while k < instances and not ctrl_c.flag:
            # the labels of a batch all come from the same policy: independent tasks
            end = min(instances, (k // BATCH + 1) * BATCH)
            tasks = [(make_instance, i, policy, seed * 7919 + i * SAMPLES, samples, rules)
                     for i in range(k, end)]
            finished = run_tasks(label_task, tasks, backend)
            if finished.interrupted:     # the batch is dropped, what was learnt is kept
                break
            for ms, trace in finished.results:
                batch += trace
                k += 1
                if k % BATCH == 0 or k == instances:
                    if batch:
                        for _ in range(STEPS_PER_BATCH):
                            losses.append(net.step(batch))
                        policy = net.policy()
                    batch = []
                state.instances = k
                state.seconds = time.perf_counter() - t0
                if k % every == 0 or k == instances:
                    if validation:
                        score = validation_score(policy, validation)
                        state.history.append((k, round(score, 5), round(
                            float(np.mean(losses[-20:])) if losses else 0.0, 5)))
                        if score < state.best_validation:
                            state.best_validation, best_policy = score, policy
                    else:
                        best_policy = policy
                    if checkpoint is not None:
                        checkpoint(best_policy, state)
                if progress is not None:
                    progress(k, instances, f"val {state.best_validation:.4f}")
                if time_limit is not None and state.seconds > time_limit:
                    break
            if time_limit is not None and state.seconds > time_limit:
                break
        state.interrupted = ctrl_c.flag
    if not validation:
        best_policy = policy
    return best_policy, state


def save_trained(policy: Policy, path, state: Progress, seed: int, force: bool = True,
                 validation_instances: int | None = None):
    """``validation_instances``: recorded when the checkpoints were judged on only the first
    that many instances of the held-out set."""
    meta = {"method": "self-labelling", "instances": state.instances, "seed": seed,
            "train_seconds": round(state.seconds, 1), "validation": state.best_validation,
            "history": state.history, "samples": SAMPLES, "hidden": HIDDEN,
            "learning_rate": LEARNING_RATE, "features": len(FEATURES),
            "label_rules": list(LABEL_RULES), "temperature": TEMPERATURE}
    if validation_instances is not None:
        meta["validation_instances"] = validation_instances
    return save_policy(policy, path, meta, force=force)


def resume_from(path) -> tuple[Policy, int, int]:
    """(policy, instances done, seed) of a policy file written by training."""
    policy = load_policy(path)
    meta = policy.header.get("meta", {})
    return policy, int(meta.get("instances", 0)), int(meta.get("seed", SEED))

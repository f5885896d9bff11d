"""Train sb3-contrib's MaskablePPO on a small net through the Gymnasium environment.

The net is a two-machine flow shop with five jobs (processing times on machine 1 and 2
below): the agent decides which waiting job machine 1 starts next, or to wait. Johnson's
rule gives the shortest makespan; the example prints what random play, the trained agent
and Johnson's order achieve. A few thousand steps on a CPU, well under a minute.

    pip install torch --index-url https://download.pytorch.org/whl/cpu   # CPU-only torch
    pip install sb3-contrib
    python examples/maskable_ppo.py
"""
from __future__ import annotations

import sys

import numpy as np

from control.env import PetriNetEnv
from petri import Net

JOBS = {"a": (3, 6), "b": (5, 2), "c": (1, 2), "d": (6, 6), "e": (7, 5)}   # (machine 1, machine 2)
STEPS = 4096


def flow_shop() -> Net:
    net = Net("flow shop")
    net.add_colour_set("Job", values=list(JOBS), timed=True)
    net.add_colour_set("Machine", "dot", timed=True)
    net.add_table("P1", {j: p for j, (p, _) in JOBS.items()})
    net.add_table("P2", {j: p for j, (_, p) in JOBS.items()})
    net.add_place("queue", "Job", initial=list(JOBS))
    net.add_place("between", "Job")
    net.add_place("done", "Job")
    net.add_place("free1", "Machine", initial=1)
    net.add_place("free2", "Machine", initial=1)
    net.add_transition("start", inputs=[("queue", "j"), "free1"], delay="P1[j]",
                       outputs=[("between", "j"), "free1"], controllable=True)
    net.add_transition("second", inputs=[("between", "j"), "free2"], delay="P2[j]",
                       outputs=[("done", "j"), "free2"])
    return net


class NoIdleEnv(PetriNetEnv):
    """Waiting is allowed only when nothing else is: otherwise an agent learns that waiting
    at the first decision ends the episode with return 0 (nothing happens without it)."""

    def action_masks(self):
        m = super().action_masks()
        if m[:-1].any():
            m[-1] = False
        return m


def johnson() -> float:
    """Makespan of Johnson's order: jobs faster on machine 1 first (ascending), then the rest
    (descending machine 2 time)."""
    first = sorted((j for j, (a, b) in JOBS.items() if a <= b), key=lambda j: JOBS[j][0])
    last = sorted((j for j, (a, b) in JOBS.items() if a > b), key=lambda j: -JOBS[j][1])
    t1 = t2 = 0
    for j in first + last:
        t1 += JOBS[j][0]
        t2 = max(t2, t1) + JOBS[j][1]
    return float(t2)


def play(env, pick, episodes=20, seed=0) -> float:
    """Mean makespan (minus the mean return) of ``pick(obs, masks)`` over some episodes."""
    total = 0.0
    for k in range(episodes):
        obs, _ = env.reset(seed=seed + k)
        done, ret = False, 0.0
        while not done:
            obs, r, terminated, truncated, _ = env.step(pick(obs, env.action_masks()))
            ret += r
            done = terminated or truncated
        total += -ret
    return total / episodes


def main() -> int:
    try:
        from sb3_contrib import MaskablePPO
    except ImportError:
        print("this example needs sb3-contrib (and torch): install a CPU-only torch first, e.g.\n"
              "  pip install torch --index-url https://download.pytorch.org/whl/cpu\n"
              "  pip install sb3-contrib")
        return 0
    env = NoIdleEnv(flow_shop())
    rng = np.random.default_rng(0)
    random_play = play(env, lambda obs, m: int(rng.choice(np.flatnonzero(m))))
    model = MaskablePPO("MlpPolicy", env, n_steps=256, batch_size=64, learning_rate=3e-3,
                        gamma=1.0, seed=0, verbose=0, device="cpu")
    model.learn(total_timesteps=STEPS)
    trained = play(env, lambda obs, m: int(model.predict(obs, action_masks=m,
                                                         deterministic=True)[0]))
    print(f"flow shop, {len(JOBS)} jobs, {STEPS} training steps of MaskablePPO")
    print(f"  random order:   makespan {random_play:.1f}")
    print(f"  trained agent:  makespan {trained:.1f}")
    print(f"  Johnson's rule: makespan {johnson():.1f} (optimal)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

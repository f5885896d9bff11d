"""A Gymnasium environment over any net with controllable transitions.

* **Actions**: ``Discrete(n + 1)``: the n (controllable transition, binding) pairs of
  ``control.actions.ActionSet`` and, last, *wait*. ``action_masks()`` marks the ones enabled
  at this decision point, as sb3-contrib's ``MaskablePPO`` expects.
* **Observation**: a ``Box`` of float32: the token count of every place (net order), then
  the clock divided by ``time_scale``.
* **Step**: event driven. The chosen binding fires (or the agent waits), then the engine runs
  every uncontrollable firing and moves the clock until the next decision point (only
  controllable bindings enabled) or the end of the run.
* **Reward**: by default minus the model time that passed, divided by ``time_scale``; the
  last step counts up to the latest timestamp of any token (work still under way when the
  last firing happened), so an episode's return is minus its makespan. Give ``reward(state, previous_clock)`` for another.
* **Episode end**: ``terminated`` when nothing more can happen (the run is dead, or only the
  agent could act and it waited); ``truncated`` after ``max_decisions`` decisions.
* **Reset**: ``reset(seed=...)`` seeds the engine's free choices from the env's generator, so
  the same seed and the same actions give the same episode. A net given as a Net is compiled
  once; every episode starts a new run on it (marking, clock, random numbers and parameters
  from the net).

>>> from petri import Net
>>> net = Net()
>>> _ = net.add_place("queue", initial=2)
>>> _ = net.add_place("done")
>>> _ = net.add_transition("work", inputs=["queue"], outputs=["done"], delay=3,
...                        controllable=True)
>>> env = PetriNetEnv(net)
>>> obs, info = env.reset(seed=0)
>>> env.action_masks().tolist()
[True, True]
>>> obs, reward, terminated, truncated, info = env.step(0)
>>> obs.tolist(), reward, terminated
([1.0, 1.0, 0.0], 0.0, False)
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from petri.engine import WAIT, Binding, Decision, Simulator, StateView, compile_net
from petri.errors import NetError, SimulationError
from petri.model import Net

from control.actions import ActionSet, InvalidAction, end_time

__all__ = ["PetriNetEnv"]


class _DecisionPoint(Exception):
    """Carries a decision point out of the engine when the env's own controller is asked (a
    run of ``env.sim`` started outside the env): raised before the engine changes anything."""

    def __init__(self, decision: Decision):
        self.decision = decision


class _Handoff:
    """The env's controller. The env runs the engine to each decision point and stops there
    without asking it (``Simulator._to_decision``); the action ``step`` is given goes to the
    engine with ``Simulator.choose_next``. Asked anyway, it hands the decision point out."""

    def choose(self, decision: Decision):
        raise _DecisionPoint(decision)


class PetriNetEnv(gym.Env):
    """Control a timed coloured Petri net through its controllable transitions.

    ``net``: a Net, or a callable ``(np_random, options) -> Net`` that makes each episode's
    net (e.g. another initial marking); its controllable transitions must be the same every
    time. ``values``: values of variables whose colour set is unbounded (see ``ActionSet``).
    ``prepare(simulator, options)``: called after each reset, before the first step (attach
    disruption scenarios, observers). ``invalid_action``: what an action that is not enabled
    does: ``"wait"`` (wait instead, ``info["invalid_action"]`` set, ``invalid_penalty``
    subtracted) or ``"raise"``.
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, net: Net | Callable[[np.random.Generator, dict], Net], *,
                 values: Mapping[str, Iterable] | None = None,
                 reward: Callable[[StateView, float], float] | None = None,
                 time_scale: float = 1.0, max_decisions: int = 100_000,
                 max_firings: int = 10_000_000, prepare: Callable[[Simulator, dict], Any] | None = None,
                 invalid_action: str = "wait", invalid_penalty: float = 0.0,
                 render_mode: str | None = None):
        if invalid_action not in ("wait", "raise"):
            raise ValueError("invalid_action is 'wait' or 'raise'")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode {render_mode!r} is not supported (None or 'ansi')")
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self._make_net = net if callable(net) and not isinstance(net, Net) else None
        template = net if isinstance(net, Net) else net(np.random.default_rng(0), {})
        self.net = template
        self.actions = ActionSet(template, values)
        self.places = list(template.places)
        self.reward_fn = reward
        self.time_scale = float(time_scale)
        self.max_decisions = max_decisions
        self.max_firings = max_firings
        self.prepare = prepare
        self.invalid_action = invalid_action
        self.invalid_penalty = float(invalid_penalty)
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(len(self.actions))
        self._wait = self.actions.wait      # the wait action's number (the last)
        n = len(self.places) + 1
        self.observation_space = spaces.Box(0.0, np.finfo(np.float32).max, shape=(n,), dtype=np.float32)
        self.sim: Simulator | None = None
        self._compiled = None if self._make_net is not None else compile_net(template, log=False)
        self._decision: Decision | None = None
        # the action numbers offered at this decision point (net order)
        self._offered: list | None = None
        self._numbers: list | None = None       # per transition: values tuple -> action
        self._action_of: list | None = None     # per action: (transition index, values tuple)
        # per transition: the engine's list of its bindings last offered and their action
        # numbers (the engine keeps a list until the transition's places change)
        self._kept: list = []
        self._obs = np.zeros(n, dtype=np.float32)
        self._counted = -1
        self._handoff = _Handoff()
        self._done = True
        self._decisions = 0

    # -- Gymnasium API ---------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = dict(options or {})
        net = self._compiled
        if self._make_net is not None:
            net = self._make_net(self.np_random, options)
            if [t for t, x in net.transitions.items() if x.controllable] != self.actions.transitions:
                raise NetError("the net made for this episode has other controllable transitions "
                                 "than the first one; the action space cannot change")
        engine_seed = int(self.np_random.integers(2**31 - 1))
        self.sim = Simulator(net, controller=self._handoff, seed=engine_seed, log=False)
        if self._numbers is None or self._make_net is not None:
            self._numbers = self.actions.numbers(self.sim.compiled)
            self._action_of = [None] * self.actions.wait
            for u, known in enumerate(self._numbers):
                for b, k in (known or {}).items():
                    self._action_of[k] = (u, b)
        self._kept = [None] * len(self._numbers)
        self._counted = -1      # the engine's version of the counts in ``_obs`` (-1: none)
        if self.prepare is not None:
            self.prepare(self.sim, options)
        self._decisions = 0
        self._done = False
        self._clock = self.sim.clock
        self._run()
        return self._observation(), self._info()

    def step(self, action):
        if self.sim is None:
            raise SimulationError("call reset() before step()")
        if self._done:
            raise SimulationError("the episode is over; call reset()")
        invalid = False
        action = int(action)
        sim = self.sim
        listed = None
        if 0 <= action < self._wait and self._decision is not None:
            u, b = self._action_of[action]
            for v, bs in self._decision.listed:     # offered now?
                if v == u:
                    if b in bs:
                        listed = bs
                    break
        before = sim.clock
        if listed is not None:
            sim._choose_listed(u, b, listed)
        else:
            if action != self._wait:
                try:
                    self.actions.binding(action, ())    # says why: out of range or not offered
                except InvalidAction:
                    if self.invalid_action == "raise":
                        raise
                invalid = True
            sim.choose_next(WAIT)
        self._decisions += 1
        self._run()
        if self.reward_fn is None and not self._done:
            reward = -(sim.clock - before) / self.time_scale
        else:
            reward = self._reward(before)
        if invalid:
            reward -= self.invalid_penalty
        truncated = not self._done and self._decisions >= self.max_decisions
        info = {"clock": sim.clock, "decisions": self._decisions, "enabled": len(self._offers())}
        if invalid:
            info["invalid_action"] = True
        return self._observation(), reward, self._done, truncated, info

    def action_masks(self) -> np.ndarray:
        """The actions enabled now; at the end of an episode only wait."""
        m = np.zeros(self._wait + 1, dtype=bool)
        m[self._wait] = True
        if self._done or self._decision is None:
            return m
        offers = self._offers()
        if len(offers) > 16:
            m[offers] = True
        else:               # a few: cheaper one by one than as an index array
            for k in offers:
                m[k] = True
        return m

    def _offers(self) -> list[int]:
        """The action numbers offered at this decision point, read from the bindings the
        engine keeps (no Binding objects); a transition's numbers are looked up again only
        when the engine listed its bindings again."""
        if self._offered is None:
            out = self._offered = []
            if not self._done and self._decision is not None:
                numbers, kept = self._numbers, self._kept
                for u, bs in self._decision.listed:
                    known = kept[u]
                    if known is None or known[0] is not bs:
                        ks = []
                        look = numbers[u]
                        for b in bs:
                            k = look.get(b)
                            if k is None:       # a value outside the given ones: say which
                                t = self.sim.compiled.transitions[u]
                                self.actions.index(Binding(t.name, dict(zip(t.variables, b))))
                            ks.append(k)
                        known = kept[u] = (bs, ks)   # holds the list: its id stays its own
                    out += known[1]
        return self._offered

    def render(self):
        if self.render_mode != "ansi" or self.sim is None:
            return None
        counts = ", ".join(f"{p}={self.sim.count(p)}" for p in self.places if self.sim.count(p))
        offered = [] if self._done else [repr(b) for b in self._decision.bindings]
        return f"clock {self.sim.clock:g}: {counts}\n  enabled: {', '.join(offered) or '-'}"

    # -- the engine between decisions ---------------------------------------------------------------
    def _run(self) -> None:
        """Fire uncontrollable bindings and move the clock until the next decision point."""
        sim = self.sim
        self._offered = None
        # the chosen binding (if any) is one firing more than the uncontrolled ones
        reason = sim._to_decision(self.max_firings + 1)
        if reason == "decision":
            self._decision = sim._paused
            return
        if reason == "interrupted":
            raise KeyboardInterrupt
        if reason == "max_firings":
            raise SimulationError(f"more than {self.max_firings:,} firings without a decision "
                                  f"point at clock {sim.clock:g}: the net runs on without control")
        self._done, self._decision = True, None

    def _reward(self, before: float) -> float:
        if self.reward_fn is not None:
            return float(self.reward_fn(self.sim.state(), before))
        now = end_time(self.sim.state()) if self._done else self.sim.clock
        return -(now - before) / self.time_scale

    def _observation(self) -> np.ndarray:
        """The token counts the engine keeps (only places touched since the last step are
        counted again, and only those written into the array) and the clock, as a new array."""
        obs, sim = self._obs, self.sim
        kept = sim.kept_counts()
        version = sim._version
        if version != self._counted:
            if version == self._counted + 1 and sim._recounted is not None:
                for i in sim._recounted:        # counted again since the last observation
                    obs[i] = kept[i]
            else:
                obs[:-1] = kept
            self._counted = version
        obs[-1] = sim.clock / self.time_scale
        return obs.copy()

    def _info(self) -> dict:
        return {"clock": self.sim.clock, "decisions": self._decisions,
                "enabled": len(self._offers())}

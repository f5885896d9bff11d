"""Tabular Q-learning, as one readable module: hyper-parameters, the table, the update rule,
a controller for any net, and the training loop.

Q-learning (Watkins 1989) keeps a value Q(s, a) per state and action and, after taking a in
s, receiving reward r and reaching s', moves it towards r + gamma * max_a' Q(s', a') (only the
actions enabled in s' count). Actions are chosen epsilon-greedily: with probability epsilon a
uniformly random enabled action, otherwise the best one (ties: the lowest action number).

The generic controller works on any net with controllable transitions:

* state: the token count of every place, capped at ``cap`` (so the table stays small);
* actions: ``control.actions.ActionSet``: every (controllable transition, binding), and wait;
* reward: minus the model time between two decision points (in ``time_scale`` units), so
  with gamma = 1 the return of a run is minus its makespan.

Defaults follow the thesis's agents (MATLAB ``rlQAgent``): learning rate 1 is replaced by a
visit-count rate 1/n (exact averages, which converge; rate 1 does not with noise), discount
1, epsilon 0.9 decaying by 1 % per episode.
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Callable, Hashable, Iterable

import numpy as np

from control.actions import ActionSet, end_time
from petri.engine import Decision, Simulator, StateView
from petri.errors import SimulationError

__all__ = ["HyperParameters", "QTable", "QLearningController", "train", "place_counts"]


# ---------------------------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HyperParameters:
    """Everything that shapes learning, in one place."""

    learning_rate: float | None = None   # alpha; None: 1 / (visits of (s, a)), an exact average
    discount: float = 1.0                # gamma: episodes are finite, makespan counts in full
    epsilon_start: float = 0.9           # exploration at the first episode (thesis: 0.9)
    epsilon_decay: float = 0.01          # epsilon <- epsilon * (1 - decay) after every episode
    epsilon_min: float = 0.0             # exploration never falls below this
    seed: int = 0                        # the exploration RNG's seed

    def epsilon(self, episode: int) -> float:
        return max(self.epsilon_min, self.epsilon_start * (1.0 - self.epsilon_decay) ** episode)


# ---------------------------------------------------------------------------------------------
# The table and the update rule
# ---------------------------------------------------------------------------------------------

class QTable:
    """Q(s, a) for hashable states and actions 0..n-1; rows appear when a state is first seen.

    ``act`` picks epsilon-greedily among the allowed actions; ``update`` is the Q-learning
    step. ``episode`` counts finished episodes and sets epsilon.
    """

    def __init__(self, n_actions: int, params: HyperParameters = HyperParameters(),
                 labels: list[str] | None = None):
        self.n_actions = n_actions
        self.params = params
        self.labels = list(labels) if labels is not None else [str(a) for a in range(n_actions)]
        self.q: dict[Hashable, np.ndarray] = {}
        self.visits: dict[Hashable, np.ndarray] = {}
        self.episode = 0
        self.rng = random.Random(params.seed)

    @property
    def epsilon(self) -> float:
        return self.params.epsilon(self.episode)

    def row(self, state) -> np.ndarray:
        r = self.q.get(state)
        if r is None:
            r = self.q[state] = np.zeros(self.n_actions)
            self.visits[state] = np.zeros(self.n_actions, dtype=np.int64)
        return r

    def greedy(self, state, allowed: Iterable[int]) -> int:
        """The best allowed action in ``state`` (ties: the lowest number)."""
        allowed = list(allowed)
        r = self.q.get(state)
        if r is None:
            return allowed[0]
        return max(allowed, key=lambda a: (r[a], -a))

    def act(self, state, allowed: Iterable[int], explore: bool = True) -> int:
        allowed = sorted(allowed)
        if not allowed:
            raise SimulationError("no allowed action")
        if explore and self.rng.random() < self.epsilon:
            return allowed[int(self.rng.random() * len(allowed))]
        return self.greedy(state, allowed)

    def value(self, state, allowed: Iterable[int]) -> float:
        """max_a Q(state, a) over the allowed actions (0 for a state never seen)."""
        r = self.q.get(state)
        allowed = list(allowed)
        if r is None or not allowed:
            return 0.0
        return float(max(r[a] for a in allowed))

    def update(self, state, action: int, reward: float, next_state=None,
               next_allowed: Iterable[int] = ()) -> None:
        """Q(s,a) += alpha * (r + gamma * max Q(s',.) - Q(s,a)); no s' at the end of a run."""
        row = self.row(state)
        self.visits[state][action] += 1
        alpha = self.params.learning_rate or 1.0 / self.visits[state][action]
        target = reward
        if next_state is not None:
            target += self.params.discount * self.value(next_state, next_allowed)
        row[action] += alpha * (target - row[action])

    def end_episode(self) -> None:
        self.episode += 1

    # -- plain data, for policy files --------------------------------------------------------------
    def to_data(self) -> dict:
        states = list(self.q)
        return {"labels": list(self.labels), "states": [_plain(s) for s in states],
                "q": [self.q[s].tolist() for s in states],
                "visits": [self.visits[s].tolist() for s in states],
                "episode": self.episode, "params": asdict(self.params),
                "rng": _rng_state(self.rng)}

    @classmethod
    def from_data(cls, data: dict) -> "QTable":
        params = HyperParameters(**data["params"])
        table = cls(len(data["labels"]), params, data["labels"])
        for s, q, n in zip(data["states"], data["q"], data["visits"]):
            key = _key(s)
            table.q[key] = np.asarray(q, dtype=float)
            table.visits[key] = np.asarray(n, dtype=np.int64)
        table.episode = int(data["episode"])
        if data.get("rng"):
            version, internal, gauss = data["rng"]
            table.rng.setstate((version, tuple(internal), gauss))
        return table


def _rng_state(rng: random.Random) -> list:
    """The exploration RNG's state as JSON-friendly data (so training resumes exactly)."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _plain(state):
    """A state as JSON-friendly lists."""
    if isinstance(state, tuple):
        return [_plain(x) for x in state]
    if isinstance(state, (np.integer,)):
        return int(state)
    if isinstance(state, (np.floating,)):
        return float(state)
    return state


def _key(data):
    """Back from lists to the tuples states are made of."""
    if isinstance(data, list):
        return tuple(_key(x) for x in data)
    return data


# ---------------------------------------------------------------------------------------------
# A controller for any net
# ---------------------------------------------------------------------------------------------

def place_counts(cap: int = 3) -> Callable[[StateView], tuple]:
    """State features: the token count of every place, capped at ``cap``."""
    def features(state: StateView) -> tuple:
        return tuple(min(cap, state.count(p)) for p in state.net.places)
    return features


class QLearningController:
    """Q-learning on any net: learns while it runs when ``learn`` is set, else plays greedily.

    ``features(state) -> hashable``: the state (default ``place_counts(3)``); ``reward(state,
    previous_clock) -> float``: the reward of the previous decision (default minus elapsed
    time / ``time_scale``). Call ``finish(state)`` when a run ends (``train`` does).
    ``allow_wait``: offer the wait action too. Off by default: with the time reward, waiting
    until the run stops would look good, since work never started costs no time.
    """

    name = "qlearning"

    def __init__(self, net, *, values=None, features=None, reward=None, time_scale: float = 1.0,
                 params: HyperParameters = HyperParameters(), table: QTable | None = None,
                 learn: bool = True, allow_wait: bool = False):
        self.actions = ActionSet(net, values)
        self.features = features or place_counts()
        self.reward = reward
        self.time_scale = time_scale
        self.table = table or QTable(len(self.actions), params, self.actions.labels)
        self.learn = learn
        self.allow_wait = allow_wait
        self._last = None          # (state, action, clock) of the previous decision

    def reset(self, state: StateView) -> None:
        self._last = None

    def _reward(self, state: StateView, before: float) -> float:
        if self.reward is not None:
            return float(self.reward(state, before))
        return -(state.clock - before) / self.time_scale

    def choose(self, decision: Decision):
        state = decision.state
        s = self.features(state)
        allowed = np.flatnonzero(self.actions.mask(decision.bindings, self.allow_wait)).tolist()
        if self.learn and self._last is not None:
            ls, la, lc = self._last
            self.table.update(ls, la, self._reward(state, lc), s, allowed)
        a = self.table.act(s, allowed, explore=self.learn)
        self._last = (s, a, state.clock)
        return self.actions.binding(a, decision.bindings)

    def finish(self, state: StateView) -> None:
        """The run is over: the last decision's reward (up to ``end_time``), nothing after it."""
        if self.learn and self._last is not None:
            ls, la, lc = self._last
            if self.reward is not None:
                r = float(self.reward(state, lc))
            else:
                r = -(end_time(state) - lc) / self.time_scale
            self.table.update(ls, la, r)
        self._last = None
        if self.learn:
            self.table.end_episode()

    def greedy_policy(self) -> dict:
        """State -> label of the best action tried there, for every state seen."""
        out = {}
        for s, q in self.table.q.items():
            tried = np.flatnonzero(self.table.visits[s])
            if len(tried):
                out[s] = self.actions.labels[self.table.greedy(s, tried.tolist())]
        return out


def train(net, controller: QLearningController, episodes: int, seed: int = 0,
          on_episode: Callable[[int, Simulator], object] | None = None) -> QLearningController:
    """Run ``episodes`` runs of ``net`` under ``controller``, learning; engine seeds
    ``seed``, ``seed + 1``, ... Returns the controller."""
    from petri.engine import compile_net
    compiled = compile_net(net, log=False)
    controller.learn = True
    for k in range(episodes):
        sim = Simulator(compiled, controller=controller, seed=seed + k, log=False)
        sim.run()
        controller.finish(sim.state())
        if on_episode is not None:
            on_episode(k, sim)
    return controller

"""The learned dispatching policy: one small network scores every offered binding.

The same network (features -> 2 hidden tanh layers -> one score) is applied to each
(operation x machine) binding the net offers; the choice is the highest score (greedy; of
scores within ``TIE`` of each other, the first binding by job, then machine) or a draw from
the softmax of the scores (sampling). Nothing depends on how many jobs or machines
there are, so one policy schedules any instance in one pass.

A policy is two files with one stem: ``NAME.npz`` (the weights, plain arrays, read with
``allow_pickle=False``) and ``NAME.json`` (format, version, the feature list, the layer sizes,
how it was trained). Inference needs numpy only.
"""
from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import numpy as np

from petri.errors import NetError
from petri.files import read_bytes, read_text, write_output

from .features import FEATURES, binding_features

__all__ = ["Policy", "PolicyController", "load_policy", "save_policy", "shipped_policy",
           "greedy_choice", "TIE", "FORMAT", "VERSION"]

FORMAT = "petri-scheduling-policy"
VERSION = 2
_ARRAYS = ("mean", "scale", "w1", "b1", "w2", "b2", "w3", "b3")


class Policy:
    """The network's weights and the input normalisation; ``scores(X)`` one score per row."""

    def __init__(self, arrays: dict, header: dict | None = None):
        self.arrays = {k: np.asarray(arrays[k], dtype=np.float64) for k in _ARRAYS}
        self.header = header or {}
        a = self.arrays
        self._mean, self._inv = a["mean"], 1.0 / a["scale"]
        self._w1, self._b1, self._w2, self._b2 = a["w1"], a["b1"], a["w2"], a["b2"]
        self._w3, self._b3 = a["w3"].reshape(-1), float(a["b3"].reshape(-1)[0])
        self._kernel_weights = None

    @classmethod
    def random(cls, hidden: int = 32, seed: int = 0) -> "Policy":
        rng = np.random.default_rng(seed)
        f = len(FEATURES)
        return cls({"mean": np.zeros(f), "scale": np.ones(f),
                    "w1": rng.normal(0, 1 / math.sqrt(f), (f, hidden)), "b1": np.zeros(hidden),
                    "w2": rng.normal(0, 1 / math.sqrt(hidden), (hidden, hidden)),
                    "b2": np.zeros(hidden), "w3": rng.normal(0, 0.01, (hidden, 1)),
                    "b3": np.zeros(1)})

    def kernel_weights(self) -> tuple:
        """The weights as the compiled pass takes them (``_passkernel.policy_pass``): mean,
        1 / scale, w1, b1, w2, b2, w3 as a vector, b3 as a number, and ``TIE``."""
        if self._kernel_weights is None:
            self._kernel_weights = (self._mean, self._inv, np.ascontiguousarray(self._w1),
                                    self._b1, np.ascontiguousarray(self._w2), self._b2,
                                    np.ascontiguousarray(self._w3), self._b3, TIE)
        return self._kernel_weights

    def scores(self, x: np.ndarray) -> np.ndarray:
        h = np.tanh(((x - self._mean) * self._inv) @ self._w1 + self._b1)
        h = np.tanh(h @ self._w2 + self._b2)
        return h @ self._w3 + self._b3


#: scores closer than this to the best count as equal to it: the first such binding (by job,
#: then machine) is taken, whatever order BLAS summed the scores in
TIE = 1e-12


def greedy_choice(scores) -> int:
    """The greedy choice: the first binding whose score is the best or within ``TIE`` of it."""
    return int(np.argmax(scores >= scores.max() - TIE))


class PolicyController:
    """Dispatch by the policy: greedy (``sample=False``) or sampling with a seeded RNG.

    With ``record=True`` every decision's feature matrix and choice are kept in ``trace``
    (what training learns from)."""

    def __init__(self, policy: Policy, sample: bool = False, seed: int = 0,
                 temperature: float = 1.0, record: bool = False):
        self.policy = policy
        self.sample = sample
        self.rng = np.random.default_rng(seed)
        self.temperature = temperature
        self.record = record
        self.trace: list[tuple[np.ndarray, int]] = []

    def reset(self, shop) -> None:
        self.trace = []

    def choose(self, shop, cand) -> int:
        if len(cand) == 1 and not self.record:
            return 0
        x = binding_features(shop, cand)
        s = self.policy.scores(x)
        if self.sample and len(cand) > 1:
            z = (s - s.max()) / self.temperature
            c = np.cumsum(np.exp(z))
            i = min(int(np.searchsorted(c, self.rng.random() * c[-1], side="right")), len(c) - 1)
        else:
            i = greedy_choice(s)
        if self.record:
            self.trace.append((x, i))
        return i


class Recording:
    """Wraps any dispatcher controller (a rule) and records features and choices."""

    def __init__(self, inner):
        self.inner = inner
        self.trace: list[tuple[np.ndarray, int]] = []

    def reset(self, shop) -> None:
        self.trace = []
        if hasattr(self.inner, "reset"):
            self.inner.reset(shop)

    def choose(self, shop, cand) -> int:
        i = self.inner.choose(shop, cand)
        self.trace.append((binding_features(shop, cand), i))
        return i


def _stem(path) -> Path:
    p = Path(path)
    return p.with_suffix("") if p.suffix.lower() in (".json", ".npz") else p


def save_policy(policy: Policy, path, meta: dict | None = None, force: bool = True) -> Path:
    """Write ``NAME.npz`` and ``NAME.json``; returns the JSON file's path."""
    import io
    stem = _stem(path)
    header = {"format": FORMAT, "version": VERSION, "features": list(FEATURES),
              "hidden": [int(policy.arrays["w1"].shape[1]), int(policy.arrays["w2"].shape[1])],
              "activation": "tanh", "weights": stem.name + ".npz", "meta": meta or {}}
    buf = io.BytesIO()
    np.savez(buf, **{k: policy.arrays[k] for k in _ARRAYS})
    write_output(stem.with_suffix(".npz"), buf.getvalue(), force=force)
    write_output(stem.with_suffix(".json"), json.dumps(header, indent=1) + "\n", force=force)
    return stem.with_suffix(".json")


def load_policy(path) -> Policy:
    """Read a policy (either file of the pair may be named); every problem is one NetError."""
    stem = _stem(path)
    jpath, npath = stem.with_suffix(".json"), stem.with_suffix(".npz")
    try:
        header = json.loads(read_text(jpath, what="policy file"))
    except json.JSONDecodeError as e:
        raise NetError(f"not JSON: {e.msg} at line {e.lineno}", file=str(jpath)) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise NetError(f"not a scheduling policy (expected format {FORMAT!r})", file=str(jpath))
    if header.get("version") != VERSION:
        raise NetError(f"policy format version {header.get('version')!r}, this version reads "
                       f"{VERSION} (its features changed): train a new policy with petri "
                       f"train-scheduler", file=str(jpath))
    if header.get("features") != FEATURES:
        raise NetError("the policy was trained on other features than this version computes",
                       file=str(jpath))
    import io
    try:
        with np.load(io.BytesIO(read_bytes(npath, what="policy weights file")),
                     allow_pickle=False) as z:
            arrays = {k: z[k] for k in _ARRAYS if k in z.files}
    except (ValueError, OSError) as e:
        raise NetError(f"not a weights archive: {e}", file=str(npath)) from None
    missing = [k for k in _ARRAYS if k not in arrays]
    if missing:
        raise NetError(f"missing array {missing[0]!r}", file=str(npath))
    f = len(FEATURES)
    h1, h2 = arrays["w1"].shape[-1], arrays["w2"].shape[-1]
    shapes = {"mean": (f,), "scale": (f,), "w1": (f, h1), "b1": (h1,), "w2": (h1, h2),
              "b2": (h2,), "w3": (h2, 1), "b3": (1,)}
    for k, shape in shapes.items():
        a = arrays[k]
        if a.shape != shape or a.dtype.kind != "f":
            raise NetError(f"array {k!r} has shape {a.shape} ({a.dtype}), expected {shape} of "
                           f"floats", file=str(npath))
        if not np.all(np.isfinite(a)):
            raise NetError(f"array {k!r} holds values that are not finite", file=str(npath))
    if np.any(arrays["scale"] <= 0):
        raise NetError("array 'scale' must be positive", file=str(npath))
    return Policy(arrays, header)


def shipped_policy() -> Policy:
    """The policy that ships with the package (``control/scheduling/policies/default``)."""
    folder = resources.files("control.scheduling") / "policies"
    with resources.as_file(folder / "default.json") as jpath:
        return load_policy(jpath)

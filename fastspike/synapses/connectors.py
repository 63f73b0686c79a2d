"""Connectors: rules that say which neurons of a source connect to which of a target.

Names follow PyNN and NEST: ``AllToAll``, ``OneToOne``, ``FixedProbability(p)``,
``FixedIndegree(k)``, ``FixedOutdegree(k)``, ``FixedTotalNumber(n)``, ``FromArrays(pre, post)``.
``allow_autapses`` (default True, as NEST) matters only when a population connects to
itself; ``allow_multapses`` (default True, as NEST) for the fixed-degree rules.
"""
from __future__ import annotations

import numpy as np

from .. import validation
from . import build

__all__ = ["Connector", "AllToAll", "OneToOne", "FixedProbability", "FixedIndegree", "FixedOutdegree",
           "FixedTotalNumber", "FromArrays"]


def _count(cls: str, name: str, value) -> int:
    return validation.integer(value, name, cls, low=0, high=np.iinfo(np.int64).max)


class Connector:
    """Base class. ``build(n_pre, n_post, same, key)`` returns ``(indptr, targets, order)``:
    CSR by presynaptic neuron (int64 row pointers, int32 targets) and, for connectors that
    take per-synapse arrays, the position in the user's order of each stored synapse."""

    per_synapse_shape: tuple | None = None  # shape of per-synapse weight/delay arrays, when allowed

    def __init__(self, allow_autapses: bool = True) -> None:
        self.allow_autapses = bool(allow_autapses)

    def check(self, n_pre: int, n_post: int, same: bool) -> None:
        """Raise before building when the rule cannot be satisfied."""

    def build(self, n_pre: int, n_post: int, same: bool, key: np.uint64):
        raise NotImplementedError

    def _no_self(self, same: bool) -> bool:
        return same and not self.allow_autapses


class AllToAll(Connector):
    """Every pre neuron to every post neuron; per-synapse arrays have shape (n_pre, n_post)."""

    def build(self, n_pre, n_post, same, key):
        grid = np.broadcast_to(np.arange(n_post, dtype=np.int32), (n_pre, n_post))
        if self._no_self(same):
            keep = ~np.eye(n_pre, n_post, dtype=bool)
            order = np.flatnonzero(keep.ravel())
            targets = grid[keep]
            indptr = np.arange(n_pre + 1, dtype=np.int64) * (n_post - 1)
        else:
            order = None
            targets = grid.ravel().copy()
            indptr = np.arange(n_pre + 1, dtype=np.int64) * n_post
        self.per_synapse_shape = (n_pre, n_post)
        return indptr, targets, order

    def __repr__(self) -> str:
        return f"AllToAll(allow_autapses={self.allow_autapses})"


class OneToOne(Connector):
    """Neuron i to neuron i (populations of equal size); per-synapse arrays have shape (n,)."""

    def check(self, n_pre, n_post, same):
        if n_pre != n_post:
            raise ValueError(f"OneToOne needs populations of equal size, got {n_pre} and {n_post}")

    def build(self, n_pre, n_post, same, key):
        self.per_synapse_shape = (n_pre,)
        return np.arange(n_pre + 1, dtype=np.int64), np.arange(n_pre, dtype=np.int32), None

    def __repr__(self) -> str:
        return "OneToOne()"


class FixedProbability(Connector):
    """Each pair connected independently with probability ``p`` (in [0, 1])."""

    def __init__(self, p: float, allow_autapses: bool = True) -> None:
        super().__init__(allow_autapses)
        self.p = validation.number(p, "p", "FixedProbability", low=0.0, high=1.0, unit="a probability")

    def build(self, n_pre, n_post, same, key):
        indptr, targets = build.fixed_probability(n_pre, n_post, self.p, key, self._no_self(same))
        return indptr, targets, None

    def __repr__(self) -> str:
        return f"FixedProbability({self.p})"


class FixedIndegree(Connector):
    """Each post neuron receives exactly ``k`` connections from uniformly drawn pre neurons."""

    def __init__(self, k: int, allow_autapses: bool = True, allow_multapses: bool = True) -> None:
        super().__init__(allow_autapses)
        self.k = _count("FixedIndegree", "k", k)
        self.allow_multapses = bool(allow_multapses)

    def check(self, n_pre, n_post, same):
        available = n_pre - (1 if self._no_self(same) else 0)
        if self.k > 0 and available <= 0:
            raise ValueError(f"FixedIndegree: k={self.k} but no source neuron is available")
        if not self.allow_multapses and self.k > available:
            raise ValueError(f"FixedIndegree: k={self.k} is larger than the {available} available source "
                             f"neurons and allow_multapses=False")

    def build(self, n_pre, n_post, same, key):
        indptr, targets = build.fixed_indegree(n_pre, n_post, self.k, key, self._no_self(same),
                                               self.allow_multapses)
        return indptr, targets, None

    def __repr__(self) -> str:
        return f"FixedIndegree({self.k})"


class FixedOutdegree(Connector):
    """Each pre neuron makes exactly ``k`` connections to uniformly drawn post neurons."""

    def __init__(self, k: int, allow_autapses: bool = True, allow_multapses: bool = True) -> None:
        super().__init__(allow_autapses)
        self.k = _count("FixedOutdegree", "k", k)
        self.allow_multapses = bool(allow_multapses)

    def check(self, n_pre, n_post, same):
        available = n_post - (1 if self._no_self(same) else 0)
        if self.k > 0 and available <= 0:
            raise ValueError(f"FixedOutdegree: k={self.k} but no target neuron is available")
        if not self.allow_multapses and self.k > available:
            raise ValueError(f"FixedOutdegree: k={self.k} is larger than the {available} available target "
                             f"neurons and allow_multapses=False")

    def build(self, n_pre, n_post, same, key):
        indptr, targets = build.fixed_outdegree(n_pre, n_post, self.k, key, self._no_self(same),
                                                self.allow_multapses)
        return indptr, targets, None

    def __repr__(self) -> str:
        return f"FixedOutdegree({self.k})"


class FixedTotalNumber(Connector):
    """Exactly ``n`` synapses between uniformly drawn pairs (multapses allowed), as NEST's
    ``fixed_total_number``."""

    def __init__(self, n: int, allow_autapses: bool = True) -> None:
        super().__init__(allow_autapses)
        self.n = _count("FixedTotalNumber", "n", n)

    def check(self, n_pre, n_post, same):
        if self.n > 0 and self._no_self(same) and n_post < 2:
            raise ValueError("FixedTotalNumber: no pair is available without autapses")

    def build(self, n_pre, n_post, same, key):
        indptr, targets = build.fixed_total_number(n_pre, n_post, self.n, key, self._no_self(same))
        return indptr, targets, None

    def __repr__(self) -> str:
        return f"FixedTotalNumber({self.n})"


class FromArrays(Connector):
    """Explicit synapses ``pre[s] -> post[s]``; per-synapse arrays follow the same order."""

    def __init__(self, pre, post) -> None:
        super().__init__(True)
        pre_a, post_a = np.asarray(pre), np.asarray(post)
        for name, a in (("pre", pre_a), ("post", post_a)):
            if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
                raise ValueError(f"FromArrays: {name} must be a 1-D array of integer indices, got {a.dtype} "
                                 f"with shape {a.shape}")
        # indices beyond int64 would wrap (np.uint64(2**63) to a negative index): refused first
        pre_a = validation.integer_array(pre_a, "pre", "FromArrays", low=0, high=np.iinfo(np.int32).max)
        post_a = validation.integer_array(post_a, "post", "FromArrays", low=0, high=np.iinfo(np.int32).max)
        if pre_a.shape != post_a.shape:
            raise ValueError(f"FromArrays: pre and post must have the same length, got {pre_a.size} and "
                             f"{post_a.size}")
        self.pre, self.post = pre_a.astype(np.int64), post_a.astype(np.int64)
        self.per_synapse_shape = (pre_a.size,)

    def check(self, n_pre, n_post, same):
        for name, a, n in (("pre", self.pre, n_pre), ("post", self.post, n_post)):
            if a.size and (a.min() < 0 or a.max() >= n):
                bad = a.min() if a.min() < 0 else a.max()
                raise ValueError(f"FromArrays: {name} index {bad} is out of range for a population of {n}")

    def build(self, n_pre, n_post, same, key):
        return build.from_arrays(n_pre, self.pre, self.post)

    def __repr__(self) -> str:
        return f"FromArrays({self.pre.size} synapses)"

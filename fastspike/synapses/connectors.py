"""Connectors: rules that say which neurons of a source connect to which of a target.

Names follow PyNN and NEST: ``AllToAll``, ``OneToOne``, ``FixedProbability(p)``,
``FixedIndegree(k)``, ``FixedOutdegree(k)``, ``FixedTotalNumber(n)``, ``FromArrays(pre, post)``.
``allow_autapses`` (default True, as NEST) matters only when a population connects to
itself; ``allow_multapses`` (default True, as NEST) for the fixed-degree rules.

Every connector builds the synapses onto any range of targets (:meth:`Connector.build`):
a thread or a process builds only the synapses onto its own neurons, and the ranges of
any partition of the targets, joined row by row, give exactly the synapses of the whole
(same synapses, weights, delays and order). Connectivity is drawn from counters keyed by
what is drawn (each connector's docstring says how), and the weight and delay of a
synapse from its *identity*: source j, target i, and its rank r among the multapses of
the pair (j, i) (0 for a single synapse; multapses ranked in draw order, or in the user's
order for FromArrays), never from where the synapse is stored (see
:mod:`fastspike.synapses.build`).
"""
from __future__ import annotations

import numpy as np

from .. import validation
from . import build
from .build import Draws, Synapses

__all__ = ["Connector", "AllToAll", "OneToOne", "FixedProbability", "FixedIndegree", "FixedOutdegree",
           "FixedTotalNumber", "FromArrays"]


def _count(cls: str, name: str, value) -> int:
    return validation.integer(value, name, cls, low=0, high=np.iinfo(np.int64).max)


def _index(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"build: {name}={value!r} must be an integer")
    return int(value)


class Connector:
    """Base class of the connectors.

    :meth:`build` makes the synapses onto a range of targets as CSR by presynaptic neuron
    over all presynaptic neurons, rows in canonical order (targets ascending, multapses in
    draw order). Subclasses implement ``_build``.
    """

    per_synapse_shape: tuple | None = None  # shape of per-synapse weight/delay arrays, when allowed

    def __init__(self, allow_autapses: bool = True) -> None:
        self.allow_autapses = bool(allow_autapses)

    def check(self, n_pre: int, n_post: int, same: bool) -> None:
        """Raise before building when the rule cannot be satisfied."""

    def array_shape(self, n_pre: int, n_post: int) -> tuple | None:
        """Shape of the per-synapse weight and delay arrays this connector takes (in the
        user's order), or None when it takes only scalars and distributions."""
        return self.per_synapse_shape

    def build(self, n_pre: int, n_post: int, same: bool, key: np.uint64, lo: int = 0, hi: int | None = None,
              weight: Draws | None = None, delay: Draws | None = None) -> Synapses:
        """The synapses onto the targets ``lo <= i < hi``.

        Parameters
        ----------
        n_pre, n_post : int
            Sizes of the source and target populations.
        same : bool
            Whether source and target are one population (autapses are then possible).
        key : numpy.uint64
            The projection's random stream (connectivity).
        lo, hi : int
            The range of targets to build (default: all, ``hi = n_post``); ``lo == hi`` is
            an empty range.
        weight, delay : Draws or None
            Distributions to draw per synapse from its identity (delays in steps of
            ``delay.dt``, at least one; uint8 when every delay is below 256 steps, else
            uint16).

        Returns
        -------
        Synapses
            ``indptr`` (int64, ``n_pre + 1``), ``targets`` (int32, global indices in
            ``[lo, hi)``, ascending within a row, multapses in draw order), ``order`` (user
            positions, for connectors taking per-synapse arrays), drawn ``weights`` and
            ``delays``.

        Raises
        ------
        ValueError
            A range outside ``0 <= lo <= hi <= n_post``; a drawn delay beyond 65535 steps.
        """
        hi = n_post if hi is None else _index("hi", hi)
        lo = _index("lo", lo)
        if not 0 <= lo <= hi <= n_post:
            raise ValueError(f"build: the target range lo={lo}, hi={hi} is not allowed; it needs "
                             f"0 <= lo <= hi <= n_post = {n_post}")
        if delay is not None and (delay.dt is None or not delay.dt > 0):
            raise ValueError(f"build: delay draws need the step dt > 0 (ms), got {delay.dt!r}")
        indptr, targets, order = self._build(int(n_pre), int(n_post), bool(same), np.uint64(key), lo, hi)
        weights, delays, largest = build.draw_values(indptr, targets, n_post, weight, delay)
        return Synapses(indptr, targets, order, weights,
                        build.finish_delays(delays, largest) if delays is not None else None)

    def _build(self, n_pre: int, n_post: int, same: bool, key: np.uint64, lo: int, hi: int):
        """``(indptr, targets, order)`` of the synapses onto targets ``lo`` to ``hi - 1``, rows in
        canonical order; ``order``: the user position of each synapse (None when the
        connector takes no per-synapse arrays, or when it is the synapse's own position)."""
        raise NotImplementedError

    def _no_self(self, same: bool) -> bool:
        return same and not self.allow_autapses


class AllToAll(Connector):
    """Every pre neuron to every post neuron; per-synapse arrays have shape (n_pre, n_post)
    (without autapses, their diagonal is not used). Nothing is drawn."""

    def array_shape(self, n_pre, n_post):
        return (n_pre, n_post)

    def _build(self, n_pre, n_post, same, key, lo, hi):
        self.per_synapse_shape = (n_pre, n_post)
        no_self = self._no_self(same)
        with_order = no_self or lo != 0 or hi != n_post  # otherwise each synapse's own position
        indptr, targets, order = build.all_to_all(n_pre, n_post, lo, hi, no_self, with_order)
        return indptr, targets, order if with_order else None

    def __repr__(self) -> str:
        return f"AllToAll(allow_autapses={self.allow_autapses})"


class OneToOne(Connector):
    """Neuron i to neuron i (populations of equal size); per-synapse arrays have shape (n,).
    Nothing is drawn."""

    def check(self, n_pre, n_post, same):
        if n_pre != n_post:
            raise ValueError(f"OneToOne needs populations of equal size, got {n_pre} and {n_post}")

    def array_shape(self, n_pre, n_post):
        return (n_pre,)

    def _build(self, n_pre, n_post, same, key, lo, hi):
        self.per_synapse_shape = (n_pre,)
        rows = np.arange(n_pre + 1, dtype=np.int64)
        indptr = np.clip(rows, lo, hi) - lo  # one synapse in each row j of the range
        targets = np.arange(lo, hi, dtype=np.int32)
        order = None if lo == 0 and hi == n_post else np.arange(lo, hi, dtype=np.int64)
        return indptr, targets, order

    def __repr__(self) -> str:
        return "OneToOne()"


class FixedProbability(Connector):
    """Each pair connected independently with probability ``p`` (in [0, 1]).

    Drawn per target: the sources of target i are found by geometric skips from counters
    ``i * 2**32 + m`` (one uniform per synapse), so a range of targets costs O(its
    synapses)."""

    def __init__(self, p: float, allow_autapses: bool = True) -> None:
        super().__init__(allow_autapses)
        self.p = validation.number(p, "p", "FixedProbability", low=0.0, high=1.0, unit="a probability")

    def _build(self, n_pre, n_post, same, key, lo, hi):
        indptr, targets = build.fixed_probability(n_pre, lo, hi, self.p, key, self._no_self(same))
        return indptr, targets, None

    def __repr__(self) -> str:
        return f"FixedProbability({self.p})"


class FixedIndegree(Connector):
    """Each post neuron receives exactly ``k`` connections from uniformly drawn pre neurons.

    Drawn per target: the k sources of target i from counters ``i * 2**32 + m`` (redrawn
    when a source repeats without multapses); a range of targets costs O(its synapses).
    Multapses are ranked in draw order."""

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

    def _build(self, n_pre, n_post, same, key, lo, hi):
        indptr, targets = build.fixed_indegree(n_pre, lo, hi, self.k, key, self._no_self(same),
                                               self.allow_multapses)
        return indptr, targets, None

    def __repr__(self) -> str:
        return f"FixedIndegree({self.k})"


class FixedOutdegree(Connector):
    """Each pre neuron makes exactly ``k`` connections to uniformly drawn post neurons.

    Drawn per source: the k targets of source j from counters ``j * 2**32 + m``; multapses
    ranked in draw order. A range of targets keeps its own synapses but walks every
    source's draws: O(n_pre k) per range, as NEST does for this rule."""

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

    def _build(self, n_pre, n_post, same, key, lo, hi):
        indptr, targets = build.fixed_outdegree(n_pre, n_post, lo, hi, self.k, key, self._no_self(same),
                                                self.allow_multapses)
        return indptr, targets, None

    def __repr__(self) -> str:
        return f"FixedOutdegree({self.k})"


class FixedTotalNumber(Connector):
    """Exactly ``n`` synapses between uniformly drawn pairs (multapses allowed), as NEST's
    ``fixed_total_number``.

    Drawn per target: the number each target receives is a multinomial split of ``n``
    over the targets, made by a binary tree of conditional binomials over target
    intervals, each keyed by its node (:func:`.build.split_total`), so a range of targets
    finds its counts in O(log n_post + range); then each source from counter
    ``i * 2**32 + c``, so a range costs O(its synapses). Multapses ranked in draw order."""

    def __init__(self, n: int, allow_autapses: bool = True) -> None:
        super().__init__(allow_autapses)
        self.n = _count("FixedTotalNumber", "n", n)

    def check(self, n_pre, n_post, same):
        if self.n > 0 and self._no_self(same) and n_post < 2:
            raise ValueError("FixedTotalNumber: no pair is available without autapses")
        if self.n > 0 and n_pre == 0:
            raise ValueError(f"FixedTotalNumber: n={self.n} but the source population is empty")

    def _build(self, n_pre, n_post, same, key, lo, hi):
        indptr, targets = build.fixed_total_number(n_pre, n_post, lo, hi, self.n, key, self._no_self(same))
        return indptr, targets, None

    def __repr__(self) -> str:
        return f"FixedTotalNumber({self.n})"


class FromArrays(Connector):
    """Explicit synapses ``pre[s] -> post[s]``; per-synapse arrays follow the same order.

    Rows are stored sorted by target, multapses in the arrays' order (which also ranks
    them for drawn weights and delays); a range of targets scans the arrays once and keeps
    its own synapses."""

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

    def _build(self, n_pre, n_post, same, key, lo, hi):
        return build.from_arrays(n_pre, self.pre, self.post, lo, hi)

    def __repr__(self) -> str:
        return f"FromArrays({self.pre.size} synapses)"

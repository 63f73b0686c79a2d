"""A projection: the synapses from one population to another, stored compactly.

Storage is CSR by presynaptic neuron: ``indptr`` (int64, n_pre + 1), the targets (uint16
onto populations of at most 65536 neurons, else int32: :func:`narrowest_targets`) and
``weights`` (float32, one per synapse, or a single value when all are equal): 6-8 bytes
per synapse, 2-4 with a uniform weight. Delays are in steps. A uniform delay is stored once.
Otherwise each row is grouped by delay and ``delay_offsets`` (n_pre x (number of delay
values + 1), uint8/uint16 for rows shorter than 256/65536) bounds each group, with no
per-synapse delay stored at all (``delays`` expands them on request), unless the offsets
would take more memory than one delay per synapse (many delay values, few synapses per
row): then the delays are stored per synapse (uint8, or uint16 beyond 255 steps). Within a
row, or a delay group, targets ascend (multapses in draw order): the storage does not depend
on who runs it, and the part of a row onto a thread's (or process's) range of neurons is one
contiguous run, whose offsets the runtime computes for the thread count in use
(:mod:`fastspike.runtime.layout`).

So a synapse costs at most 4 + 4 + 2 = 10 bytes (8 onto at most 65536 neurons), plus 8
bytes per presynaptic neuron.

Delivery (see ``fastspike.ir.schedule``): a uniform delay D is delivered when the
spikes arrive, from the presynaptic spike history of D steps ago into the target channel's
input of the step (``delivery == "deferred"``); several delays are delivered once per
spike, the step after it, into the rows of a ring buffer of the target channel
(``delivery == "ring"``, NEST's scheme), one row per delay group.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from .. import validation
from ..runtime import aligned
from . import build
from .connectors import Connector
from .distributions import Distribution
from .postsynaptic import PostsynapticModel
from .weight_update import NEVER, Static, WeightUpdateModel

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Population

__all__ = ["Projection"]

MAX_DELAY_STEPS = build.MAX_DELAY_STEPS

ROW_TABLE_MIN_SHIFT = 4
"""The smallest block of synapses (2**4) that :func:`row_table` tabulates: at most 0.5 byte
per synapse."""


def row_table(indptr: np.ndarray) -> tuple[np.ndarray, int] | None:
    """The row (presynaptic neuron) of every ``2**shift``-th synapse, for the largest shift
    (at least :data:`ROW_TABLE_MIN_SHIFT`) at which the synapses of every block of ``2**shift``
    lie in one row or two consecutive ones; None when rows are too short for any.

    A column walk then finds each synapse's row as its block's row or the next, one compare
    (:func:`fastspike.ir.schedule.row_in_block`), independently of the synapse before it: the
    search from the previous synapse's row (:func:`fastspike.ir.schedule.gallop_row`) branches
    on how far the rows moved, which a column with about one synapse per presynaptic neuron
    makes unpredictable (B8 at scale 1: 7.5 against 1.5-1.7 ns per synapse)."""
    n = int(indptr[-1])
    if n == 0:
        return None
    lengths = np.diff(indptr)
    for shift in range(max(int(lengths.max()).bit_length() - 1, ROW_TABLE_MIN_SHIFT), ROW_TABLE_MIN_SHIFT - 1, -1):
        starts = np.arange(0, n, 1 << shift, dtype=np.int64)
        first = np.searchsorted(indptr, starts, side="right") - 1
        last = np.searchsorted(indptr, np.minimum(starts + ((1 << shift) - 1), n - 1), side="right") - 1
        if np.all(last - first <= 1):
            return first.astype(np.int64), shift
    return None


TARGETS_UINT16_MAX_POST = 1 << 16
"""The largest postsynaptic population whose targets are stored as uint16."""


def narrowest_targets(targets: np.ndarray, n_post: int) -> np.ndarray:
    """``targets`` (post neuron indices ``< n_post``) in the narrowest integer type that holds
    them: uint16 for ``n_post`` <= :data:`TARGETS_UINT16_MAX_POST`, else int32. Delivery
    streams the targets and weights of every synapse a spike reaches: the full-scale
    microcircuit (no population above 22 000 neurons) stores 6.2 bytes per synapse instead
    of 8.2 and runs in 0.94x (float32) / 0.92x (float64) the time of int32 targets (fresh
    processes, medians of 15 runs each)."""
    kind = np.uint16 if n_post <= TARGETS_UINT16_MAX_POST else np.int32
    return targets if targets.dtype == kind else np.ascontiguousarray(targets, dtype=kind)


class Projection:
    """Synapses from ``pre`` to ``post`` (create with :meth:`fastspike.Network.connect`).

    Attributes
    ----------
    pre, post : Population
    synapse : PostsynapticModel
        The channel of ``post`` the spikes arrive in.
    weight_update : WeightUpdateModel
        What a synapse transmits when its presynaptic spike arrives (``fs.Static()``).
    indptr : ndarray of int64, shape (pre.n + 1,)
        Synapses of pre neuron j are ``indptr[j]:indptr[j + 1]``.
    targets : ndarray of int32
        Post neuron of each synapse (a copy; stored as uint16 when ``post.n`` <= 65536, see
        :func:`narrowest_targets`).
    weights : ndarray of float32, shape (n_synapses,)
        The current weight of each synapse (a copy; settable between runs), in the unit of
        the post model's input current (ExpCurrent) or mV (Delta). Stored once when uniform
        (static projections).
    delays : ndarray of uint8/uint16, shape (n_synapses,) or (1,)
        Delay of each synapse in steps (>= 1), a single value when uniform. Within a row,
        synapses are grouped by delay (when ``delay_offsets`` is stored). Expanded from
        ``delay_offsets`` on each access.
    delay_offsets : ndarray (pre.n, dmax - dmin + 2) or None
        ``delay_offsets[j, d - dmin]``: start of the synapses of delay d in row j, relative to
        the row start (None when all delays are equal, or stored per synapse).
    min_delay, max_delay : int
        Smallest and largest delay in steps.
    delivery : {"deferred", "ring"}
        How the engine delivers spikes: ``"deferred"`` (uniform delay: spikes are read from
        the presynaptic spike history when they arrive) or ``"ring"`` (several delays: each
        spike is added to a ring buffer of the target channel once, the step after it).
    start_step : int
        The network's step when the projection was made: only spikes emitted from then on
        travel through it.
    targets_range : (int, int)
        The targets ``lo <= i < hi`` whose synapses this process holds (all but in a
        distributed run, where each process builds the synapses onto its own neurons: the
        arrays above then hold those only, with global indices).
    total_synapses : int
        The synapses of every process.
    build_time : float, s
    """

    def __init__(self, pre: "Population", post: "Population", connector: Connector, synapse: PostsynapticModel,
                 weight, delay, key: np.uint64, index: int, comm=None) -> None:
        net = pre.network
        self.pre, self.post, self.connector, self.synapse, self.index = pre, post, connector, synapse, index
        self.weight_update: WeightUpdateModel = Static()
        t0 = time.perf_counter()
        same = pre is post
        connector.check(pre.n, post.n, same)
        shape = connector.array_shape(pre.n, post.n)
        weight = _values("weight", weight, shape, connector, key, None)  # checked before building
        delay = _values("delay", delay, shape, connector, key, net.dt)
        lo, hi = 0, post.n  # a distributed run: the synapses onto this process's own neurons
        if comm is not None and comm.size > 1:
            from ..blocks import process_range

            lo, hi = process_range(post.n, comm.size, comm.rank)
        self.targets_range = (lo, hi)
        built = connector.build(pre.n, post.n, same, key, lo, hi,
                                weight=weight if isinstance(weight, build.Draws) else None,
                                delay=delay if isinstance(delay, build.Draws) else None)
        self.indptr, self._targets = built.indptr, built.targets
        self._weights = _stored(weight, built.weights, built.order)
        delays = _stored(delay, built.delays, built.order)
        self.delay_offsets = None
        self.start_step = 0
        self.min_delay = int(delays.min()) if delays.size else 1
        self.max_delay = int(delays.max()) if delays.size else 1
        uniform = delays.size <= 1
        if comm is not None and comm.size > 1:  # the weights and delays of every process's synapses decide
            n_local = int(self._targets.size)
            self._weights = _shared_or_expanded(self._weights, n_local, comm)
            some = n_local > 0 and delays.size > 0
            low = comm.allreduce(self.min_delay if some else MAX_DELAY_STEPS + 1, "min")
            high = comm.allreduce(self.max_delay if some else 0, "max")
            several = comm.allreduce(not uniform, "or")
            if high >= low:  # some process has synapses
                self.min_delay, self.max_delay = low, high
            uniform = not several and low >= high
            if not uniform and delays.size == 1 and n_local > 1:  # one value here, several elsewhere
                delays = np.full(n_local, delays[0], delays.dtype)
            if uniform and delays.size == 0:
                delays = np.array([self.min_delay], np.uint8 if self.min_delay <= 255 else np.uint16)
        self._delays = delays[:1].copy() if delays.size else np.ones(1, np.uint8)
        self.delivery = "deferred" if uniform else "ring"
        longest = int(np.diff(self.indptr).max()) if pre.n else 0
        # (a collective in a distributed run: every process has the same ``uniform``)
        grouped = not uniform and _groups_take_less(self.indptr, self.n_synapses, self.min_delay, self.max_delay, comm)
        if not uniform and delays.size == 0:
            self._delays = np.ones(0, np.uint8)
        elif not uniform:  # rows grouped by delay, for delivery one delay at a time (one synapse: a process's)
            dmin, dmax = self.min_delay, self.max_delay
            kind = _offset_kind(longest)
            if grouped:
                offsets = np.zeros((pre.n, 1, dmax - dmin + 2), kind)
                # a stable counting sort by delay: within a group, targets still ascend
                build.group_rows(self.indptr, self._targets, self._weights, delays, dmin, dmax - dmin + 1, post.n + 1,
                                 offsets, False)
                self.delay_offsets = offsets.reshape(pre.n, -1)
            else:
                self._delays = delays
        del delays
        self._targets = narrowest_targets(self._targets, post.n)
        self.total_synapses = self.n_synapses  # of every process (a distributed run holds its own only)
        if comm is not None and comm.size > 1:
            self.total_synapses = comm.allreduce(self.n_synapses, "sum")
        self.build_time = time.perf_counter() - t0

    def make_plastic(self, model: WeightUpdateModel) -> None:
        """Give the projection a plastic weight-update model's storage: a float32 weight per
        synapse (changed as it runs), a delay per synapse (uint8/uint16; rows sorted by target
        again when they were grouped by delay), the column index (``column_index``, int32 per
        synapse: the synapses onto each neuron, by delay, each delay's in ascending synapse
        order; ``column_ptr``, int64 (postsynaptic neuron, delay value - min_delay + 1): where
        each neuron's synapses of each delay start, the last column where they end; with long
        enough rows ``row_table``/``row_shift``: :func:`row_table`) and the model's variables
        per presynaptic neuron and, once per delay value, per postsynaptic neuron, with the
        step of each neuron's last event (:data:`~fastspike.synapses.weight_update.NEVER`
        before the first). Delivery uses the
        ring scheme (the weight of a spike is computed at its presynaptic time, NEST's order)."""
        n = self.n_synapses
        if n >= np.iinfo(np.int32).max:
            raise ValueError(f"connect: a plastic projection holds at most {np.iinfo(np.int32).max - 1} synapses "
                             f"(its column index is int32), got {n}")
        delays = np.ascontiguousarray(np.broadcast_to(self.delays, (n,)))
        weights = np.broadcast_to(self._weights, (n,)).astype(np.float32)
        targets = self._targets
        if self.delay_offsets is not None:  # rows grouped by delay: back to ascending targets per row
            rows = np.repeat(np.arange(self.pre.n, dtype=np.int64), np.diff(self.indptr))
            order = np.lexsort((targets, rows))
            targets, weights, delays = targets[order], weights[order], delays[order]
        self._targets = narrowest_targets(targets, self.post.n)
        self._weights = np.ascontiguousarray(weights)
        self._delays = delays.astype(np.uint8 if self.max_delay <= 255 else np.uint16)
        self.delay_offsets = None
        self.delivery = "ring"
        self.column_index = self.column_ptr = self.row_table = None
        self.row_shift = 0
        delay_values = self.max_delay - self.min_delay + 1
        if model.on_post is not None:  # the postsynaptic spikes walk the synapses onto their neuron
            group = self._targets.astype(np.int64) * delay_values + (self._delays.astype(np.int64) - self.min_delay)
            self.column_index = np.argsort(group, kind="stable").astype(np.int32)  # stable: ids ascend in a group
            starts = np.zeros(self.post.n * delay_values + 1, np.int64)
            np.cumsum(np.bincount(group, minlength=self.post.n * delay_values), out=starts[1:])
            self.column_ptr = np.empty((self.post.n, delay_values + 1), np.int64)
            self.column_ptr[:, :delay_values] = starts[:-1].reshape(self.post.n, delay_values)
            self.column_ptr[:, delay_values] = starts[delay_values::delay_values]
            table = row_table(self.indptr)
            if table is not None:
                self.row_table, self.row_shift = table
        self.pre_state = {v.name: np.full(self.pre.n, model.initial(v)) for v in model.pre_variables}
        self.post_state = {v.name: aligned.full((delay_values, self.post.n), model.initial(v), np.float64)
                           for v in model.post_variables}  # threads write their ranges of the rows
        self.pre_last = np.full(self.pre.n, model.pre_first_step, np.int64)
        self.post_last = aligned.full((delay_values, self.post.n), NEVER, np.int64)

    @property
    def weights(self) -> np.ndarray:
        """The current weight of every synapse (float32, a copy), in the order of
        :meth:`sources` and ``targets``: a plastic projection's as its last run left them.
        Set it between runs to a number or one value per synapse (checked as at ``connect``)."""
        return np.array(np.broadcast_to(self._weights, (self.n_synapses,)), dtype=np.float32)

    @weights.setter
    def weights(self, value) -> None:
        what = f"Projection {self.pre.name!r} -> {self.post.name!r}: weights"
        try:
            arr = validation.real_array(value, "weights", what, check=False)
        except validation.NotANumber as e:
            raise TypeError(f"{what} must be a number or an array of {self.n_synapses} numbers; got {e.reason}") \
                from None
        if arr.ndim > 1 or (arr.ndim == 1 and arr.size != self.n_synapses):
            raise ValueError(f"{what} must be a number or an array of shape ({self.n_synapses},) (one per synapse, in "
                             f"the order of proj.sources() and proj.targets), got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{what} must be finite numbers")
        self.synapse.check_weights(arr, what)
        self.weight_update.check_weights(arr, what)
        values = np.broadcast_to(arr, (self.n_synapses,)).astype(np.float32)
        if self.plastic or self._weights.size == self.n_synapses > 1:
            self._weights[:] = values  # in place: the compiled step keeps reading this array
        else:  # a static projection's storage: one value when uniform
            self._weights = values[:1].copy() if values.size and build.all_equal(values) else values
            self.pre.network._changed()

    @property
    def targets(self) -> np.ndarray:
        """Post neuron of each synapse (int32; a copy when stored narrower), in the order of
        :meth:`sources` and :attr:`weights`."""
        return self._targets.astype(np.int32)

    @property
    def plastic(self) -> bool:
        """Whether the projection's weight-update model changes its weights."""
        return self.weight_update.plastic

    @property
    def n_synapses(self) -> int:
        return int(self._targets.size)

    @property
    def delays(self) -> np.ndarray:
        if self.delay_offsets is None:  # uniform, or stored per synapse
            return self._delays
        dtype = np.uint8 if self.max_delay <= 255 else np.uint16
        counts = np.diff(self.delay_offsets.astype(np.int64), axis=-1)  # (n_pre, delay values)
        values = np.arange(self.min_delay, self.max_delay + 1, dtype=dtype)
        return np.repeat(np.tile(values, counts.size // values.size), counts.reshape(-1))

    @property
    def nbytes(self) -> int:
        """Memory of the stored connectivity (bytes)."""
        delays = self._delays.nbytes if self.delay_offsets is None else self.delay_offsets.nbytes
        column = self.column_index.nbytes + self.column_ptr.nbytes if self.plastic and self.column_index is not None \
            else 0
        if self.plastic and self.row_table is not None:
            column += self.row_table.nbytes
        return int(self.indptr.nbytes + self._targets.nbytes + self._weights.nbytes + delays + column)

    def sources(self) -> np.ndarray:
        """Pre neuron of each synapse (int32), expanded from ``indptr``."""
        return np.repeat(np.arange(self.pre.n, dtype=np.int32), np.diff(self.indptr))

    def synapse_weights(self) -> np.ndarray:
        """Weight of every synapse (expanded when uniform)."""
        return np.broadcast_to(self._weights, (self.n_synapses,))

    def synapse_delays(self) -> np.ndarray:
        """Delay of every synapse in ms (expanded when uniform)."""
        return np.broadcast_to(self.delays.astype(np.float64) * self.pre.network.dt, (self.n_synapses,))

    def __repr__(self) -> str:
        return (f"Projection({self.pre.name!r} -> {self.post.name!r}, {self.connector!r}, {self.synapse!r}, "
                f"{self.n_synapses} synapses)")


def _offset_kind(longest: int) -> type:
    """The integer type of delay-group offsets within rows of at most ``longest`` synapses."""
    return np.uint8 if longest < 1 << 8 else np.uint16 if longest < 1 << 16 else np.int64


def _groups_take_less(indptr: np.ndarray, n_synapses: int, min_delay: int, max_delay: int, comm) -> bool:
    """Whether rows grouped by delay (a table of offsets per presynaptic neuron and delay
    value) take no more memory than a delay per synapse, judged for the whole projection:
    in a distributed run from every process's synapses (the rows' lengths summed over the
    processes), so that every process count stores, and so delivers, alike (a delay per
    synapse goes to a ring, grouped rows may be delivered at arrival: the sums onto a channel
    would come in another order)."""
    n_pre = indptr.size - 1
    lengths = np.diff(indptr)
    if comm is not None and comm.size > 1:
        lengths = comm.allreduce_sum(lengths.astype(np.int64))
        n_synapses = comm.allreduce(int(n_synapses), "sum")
    longest = int(lengths.max()) if n_pre else 0
    per_synapse = np.dtype(np.uint8 if max_delay <= 255 else np.uint16).itemsize
    table = n_pre * (max_delay - min_delay + 2) * np.dtype(_offset_kind(longest)).itemsize
    return table <= n_synapses * per_synapse


def _values(name: str, value, shape: tuple | None, connector: Connector, key, dt):
    """Weights (``dt`` None: float32) or delays (``dt`` given: steps) as given, checked before
    anything is built: a distribution becomes :class:`.build.Draws` (drawn by the connector,
    per synapse, from each synapse's identity), a scalar an array of one value, and a
    per-synapse array is checked against the connector's ``shape`` and kept in the user's
    order (flat)."""
    sub_key = np.uint64((int(key) ^ (0x5EED if dt is None else 0xDE1A)) & ((1 << 64) - 1))
    if isinstance(value, Distribution):
        if dt is not None and value.args[3 if value.code == 2 else 1] < 0:
            raise ValueError(f"connect: delay distribution {value!r} has only negative values")
        return build.Draws(value, sub_key, dt)
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"connect: {name}={value!r} must be a number, an array or a distribution "
                        f"(fs.Normal, fs.Uniform)")
    try:
        arr = validation.real_array(value, name, "connect", check=False)
    except validation.NotANumber as e:
        raise validation.NotANumber(f"connect: {name}={validation._short(value)} must be a number, an array or a "
                                    f"distribution (fs.Normal, fs.Uniform); got {e.reason}", e.reason) from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"connect: {name} values must be finite numbers")
    if arr.ndim > 0:
        if shape is None:
            raise ValueError(f"connect: per-synapse {name} arrays need a connector with a known synapse order "
                             f"(FromArrays, AllToAll, OneToOne); {connector!r} takes a scalar or a distribution")
        if arr.shape != shape and arr.shape != (int(np.prod(shape)),):
            raise ValueError(f"connect: {name} array has shape {arr.shape}, expected {shape} for {connector!r}")
    if dt is None:
        return arr.astype(np.float32).reshape(-1)
    if np.any(arr < 0):
        raise ValueError(f"connect: delay={value!r} is not allowed; delays must be >= 0 ms "
                         f"(they are rounded to steps, at least one)")
    steps = np.maximum(np.rint(arr / dt), 1).reshape(-1)
    if steps.size and steps.max() > MAX_DELAY_STEPS:
        raise ValueError(f"connect: delay of {int(steps.max())} steps exceeds the maximum of "
                         f"{MAX_DELAY_STEPS} steps")
    return steps.astype(np.uint8 if not steps.size or steps.max() <= 255 else np.uint16)


def _shared_or_expanded(weights: np.ndarray, n_local: int, comm) -> np.ndarray:
    """A distributed build: the weights stored once when every process's synapses share one
    value (as one process would store them), else one per synapse on every process (so
    that every process transmits the same values the same way)."""
    has = n_local > 0 and weights.size > 0
    several = comm.allreduce(weights.size > 1, "or")
    low = comm.allreduce(float(weights[0]) if has else np.inf, "min")
    high = comm.allreduce(float(weights[0]) if has else -np.inf, "max")
    if not several and (low == high or not np.isfinite(low)):  # one value (or no synapse anywhere)
        return weights if weights.size == 1 or not np.isfinite(low) else np.array([low], np.float32)
    if weights.size == 1 and n_local != 1:
        return np.full(n_local, weights[0], weights.dtype)
    return weights


def _stored(value, drawn, order):
    """What a projection stores: the drawn values, or the given array (one value when a
    scalar, else picked by ``order``, the user position of each stored synapse); a single
    value when all are equal."""
    if isinstance(value, build.Draws):
        out = drawn
    elif value.size > 1 and order is not None:
        out = value[order]
        if out.dtype == np.uint16 and (not out.size or out.max() <= 255):  # the delays kept fit in uint8
            out = out.astype(np.uint8)
    else:
        out = value
    if out.size > 1 and build.all_equal(out):
        out = out[:1].copy()  # uniform: stored once
    return out

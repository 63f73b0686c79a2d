"""The step program: a small typed intermediate representation of one step of a network.

A step is a list of :class:`Call`\\ s, each a :class:`Kernel` bound to arrays. A kernel
declares its arrays as :class:`Var`\\ s (the space a variable lives in: one value, one per
neuron, per synapse, per presynaptic or postsynaptic neuron, or a table; and whether it
persists from one run to the next), its *prelude* (constants of the call: uniform
parameters, derived constants, propagators) and its *work*, one of four iteration spaces:

- :class:`NeuronUpdate`: every neuron ``i`` of a population (or a Poisson source);
- :class:`Delivery`: the synapses ``s_`` of the rows of the presynaptic neurons ``j_`` whose
  spikes a projection delivers in this step (rows grouped by delay);
- :class:`SpikeReplay`: the spikes a spike source replays in this step;
- :class:`Sampling`: the recorded neurons of a state record;
- :class:`Learning`: plastic synapses, per spike of a population a few steps ago (and the
  synapses onto the neuron that fired).

Scalar work is Python syntax trees (``ast``), plus the statements of this module that each
backend lowers in its own way: :class:`Store` (a dense store, or one made only when the value
changes), :class:`Accumulate` (``+=``, an atomic add, or an add into a thread's own range),
:class:`Transmit` (a synapse's value added to its target's input for the step it arrives in),
:class:`Fires` (the spike condition of neuron ``i``), :class:`CountAbove` (a search of an
ascending table: branch-free on a CPU, early exit on a GPU), an assignment marked by
:func:`counter_stride` (a value that grows by a constant from one neuron to the next: a CPU
loop may add it instead of multiplying), :class:`Memo` (a value of one
neuron and step: kept in memory once computed by a serial CPU, computed where it is needed
by work items that share neurons), :class:`Split` (where a neuron loop may be cut in two). A
kernel never names its backend:
``fastspike.backends.cpu.lower`` and ``fastspike.backends.cuda.lower`` lower it.

Every call runs in one :class:`Stage` of the step; the calls of a stage are independent of
each other, so a backend may run them in any order or together.
"""
from __future__ import annotations

import ast
import enum
import hashlib
from dataclasses import dataclass, field
from typing import Callable, Union

import numpy as np

__all__ = ["Space", "Stage", "Var", "Store", "Accumulate", "Transmit", "Fires", "CountAbove", "counter_stride",
           "stride_of", "Memo", "Split", "If",
           "Statement", "SpikeRecordSlot", "Emission", "NeuronUpdate", "Delivery", "SpikeReplay", "Sampling", "Learning",
           "Kernel", "Call", "StepProgram", "KERNEL_ARGS", "CONSTANTS"]

KERNEL_ARGS = ("step", "slot", "ring_length", "consts", "spike_count", "sample_count")
"""The names every kernel may read besides its own: the step ``k`` (from t = k dt to t + dt),
its row ``k mod L`` in spike histories and ring buffers, ``L``, the constants below, and the
fill levels of the spike and sample record buffers."""
CONSTANTS = ("dt", "zero", "half_dt", "sixth_dt", "two")
"""Scalars of the network's dtype every kernel and prelude may read (dt in ms)."""


class Space(str, enum.Enum):
    """Where a variable lives: how many values it has, indexed by what."""

    UNIFORM = "uniform"  # one value for the whole call (an array of one element)
    NEURON = "neuron"  # one per neuron of the call's population (2-D: one row per ring slot)
    SYNAPSE = "synapse"  # one per synapse of the call's projection
    PRE = "pre"  # one per presynaptic neuron (row pointers, delay-group offsets, the spike history)
    POST = "post"  # one per postsynaptic neuron (a channel's input, its ring buffer)
    TABLE = "table"  # a lookup table or a record buffer


class Stage(enum.IntEnum):
    """The stages of a step, in order (NEST's ``iaf_psc_exp`` order, SPEC section 3)."""

    DELIVER = 0  # projections add the spikes arriving now (or, several delays, later) to their targets' input
    UPDATE = 1  # populations integrate, take their input, fire, reset; sources emit
    LEARN = 2  # plastic synapses onto the neurons that fired learn (weight-update models' on_post)
    SAMPLE = 3  # state records take their samples


@dataclass(frozen=True)
class Var:
    """An array argument of a kernel."""

    name: str
    space: Space
    persistent: bool = False
    """Carried from one run to the next (state, spike histories, ring buffers): a device
    copies it back after each run and up again before the next."""
    doc: str = ""


# -- statements -------------------------------------------------------------------------------
@dataclass
class Store:
    """``var[index] = value``. With ``when``: the stored value equals ``value_when`` where
    ``when`` holds and what ``var[index]`` already holds elsewhere, so a backend may store
    only then (a GPU thread saves the memory traffic; a CPU stores densely so the loop
    vectorizes)."""

    var: str
    index: tuple[ast.expr, ...]
    value: ast.expr
    when: ast.expr | None = None
    value_when: ast.expr | None = None


@dataclass
class Accumulate:
    """``var[index] += value``, where other work items may add to the same element (a GPU adds
    atomically; CPU threads each add into their own range)."""

    var: str
    index: tuple[ast.expr, ...]
    value: ast.expr


@dataclass
class Transmit:
    """Synapse ``s_`` adds ``value`` to its target's channel input of the step in which the
    spike arrives (the delivery strategy knows which array and row that is)."""

    value: ast.expr


@dataclass
class Fires:
    """Neuron ``i`` spikes in this step when ``test`` holds (one per :class:`NeuronUpdate`,
    after its new state is known)."""

    test: ast.expr


@dataclass
class CountAbove:
    """``target`` = the number of entries of the ascending table ``table`` that ``value``
    exceeds (a Poisson count from its cumulative thresholds), an int64.

    ``dense``: when > 0, nearly every value (the fragment that draws them knows their
    distribution) exceeds at most the first ``dense`` entries, so a backend may compare with
    those only, in a loop that vectorizes, and finish the search exactly for the rare values
    beyond ``table[dense - 1]`` in a sparse pass (CPU). 0: no such bound."""

    target: str
    value: ast.expr
    table: str
    dense: int = 0


def counter_stride(target: str, base: str, counter: str, stride: int) -> ast.Assign:
    """``target = base + counter * stride`` (uint64, wrapping), with ``counter`` the draw
    counter of neuron ``i`` (``step * n + i``) and ``base`` a constant of the call: a plain
    assignment, marked (:func:`stride_of`) so that a backend that loops over consecutive
    neurons may compute it once before the loop and add ``stride`` per neuron (no multiply
    in the loop; the same bits, the arithmetic wrapping)."""
    st = ast.Assign([ast.Name(target, ast.Store())], ast.parse(f"{base} + {counter} * np.uint64({int(stride)})",
                                                               mode="eval").body, lineno=0)
    st.counter_stride = (base, int(stride))
    return st


def stride_of(st) -> tuple[str, int] | None:
    """``(base, stride)`` of an assignment made by :func:`counter_stride`, else None."""
    return getattr(st, "counter_stride", None) if isinstance(st, ast.Assign) else None


@dataclass
class Memo:
    """``targets`` (one local, or several from a tuple) = ``value``, an expression whose value
    depends only on the step and on the neuron ``index`` (a tuple of indices into the arrays
    below: a neuron, or a row and a neuron): what it reads is not written by the kernel
    before the last use of the value in this step (a weight-update model's read, see
    :class:`~fastspike.synapses.weight_update.WeightUpdateModel`).

    A backend may compute it at most once per step and index: ``stamps`` (int64, initially a
    step no run takes) holds the step in which the element at ``index`` of each of
    ``values`` (float64, one array per target) was computed, so a value is current only in
    the step that stored it (steps only advance: a stamp of an earlier run never matches).
    A backend whose work items share an index (CPU threads, a GPU) evaluates ``value``
    where it is needed instead, the same expression: the results have the same bits."""

    targets: tuple[str, ...]
    value: ast.expr
    index: tuple[ast.expr, ...]
    values: tuple[str, ...]
    stamps: str


@dataclass
class Split:
    """A place in a neuron update's ``body`` where a backend may end its loop over the neurons
    and start a second one: the statements before it for a block of neurons, then those
    after it for the same block. ``carry``: the locals computed before it (floats of
    ``dtype``) that the statements after it read, and that a backend splitting the loop keeps
    in memory; the other locals those statements read are loads (``x[i]``), read again. A CPU
    loop that is too long for the core's registers and its reorder window (exponential Euler
    of a Hodgkin-Huxley cell: the model's rates, then an ``expm1`` per variable) runs faster as
    two (see ``fastspike.backends.cpu.lower``); a backend that runs one neuron per work item
    ignores it. The results are the same either way, bit for bit."""

    carry: tuple[str, ...]
    dtype: np.dtype


@dataclass
class If:
    test: ast.expr
    body: list
    orelse: list = field(default_factory=list)


Statement = Union[ast.stmt, Store, Accumulate, Transmit, Fires, CountAbove, Memo, Split, If]


# -- iteration spaces ---------------------------------------------------------------------------
@dataclass
class SpikeRecordSlot:
    """A spike record a kernel's spikes go to: its position ``k`` among the network's spike
    records (``spike_count[k]``), its buffers (arguments ``steps`` and ``neurons``) and, when
    it records some neurons only, the argument holding its mask."""

    k: int
    steps: str
    neurons: str
    mask: str | None = None


@dataclass
class Emission:
    """Where the spikes of a kernel go: record buffers, and the population's spike history
    (when projections leave it; arguments ``SH``, ``NH``)."""

    records: list[SpikeRecordSlot] = field(default_factory=list)
    history: bool = False


@dataclass
class NeuronUpdate:
    """The update of every neuron ``i`` in ``range(n)`` of a population, independent across
    ``i`` apart from the spikes it emits."""

    per_step: list = field(default_factory=list)
    """Statements computing locals of the step, run before the neurons."""
    body: list = field(default_factory=list)
    """Per neuron: dense work (a CPU loop over it vectorizes), with one :class:`Fires`."""
    on_spike: list = field(default_factory=list)
    """Per neuron that fired, after ``body``: reset, start of the refractory period."""
    reload: list = field(default_factory=list)
    """What ``on_spike`` reads that ``body`` computed, read back from memory (for a backend
    that runs ``on_spike`` in a second, sparse pass)."""
    emission: Emission = field(default_factory=Emission)


@dataclass
class Delivery:
    """The synapses ``s_`` (of presynaptic neuron ``j_``, target ``TG[s_]``) of the spikes a
    projection delivers in this step: what was emitted ``D`` steps ago (``scheme`` "input":
    one delay for all synapses, added to the target channel's input of this step, ``A``) or,
    with several delays, the spikes of step k - ``lag`` (the last step), each synapse added to the ring buffer
    ``R`` at the row of the step it arrives in (``"ring_delays"``: a delay per synapse,
    ``DL``; ``"ring_groups"``: rows grouped by delay, ``DO`` the offsets of the groups), or
    (``"arrival_groups"``, rows grouped by delay) each delay group D of the spikes emitted D
    steps ago, added to an input of the step ``A`` (the channel's input at arrival), the
    groups from the longest delay to the shortest (the order in which a ring's row would have
    received them).
    Arguments: ``SH``/``NH`` the presynaptic spike history, ``IP``/``TG``/``WT`` the CSR rows,
    ``DM`` = (first step, smallest delay, number of delay groups)."""

    scheme: str
    body: list = field(default_factory=list)
    """Per synapse: what the weight-update model does on a presynaptic spike (a
    :class:`Transmit`)."""
    n_synapses: int = 0
    n_pre: int = 0
    partition: Callable[..., np.ndarray] | None = None
    """The runtime's offsets of the part of each row (or delay group) onto each of the
    ranges of the targets of ``partition(threads, processes=1)``
    (:func:`fastspike.runtime.layout.row_parts`, :func:`fastspike.blocks.range_starts`): what
    a backend that splits the targets (CPU threads, processes) reads instead of whole rows."""
    lag: int = 1
    """With several delays: the spikes delivered in step k are those of step k - ``lag``
    (each synapse added to the ring row of step k - lag + its delay). 1, or a distributed
    run's exchange interval (the network's smallest delay), when the spikes of the last
    ``lag`` steps are known only after the exchange: every ring row then still receives its
    additions in the same order (the spikes' step order), so the sums are the same."""
    post: int = -1
    """The index of the target population (CPU threads give the deliveries of several delays
    into one population to one thread: :func:`fastspike.backends.cpu.lower.delivery_owners`)."""
    plastic: bool = False
    """Whether the body changes the synapses (a weight-update model with state)."""


@dataclass
class Learning:
    """Plasticity, per spike of a population (arguments ``SH``/``NH``: its spike history)
    emitted ``d_`` steps before this step, for each ``d_`` from ``LM[1]`` to ``LM[2]``
    (spikes of steps before ``LM[0]``, the projection's first step, are skipped): the neuron
    ``i`` that fired, in ascending order. With ``column``: first, for each synapse ``s_`` onto
    ``i`` whose delay is ``d_`` (``CI[CP[i, e_]:CP[i, e_ + 1]]``, ``e_ = d_ - LM[1]``: the
    column index groups each neuron's synapses by delay, ids ascending in a group),
    ``per_synapse``; then ``per_spike``. A backend that splits the
    neurons into ranges (CPU threads) runs each range's neurons only: every write is to
    neuron ``i``'s own element or its column's synapses, so results do not depend on the
    split."""

    column: bool
    per_synapse: list = field(default_factory=list)
    per_spike: list = field(default_factory=list)
    before_column: list = field(default_factory=list)
    """Per spike, before its column's synapses (locals the synapses carry along)."""


@dataclass
class SpikeReplay:
    """The spikes a spike source replays in this step: ``GS`` (steps, sorted), ``GN`` (neurons)."""

    emission: Emission = field(default_factory=Emission)


@dataclass
class Sampling:
    """Samples of ``variables`` state arrays (arguments ``x<j>``) of the neurons ``X`` every
    ``every`` steps, into the buffers ``V<j>`` (rows) and ``ST`` (steps); ``g``: the record's
    position among the network's state records (``sample_count[g]``)."""

    every: int
    variables: int


Work = Union[NeuronUpdate, Delivery, SpikeReplay, Sampling, Learning]


@dataclass
class Kernel:
    """One kind of work of a step, independent of the arrays it is applied to."""

    kind: str
    stage: Stage
    vars: list[Var]
    prelude: list[ast.stmt]
    work: Work
    functions: dict[str, Callable]

    def var(self, name: str) -> Var:
        return next(v for v in self.vars if v.name == name)


@dataclass
class Call:
    """A kernel applied to arrays (one per declared variable, in order)."""

    kernel: Kernel
    arrays: list[np.ndarray]
    n: int = 1
    """The neurons of the call's population (or the recorded neurons of a sample)."""


@dataclass
class StepProgram:
    """A network's step: the calls in order, and the record buffers to drain."""

    dtype: np.dtype
    calls: list[Call] = field(default_factory=list)
    spike_records: list[tuple] = field(default_factory=list)
    """(record, steps buffer, neurons buffer, k): the record's rows are ``spike_count[k]``."""
    state_records: list[tuple] = field(default_factory=list)
    """(record, steps buffer, {variable: buffer}): rows ``sample_count[g]``, g the position."""
    spike_limits: list[int] = field(default_factory=list)
    sample_limits: list[int] = field(default_factory=list)
    ring_length: int = 1
    uniform_state: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    """(state array, its one value): frozen state compiled in as one value per population
    (read once per call, not per neuron). The program is valid while every such array
    still holds its value alone (:meth:`still_valid`)."""

    def still_valid(self) -> bool:
        """Whether the state the program took as uniform still is (bit for bit): a user may
        write a population's state between runs; the engine is then rebuilt."""
        return all(same_value(values, value) for values, value in self.uniform_state)


def same_value(values: np.ndarray, value: np.ndarray) -> bool:
    """Whether every element of ``values`` has the bits of the one element of ``value``."""
    if values.size == 0:
        return False
    bits = np.dtype(f"u{values.dtype.itemsize}")
    return bool(np.all(values.view(bits) == value.view(bits)[0]))


def structure_hash(*parts: str) -> str:
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:10]

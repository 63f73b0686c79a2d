"""Current sources: currents injected into a population, and spike inputs (Poisson afferents).

A current is given in the units whose product with the model's ``R`` is mV (with the
default ``R = 1`` it is "mV of drive"). All currents of a population add up, with its
synaptic currents, to the input ``I`` of its model.

Every kind is a :class:`CurrentSource` component. A current source either declares a scalar
function ``current`` (arguments matched by name: its parameters, ``t`` the time at the start
of the step in ms, ``dt``), evaluated once per step when no parameter varies per neuron, or
writes its own fragment of the population's update (:meth:`CurrentSource.lower`, for kinds
that read tables: step currents, per-step arrays). A spike input (``spike_input = True``)
adds arrivals to one of the population's synaptic channels instead of a current.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, ClassVar

import numpy as np

from . import random as rnd
from . import validation
from .components import Component
from .ir.nodes import Space

if TYPE_CHECKING:  # pragma: no cover
    from .ir.schedule import Fragment

__all__ = ["CurrentSource", "StepCurrent", "ConstantCurrent", "ArrayCurrent", "SteppedCurrent", "PoissonInput",
           "as_current"]


class CurrentSource(Component):
    """Base class of current sources and spike inputs.

    Attributes
    ----------
    parameters : tuple of Parameter
        Scalars or per-neuron arrays (checked as model parameters are).
    current : function or None
        The current at time ``t`` (ms, the start of the step), held over the step; its
        arguments are matched by name: the parameters, ``t`` and ``dt``.
    spike_input : bool
        True for inputs that add arrivals to a synaptic channel (``synapse``) rather than a
        current.
    """

    per_neuron_parameters = True
    spike_input: ClassVar[bool] = False
    current: ClassVar[Callable | None] = None
    __eq__ = object.__eq__  # every source is its own input, whatever its parameters
    __hash__ = object.__hash__

    def bind(self, n: int, dt: float) -> "CurrentSource":
        """Check the source against a population of ``n`` neurons on the step grid ``dt``;
        returns what the population keeps (this source, or a resolved form of it)."""
        if type(self).lower is CurrentSource.lower:  # declared by current(): check it now
            allowed = {**{p: float(np.ravel(v)[0]) for p, v in self.params.items()}, "t": 0.0, "dt": dt}
            self.check_function("current", self.current, allowed, 1)
        for name, value in self.params.items():
            if np.ndim(value) == 1 and np.shape(value)[0] != n:
                raise ValueError(f"{self.name}: parameter {name} has {np.shape(value)[0]} values but the population "
                                 f"has {n} neurons")
        return self

    def lower(self, f: "Fragment") -> str:
        """Add this source's work to a population's update (see
        :class:`~fastspike.ir.schedule.Fragment`); returns the expression of neuron ``i``'s
        current (or, for a spike input, of what arrives in its channel in this step)."""
        if self.current is None:
            raise NotImplementedError(f"{self.name}: a current source declares current() or writes lower()")
        from .models.base import equation_arguments

        args, per_neuron = [], False
        for a in equation_arguments(self.current):
            if a in self.params:
                values = np.asarray(self.params[a], dtype=f.dtype).reshape(-1)
                args.append(f.value(f"p_{a}", values))
                per_neuron |= values.size > 1
            elif a == "t":
                args.append("(step * dt)")
            elif a == "dt":
                args.append("dt")
            else:
                raise TypeError(f"{self.name}.current: argument {a!r} is not a parameter, 't' or 'dt' "
                                f"(parameters: {', '.join(self.params) or 'none'})")
        expr = f"{f.function(self.current)}({', '.join(args)})"
        return f.local("cur", expr) if per_neuron else f.per_step("cur", expr)


class StepCurrent:
    """A piecewise-constant current, as NEST's ``step_current_generator``.

    Parameters
    ----------
    times : sequence of float, ms
        Times at which the amplitude changes (non-decreasing, >= 0), rounded to the step
        grid: the amplitude ``amplitudes[j]`` drives every step that starts at or after
        ``times[j]``. Before the first time the current is 0.
    amplitudes : array, shape (k,) or (k, n)
        The amplitudes, one per time (same for every neuron) or one row per time with one
        value per neuron.
    """

    def __init__(self, times, amplitudes) -> None:
        t = validation.real_array(times, "times", "StepCurrent", check=False)
        a = validation.real_array(amplitudes, "amplitudes", "StepCurrent", check=False)
        if t.ndim != 1 or t.size == 0:
            raise ValueError(f"StepCurrent: times must be a non-empty 1-D sequence, got shape {t.shape}")
        if a.ndim not in (1, 2) or a.shape[0] != t.size:
            raise ValueError(
                f"StepCurrent: amplitudes must have shape ({t.size},) or ({t.size}, n) to match "
                f"{t.size} times, got shape {a.shape}"
            )
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            raise ValueError(f"StepCurrent: times must be finite and >= 0 ms, got {times!r}")
        if np.any(np.diff(t) < 0):
            raise ValueError(f"StepCurrent: times must be non-decreasing, got {times!r}")
        if not np.all(np.isfinite(a)):
            raise ValueError("StepCurrent: amplitudes must be finite numbers")
        self.times = t
        self.amplitudes = a

    def __repr__(self) -> str:
        return f"StepCurrent(times={self.times.tolist()!r}, amplitudes=<{self.amplitudes.shape}>)"


class ConstantCurrent(CurrentSource):
    """A constant current: one value (shape (1,)) or one per neuron (shape (n,))."""

    def __init__(self, values: np.ndarray) -> None:
        super().__init__()
        self.values = values

    def lower(self, f: "Fragment") -> str:
        return f.value("cc", self.values.astype(f.dtype))

    def __repr__(self) -> str:
        return f"ConstantCurrent(values={self.values!r})"


class ArrayCurrent(CurrentSource):
    """A current sampled per step: row k (one value per neuron) drives the step that starts
    at ``k dt`` (absolute network time); after the last row the current is 0."""

    def __init__(self, values: np.ndarray) -> None:
        super().__init__()
        self.values = values

    def lower(self, f: "Fragment") -> str:
        padded = f.array("CR", np.concatenate([self.values, np.zeros((1, f.n))]).astype(f.dtype))
        row = f.per_step("row", f"min(step, {padded}.shape[0] - 1)")
        return f"{padded}[{row}, i]"

    def __repr__(self) -> str:
        return f"ArrayCurrent(values=<{self.values.shape}>)"


class SteppedCurrent(CurrentSource):
    """A :class:`StepCurrent` resolved on a network's step grid."""

    def __init__(self, steps: np.ndarray, amplitudes: np.ndarray) -> None:
        super().__init__()
        self.steps = steps  # int64, the step at which each amplitude starts
        self.amplitudes = amplitudes  # (k + 1,) or (k + 1, n): row 0 is the zero before the first time

    def lower(self, f: "Fragment") -> str:
        steps = f.array("CS", self.steps)
        amps = f.array("CA", self.amplitudes.astype(f.dtype))
        ptr = f.per_step("ptr", f"search_right({steps}, step)")
        return f"{amps}[{ptr}]" if self.amplitudes.ndim == 1 else f"{amps}[{ptr}, i]"

    def __repr__(self) -> str:
        return f"SteppedCurrent(steps={self.steps.tolist()!r}, amplitudes=<{self.amplitudes.shape}>)"


def as_current(value, n: int, dt: float) -> CurrentSource:
    """Validate a user's current for a population of ``n`` neurons on the step grid ``dt``."""
    if isinstance(value, CurrentSource):
        return value.bind(n, dt)
    if isinstance(value, StepCurrent):
        amps = value.amplitudes
        if amps.ndim == 2 and amps.shape[1] != n:
            raise ValueError(
                f"StepCurrent: amplitudes have {amps.shape[1]} values per time but the population "
                f"has {n} neurons"
            )
        steps = validation.steps_of(value.times, dt, "times", "StepCurrent")
        zero = np.zeros((1,) + amps.shape[1:])
        return SteppedCurrent(steps, np.concatenate([zero, amps]))
    try:
        arr = validation.real_array(value, "value", "current", check=False)
    except validation.NotANumber as e:
        raise validation.NotANumber(
            f"current: expected a number, an array of shape ({n},) or (steps, {n}), a StepCurrent or a current "
            f"source (fs.CurrentSource); got {validation._short(value)} ({e.reason})", e.reason) from None
    if not np.all(np.isfinite(arr)):
        raise ValueError("current: values must be finite numbers (no NaN or inf)")
    if arr.ndim == 0:
        return ConstantCurrent(arr.reshape(1))
    if arr.ndim == 1 and arr.shape[0] == n:
        return ConstantCurrent(arr.copy())
    if arr.ndim == 2 and arr.shape[1] == n and arr.shape[0] > 0:
        return ArrayCurrent(arr.copy())
    raise ValueError(
        f"current: an array must have shape ({n},) (constant per neuron) or (steps, {n}) "
        f"(one row per step), got shape {arr.shape}"
    )


class PoissonInput(CurrentSource):
    """``n`` independent Poisson afferents of ``rate`` Hz onto every neuron of a population
    (see :meth:`fastspike.Network.poisson_input`): a spike input of the channel ``synapse``.

    The afferents are not simulated one by one: each step draws, per neuron, the number of
    afferent spikes (Poisson with mean ``n * rate * dt``) from a counter-based stream keyed by
    (``stream``, step, neuron), so the cost is O(neurons) per step whatever ``n``, and the draws
    do not depend on chunking, threads or backend. A mean below
    :data:`~fastspike.random.POISSON_TABLE_MAX_MEAN` shared by all neurons is drawn by a
    search of its cumulative thresholds (a table of the call), otherwise by
    :func:`~fastspike.random.poisson`.
    """

    spike_input = True

    def __init__(self, n: int, rate, weight: float, synapse, n_neurons: int, key: np.uint64) -> None:
        super().__init__()
        n = validation.integer(n, "n", "poisson_input", low=0, high=np.iinfo(np.int64).max,
                               unit="afferents per neuron")
        r = validation.real_array(rate, "rate", "poisson_input", check=False)
        if r.ndim > 1 or (r.ndim == 1 and r.shape[0] != n_neurons):
            raise ValueError(f"poisson_input: rate must be a number or an array of shape ({n_neurons},) (Hz), "
                             f"got {rate!r}")
        if not np.all(np.isfinite(r)) or np.any(r < 0):
            raise ValueError(f"poisson_input: rate={rate!r} must be finite and >= 0 Hz")
        weight = validation.number(weight, "weight", "poisson_input")
        self.n, self.rate, self.weight, self.synapse, self.stream = int(n), r, float(weight), synapse, key

    def means(self, dt: float) -> np.ndarray:
        """Mean number of afferent spikes per neuron and step (length 1 or n)."""
        return (self.n * self.rate * dt / 1000.0).reshape(-1)

    def lower(self, f: "Fragment") -> str:
        key = f.constant("kp", f"{f.array('KP', np.array([self.stream], np.uint64), Space.UNIFORM)}[0]")
        weight = f.constant("wp", f"{f.array('WP', np.array([self.weight], f.dtype), Space.UNIFORM)}[0]")
        counter = f.draw_counter()
        means = self.means(f.dt)
        if means.size == 1 and means[0] < rnd.POISSON_TABLE_MAX_MEAN:
            thresholds = f.array("TP", rnd.poisson_thresholds(float(means[0])))
            bits = f.local("z", f"{f.helper('_poisson_bits', rnd.poisson_bits)}({key}, {counter})")
            count = f.count_above("k", bits, thresholds)
        else:
            lam = f.array("LP", means, Space.UNIFORM if means.size == 1 else Space.NEURON)
            count = f.local("k", f"{f.helper('_poisson', rnd.poisson)}({lam}[{'0' if means.size == 1 else 'i'}], "
                                 f"{key}, {counter})")
        return f"{weight} * {count}"

    def __repr__(self) -> str:
        return f"PoissonInput(n={self.n}, rate={self.rate if self.rate.ndim == 0 else '<array>'}, weight={self.weight})"

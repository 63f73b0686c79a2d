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

Built in besides the currents given as numbers, arrays and :class:`StepCurrent`:
:class:`NoiseCurrent` (NEST ``noise_generator``), :class:`OUCurrent` (an Ornstein-Uhlenbeck
current) and :class:`ACCurrent` (NEST ``ac_generator``). The random ones draw from the
counter-based streams of :mod:`fastspike.random` (a stream per source, counters ``step * n +
i``): their currents do not depend on chunking, threads or backend.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, ClassVar

import math

import numpy as np

from . import random as rnd
from . import validation
from .components import Component, Parameter
from .ir.nodes import Space

if TYPE_CHECKING:  # pragma: no cover
    from .ir.schedule import Fragment

__all__ = ["CurrentSource", "StepCurrent", "ConstantCurrent", "ArrayCurrent", "SteppedCurrent", "PoissonInput",
           "NoiseCurrent", "OUCurrent", "ACCurrent", "as_current"]


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


class NoiseCurrent(CurrentSource):
    """A Gaussian white-noise current, as NEST's ``noise_generator``: ``mean + std * xi``, with
    ``xi`` a standard normal drawn anew every ``dt_noise`` ms (intervals from t = 0) and held
    over the interval, independently for every neuron.

    ``std`` is the standard deviation of the *current* (NEST's semantics), not of a white-noise
    density: the membrane's response depends on ``dt_noise`` (for a passive membrane with time
    constant tau_m and ``dt_noise`` = dt, the stationary variance of v is ``(R std)^2 (1 -
    P)^2 / (1 - P^2)``, ``P = exp(-dt / tau_m)``; NEST's documentation discusses it).

    Parameters
    ----------
    mean : float or array, current (pA with R in GOhm; mV of drive with R = 1)
        Mean current; one value or one per neuron.
    std : float or array, same unit
        Standard deviation of the current (>= 0); one value or one per neuron.
    dt_noise : float or None, ms
        Interval of each draw (None: the network's step); a positive multiple of dt.
    """

    parameters = (Parameter("mean", 0.0, "current", "mean current"),
                  Parameter("std", None, "current", "standard deviation of the current", "nonnegative"))

    def __init__(self, mean=0.0, std=None, dt_noise: float | None = None) -> None:
        super().__init__(mean=mean, std=std)
        if dt_noise is not None:
            dt_noise = validation.number(dt_noise, "dt_noise", "NoiseCurrent")
            if not dt_noise > 0 or not math.isfinite(dt_noise):
                raise ValueError(f"NoiseCurrent: dt_noise={dt_noise!r} must be a finite number > 0 (ms), or None "
                                 f"for the network's step")
        self.dt_noise = dt_noise
        self.steps_per_draw = 1

    def bind(self, n: int, dt: float) -> "NoiseCurrent":
        super().bind(n, dt)
        if self.dt_noise is not None:
            m = round(self.dt_noise / dt)
            if m < 1 or abs(m * dt - self.dt_noise) > 1e-9 * max(1.0, self.dt_noise):
                raise ValueError(f"NoiseCurrent: dt_noise={self.dt_noise!r} ms is not a multiple of the network's step "
                                 f"dt = {dt!r} ms")
            self.steps_per_draw = int(m)
        return self

    def lower(self, f: "Fragment") -> str:
        key = f.stream()
        mean = f.value("nm", np.asarray(self.params["mean"], f.dtype).reshape(-1))
        std = f.value("ns", np.asarray(self.params["std"], f.dtype).reshape(-1))
        m = self.steps_per_draw
        counter = f.draw_counter() if m == 1 else \
            f.local("cn", f"np.uint64(step // {m}) * np.uint64(n) + np.uint64(i)")
        z = f.local("z", f"_cast({f.helper('_normal', rnd.normal)}({key}, {counter}))")
        return f"({mean} + {std} * {z})"

    def __repr__(self) -> str:
        return f"NoiseCurrent(mean={_shown(self.params['mean'])}, std={_shown(self.params['std'])}, " \
               f"dt_noise={self.dt_noise!r})"


class OUCurrent(CurrentSource):
    """An Ornstein-Uhlenbeck current: ``tau dI = (mean - I) dt + std sqrt(2 tau) dW``, stationary
    mean ``mean``, standard deviation ``std`` and correlation time ``tau``, independent for
    every neuron, advanced by its exact update (Gillespie 1996)::

        I(t + dt) = mean + (I(t) - mean) exp(-dt / tau) + std sqrt(1 - exp(-2 dt / tau)) xi

    with ``xi`` standard normal; ``I(t)`` drives the step from t to t + dt. It starts at
    ``mean`` (run ``a few tau`` before measuring stationary statistics) and its value is carried
    from one run to the next.

    Parameters
    ----------
    mean : float or array, current
        Stationary mean; one value or one per neuron.
    std : float or array, current
        Stationary standard deviation (>= 0).
    tau : float or array, ms
        Correlation time (> 0).
    """

    parameters = (Parameter("mean", 0.0, "current", "stationary mean"),
                  Parameter("std", None, "current", "stationary standard deviation", "nonnegative"),
                  Parameter("tau", None, "ms", "correlation time", "positive"))

    def lower(self, f: "Fragment") -> str:
        key = f.stream()
        p = {k: np.asarray(v, np.float64).reshape(-1) for k, v in self.params.items()}
        decay = np.exp(-f.dt / p["tau"])
        kick = p["std"] * np.sqrt(-np.expm1(-2.0 * f.dt / p["tau"]))
        state = f.state("ou", np.broadcast_to(p["mean"], (f.n,)) if p["mean"].size > 1 else p["mean"][0])
        mean = f.value("om", p["mean"].astype(f.dtype))
        a = f.value("oa", decay.astype(f.dtype))
        b = f.value("ob", kick.astype(f.dtype))
        current = f.local("ou", f"{state}[i]")
        z = f.local("z", f"_cast({f.helper('_normal', rnd.normal)}({key}, {f.draw_counter()}))")
        f.store(state, f"{mean} + ({current} - {mean}) * {a} + {b} * {z}")
        return current

    def __repr__(self) -> str:
        return f"OUCurrent(mean={_shown(self.params['mean'])}, std={_shown(self.params['std'])}, " \
               f"tau={_shown(self.params['tau'])})"


def ac_current(t, amplitude, frequency, phase, offset):
    """offset + amplitude sin(2 pi frequency t + phase), t in ms, frequency in Hz, phase in degrees."""
    return offset + amplitude * math.sin(2.0 * math.pi * frequency * t / 1000.0 + phase * math.pi / 180.0)


class ACCurrent(CurrentSource):
    """A sinusoidal current, as NEST's ``ac_generator``: ``offset + amplitude sin(2 pi frequency t
    + phase)``, evaluated at the start of each step (t in ms, network time) and held over it.

    Parameters
    ----------
    amplitude : float or array, current
        Amplitude; one value or one per neuron.
    frequency : float or array, Hz
        Frequency (> 0).
    phase : float or array, degrees
        Phase at t = 0 (NEST's unit), 0 by default.
    offset : float or array, current
        Constant part, 0 by default.
    """

    parameters = (Parameter("amplitude", None, "current", "amplitude"),
                  Parameter("frequency", None, "Hz", "frequency", "positive"),
                  Parameter("phase", 0.0, "deg", "phase at t = 0 (degrees)"),
                  Parameter("offset", 0.0, "current", "constant part"))
    current = staticmethod(ac_current)

    def __repr__(self) -> str:
        return ", ".join(f"{k}={_shown(v)}" for k, v in self.params.items()).join(("ACCurrent(", ")"))


def _shown(value) -> str:
    return repr(value) if np.ndim(value) == 0 else f"<array {np.shape(value)}>"


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
    :func:`~fastspike.random.poisson`. The search compares with the first few thresholds only
    (:func:`~fastspike.random.poisson_dense_entries`: all but a fraction 2^-9 of the draws
    stop there), so that it vectorizes; the rare larger counts are finished exactly in a
    sparse pass, so the counts are those of the whole search.
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
            table = rnd.poisson_thresholds(float(means[0]))
            thresholds = f.array("TP", table)
            position = f.draw_position("h", key, int(rnd.POISSON_STRIDE))
            bits = f.local("z", f"{f.helper('_poisson_bits_at', rnd.poisson_bits_at)}({position})")
            count = f.count_above("k", bits, thresholds, rnd.poisson_dense_entries(table))
        else:
            lam = f.array("LP", means, Space.UNIFORM if means.size == 1 else Space.NEURON)
            count = f.local("k", f"{f.helper('_poisson', rnd.poisson)}({lam}[{'0' if means.size == 1 else 'i'}], "
                                 f"{key}, {counter})")
        return f"{weight} * {count}"

    def __repr__(self) -> str:
        return f"PoissonInput(n={self.n}, rate={self.rate if self.rate.ndim == 0 else '<array>'}, weight={self.weight})"

"""Injected currents: constant, step-wise (``StepCurrent``) and sampled per step (arrays).

A current is given in the units whose product with the model's ``R`` is mV (with the
default ``R = 1`` it is "mV of drive"). All currents of a population add up, with its
synaptic currents, to the input ``I`` of its model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import validation

__all__ = ["StepCurrent", "ConstantCurrent", "ArrayCurrent", "PoissonInput", "as_current"]


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


@dataclass
class ConstantCurrent:
    """A constant current: one value (shape (1,)) or one per neuron (shape (n,))."""

    values: np.ndarray


@dataclass
class ArrayCurrent:
    """A current sampled per step: row k (one value per neuron) drives the step that starts
    at ``k dt`` (absolute network time); after the last row the current is 0."""

    values: np.ndarray


@dataclass
class SteppedCurrent:
    """A :class:`StepCurrent` resolved on a network's step grid."""

    steps: np.ndarray  # int64, the step at which each amplitude starts
    amplitudes: np.ndarray  # (k + 1,) or (k + 1, n): row 0 is the zero before the first time


def as_current(value, n: int, dt: float):
    """Validate a user's current for a population of ``n`` neurons on the step grid ``dt``."""
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
            f"current: expected a number, an array of shape ({n},) or (steps, {n}), or a StepCurrent; "
            f"got {validation._short(value)} ({e.reason})", e.reason) from None
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


class PoissonInput:
    """``n`` independent Poisson afferents of ``rate`` Hz onto every neuron of a population
    (see :meth:`fastspike.Network.poisson_input`)."""

    def __init__(self, n: int, rate, weight: float, synapse, n_neurons: int, key: np.uint64) -> None:
        n = validation.integer(n, "n", "poisson_input", low=0, high=np.iinfo(np.int64).max,
                               unit="afferents per neuron")
        r = validation.real_array(rate, "rate", "poisson_input", check=False)
        if r.ndim > 1 or (r.ndim == 1 and r.shape[0] != n_neurons):
            raise ValueError(f"poisson_input: rate must be a number or an array of shape ({n_neurons},) (Hz), "
                             f"got {rate!r}")
        if not np.all(np.isfinite(r)) or np.any(r < 0):
            raise ValueError(f"poisson_input: rate={rate!r} must be finite and >= 0 Hz")
        weight = validation.number(weight, "weight", "poisson_input")
        self.n, self.rate, self.weight, self.synapse, self.key = int(n), r, float(weight), synapse, key

    def means(self, dt: float) -> np.ndarray:
        """Mean number of afferent spikes per neuron and step (length 1 or n)."""
        return (self.n * self.rate * dt / 1000.0).reshape(-1)

    def __repr__(self) -> str:
        return f"PoissonInput(n={self.n}, rate={self.rate if self.rate.ndim == 0 else '<array>'}, weight={self.weight})"

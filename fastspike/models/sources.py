"""Spike sources: populations whose spikes are given, not integrated.

They are placed with ``net.population`` like cell models, can be connected and recorded,
and their spikes are explicit (each one is delivered to every target, as NEST's
``parrot_neuron`` after a generator).
"""
from __future__ import annotations

import numpy as np

from .. import validation
from .base import Model

__all__ = ["Source", "PoissonSource", "SpikeSource"]


class Source(Model):
    """Base class of spike sources: no state, no integrator."""

    integrators = ("none",)
    default_integrator = "none"

    def __init__(self) -> None:
        self.params = {}
        self.option_values = {}

    def check_size(self, n: int) -> None:
        """Raise if the source cannot be a population of ``n`` neurons."""

    def check_dt(self, dt: float) -> None:
        """Raise if the source's times do not fit the step counters at step ``dt`` (ms)."""


class PoissonSource(Source):
    """Independent Poisson spike trains, as Brian2's ``PoissonGroup``.

    A neuron spikes in a step with probability ``rate * dt`` (at most once per step), from
    the network's counter-based random streams.

    Parameters
    ----------
    rate : float, array (n,), or array (k,) / (k, n) with ``times``
        Rate in Hz: one for all neurons, one per neuron, or piecewise constant in time.
    times : sequence of float, ms, optional
        With a time-varying rate: ``rate[j]`` holds from ``times[j]`` (rounded to steps) to
        the next time; before ``times[0]`` the rate is 0.
    """

    def __init__(self, rate, times=None) -> None:
        super().__init__()
        r = validation.real_array(rate, "rate", "PoissonSource", check=False)
        if not np.all(np.isfinite(r)) or np.any(r < 0):
            raise ValueError(f"PoissonSource: rates must be finite and >= 0 Hz, got {rate!r}")
        self.times = None
        if times is not None:
            t = validation.real_array(times, "times", "PoissonSource", check=False)
            if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(np.diff(t) < 0):
                raise ValueError(f"PoissonSource: times must be a non-empty, non-decreasing sequence of "
                                 f"times >= 0 ms, got {times!r}")
            if r.ndim not in (1, 2) or r.shape[0] != t.size:
                raise ValueError(f"PoissonSource: with {t.size} times, rate must have shape ({t.size},) or "
                                 f"({t.size}, n), got {r.shape}")
            self.times = t
        elif r.ndim > 1:
            raise ValueError(f"PoissonSource: rate must be a number or a per-neuron array (give times= for a "
                             f"time-varying rate), got shape {r.shape}")
        self.rate = r
        self.params = {"rate": r}

    def check_dt(self, dt: float) -> None:
        if self.times is not None:
            validation.steps_of(self.times, dt, "times", "PoissonSource")

    def check_size(self, n: int) -> None:
        per_neuron = (self.rate.ndim == 1 and self.times is None) or self.rate.ndim == 2
        if per_neuron and self.rate.shape[-1] != n:
            raise ValueError(f"PoissonSource: {self.rate.shape[-1]} rates given per neuron but the population "
                             f"has {n} neurons")

    def describe(self) -> dict[str, object]:
        return {"model": self.name, "parameters": {"rate": self.rate, "times": self.times},
                "units": {"rate": "Hz", "times": "ms"}, "options": {}}


class SpikeSource(Source):
    """Replays given spike trains, as NEST's ``spike_generator`` (Brian2 ``SpikeGeneratorGroup``).

    Parameters
    ----------
    times : sequence of float, ms
        Spike times, rounded to the step grid; a spike given at time t is stamped t (it is
        emitted in the step that ends at t), so times must be >= dt.
    neurons : sequence of int
        Index of the spiking neuron for each time.
    """

    def __init__(self, times, neurons) -> None:
        super().__init__()
        t = validation.real_array(times, "times", "SpikeSource", check=False)
        i = np.asarray(neurons)
        if t.ndim != 1 or i.shape != t.shape:
            raise ValueError(f"SpikeSource: times and neurons must be 1-D and of equal length, got shapes "
                             f"{t.shape} and {i.shape}")
        if t.size and (not np.all(np.isfinite(t)) or not np.issubdtype(i.dtype, np.integer) or i.min() < 0):
            raise ValueError("SpikeSource: times must be finite and neurons non-negative integer indices")
        # checked before any cast: np.uint64(2**63) would wrap to a negative index (and replay neuron 0)
        i = validation.integer_array(i, "neurons", "SpikeSource", low=0, high=np.iinfo(np.int32).max)
        self.times, self.neurons = t, i
        self.params = {}

    def check_size(self, n: int) -> None:
        if self.neurons.size and self.neurons.max() >= n:
            raise ValueError(f"SpikeSource: neuron index {int(self.neurons.max())} is out of range for a "
                             f"population of {n}")

    def check_dt(self, dt: float) -> None:
        self.steps(dt)

    def steps(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """(step index in which each spike is emitted, neuron), sorted by step then neuron."""
        stamp = validation.steps_of(self.times, dt, "times", "SpikeSource")
        if stamp.size and stamp.min() < 1:
            bad = self.times[np.argmin(stamp)]
            raise ValueError(f"SpikeSource: spike time {bad} ms is before the first step end ({dt} ms); a "
                             f"spike given at time t is emitted in the step that ends at t")
        order = np.lexsort((self.neurons, stamp))
        return stamp[order] - 1, self.neurons[order]

    def describe(self) -> dict[str, object]:
        return {"model": self.name, "parameters": {"n_spikes": int(self.times.size)}, "units": {}, "options": {}}

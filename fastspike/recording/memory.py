"""In-memory records filled by the backends chunk by chunk.

A spike is stamped with the end time of the step in which it happened, ``(k + 1) dt`` for
step ``k``. A state sample is taken after the step and stamped with the time at which its
values hold, also ``(k + 1) dt`` (NEST's multimeter convention).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Population

__all__ = ["SpikeRecord", "StateRecord"]


class _Chunks:
    """An append-only list of array chunks, concatenated on demand."""

    def __init__(self, dtype, width: int | None = None) -> None:
        self.dtype = dtype
        self.width = width
        self.parts: list[np.ndarray] = []
        self._cache: np.ndarray | None = None

    def append(self, a: np.ndarray) -> None:
        if len(a):
            self.parts.append(np.array(a, dtype=self.dtype, copy=True))
            self._cache = None

    def array(self) -> np.ndarray:
        if self._cache is None:
            if self.parts:
                self._cache = np.concatenate(self.parts)
                self.parts = [self._cache]
            else:
                shape = (0,) if self.width is None else (0, self.width)
                self._cache = np.empty(shape, dtype=self.dtype)
        return self._cache


class SpikeRecord:
    """The spikes of a population (or of a selection of its neurons).

    Attributes
    ----------
    times : ndarray of float64, ms
        Spike times, in order of time (and of neuron index within a step).
    neurons : ndarray of int32
        Index within the population of the neuron that spiked, one per spike.
    steps : ndarray of int64
        Spike times as step counts: ``times = steps * dt``.
    """

    kind = "spikes"

    def __init__(self, population: "Population", selection: np.ndarray | None) -> None:
        self.population = population
        self.dt = population.network.dt
        self.selection = selection
        self.start_step = population.network.step  # recording starts at the current time
        self._steps = _Chunks(np.int64)
        self._neurons = _Chunks(np.int32)

    def _append(self, steps: np.ndarray, neurons: np.ndarray) -> None:
        self._steps.append(steps)
        self._neurons.append(neurons)

    @property
    def steps(self) -> np.ndarray:
        return self._steps.array()

    @property
    def times(self) -> np.ndarray:
        return self.steps * self.dt

    @property
    def neurons(self) -> np.ndarray:
        return self._neurons.array()

    @property
    def n(self) -> int:
        """Number of neurons the record covers."""
        return self.population.n if self.selection is None else int(self.selection.size)

    def __len__(self) -> int:
        return int(self.steps.size)

    def counts(self) -> np.ndarray:
        """Number of spikes of each neuron of the population (length ``population.n``)."""
        return np.bincount(self.neurons, minlength=self.population.n)

    def clear(self) -> None:
        """Forget the spikes recorded so far (after a warm-up, say): the record, and its
        ``rate()``, start again at the network's current time."""
        self.start_step = self.population.network.step
        self._steps = _Chunks(np.int64)
        self._neurons = _Chunks(np.int32)

    def rate(self, duration: float | None = None) -> float:
        """Mean firing rate (Hz) of the recorded neurons over ``duration`` ms (default: the time
        run since the record was created)."""
        if duration is None:
            duration = (self.population.network.step - self.start_step) * self.dt
        return len(self) / max(self.n, 1) / (duration / 1000.0) if duration > 0 else 0.0

    def __repr__(self) -> str:
        return f"SpikeRecord({self.population.name!r}, {len(self)} spikes)"


class StateRecord:
    """Sampled state variables of chosen neurons of a population.

    Attributes
    ----------
    times : ndarray of float64, ms
        Sample times (the time at which the sampled values hold).
    neurons : ndarray of int64
        Indices of the recorded neurons within the population.
    variables : tuple of str
    <variable> : ndarray, shape (samples, len(neurons))
        One attribute per recorded variable (``trace.v``); also ``trace["v"]``.
    """

    kind = "state"

    def __init__(self, population: "Population", variables: Sequence[str], neurons: np.ndarray, every: int) -> None:
        self.population = population
        self.dt = population.network.dt
        self.variables = tuple(variables)
        self.neurons = neurons
        self.every = every
        self._steps = _Chunks(np.int64)
        self._values = {v: _Chunks(population.network.dtype, len(neurons)) for v in self.variables}

    def _append(self, steps: np.ndarray, values: dict[str, np.ndarray]) -> None:
        self._steps.append(steps)
        for name, chunk in values.items():
            self._values[name].append(chunk)

    @property
    def steps(self) -> np.ndarray:
        return self._steps.array()

    @property
    def times(self) -> np.ndarray:
        return self.steps * self.dt

    def clear(self) -> None:
        """Forget the samples taken so far (after a warm-up, say)."""
        self._steps = _Chunks(np.int64)
        self._values = {v: _Chunks(self.population.network.dtype, len(self.neurons)) for v in self.variables}

    def __getitem__(self, variable: str) -> np.ndarray:
        if variable not in self._values:
            raise KeyError(f"{variable!r} is not recorded; recorded: {', '.join(self.variables)}")
        return self._values[variable].array()

    def __getattr__(self, name: str) -> np.ndarray:
        values = self.__dict__.get("_values")
        if values is not None and name in values:
            return values[name].array()
        raise AttributeError(name)

    def __len__(self) -> int:
        return int(self.steps.size)

    def __repr__(self) -> str:
        return (f"StateRecord({self.population.name!r}, {list(self.variables)}, "
                f"{len(self.neurons)} neurons, {len(self)} samples)")

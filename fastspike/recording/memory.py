"""Records filled by the backends chunk by chunk: in memory, or streamed to an HDF5 file.

A spike is stamped with the end time of the step in which it happened, ``(k + 1) dt`` for
step ``k``. A state sample is taken after the step and stamped with the time at which its
values hold, also ``(k + 1) dt`` (NEST's multimeter convention).

A record's rows are, in order, those of its *file segments* (row ranges of HDF5 datasets that
``net.run(..., output=path)`` streamed them to; read from the file on each access) followed by
those held in memory (runs without ``output=``). A run with ``output=`` first moves the rows
held in memory to the file, so the rows kept in memory never grow during a streamed run.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Population

__all__ = ["SpikeRecord", "StateRecord", "SynapseRecord", "FileSegment"]


class FileSegment:
    """Rows ``start:stop`` of a record's datasets in an HDF5 file written by fastspike.

    Parameters
    ----------
    path : str
        The file (absolute path).
    group : str
        The record's group in the file (``"spikes/exc"``).
    file_id : str
        The file's ``file_id`` root attribute, to detect a file replaced since.
    start, stop : int
        Row range; ``stop`` grows while the writer appends.
    """

    def __init__(self, path: str, group: str, file_id: str, start: int, stop: int) -> None:
        self.path, self.group, self.file_id, self.start, self.stop = path, group, file_id, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def read(self, name: str) -> np.ndarray:
        """Rows ``start:stop`` of dataset ``name`` of the record's group."""
        from .hdf5 import read_segment  # the file layer depends on this module, not the reverse

        return read_segment(self, name)

    def __repr__(self) -> str:
        return f"FileSegment({self.path!r}, {self.group!r}, rows {self.start}:{self.stop})"


def _joined(parts: list[np.ndarray], empty: np.ndarray) -> np.ndarray:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


class _Chunks:
    """An append-only column of rows held in one array that grows by half its size when full.

    Reading it (``array()``) returns a view of the rows held, without copying: a record that
    filled most of the memory stays readable. When memory runs out while the column grows,
    the rows held so far are kept and a ``MemoryError`` says what to do instead.
    """

    GROWTH = 1.5

    def __init__(self, dtype, width: int | None = None, name: str = "") -> None:
        self.dtype = np.dtype(dtype)
        self.width = width
        self.name = name
        self._buf: np.ndarray | None = None
        self._n = 0
        self._warned = False

    def reserve(self, k: int) -> None:
        """Make room for ``k`` more rows (so that the columns of a record grow together)."""
        need = self._n + k
        if k and (self._buf is None or need > len(self._buf)):
            self._grow(need)

    def append(self, a: np.ndarray) -> None:
        k = len(a)
        if not k:
            return
        self.reserve(k)
        self._buf[self._n:self._n + k] = a
        self._n += k

    def _grow(self, need: int) -> None:
        from ..resources import available_memory, format_bytes

        shape = () if self.width is None else (self.width,)
        old = self._buf
        row = self.dtype.itemsize * (self.width or 1)
        size = need if old is None else max(need, int(len(old) * self.GROWTH))
        # room is left to read the column once more (``times`` is a float64 copy of ``steps``)
        headroom = 8 * (self.width or 1) * need
        free = available_memory() if size * row > 1 << 24 else None
        if free is not None and size * row + headroom > free:
            size = need  # no room to grow ahead: just what is needed
        try:
            if free is not None and size * row + headroom > free:
                raise MemoryError
            new = np.empty((size, *shape), self.dtype)
        except MemoryError:
            try:
                if size == need:
                    raise
                size = need
                new = np.empty((size, *shape), self.dtype)
            except MemoryError:
                raise MemoryError(
                    f"the records kept in memory ran out of memory ({self.name or 'a record'} holds {self._n} rows, "
                    f"{format_bytes(self._n * row)}, and needed {format_bytes(size * row)} more to grow, with room "
                    f"left to read it); what was recorded before stays readable; stream records to a file instead "
                    f"with net.run(duration, output='run.h5') (memory stays flat)") from None
        if old is not None:
            new[: self._n] = old[: self._n]
        self._buf = new
        if not self._warned and new.nbytes > 1 << 24:  # warn while there is time: the next growth may fail
            from ..resources import growth_warning

            following = int(size * self.GROWTH) * row + 8 * (self.width or 1) * size
            self._warned = growth_warning(self.name or "a record", new.nbytes, following)

    def __len__(self) -> int:
        return self._n

    def take(self) -> np.ndarray:
        """All rows held; the column is emptied."""
        a = self.array()
        self._buf, self._n = None, 0
        return a

    def array(self) -> np.ndarray:
        if self._buf is None:
            shape = (0,) if self.width is None else (0, self.width)
            return np.empty(shape, dtype=self.dtype)
        return self._buf[: self._n]


class _Record:
    """What spike and state records share: rows of steps held in memory chunks and in file
    segments (after ``run(..., output=...)``), read back as one column on each access."""

    def __init__(self, population: "Population") -> None:
        self.population = population
        self.dt = population.network.dt
        self._start()

    def _start(self) -> None:
        """Start recording (again) at the network's current step, with nothing recorded."""
        self.start_step = self.population.network.step
        self._segments: list[FileSegment] = []
        self._steps = _Chunks(np.int64, name=f"{self.kind} of {self.population.name!r}")
        self._new_memory()

    def _new_memory(self) -> None:
        """Empty memory chunks for the columns other than the steps."""
        raise NotImplementedError

    def _column(self, name: str, memory: _Chunks) -> np.ndarray:
        if not self._segments:
            return memory.array()
        return _joined([seg.read(name) for seg in self._segments] + [memory.array()], memory.array())

    @property
    def steps(self) -> np.ndarray:
        return self._column("steps", self._steps)

    @property
    def times(self) -> np.ndarray:
        return self.steps * self.dt

    @property
    def files(self) -> list[str]:
        """The HDF5 files holding part of the record (empty when it is all in memory)."""
        return list(dict.fromkeys(seg.path for seg in self._segments))

    def __len__(self) -> int:
        return sum(len(seg) for seg in self._segments) + len(self._steps)

    def _where(self) -> str:
        return f", in {', '.join(self.files)}" if self._segments else ""


class SpikeRecord(_Record):
    """The spikes of a population (or of a selection of its neurons).

    Attributes
    ----------
    times : ndarray of float64, ms
        Spike times, in order of time (and of neuron index within a step).
    neurons : ndarray of int32
        Index within the population of the neuron that spiked, one per spike.
    steps : ndarray of int64
        Spike times as step counts: ``times = steps * dt``.

    Notes
    -----
    After ``net.run(..., output=path)`` the spikes are in the file, not in memory: each access
    to ``steps``, ``times`` or ``neurons`` reads them back from it (see the module docstring).
    """

    kind = "spikes"

    def __init__(self, population: "Population", selection: np.ndarray | None) -> None:
        self.selection = selection
        super().__init__(population)  # recording starts at the current time

    def _new_memory(self) -> None:
        self._neurons = _Chunks(np.int32, name=f"spikes of {self.population.name!r}")

    def _append(self, steps: np.ndarray, neurons: np.ndarray) -> None:
        self._steps.reserve(len(steps))  # both columns grow first: a MemoryError leaves them equal
        self._neurons.reserve(len(steps))
        self._steps.append(steps)
        self._neurons.append(neurons)

    def _take_memory(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows held in memory ``(steps, neurons)``, which are then forgotten (moved to a file)."""
        return self._steps.take(), self._neurons.take()

    @property
    def neurons(self) -> np.ndarray:
        return self._column("neurons", self._neurons)

    @property
    def n(self) -> int:
        """Number of neurons the record covers."""
        return self.population.n if self.selection is None else int(self.selection.size)

    def counts(self) -> np.ndarray:
        """Number of spikes of each neuron of the population (length ``population.n``)."""
        return np.bincount(self.neurons, minlength=self.population.n)

    def clear(self) -> None:
        """Forget the spikes recorded so far (after a warm-up, say): the record, and its
        ``rate()``, start again at the network's current time. Spikes already streamed to a
        file stay in the file; the record just no longer shows them."""
        self._start()

    def rate(self, duration: float | None = None) -> float:
        """Mean firing rate (Hz) of the recorded neurons over ``duration`` ms (default: the time
        run since the record was created)."""
        if duration is None:
            duration = (self.population.network.step - self.start_step) * self.dt
        return len(self) / max(self.n, 1) / (duration / 1000.0) if duration > 0 else 0.0

    def __repr__(self) -> str:
        return f"SpikeRecord({self.population.name!r}, {len(self)} spikes{self._where()})"


class StateRecord(_Record):
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

    Notes
    -----
    After ``net.run(..., output=path)`` the samples are in the file and each access reads
    them back from it.
    """

    kind = "state"

    def __init__(self, population: "Population", variables: Sequence[str], neurons: np.ndarray, every: int) -> None:
        self.variables = tuple(variables)
        self.neurons = neurons
        self.every = every
        super().__init__(population)

    def _new_memory(self) -> None:
        self._values = {v: _Chunks(self.population.network.dtype, len(self.neurons),
                                   name=f"{v} of {self.population.name!r}") for v in self.variables}

    def _append(self, steps: np.ndarray, values: dict[str, np.ndarray]) -> None:
        for column in (self._steps, *self._values.values()):  # all grow first: a MemoryError leaves them equal
            column.reserve(len(steps))
        self._steps.append(steps)
        for name, chunk in values.items():
            self._values[name].append(chunk)

    def _take_memory(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The samples held in memory ``(steps, {variable: values})``, then forgotten."""
        return self._steps.take(), {v: c.take() for v, c in self._values.items()}

    def clear(self) -> None:
        """Forget the samples taken so far (after a warm-up, say); samples already streamed to
        a file stay in the file."""
        self._start()

    def __getitem__(self, variable: str) -> np.ndarray:
        if variable not in self._values:
            raise KeyError(f"{variable!r} is not recorded; recorded: {', '.join(self.variables)}")
        return self._column(variable, self._values[variable])

    def __getattr__(self, name: str) -> np.ndarray:
        values = self.__dict__.get("_values")
        if values is not None and name in values:
            return self._column(name, values[name])
        raise AttributeError(name)

    def __repr__(self) -> str:
        return (f"StateRecord({self.population.name!r}, {list(self.variables)}, "
                f"{len(self.neurons)} neurons, {len(self)} samples{self._where()})")


class SynapseGroup:
    """What a :class:`SynapseRecord` records from, in the terms of a population: the synapses
    of a projection (``n`` of them), named ``"<pre>-><post>"`` (the ``population`` of its
    records in files)."""

    def __init__(self, projection) -> None:
        self.projection = projection
        self.network = projection.pre.network
        self.name = f"{projection.pre.name}->{projection.post.name}"
        self.n = projection.n_synapses
        self.index = -1 - projection.index

    def __repr__(self) -> str:
        return f"SynapseGroup({self.name!r}, {self.n} synapses)"


class SynapseRecord(StateRecord):
    """Samples of per-synapse variables (``"weight"``) of some synapses of a plastic
    projection, every ``every`` steps (create with :meth:`fastspike.Network.record`).

    Like a :class:`StateRecord` (``rec.weight``: shape (samples, synapses); ``steps``,
    ``times``; streamed to a run's ``output=``, read back by :func:`fastspike.load` under the
    name ``"<pre>-><post>"``), with ``synapses`` (indices into the projection's
    ``weights``/``sources()``/``targets``) in place of ``neurons`` (also kept as ``neurons``).
    """

    def __init__(self, projection, variables: Sequence[str], synapses: np.ndarray, every: int) -> None:
        self.projection = projection
        super().__init__(SynapseGroup(projection), variables, synapses, every)

    @property
    def synapses(self) -> np.ndarray:
        return self.neurons

    def __repr__(self) -> str:
        return (f"SynapseRecord({self.population.name!r}, {list(self.variables)}, "
                f"{len(self.neurons)} synapses, {len(self)} samples{self._where()})")

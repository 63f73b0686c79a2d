"""Read back a file written by ``net.run(..., output=path)``: :func:`load`.

Records are read lazily: opening a file reads its metadata only; arrays are read when asked
for (``spikes.times``), and :meth:`LoadedSpikes.select`, :meth:`LoadedSpikes.counts` and
:meth:`LoadedSpikes.bin_counts` go through a record chunk by chunk, in bounded memory, for
files too large to load whole. Files being written by another process, and files left by a
killed writer, are opened in HDF5's SWMR read mode; a record's columns are then cut to the
rows present in all of them (everything up to the writer's last flush, at least).
"""
from __future__ import annotations

import json
import os
from typing import Any, Iterable, Iterator

import h5py
import numpy as np

from . import files
from .hdf5 import check_format, open_for_reading

__all__ = ["load", "RunFile", "LoadedSpikes", "LoadedState", "SpikeData"]

READ_ROWS = 1 << 20  # rows per block when going through a record in bounded memory


def load(path: str | os.PathLike) -> "RunFile":
    """Open an HDF5 file written by fastspike (``net.run(..., output=path)``).

    Parameters
    ----------
    path : str or path

    Returns
    -------
    RunFile
        Use as a context manager (``with fs.load(path) as run: ...``) or call ``close()``.

    Raises
    ------
    FileNotFoundError
        No such file.
    fastspike.recording.files.DamagedFileError (an OSError)
        The file is truncated (its HDF5 superblock records an end beyond its size: an
        interrupted copy or download), or is not an HDF5 file.
    ValueError
        The file is not a fastspike recording, or was written by a newer fastspike
        (``format_version`` unknown to this one).
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {os.fspath(path)!r}")
    return RunFile(path)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _plain(value: Any) -> Any:
    """An attribute value as a plain Python object."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.dtype.kind in "OSU" else value
    if isinstance(value, np.generic):
        return value.item()
    return value


class RunFile:
    """A fastspike HDF5 recording, opened read-only (see :func:`load`).

    Attributes
    ----------
    path : str
    metadata : dict
        The root attributes: ``dt`` (ms), ``seed`` (-1: none), ``backend``, ``dtype``, versions,
        ``created``, ``complete``, ``status``, ``t_start`` / ``t_stop`` (ms), ...
    populations : dict of str to dict
        Per population: ``model``, ``n``, ``integrator``, ``parameters`` (numbers, and per-neuron
        arrays as h5py datasets: ``[()]`` reads one while the file is open), ``parameter_units``,
        ``options``, ``state_variables``, ``state_units``, ``inputs``.
    projections : list of dict
        Per projection: ``pre``, ``post``, ``connector``, ``synapse``, ``n_synapses``, ... and
        ``has_connectivity``.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self.file = open_for_reading(self.path)
        try:
            check_format(self.file, self.path, "load")
            self._read_metadata()
        except BaseException:
            self.file.close()
            raise

    def _read_metadata(self) -> None:
        f = self.file
        self.metadata = {k: _plain(v) for k, v in f.attrs.items()}
        self.dt = float(self.metadata["dt"])
        self.populations: dict[str, dict[str, Any]] = {}
        for g in f["populations"].values():
            info = {k: _plain(v) for k, v in g.attrs.items()}
            for key in ("state_variables", "state_units", "parameter_units", "options", "inputs"):
                if key in info:
                    info[key] = json.loads(info[key])
            params = {k: _plain(v) for k, v in g["parameters"].attrs.items()}
            params.update({k: ds for k, ds in g["parameters"].items()})  # arrays stay lazy (h5py datasets)
            info["parameters"] = params
            self.populations[info.get("name", g.name.rsplit("/", 1)[1])] = info
        self.projections: list[dict[str, Any]] = []
        for key in sorted(f["projections"], key=int):
            g = f["projections"][key]
            info = {k: _plain(v) for k, v in g.attrs.items()}
            info["index"] = int(key)
            info["has_connectivity"] = "targets" in g
            self.projections.append(info)

    # -- file state ------------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        """True when the last run that wrote the file ended normally."""
        return bool(self.metadata.get("complete", False))

    @property
    def writer_alive(self) -> bool:
        """True while a process is writing the file (it holds the writer's lock)."""
        return files.live_writer(self.path) is not None

    @property
    def killed(self) -> bool:
        """True when the writer stopped without closing the file (SIGKILL, power loss): the
        status still says "running" but no process writes it. The file holds everything up to
        its last flush (``t_stop``)."""
        return not self.complete and _text(self.metadata.get("status", "")) == "running" and not self.writer_alive

    @property
    def status(self) -> str:
        """``"complete"``, ``"running"`` (a live writer), ``"killed ..."`` (see :attr:`killed`),
        or how the last run was interrupted."""
        text = _text(self.metadata.get("status", ""))
        if text == "running" and not self.writer_alive:
            return f"killed: the writer stopped without closing the file; it holds t <= {self.t_stop:g} ms"
        return text

    @property
    def t_start(self) -> float:
        """Time (ms) at which the file was created."""
        return float(self.metadata["t_start"])

    @property
    def t_stop(self) -> float:
        """Time (ms) up to which every record is in the file: the end of the last run, or the
        last flush of a run still going on (or killed)."""
        step = max(int(self.metadata.get("step_stop", 0)), int(self.file["progress"][0]))
        return step * self.dt

    def refresh(self) -> None:
        """See what a writer still running has flushed since the file was opened (reopens the
        file: get records again with :meth:`spikes` / :meth:`state` afterwards)."""
        self.file.close()
        self.file = open_for_reading(self.path)
        check_format(self.file, self.path, "load")
        self._read_metadata()

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> "RunFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- records ---------------------------------------------------------------------------
    @property
    def spike_records(self) -> list[str]:
        """Names of the spike records (one per recorded population, ``exc_1`` for a second)."""
        return list(self.file["spikes"])

    @property
    def state_records(self) -> list[str]:
        """Names of the state records."""
        return list(self.file["state"])

    def _group(self, kind: str, name: str, variable: str | None = None) -> h5py.Group:
        groups = self.file[kind]
        links = set(groups.keys())  # exact link names ("x%2Fy"): `name in groups` would resolve "x/y" or "."
        if name in links:
            return groups[name]
        hits = [g for g in groups.values() if _text(g.attrs.get("population", "")) == name
                and (variable is None or variable in json.loads(g.attrs["variables"]))]
        if len(hits) == 1:
            return hits[0]
        names = ", ".join(map(repr, groups)) or "none"
        if not hits:
            what = f" with variable {variable!r}" if variable else ""
            raise KeyError(f"{self.path}: no {kind} record of {name!r}{what}; {kind} records: {names}")
        raise KeyError(f"{self.path}: population {name!r} has several {kind} records ({names}); give the record name")

    def spikes(self, name: str) -> "LoadedSpikes":
        """The spike record ``name`` (a record name or a population name)."""
        return LoadedSpikes(self, self._group("spikes", name))

    def state(self, name: str, variable: str | None = None) -> "LoadedState":
        """The state record ``name`` (record or population name); ``variable`` picks, among the
        records of a population, the one that has it."""
        return LoadedState(self, self._group("state", name, variable))

    def connectivity(self, projection: int) -> dict[str, np.ndarray]:
        """The synapses of projection ``projection`` (its index), when the file has them:
        ``indptr`` (int64, n_pre + 1), ``targets`` (int32), ``weights`` (float32, one per
        synapse or a single shared value), ``delays`` (steps, same convention)."""
        g = self.file["projections"][str(projection)]
        if "targets" not in g:
            raise KeyError(f"{self.path}: projection {projection} was written without its synapses; run with "
                           f"connectivity=True to store them")
        return {k: g[k][()] for k in ("indptr", "targets", "weights", "delays")}

    # -- conversions -----------------------------------------------------------------------
    def to_dataframe(self, kind: str = "spikes"):
        """All spike records (``kind="spikes"``: columns record, population, neuron, step, time)
        or state records (``kind="state"``: long format, columns record, population, variable,
        neuron, step, time, value) as one pandas DataFrame (needs pandas)."""
        from . import convert

        return convert.run_dataframe(self, kind)

    def to_neo(self):
        """A ``neo.Block`` with one Segment holding every spike train and analog signal
        (needs neo; see :func:`fastspike.recording.convert.to_neo`)."""
        from . import convert

        return convert.to_neo(self)

    def __repr__(self) -> str:
        state = "complete" if self.complete else self.status
        return (f"RunFile({self.path!r}, {self.t_start:g}-{self.t_stop:g} ms, {state}, "
                f"spikes: {self.spike_records}, state: {self.state_records})")


class _Spikes:
    """What spike records share: times from steps, the number of neurons, conversions."""

    kind = "spikes"
    dt: float
    n: int
    name: str

    @property
    def times(self) -> np.ndarray:
        """Spike times (ms): ``steps * dt``."""
        return self.steps * self.dt

    def to_dataframe(self):
        """Columns neuron (int32), step (int64), time (ms) (needs pandas)."""
        import pandas as pd

        steps = self.steps
        return pd.DataFrame({"neuron": self.neurons, "step": steps, "time": steps * self.dt})


class SpikeData(_Spikes):
    """Spikes held in memory (what :meth:`LoadedSpikes.select` returns)."""

    def __init__(self, steps: np.ndarray, neurons: np.ndarray, dt: float, n: int, name: str, t_stop: float) -> None:
        self.steps, self.neurons, self.dt, self.n, self.name, self.t_stop = steps, neurons, dt, n, name, t_stop

    def __len__(self) -> int:
        return int(self.steps.size)

    def __repr__(self) -> str:
        return f"SpikeData({self.name!r}, {len(self)} spikes)"


def _rows(group: h5py.Group, columns: tuple[str, ...]) -> int:
    """The rows of a record that the file vouches for: its ``rows`` attribute (set at each
    flush, after the rows; format version 2), and no more than every column holds."""
    n = min(group[k].shape[0] for k in columns)
    if "rows" in group.attrs:
        n = min(n, int(group.attrs["rows"]))
    return n


def _bind(record, run: RunFile, group: h5py.Group):
    """Set what every record of a file has (run, group, name, population, dt, t_start);
    returns the group's attributes."""
    a = group.attrs
    record.run = run
    record.group = group
    record.name = group.name.rsplit("/", 1)[1]
    record.population = _text(a["population"])
    record.dt = float(a["dt"])
    record.t_start = int(a["start_step"]) * record.dt
    return a


class LoadedSpikes(_Spikes):
    """A spike record of a file; arrays are read when accessed.

    Attributes
    ----------
    name : str
        Record name (group ``spikes/<name>``).
    population : str
        Name of the recorded population.
    n : int
        Number of neurons the record covers; ``population_size`` that of the population.
    selection : ndarray or None
        The recorded neurons, when not all.
    dt, t_start, t_stop : float, ms
        Time step; when the recording started; up to when the file holds it.
    steps : ndarray of int64
        End step of each spike (``times = steps * dt``).
    neurons : ndarray of int32
        Neuron index (within the population) of each spike.
    """

    def __init__(self, run: RunFile, group: h5py.Group) -> None:
        a = _bind(self, run, group)
        self.population_size = int(a["population_size"])
        self.n = int(a["n"])
        self.t_stop = run.t_stop
        self.selection = group["selection"][()] if "selection" in group else None

    def __len__(self) -> int:
        return _rows(self.group, ("steps", "neurons"))

    @property
    def steps(self) -> np.ndarray:
        return self.group["steps"][: len(self)]

    @property
    def neurons(self) -> np.ndarray:
        return self.group["neurons"][: len(self)]

    def iter_chunks(self, rows: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(steps, neurons)`` blocks of at most ``rows`` spikes (default :data:`READ_ROWS`), in order."""
        rows = READ_ROWS if rows is None else int(rows)
        total = len(self)
        for a in range(0, total, rows):
            b = min(a + rows, total)
            yield self.group["steps"][a:b], self.group["neurons"][a:b]

    def _row(self, step: float) -> int:
        """First row whose step is >= ``step`` (binary search on the file: steps are sorted)."""
        ds, lo, hi = self.group["steps"], 0, len(self)
        while hi - lo > 4096:
            mid = (lo + hi) // 2
            if ds[mid] < step:
                lo = mid + 1
            else:
                hi = mid
        return lo + int(np.searchsorted(ds[lo:hi], step, side="left"))

    def select(self, neurons: Iterable[int] | None = None, t_start: float | None = None,
               t_stop: float | None = None) -> SpikeData:
        """The spikes of ``neurons`` (population indices) with ``t_start < time <= t_stop`` (ms),
        read block by block: memory holds the result and one block."""
        a = 0 if t_start is None else self._row(np.floor(t_start / self.dt + 1e-9) + 1)
        b = len(self) if t_stop is None else self._row(np.floor(t_stop / self.dt + 1e-9) + 1)
        keep = None if neurons is None else np.zeros(self.population_size, bool)
        if keep is not None:
            idx = np.asarray(list(neurons) if not isinstance(neurons, np.ndarray) else neurons, np.int64)
            if idx.size and (idx.min() < 0 or idx.max() >= self.population_size):
                raise ValueError(f"select: neuron indices must be in [0, {self.population_size})")
            keep[idx] = True
        out_s, out_n = [], []
        for lo in range(a, b, READ_ROWS):
            hi = min(lo + READ_ROWS, b)
            s, n = self.group["steps"][lo:hi], self.group["neurons"][lo:hi]
            if keep is not None:
                m = keep[n]
                s, n = s[m], n[m]
            out_s.append(s)
            out_n.append(n)
        steps = np.concatenate(out_s) if out_s else np.empty(0, np.int64)
        idx_out = np.concatenate(out_n) if out_n else np.empty(0, np.int32)
        n = self.n if keep is None else int(np.flatnonzero(keep).max(initial=-1)) + 1  # rows of a raster
        return SpikeData(steps, idx_out, self.dt, n, self.name, self.t_stop if t_stop is None else float(t_stop))

    def counts(self) -> np.ndarray:
        """Spikes of each neuron of the population (length ``population_size``), in bounded memory."""
        out = np.zeros(self.population_size, np.int64)
        for _, n in self.iter_chunks():
            out += np.bincount(n, minlength=self.population_size)
        return out

    def bin_counts(self, edges: np.ndarray) -> np.ndarray:
        """Spikes in each bin ``(edges[i], edges[i + 1]]`` (ms), in bounded memory."""
        edges = np.asarray(edges, np.float64)
        out = np.zeros(max(edges.size - 1, 0), np.int64)
        eps = 1e-9 * max(1.0, abs(float(edges[-1]))) if edges.size else 0.0
        for s, _ in self.iter_chunks():
            t = s * self.dt
            which = np.searchsorted(edges, t - eps, side="left") - 1
            ok = (which >= 0) & (which < out.size)
            out += np.bincount(which[ok], minlength=out.size)
        return out

    def rate(self, duration: float | None = None) -> float:
        """Mean firing rate (Hz) of the recorded neurons over ``duration`` ms (default: from the
        start of the recording to ``t_stop``)."""
        duration = self.t_stop - self.t_start if duration is None else duration
        return len(self) / max(self.n, 1) / (duration / 1000.0) if duration > 0 else 0.0

    def __repr__(self) -> str:
        return f"LoadedSpikes({self.name!r}, population {self.population!r}, {len(self)} spikes)"


class LoadedState:
    """A state record of a file; arrays are read when accessed.

    Attributes
    ----------
    name, population : str
    variables : tuple of str
    neurons : ndarray of int64
        The recorded neurons (population indices), one per column.
    every : int
        Steps between samples.
    units : dict of str to str
    dt : float, ms
    steps : ndarray of int64
        Step of each sample; ``times = steps * dt`` (ms), the time at which the values hold.
    <variable> : ndarray, shape (samples, len(neurons))
        Also ``record["v"]``.
    """

    kind = "state"

    def __init__(self, run: RunFile, group: h5py.Group) -> None:
        a = _bind(self, run, group)
        self.variables = tuple(json.loads(a["variables"]))
        self.units = json.loads(a["units"])
        self.every = int(a["every"])
        self.neurons = group["neurons"][()]

    def __len__(self) -> int:
        return _rows(self.group, ("steps", *self.variables))

    @property
    def steps(self) -> np.ndarray:
        return self.group["steps"][: len(self)]

    @property
    def times(self) -> np.ndarray:
        return self.steps * self.dt

    def __getitem__(self, variable: str) -> np.ndarray:
        if variable not in self.variables:
            raise KeyError(f"{variable!r} is not recorded; recorded: {', '.join(self.variables)}")
        return self.group[variable][: len(self)]

    def __getattr__(self, name: str) -> np.ndarray:
        variables = self.__dict__.get("variables", ())
        if name in variables:
            return self[name]
        raise AttributeError(name)

    def to_dataframe(self):
        """Wide frame: index time (ms), columns (variable, neuron) (needs pandas)."""
        import pandas as pd

        n = len(self)
        cols = pd.MultiIndex.from_product([self.variables, self.neurons.tolist()], names=["variable", "neuron"])
        values = np.concatenate([self.group[v][:n] for v in self.variables], axis=1) if self.variables else None
        index = pd.Index(self.group["steps"][:n] * self.dt, name="time")
        return pd.DataFrame(values, index=index, columns=cols)

    def __repr__(self) -> str:
        return (f"LoadedState({self.name!r}, population {self.population!r}, {list(self.variables)}, "
                f"{len(self.neurons)} neurons, {len(self)} samples)")

"""Stream a network's records to one HDF5 file while it runs (``net.run(..., output=path)``).

The engine hands every drained record buffer to an :class:`HDF5Writer`, which appends the
rows to chunked, compressed (shuffle + gzip level 1), resizable datasets through a buffer of
one chunk per dataset: memory stays bounded whatever the run length. The layout (one group
per population, projection and record; attributes with units and versions) is described in
the README, section *HDF5 layout*, and read back by :func:`fastspike.load`.

Safety
------
* Every dataset is created when the run starts; the file then switches to HDF5's SWMR mode
  (single writer, multiple readers: ``libver >= v110``), so that other processes can read it
  while it is written (``h5py.File(path, "r", swmr=True)``), and a writer killed at any point
  leaves a file that opens with everything up to the last flush.
* Rows are flushed to the file at least every :data:`FLUSH_EVERY` ms of simulated time (and
  every :data:`FLUSH_WALL` s of wall time), and when the run stops for any reason.
* A run that ends normally sets the root attribute ``complete`` to True; one stopped by an
  exception or Ctrl-C sets it to False, with the reason in ``status``. A writer killed
  without warning (SIGKILL, power loss) leaves ``complete`` False and the SWMR flag set: open
  such a file with ``swmr=True`` (as :func:`fastspike.load` does) or clear it with ``h5clear -s``.
* An existing file is never replaced unless ``overwrite=True``; a later ``run()`` of the same
  network with the same ``output`` appends to the datasets.

Measured choices (see the README): SWMR writers never reuse file space, so a chunk rewritten
while partly filled leaves its old copy behind; rows are therefore buffered and written one
whole chunk at a time, and a partial chunk is written only at a flush.
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from .memory import FileSegment, SpikeRecord, StateRecord

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network, Population

__all__ = ["HDF5Writer", "prepare", "open_for_reading", "read_segment", "FORMAT", "FORMAT_VERSION"]

FORMAT = "fastspike-hdf5"
FORMAT_VERSION = 1
LIBVER = ("v110", "latest")  # SWMR needs the v110 file format; readable by HDF5 >= 1.10
FILTERS = {"shuffle": True, "compression": "gzip", "compression_opts": 1}
FLUSH_EVERY = 1000.0  # ms of simulated time between flushes, at most
FLUSH_WALL = 10.0  # s of wall time between flushes, at most (readers of a slow run see progress)
SPIKE_CHUNK = (2048, 65536)  # rows per chunk of spike datasets: smallest, largest
STATE_CHUNK_ELEMENTS = 1 << 17  # values per chunk of a state variable (1 MiB in float64)
STATE_CHUNK_COLUMNS = 1 << 15

_OPEN: dict[str, "HDF5Writer"] = {}  # path -> writer holding the file open in this process


# ---------------------------------------------------------------------------------------
# choosing the file
# ---------------------------------------------------------------------------------------
def prepare(net: "Network", output: str | os.PathLike, overwrite: bool, connectivity: bool) -> "HDF5Writer":
    """Check ``output`` before anything runs and return the writer that will fill it.

    Returns the network's current writer when ``output`` is the file it wrote last (append),
    else a new writer (the file is created, or replaced when ``overwrite``, by ``start()``).

    Raises
    ------
    TypeError
        ``output`` is not a path, or ``overwrite`` / ``connectivity`` not a bool.
    FileNotFoundError
        The folder of ``output`` does not exist.
    PermissionError
        A file cannot be created in that folder.
    IsADirectoryError
        ``output`` is a folder.
    FileExistsError
        ``output`` exists, was not written by this network, and ``overwrite`` is False.
    """
    if not isinstance(output, (str, os.PathLike)) or isinstance(output, bytes) or not str(output):
        raise TypeError(f"run: output={output!r} must be a file path (str or pathlib.Path)")
    for name, flag in (("overwrite", overwrite), ("connectivity", connectivity)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"run: {name}={flag!r} must be True or False")
    path = Path(os.path.abspath(os.path.expanduser(os.fspath(output))))
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"run: the folder of output={os.fspath(output)!r} does not exist ({folder}); "
                                f"create it first")
    if path.is_dir():
        raise IsADirectoryError(f"run: output={os.fspath(output)!r} is a folder; give a file path such as "
                                f"{os.path.join(os.fspath(output), 'run.h5')!r}")
    _check_writable(folder, output)
    key = os.path.realpath(path)
    current = getattr(net, "_output", None)
    if current is not None and current.key == key and path.exists() and current.owns_file():
        current.connectivity = current.connectivity or bool(connectivity)
        current.mode = "append"
        return current
    if path.exists() and not overwrite:
        raise FileExistsError(f"run: output file {str(path)!r} already exists and was not written by this "
                              f"network; pass overwrite=True to replace it, or choose another path")
    writer = HDF5Writer(net, path, bool(connectivity))
    writer.mode = "overwrite" if path.exists() else "create"
    return writer


def _check_writable(folder: Path, output: Any) -> None:
    """Create and remove a scratch file in ``folder`` (``os.access`` says yes to root even on
    read-only folders)."""
    probe = folder / f".fastspike-probe-{uuid.uuid4().hex}"
    try:
        with open(probe, "xb"):
            pass
    except OSError as e:
        raise PermissionError(f"run: cannot create output={os.fspath(output)!r}: the folder {str(folder)!r} is "
                              f"not writable ({e.strerror or e})") from None
    try:
        probe.unlink()
    except OSError:  # pragma: no cover
        pass


# ---------------------------------------------------------------------------------------
# appending rows through a one-chunk buffer
# ---------------------------------------------------------------------------------------
class _Column:
    """Appends rows to one resizable dataset (chunked along its first axis).

    Rows are copied into a buffer of one chunk; whole chunks are written once, and the partial
    chunk at the end only at a flush (a SWMR writer does not reuse the space of a rewritten
    chunk, so rewriting partial chunks often would bloat the file).
    """

    def __init__(self, ds: h5py.Dataset) -> None:
        self.ds = ds
        self.chunk = int(ds.chunks[0])
        size = int(ds.shape[0])
        self.base = size - size % self.chunk  # first row held in the buffer
        self.buf = np.empty((self.chunk, *ds.shape[1:]), ds.dtype)
        self.fill = size - self.base
        if self.fill:  # the partial last chunk of an earlier run: continue it
            self.buf[: self.fill] = ds[self.base:size]
        self.saved = self.fill  # rows of the buffer already in the dataset

    @property
    def rows(self) -> int:
        """Rows appended (in the file or in the buffer)."""
        return self.base + self.fill

    def append(self, a: np.ndarray) -> None:
        i, n = 0, len(a)
        while i < n:
            if self.fill == 0 and n - i >= self.chunk:  # whole chunks straight from the input
                k = (n - i) // self.chunk * self.chunk
                self._write(self.base, a[i:i + k])
                self.base += k
                i += k
                continue
            take = min(self.chunk - self.fill, n - i)
            self.buf[self.fill:self.fill + take] = a[i:i + take]
            self.fill += take
            i += take
            if self.fill == self.chunk:
                self._write(self.base, self.buf)
                self.base += self.chunk
                self.fill = self.saved = 0

    def flush(self) -> None:
        """Write the rows of the partial last chunk."""
        if self.fill > self.saved:
            self._write(self.base, self.buf[: self.fill])
            self.saved = self.fill

    def _write(self, start: int, block: np.ndarray) -> None:
        stop = start + len(block)
        if self.ds.shape[0] < stop:
            self.ds.resize(stop, axis=0)
        self.ds[start:stop] = block


class _Sink:
    """Where one record goes: its group, its columns and its segment (the record's view of them)."""

    def __init__(self, record: SpikeRecord | StateRecord, group: str) -> None:
        self.record = record
        self.group = group
        self.columns: dict[str, _Column] = {}
        self.segment: FileSegment | None = None

    @property
    def rows(self) -> int:
        return self.columns["steps"].rows

    def append(self, columns: dict[str, np.ndarray]) -> None:
        for name, a in columns.items():
            self.columns[name].append(a)
        if self.segment is not None:
            self.segment.stop = self.rows


# ---------------------------------------------------------------------------------------
# the writer
# ---------------------------------------------------------------------------------------
class HDF5Writer:
    """Streams the records of ``net`` to the HDF5 file ``path`` (see the module docstring).

    The network keeps its writer between runs (``net._output``) so that a later run with the
    same ``output`` appends. Between runs the file is closed.

    Parameters
    ----------
    net : Network
    path : Path
        Absolute path of the file.
    connectivity : bool
        Also store every projection's synapses (CSR arrays).

    Attributes
    ----------
    mode : {"create", "overwrite", "append"}
        What the next ``start()`` does.
    max_steps : int
        Steps of simulated time between two flushes, at most (:data:`FLUSH_EVERY` / dt).
    seconds : float, s
        Wall time spent writing (compression included).
    """

    def __init__(self, net: "Network", path: Path, connectivity: bool) -> None:
        self.net = net
        self.path = str(path)
        self.key = os.path.realpath(path)
        self.connectivity = connectivity
        self.file_id = uuid.uuid4().hex
        self.file: h5py.File | None = None
        self.mode = "create"
        self.sinks: dict[int, _Sink] = {}  # id(record) -> sink (the sink keeps the record alive)
        self.max_steps = max(1, int(round(FLUSH_EVERY / net.dt)))
        self.seconds = 0.0
        self._flushed_step = 0
        self._flushed_wall = 0.0

    # -- life cycle ------------------------------------------------------------------------
    def owns_file(self) -> bool:
        """True when the file at ``path`` is still the one this writer created."""
        try:
            with open_for_reading(self.path) as f:
                return _text(f.attrs.get("file_id", "")) == self.file_id
        except OSError:
            return False

    def start(self) -> None:
        """Create (or reopen) the file, write the metadata, create every dataset, move the rows
        the records hold in memory to it, and switch to SWMR mode."""
        t0 = time.perf_counter()
        self.seconds = 0.0
        net = self.net
        if self.mode == "append":
            f = self._open("r+")
        else:
            f = self._open("w")
            if self.mode == "overwrite":  # the records' rows in the replaced file are gone
                for rec in net.records:
                    rec._segments = [s for s in rec._segments if os.path.realpath(s.path) != self.key]
        self.file = f
        try:
            if self.mode != "append":
                self._write_root(f)
            f.attrs["complete"] = False
            f.attrs["status"] = "running"
            f.attrs["modified"] = _now()
            self._write_populations(f)
            self._write_projections(f)
            for rec in net.records:
                self._bind(f, rec)
            f["progress"][0] = net.step
            f.swmr_mode = True
            _OPEN[self.key] = self
        except BaseException:
            try:  # rows already moved from memory to the buffers go to the file
                for sink in self.sinks.values():
                    for col in sink.columns.values():
                        col.flush()
            except Exception:  # pragma: no cover - keep the first error
                pass
            finally:
                self.file = None
                f.close()
            raise
        self._flushed_step = net.step
        self._flushed_wall = time.perf_counter()
        self.seconds += time.perf_counter() - t0

    def _open(self, mode: str) -> h5py.File:
        try:
            return h5py.File(self.path, mode, libver=LIBVER, rdcc_nbytes=0)
        except OSError as e:
            raise OSError(f"run: cannot open output file {self.path!r} for writing ({e}); is it open in another "
                          f"program, or by fs.load() in this one? Close it first") from None

    def close(self, error: BaseException | None = None) -> None:
        """Flush, record how the run ended (``complete``, ``status``, ``t_stop``) and close."""
        f = self.file
        if f is None:
            return
        net = self.net
        t0 = time.perf_counter()
        try:
            self.flush()
        finally:
            try:  # attributes created before SWMR started, modified in place (same type and shape)
                a = f.attrs
                a.modify("complete", error is None)
                a.modify("status", "complete" if error is None else
                         f"interrupted by {type(error).__name__} at t = {net.step * net.dt:g} ms")
                a.modify("step_stop", np.int64(net.step))
                a.modify("t_stop", np.float64(net.step * net.dt))
                a.modify("runs", np.int64(a["runs"]) + 1)
                a.modify("modified", _now())
                f.flush()
            finally:
                self.file = None
                _OPEN.pop(self.key, None)
                f.close()
                self.seconds += time.perf_counter() - t0

    # -- called by the engine ----------------------------------------------------------------
    def spikes(self, record: SpikeRecord, steps: np.ndarray, neurons: np.ndarray) -> None:
        """Append spikes (``steps``: end step of each spike; ``neurons``: index in the population)."""
        t0 = time.perf_counter()
        self.sinks[id(record)].append({"steps": steps, "neurons": neurons})
        self.seconds += time.perf_counter() - t0

    def samples(self, record: StateRecord, steps: np.ndarray, values: dict[str, np.ndarray]) -> None:
        """Append state samples (``values[var]`` of shape ``(len(steps), len(record.neurons))``)."""
        t0 = time.perf_counter()
        self.sinks[id(record)].append({"steps": steps, **values})
        self.seconds += time.perf_counter() - t0

    def until_flush(self, step: int) -> int:
        """Steps the engine may run from ``step`` before the next flush is due (>= 1)."""
        return max(1, self._flushed_step + self.max_steps - step)

    def tick(self, step: int) -> None:
        """The network reached ``step`` and its buffers are drained: flush when one is due."""
        if step - self._flushed_step >= self.max_steps or time.perf_counter() - self._flushed_wall >= FLUSH_WALL:
            self.flush()

    def flush(self) -> None:
        """Write every buffered row and make the file consistent on disk (and visible to readers)."""
        f = self.file
        if f is None:
            return
        t0 = time.perf_counter()
        for sink in self.sinks.values():
            for col in sink.columns.values():
                col.flush()
        f.flush()
        # then the progress mark, so that a reader never sees it ahead of the rows it vouches for
        f["progress"][0] = self.net.step
        f.flush()
        self._flushed_step = self.net.step
        self._flushed_wall = time.perf_counter()
        self.seconds += self._flushed_wall - t0

    # -- layout ----------------------------------------------------------------------------
    def _write_root(self, f: h5py.File) -> None:
        import numba

        from .._version import __version__

        net = self.net
        a = f.attrs
        a["format"] = FORMAT
        a["format_version"] = FORMAT_VERSION
        a["file_id"] = self.file_id
        a["created"] = _now()
        a["fastspike_version"] = __version__
        a["python_version"] = platform.python_version()
        a["numpy_version"] = np.__version__
        a["numba_version"] = numba.__version__
        a["h5py_version"] = h5py.__version__
        a["hdf5_version"] = h5py.version.hdf5_version
        a["dt"] = net.dt
        a["seed"] = -1 if net.seed is None else int(net.seed) if net.seed < 1 << 63 else str(int(net.seed))
        a["backend"] = net.backend_name
        a["dtype"] = net.dtype.name
        a["threads"] = net.threads
        a["time_unit"] = "ms"
        a["voltage_unit"] = "mV"
        a["rate_unit"] = "Hz"
        a["step_start"] = net.step
        a["t_start"] = net.step * net.dt
        a["step_stop"] = net.step
        a["t_stop"] = net.step * net.dt
        a["runs"] = 0
        a["compression"] = "shuffle+gzip1"
        p = f.create_dataset("progress", (1,), np.int64, maxshape=(None,), chunks=(1,))
        p.attrs["doc"] = "step up to which every record is in the file (updated at each flush); t = step * dt"
        for name in ("populations", "projections", "spikes", "state"):
            f.create_group(name)

    def _write_populations(self, f: h5py.File) -> None:
        groups = f["populations"]
        for pop in self.net.populations:
            name = _safe(pop.name)
            if name in groups:
                continue
            g = groups.create_group(name)
            desc = pop.model.describe()
            g.attrs["name"] = pop.name
            g.attrs["index"] = pop.index
            g.attrs["model"] = str(desc["model"])
            g.attrs["n"] = pop.n
            g.attrs["integrator"] = pop.integrator
            g.attrs["repr"] = repr(pop.model)
            g.attrs["state_variables"] = json.dumps(list(pop.state_names))
            g.attrs["state_units"] = json.dumps({s.name: s.unit for s in pop.model.state_variables})
            g.attrs["parameter_units"] = json.dumps(desc.get("units", {}))
            g.attrs["options"] = json.dumps(desc.get("options", {}))
            g.attrs["inputs"] = json.dumps([repr(c) for c in pop.currents] + [repr(p) for p in pop.poisson_inputs])
            params = g.create_group("parameters")
            units = desc.get("units", {})
            for key, value in desc.get("parameters", {}).items():
                _put(params, key, value, units.get(key))

    def _write_projections(self, f: h5py.File) -> None:
        groups = f["projections"]
        for proj in self.net.projections:
            name = str(proj.index)
            g = groups[name] if name in groups else groups.create_group(name)
            if not g.attrs:
                g.attrs["pre"] = proj.pre.name
                g.attrs["post"] = proj.post.name
                g.attrs["connector"] = repr(proj.connector)
                g.attrs["synapse"] = repr(proj.synapse)
                g.attrs["n_synapses"] = int(proj.n_synapses)
                g.attrs["delivery"] = proj.delivery
                g.attrs["min_delay"] = int(proj.min_delay)
                g.attrs["max_delay"] = int(proj.max_delay)
                g.attrs["delay_unit"] = "steps"
                g.attrs["start_step"] = int(proj.start_step)
            if self.connectivity and "targets" not in g:
                for key, arr in (("indptr", proj.indptr), ("targets", proj.targets), ("weights", proj.weights),
                                 ("delays", proj.delays)):
                    arr = np.asarray(arr)
                    g.create_dataset(key, data=arr, chunks=(min(max(arr.size, 1), 1 << 18),), **FILTERS)
                g["weights"].attrs["doc"] = "one per synapse, or a single value shared by all"
                g["delays"].attrs["unit"] = "steps"
                g["delays"].attrs["doc"] = "one per synapse, or a single value shared by all"

    def _bind(self, f: h5py.File, rec: SpikeRecord | StateRecord) -> None:
        """Give ``rec`` its group and columns (created if new) and move its memory rows there."""
        sink = self.sinks.get(id(rec))
        if sink is None or sink.record is not rec:
            kind = "spikes" if rec.kind == "spikes" else "state"
            taken = set(f[kind]) | {s.group.split("/", 1)[1] for s in self.sinks.values() if s.group.startswith(kind)}
            base = _safe(rec.population.name)
            name, k = base, 1
            while name in taken:
                name, k = f"{base}_{k}", k + 1
            sink = _Sink(rec, f"{kind}/{name}")
            self._create_record(f, sink)
            self.sinks[id(rec)] = sink
        g = f[sink.group]
        sink.columns = {key: _Column(g[key]) for key in _row_datasets(rec)}
        rows = min(c.rows for c in sink.columns.values())
        if not rec._segments or rec._segments[-1] is not sink.segment:
            sink.segment = FileSegment(self.path, sink.group, self.file_id, rows, rows)
            rec._segments.append(sink.segment)
        if len(rec._steps):  # rows kept in memory by runs without output: move them to the file
            steps, other = rec._take_memory()
            columns = {"steps": steps, "neurons": other} if rec.kind == "spikes" else {"steps": steps, **other}
            try:
                sink.append(columns)
            except BaseException:
                rec._append(steps, other)  # nothing is lost: the rows go back to memory
                raise

    def _create_record(self, f: h5py.File, sink: _Sink) -> None:
        rec, net = sink.record, self.net
        g = f.create_group(sink.group)
        g.attrs["population"] = rec.population.name
        g.attrs["population_size"] = rec.population.n
        g.attrs["start_step"] = rec.start_step
        g.attrs["dt"] = net.dt
        per_flush = FLUSH_EVERY / net.dt  # steps per flush interval
        if isinstance(rec, SpikeRecord):
            g.attrs["n"] = rec.n
            rows = int(np.clip(_pow2(rec.n * 10.0 * FLUSH_EVERY / 1000.0), *SPIKE_CHUNK))  # ~10 Hz expected
            _column(g, "steps", np.int64, rows, unit="steps", doc="end step of each spike; time = steps * dt (ms)")
            _column(g, "neurons", np.int32, rows, doc="index within the population of the neuron that spiked")
            if rec.selection is not None:
                g.create_dataset("selection", data=np.asarray(rec.selection, np.int64))
                g["selection"].attrs["doc"] = "the recorded neurons (indices within the population)"
        else:
            m = len(rec.neurons)
            g.attrs["variables"] = json.dumps(list(rec.variables))
            g.attrs["every"] = rec.every
            samples = max(per_flush / rec.every, 1.0)
            _column(g, "steps", np.int64, int(np.clip(_pow2(samples), 16, 1 << 16)), unit="steps",
                    doc="step of each sample; time = steps * dt (ms), the time at which the values hold")
            g.create_dataset("neurons", data=np.asarray(rec.neurons, np.int64))
            g["neurons"].attrs["doc"] = "the recorded neurons (indices within the population), one per column"
            cols = min(m, STATE_CHUNK_COLUMNS)
            rows = int(np.clip(_pow2(samples), 1, max(1, STATE_CHUNK_ELEMENTS // cols)))
            units = _variable_units(rec.population)
            for v in rec.variables:
                ds = g.create_dataset(v, (0, m), net.dtype, maxshape=(None, m), chunks=(rows, cols), **FILTERS)
                ds.attrs["unit"] = units.get(v, "")
            g.attrs["units"] = json.dumps({v: units.get(v, "") for v in rec.variables})


# ---------------------------------------------------------------------------------------
# reading (the records of a network read their file segments through this)
# ---------------------------------------------------------------------------------------
def open_for_reading(path: str | os.PathLike) -> h5py.File:
    """Open a fastspike file read-only: a complete one, one being written by another process,
    or one left by a killed writer (SWMR read mode serves all three)."""
    try:
        return h5py.File(path, "r", swmr=True)
    except OSError:
        return h5py.File(path, "r")


def read_segment(segment: FileSegment, name: str) -> np.ndarray:
    """Rows ``segment.start:segment.stop`` of dataset ``name`` of the segment's record group."""
    writer = _OPEN.get(os.path.realpath(segment.path))
    if writer is not None and writer.file is not None:  # read during a run: flush the buffers first
        writer.flush()
        return writer.file[segment.group][name][segment.start:segment.stop]
    try:
        f = open_for_reading(segment.path)
    except OSError as e:
        raise OSError(f"the record's data streamed to {segment.path!r} cannot be read: {e}") from None
    with f:
        if _text(f.attrs.get("file_id", "")) != segment.file_id:
            raise OSError(f"the record's data were streamed to {segment.path!r}, but that file has been replaced "
                          f"since; they are gone")
        return f[segment.group][name][segment.start:segment.stop]


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _row_datasets(rec: SpikeRecord | StateRecord) -> tuple[str, ...]:
    return ("steps", "neurons") if rec.kind == "spikes" else ("steps", *rec.variables)


def _column(g: h5py.Group, name: str, dtype, rows: int, unit: str | None = None, doc: str | None = None) -> None:
    ds = g.create_dataset(name, (0,), dtype, maxshape=(None,), chunks=(rows,), **FILTERS)
    if unit is not None:
        ds.attrs["unit"] = unit
    if doc is not None:
        ds.attrs["doc"] = doc


def _pow2(x: float) -> int:
    return 1 << max(0, int(np.ceil(np.log2(max(x, 1.0)))))


def _safe(name: str) -> str:
    """A population name as an HDF5 link name (no '/', not '.' or empty)."""
    name = str(name).replace("/", "_")
    return name if name not in ("", ".") else "_"


def _put(group: h5py.Group, key: str, value: Any, unit: str | None) -> None:
    """A parameter: a scalar as an attribute, an array as a dataset (with its unit)."""
    if value is None:
        return
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        group.attrs[key] = str(value)
    elif arr.ndim == 0:
        group.attrs[key] = arr[()]
    else:
        ds = group.create_dataset(key, data=arr, **(FILTERS if arr.size > 1024 else {}))
        if unit:
            ds.attrs["unit"] = unit


_CURRENT_UNITS = {"GOhm": "pA", "MOhm": "nA", "kOhm": "uA", "Ohm": "mA"}


def _variable_units(pop: "Population") -> dict[str, str]:
    units = {s.name: s.unit for s in pop.model.state_variables}
    r_unit = next((p.unit for p in pop.model.parameters if p.name == "R"), None)
    units["I"] = _CURRENT_UNITS.get(r_unit, "mV/R") if r_unit else "mV/R"
    return units


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

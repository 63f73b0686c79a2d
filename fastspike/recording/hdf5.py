"""Stream a network's records to one HDF5 file while it runs (``net.run(..., output=path)``).

The engine hands every drained record buffer to an :class:`HDF5Writer`, which appends the
rows to chunked, compressed (shuffle + gzip level 1), resizable datasets through a buffer of
one chunk per dataset: memory stays bounded whatever the run length. The layout (one group
per population, projection and record; attributes with units and versions) is described in
the README, section *HDF5 layout*, and read back by :func:`fastspike.load`.

Safety
------
* A new file is written under a temporary name next to its path and renamed into place once
  its layout is complete: a writer killed or refused while creating it leaves nothing at the
  path, and a replaced file (``overwrite=True``) is never written by the writer of the old
  one, which keeps its own (unlinked) copy.
* While a run writes, the writer holds an advisory lock on ``.<name>.fastspike-lock`` (see
  :mod:`fastspike.recording.files`): a second process cannot replace or append to the file,
  and a reader tells a live writer from a killed one.
* Every dataset is created when the run starts; the file then switches to HDF5's SWMR mode
  (single writer, multiple readers: ``libver >= v110``), so that other processes can read it
  while it is written (``h5py.File(path, "r", swmr=True)``), and a writer killed at any point
  leaves a file that opens with everything up to the last flush.
* Rows are flushed to the file at least every :data:`FLUSH_EVERY` ms of simulated time (and
  every :data:`FLUSH_WALL` s of wall time), and when the run stops for any reason. A flush
  writes the rows, then each record's ``rows`` attribute and ``/progress``: a reader takes
  no more rows than ``rows`` says, so it sees exactly the state of the last flush.
* Before every write, the space left on the file's device (and under ``RLIMIT_FSIZE``) is
  checked: a write that would leave less than :data:`RESERVE_BYTES` is not started, so that
  HDF5 never meets a full disk inside its own structures. The run then stops with an
  ``OSError`` (ENOSPC); the file is closed holding exactly the rows of the last flush (its
  ``t_stop`` says up to when), the rows recorded since go back to the records' memory, and a
  later ``run()`` with the same ``output`` (once space is freed) appends them.
* A run that ends normally sets the root attribute ``complete`` to True; one stopped by an
  exception, Ctrl-C or SIGTERM sets it to False, with the reason in ``status``. A writer
  killed without warning (SIGKILL, power loss) leaves ``complete`` False and the SWMR flag
  set: open such a file with ``swmr=True`` (as :func:`fastspike.load` does) or clear it with
  ``h5clear -s``.
* An existing file is never replaced unless ``overwrite=True``; a later ``run()`` of the same
  network with the same ``output`` appends to the datasets.

Measured choices (see the README): SWMR writers never reuse file space, so a chunk rewritten
while partly filled leaves its old copy behind; rows are therefore buffered and written one
whole chunk at a time, and a partial chunk is written only at a flush.
"""
from __future__ import annotations

import datetime
import errno
import json
import os
import platform
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from . import files
from .memory import FileSegment, SpikeRecord, StateRecord, SynapseRecord

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network, Population

__all__ = ["HDF5Writer", "prepare", "open_for_reading", "read_segment", "FORMAT", "FORMAT_VERSION",
           "READABLE_VERSIONS", "DiskFullError", "check_format"]

FORMAT = "fastspike-hdf5"
FORMAT_VERSION = 2
"""Version 2: names escaped with ``%2F`` (not ``_``), a ``rows`` attribute per record (the rows
that the last flush vouches for)."""
READABLE_VERSIONS = (1, 2)
RESERVE_BYTES = 1 << 20
"""Bytes kept free on the output's device: a write that would leave less is not started, so
that the file can still be closed consistently (its metadata and attributes written)."""
LAYOUT_BYTES = 1 << 16
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
class DiskFullError(OSError):
    """The output's device (or the process's file size limit) has no room for the next rows."""


def check_format(f: h5py.File, path: str, what: str) -> int:
    """The file's ``format_version``, after refusing a file that is not a fastspike recording
    or was written by a newer fastspike (whose layout this one does not know)."""
    if _text(f.attrs.get("format", "")) != FORMAT:
        raise ValueError(f"{what}: {path!r} is not a fastspike recording (no root attribute format={FORMAT!r})")
    try:
        version = int(f.attrs.get("format_version", 1))
    except (TypeError, ValueError):
        version = -1
    if version not in READABLE_VERSIONS:
        from .._version import __version__

        shown = f.attrs.get("format_version")
        shown = shown.item() if isinstance(shown, np.generic) else shown
        raise ValueError(f"{what}: {path!r} has format_version {shown!r}, written by "
                         f"fastspike {_text(f.attrs.get('fastspike_version', '?'))}; this fastspike ({__version__}) "
                         f"reads versions {', '.join(map(str, READABLE_VERSIONS))}: upgrade fastspike to read it")
    return version


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
        ``output`` exists, was not written by this network, and ``overwrite`` is False; or
        another process is writing it (a live writer's lock), whatever ``overwrite``.
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
    if key not in _OPEN:  # a writer of this process is not running: is one of another process?
        holder = files.live_writer(path)
        if holder is not None:
            raise FileExistsError(f"run: output file {str(path)!r} is being written by {files.describe_writer(holder)}; "
                                  f"it cannot be replaced or appended to while that run goes on (wait for it to "
                                  f"finish, or choose another path)")
    if current is not None and current.key == key and path.exists():
        try:
            files.check_complete_bytes(path, "run")
        except files.DamagedFileError as e:  # a write failed inside HDF5 itself (the disk filled up at once)
            raise files.DamagedFileError(f"{e}; this network wrote it, but it cannot be appended to: choose another "
                                         f"output (the rows recorded since its last flush are in the records' "
                                         f"memory and go there)") from None
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
    chunk, so rewriting partial chunks often would bloat the file). Every write first asks the
    writer for room (``room(nbytes)``).
    """

    def __init__(self, ds: h5py.Dataset, rows: int, room) -> None:
        self.ds = ds
        self.room = room
        self.chunk = int(ds.chunks[0])
        size = min(int(ds.shape[0]), rows)  # rows past the record's ``rows`` attribute are not valid
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

    @property
    def row_bytes(self) -> int:
        return self.buf.itemsize * int(np.prod(self.buf.shape[1:], dtype=np.int64))

    def bytes_to_append(self, n: int) -> int:
        """Bytes that appending ``n`` rows writes now (the whole chunks it completes)."""
        whole = (self.fill + n) // self.chunk * self.chunk
        return whole * self.row_bytes

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

    def flush_bytes(self) -> int:
        return (self.fill - self.saved) * self.row_bytes if self.fill > self.saved else 0

    def flush(self) -> None:
        """Write the rows of the partial last chunk."""
        if self.fill > self.saved:
            self._write(self.base, self.buf[: self.fill])
            self.saved = self.fill

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` (from the file below ``base``, from the buffer above)."""
        parts = []
        if start < self.base:
            parts.append(self.ds[start:min(stop, self.base)])
        if stop > self.base:
            parts.append(self.buf[max(start, self.base) - self.base:stop - self.base].copy())
        return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else self.buf[:0].copy()

    def _write(self, start: int, block: np.ndarray) -> None:
        stop = start + len(block)
        self.room(block.nbytes)
        if self.ds.shape[0] < stop:
            self.ds.resize(stop, axis=0)
        self.ds[start:stop] = block


class _Sink:
    """Where one record goes: its group, its columns and its segment (the record's view of them).

    ``flushed`` is the record's row count at the last flush (its ``rows`` attribute in the
    file); ``unsaved`` holds rows handed over after a write failed (kept for the record)."""

    def __init__(self, record: SpikeRecord | StateRecord, group: str) -> None:
        self.record = record
        self.group = group
        self.columns: dict[str, _Column] = {}
        self.segment: FileSegment | None = None
        self.flushed = 0
        self.unsaved: list[dict[str, np.ndarray]] = []

    @property
    def rows(self) -> int:
        return min(c.rows for c in self.columns.values())

    def bytes_to_append(self, columns: dict[str, np.ndarray]) -> int:
        return sum(self.columns[name].bytes_to_append(len(a)) for name, a in columns.items())

    def append(self, columns: dict[str, np.ndarray]) -> None:
        for name, a in columns.items():
            self.columns[name].append(a)
        if self.segment is not None:
            self.segment.stop = self.rows

    def keep(self, columns: dict[str, np.ndarray]) -> None:
        """Hold rows that could not be written. The engine hands the rows of a drain that
        raised again when it drains at the end of the run: the same rows are held once."""
        if self.unsaved:
            last = self.unsaved[-1]
            if all(len(last[k]) == len(v) and np.array_equal(last[k], v) for k, v in columns.items()):
                return
        self.unsaved.append({k: np.array(v, copy=True) for k, v in columns.items()})

    def rows_since_flush(self) -> dict[str, np.ndarray]:
        """The rows appended after the last flush (file and buffer) and the unsaved ones."""
        out = {}
        for name, col in self.columns.items():
            parts = [col.read(self.flushed, self.rows)] + [u[name] for u in self.unsaved]
            out[name] = np.concatenate(parts) if len(parts) > 1 else parts[0]
        return out


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
    failed : BaseException or None
        The write error that stopped the current run (no row is written after it).
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
        self.failed: BaseException | None = None
        self.lock = files.WriterLock(path)
        self._writing = self.path  # the file the writes go to (a temporary name while it is created)
        self._flushed_step = 0
        self._flushed_wall = 0.0

    # -- life cycle ------------------------------------------------------------------------
    def owns_file(self) -> bool:
        """True when the file at ``path`` is still the one this writer created."""
        try:
            with open_for_reading(self.path) as f:
                return _text(f.attrs.get("file_id", "")) == self.file_id
        except (OSError, ValueError):
            return False

    def room(self, nbytes: int) -> None:
        """Raise :class:`DiskFullError` unless ``nbytes`` can be written and
        :data:`RESERVE_BYTES` still be left (compression never grows rows by more than ~1 %)."""
        left = files.space_left(self._writing)
        need = int(nbytes * 1.02) + 4096
        if left is not None and left < need + RESERVE_BYTES:
            raise DiskFullError(errno.ENOSPC,
                                f"run: no room left for the output file {self.path!r}: {left} bytes can still be "
                                f"written on its device (or under the file size limit), {need} are needed for the "
                                f"next rows and {RESERVE_BYTES} kept to close the file consistently; free some space "
                                f"and run again with the same output to append")

    def start(self) -> None:
        """Create (or reopen) the file, write the metadata, create every dataset, move the rows
        the records hold in memory to it, and switch to SWMR mode."""
        t0 = time.perf_counter()
        self.seconds = 0.0
        self.failed = None
        net = self.net
        self.lock.acquire(self.file_id)
        moved: list[tuple] = []  # rows moved from the records' memory: back there if start fails
        before = {k: (s.segment, s.segment.stop if s.segment else 0, s.flushed) for k, s in self.sinks.items()}
        segments = {id(rec): list(rec._segments) for rec in net.records}  # restored if start fails
        f = None
        tmp = None
        ended = {}  # appending: how the file said its last run ended, said again if this start fails
        try:
            if self.mode == "append":
                self._writing = self.path
                f = self._open(self.path, "r+")
                check_format(f, self.path, "run")
                if _text(f.attrs.get("file_id", "")) != self.file_id:
                    raise FileExistsError(f"run: output file {self.path!r} was replaced since this network wrote it; "
                                          f"choose another path")
                ended = {key: f.attrs[key] for key in ("complete", "status", "modified")}
            else:
                folder, name = os.path.split(self.path)
                tmp = os.path.join(folder, f".{name}.{self.file_id[:12]}.fastspike-tmp")
                self._writing = tmp
                self.room(LAYOUT_BYTES + self._layout_bytes())
                f = self._open(tmp, "w")
            self.file = f
            if self.mode != "append":
                self._write_root(f)
            f.attrs["complete"] = False
            f.attrs["status"] = "running"
            f.attrs["modified"] = _now()
            self._write_populations(f)
            self._write_projections(f)
            for rec in net.records:
                self._bind(f, rec, moved)
            f["progress"][0] = net.step
            self._write_buffers()  # the rows moved from memory, the records' row counts
            if tmp is not None:
                f.flush()
                os.replace(tmp, self.path)  # the complete layout appears at the path at once
                tmp = None
                self._writing = self.path
                if self.mode == "overwrite":  # the records' rows in the replaced file are gone
                    for rec in net.records:
                        rec._segments = [s for s in rec._segments
                                         if os.path.realpath(s.path) != self.key or s.file_id == self.file_id]
            f.swmr_mode = True
            _OPEN[self.key] = self
        except BaseException:
            self.file = None
            try:
                if f is not None:
                    if tmp is None:  # appending: the file vouches again for what it held before
                        for key, (_, _, flushed) in before.items():
                            if key in self.sinks and self.sinks[key].group in f:
                                f[self.sinks[key].group].attrs.modify("rows", np.int64(flushed))
                        for key, value in ended.items():  # and says again how its last run ended
                            f.attrs[key] = value
                    f.close()
            except Exception:  # pragma: no cover - keep the first error
                pass
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            for key in list(self.sinks):  # records bound for the first time: bound again next time
                if key not in before:
                    del self.sinks[key]
            for key, (segment, stop, flushed) in before.items():
                self.sinks[key].flushed = flushed
                if segment is not None:
                    segment.stop = stop
            for rec in net.records:
                rec._segments = segments.get(id(rec), [])
            for rec, steps, other in moved:  # nothing is lost: the rows go back to memory
                rec._append(steps, other)
            self._writing = self.path
            self.lock.release()
            raise
        self._flushed_step = net.step
        self._flushed_wall = time.perf_counter()
        self.seconds += time.perf_counter() - t0

    def _layout_bytes(self) -> int:
        """A bound of what the layout and the rows held in memory take before the run."""
        total = 4096 * (len(self.net.populations) + len(self.net.projections) + len(self.net.records))
        for pop in self.net.populations:
            total += sum(np.asarray(v).nbytes for v in pop.model.describe().get("parameters", {}).values()
                         if np.ndim(v) > 0)
        if self.connectivity:
            total += sum(p.nbytes for p in self.net.projections)
        for rec in self.net.records:
            total += len(rec._steps) * (8 + (4 if rec.kind == "spikes" else
                                             len(rec.neurons) * len(rec.variables) * self.net.dtype.itemsize))
        return total

    def _open(self, path: str, mode: str) -> h5py.File:
        try:
            return h5py.File(path, mode, libver=LIBVER, rdcc_nbytes=0)
        except OSError as e:
            raise OSError(f"run: cannot open output file {self.path!r} for writing ({e}); is it open in another "
                          f"program, or by fs.load() in this one? Close it first") from None

    def close(self, error: BaseException | None = None) -> None:
        """Flush, record how the run ended (``complete``, ``status``, ``t_stop``) and close.

        After a write error (a full disk), nothing more is written: the file keeps the rows of
        its last flush and says so (``rows`` of each record, ``/progress``, ``t_stop``), and the
        rows recorded since go back to the records' memory, for a later run to append."""
        f = self.file
        if f is None:
            return
        net = self.net
        t0 = time.perf_counter()
        try:
            try:
                self.flush()
            except Exception as e:
                if self.failed is None:
                    self.failed = e
            if self.failed is not None:
                self._keep_unwritten_rows()
            elif self.connectivity:  # plastic weights as the run left them
                for proj in net.projections:
                    path = f"projections/{proj.index}/weights"
                    if proj.plastic and path in f:
                        f[path][...] = proj._weights
            stop = net.step if self.failed is None else self._flushed_step
            a = f.attrs  # attributes created before SWMR started, modified in place (same type and shape)
            a.modify("complete", error is None and self.failed is None)
            a.modify("status", _status(error, self.failed, net, stop))
            a.modify("step_stop", np.int64(stop))
            a.modify("t_stop", np.float64(stop * net.dt))
            a.modify("runs", np.int64(a["runs"]) + 1)
            a.modify("modified", _now())
            f.flush()
        finally:
            self.file = None
            _OPEN.pop(self.key, None)
            try:
                f.close()
            finally:
                self.lock.release()
                self.seconds += time.perf_counter() - t0

    def _keep_unwritten_rows(self) -> None:
        """After a write error: the rows since the last flush go back to the records' memory
        (read from the file where they were written), and each record's file view ends at the
        last flush."""
        for sink in self.sinks.values():
            rec = sink.record
            try:
                rows = sink.rows_since_flush() if sink.columns else {}
            except Exception:  # pragma: no cover - rows written but not readable back: lost
                rows = {}
            n = len(rows.get("steps", ()))
            if n:
                if rec.kind == "spikes":
                    rec._append(rows["steps"], rows["neurons"])
                else:
                    rec._append(rows["steps"], {v: rows[v] for v in rec.variables})
            sink.unsaved = []
            if sink.segment is not None:
                sink.segment.stop = sink.flushed
            for col in sink.columns.values():  # the file holds exactly what it says
                try:
                    if col.ds.shape[0] > sink.flushed:
                        col.ds.resize(sink.flushed, axis=0)
                except Exception:  # pragma: no cover - the rows attribute still says it
                    pass

    # -- called by the engine ----------------------------------------------------------------
    def _append(self, record, columns: dict[str, np.ndarray]) -> None:
        sink = self.sinks[id(record)]
        if self.failed is not None:  # a write failed: keep what comes for the record, write nothing
            sink.keep(columns)
            return
        t0 = time.perf_counter()
        try:
            self.room(sink.bytes_to_append(columns))
            sink.append(columns)
        except BaseException as e:
            self.failed = e
            if isinstance(e, DiskFullError):  # nothing of these rows was written
                sink.keep(columns)
            raise
        finally:
            self.seconds += time.perf_counter() - t0

    def spikes(self, record: SpikeRecord, steps: np.ndarray, neurons: np.ndarray) -> None:
        """Append spikes (``steps``: end step of each spike; ``neurons``: index in the population)."""
        self._append(record, {"steps": steps, "neurons": neurons})

    def samples(self, record: StateRecord, steps: np.ndarray, values: dict[str, np.ndarray]) -> None:
        """Append state samples (``values[var]`` of shape ``(len(steps), len(record.neurons))``)."""
        self._append(record, {"steps": steps, **values})

    def until_flush(self, step: int) -> int:
        """Steps the engine may run from ``step`` before the next flush is due (>= 1)."""
        return max(1, self._flushed_step + self.max_steps - step)

    def tick(self, step: int) -> None:
        """The network reached ``step`` and its buffers are drained: flush when one is due."""
        if step - self._flushed_step >= self.max_steps or time.perf_counter() - self._flushed_wall >= FLUSH_WALL:
            self.flush()

    def flush(self) -> None:
        """Write every buffered row and make the file consistent on disk (and visible to readers):
        the rows, then each record's ``rows`` attribute and ``/progress``, which vouch for them.
        Nothing is written after a write error (``failed``)."""
        if self.file is None or self.failed is not None:
            return
        self._write_buffers()
        self._flushed_step = self.net.step
        self._flushed_wall = time.perf_counter()

    def _write_buffers(self) -> None:
        f = self.file
        t0 = time.perf_counter()
        try:
            self.room(sum(c.flush_bytes() for sink in self.sinks.values() for c in sink.columns.values()))
            for sink in self.sinks.values():
                for col in sink.columns.values():
                    col.flush()
            f.flush()
            # then the row counts and the progress mark, so that a reader never sees them ahead of the rows
            for sink in self.sinks.values():
                sink.flushed = sink.rows
                f[sink.group].attrs.modify("rows", np.int64(sink.flushed))
            f["progress"][0] = self.net.step
            f.flush()
        except BaseException as e:
            self.failed = e
            raise
        finally:
            self.seconds += time.perf_counter() - t0

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
        a["processes"] = net.processes
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
            name = files.link_name(pop.name)
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
            g.attrs["state_units"] = json.dumps(_state_units(pop))
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
                g.attrs["n_synapses"] = int(proj.total_synapses)
                g.attrs["delivery"] = proj.delivery
                g.attrs["min_delay"] = int(proj.min_delay)
                g.attrs["max_delay"] = int(proj.max_delay)
                g.attrs["delay_unit"] = "steps"
                g.attrs["start_step"] = int(proj.start_step)
            if self.connectivity and "targets" not in g:
                self.room(proj.nbytes)
                # the targets as int32 in the file whatever their storage (HDF5 converts as it writes)
                for key, arr, kind in (("indptr", proj.indptr, None), ("targets", proj._targets, np.int32),
                                       ("weights", proj._weights, None), ("delays", proj.delays, None)):
                    arr = np.asarray(arr)
                    g.create_dataset(key, data=arr, dtype=kind, chunks=(min(max(arr.size, 1), 1 << 18),), **FILTERS)
                g["weights"].attrs["doc"] = ("one per synapse, as at the end of the last run (plastic)" if proj.plastic
                                             else "one per synapse, or a single value shared by all")
                g["delays"].attrs["unit"] = "steps"
                g["delays"].attrs["doc"] = "one per synapse, or a single value shared by all"

    def _bind(self, f: h5py.File, rec: SpikeRecord | StateRecord, moved: list) -> None:
        """Give ``rec`` its group and columns (created if new) and move its memory rows there."""
        sink = self.sinks.get(id(rec))
        if sink is None or sink.record is not rec:
            kind = "spikes" if rec.kind == "spikes" else "state"
            taken = set(f[kind]) | {s.group.split("/", 1)[1] for s in self.sinks.values() if s.group.startswith(kind)}
            base = files.link_name(rec.population.name)
            name, k = base, 1
            while name in taken:
                name, k = f"{base}_{k}", k + 1
            sink = _Sink(rec, f"{kind}/{name}")
            self._create_record(f, sink)
            self.sinks[id(rec)] = sink
        g = f[sink.group]
        valid = int(g.attrs.get("rows", 0))
        for key in _row_datasets(rec):  # rows past the last flush of an earlier run (a write error): dropped
            if g[key].shape[0] > valid:
                g[key].resize(valid, axis=0)
        sink.columns = {key: _Column(g[key], valid, self.room) for key in _row_datasets(rec)}
        sink.flushed = valid
        sink.unsaved = []
        rows = sink.rows
        if not rec._segments or rec._segments[-1] is not sink.segment:
            sink.segment = FileSegment(self.path, sink.group, self.file_id, rows, rows)
            rec._segments.append(sink.segment)
        else:
            sink.segment.stop = rows
        if len(rec._steps):  # rows kept in memory by runs without output: move them to the file
            steps, other = rec._take_memory()
            columns = {"steps": steps, "neurons": other} if rec.kind == "spikes" else {"steps": steps, **other}
            moved.append((rec, steps, other))
            sink.append(columns)

    def _create_record(self, f: h5py.File, sink: _Sink) -> None:
        rec, net = sink.record, self.net
        g = f.create_group(sink.group)
        g.attrs["population"] = rec.population.name
        g.attrs["population_size"] = rec.population.n
        g.attrs["start_step"] = rec.start_step
        g.attrs["dt"] = net.dt
        g.attrs["rows"] = np.int64(0)
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
            if isinstance(rec, SynapseRecord):
                units = {"weight": "weight"}
                g.attrs["projection"] = rec.projection.index
                g["neurons"].attrs["doc"] = "the recorded synapses (indices into the projection's weights), one per column"
            else:
                units = _variable_units(rec.population)
            for v in rec.variables:
                ds = g.create_dataset(v, (0, m), net.dtype, maxshape=(None, m), chunks=(rows, cols), **FILTERS)
                ds.attrs["unit"] = units.get(v, "")
            g.attrs["units"] = json.dumps({v: units.get(v, "") for v in rec.variables})


def _status(error: BaseException | None, failed: BaseException | None, net: "Network", stop: int) -> str:
    """The file's ``status`` attribute after a run."""
    if error is None and failed is None:
        return "complete"
    cause = error if error is not None else failed
    name = getattr(cause, "signal_name", None) or type(cause).__name__
    text = f"interrupted by {name} at t = {net.step * net.dt:g} ms"
    if failed is not None:
        reason = str(failed).split("\n")[0]
        text += (f" (writing failed: {type(failed).__name__}: {reason}); the file holds t <= {stop * net.dt:g} ms, "
                 f"the records keep the rest in memory, and a later run with the same output appends it")
    return text


# ---------------------------------------------------------------------------------------
# reading (the records of a network read their file segments through this)
# ---------------------------------------------------------------------------------------
def open_for_reading(path: str | os.PathLike, what: str = "load") -> h5py.File:
    """Open a fastspike file read-only: a complete one, one being written by another process,
    or one left by a killed writer. A file cut short (whose HDF5 superblock records an end
    beyond its size) is refused first: in SWMR read mode HDF5 would not check, and hangs or
    reads garbage. A file closed normally opens without SWMR (HDF5 checks it again).

    Raises
    ------
    fastspike.recording.files.DamagedFileError (an OSError)
        The file is truncated or not an HDF5 file.
    """
    flags = files.check_complete_bytes(path, what)
    if flags == 0:
        try:
            return h5py.File(path, "r")
        except OSError:
            pass
    try:
        return h5py.File(path, "r", swmr=True)
    except OSError:
        return h5py.File(path, "r")


def read_segment(segment: FileSegment, name: str) -> np.ndarray:
    """Rows ``segment.start:segment.stop`` of dataset ``name`` of the segment's record group."""
    writer = _OPEN.get(os.path.realpath(segment.path))
    if writer is not None and writer.file is not None:  # read during a run: flush the buffers first
        sink = next((s for s in writer.sinks.values() if s.group == segment.group), None)
        if sink is not None and segment.stop > sink.columns[name].base:
            return sink.columns[name].read(segment.start, segment.stop)
        return writer.file[segment.group][name][segment.start:segment.stop]
    try:
        f = open_for_reading(segment.path, "read")
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


def _state_units(pop: "Population") -> dict[str, str]:
    """The units of the state variables as the model's values use them (a preset may use
    another unit system than the declarations: AdEx's presets are in pF, nS, pA)."""
    units = pop.model.units() if hasattr(pop.model, "units") else {}
    return {s.name: units.get(s.name, s.unit) for s in pop.model.state_variables}


def _variable_units(pop: "Population") -> dict[str, str]:
    units = _state_units(pop)
    unit = pop.model.current_unit() if hasattr(pop.model, "current_unit") else ""
    units["I"] = unit or "mV/R"
    return units


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

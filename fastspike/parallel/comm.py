"""The communicator: the few collectives a distributed run needs, behind one interface.

A run on K processes (``mpiexec -n K python script.py``) makes its collective decisions
with these operations only: ``barrier``, ``bcast`` (any picklable object, from one rank),
``allgather`` (a fixed-size integer array from every rank), ``allgatherv`` (integer arrays
of any length: spikes) and ``allreduce`` (one scalar: a chunk length, a stop decision).
Every rank gets the same result, in rank order. Implementations:

- :class:`SerialCommunicator`: one process (size 1), no MPI needed;
- :class:`MPICommunicator`: mpi4py, buffer-based (uppercase) methods on NumPy arrays;
- :class:`fastspike.parallel.LocalCluster`: K ranks as threads of one process, with the
  same collective semantics, for fast deterministic tests.
"""
from __future__ import annotations

import abc
import os
import pickle
import sys
import time

import numpy as np

__all__ = ["Communicator", "SerialCommunicator", "MPICommunicator", "REDUCE_OPS", "world", "launched_by_mpi"]

REDUCE_OPS = ("min", "max", "sum", "or")
"""Operations of :meth:`Communicator.allreduce`."""

_MPI_ENV = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMIX_RANK", "HYDRA_CONTROL_FD")


_FAST_DTYPES = frozenset({np.dtype(np.int32), np.dtype(np.int64)})


def _int_array(name: str, values) -> np.ndarray:
    """A 1-D contiguous integer array, or TypeError/ValueError naming what is allowed."""
    if type(values) is np.ndarray and values.ndim == 1 and values.dtype in _FAST_DTYPES \
            and values.flags.c_contiguous:  # the common case, checked in a microsecond
        return values
    arr = np.asarray(values)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name}: values must be an integer array (int32 or int64, ...), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name}: values must be 1-D, got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def _reduce_scalar(op: str, value):
    """``value`` checked for ``allreduce``: (kind, numpy value) with kind "bool", "int" or "float"."""
    if op not in REDUCE_OPS:
        raise ValueError(f"allreduce: op={op!r} is not allowed; choose one of {', '.join(map(repr, REDUCE_OPS))}")
    if op == "or":
        if not isinstance(value, (bool, np.bool_, int, np.integer)):
            raise TypeError(f"allreduce: op='or' takes a bool (or an integer), got {value!r}")
        return "bool", np.int64(bool(value))
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"allreduce: op={op!r} takes a number, got the bool {value!r} (use op='or')")
    if isinstance(value, (int, np.integer)):
        return "int", np.int64(value)
    if isinstance(value, (float, np.floating)):
        return "float", np.float64(value)
    raise TypeError(f"allreduce: value must be a number or a bool, got {value!r}")


def _scalar_result(kind: str, value):
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    return float(value)


class Communicator(abc.ABC):
    """The collectives of a distributed run. Every rank must call the same collectives in
    the same order (as with MPI); each returns the same result on every rank."""

    @property
    @abc.abstractmethod
    def rank(self) -> int:
        """This process's index, 0 to ``size - 1``."""

    @property
    @abc.abstractmethod
    def size(self) -> int:
        """The number of processes."""

    @abc.abstractmethod
    def barrier(self) -> None:
        """Wait until every rank has called ``barrier``."""

    @abc.abstractmethod
    def bcast(self, obj, root: int = 0):
        """``obj`` of rank ``root``, on every rank (a copy; any picklable object)."""

    @abc.abstractmethod
    def allgather(self, values) -> np.ndarray:
        """Every rank's 1-D integer array of one common length n, as an array of shape
        (size, n) (row r: rank r's values, the dtype of the inputs)."""

    @abc.abstractmethod
    def allgatherv(self, values, counts=None) -> tuple[np.ndarray, np.ndarray]:
        """Every rank's 1-D integer array (lengths may differ), concatenated in rank order,
        and the lengths (int64, shape (size,)). ``counts``: the lengths when every rank
        already knows them (else one ``allgather`` finds them first)."""

    @abc.abstractmethod
    def allreduce_sum(self, values) -> np.ndarray:
        """Every rank's 1-D integer array of one common length n, summed element by element
        (shape (n,), the dtype of the inputs; the caller keeps the sums within it)."""

    @abc.abstractmethod
    def allreduce(self, value, op: str):
        """``op`` ("min", "max", "sum" or "or") over every rank's scalar: an int, a float
        or (for "or") a bool; the result has the type of the inputs."""

    @property
    def is_root(self) -> bool:
        """Whether this is rank 0 (the rank that prints, shows progress and writes)."""
        return self.rank == 0

    def _check_root(self, root) -> int:
        if isinstance(root, bool) or not isinstance(root, (int, np.integer)) or not 0 <= root < self.size:
            raise ValueError(f"bcast: root={root!r} is not a rank; it must be an integer in [0, {self.size})")
        return int(root)

    def _check_counts(self, values: np.ndarray, counts) -> tuple[np.ndarray, list]:
        """``counts`` as int64 (one per rank, >= 0, this rank's = its values), and as a list."""
        if not (type(counts) is np.ndarray and counts.dtype == np.int64):
            arr = np.asarray(counts)
            if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
                raise ValueError(f"allgatherv: counts must be {self.size} integers >= 0 (one per rank), "
                                 f"got {counts!r}")
            counts = arr.astype(np.int64)
        sizes = counts.tolist()
        if counts.ndim != 1 or len(sizes) != self.size or min(sizes) < 0:
            raise ValueError(f"allgatherv: counts must be {self.size} integers >= 0 (one per rank), got {counts!r}")
        if sizes[self.rank] != values.size:
            raise ValueError(f"allgatherv: counts[{self.rank}] = {sizes[self.rank]} but rank {self.rank} gives "
                             f"{values.size} values")
        return counts, sizes

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rank={self.rank}, size={self.size})"


class SerialCommunicator(Communicator):
    """One process: every collective returns this rank's own contribution."""

    @property
    def rank(self) -> int:
        return 0

    @property
    def size(self) -> int:
        return 1

    def barrier(self) -> None:
        pass

    def bcast(self, obj, root: int = 0):
        self._check_root(root)
        return pickle.loads(pickle.dumps(obj))

    def allgather(self, values) -> np.ndarray:
        return _int_array("allgather", values).copy().reshape(1, -1)

    def allgatherv(self, values, counts=None) -> tuple[np.ndarray, np.ndarray]:
        values = _int_array("allgatherv", values)
        counts = np.array([values.size], np.int64) if counts is None else self._check_counts(values, counts)[0]
        return values.copy(), counts

    def allreduce_sum(self, values) -> np.ndarray:
        return _int_array("allreduce_sum", values).copy()

    def allreduce(self, value, op: str):
        kind, v = _reduce_scalar(op, value)
        return _scalar_result(kind, v)


class MPICommunicator(Communicator):
    """MPI through mpi4py (``pip install "fastspike[mpi]"``): arrays travel by the
    buffer-based collectives (``Allgather``, ``Allgatherv``, ``Allreduce``), objects by
    pickle (``bcast``).

    Parameters
    ----------
    comm : mpi4py.MPI.Comm, optional
        Default ``MPI.COMM_WORLD``.
    """

    def __init__(self, comm=None) -> None:
        try:
            from mpi4py import MPI
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("MPICommunicator needs mpi4py and an MPI library: pip install \"fastspike[mpi]\" "
                              f"(mpi4py and MPICH) ({e})") from None
        self._MPI = MPI
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self._ops = {"min": MPI.MIN, "max": MPI.MAX, "sum": MPI.SUM, "or": MPI.LOR}
        self._types: dict = {}

    @property
    def rank(self) -> int:
        return self.comm.Get_rank()

    @property
    def size(self) -> int:
        return self.comm.Get_size()

    def barrier(self) -> None:
        self.comm.Barrier()

    def bcast(self, obj, root: int = 0):
        return self.comm.bcast(obj, root=self._check_root(root))

    def _type(self, dtype: np.dtype):
        """The MPI datatype of an integer dtype (given explicitly: mpi4py then skips parsing
        the buffer's format, a few microseconds per call)."""
        mpi_type = self._types.get(dtype)
        if mpi_type is None:
            mpi_type = self._MPI._typedict[dtype.char]
            self._types[dtype] = mpi_type
        return mpi_type

    def allgather(self, values) -> np.ndarray:
        values = _int_array("allgather", values)
        out = np.empty((self.size, values.size), values.dtype)
        mpi_type = self._type(values.dtype)
        self.comm.Allgather([values, mpi_type], [out, mpi_type])
        return out

    def allgatherv(self, values, counts=None) -> tuple[np.ndarray, np.ndarray]:
        values = _int_array("allgatherv", values)
        if counts is None:
            counts = self.allgather(np.array([values.size], np.int64))[:, 0]
            sizes = counts.tolist()
        else:
            counts, sizes = self._check_counts(values, counts)
        # Python ints: mpi4py converts lists faster than arrays
        displacements = [0] * len(sizes)
        for r in range(1, len(sizes)):
            displacements[r] = displacements[r - 1] + sizes[r - 1]
        out = np.empty(displacements[-1] + sizes[-1], values.dtype)
        mpi_type = self._type(values.dtype)
        self.comm.Allgatherv([values, mpi_type], [out, (sizes, displacements), mpi_type])
        return out, counts

    def allreduce_sum(self, values) -> np.ndarray:
        values = _int_array("allreduce_sum", values)
        out = np.empty_like(values)
        mpi_type = self._type(values.dtype)
        self.comm.Allreduce([values, mpi_type], [out, mpi_type], op=self._ops["sum"])
        return out

    def allreduce(self, value, op: str):
        kind, v = _reduce_scalar(op, value)
        send = np.array([v])
        out = np.empty_like(send)
        self.comm.Allreduce(send, out, op=self._ops[op])
        return _scalar_result(kind, out[0])


def launched_by_mpi() -> bool:
    """Whether this process was started by an MPI launcher (``mpiexec``, ``srun``), judged
    from the environment variables they set (no import of mpi4py)."""
    return any(name in os.environ for name in _MPI_ENV)


_WORLD: list = []


def world() -> Communicator:
    """The communicator of this process: :class:`MPICommunicator` over ``COMM_WORLD`` when
    started by an MPI launcher with more than one process, else :class:`SerialCommunicator`.

    Under MPI it also installs :func:`abort_on_error` as ``sys.excepthook``: an exception
    that ends one process ends them all, shown once."""
    if _WORLD:
        return _WORLD[0]
    comm: Communicator = SerialCommunicator()
    if launched_by_mpi():
        mpi = MPICommunicator()
        if mpi.size > 1:
            comm = mpi
            sys.excepthook = abort_on_error(mpi, sys.excepthook)
    _WORLD.append(comm)
    return comm


SHOW_DELAY = 3.0
"""Seconds a rank other than 0 waits before showing an uncaught error and aborting: when
every rank raised the same error (bad input, refused the same way everywhere), rank 0
shows it and ends the run first, so it is shown once. (Half a second was seen to cut rank
0's traceback on a loaded machine: formatting it reads the source files.)"""

FORWARD_DELAY = 0.3
"""Seconds a rank waits after writing its error before ``MPI_Abort``, so that the launcher
forwards the last lines before it ends every process."""

PEER_WAIT = 30.0
"""Seconds a rank stopped by another's failure (:class:`fastspike.parallel.PeerFailed`)
waits for that rank to show its error and end the run, before aborting itself."""


def abort_on_error(comm: "MPICommunicator", previous):
    """An excepthook for a distributed run: show the error (rank 0 at once, the others after
    :data:`SHOW_DELAY`; :class:`~fastspike.parallel.PeerFailed` is not shown, the failing
    rank shows its own), then ``MPI_Abort`` so that no process is left waiting in a
    collective (an uncaught exception would otherwise hang the others until the job's
    time limit)."""

    def hook(kind, value, traceback) -> None:
        from . import PeerFailed

        try:
            if issubclass(kind, PeerFailed):
                time.sleep(PEER_WAIT)
            else:
                if comm.rank != 0:
                    time.sleep(SHOW_DELAY)
                sys.stderr.write(f"fastspike: rank {comm.rank} of {comm.size}:\n")
                previous(kind, value, traceback)
                sys.stderr.flush()
                time.sleep(FORWARD_DELAY)
        finally:
            comm.comm.Abort(1)

    return hook

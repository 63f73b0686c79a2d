"""An in-process stand-in for MPI: K ranks of a function run as threads of one process.

``LocalCluster(K).run(fn, *args)`` calls ``fn(comm, *args)`` on K threads, each with a
:class:`LocalCommunicator` of rank 0 to K - 1, and returns the K results in rank order.
The collectives have MPI's semantics (every rank must call the same ones in the same
order; each returns the same result on every rank, in rank order), so partitioning,
building, exchanging and merging can be tested fast and deterministically without
``mpiexec``. On top of what MPI promises, mistakes become exceptions instead of hangs:

- ranks that call different collectives, or ``allgather`` with different lengths or
  dtypes, raise :class:`CollectiveError` on every rank;
- a collective that not every rank reaches within ``timeout`` seconds, or that a rank
  enters after another rank has returned, raises :class:`CollectiveError` (a deadlock);
- an exception in one rank ends the others at their next collective, and ``run`` raises
  it once (the first that happened), after the other ranks stopped (a rank that never
  calls a collective again runs to its end, or is abandoned after ``timeout`` seconds:
  threads cannot be killed).

Threads share the GIL: this is for correctness, not speed (compiled code that releases the
GIL does run in parallel).
"""
from __future__ import annotations

import copy
import threading
import time
from typing import Any, Callable

import numpy as np

from .comm import Communicator, _int_array, _reduce_scalar, _scalar_result

__all__ = ["LocalCluster", "LocalCommunicator", "CollectiveError"]


class CollectiveError(RuntimeError):
    """Ranks disagreed on a collective, or one never came (a deadlock under MPI)."""


class _Aborted(BaseException):
    """Ends a rank because another rank failed (not reported: the other error is)."""


class _Rendezvous:
    """The shared state of one cluster: a reusable barrier that carries each rank's
    contribution, with a timeout, failure propagation and detection of finished ranks."""

    def __init__(self, size: int, timeout: float) -> None:
        self.size = size
        self.timeout = timeout
        self.cond = threading.Condition()
        self.arrived = 0
        self.generation = 0
        self.slots: list[Any] = [None] * size
        self.results: list[Any] = [None] * size
        self.what: list[str | None] = [None] * size
        self.error: BaseException | None = None  # the first failure of a rank
        self.done: set[int] = set()

    def fail(self, error: BaseException) -> None:
        with self.cond:
            if self.error is None:
                self.error = error
            self.cond.notify_all()

    def finish(self, rank: int) -> None:
        with self.cond:
            self.done.add(rank)
            self.cond.notify_all()

    def _deadlock(self, rank: int, what: str) -> CollectiveError:
        waiting = [f"rank {r} in {w}" for r, w in enumerate(self.what) if w is not None]
        if self.done:
            return CollectiveError(f"rank {rank} called {what} after rank(s) {sorted(self.done)} returned "
                                   f"(waiting: {', '.join(waiting)}); under MPI this would hang")
        absent = [r for r in range(self.size) if self.what[r] is None]
        return CollectiveError(f"{what}: rank(s) {absent} did not reach a collective within {self.timeout} s "
                               f"(waiting: {', '.join(waiting)}); under MPI this would hang")

    def exchange(self, rank: int, what: str, contribution):
        """Deposit ``contribution``, wait for every rank, and return all contributions
        (rank order) after checking that every rank called the same collective."""
        with self.cond:
            if self.error is not None:
                raise _Aborted()
            if self.done:
                error = self._deadlock(rank, what)
                self.error = self.error or error
                self.cond.notify_all()
                raise error
            generation = self.generation
            self.slots[rank] = contribution
            self.what[rank] = what
            self.arrived += 1
            if self.arrived == self.size:  # the last one in: publish and release the others
                whats = set(self.what)
                if len(whats) > 1:
                    calls = ", ".join(f"rank {r}: {w}" for r, w in enumerate(self.what))
                    self.error = CollectiveError(f"ranks called different collectives ({calls})")
                else:
                    self.results = list(self.slots)
                self.slots = [None] * self.size
                self.what = [None] * self.size
                self.arrived = 0
                self.generation += 1
                self.cond.notify_all()
            else:
                deadline = time.monotonic() + self.timeout
                while generation == self.generation:
                    if self.error is not None:
                        raise _Aborted()
                    left = deadline - time.monotonic()
                    if self.done or left <= 0:
                        error = self._deadlock(rank, what)
                        self.error = error
                        self.cond.notify_all()
                        raise error
                    self.cond.wait(min(left, 1.0))
            if self.error is not None:  # collectives disagreed: every rank raises it
                raise self.error
            return self.results


class LocalCommunicator(Communicator):
    """The communicator of one rank of a :class:`LocalCluster` (made by the cluster)."""

    def __init__(self, rendezvous: _Rendezvous, rank: int) -> None:
        self._rv = rendezvous
        self._rank = rank

    @property
    def rank(self) -> int:
        return self._rank

    @property
    def size(self) -> int:
        return self._rv.size

    def _exchange(self, what: str, contribution):
        return self._rv.exchange(self._rank, what, contribution)

    def barrier(self) -> None:
        self._exchange("barrier", None)

    def bcast(self, obj, root: int = 0):
        root = self._check_root(root)
        values = self._exchange(f"bcast(root={root})", obj if self._rank == root else None)
        return copy.deepcopy(values[root])

    def _gather_alike(self, name: str, values) -> np.ndarray:
        """Every rank's 1-D integer array of one common length and dtype (``name``: the
        collective, for its errors), as an array of shape (size, n)."""
        values = _int_array(name, values)
        parts = self._exchange(name, values.copy())
        shapes = {(p.dtype.str, p.size) for p in parts}
        if len(shapes) > 1:
            raise CollectiveError(f"{name}: every rank must give the same length and dtype, got "
                                  + ", ".join(f"rank {r}: {p.size} x {p.dtype}" for r, p in enumerate(parts)))
        return np.stack(parts)

    def allgather(self, values) -> np.ndarray:
        return self._gather_alike("allgather", values)

    def allgatherv(self, values, counts=None) -> tuple[np.ndarray, np.ndarray]:
        values = _int_array("allgatherv", values)
        if counts is None:
            counts = self.allgather(np.array([values.size], np.int64))[:, 0]
        else:
            counts = self._check_counts(values, counts)[0]
        parts = self._exchange("allgatherv", (values.copy(), counts))
        if len({p.dtype.str for p, _ in parts}) > 1:
            raise CollectiveError("allgatherv: every rank must give the same dtype, got "
                                  + ", ".join(f"rank {r}: {p.dtype}" for r, (p, _) in enumerate(parts)))
        for r, (p, c) in enumerate(parts):
            if not np.array_equal(c, counts) or p.size != counts[r]:
                raise CollectiveError(f"allgatherv: the ranks' counts disagree (rank {self._rank}: {counts.tolist()}, "
                                      f"rank {r}: {np.asarray(c).tolist()}, gives {p.size})")
        return np.concatenate([p for p, _ in parts]), counts

    def allreduce_sum(self, values) -> np.ndarray:
        parts = self._gather_alike("allreduce_sum", values)
        return np.sum(parts, axis=0, dtype=parts.dtype)

    def allreduce(self, value, op: str):
        kind, v = _reduce_scalar(op, value)
        parts = self._exchange(f"allreduce({op!r})", (kind, v))
        kinds = {k for k, _ in parts}
        if len(kinds) > 1:
            raise CollectiveError(f"allreduce: every rank must give the same kind of value, got "
                                  + ", ".join(f"rank {r}: {k}" for r, (k, _) in enumerate(parts)))
        xs = [x for _, x in parts]  # rank order: the same result on every rank
        if op == "min":
            out = min(xs)
        elif op == "max":
            out = max(xs)
        elif op == "sum":
            out = xs[0]
            for x in xs[1:]:
                out = out + x
        else:
            out = any(bool(x) for x in xs)
        return _scalar_result(kind, out)


class LocalCluster:
    """K ranks of a function, run as threads with real collective semantics.

    Parameters
    ----------
    size : int
        The number of ranks (>= 1).
    timeout : float, s
        How long a rank waits in a collective for the others before the run fails with
        :class:`CollectiveError` (a deadlock under MPI).

    Examples
    --------
    >>> def work(comm):
    ...     return comm.allreduce(comm.rank + 1, "sum")
    >>> LocalCluster(3).run(work)
    [6, 6, 6]
    """

    def __init__(self, size: int, timeout: float = 30.0) -> None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"LocalCluster: size={size!r} must be an integer >= 1")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"LocalCluster: timeout={timeout!r} must be a number of seconds > 0")
        self.size = int(size)
        self.timeout = float(timeout)

    def run(self, fn: Callable[..., Any], *args, **kwargs) -> list:
        """``[fn(comm_0, *args, **kwargs), ..., fn(comm_{K-1}, ...)]``, each on its own thread.

        Raises
        ------
        BaseException
            The first exception raised by a rank (re-raised once, after every rank stopped).
        CollectiveError
            Ranks called different collectives, or a collective was not reached by every
            rank within ``timeout`` seconds.
        """
        rv = _Rendezvous(self.size, self.timeout)
        results: list[Any] = [None] * self.size

        def main(rank: int) -> None:
            try:
                results[rank] = fn(LocalCommunicator(rv, rank), *args, **kwargs)
            except _Aborted:
                pass
            except BaseException as error:  # noqa: BLE001 - re-raised by run()
                rv.fail(error)
            finally:
                rv.finish(rank)

        threads = [threading.Thread(target=main, args=(r,), name=f"fastspike-rank-{r}", daemon=True)
                   for r in range(self.size)]
        for t in threads:
            t.start()
        failed_at = None
        while any(t.is_alive() for t in threads):
            if rv.error is not None:
                failed_at = time.monotonic() if failed_at is None else failed_at
                if time.monotonic() - failed_at > self.timeout:  # a rank that never comes back
                    break
            for t in threads:
                t.join(0.05)
        if rv.error is not None:
            raise rv.error
        return results

"""Run a compiled network on the CPU, chunk by chunk, draining record buffers between chunks."""
from __future__ import annotations

import functools
import signal
import threading
import time
import warnings
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ...ir.schedule import build_program, constant_values
from .compiler import arguments, compile_program, lower, render
from .lower import owned_deliveries, rebalance
from .sync import SPIN_BUDGET, SYNC_SIZE

if TYPE_CHECKING:  # pragma: no cover
    from ...network import Network

__all__ = ["CPUEngine", "ChunkedEngine", "Sink", "sample_rows"]


class Sink(Protocol):
    """Where drained records go instead of memory (``fastspike.recording.hdf5.HDF5Writer``)."""

    def until_flush(self, step: int) -> int:
        """Steps the engine may run from ``step`` before it must call tick() (>= 1)."""

    def spikes(self, record, steps: np.ndarray, neurons: np.ndarray) -> None: ...

    def samples(self, record, steps: np.ndarray, values: dict[str, np.ndarray]) -> None: ...

    def tick(self, step: int) -> None: ...

# Chunks of steps run in one compiled call are sized to last about this long, so that
# Ctrl-C, progress bars and buffer draining stay responsive whatever the network size.
TARGET_CHUNK_SECONDS = 0.25
STATE_BUFFER_BYTES = 8 << 20


def sample_rows(net: "Network") -> int:
    """Rows of the state record buffers: about STATE_BUFFER_BYTES for the widest record."""
    row_bytes = max((len(r.neurons) * net.dtype.itemsize * len(r.variables) for r in net.records
                     if r.kind == "state"), default=1)
    return int(np.clip(STATE_BUFFER_BYTES // row_bytes, 64, 1 << 16))


class ChunkedEngine:
    """The run loop the engines share: chunks of steps, records drained between chunks (to
    memory or to a sink), progress bar, deferred Ctrl-C, chunk size adapted to last about
    TARGET_CHUNK_SECONDS. An engine provides ``_advance`` and ``_drain`` (and may bound
    chunks, and act when a run starts and ends)."""

    net: "Network"
    chunk: int
    sink: Sink | None = None
    MAX_CHUNK = 1 << 30

    def _advance(self, step0: int, nsteps: int) -> int:
        """Run up to ``nsteps`` steps from ``step0`` (finished when it returns); the steps run."""
        raise NotImplementedError

    def _drain(self) -> None:
        """Hand the records buffered so far to ``_spikes_out`` / ``_samples_out``."""
        raise NotImplementedError

    def _chunk_bound(self) -> int:
        """The most steps one chunk may run (what the record buffers can hold)."""
        return self.MAX_CHUNK

    def _start(self) -> None:
        """Called when a run starts."""

    def _finish(self) -> None:
        """Called when a run ends, also on an error or Ctrl-C: nothing recorded is lost."""
        self._drain()

    def _spikes_out(self, rec, steps: np.ndarray, neurons: np.ndarray) -> None:
        if self.sink is None:
            rec._append(steps, neurons)
        else:
            self._guarded(self.sink.spikes, rec, steps, neurons)

    def _samples_out(self, rec, steps: np.ndarray, values: dict[str, np.ndarray]) -> None:
        if self.sink is None:
            rec._append(steps, values)
        else:
            self._guarded(self.sink.samples, rec, steps, values)

    _error: BaseException | None = None

    def _guarded(self, fn, *args) -> None:
        """``fn(*args)``; in a distributed run, an error is kept until the next collective
        decision (raising it now would leave the other processes waiting in a collective)."""
        if not self._distributed():
            fn(*args)
            return
        if self._error is None:
            try:
                fn(*args)
            except Exception as error:  # noqa: BLE001 - raised at the next decision
                self._error = error

    def _distributed(self) -> bool:
        comm = getattr(self.net, "comm", None)
        return comm is not None and comm.size > 1

    def _decide(self, interrupt: "_DeferredInterrupt") -> None:
        """A distributed run, after each chunk: every process stops if any failed (its error
        raised there, :class:`fastspike.parallel.PeerFailed` elsewhere) or received Ctrl-C or
        SIGTERM; so no process waits in a collective for one that stopped."""
        from ...parallel import PeerFailed

        sigterm = getattr(signal, "SIGTERM", None)
        code = 0
        if self._error is not None:
            code = 3
        elif interrupt.hit:
            code = 2 if interrupt.signum == sigterm else 1
        code = self.net.comm.allreduce(code, "max")  # an error first, then SIGTERM, then Ctrl-C
        if code == 3:
            error, self._error = self._error, None
            if error is not None:
                raise error
            raise PeerFailed("fastspike: another process of this run failed (its error is shown there)")
        if code:  # every process stops as the signal received (by any of them) asks
            interrupt.signum = sigterm if code == 2 else signal.SIGINT
            interrupt.stop()

    def run(self, nsteps: int, progress: bool | None, sink: Sink | None = None) -> None:
        """Advance the network by ``nsteps`` steps; drained records go to ``sink`` when given
        (chunks then stop when ``sink.until_flush`` says, and ``sink.tick`` follows each drain).

        Ctrl-C is deferred to the end of the current chunk (a fraction of a second), so that the
        network's step and its records agree when ``KeyboardInterrupt`` is raised.
        """
        net = self.net
        distributed = self._distributed()
        bar = _progress_bar(nsteps * net.dt, progress if not distributed or net.comm.is_root else False)
        end = net.step + nsteps
        self.sink = sink
        self._error = None
        t_run = time.perf_counter()
        self._start()
        try:
            with _DeferredInterrupt() as interrupt:
                while net.step < end:
                    todo = min(self.chunk, end - net.step, self._chunk_bound())
                    if sink is not None:
                        todo = min(todo, sink.until_flush(net.step))
                    if distributed:  # every process runs the same chunk (rank 0's output may bound it)
                        todo = net.comm.allreduce(todo, "min")
                    t0 = time.perf_counter()
                    done = self._advance(net.step, todo)
                    elapsed = time.perf_counter() - t0
                    net.step += done
                    self._drain()
                    if sink is not None:
                        self._guarded(sink.tick, net.step)
                    if bar is not None:
                        bar.update(done * net.dt)
                    if distributed:
                        self._decide(interrupt)
                    elif interrupt.hit:
                        interrupt.stop()
                    if done == todo and elapsed < TARGET_CHUNK_SECONDS / 2:
                        self.chunk = min(self.chunk * 2, self.MAX_CHUNK)
                    elif elapsed > TARGET_CHUNK_SECONDS * 2 and self.chunk > 1:
                        self.chunk = max(self.chunk // 2, 1)
        finally:
            try:
                self._finish()
            finally:
                self.sink = None
                net.timings["run"] = time.perf_counter() - t_run
                if bar is not None:
                    bar.close()


class CPUEngine(ChunkedEngine):
    """A network compiled to one ``@njit`` function that advances it by many steps per call."""

    def __init__(self, net: "Network") -> None:
        self.net = net
        self.sample_rows = sample_rows(net)
        t0 = time.perf_counter()
        self.exchange = None
        processes = net.processes
        buffer_steps = 2
        if processes > 1:  # room in the record buffers for many steps: chunks bounded by it (_chunk_bound)
            widest = max(p.n for p in net.populations)
            buffer_steps = max(2, min(net.exchange_interval() + 1, 64), (1 << 20) // widest)
        prog = self.program = build_program(net, net._buffers, self.sample_rows, buffer_steps)
        self.lowered = lower(prog, net.threads, processes)
        self.own_blocks = (net.rank * net.threads, (net.rank + 1) * net.threads)
        self.module = compile_program(self.lowered, vector_math=getattr(net.backend, "vector_math", False))
        self.function = self.module.worker if self.lowered.threads > 1 else self.module.run_chunk
        self.consts = constant_values(net)
        self.spike_count = np.zeros(len(prog.spike_records), np.int64)
        self.spike_limit = np.array(prog.spike_limits, np.int64)
        self.sample_count = np.zeros(len(prog.state_records), np.int64)
        self.sample_limit = np.array(prog.sample_limits, np.int64)
        self.ring_length = prog.ring_length
        self.arguments = arguments(self.lowered)
        self.owned = owned_deliveries(prog, self.lowered.calls)  # threads: deliveries run whole by one range
        self.sync = np.zeros(SYNC_SIZE, np.int64)  # the workers' barrier (CPU threads)
        if processes > 1:
            from ...parallel.exchange import SpikeExchange, record_columns

            self.exchange = SpikeExchange(net, net.comm)
            self.columns = [record_columns(net, rec.population, rec.neurons) for rec, _, _ in prog.state_records]
            bound = self.MAX_CHUNK
            for rec, steps, _, _ in prog.spike_records:
                bound = min(bound, steps.size // rec.population.n)
            for rec, _, _ in prog.state_records:
                bound = min(bound, (self.sample_rows - 1) * rec.every)
            self.bound = max(bound, 1)
            if self.lowered.threads == 1:  # pragma: no cover - lower() gives ranges to processes
                raise AssertionError("a distributed run needs a ranged program")
            self.function = self.module.run_chunk_ranges if net.threads == 1 else self.module.worker
        t1 = time.perf_counter()
        self._advance(net.step, 0)  # compile now (or load from cache) so run() times the simulation only
        net.timings["codegen"] = t1 - t0
        net.timings["compile"] = time.perf_counter() - t1
        self.chunk = 1000

    @property
    def source(self) -> str:
        """The generated source of the step sequence (for inspection)."""
        return render(self.lowered)

    def _chunk_bound(self) -> int:
        """A distributed run: the steps the record buffers hold for certain (every process
        must run the same steps, so none may stop early on a full buffer)."""
        return self.bound if self.exchange is not None else self.MAX_CHUNK

    def _advance(self, step0: int, nsteps: int) -> int:
        if self.exchange is None:
            return self._run(step0, nsteps)
        done = 0  # pieces of at most the smallest delay, each followed by an exchange of its spikes
        while done < nsteps or (nsteps == 0 and done == 0):
            m = min(self.exchange.interval, nsteps - done)
            ran = self._run(step0 + done, m)
            if ran != m:  # pragma: no cover - _chunk_bound prevents it
                raise RuntimeError(f"fastspike: a distributed chunk stopped after {ran} of {m} steps")
            if m == 0:
                break
            self.exchange.exchange(step0 + done, m)
            done += m
        return done

    def _run(self, step0: int, nsteps: int) -> int:
        done = self._run_once(step0, nsteps)
        tile = self.lowered.tile
        while tile is not None and tile[0] > step0 + done:  # the state ran ahead of the spikes emitted
            self._drain()  # (a tile's spikes filled a record buffer): make room, emit the rest
            done += self._run_once(step0 + done, nsteps - done)
        return done

    def _run_once(self, step0: int, nsteps: int) -> int:
        leading = (step0, nsteps, self.consts, self.ring_length, self.spike_count, self.spike_limit, self.sample_count,
                   self.sample_limit)
        blocks = self.lowered.threads
        if blocks == 1:
            return int(self.function(*leading, *self.arguments))
        first, last = self.own_blocks
        ranges = (np.int64(blocks), np.int64(first), np.int64(last))
        if self.owned:
            rebalance(self.owned, blocks)
        if self.function is self.module.run_chunk_ranges:
            return int(self.function(*leading, *ranges, *self.arguments))
        import numba  # a range per thread; as many workers at once as Numba runs threads

        threads = last - first
        workers = min(threads, numba.config.NUMBA_NUM_THREADS)
        if self.function is self.module.worker:  # the workers run the chunk at once; the outcome is in sync
            self.sync[:] = 0
            self._run_workers(leading + ranges, workers)
            if self.sync[3] == 1:
                return int(self.sync[2])
            # the workers did not run at once (no work was done): a parallel region per stage (a fused
            # program: its ranges one after another in this thread), from now on
            fused = not hasattr(self.module, "run_chunk_stages")
            self.function = self.module.run_chunk_ranges if fused else self.module.run_chunk_stages
            instead = ("the threads' ranges one after another in one thread" if fused else
                       "each stage in a parallel region of its own, which costs more per step")
            warnings.warn(f"CPU threads: the workers did not run at once (the machine's cores are busy?); running "
                          f"{instead}", RuntimeWarning, stacklevel=4)
            return self._run_once(step0, nsteps)
        numba.set_num_threads(workers)
        return int(self.function(*leading, *ranges, np.int64(workers), self.sync, *self.arguments))

    def _run_workers(self, head: tuple, workers: int) -> None:
        """One chunk of steps run by ``workers`` threads at once, each calling the compiled
        ``worker`` (``nogil``: they run in parallel; worker 0 in this thread), which meet at
        barriers between the stages of every step. Started from Python, not as a Numba
        parallel region: no parfor compile (several seconds), no OpenMP wait policy."""
        lists = self.arguments  # kernels: a typed list of argument tuples per group; a fused program: its arrays
        errors: list[BaseException] = []

        def work(w: int) -> None:
            try:
                self.module.worker(np.int64(w), np.int64(workers), np.int64(SPIN_BUDGET), *head, self.sync, *lists)
            except BaseException as error:  # pragma: no cover - a worker's error, raised below
                errors.append(error)

        others = [threading.Thread(target=work, args=(w,), name=f"fastspike-worker-{w}", daemon=True)
                  for w in range(1, workers)]
        for t in others:
            t.start()
        work(0)
        for t in others:
            t.join()
        if errors:  # pragma: no cover
            raise errors[0]

    def _drain(self) -> None:
        """Move the rows of the record buffers to the records (or to the sink) and reuse the buffers."""
        if self.exchange is not None:
            self._drain_distributed()
            return
        for rec, steps, idx, k in self.program.spike_records:
            c = int(self.spike_count[k])
            if c:
                self._spikes_out(rec, steps[:c], idx[:c])
                self.spike_count[k] = 0
        for k, (rec, steps, bufs) in enumerate(self.program.state_records):
            c = int(self.sample_count[k])
            if c:
                self._samples_out(rec, steps[:c], {v: b[:c] for v, b in bufs.items()})
                self.sample_count[k] = 0


    def _drain_distributed(self) -> None:
        """A distributed run: the records of every process, gathered on rank 0 in the order of
        one process (:mod:`fastspike.parallel.exchange`); every process takes part."""
        from ...parallel.exchange import gather_samples, gather_spikes

        comm = self.net.comm
        for rec, steps, idx, k in self.program.spike_records:
            c = int(self.spike_count[k])
            merged = gather_spikes(comm, steps[:c], idx[:c])
            self.spike_count[k] = 0
            if merged is not None and merged[0].size:
                self._spikes_out(rec, *merged)
        for k, (rec, steps, bufs) in enumerate(self.program.state_records):
            c = int(self.sample_count[k])  # the same on every process
            values = gather_samples(comm, c, self.columns[k], bufs)
            self.sample_count[k] = 0
            if values is not None and c:
                self._samples_out(rec, steps[:c], values)


class _DeferredInterrupt:
    """While compiled code runs, Ctrl-C (SIGINT) and SIGTERM only set ``hit``; the run loop
    calls ``stop()`` after the chunk, once ``net.step`` and the records agree, which raises
    ``KeyboardInterrupt`` (SIGINT) or :class:`fastspike.signals.Terminated` (SIGTERM: the
    caller flushes and marks an output file interrupted; uncaught, the process exits with
    status 143). Each signal is deferred only in the main thread and when its default handler
    is installed (Python's for SIGINT, ``SIG_DFL`` for SIGTERM, on POSIX)."""

    def __init__(self) -> None:
        self.hit = False
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def _handler(self, signum, frame) -> None:
        self.hit = True
        if self.signum is None or signum == getattr(signal, "SIGTERM", None):  # SIGTERM wins
            self.signum = signum

    def __enter__(self) -> "_DeferredInterrupt":
        if threading.current_thread() is threading.main_thread():
            defaults = {signal.SIGINT: signal.default_int_handler}
            if hasattr(signal, "SIGTERM") and hasattr(signal, "SIGKILL"):  # POSIX
                defaults[signal.SIGTERM] = signal.SIG_DFL
            for signum, default in defaults.items():
                if signal.getsignal(signum) is default:
                    self._previous[signum] = signal.signal(signum, self._handler)
        return self

    def stop(self) -> None:
        """Raise what the signal received asks for."""
        from ...signals import Terminated

        if self.signum == getattr(signal, "SIGTERM", None):
            raise Terminated()
        raise KeyboardInterrupt

    def __exit__(self, *exc) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous = {}


@functools.lru_cache(maxsize=None)
def _bar_class() -> type:
    """tqdm's bar whose updates stop at the total (sums of step * dt may pass it by 1e-12).

    One class for the process: tqdm starts a monitor thread per class that lives as long as
    the process, so a class made per run left a thread behind every run."""
    from tqdm.auto import tqdm

    class Bar(tqdm):
        def update(self, n: float = 1) -> bool | None:
            return super().update(min(n, self.total - self.n))

    return Bar


def _progress_bar(total_ms: float, progress: bool | None):
    if progress is False:
        return None
    return _bar_class()(total=round(total_ms, 6), unit="ms", delay=0 if progress else 2.0, desc="fastspike",
                        bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} ms [{elapsed}<{remaining}]")

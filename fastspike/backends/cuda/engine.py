"""Run a network on an NVIDIA GPU with ``numba.cuda``.

The arrays of the step program live on the device for the engine's lifetime; the arrays a
user can see (state variables, synaptic currents, spike histories, ring buffers) are
uploaded when a ``run()`` starts and downloaded when it ends, so ``pop.v`` and repeated runs
behave as on the CPU. Each step launches the program's kernels in order (deliveries,
populations and sources, samples). Spikes are appended to device buffers with atomic
additions; every few steps (as many as the buffers are guaranteed to hold) the host copies
the counts and the filled parts back, sorts each chunk by (step, neuron) — the order of
the CPU backend — and appends it to the records.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from ..codegen import generate
from ..cpu.engine import STATE_BUFFER_BYTES, TARGET_CHUNK_SECONDS, Sink, _DeferredInterrupt, _progress_bar
from .availability import simulated
from .compiler import compile_program, host_prelude, render

if TYPE_CHECKING:  # pragma: no cover
    from ...network import Network

__all__ = ["CUDAEngine"]

BLOCK = 128
SPIKE_BUFFER_STEPS = 16  # spike buffers hold 16 steps of every neuron firing


class CUDAEngine:
    """A network's kernels on the GPU, launched step by step."""

    def __init__(self, net: "Network") -> None:
        from numba import cuda

        self.cuda = cuda
        self.net = net
        row_bytes = max((len(r.neurons) * net.dtype.itemsize * len(r.variables) for r in net.records
                         if r.kind == "state"), default=1)
        self.sample_rows = int(np.clip(STATE_BUFFER_BYTES // row_bytes, 64, 1 << 16))
        t0 = time.perf_counter()
        prog = self.program = generate(net, self.sample_rows, target="cuda", spike_buffer_steps=SPIKE_BUFFER_STEPS)
        module = compile_program(prog)
        t1 = time.perf_counter()
        self.consts_host = np.array([net.dt, 0.0, net.dt / 2, net.dt / 6, 2.0], dtype=net.dtype)
        self._device: dict[int, object] = {}  # id(host array) -> device array
        self._host: dict[int, np.ndarray] = {}
        self.launches = []
        for call in prog.calls:
            fn = getattr(module, call.kernel.name)
            pre = host_prelude(call.kernel, call.arrays, self.consts_host, net.dtype)
            arrays = [self._to_device(a) for a in call.arrays]
            threads = max(int(call.threads), 1)
            block = min(BLOCK, threads) if simulated() else BLOCK
            self.launches.append((fn[(threads + block - 1) // block, block], pre, arrays))
        self.consts = cuda.to_device(self.consts_host)
        self.spike_count = cuda.to_device(np.zeros(max(len(prog.spike_records), 1), np.int64))
        self.sample_count = cuda.to_device(np.zeros(max(len(prog.state_records), 1), np.int64))
        self.capacity = [(steps.size, rec.population.n) for rec, steps, _, _ in prog.spike_records]
        self.ring_length = prog.ring_length
        self.mutable = self._mutable_arrays()
        net.timings["codegen"] = t1 - t0
        net.timings["compile"] = time.perf_counter() - t1  # kernels compile at their first launch
        self.chunk = 16
        self.sink: Sink | None = None

    @property
    def source(self) -> str:
        return render(self.program)

    def _to_device(self, a: np.ndarray):
        key = id(a)
        if key not in self._device:
            self._device[key] = self.cuda.to_device(a)
            self._host[key] = a
        return self._device[key]

    def _mutable_arrays(self) -> list[int]:
        """Arrays a user or a later run may read or change between runs."""
        ids = []
        for pop in self.net.populations:
            arrays = [*pop.state.values(), *pop._currents.values(), *pop._inputs.values(), *pop._rings.values(),
                      *pop._extra.values(), pop.spike_history, pop.spike_history_counts]
            if pop.refractory_count is not None:
                arrays.append(pop.refractory_count)
            ids += [id(a) for a in arrays if id(a) in self._device]
        return ids

    def _upload(self) -> None:
        for key in self.mutable:
            self._device[key].copy_to_device(self._host[key])

    def _download(self) -> None:
        for key in self.mutable:
            self._device[key].copy_to_host(self._host[key])

    def _steps_before_drain(self) -> int:
        """How many steps the record buffers are sure to hold (all neurons firing every step)."""
        k = self.sample_rows
        for cap, n in self.capacity:
            k = min(k, cap // max(n, 1))
        return max(k, 1)

    def _drain(self) -> None:
        prog = self.program
        if prog.spike_records:
            counts = self.spike_count.copy_to_host()
            for rec, steps, idx, k in prog.spike_records:
                c = int(counts[k])
                if c:
                    s = self._device[id(steps)][:c].copy_to_host()
                    n = self._device[id(idx)][:c].copy_to_host()
                    order = np.lexsort((n, s))  # the CPU order: by step, then neuron
                    if self.sink is None:
                        rec._append(s[order], n[order])
                    else:
                        self.sink.spikes(rec, s[order], n[order])
            self.spike_count.copy_to_device(np.zeros_like(counts))
        if prog.state_records:
            counts = self.sample_count.copy_to_host()
            for k, (rec, steps, bufs) in enumerate(prog.state_records):
                c = int(counts[k])
                if c:
                    s = self._device[id(steps)][:c].copy_to_host()
                    values = {v: self._device[id(b)][:c].copy_to_host() for v, b in bufs.items()}
                    if self.sink is None:
                        rec._append(s, values)
                    else:
                        self.sink.samples(rec, s, values)
            self.sample_count.copy_to_device(np.zeros_like(counts))

    def _launch(self, step0: int, nsteps: int) -> None:
        mask = self.ring_length - 1
        for step in range(step0, step0 + nsteps):
            slot = step & mask
            for kernel, pre, arrays in self.launches:
                kernel(step, slot, self.ring_length, self.consts, self.spike_count, self.sample_count, *pre, *arrays)

    def run(self, nsteps: int, progress: bool | None, sink: Sink | None = None) -> None:
        """Advance the network by ``nsteps`` steps; drained records go to ``sink`` when given
        (``net.run(..., output=path)``: chunks stop when ``sink.until_flush`` says, and
        ``sink.tick`` follows each drain). Ctrl-C is deferred to the end of the current chunk."""
        net = self.net
        bar = _progress_bar(nsteps * net.dt, progress)
        end = net.step + nsteps
        self.sink = sink
        t_run = time.perf_counter()
        self._upload()
        try:
            with _DeferredInterrupt() as interrupt:
                while net.step < end:
                    todo = min(self.chunk, end - net.step, self._steps_before_drain())
                    if sink is not None:
                        todo = min(todo, sink.until_flush(net.step))
                    t0 = time.perf_counter()
                    self._launch(net.step, todo)
                    self._drain()  # synchronises
                    elapsed = time.perf_counter() - t0
                    net.step += todo
                    if sink is not None:
                        sink.tick(net.step)
                    if bar is not None:
                        bar.update(todo * net.dt)
                    if interrupt.hit:
                        raise KeyboardInterrupt
                    if elapsed < TARGET_CHUNK_SECONDS / 2:
                        self.chunk = min(self.chunk * 2, 1 << 20)
                    elif elapsed > TARGET_CHUNK_SECONDS * 2 and self.chunk > 1:
                        self.chunk = max(self.chunk // 2, 1)
        finally:
            try:
                self.cuda.synchronize()
                self._drain()
                self._download()
            finally:
                self.sink = None
                net.timings["run"] = time.perf_counter() - t_run
                if bar is not None:
                    bar.close()

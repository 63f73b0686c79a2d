"""Run a network on an NVIDIA GPU with ``numba.cuda``.

All arrays of the step program live on the device, in one arena per dtype (see
:mod:`fastspike.backends.cuda.compiler`), for the engine's lifetime; the arrays a user can
see (state variables, synaptic currents, spike histories, ring buffers) are uploaded when a
``run()`` starts and downloaded when it ends, so ``pop.v`` and repeated runs behave as on
the CPU.

Launches. By default one cooperative launch runs a whole chunk of steps
(``run_steps``: grid-wide barriers between the stages of a step, as many blocks as fit on
the GPU at once); ``FASTSPIKE_CUDA_LAUNCH=stages`` launches each stage of each step instead
(2 launches per step, 3 on sampling steps). If the cooperative kernel cannot be compiled or
placed (no device runtime to link, or not one block fits), the engine warns and uses stages,
unless ``FASTSPIKE_CUDA_LAUNCH=steps`` asked for it explicitly.

Records. Spikes are appended to device buffers with atomic additions. A chunk ends when
``run_steps`` sees a spike buffer that the next step could overflow (``stages`` mode: after
as many steps as the buffers are sure to hold); the host then copies the counts and the
filled parts back, orders each chunk by (step, neuron), the order of the CPU backend
(:func:`~fastspike.backends.cuda.spike_order.order_spikes`, linear time), and appends it
to the records or the HDF5 file.
"""
from __future__ import annotations

import os
import time
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ...ir.schedule import build_program, constant_values
from ..cpu.engine import ChunkedEngine, sample_rows
from .availability import simulated
from ..options import LAUNCH_ENV, LAUNCH_MODES, launch_asked
from .compiler import check_no_aliases, compile_program, layout, lower, render
from .spike_order import order_spikes

if TYPE_CHECKING:  # pragma: no cover
    from ...network import Network

__all__ = ["CUDAEngine", "LAUNCH_MODES"]

BLOCK = 128
SIMULATOR_BLOCK = 32  # the simulator runs one Python thread per GPU thread
SPIKE_BUFFER_ENTRIES = 1 << 26
"""Spike record buffers together hold about this many spikes (12 bytes each on the device):
as many steps of every recorded neuron firing as fit, between 16 and 1024 steps."""
def launch_mode() -> str | None:
    """The launch mode asked for by ``$FASTSPIKE_CUDA_LAUNCH``, or None (not set: ``steps``
    where it works, else ``stages``)."""
    return launch_asked(os.environ.get(LAUNCH_ENV, ""))


class CUDAEngine(ChunkedEngine):
    """A network's kernels on the GPU, a chunk of steps per launch (or a stage per launch)."""

    MAX_CHUNK = 1 << 20

    def __init__(self, net: "Network") -> None:
        from numba import cuda

        self.cuda = cuda
        self.net = net
        self.options = net.backend
        self.mode = self.options.launch  # settled by _configure
        self.sample_rows = sample_rows(net)
        t0 = time.perf_counter()
        recorded = sum(r.population.n for r in net.records if r.kind == "spikes")
        buffer_steps = int(np.clip(SPIKE_BUFFER_ENTRIES // max(recorded, 1), 16, 1024))
        self.program = build_program(net, net._buffers, self.sample_rows, spike_buffer_steps=buffer_steps)
        prog = self.lowered = lower(self.program, self.options.lanes)
        self.consts_host = constant_values(net)
        lay = self.layout = layout(prog, self.consts_host)
        self.mutable = self._mutable_arrays()
        check_no_aliases(list(lay.arrays.values()), set(self.mutable) | self._record_buffers())
        module = self.module = compile_program(prog, lay)
        t1 = time.perf_counter()
        self.arenas = {name: cuda.device_array(max(size, 1), dtype=np.dtype(name)) for name, size in lay.sizes.items()}
        for key in lay.arrays:
            self._copy(key, to_device=True)
        self.table = cuda.to_device(lay.table)
        self.consts = cuda.to_device(self.consts_host)
        self.spike_count = cuda.to_device(np.zeros(max(len(self.program.spike_records), 1), np.int64))
        self.spike_limit = cuda.to_device(np.array(self.program.spike_limits or [np.iinfo(np.int64).max], np.int64))
        self.steps_done = cuda.to_device(np.zeros(1, np.int64))
        self.sample_fill = np.zeros(max(len(self.program.state_records), 1), np.int64)
        self.sample_base = cuda.to_device(self.sample_fill)
        self.every = [rec.every for rec, _, _ in self.program.state_records]
        self.capacity = [(steps.size, rec.population.n) for rec, steps, _, _ in self.program.spike_records]
        self.ring_length = self.program.ring_length
        self.stages = [any(g.stage == s for g in lay.groups) for s in range(4)]  # deliver, update, sample, learn
        self.arguments = (self.ring_length, self.consts, self.spike_count, self.sample_base, self.table,
                          *(self.arenas[name] for name in lay.arenas))
        t2 = time.perf_counter()
        self._configure(module)
        net.timings["codegen"] = t1 - t0
        net.timings["upload"] = t2 - t1
        net.timings["compile"] = time.perf_counter() - t2
        self.chunk = 16

    # -- compilation and launch configuration -------------------------------------------------
    def _compiled(self, kernel, *leading):
        """Compile ``kernel`` for this engine's arguments now (so that the compile time is
        measured at build, not at the first launch); returns the compiled kernel."""
        if simulated():
            return None
        import numba

        return kernel.compile(tuple(numba.typeof(a) for a in (*leading, *self.arguments)))

    def _blocks(self, items: int) -> int:
        """Blocks of an ordinary launch with ``items`` work items (at most a full GPU)."""
        if simulated():
            return 1
        sms = self.cuda.get_current_device().MULTIPROCESSOR_COUNT
        return int(np.clip(-(-items // BLOCK), 1, sms * (2048 // BLOCK)))

    def _configure(self, module) -> None:
        if self.mode in (None, "steps"):
            try:
                self._configure_steps(module)
                self.mode = "steps"
                return
            except Exception as exc:
                if self.mode == "steps":
                    raise
                warnings.warn(f"CUDA backend: cooperative launches unavailable ({type(exc).__name__}: {exc}); "
                              "launching one kernel per stage of each step instead", RuntimeWarning, stacklevel=2)
        self._configure_stages(module)
        self.mode = "stages"

    def _block(self) -> int:
        return SIMULATOR_BLOCK if simulated() else BLOCK

    def _configure_steps(self, module) -> None:
        """One cooperative launch per chunk of steps: as many blocks as the largest stage has
        work for, at most as many as fit on the GPU at once (a grid barrier needs them all
        resident)."""
        block = self._block()
        compiled = self._compiled(module.run_steps, 0, 0, self.spike_limit, self.steps_done)
        fit = 1 if compiled is None else compiled.max_cooperative_grid_blocks(block)
        if fit < 1:
            raise RuntimeError(f"no block of {block} threads of run_steps fits on the GPU")
        items = max(self.layout.stage_items(s) for s in range(4))
        blocks = int(np.clip(-(-items // block), 1, fit))
        self.run_steps = module.run_steps[blocks, block]
        self.grid = (blocks, block)

    def _configure_stages(self, module) -> None:
        block = self._block()
        items = [self.layout.stage_items(s) for s in range(4)]
        self.stage_kernels = []
        for s, name in enumerate(("stage_deliver", "stage_update", "stage_sample", "stage_learn")):
            if not self.stages[s] and name == "stage_learn":
                self.stage_kernels.append(None)
                continue
            kernel = getattr(module, name)
            if self.stages[s]:
                self._compiled(kernel, 0)
            self.stage_kernels.append(kernel[self._blocks(items[s]), block])
        self.grid = (self._blocks(max(items)), block)

    @property
    def source(self) -> str:
        return render(self.lowered, self.layout)

    # -- arrays ---------------------------------------------------------------------------
    def _view(self, key: int, size: int | None = None):
        """The (1-D) device view of the array with id ``key`` in its arena (its first ``size``
        elements)."""
        name, offset = self.layout.places[key]
        a = self.layout.arrays[key]
        return self.arenas[name][offset: offset + (a.size if size is None else size)]

    def _copy(self, key: int, to_device: bool) -> None:
        a = self.layout.arrays[key]
        if a.size:
            if to_device:
                self._view(key).copy_to_device(np.ascontiguousarray(a).reshape(-1))
            else:
                self._view(key).copy_to_host(a.reshape(-1))

    def _mutable_arrays(self) -> list[int]:
        """Arrays a user or a later run may read or change between runs: what the step
        program declares persistent (state, channel state, spike histories, rings,
        refractory counters)."""
        ids = []
        for call in self.lowered.calls:
            for name, a in zip(call.kernel.params, call.arrays):
                if name in call.kernel.persistent and id(a) in self.layout.places and id(a) not in ids:
                    ids.append(id(a))
        return ids

    def _record_buffers(self) -> set[int]:
        prog = self.program
        ids = {id(a) for _, steps, idx, _ in prog.spike_records for a in (steps, idx)}
        for _, steps, bufs in prog.state_records:
            ids |= {id(steps), *(id(b) for b in bufs.values())}
        return ids

    def _upload(self) -> None:
        for key in self.mutable:
            self._copy(key, to_device=True)

    def _download(self) -> None:
        for key in self.mutable:
            self._copy(key, to_device=False)

    # -- records ------------------------------------------------------------------------------
    def _chunk_bound(self) -> int:
        """How many steps the record buffers are sure to hold: the sample rows; in ``stages``
        mode also the steps of every neuron firing every step (``run_steps`` checks the spike
        buffers itself and stops before they can overflow)."""
        k = self.sample_rows
        if self.mode != "steps":
            for cap, n in self.capacity:
                k = min(k, cap // max(n, 1))
        return max(k, 1)

    def _set_sample_base(self, step0: int) -> None:
        """Sample kernels write step k's sample to row ``base + (k + 1) // every``: the base makes
        the first sample from ``step0`` on land after the rows already filled."""
        if self.every:
            base = self.sample_fill.copy()
            for g, every in enumerate(self.every):
                base[g] -= step0 // every + 1
            self.sample_base.copy_to_device(base)

    def _count_samples(self, step0: int, nsteps: int) -> None:
        for g, every in enumerate(self.every):
            self.sample_fill[g] += (step0 + nsteps) // every - step0 // every

    def _drain(self) -> None:
        prog = self.program
        if prog.spike_records:
            counts = self.spike_count.copy_to_host()
            for rec, steps, idx, k in prog.spike_records:
                c = min(int(counts[k]), steps.size)
                if c:
                    s = self._view(id(steps), c).copy_to_host()
                    n = self._view(id(idx), c).copy_to_host()
                    self._spikes_out(rec, *order_spikes(s, n, rec.population.n))
            self.spike_count.copy_to_device(np.zeros_like(counts))
        for k, (rec, steps, bufs) in enumerate(prog.state_records):
            c = int(self.sample_fill[k])
            if c:
                s = self._view(id(steps), c).copy_to_host()
                self._samples_out(rec, s, {v: self._view(id(b), c * b.shape[1]).copy_to_host().reshape(c, b.shape[1])
                                           for v, b in bufs.items()})
        self.sample_fill[:] = 0

    # -- running (the loop is ChunkedEngine.run) -------------------------------------------
    def _advance(self, step0: int, nsteps: int) -> int:
        self._set_sample_base(step0)
        if self.mode == "steps":
            self.run_steps(step0, nsteps, self.spike_limit, self.steps_done, *self.arguments)
            nsteps = int(self.steps_done.copy_to_host()[0])  # fewer when a spike buffer filled up
        else:
            deliver, update, sample, learn = self.stage_kernels
            for step in range(step0, step0 + nsteps):
                if self.stages[0]:
                    deliver(step, *self.arguments)
                update(step, *self.arguments)
                if self.stages[3]:
                    learn(step, *self.arguments)
                if self.stages[2] and any((step + 1) % e == 0 for e in self.every):
                    sample(step, *self.arguments)
        self._count_samples(step0, nsteps)
        self.cuda.synchronize()  # the chunk's time is the GPU's
        return nsteps

    def _start(self) -> None:
        self._upload()

    def _finish(self) -> None:
        self.cuda.synchronize()
        self._drain()
        self._download()

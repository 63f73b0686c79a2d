"""Run a compiled network on the CPU, chunk by chunk, draining record buffers between chunks."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from ..codegen import generate
from .compiler import arguments, compile_program, render

if TYPE_CHECKING:  # pragma: no cover
    from ...network import Network

__all__ = ["CPUEngine"]

# Chunks of steps run in one compiled call are sized to last about this long, so that
# Ctrl-C, progress bars and buffer draining stay responsive whatever the network size.
TARGET_CHUNK_SECONDS = 0.25
STATE_BUFFER_BYTES = 8 << 20


class CPUEngine:
    """A network compiled to one ``@njit`` function that advances it by many steps per call."""

    def __init__(self, net: "Network") -> None:
        self.net = net
        row_bytes = max((len(r.neurons) * net.dtype.itemsize * len(r.variables) for r in net.records
                         if r.kind == "state"), default=1)
        self.sample_rows = int(np.clip(STATE_BUFFER_BYTES // row_bytes, 64, 1 << 16))
        t0 = time.perf_counter()
        self.program = generate(net, self.sample_rows)
        self.function = compile_program(self.program)
        prog = self.program
        self.consts = np.array([net.dt, 0.0, net.dt / 2, net.dt / 6, 2.0], dtype=net.dtype)
        self.spike_count = np.zeros(len(prog.spike_records), np.int64)
        self.spike_limit = np.array(prog.spike_limits, np.int64)
        self.sample_count = np.zeros(len(prog.state_records), np.int64)
        self.sample_limit = np.array(prog.sample_limits, np.int64)
        self.ring_length = prog.ring_length
        self.arguments = arguments(prog)
        t1 = time.perf_counter()
        self._call(net.step, 0)  # compile now (or load from cache) so run() times the simulation only
        net.timings["codegen"] = t1 - t0
        net.timings["compile"] = time.perf_counter() - t1
        self.chunk = 1000

    @property
    def source(self) -> str:
        """The generated source of the step sequence (for inspection)."""
        return render(self.program)

    def _call(self, step0: int, nsteps: int) -> int:
        return int(self.function(step0, nsteps, self.consts, self.ring_length, self.spike_count, self.spike_limit,
                                 self.sample_count, self.sample_limit, *self.arguments))

    def _drain(self) -> None:
        for rec, steps, idx, k in self.program.spike_records:
            c = int(self.spike_count[k])
            if c:
                rec._append(steps[:c], idx[:c])
                self.spike_count[k] = 0
        for k, (rec, steps, bufs) in enumerate(self.program.state_records):
            c = int(self.sample_count[k])
            if c:
                rec._append(steps[:c], {v: b[:c] for v, b in bufs.items()})
                self.sample_count[k] = 0

    def run(self, nsteps: int, progress: bool | None) -> None:
        net = self.net
        bar = _progress_bar(nsteps * net.dt, progress)
        end = net.step + nsteps
        t_run = time.perf_counter()
        try:
            while net.step < end:
                todo = min(self.chunk, end - net.step)
                t0 = time.perf_counter()
                done = self._call(net.step, todo)
                elapsed = time.perf_counter() - t0
                net.step += done
                self._drain()
                if bar is not None:
                    bar.update(done * net.dt)
                if done == todo and elapsed < TARGET_CHUNK_SECONDS / 2:
                    self.chunk = min(self.chunk * 2, 1 << 30)
                elif elapsed > TARGET_CHUNK_SECONDS * 2 and self.chunk > 1:
                    self.chunk = max(self.chunk // 2, 1)
        finally:
            self._drain()  # nothing recorded is lost, even on Ctrl-C or an error
            net.timings["run"] = time.perf_counter() - t_run
            if bar is not None:
                bar.close()


def _progress_bar(total_ms: float, progress: bool | None):
    if progress is False:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=round(total_ms, 6), unit="ms", delay=0 if progress else 2.0, desc="fastspike",
                bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} ms [{elapsed}<{remaining}]")

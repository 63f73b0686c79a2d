"""Streaming records to HDF5 from the CUDA backend, under Numba's CUDA simulator (run by
tests/test_cuda_backend.py in its own process): the file holds what the CPU backend records."""
from __future__ import annotations

import warnings

import numpy as np

import fastspike as fs
from _same import assert_same_values

warnings.filterwarnings("ignore")


def _build(backend):
    net = fs.Network(dt=0.1, seed=4, backend=backend)
    pop = net.population(fs.LIF(tau_m=8.0, v_rest=0.0, v_reset=0.0, v_thresh=1.0, t_ref=0.3), n=6, name="pop")
    net.current(pop, np.linspace(3.0, 8.0, 6))
    return net, net.record(pop, "spikes"), net.record(pop, ["v"], neurons=[0, 5], every=2)


def test_cuda_engine_streams_the_records_the_cpu_records(tmp_path):
    cpu, cpu_spikes, cpu_trace = _build("cpu")
    cpu.run(4.0)
    gpu, gpu_spikes, gpu_trace = _build("cuda")
    path = tmp_path / "gpu.h5"
    gpu.run(2.5, output=path)
    gpu.run(1.5, output=path)  # appends
    assert gpu._engine.__class__.__name__ == "CUDAEngine" and len(cpu_spikes) > 5
    assert len(gpu_spikes._steps) == 0  # nothing kept in memory
    with fs.load(path) as run:
        assert run.complete and run.metadata["backend"] == "cuda" and run.t_stop == 4.0
        np.testing.assert_array_equal(run.spikes("pop").steps, cpu_spikes.steps)
        np.testing.assert_array_equal(run.spikes("pop").neurons, cpu_spikes.neurons)
        assert_same_values(cpu_trace.v, run.state("pop").v)
    np.testing.assert_array_equal(gpu_spikes.steps, cpu_spikes.steps)
    assert_same_values(cpu_trace.v, gpu_trace.v)

"""Plastic synapses on the CUDA backend under Numba's CUDA simulator: weights, spikes and
sampled weights identical to the CPU backend's (see test_backend_sim.py)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastspike as fs

warnings.filterwarnings("ignore")

DT = 0.1


def _build(backend: str):
    net = fs.Network(dt=DT, seed=4, backend=backend)
    pre = net.population(fs.PoissonSource(rate=300.0), 6, "pre")
    post = net.population(fs.LIF(tau_m=10.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-55.0, t_ref=0.3), 4, "post")
    net.poisson_input(post, 50, 600.0, 1.0)
    projs = [
        net.connect(pre, post, fs.AllToAll(), fs.ExpCurrent(2.0), weight=fs.Uniform(20.0, 60.0), delay=0.3,
                    plasticity=fs.STDP(lambda_=0.1, mu_plus=0.0, mu_minus=0.0)),
        net.connect(pre, post, fs.FixedTotalNumber(18), fs.Delta(), weight=1.0, delay=fs.Uniform(0.1, 0.5),
                    plasticity=fs.TripletSTDP(Aplus=0.05, Aminus=0.05, Aplus_triplet=0.02, w_max=3.0)),
        net.connect(pre, post, fs.FixedTotalNumber(10), fs.Delta(), weight=2.0, delay=0.2,
                    plasticity=fs.TsodyksMarkram(U=0.4, tau_rec=50.0, tau_fac=20.0)),
        net.connect(post, post, fs.AllToAll(), fs.Delta(), weight=0.5, delay=0.1,
                    plasticity=fs.STDP(lambda_=0.2, w_max=1.0, nearest=True)),
        net.connect(pre, post, fs.FixedOutdegree(20), fs.Delta(), weight=1.5, delay=0.2,  # rows of 20: a row table
                    plasticity=fs.STDP(lambda_=0.1, mu_plus=0.0, mu_minus=0.0)),
    ]
    assert projs[-1].row_table is not None
    spikes = net.record(post, "spikes")
    trace = net.record(projs[0], "weight", synapses=[0, 7, 23], every=5)
    return net, projs, spikes, trace


@pytest.mark.parametrize("launch", ["steps", "stages"])
def test_plastic_network_identical_to_cpu(launch, monkeypatch):
    monkeypatch.setenv("FASTSPIKE_CUDA_LAUNCH", launch)
    out = {}
    for backend in ("cpu", "cuda"):
        net, projs, spikes, trace = _build(backend)
        net.run(6.0)
        net.run(6.0)
        out[backend] = (net, projs, spikes, trace)
    (_, pc, sc, tc), (ng, pg, sg, tg) = out["cpu"], out["cuda"]
    assert ng._engine.__class__.__name__ == "CUDAEngine"
    assert len(sc.steps) > 10
    np.testing.assert_array_equal(sc.steps, sg.steps)
    np.testing.assert_array_equal(sc.neurons, sg.neurons)
    for a, b in zip(pc, pg):
        np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(pc[0].weights, _build("cpu")[1][0].weights)  # it learned
    np.testing.assert_array_equal(tc.weight, tg.weight)

"""fs.AlphaCurrent with the LIF's exact integrator: a closed-form PSP and NEST iaf_psc_alpha.

- One input spike on a LIF at rest: v - v_rest against the PSP of an alpha current
  ``w (t / tau_s) exp(1 - t / tau_s)`` through ``tau_m dv/dt = -(v - v_rest) + R I``, evaluated
  here by mpmath's quadrature at 30 digits (independent of the propagators), to 1e-12 mV in
  float64, for tau_s < tau_m, tau_s > tau_m and tau_s == tau_m (NEST's singular case).
- NEST ``iaf_psc_alpha`` on replayed input (data generated once, see
  tests/nest_reference/make_references.py), including tau_syn == tau_m: the same spikes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fastspike as fs

REF = Path(__file__).parent / "nest_reference"
TAU_M, R, W, DT = 10.0, 2.0, 3.0, 0.1


def psp(t: float, tau_s: float) -> float:
    import mpmath as mp

    mp.mp.dps = 30
    if t <= 0:
        return 0.0
    f = lambda s: mp.exp(-(t - s) / TAU_M) * (s / tau_s) * mp.exp(1 - s / tau_s)  # noqa: E731
    return float(W * R / TAU_M * mp.quad(f, [0, min(t, tau_s), t]))


@pytest.fixture(scope="module")
def single_spikes():
    """v of three LIFs (tau_s 2, 25 and tau_m) after one alpha input arriving at 1 ms, every step."""
    net = fs.Network(dt=DT, seed=1)
    src = net.population(fs.SpikeSource([0.5], [0]), n=1)
    out = {}
    for tau_s in (2.0, 25.0, TAU_M):
        pop = net.population(fs.LIF(tau_m=TAU_M, R=R, v_rest=-65.0, v_thresh=100.0), n=1)
        net.connect(src, pop, fs.AllToAll(), synapse=fs.AlphaCurrent(tau_s), weight=W, delay=0.5)
        out[tau_s] = net.record(pop, "v")
    net.run(40.0)
    return out


@pytest.mark.parametrize("tau_s", [2.0, 25.0, TAU_M])
def test_closed_form_psp(single_spikes, tau_s):
    rec = single_spikes[tau_s]
    t = rec.times[::4] - 1.0  # the weight arrives at 1 ms
    expected = np.array([psp(x, tau_s) for x in t])
    got = rec["v"][::4, 0] + 65.0
    assert np.max(expected) > 0.3
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_propagator_alpha_near_singular():
    """Across tau_m == tau_s the propagator is continuous (series vs closed form) to 1e-15 relative."""
    from fastspike.integrators import propagator_alpha

    a = -1.0 / TAU_M
    at = propagator_alpha(a, TAU_M, DT)
    for eps in (1e-12, 1e-8, 1e-4, 4.9, 5.1):  # y = (a + 1/tau_s) dt crosses the series' bound 0.5 near 5
        tau_s = 1.0 / (1.0 / TAU_M + eps)
        import mpmath as mp

        mp.mp.dps = 40
        x = mp.mpf(a) + 1 / mp.mpf(tau_s)
        exact = mp.exp(mp.mpf(a) * DT) * (1 - mp.exp(-x * DT) * (1 + x * DT)) / (x * x)
        assert propagator_alpha(a, tau_s, DT) == pytest.approx(float(exact), rel=1e-14)
    assert at == pytest.approx(float(mp.exp(a * DT) * DT ** 2 / 2), rel=1e-15)


def test_nest_iaf_psc_alpha_spike_for_spike():
    d = np.load(REF / "iaf_psc_alpha.npz")
    n = d["w_ex"].size
    net = fs.Network(dt=0.1, seed=1)
    exc = net.population(fs.SpikeSource(d["exc_times"], d["exc_neurons"]), n=n)
    inh = net.population(fs.SpikeSource(d["inh_times"], d["inh_neurons"]), n=n)
    recs = []
    for g, (tau_ex, tau_in) in enumerate(((2.0, 5.0), (10.0, 3.0))):  # tau_syn_ex == tau_m in the second group
        part = slice(6 * g, 6 * g + 6)
        pop = net.population(fs.LIF(tau_m=10.0, R=10.0 / 250.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-55.0,
                                    t_ref=2.0), n=6)  # C_m 250 pF: R = tau_m / C_m (GOhm, pA)
        net.current(pop, d["i_e"][part])
        pre = np.arange(n)[part]
        net.connect(exc, pop, fs.FromArrays(pre, np.arange(6)), synapse=fs.AlphaCurrent(tau_ex),
                    weight=d["w_ex"][part], delay=1.0)
        net.connect(inh, pop, fs.FromArrays(pre, np.arange(6)), synapse=fs.AlphaCurrent(tau_in),
                    weight=-d["w_in"][part], delay=1.0)
        recs.append((6 * g, net.record(pop, "spikes")))
    net.run(1000.0)
    ours = sorted((int(round(t * 10)), int(i) + first) for first, r in recs for t, i in zip(r.times, r.neurons))
    nest = sorted((int(round(t * 10)), int(i)) for t, i in zip(d["spike_times"], d["spike_senders"]))
    assert len(nest) > 1000
    assert ours == nest

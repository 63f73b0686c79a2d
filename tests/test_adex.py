"""AdEx presets reproduce the firing patterns of Naud, Marcille, Clopath & Gerstner (2008).

Naud et al. (2008), "Firing patterns in the adaptive exponential integrate-and-fire model",
Biol. Cybern. 99:335-347, Table 1 gives, for each pattern of their Fig. 4, the parameters
(C, g_L, E_L, V_T, Delta_T, a, tau_w, b, V_r) and the current step I. The patterns are
characterised (their sec. 3 and Fig. 4) by:
- the adaptation index A: the mean of (ISI_{k+1} - ISI_k) / (ISI_{k+1} + ISI_k), ~0 for tonic
  spiking, > 0 for adaptation, < 0 for acceleration;
- bursts: groups of closely spaced spikes followed by long intervals, at onset only (initial
  burst) or repeatedly (regular bursting), the interval distribution then being bimodal;
- delays: a first spike that comes late after the onset of the step (delayed patterns, a < 0);
- transient spiking: a few spikes at onset, then silence although the step continues;
- irregular spiking: a non-periodic interval sequence (many distinct intervals).
The thresholds below express these definitions; nothing is taken from fastspike's output.
"""
from __future__ import annotations

import numpy as np
import pytest

import fastspike as fs

# Naud et al. (2008), Table 1: C (pF), g_L (nS), E_L (mV), V_T (mV), Delta_T (mV), a (nS),
# tau_w (ms), b (pA), V_r (mV), I (pA)
TABLE_1 = {
    "tonic": (200, 10, -70, -50, 2, 2, 30, 0, -58, 500),
    "adapting": (200, 12, -70, -50, 2, 2, 300, 60, -58, 500),
    "initial_burst": (130, 18, -58, -50, 2, 4, 150, 120, -50, 400),
    "regular_bursting": (200, 10, -58, -50, 2, 2, 120, 100, -46, 210),
    "delayed_accelerating": (200, 12, -70, -50, 2, -10, 300, 0, -58, 300),
    "delayed_regular_bursting": (100, 10, -65, -50, 2, -10, 90, 30, -47, 110),
    "transient": (100, 10, -65, -50, 2, 10, 90, 100, -47, 180),
    "irregular": (100, 12, -60, -50, 2, -11, 130, 30, -48, 160),
}
DURATION = 1000.0


def test_presets_are_table_1_in_this_model_s_units():
    """tau_m = C / g_L, R = 1 / g_L (GOhm: pA x GOhm = mV), a in nS, b and w in pA."""
    assert set(fs.AdEx.presets) == set(TABLE_1)
    for name, (C, gL, EL, VT, dT, a, tau_w, b, Vr, I) in TABLE_1.items():
        p = fs.AdEx.preset(name).params
        assert p["tau_m"] == pytest.approx(C / gL) and p["R"] == pytest.approx(1 / gL)
        assert (p["v_rest"], p["v_T"], p["delta_T"], p["a"], p["tau_w"], p["b"], p["v_reset"]) == \
            (EL, VT, dT, a, tau_w, b, Vr)
        assert fs.AdEx.preset_current(name) == I


def test_defaults_are_ngclearn_adexcell():
    p = fs.AdEx().params
    assert (p["tau_m"], p["R"], p["tau_w"], p["delta_T"], p["v_T"], p["v_peak"], p["v_rest"], p["v_reset"], p["a"],
            p["b"]) == (15.0, 1.0, 400.0, 2.0, -55.0, 5.0, -72.0, -75.0, 0.1, 0.75)


@pytest.fixture(scope="module", params=[("rk4", 0.02), ("euler", 0.05)], ids=["rk4", "euler"])
def responses(request):
    """Spike times of every preset under its Table 1 step (from rest, v = E_L, w = 0)."""
    integrator, dt = request.param
    net = fs.Network(dt=dt)
    recs = {}
    for name in TABLE_1:
        pop = net.population(fs.AdEx.preset(name), n=1, name=name, integrator=integrator)
        net.current(pop, fs.StepCurrent([0.0], [fs.AdEx.preset_current(name)]))
        recs[name] = net.record(pop, "spikes")
    net.run(DURATION)
    return {"_dt": dt, **{name: r.times for name, r in recs.items()}}


def adaptation_index(isi):
    return float(np.mean(np.diff(isi) / (isi[1:] + isi[:-1])))


def tau_m(name):
    C, gL = TABLE_1[name][:2]
    return C / gL


def test_tonic(responses):
    t = responses["tonic"]
    isi = np.diff(t)
    assert len(isi) >= 50
    assert abs(adaptation_index(isi[:10])) < 0.01 and abs(adaptation_index(isi)) < 0.001
    assert np.ptp(isi[10:]) < 0.05 * np.mean(isi[10:])
    assert t[0] < tau_m("tonic")  # no delay


def test_adapting(responses):
    t = responses["adapting"]
    isi = np.diff(t)
    assert adaptation_index(isi[:10]) > 0.05
    assert np.all(np.diff(isi) > -0.01 * isi[1:])  # the intervals only grow
    assert isi[-1] > 5 * isi[0] and isi[0] > 8.0  # strong adaptation, no initial burst
    assert t[0] < tau_m("adapting")


def test_initial_burst(responses):
    isi = np.diff(responses["initial_burst"])
    burst = np.flatnonzero(isi < 10.0)
    assert len(burst) >= 2 and np.array_equal(burst, np.arange(len(burst)))  # at onset only
    tonic = isi[len(burst) + 1:]
    assert len(tonic) >= 5 and np.all(tonic > 40.0) and np.ptp(tonic) < 0.02 * np.mean(tonic)


def bursts_of(isi, short, long_):
    """Check the intervals are bimodal (< short or > long_) and return the burst sizes."""
    assert np.all((isi < short) | (isi > long_)), isi
    sizes, n = [], 1
    for x in isi:
        if x < short:
            n += 1
        else:
            sizes.append(n)
            n = 1
    return sizes


def test_regular_bursting(responses):
    isi = np.diff(responses["regular_bursting"])
    sizes = bursts_of(isi, 10.0, 50.0)
    assert len(sizes) >= 6 and all(s >= 2 for s in sizes)
    assert responses["regular_bursting"][0] < tau_m("regular_bursting")


def test_delayed_accelerating(responses):
    t = responses["delayed_accelerating"]
    isi = np.diff(t)
    assert t[0] > 1.5 * tau_m("delayed_accelerating") and t[0] > 2 * responses["tonic"][0]
    assert adaptation_index(isi[:10]) < -0.01
    assert np.all(np.diff(isi) < 0.01 * isi[1:])  # the intervals only shrink
    assert isi[0] > 1.5 * isi[-1]


def test_delayed_regular_bursting(responses):
    t = responses["delayed_regular_bursting"]
    assert t[0] > 3 * tau_m("delayed_regular_bursting")
    sizes = bursts_of(np.diff(t), 12.0, 40.0)
    assert len(sizes) >= 8 and all(s >= 3 for s in sizes[:-1])


def test_transient(responses):
    t = responses["transient"]
    assert 1 <= len(t) <= 3 and np.all(t < 100.0)  # then silent for 900 ms of the step


def period_of(isi, tolerance, longest=8):
    """The smallest p <= longest with ISI_{k+p} = ISI_k (within tolerance) for all k, else None."""
    for p in range(1, longest + 1):
        if np.all(np.abs(isi[p:] - isi[:-p]) <= tolerance):
            return p
    return None


def test_irregular(responses):
    """After the onset transient the interval sequence has no period (of up to 8 intervals, to
    twice the step resolution), unlike the regular patterns, and a large coefficient of variation."""
    dt = responses["_dt"]

    def steady(name):
        t = responses[name]
        return np.diff(t[t > 200.0])

    isi = steady("irregular")
    assert len(isi) >= 20
    assert np.std(isi) / np.mean(isi) > 0.3
    assert period_of(isi, 2 * dt + 1e-9) is None
    assert period_of(steady("regular_bursting"), 2 * dt + 1e-9) == 2
    assert period_of(steady("tonic"), 2 * dt + 1e-9) == 1


def test_refractory_period_holds_v_at_reset_while_w_evolves():
    """t_ref as NEST's aeif: v held at v_reset for t_ref after a spike, w keeps relaxing."""
    net = fs.Network(dt=0.05)
    pop = net.population(fs.AdEx.preset("adapting", t_ref=2.0), n=1, integrator="rk4")
    net.current(pop, 500.0)
    rec = net.record(pop, ["v", "w"])
    spikes = net.record(pop, "spikes")
    net.run(100.0)
    k = spikes.steps[0] - 1
    np.testing.assert_array_equal(rec.v[k:k + 41, 0], -58.0)  # 2 ms = 40 steps after the spike step
    assert rec.v[k + 41, 0] != -58.0
    assert np.all(np.diff(rec.w[k:k + 41, 0]) != 0)

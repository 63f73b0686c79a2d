"""Generate the NEST reference data of tests/test_conductance.py and tests/test_alpha.py (run once).

    python -m venv /tmp/peers
    /tmp/peers/bin/pip install "brian2==2.9.*" "numpy<2.4" "nest-simulator==3.10.*"
    /tmp/peers/bin/python tests/nest_reference/make_references.py

writes, next to this script (NEST 3.10.0 from PyPI, Python 3.11, numpy 2.3):

- ``iaf_psc_alpha.npz``: 12 neurons ``iaf_psc_alpha`` (C_m 250 pF, tau_m 10 ms, E_L -70,
  V_th -55, V_reset -70 mV, t_ref 2 ms) in two groups of 6: tau_syn_ex 2 ms / tau_syn_in 5 ms,
  and tau_syn_ex = tau_m = 10 ms (NEST's singular propagator case) / tau_syn_in 3 ms; a constant
  I_e per neuron; each neuron gets its own excitatory and inhibitory spike trains (Poisson,
  times on the 0.1 ms grid, drawn with numpy's default_rng(15)) through ``spike_generator``\\ s
  with weight +w_ex / -w_in pA and delay 1 ms; resolution 0.1 ms, 1000 ms. Stored: the input
  spike times (ms) and neurons, the weights, I_e, and the output spike times and senders.
- ``iaf_cond_exp.npz``: 12 neurons ``iaf_cond_exp`` with NEST's defaults (C_m 250 pF, g_L
  16.6667 nS, E_L -70, V_th -55, V_reset -60 mV, t_ref 2 ms, E_ex 0, E_in -85 mV, tau_syn_ex
  0.2 ms, tau_syn_in 2 ms), the same kind of replayed input (weights nS, delay 1 ms), run at
  resolution 0.1 ms and 0.01 ms for 1000 ms (output spikes of both), and a subthreshold run
  (V_th = 100 mV, no spike) at 0.01 ms for 300 ms whose V_m is sampled every 0.5 ms.
- ``iaf_cond_alpha.npz``: the same for ``iaf_cond_alpha`` (NEST's defaults, the same
  conductance parameters; its own trains and weights, 1-2.5 nS excitatory and inhibitory,
  I_e 250-350 pA). Made later, alone: ``make_references.py iaf_cond_alpha.npz``.
- ``hh_cond_exp_traub.npz``: 4 neurons ``hh_cond_exp_traub`` with COBAHH's parameters (NEST's
  defaults but V_T = -63 mV, t_ref 3 ms), V_m -60 mV, constant currents I_e = 0, 100, 400 and
  1000 pA, resolution 0.01 ms, 500 ms: output spike times and senders.

NEST integrates ``iaf_cond_exp`` with GSL's adaptive RKF45 within each step; ``iaf_psc_alpha``
exactly. A spike given to a ``spike_generator`` at time t is emitted with stamp t and arrives
at t + delay: fastspike's ``SpikeSource`` (a spike at t is emitted in the step that ends at t)
with the same delay replays it.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import nest

HERE = os.path.dirname(os.path.abspath(__file__))
N = 12
T = 1000.0
DELAY = 1.0


def trains(rng, rate_hz, t_stop):
    """Poisson spike times on the 0.1 ms grid in (0, t_stop - 2], per neuron: (times, neurons)."""
    times, neurons = [], []
    steps = int(round(t_stop / 0.1)) - 20
    for i in range(N):
        count = rng.poisson(rate_hz * steps * 1e-4)
        k = np.sort(rng.integers(1, steps, size=count))
        times.append(np.round(k * 0.1, 1))
        neurons.append(np.full(count, i))
    return np.concatenate(times), np.concatenate(neurons)


def run(model, params, i_e, exc, inh, w_ex, w_in, resolution, t_stop, sample=None):
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": resolution, "print_time": False})
    nest.set_verbosity("M_ERROR")
    pop = nest.Create(model, N, params=params)
    for i in range(N):
        pop[i].set(I_e=float(i_e[i]))
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)
    for (times, neurons), w in ((exc, w_ex), (inh, -w_in)):
        for i in range(N):
            t = times[neurons == i]
            g = nest.Create("spike_generator", params={"spike_times": t.tolist(), "allow_offgrid_times": False})
            nest.Connect(g, pop[i], syn_spec={"weight": float(w[i]), "delay": DELAY})
    mm = None
    if sample is not None:
        mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": sample})
        nest.Connect(mm, pop)
    nest.Simulate(t_stop)
    ev = rec.get("events")
    out = {"spike_times": np.asarray(ev["times"]), "spike_senders": np.asarray(ev["senders"]) - pop[0].global_id}
    if mm is not None:
        e = mm.get("events")
        out.update(v_times=np.asarray(e["times"]), v_senders=np.asarray(e["senders"]) - pop[0].global_id,
                   v=np.asarray(e["V_m"]))
    return out


def alpha():
    rng = np.random.default_rng(15)
    exc, inh = trains(rng, 1500.0, T), trains(rng, 400.0, T)
    w_ex = rng.uniform(40.0, 60.0, N)
    w_in = rng.uniform(60.0, 100.0, N)
    i_e = rng.uniform(250.0, 380.0, N)
    spikes_t, spikes_n = [], []
    for group, (tex, tin) in enumerate(((2.0, 5.0), (10.0, 3.0))):
        params = {"C_m": 250.0, "tau_m": 10.0, "E_L": -70.0, "V_th": -55.0, "V_reset": -70.0, "t_ref": 2.0,
                  "tau_syn_ex": tex, "tau_syn_in": tin, "V_m": -70.0}
        out = run("iaf_psc_alpha", params, i_e, exc, inh, w_ex, w_in, 0.1, T)
        keep = (out["spike_senders"] // 6) == group
        spikes_t.append(out["spike_times"][keep])
        spikes_n.append(out["spike_senders"][keep])
    np.savez_compressed(os.path.join(HERE, "iaf_psc_alpha.npz"), exc_times=exc[0], exc_neurons=exc[1],
                        inh_times=inh[0], inh_neurons=inh[1], w_ex=w_ex, w_in=w_in, i_e=i_e,
                        spike_times=np.concatenate(spikes_t), spike_senders=np.concatenate(spikes_n),
                        nest_version=nest.__version__)


def conductance_reference(model, name, seed, w_ex, w_in, i_e):
    """``name``: 12 ``model`` neurons (NEST's defaults) on their own replayed trains
    (default_rng(``seed``); weights and I_e uniform in the given (low, high) ranges), at
    resolution 0.1 and 0.01 ms for 1000 ms, and below threshold (V_th 100 mV, half the I_e)
    at 0.01 ms for 300 ms with V_m sampled every 0.5 ms."""
    rng = np.random.default_rng(seed)
    exc, inh = trains(rng, 2000.0, T), trains(rng, 500.0, T)
    w_ex, w_in, i_e = rng.uniform(*w_ex, N), rng.uniform(*w_in, N), rng.uniform(*i_e, N)
    params = {"V_m": -70.0}
    coarse = run(model, params, i_e, exc, inh, w_ex, w_in, 0.1, T)
    fine = run(model, params, i_e, exc, inh, w_ex, w_in, 0.01, T)
    sub = run(model, {"V_m": -70.0, "V_th": 100.0}, i_e * 0.5, exc, inh, w_ex, w_in, 0.01, 300.0, sample=0.5)
    np.savez_compressed(os.path.join(HERE, name), exc_times=exc[0], exc_neurons=exc[1],
                        inh_times=inh[0], inh_neurons=inh[1], w_ex=w_ex, w_in=w_in, i_e=i_e,
                        coarse_times=coarse["spike_times"], coarse_senders=coarse["spike_senders"],
                        fine_times=fine["spike_times"], fine_senders=fine["spike_senders"],
                        sub_v_times=sub["v_times"], sub_v_senders=sub["v_senders"], sub_v=sub["v"],
                        nest_version=nest.__version__)


def cond():
    conductance_reference("iaf_cond_exp", "iaf_cond_exp.npz", 16, (1.0, 3.0), (2.0, 5.0), (200.0, 300.0))


def cond_alpha():
    """The conductance of a spike of weight w is w (t / tau) e^(1 - t / tau), peaking at w after
    tau_syn_ex 0.2 ms / tau_syn_in 2 ms."""
    conductance_reference("iaf_cond_alpha", "iaf_cond_alpha.npz", 17, (1.0, 2.5), (1.0, 2.5), (250.0, 350.0))


def traub():
    i_e = np.array([0.0, 100.0, 400.0, 1000.0])
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.01})
    pop = nest.Create("hh_cond_exp_traub", i_e.size, params={"V_T": -63.0, "t_ref": 3.0, "V_m": -60.0})
    for i, current in enumerate(i_e):
        pop[i].set(I_e=float(current))
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)
    nest.Simulate(500.0)
    ev = rec.get("events")
    np.savez_compressed(os.path.join(HERE, "hh_cond_exp_traub.npz"), i_e=i_e, spike_times=np.asarray(ev["times"]),
                        spike_senders=np.asarray(ev["senders"]) - pop[0].global_id, nest_version=nest.__version__)


MAKERS = {"iaf_psc_alpha.npz": alpha, "iaf_cond_exp.npz": cond, "iaf_cond_alpha.npz": cond_alpha,
          "hh_cond_exp_traub.npz": traub}


if __name__ == "__main__":  # all references, or those named: make_references.py iaf_cond_alpha.npz
    for name in sys.argv[1:] or list(MAKERS):
        MAKERS[name]()
        d = np.load(os.path.join(HERE, name))
        print(name, {k: d[k].shape for k in d.files})

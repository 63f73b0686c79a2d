"""Generate the NEST reference data of tests/test_plasticity.py (run once).

    python -m venv /tmp/peers
    /tmp/peers/bin/pip install "brian2==2.9.*" "numpy<2.4" "nest-simulator==3.10.*"
    /tmp/peers/bin/python tests/nest_reference/make_plasticity_references.py

writes ``plasticity.npz`` next to this script (NEST 3.10.0 from PyPI, Python 3.11, numpy 2.3).
STDP cases first (below), then ``tsodyks2_*`` cases (see :func:`run_tsodyks`), then
``triplet_d*`` (``stdp_triplet_synapse``, post parrots with tau_minus_triplet 125 ms) and
``pl_d*`` (``stdp_pl_synapse_hom``, parameters set on the model), then ``nn_symm_d*``
(``stdp_nn_symm_synapse``, additive) cases.

Replayed trains, resolution 0.1 ms: ``spike_generator`` -> ``parrot_neuron`` (delay 0.1 ms),
3 presynaptic parrots and 2 postsynaptic parrots, connected all to all by the plastic
synapse under test on receptor 1 of the postsynaptic parrots (registered for plasticity, not
repeated), with a ``weight_recorder``. The spike steps (a parrot's spike of step k is stamped
(k + 1) * 0.1 ms) are drawn with numpy's default_rng(16): Poisson-like trains over 300 ms,
plus postsynaptic spikes placed at t_pre - d, t_pre - d +- 0.1 ms (the simultaneous and
nearly simultaneous pairs whose handling the strict and non-strict inequalities of NEST's
archiving node decide); postsynaptic spikes with t_post + d = t_pre + 0.1 ms are dropped
(fastspike's test reads a weight at the end of the step after a presynaptic spike, when
a postsynaptic spike of that synapse time would already have facilitated it; NEST defers it).

Stored per case ``<name>``: ``<name>_pre_times``/``_pre_neurons`` and ``_post_times``/
``_post_neurons`` (the parrots' spikes as NEST recorded them, ms), ``_w0`` (3 x 2 initial
weights), ``_events`` (rows: pre index, post index, spike time ms, weight after it: the
weight_recorder's), ``_final`` (3 x 2 weights at the end), and ``_params`` (a JSON string:
the synapse model, its parameters, the delay in ms, tau_minus of the post parrots).
"""
from __future__ import annotations

import json
import os

import numpy as np
import nest

HERE = os.path.dirname(os.path.abspath(__file__))
DT = 0.1
STEPS = 3000
N_PRE, N_POST = 3, 2


def draw_trains(rng: np.random.Generator, delay_steps: int):
    pre = [np.unique(rng.integers(5, STEPS - 40, size=rng.poisson(14))) for _ in range(N_PRE)]
    post = []
    all_pre = np.unique(np.concatenate(pre))
    for i in range(N_POST):
        k = list(rng.integers(5, STEPS - 40, size=rng.poisson(14)))
        for kp in rng.choice(all_pre, size=6, replace=False):  # pairs at the synapse at the same time and +-1
            k.append(int(kp) - delay_steps + int(rng.integers(-1, 2)))
        k = np.unique(np.array(k))
        k = k[(k >= 2) & ~np.isin(k + delay_steps, all_pre + 1)]
        post.append(k)
    return pre, post


def run_case(name: str, model: str, syn: dict, delay_steps: int, tau_minus: float, rng, out: dict,
             post_params: dict | None = None, hom: bool = False) -> None:
    """``hom``: the synapse's parameters are common to all its connections (``*_hom``
    models): set on the model, not per connection."""
    pre_k, post_k = draw_trains(rng, delay_steps)
    w0 = rng.uniform(0.3, 0.7, size=(N_PRE, N_POST)) * syn.get("Wmax", 100.0)
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT, "print_time": False})
    nest.verbosity = nest.VerbosityLevel.ERROR
    gens_pre = nest.Create("spike_generator", N_PRE)
    gens_post = nest.Create("spike_generator", N_POST)
    for g, k in zip(gens_pre, pre_k):  # a generator spike at t reaches the parrot at t + dt: it fires then
        g.spike_times = list(np.round(k * DT, 1))  # parrot stamp (k + 1) dt: fastspike step k
    for g, k in zip(gens_post, post_k):
        g.spike_times = list(np.round(k * DT, 1))
    pre = nest.Create("parrot_neuron", N_PRE)
    post = nest.Create("parrot_neuron", N_POST, params={"tau_minus": tau_minus, **(post_params or {})})
    nest.Connect(gens_pre, pre, "one_to_one", {"delay": DT})
    nest.Connect(gens_post, post, "one_to_one", {"delay": DT})
    wr = nest.Create("weight_recorder")
    nest.CopyModel(model, model + "_rec", {"weight_recorder": wr, **(syn if hom else {})})
    rec = nest.Create("spike_recorder")
    nest.Connect(pre + post, rec)
    for i in range(N_PRE):
        for j in range(N_POST):
            nest.Connect(pre[i], post[j], syn_spec={"synapse_model": model + "_rec", "weight": float(w0[i, j]),
                                                    "delay": delay_steps * DT, "receptor_type": 1,
                                                    **({} if hom else syn)})
    nest.Simulate(STEPS * DT + 5.0)
    ev = rec.events
    senders, times = np.asarray(ev["senders"]), np.asarray(ev["times"])
    ids_pre, ids_post = list(pre.tolist()), list(post.tolist())
    is_pre = np.isin(senders, ids_pre)
    out[f"{name}_pre_times"] = times[is_pre]
    out[f"{name}_pre_neurons"] = np.array([ids_pre.index(s) for s in senders[is_pre]])
    out[f"{name}_post_times"] = times[~is_pre]
    out[f"{name}_post_neurons"] = np.array([ids_post.index(s) for s in senders[~is_pre]])
    w = wr.events
    out[f"{name}_events"] = np.column_stack([[ids_pre.index(s) for s in w["senders"]],
                                             [ids_post.index(t) for t in w["targets"]], w["times"], w["weights"]])
    final = np.zeros((N_PRE, N_POST))
    conns = nest.GetConnections(pre, post).get(["source", "target", "weight"])
    for s, t, wt in zip(conns["source"], conns["target"], conns["weight"]):
        final[ids_pre.index(s), ids_post.index(t)] = wt
    out[f"{name}_final"] = final
    out[f"{name}_w0"] = w0
    out[f"{name}_params"] = json.dumps({"model": model, "syn": syn, "delay": delay_steps * DT, "tau_minus": tau_minus,
                                        "post": post_params or {}})
    print(name, len(w["times"]), "weight events; final", final.ravel())


def run_tsodyks(name: str, syn: dict, rng, out: dict) -> None:
    """4 presynaptic parrots, each onto its own postsynaptic parrot (receptor 1) by a
    ``tsodyks2_synapse`` of weight 2.5, delay 1 ms, initial u = U and x = 1: trains regular at 20 and 50 Hz with a
    recovery spike 500 ms after, and two irregular ones. Stored: ``_pre_times``/
    ``_pre_neurons`` (the parrots' spikes), ``_events`` (pre index, spike time, the weight
    transmitted, x u w: the weight_recorder's) and ``_params``."""
    trains = [np.r_[np.arange(10) * 500 + 100, 5100 + 5000], np.r_[np.arange(10) * 200 + 100, 1900 + 5000],
              np.unique(rng.integers(50, 15000, size=25)), np.unique(rng.integers(50, 15000, size=40))]
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT, "print_time": False})
    gens = nest.Create("spike_generator", 4)
    for g, k in zip(gens, trains):
        g.spike_times = list(np.round(np.asarray(k) * DT, 1))
    pre = nest.Create("parrot_neuron", 4)
    post = nest.Create("parrot_neuron", 4)
    nest.Connect(gens, pre, "one_to_one", {"delay": DT})
    wr = nest.Create("weight_recorder")
    nest.CopyModel("tsodyks2_synapse", "tsodyks2_rec", {"weight_recorder": wr})
    rec = nest.Create("spike_recorder")
    nest.Connect(pre, rec)
    nest.Connect(pre, post, "one_to_one", {"synapse_model": "tsodyks2_rec", "weight": 2.5, "delay": 1.0,
                                           "receptor_type": 1, "u": syn["U"], "x": 1.0, **syn})
    nest.Simulate(1700.0)
    ids = list(pre.tolist())
    ev = rec.events
    out[f"{name}_pre_times"] = np.asarray(ev["times"])
    out[f"{name}_pre_neurons"] = np.array([ids.index(s) for s in ev["senders"]])
    w = wr.events
    out[f"{name}_events"] = np.column_stack([[ids.index(s) for s in w["senders"]], w["times"], w["weights"]])
    out[f"{name}_params"] = json.dumps({"model": "tsodyks2_synapse", "syn": syn, "weight": 2.5, "delay": 1.0})
    print(name, len(w["times"]), "weight events", np.asarray(w["weights"])[:12])


def main() -> None:
    rng = np.random.default_rng(16)
    out: dict = {}
    stdp = {"tau_plus": 16.8, "lambda": 0.03, "alpha": 0.85, "Wmax": 100.0}
    for d in (1, 15):
        run_case(f"stdp_add_d{d}", "stdp_synapse", {**stdp, "mu_plus": 0.0, "mu_minus": 0.0}, d, 23.7, rng, out)
        run_case(f"stdp_mult_d{d}", "stdp_synapse", {**stdp, "mu_plus": 1.0, "mu_minus": 1.0}, d, 23.7, rng, out)
    run_case("stdp_guetig_d15", "stdp_synapse", {**stdp, "mu_plus": 0.4, "mu_minus": 0.4}, 15, 23.7, rng, out)
    run_case("stdp_negative_d3", "stdp_synapse", {**stdp, "Wmax": -100.0, "mu_plus": 1.0, "mu_minus": 0.0}, 3,
             20.0, rng, out)
    run_tsodyks("tsodyks2_depressing", {"U": 0.5, "tau_rec": 800.0, "tau_fac": 0.0}, rng, out)
    run_tsodyks("tsodyks2_facilitating", {"U": 0.03, "tau_rec": 100.0, "tau_fac": 1000.0}, rng, out)
    run_tsodyks("tsodyks2_mixed", {"U": 0.3, "tau_rec": 250.0, "tau_fac": 150.0}, rng, out)
    triplet = {"tau_plus": 16.8, "tau_plus_triplet": 101.0, "Aplus": 1.0, "Aminus": 1.4, "Aplus_triplet": 0.9,
               "Aminus_triplet": 0.05, "Wmax": 100.0}
    for d in (1, 15):
        run_case(f"triplet_d{d}", "stdp_triplet_synapse", triplet, d, 33.7, rng, out,
                 post_params={"tau_minus_triplet": 125.0})
    pl = {"tau_plus": 20.0, "lambda": 0.05, "alpha": 0.11, "mu": 0.4}
    for d in (1, 15):
        run_case(f"pl_d{d}", "stdp_pl_synapse_hom", pl, d, 20.0, rng, out, hom=True)
    for d in (1, 15):
        run_case(f"nn_symm_d{d}", "stdp_nn_symm_synapse", {**stdp, "mu_plus": 0.0, "mu_minus": 0.0, "lambda": 0.1},
                 d, 23.7, rng, out)
    np.savez_compressed(os.path.join(HERE, "plasticity.npz"), **out)


if __name__ == "__main__":
    main()

"""Generate the NEST reference data of the postsynaptic-history flush tests of
tests/test_plasticity.py (run once; see make_plasticity_references.py for the set-up).

    /tmp/peers/bin/python tests/nest_reference/make_flush_references.py

writes ``plasticity_flush.npz`` next to this script. The cases are those of
make_plasticity_references.py (same network, same stored arrays), with fixed trains chosen so
that a presynaptic neuron stays silent while its postsynaptic neurons fire many times (a
scheme that applies facilitation lazily, at the next presynaptic spike, from a bounded
postsynaptic spike history must then flush it; fastspike applies it when the postsynaptic
spike reaches the synapse, and must give the same weights): presynaptic neuron 0 fires at
steps 100, 1500 and 2900 only, neuron 1 regularly every 290 steps, neuron 2 at 700 and 2900;
postsynaptic neuron 0 every 15 steps from 120 on (about 93 spikes between two spikes of
presynaptic neuron 0), neuron 1 every 20 steps plus spikes placed at t_pre - d and
t_pre - d +- 0.1 ms. Postsynaptic spikes with t_post + d = t_pre + 0.1 ms are dropped (as
there).
"""
from __future__ import annotations

import os

import numpy as np

import make_plasticity_references as M

HERE = os.path.dirname(os.path.abspath(__file__))


def fixed_trains(rng: np.random.Generator, delay_steps: int):
    pre = [np.array([100, 1500, 2900]), np.arange(150, 2900, 290), np.array([700, 2900])]
    all_pre = np.unique(np.concatenate(pre))
    post = [np.arange(120, 2890, 15)]
    k = list(np.arange(130, 2890, 20))
    for kp in all_pre[::2]:  # pairs at the synapse at the same time and +-1
        k += [int(kp) - delay_steps + int(o) for o in (-1, 0, 1)]
    post.append(np.unique(np.array(k)))
    post = [p[(p >= 2) & ~np.isin(p + delay_steps, all_pre + 1)] for p in post]
    return pre, post


def main() -> None:
    M.draw_trains = fixed_trains
    rng = np.random.default_rng(17)
    out: dict = {}
    stdp = {"tau_plus": 16.8, "lambda": 0.03, "alpha": 0.85, "Wmax": 100.0}
    M.run_case("flush_stdp_mult_d15", "stdp_synapse", {**stdp, "mu_plus": 1.0, "mu_minus": 1.0}, 15, 23.7, rng, out)
    triplet = {"tau_plus": 16.8, "tau_plus_triplet": 101.0, "Aplus": 1.0, "Aminus": 1.4, "Aplus_triplet": 0.9,
               "Aminus_triplet": 0.05, "Wmax": 100.0}
    M.run_case("flush_triplet_d1", "stdp_triplet_synapse", triplet, 1, 33.7, rng, out,
               post_params={"tau_minus_triplet": 125.0})
    M.run_case("flush_pl_d15", "stdp_pl_synapse_hom", {"tau_plus": 20.0, "lambda": 0.05, "alpha": 0.11, "mu": 0.4},
               15, 20.0, rng, out, hom=True)
    M.run_case("flush_nn_symm_d15", "stdp_nn_symm_synapse", {**stdp, "mu_plus": 0.0, "mu_minus": 0.0, "lambda": 0.1},
               15, 23.7, rng, out)
    np.savez_compressed(os.path.join(HERE, "plasticity_flush.npz"), **out)


if __name__ == "__main__":
    main()

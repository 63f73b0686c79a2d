"""B8's parameters, weight conversion (NEST's ``convert_synapse_weight``), threshold rate and
the peers' command line, without importing fastspike: shared by bench_plasticity.py and
b8_nest.py / b8_brian2.py (run by the peers' interpreter)."""
from __future__ import annotations

import argparse
import math

TAU_SYN = 0.32582722403722841
"""ms: the alpha current of NEST's hpc_benchmark (a 1.700759 ms rise time of the PSP)."""
TAU_M, C_M = 10.0, 250.0
CE, CI = 9000, 2250
"""Excitatory and inhibitory inputs per neuron (fixed indegree, at every scale)."""
JE, G, ETA, DELAY = 0.14, -5.0, 1.685, 1.5
"""PSP peak of an excitatory synapse (mV), relative inhibitory weight, background rate
relative to the threshold rate, delay (ms)."""
STDP = dict(tau_plus=15.0, tau_minus=30.0, lambda_=0.1, alpha=0.0513, mu=0.4)
"""NEST ``stdp_pl_synapse_hom``'s parameters in NEST's script (tau_minus: the neurons')."""


def nu_thresh(je_pa: float) -> float:
    """Rate (spikes per ms) of each of CE afferents of weight ``je_pa`` pA (alpha current)
    that brings the mean membrane potential to the 20 mV threshold."""
    return 20.0 / (CE * TAU_M / C_M * je_pa * math.e * TAU_SYN)


def peer_arguments(**extra: dict) -> argparse.Namespace:
    """The command line of b8_nest.py and b8_brian2.py (``extra``: name -> add_argument keywords)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--duration", type=float, default=100.0)
    parser.add_argument("--warmup", type=float, default=50.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--static", action="store_true")
    parser.add_argument("--frozen", action="store_true", help="the plastic synapse with lambda 0")
    for name, kwargs in extra.items():
        parser.add_argument(f"--{name}", **kwargs)
    return parser.parse_args()


def _lambertwm1(x: float) -> float:
    """The W_-1 branch of Lambert's W (Newton's method; NEST's script uses scipy's)."""
    w = math.log(-x) - math.log(-math.log(-x))
    for _ in range(50):
        e = math.exp(w)
        w -= (w * e - x) / (e * (w + 1.0))
    return w


def psp_to_pa(tau_m: float = TAU_M, tau_syn: float = TAU_SYN, c_m: float = C_M) -> float:
    """NEST's ``convert_synapse_weight``: pA of an alpha current whose PSP peaks at 1 mV."""
    a = tau_m / tau_syn
    b = 1.0 / tau_syn - 1.0 / tau_m
    t_rise = 1.0 / b * (-_lambertwm1(-math.exp(-1.0 / a) / a) - 1.0 / a)
    v_max = math.exp(1.0) / (tau_syn * c_m * b) * ((math.exp(-t_rise / tau_m) - math.exp(-t_rise / tau_syn)) / b
                                                   - t_rise * math.exp(-t_rise / tau_syn))
    return 1.0 / v_max



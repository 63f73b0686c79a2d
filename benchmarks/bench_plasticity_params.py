"""B8's weight conversion (NEST's ``convert_synapse_weight``), without importing fastspike:
shared by bench_plasticity.py and b8_nest.py (run by the peers' interpreter)."""
from __future__ import annotations

import math

TAU_SYN = 0.32582722403722841
"""ms: the alpha current of NEST's hpc_benchmark (a 1.700759 ms rise time of the PSP)."""
TAU_M, C_M = 10.0, 250.0


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



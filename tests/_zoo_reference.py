"""Independent reference implementations of the cell models' published equations, for tests.

Nothing here imports fastspike: the right-hand sides are written again from the papers (in a
different form where one exists, e.g. Hodgkin-Huxley in its original 1952 variables), and
integrated by a plain fourth-order Runge-Kutta loop in Python floats.
"""
from __future__ import annotations

import math

import numpy as np


def rk4(rhs, y0, dt, nsteps, I=0.0):
    """Classical RK4 of ``dy/dt = rhs(y, I)`` from ``y0``: the states at ``k dt``, k = 0..nsteps.

    ``I`` is a number or a function of the step index (held constant over each step).
    """
    y = np.array(y0, dtype=np.float64)
    out = np.empty((nsteps + 1, y.size))
    out[0] = y
    current = I if callable(I) else (lambda k: I)
    for k in range(nsteps):
        i = current(k)
        k1 = rhs(y, i)
        k2 = rhs(y + 0.5 * dt * k1, i)
        k3 = rhs(y + 0.5 * dt * k2, i)
        k4 = rhs(y + dt * k3, i)
        y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        out[k + 1] = y
    return out


# -- Hodgkin & Huxley (1952), J. Physiol. 117:500, eqs. (12), (13), (20), (21), (23), (24) ----
# In HH's own variables: V' = depolarisation from rest (mV, positive inwards-depolarising as
# in the modern sign convention, i.e. V' = v + 65), rates in 1/ms at 6.3 degC.
def _hh_alpha_m(vp):
    x = 25.0 - vp
    return 0.1 * x / (math.exp(x / 10.0) - 1.0) if abs(x) > 1e-9 else 1.0


def _hh_alpha_n(vp):
    x = 10.0 - vp
    return 0.01 * x / (math.exp(x / 10.0) - 1.0) if abs(x) > 1e-9 else 0.1


def hh_rates_1952(v):
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n) at modern potential v (mV)."""
    vp = v + 65.0
    return (_hh_alpha_m(vp), 4.0 * math.exp(-vp / 18.0), 0.07 * math.exp(-vp / 20.0),
            1.0 / (math.exp((30.0 - vp) / 10.0) + 1.0), _hh_alpha_n(vp), 0.125 * math.exp(-vp / 80.0))


# HH 1952, Table 3 / eq. (26): C = 1 uF/cm^2, g_Na = 120, g_K = 36, g_l = 0.3 mS/cm^2,
# V_Na = -115, V_K = +12, V_l = -10.613 mV in their convention, i.e. E = -V_HH - 65 in ours.
HH = dict(C=1.0, gNa=120.0, gK=36.0, gL=0.3, ENa=115.0 - 65.0, EK=-12.0 - 65.0, EL=10.613 - 65.0)


def hh_rhs(y, I, p=HH):
    v, m, h, n = y[0], y[1], y[2], y[3]
    am, bm, ah, bh, an, bn = hh_rates_1952(v)
    i_ion = p["gNa"] * m ** 3 * h * (v - p["ENa"]) + p["gK"] * n ** 4 * (v - p["EK"]) + p["gL"] * (v - p["EL"])
    return np.array([(I - i_ion) / p["C"], am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n])


def hh_steady_gates(v):
    am, bm, ah, bh, an, bn = hh_rates_1952(v)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


# -- the other models, from their defining equations --------------------------------------------
def quadlif_rhs(p):
    """Gerstner & Kistler (2002) sec. 4.1.2 / ngc-learn QuadLIFCell docstring; (v, theta)."""
    def rhs(y, I):
        v, theta = y
        return np.array([(p["a0"] * (v - p["v_rest"]) * (v - p["v_c"]) + p["R"] * I) / p["tau_m"],
                         -theta / p["tau_theta"]])
    return rhs


def izhikevich_rhs(p):
    """Izhikevich (2003), eqs. (1)-(2); (v, u)."""
    def rhs(y, I):
        v, u = y
        return np.array([0.04 * v * v + 5 * v + 140 - u + I, p["a"] * (p["b"] * v - u)])
    return rhs


def adex_rhs(p):
    """Brette & Gerstner (2005), in the tau_m/R form of ngc-learn AdExCell; (v, w)."""
    def rhs(y, I):
        v, w = y
        dv = -(v - p["v_rest"]) + p["delta_T"] * math.exp((v - p["v_T"]) / p["delta_T"]) - p["R"] * w + p["R"] * I
        return np.array([dv / p["tau_m"], (p["a"] * (v - p["v_rest"]) - w) / p["tau_w"]])
    return rhs


def fhn_rhs(p):
    """FitzHugh (1961) in ngc-learn's form; (v, w)."""
    def rhs(y, I):
        v, w = y
        return np.array([(v - v ** 3 / p["gamma"] - w + I) / p["tau_m"], (v + p["a"] - p["b"] * w) / p["tau_w"]])
    return rhs


def raf_rhs(p):
    """Izhikevich (2001): z = w + i v, dz/dt = (b + i omega) z + I (per tau); (v, w)."""
    def rhs(y, I):
        v, w = y
        z = complex(w, v)
        dz = (complex(p["b"], p["omega"]) * z + I) / p["tau"]
        return np.array([dz.imag, dz.real])
    return rhs


def leaky_rhs(p):
    """tau dv/dt = R I - v with a constant second variable (SLIF, WTAS); (v, thr)."""
    def rhs(y, I):
        return np.array([(p["R"] * I - y[0]) / p["tau_m"], 0.0])
    return rhs

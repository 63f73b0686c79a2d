"""The Hodgkin-Huxley (1952) squid giant axon model, in the modern sign convention."""
from __future__ import annotations

import math

import numpy as np

from .base import Model, Parameter, StateVariable
from .fitzhugh_nagumo import crossing_threshold

__all__ = ["HodgkinHuxley", "HodgkinHuxleyTraub"]


# ---------------------------------------------------------------------------------------
# Rate functions (1/ms) of Hodgkin & Huxley (1952), eqs. (12), (13), (20), (21), (23), (24),
# with the membrane potential measured from the outside (v = -V_HH - 65 mV, rest near -65 mV),
# as in Dayan & Abbott (2001), eqs. 5.22-5.24. Scalar helpers, compiled with the equations.
# ---------------------------------------------------------------------------------------
def _x_over_expm1(x):
    """x / (exp(x) - 1), continuous at x = 0 (the 0/0 of alpha_n at -55 mV and alpha_m at -40 mV)."""
    if abs(x) < 1e-6:
        return 1.0 - 0.5 * x
    return x / math.expm1(x)


def hh_rates(v):
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n) in 1/ms at membrane potential v (mV)."""
    alpha_m = _x_over_expm1(-(v + 40.0) / 10.0)           # 0.1 (v + 40) / (1 - exp(-(v + 40)/10))
    beta_m = 4.0 * math.exp(-(v + 65.0) / 18.0)
    alpha_h = 0.07 * math.exp(-(v + 65.0) / 20.0)
    beta_h = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    alpha_n = 0.1 * _x_over_expm1(-(v + 55.0) / 10.0)     # 0.01 (v + 55) / (1 - exp(-(v + 55)/10))
    beta_n = 0.125 * math.exp(-(v + 65.0) / 80.0)
    return alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n


# ---------------------------------------------------------------------------------------
# Equations (scalar functions; they compile for njit and CUDA device code).
# ---------------------------------------------------------------------------------------
def hh_dynamics(v, m_Na, h_Na, n_K, above, I, C_m, g_Na, g_K, g_L, E_Na, E_K, E_L):
    """C_m dv/dt = I - g_Na m^3 h (v - E_Na) - g_K n^4 (v - E_K) - g_L (v - E_L);
    dx/dt = alpha_x(v) (1 - x) - beta_x(v) x for the gates x = m_Na, h_Na, n_K."""
    am, bm, ah, bh, an, bn = hh_rates(v)
    g_na = g_Na * m_Na * m_Na * m_Na * h_Na
    n2 = n_K * n_K
    g_k = g_K * n2 * n2
    dv = (I - g_na * (v - E_Na) - g_k * (v - E_K) - g_L * (v - E_L)) / C_m
    dm = am * (1.0 - m_Na) - bm * m_Na
    dh = ah * (1.0 - h_Na) - bh * h_Na
    dn = an * (1.0 - n_K) - bn * n_K
    return dv, dm, dh, dn, above * 0.0


def hh_conditionally_linear(v, m_Na, h_Na, n_K, above, I, C_m, g_Na, g_K, g_L, E_Na, E_K, E_L):
    """Every equation as dx/dt = a x + b with the other variables frozen (exponential Euler)."""
    am, bm, ah, bh, an, bn = hh_rates(v)
    g_na = g_Na * m_Na * m_Na * m_Na * h_Na
    n2 = n_K * n_K
    g_k = g_K * n2 * n2
    a_v = -(g_na + g_k + g_L) / C_m
    b_v = (I + g_na * E_Na + g_k * E_K + g_L * E_L) / C_m
    zero = above * 0.0
    return a_v, b_v, -(am + bm), am, -(ah + bh), ah, -(an + bn), an, zero, zero


def hh_input_gain(C_m):
    """d(dv/dt)/dI = 1 / C_m."""
    return 1.0 / C_m


def hh_reset(v, m_Na, h_Na, n_K, above):
    """No reset: the action potential is the model's own; the crossing detector is disarmed."""
    return v, m_Na, h_Na, n_K, above * 0.0 + 1.0


def hh_constrain(v, m_Na, h_Na, n_K, above, v_thresh):
    """Re-arm the crossing detector once v is back below v_thresh."""
    return v, m_Na, h_Na, n_K, (above if v >= v_thresh else above * 0.0)


# ---------------------------------------------------------------------------------------
class HodgkinHuxley(Model):
    """Hodgkin-Huxley model of the squid giant axon (1952), modern sign convention.

    Dynamics (v in mV, t in ms, currents in uA/cm^2, conductances in mS/cm^2)::

        C_m dv/dt = I - g_Na m^3 h (v - E_Na) - g_K n^4 (v - E_K) - g_L (v - E_L)
        dx/dt     = alpha_x(v) (1 - x) - beta_x(v) x,     x = m, h, n

        alpha_m = 0.1 (v + 40) / (1 - exp(-(v + 40) / 10))   beta_m = 4 exp(-(v + 65) / 18)
        alpha_h = 0.07 exp(-(v + 65) / 20)                   beta_h = 1 / (1 + exp(-(v + 35) / 10))
        alpha_n = 0.01 (v + 55) / (1 - exp(-(v + 55) / 10))  beta_n = 0.125 exp(-(v + 65) / 80)

    These are Hodgkin & Huxley's equations (6.3 degC) with the potential measured inside
    minus outside and shifted so that the resting potential is about -65 mV
    (``v = -V_HH - 65``), as in Dayan & Abbott (2001), sec. 5.6. A spike is an upward crossing
    of ``v_thresh`` (0 mV): emitted in the step in which ``v`` reaches it after having been
    below it since the previous spike. There is no reset; delta synapses add to ``v``.

    With a current step from rest the model fires one spike from about 2.2-2.5 uA/cm^2 and
    fires repetitively, at no less than about 50-70 Hz (a class 2 neuron, Hopf bifurcation),
    from about 6-7 uA/cm^2.

    Parameters
    ----------
    C_m : float or array, uF/cm^2
        Membrane capacitance (1).
    g_Na, g_K, g_L : float or array, mS/cm^2
        Maximal sodium, potassium and leak conductances (120, 36, 0.3).
    E_Na, E_K, E_L : float or array, mV
        Reversal potentials (50, -77, -54.387).
    v_thresh : float or array, mV
        Spike detection threshold (0).

    State variables: ``v`` (mV, initial -65); the gates ``m_Na`` (m), ``h_Na`` (h) and
    ``n_K`` (n), initially at their steady state at -65 mV (named with their channel, as
    ``pop.n`` is the population size); ``above`` (the crossing detector: 1 from a spike
    until ``v`` is back below ``v_thresh``). Setting ``pop.v`` does not move the gates: set
    them too (:meth:`steady_state` gives their resting values).

    Integrators: ``"exponential_euler"`` (default; first order: every variable, ``v``
    included, is advanced by the exact solution of its equation with the others frozen, as
    Brian2's default for this model; stable at dt = 0.1-0.5 ms), ``"euler"``, ``"rk2"`` and
    ``"rk4"`` (accurate, but the gates make them diverge during spikes unless dt <= 0.05 ms).

    The Traub-Miles variant of the COBAHH benchmark (NEST ``hh_cond_exp_traub``) is
    :class:`HodgkinHuxleyTraub` (also ``HodgkinHuxley.traub_miles()``).

    Sources: A. L. Hodgkin & A. F. Huxley (1952), J. Physiol. 117:500-544, eqs. (26) and
    (20)-(24); P. Dayan & L. F. Abbott, *Theoretical Neuroscience* (2001), eqs. 5.22-5.25;
    ngc-learn ``HodgkinHuxleyCell`` (original convention, rest at 0 mV).
    """

    parameters = (
        Parameter("C_m", 1.0, "uF/cm^2", "membrane capacitance", "positive"),
        Parameter("g_Na", 120.0, "mS/cm^2", "maximal sodium conductance", "nonnegative"),
        Parameter("g_K", 36.0, "mS/cm^2", "maximal potassium conductance", "nonnegative"),
        Parameter("g_L", 0.3, "mS/cm^2", "leak conductance", "nonnegative"),
        Parameter("E_Na", 50.0, "mV", "sodium reversal potential", "finite"),
        Parameter("E_K", -77.0, "mV", "potassium reversal potential", "finite"),
        Parameter("E_L", -54.387, "mV", "leak reversal potential", "finite"),
        Parameter("v_thresh", 0.0, "mV", "spike detection threshold (upward crossing)", "finite"),
    )
    state_variables = (
        StateVariable("v", "mV", -65.0, "membrane potential"),
        StateVariable("m_Na", "1", 0.0, "sodium activation m"),
        StateVariable("h_Na", "1", 0.0, "sodium inactivation h"),
        StateVariable("n_K", "1", 0.0, "potassium activation n"),
        StateVariable("above", "1", 0.0, "crossing detector: 1 after a spike until v < v_thresh"),
    )
    integrators = ("euler", "rk2", "rk4", "exponential_euler")
    default_integrator = "exponential_euler"
    source = "Hodgkin & Huxley 1952, J Physiol 117:500; Dayan & Abbott 2001 sec. 5.6"

    dynamics = staticmethod(hh_dynamics)
    conditionally_linear = staticmethod(hh_conditionally_linear)
    input_gain = staticmethod(hh_input_gain)
    threshold = staticmethod(crossing_threshold)
    reset = staticmethod(hh_reset)
    constrain = staticmethod(hh_constrain)

    V_INIT = -65.0
    """Initial membrane potential (mV)."""

    @staticmethod
    def steady_state(v: float) -> tuple[float, float, float]:
        """(m_inf, h_inf, n_inf) at membrane potential ``v`` (mV)."""
        am, bm, ah, bh, an, bn = hh_rates(float(v))
        return am / (am + bm), ah / (ah + bh), an / (an + bn)

    @staticmethod
    def traub_miles(**params: object) -> "HodgkinHuxleyTraub":
        """The Traub-Miles variant (NEST ``hh_cond_exp_traub``, COBAHH): :class:`HodgkinHuxleyTraub`."""
        return HodgkinHuxleyTraub(**params)

    def event_state(self) -> tuple[str, ...]:
        """``above`` (the crossing detector) changes only at a spike and in ``constrain``."""
        return ("above",)

    def initial_state(self, n: int) -> dict[str, np.ndarray]:
        m, h, n_ = self.steady_state(self.V_INIT)
        return {"v": np.full(n, self.V_INIT), "m_Na": np.full(n, m), "h_Na": np.full(n, h),
                "n_K": np.full(n, n_), "above": np.zeros(n)}


# ---------------------------------------------------------------------------------------
# Traub & Miles (1991) kinetics as in Brette et al. (2007), benchmark 3 (COBAHH), Brian2's
# COBAHH example and NEST's hh_cond_exp_traub: rates (1/ms) of u = v - V_T (mV).
# ---------------------------------------------------------------------------------------
def traub_rates(v, V_T):
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n) in 1/ms at v (mV), offset V_T (mV).

    Four exponentials instead of six: beta_h and alpha_n use beta_m's ``exp((u - 40) / 5)``
    (``exp((40 - u) / 5)`` is its inverse, ``exp((15 - u) / 5)`` is ``exp(-5)`` times that);
    the removable singularities of x / (exp(x) - 1) are taken at their limit 1 - x / 2 for
    |x| < 1e-6 (they agree with the direct formulas to 1e-12 relative)."""
    u = v - V_T
    x_m = (13.0 - u) * 0.25
    x_b = (u - 40.0) * 0.2
    x_n = (15.0 - u) * 0.2
    e_b = math.exp(x_b)
    alpha_m = 1.28 * (x_m / math.expm1(x_m) if abs(x_m) > 1e-6 else 1.0 - 0.5 * x_m)  # 0.32 (13 - u) / (e - 1)
    beta_m = 1.4 * (x_b / (e_b - 1.0) if abs(x_b) > 1e-6 else 1.0 - 0.5 * x_b)        # 0.28 (u - 40) / (e - 1)
    alpha_h = 0.128 * math.exp((17.0 - u) / 18.0)
    beta_h = 4.0 / (1.0 + 1.0 / e_b)                                                   # 4 / (1 + exp((40 - u)/5))
    e_n = 0.006737946999085467 / e_b                                                   # exp((15 - u) / 5)
    alpha_n = 0.16 * (x_n / (e_n - 1.0) if abs(x_n) > 1e-6 else 1.0 - 0.5 * x_n)      # 0.032 (15 - u) / (e - 1)
    beta_n = 0.5 * math.exp((10.0 - u) / 40.0)
    return alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n


def traub_dynamics(v, m_Na, h_Na, n_K, above, I, C_m, g_Na, g_K, g_L, E_Na, E_K, E_L, V_T):
    """C_m dv/dt = I - g_Na m^3 h (v - E_Na) - g_K n^4 (v - E_K) - g_L (v - E_L); the gates as HH's."""
    am, bm, ah, bh, an, bn = traub_rates(v, V_T)
    g_na = g_Na * m_Na * m_Na * m_Na * h_Na
    n2 = n_K * n_K
    g_k = g_K * n2 * n2
    dv = (I - g_na * (v - E_Na) - g_k * (v - E_K) - g_L * (v - E_L)) / C_m
    dm = am * (1.0 - m_Na) - bm * m_Na
    dh = ah * (1.0 - h_Na) - bh * h_Na
    dn = an * (1.0 - n_K) - bn * n_K
    return dv, dm, dh, dn, above * 0.0


def traub_conditionally_linear(v, m_Na, h_Na, n_K, above, I, C_m, g_Na, g_K, g_L, E_Na, E_K, E_L, V_T):
    """Every equation as dx/dt = a x + b with the other variables frozen (exponential Euler)."""
    am, bm, ah, bh, an, bn = traub_rates(v, V_T)
    g_na = g_Na * m_Na * m_Na * m_Na * h_Na
    n2 = n_K * n_K
    g_k = g_K * n2 * n2
    a_v = -(g_na + g_k + g_L) / C_m
    b_v = (I + g_na * E_Na + g_k * E_K + g_L * E_L) / C_m
    zero = above * 0.0
    return a_v, b_v, -(am + bm), am, -(ah + bh), ah, -(an + bn), an, zero, zero


class HodgkinHuxleyTraub(Model):
    """Hodgkin-Huxley neuron with Traub-Miles kinetics: NEST ``hh_cond_exp_traub``, the cell of
    the COBAHH benchmark (Brette et al. 2007, benchmark 3; Brian2's COBAHH example).

    Dynamics (v in mV, t in ms, C_m in pF, conductances in nS, currents in pA)::

        C_m dv/dt = I - g_Na m^3 h (v - E_Na) - g_K n^4 (v - E_K) - g_L (v - E_L)
        dx/dt     = alpha_x(u) (1 - x) - beta_x(u) x,     x = m, h, n,   u = v - V_T

        alpha_m = 0.32 (13 - u) / (exp((13 - u) / 4) - 1)    beta_m = 0.28 (u - 40) / (exp((u - 40) / 5) - 1)
        alpha_h = 0.128 exp((17 - u) / 18)                   beta_h = 4 / (1 + exp((40 - u) / 5))
        alpha_n = 0.032 (15 - u) / (exp((15 - u) / 5) - 1)   beta_n = 0.5 exp((10 - u) / 40)

    ``I`` includes the synaptic currents: conductance synapses (``fs.ExpConductance``, weights in
    nS) give ``g (E_rev - v)``. The defaults are COBAHH's (an area of 20000 um^2: C_m = 1
    uF/cm^2 is 200 pF, g_L = 5e-5 S/cm^2 is 10 nS, g_Na = 100 mS/cm^2 is 20 uS, g_K = 30 mS/cm^2
    is 6 uS). A spike is an upward crossing of ``v_thresh`` (-20 mV, Brian2's COBAHH threshold),
    detected as :class:`HodgkinHuxley`'s; there is no reset. NEST's ``hh_cond_exp_traub``
    instead emits at the peak of an action potential above V_T + 30 mV, with a refractory
    period: the same spikes, stamped up to a few tenths of a ms apart.

    Parameters
    ----------
    C_m : float or array, pF
        Membrane capacitance (200).
    g_Na, g_K, g_L : float or array, nS
        Sodium, potassium and leak conductances (20000, 6000, 10).
    E_Na, E_K, E_L : float or array, mV
        Reversal potentials (50, -90, -60).
    V_T : float or array, mV
        Offset of the rate functions (-63): the firing threshold is near V_T + 13 mV.
    v_thresh : float or array, mV
        Spike detection threshold (-20).

    State variables: ``v`` (mV, initial ``E_L``), the gates ``m_Na``, ``h_Na``, ``n_K`` (initially
    at their steady state at ``E_L``), ``above`` (the crossing detector).

    Integrators: ``"exponential_euler"`` (default, Brian2's for COBAHH), ``"euler"``, ``"rk2"``,
    ``"rk4"`` (dt <= 0.05 ms).

    Sources: R. D. Traub & R. Miles, *Neuronal Networks of the Hippocampus* (1991); R. Brette et
    al. (2007), J. Comput. Neurosci. 23:349-398, benchmark 3; NEST ``hh_cond_exp_traub``.
    """

    parameters = (
        Parameter("C_m", 200.0, "pF", "membrane capacitance", "positive"),
        Parameter("g_Na", 20000.0, "nS", "sodium conductance", "nonnegative"),
        Parameter("g_K", 6000.0, "nS", "potassium conductance", "nonnegative"),
        Parameter("g_L", 10.0, "nS", "leak conductance", "nonnegative"),
        Parameter("E_Na", 50.0, "mV", "sodium reversal potential", "finite"),
        Parameter("E_K", -90.0, "mV", "potassium reversal potential", "finite"),
        Parameter("E_L", -60.0, "mV", "leak reversal potential", "finite"),
        Parameter("V_T", -63.0, "mV", "offset of the rate functions", "finite"),
        Parameter("v_thresh", -20.0, "mV", "spike detection threshold (upward crossing)", "finite"),
    )
    state_variables = (
        StateVariable("v", "mV", "E_L", "membrane potential"),
        StateVariable("m_Na", "1", 0.0, "sodium activation m"),
        StateVariable("h_Na", "1", 0.0, "sodium inactivation h"),
        StateVariable("n_K", "1", 0.0, "potassium activation n"),
        StateVariable("above", "1", 0.0, "crossing detector: 1 after a spike until v < v_thresh"),
    )
    integrators = ("euler", "rk2", "rk4", "exponential_euler")
    default_integrator = "exponential_euler"
    source = "Traub & Miles 1991; Brette et al. 2007 benchmark 3; NEST hh_cond_exp_traub"

    dynamics = staticmethod(traub_dynamics)
    conditionally_linear = staticmethod(traub_conditionally_linear)
    input_gain = staticmethod(hh_input_gain)
    threshold = staticmethod(crossing_threshold)
    reset = staticmethod(hh_reset)
    constrain = staticmethod(hh_constrain)

    def steady_state(self, v) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(m_inf, h_inf, n_inf) at membrane potential ``v`` (mV) with this model's V_T."""
        v = np.asarray(v, dtype=np.float64)
        vt = np.broadcast_to(np.asarray(self.params["V_T"], dtype=np.float64), v.shape)
        pairs, inverse = np.unique(np.stack([v.ravel(), vt.ravel()], axis=1), axis=0, return_inverse=True)
        rates = np.array([traub_rates(float(x), float(t)) for x, t in pairs]).T[:, inverse.ravel()]
        am, bm, ah, bh, an, bn = (r.reshape(v.shape) for r in rates)
        return am / (am + bm), ah / (ah + bh), an / (an + bn)

    def event_state(self) -> tuple[str, ...]:
        """``above`` (the crossing detector) changes only at a spike and in ``constrain``."""
        return ("above",)

    def initial_state(self, n: int) -> dict[str, np.ndarray]:
        v = np.broadcast_to(np.asarray(self.params["E_L"], dtype=np.float64), (n,)).copy()
        m, h, n_ = self.steady_state(v)
        return {"v": v, "m_Na": m, "h_Na": h, "n_K": n_, "above": np.zeros(n)}

"""The winner-take-all spiking cell, per neuron, after ngc-learn's ``WTASCell``."""
from __future__ import annotations

import math

import numpy as np

from .base import Model, Parameter, StateVariable

__all__ = ["WTAS"]


# ---------------------------------------------------------------------------------------
# Equations (scalar functions; they compile for njit and CUDA device code).
# ---------------------------------------------------------------------------------------
def wtas_dynamics(v, thr, I, tau_m, R, thr_gain, dt):
    """tau_m dv/dt = R I - v; the threshold falls by thr_gain per step."""
    dv = (R * I - v) / tau_m
    dthr = -thr_gain / dt
    return dv, dthr


def wtas_probability(v, n_units):
    """softmax of v among n_units units whose other members sit at 0:
    exp(v) / (exp(v) + n_units - 1) = 1 / (1 + (n_units - 1) exp(-v)), the exponent bounded so
    that it cannot overflow (at v = -80 the probability is already below 1e-34)."""
    return 1.0 / (1.0 + (n_units - 1.0) * math.exp(min(-v, 80.0)))


def wtas_threshold(v, thr, n_units):
    """Spike when the unit's softmax probability exceeds its threshold."""
    return wtas_probability(v, n_units) > thr


def wtas_reset(v, thr, thr_gain, n_units):
    """v <- 0; thr <- thr + thr_gain n_units (with the per-step decrease, thr_gain (n_units s - 1))."""
    return v * 0.0, thr + thr_gain * n_units


def wtas_constrain(v, thr, thr_min):
    """The threshold stays >= thr_min (ngc-learn: 0.025)."""
    return v, max(thr, thr_min)


# ---------------------------------------------------------------------------------------
class WTAS(Model):
    """Winner-take-all spiking cell (ngc-learn ``WTASCell``), in a per-neuron form.

    ngc-learn's cell, for a population of ``n`` units in one step::

        v   = R j                    (0 while refractory)
        p   = softmax(v)             (over the population)
        s   = p > thr
        thr = max(thr + thr_gain (sum(s) - 1), 0.025)

    fastspike updates each neuron on its own, so the coupling through the population (the
    softmax denominator and ``sum(s)``) is replaced by its nearest per-neuron form::

        tau_m dv/dt = R I - v                             (v relaxes to R I)
        p_i         = exp(v_i) / (exp(v_i) + n_units - 1) (softmax against n_units - 1
                                                           competitors at 0, the rest value)
        spike when p_i > thr_i;   then v_i <- 0
        thr_i      <- max(thr_i + thr_gain (n_units s_i - 1), thr_min)   every step

    What differs, exactly:

    - the probability of a unit is computed against ``n_units - 1`` competitors held at
      ``v = 0`` instead of the competitors' actual potentials, so several units can win in
      one step when several are strongly driven (ngc-learn's softmax makes them share);
    - each threshold moves with the unit's own spike (``n_units s_i - 1``) instead of the
      population count (``sum(s) - 1``); the mean threshold of ``n_units`` units follows
      ngc-learn's rule exactly (apart from the floor), individual thresholds do not;
    - ``v`` follows ``R I`` with time constant ``tau_m`` rather than instantly: with
      ``tau_m = dt`` and ``"euler"`` (the default) ``v`` equals ``R I`` of the step, as in
      ngc-learn (whose docstring, ``tau_m dv/dt = j R``, differs from its code ``v = j R``);
    - the threshold falls before the spike test of the step (ngc-learn: after it).

    Parameters
    ----------
    tau_m : float or array, ms
        Time constant of ``v`` (required, > 0; ``dt`` for ngc-learn's instantaneous ``v``).
    n_units : float or array
        Number of units in the competition (required, >= 1).
    R : float or array
        Membrane resistance (1).
    thr_base : float or array
        Initial threshold (0.4).
    thr_gain : float or array
        Threshold step (0.002).
    thr_min : float or array
        Floor of the threshold (0.025).
    t_ref : float or array, ms
        Refractory period (0): ``v`` is held at 0.

    Defaults as ngc-learn's (``resist_m=1, thr_base=0.4, thr_gain=0.002, refract_time=0``);
    its ``thr_jitter`` is a random initial threshold: assign ``pop.thr`` for it.

    State variables: ``v`` (initial 0), ``thr`` (initial ``thr_base``).

    Integrators: ``"euler"`` (default), ``"rk2"``, ``"rk4"``.

    Sources: ngc-learn ``WTASCell`` (Ororbia et al., ngc-learn); the threshold rule follows
    eq. 26 of Samadi, Lillicrap & Tweed (2017), Neural Comput. 29:578.
    """

    parameters = (
        Parameter("tau_m", None, "ms", "time constant of v", "positive"),
        Parameter("n_units", None, "1", "number of units in the competition", "positive"),
        Parameter("R", 1.0, "1", "membrane resistance", "finite"),
        Parameter("thr_base", 0.4, "1", "initial threshold", "finite"),
        Parameter("thr_gain", 0.002, "1", "threshold step", "finite"),
        Parameter("thr_min", 0.025, "1", "floor of the threshold", "finite"),
        Parameter("t_ref", 0.0, "ms", "refractory period", "nonnegative"),
    )
    state_variables = (
        StateVariable("v", "1", 0.0, "membrane potential"),
        StateVariable("thr", "1", "thr_base", "adaptive threshold"),
    )
    integrators = ("euler", "rk2", "rk4")
    default_integrator = "euler"
    refractory = True
    source = "ngc-learn WTASCell; Samadi, Lillicrap & Tweed 2017, Neural Comput 29:578"

    dynamics = staticmethod(wtas_dynamics)
    threshold = staticmethod(wtas_threshold)
    reset = staticmethod(wtas_reset)
    constrain = staticmethod(wtas_constrain)

    def _validate(self) -> None:
        n = np.asarray(self.params["n_units"])
        if np.any(n < 1):
            raise ValueError(f"WTAS: parameter n_units={self.params['n_units']!r} is not allowed; it must be >= 1")

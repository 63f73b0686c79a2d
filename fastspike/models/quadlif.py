"""The quadratic (leaky) integrate-and-fire neuron, as ngc-learn's ``QuadLIFCell``."""
from __future__ import annotations

import math

import numpy as np

from .base import Model, Option, Parameter, StateVariable
from .lif import lif_constrain, lif_reset, lif_threshold

__all__ = ["QuadLIF"]


# ---------------------------------------------------------------------------------------
# Equations (scalar functions; they compile for njit and CUDA device code).
# ---------------------------------------------------------------------------------------
def quadlif_dynamics(v, theta, I, tau_m, R, v_rest, v_c, a0, v_thresh, tau_theta):
    """dv/dt and dtheta/dt (mV/ms).

    ``tau_m dv/dt = a0 (v - v_rest)(v - v_c) + R I``, ``tau_theta dtheta/dt = -theta``. Inside
    the step, ``v`` above the threshold is taken at the threshold (the spike is emitted at the
    end of the step anyway), so that the quadratic term cannot overflow in the stages of a
    Runge-Kutta step.
    """
    vc = min(v, v_thresh + theta)
    dv = (a0 * (vc - v_rest) * (vc - v_c) + R * I) / tau_m
    dtheta = -theta / tau_theta
    return dv, dtheta


# ---------------------------------------------------------------------------------------
class QuadLIF(Model):
    """Quadratic integrate-and-fire neuron (ngc-learn ``QuadLIFCell``).

    Dynamics between spikes::

        tau_m dv/dt         = a0 (v - v_rest) (v - v_c) + R I
        tau_theta dtheta/dt = -theta

    With ``a0 > 0`` and ``v_c > v_rest``, ``v_rest`` is the stable resting point and ``v_c``
    the unstable "critical" voltage beyond which ``v`` escapes to infinity (the normal form
    of a saddle-node bifurcation; Latham et al. 2000, Gerstner & Kistler 2002 sec. 4.1.2).
    Without input the neuron rests at ``v_rest``; a constant drive ``R I`` makes it fire
    repetitively when ``R I > a0 (v_c - v_rest)^2 / 4``.

    Spikes and reset as :class:`~fastspike.LIF`: a spike when ``v >= v_thresh + theta``;
    then ``v <- v_reset`` (``reset="value"``), ``v <- v - (v_thresh - v_reset)``
    (``"subtract"``) or unchanged (``"none"``), ``theta <- theta + theta_plus``, and ``v`` is
    held for ``t_ref``.

    Parameters
    ----------
    tau_m : float or array, ms
        Membrane time constant (required, > 0).
    R : float or array, MOhm
        Membrane resistance (1: currents in mV of drive).
    v_rest : float or array, mV
        Resting potential (-65).
    v_reset : float or array, mV
        Reset potential (-60).
    v_thresh : float or array, mV
        Base threshold (-52).
    v_c : float or array, mV
        Critical voltage (-41.6; ngc-learn ``v_scale``).
    a0 : float or array, 1/mV
        Curvature of the quadratic term (1.0; ngc-learn ``critical_v``).
    t_ref : float or array, ms
        Refractory period (5).
    tau_theta : float or array, ms
        Time constant of the adaptive threshold (1e7).
    theta_plus : float or array, mV
        Threshold increment per spike (0.05).
    reset : {"value", "subtract", "none"}
        Reset mode ("value").
    v_min : float or None, mV
        Lower bound of ``v`` (None: unbounded).

    The defaults are ngc-learn's (``QuadLIFCell``: ``thr=-52, v_rest=-65, v_reset=-60,
    v_scale=-41.6, critical_v=1, tau_theta=1e7, theta_plus=0.05, refract_time=5``).

    State variables: ``v`` (mV, initial ``v_rest``), ``theta`` (mV, initial 0).

    Integrators: ``"euler"``, ``"rk2"`` (default), ``"rk4"``.

    Notes
    -----
    ngc-learn's docstring gives ``a0 (V - V_rest)(V - V_c)`` (used here, and in the fastspike
    specification) while its code computes ``a0 (v_rest - v)(v - v_c)``, the opposite sign,
    which makes ``v_rest`` unstable; give a negative ``a0`` to get that code's dynamics.
    ngc-learn also keeps integrating the quadratic term during the refractory period (only
    the input is masked), whereas here ``v`` is held, as for every fastspike model.

    Sources: Latham, Richmond, Nelson & Nirenberg (2000) J. Neurophysiol. 83:808;
    Gerstner & Kistler, *Spiking Neuron Models* (2002), sec. 4.1.2; ngc-learn
    ``ngclearn.components.neurons.spiking.quadLIFCell.QuadLIFCell``.
    """

    parameters = (
        Parameter("tau_m", None, "ms", "membrane time constant", "positive"),
        Parameter("R", 1.0, "MOhm", "membrane resistance", "finite"),
        Parameter("v_rest", -65.0, "mV", "resting potential", "finite"),
        Parameter("v_reset", -60.0, "mV", "reset potential", "finite"),
        Parameter("v_thresh", -52.0, "mV", "spike threshold (base value)", "finite"),
        Parameter("v_c", -41.6, "mV", "critical (unstable) voltage", "finite"),
        Parameter("a0", 1.0, "1/mV", "curvature of the quadratic term", "finite"),
        Parameter("t_ref", 5.0, "ms", "refractory period", "nonnegative"),
        Parameter("tau_theta", 1e7, "ms", "adaptive threshold time constant", "positive_or_inf"),
        Parameter("theta_plus", 0.05, "mV", "threshold increment per spike", "finite"),
        Parameter("v_min", None, "mV", "lower bound of v (None: no bound)", "lower_bound"),
    )
    state_variables = (
        StateVariable("v", "mV", "v_rest", "membrane potential"),
        StateVariable("theta", "mV", 0.0, "adaptive threshold increment"),
    )
    options = (Option("reset", "value", ("value", "subtract", "none"), "what a spike does to v"),)
    integrators = ("euler", "rk2", "rk4")
    default_integrator = "rk2"
    refractory = True
    source = "Latham et al. 2000; Gerstner & Kistler 2002 sec. 4.1.2; ngc-learn QuadLIFCell"

    dynamics = staticmethod(quadlif_dynamics)
    threshold = staticmethod(lif_threshold)
    reset = staticmethod(lif_reset)
    constrain = staticmethod(lif_constrain)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        if np.all(np.asarray(self.params["v_min"]) == -math.inf):
            self.constrain = None

    def frozen_state(self) -> tuple[str, ...]:
        p = self.params
        fixed = np.all(np.asarray(p["theta_plus"]) == 0) and np.all(np.asarray(p["tau_theta"]) == math.inf)
        return ("theta",) if fixed else ()

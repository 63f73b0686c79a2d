"""The leaky integrate-and-fire family: LIF, IF and Lapicque.

One set of scalar equations serves all three (IF is LIF with ``g_L = 0``; Lapicque is
snnTorch's RC neuron, a LIF with ``tau_m = R C`` and ``v_rest = v_reset = 0``).
"""
from __future__ import annotations

import math

import numpy as np

from .base import Model, Option, Parameter, StateVariable

__all__ = ["LIF", "IF", "Lapicque"]


# ---------------------------------------------------------------------------------------
# Equations, written once (scalar functions; they compile for njit and CUDA device code).
# ---------------------------------------------------------------------------------------
def lif_dynamics(v, theta, I, tau_m, R, v_rest, g_L, tau_theta):
    """dv/dt and dtheta/dt (mV/ms): tau_m dv/dt = g_L (v_rest - v) + R I; tau_theta dtheta/dt = -theta.

    Written with the reciprocals of the time constants: loop invariants for homogeneous
    parameters, so the neuron loop multiplies instead of dividing (B6 COBA 0.83-0.91x the time
    of the division, within 1 ulp of it)."""
    dv = (g_L * (v_rest - v) + R * I) * (1.0 / tau_m)
    dtheta = -theta * (1.0 / tau_theta)
    return dv, dtheta


def lif_linear(tau_m, R, v_rest, g_L, tau_theta):
    """The same dynamics as (a, x0, c) per state variable: dx/dt = a (x - x0) + c I."""
    return (-g_L / tau_m, v_rest, R / tau_m, -1.0 / tau_theta, 0.0 * v_rest, 0.0 * R)


def lif_conditionally_linear(v, theta, I, tau_m, R, v_rest, g_L, tau_theta):
    """The same dynamics as (a, b) per state variable, dx/dt = a x + b (exponential Euler)."""
    return -g_L / tau_m, (g_L * v_rest + R * I) * (1.0 / tau_m), -1.0 / tau_theta, theta * 0.0


def lif_input_gain(R, tau_m):
    """d(dv/dt)/dI = R / tau_m (1/ms per unit of current)."""
    return R / tau_m


def lif_threshold(v, theta, v_thresh):
    """Spike when v >= v_thresh + theta."""
    return v >= v_thresh + theta


def lif_reset(v, theta, v_reset, v_thresh, theta_plus, reset):
    """reset: 0 "value" (v <- v_reset), 1 "subtract" (v <- v - (v_thresh - v_reset)), 2 "none"."""
    if reset == 0:
        v = v_reset
    elif reset == 1:
        v = v - (v_thresh - v_reset)
    return v, theta + theta_plus


def lif_constrain(v, theta, v_min):
    """Lower bound on the membrane potential (v_min = -inf: none)."""
    return max(v, v_min), theta


# ---------------------------------------------------------------------------------------
_TAU_M = Parameter("tau_m", None, "ms", "membrane time constant", "positive")
_R = Parameter("R", 1.0, "MOhm", "membrane resistance (any unit whose product with the current is mV)", "finite")
_V_REST = Parameter("v_rest", -65.0, "mV", "resting potential", "finite")
_V_RESET = Parameter("v_reset", -60.0, "mV", "reset potential", "finite")
_V_THRESH = Parameter("v_thresh", -52.0, "mV", "spike threshold (base value)", "finite")
_G_L = Parameter("g_L", 1.0, "1", "relative leak conductance (0: no leak)", "nonnegative")
_T_REF = Parameter("t_ref", 0.0, "ms", "refractory period (v held, no spikes)", "nonnegative")
_TAU_THETA = Parameter("tau_theta", math.inf, "ms", "adaptive threshold time constant", "positive_or_inf")
_THETA_PLUS = Parameter("theta_plus", 0.0, "mV", "threshold increment per spike", "finite")
_V_MIN = Parameter("v_min", None, "mV", "lower bound of v (None: no bound)", "lower_bound")
_RESET = Option("reset", "value", ("value", "subtract", "none"), "what a spike does to v")


class LIF(Model):
    """Leaky integrate-and-fire neuron with adaptive threshold and refractory period.

    Dynamics between spikes::

        tau_m dv/dt     = g_L (v_rest - v) + R I
        tau_theta dtheta/dt = -theta

    A spike is emitted when ``v >= v_thresh + theta`` (stamped at the end of the step);
    then ``v <- v_reset`` (``reset="value"``), ``v <- v - (v_thresh - v_reset)``
    (``"subtract"``) or unchanged (``"none"``), ``theta <- theta + theta_plus``, and ``v``
    is held for ``t_ref`` (rounded to steps) while ``theta`` keeps decaying.

    Parameters
    ----------
    tau_m : float or array, ms
        Membrane time constant (required).
    R : float or array, MOhm
        Membrane resistance; with the default 1.0 a current is "mV of drive".
    v_rest, v_reset, v_thresh : float or array, mV
        Resting potential (-65), reset potential (-60), base threshold (-52).
    g_L : float or array, dimensionless
        Leak factor (1: leaky; 0: perfect integrator).
    t_ref : float or array, ms
        Refractory period (0).
    tau_theta : float or array, ms
        Time constant of the adaptive threshold ``theta`` (inf: no decay).
    theta_plus : float or array, mV
        Increment of ``theta`` per spike (0: fixed threshold).
    reset : {"value", "subtract", "none"}
        Reset mode.
    v_min : float or None, mV
        Lower bound of ``v`` (None: unbounded).

    State variables: ``v`` (mV, initial ``v_rest``), ``theta`` (mV, initial 0).

    Integrators: ``"exact"`` (default; exact propagation with NEST ``iaf_psc_exp`` and
    ``iaf_psc_alpha`` propagators, current synapses only), ``"euler"``, ``"rk2"``, ``"rk4"``,
    ``"exponential_euler"`` (exact for ``v`` with its input held over the step; with
    conductance synapses the equation is linear in ``v`` once the conductances are held:
    ``tau_m dv/dt = g_L (v_rest - v) + R sum g (E_rev - v) + R I``, Brian2's default for COBA;
    holding the conductance over the step is fine for COBA's 5 and 10 ms).

    Sources: Lapicque (1907); Gerstner & Kistler, *Spiking Neuron Models* (2002), sec. 4.1;
    NEST ``iaf_psc_exp`` (Rotter & Diesmann 1999, exact integration); ngc-learn ``LIFCell``
    (adaptive threshold ``tau_theta``/``theta_plus``, Diehl & Cook 2015).
    """

    parameters = (_TAU_M, _R, _V_REST, _V_RESET, _V_THRESH, _G_L, _T_REF, _TAU_THETA, _THETA_PLUS, _V_MIN)
    state_variables = (
        StateVariable("v", "mV", "v_rest", "membrane potential"),
        StateVariable("theta", "mV", 0.0, "adaptive threshold increment"),
    )
    options = (_RESET,)
    integrators = ("exact", "euler", "rk2", "rk4", "exponential_euler")
    default_integrator = "exact"
    refractory = True
    source = "Gerstner & Kistler 2002, sec. 4.1; NEST iaf_psc_exp; ngc-learn LIFCell"

    dynamics = staticmethod(lif_dynamics)
    linear = staticmethod(lif_linear)
    conditionally_linear = staticmethod(lif_conditionally_linear)
    input_gain = staticmethod(lif_input_gain)
    threshold = staticmethod(lif_threshold)
    reset = staticmethod(lif_reset)
    constrain = staticmethod(lif_constrain)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        if np.all(np.asarray(self.params.get("v_min", -math.inf)) == -math.inf):
            self.constrain = None  # no lower bound: nothing to apply

    def frozen_state(self) -> tuple[str, ...]:
        p = self.params
        fixed = np.all(np.asarray(p["theta_plus"]) == 0) and np.all(np.asarray(p["tau_theta"]) == math.inf)
        return ("theta",) if fixed else ()


class IF(LIF):
    """Integrate-and-fire neuron without leak: a LIF with ``g_L = 0``.

    ``tau_m dv/dt = R I`` (ngc-learn ``IFCell``); threshold, reset, refractory period and
    adaptive threshold as :class:`LIF`, whose parameters it takes except ``g_L``.
    """

    parameters = tuple(p for p in LIF.parameters if p.name != "g_L")
    source = "Lapicque 1907; ngc-learn IFCell"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.params["g_L"] = 0.0


class Lapicque(LIF):
    """snnTorch's Lapicque RC neuron: ``R C dv/dt = -v + R I`` with threshold and reset.

    Parameters
    ----------
    R : float or array, MOhm (or any resistance unit)
        Membrane resistance (required).
    C : float or array, nF (R C in ms)
        Membrane capacitance (required); ``tau_m = R C``.
    threshold : float or array, mV
        Spike threshold (1.0).
    reset : {"subtract", "value", "none"}
        ``"subtract"`` (snnTorch's default) subtracts the threshold, ``"value"`` sets
        ``v`` to 0 (snnTorch's ``"zero"``), ``"none"`` leaves it.
    t_ref : float, ms
        Refractory period (0).

    ``v_rest = v_reset = 0``. State: ``v``, ``theta`` (always 0). Sources: Lapicque (1907);
    snnTorch tutorial 2 (``snntorch.Lapicque``).
    """

    parameters = (
        Parameter("R", None, "MOhm", "membrane resistance", "positive"),
        Parameter("C", None, "nF", "membrane capacitance (tau_m = R C)", "positive"),
        Parameter("threshold", 1.0, "mV", "spike threshold", "finite"),
        _T_REF,
    )
    options = (Option("reset", "subtract", ("value", "subtract", "none"), "what a spike does to v"),)
    source = "Lapicque 1907; snnTorch tutorial 2 (snntorch.Lapicque)"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        p = self.params
        self.user_params = dict(p)
        p["tau_m"] = p["R"] * p["C"]
        p.update(v_rest=0.0, v_reset=0.0, v_thresh=p.pop("threshold"), g_L=1.0,
                 tau_theta=math.inf, theta_plus=0.0, v_min=-math.inf)
        self.constrain = None

    def describe(self) -> dict[str, object]:
        d = super().describe()
        d["parameters"] = dict(self.user_params)
        d["units"] = {p.name: p.unit for p in self.parameters}
        return d

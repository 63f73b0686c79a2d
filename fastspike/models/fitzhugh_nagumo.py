"""The FitzHugh-Nagumo model, as ngc-learn's ``FitzhughNagumoCell``."""
from __future__ import annotations

import math

from .base import Model, Option, Parameter, StateVariable

__all__ = ["FitzHughNagumo"]


# ---------------------------------------------------------------------------------------
# Equations (scalar functions; they compile for njit and CUDA device code).
# ---------------------------------------------------------------------------------------
def fhn_dynamics(v, w, above, I, tau_m, R, tau_w, a, b, gamma):
    """tau_m dv/dt = v - v^3/gamma - w + R I, tau_w dw/dt = v + a - b w; ``above`` is constant."""
    dv = (v - v * v * v / gamma - w + R * I) / tau_m
    dw = (v + a - b * w) / tau_w
    return dv, dw, above * 0.0


def crossing_threshold(v, above, v_thresh):
    """An upward crossing: v >= v_thresh now, and v was below v_thresh since the last spike."""
    return v >= v_thresh and above < 0.5


def crossing_constrain(v, w, above, v_thresh):
    """Re-arm the crossing detector once v is back below v_thresh."""
    return v, w, (above if v >= v_thresh else above * 0.0)


def fhn_reset(v, w, above, v0, w0, reset):
    """reset: 0 "none" (v, w unchanged), 1 "value" (v <- v0, w <- w0); the detector is disarmed."""
    if reset == 1:
        v = v0
        w = w0
    return v, w, above * 0.0 + 1.0


# ---------------------------------------------------------------------------------------
class FitzHughNagumo(Model):
    """FitzHugh-Nagumo neuron: a two-variable reduction of Hodgkin-Huxley.

    Dynamics (dimensionless ``v``, ``w``; time in ms)::

        tau_m dv/dt = v - v^3 / gamma - w + R I
        tau_w dw/dt = v + a - b w

    A spike is an upward crossing of ``v_thresh``: emitted in the step in which ``v`` reaches
    ``v_thresh`` after having been below it since the previous spike. With ``reset="value"``
    the state then snaps to ``(v0, w0)``; with ``"none"`` (default) the orbit is untouched.

    For the classic parameters (``gamma = 3``, ``a = 0.7``, ``b = 0.8``, ``tau_w / tau_m =
    12.5``) the resting state loses stability in a Hopf bifurcation at ``R I ~ 0.331``, above
    which the neuron oscillates (fires periodically): the fixed point ``(v*, w*)`` has
    ``1 - 3 v*^2 / gamma = b tau_m / tau_w`` there.

    Parameters
    ----------
    tau_m : float or array, ms
        Time constant of ``v`` (1).
    R : float or array
        Input resistance (1).
    tau_w : float or array, ms
        Time constant of the recovery variable ``w`` (12.5).
    a : float or array
        Recovery shift (0.7; ngc-learn ``alpha``).
    b : float or array
        Recovery scale (0.8; ngc-learn ``beta``).
    gamma : float or array
        Divisor of the cubic term (3; > 0).
    v_thresh : float or array
        Spike threshold (1.07).
    v0, w0 : float or array
        Initial state and reset values (0, 0).
    reset : {"none", "value"}
        What a spike does to the state ("none").

    The defaults are ngc-learn's ``FitzhughNagumoCell`` (``tau_m=1, tau_w=12.5, alpha=0.7,
    beta=0.8, gamma=3, v_thr=1.07, v0=0, w0=0, spike_reset=False``). ngc-learn emits a spike in
    every step with ``v > v_thr``; fastspike emits one per upward crossing (the specification's
    spike), which is one spike per action potential.

    State variables: ``v`` (initial ``v0``), ``w`` (initial ``w0``), ``above`` (1 from a spike
    until ``v`` is back below ``v_thresh``, else 0: the crossing detector).

    Integrators: ``"euler"``, ``"rk2"`` (default), ``"rk4"``.

    Sources: R. FitzHugh (1961), Biophys. J. 1:445; J. Nagumo, S. Arimoto & S. Yoshizawa
    (1962), Proc. IRE 50:2061; ngc-learn ``FitzhughNagumoCell``.
    """

    parameters = (
        Parameter("tau_m", 1.0, "ms", "time constant of v", "positive"),
        Parameter("R", 1.0, "1", "input resistance", "finite"),
        Parameter("tau_w", 12.5, "ms", "time constant of w", "positive"),
        Parameter("a", 0.7, "1", "recovery shift", "finite"),
        Parameter("b", 0.8, "1", "recovery scale", "finite"),
        Parameter("gamma", 3.0, "1", "divisor of the cubic term", "positive"),
        Parameter("v_thresh", 1.07, "1", "spike threshold (upward crossing)", "finite"),
        Parameter("v0", 0.0, "1", "initial and reset value of v", "finite"),
        Parameter("w0", 0.0, "1", "initial and reset value of w", "finite"),
    )
    state_variables = (
        StateVariable("v", "1", "v0", "membrane potential (dimensionless)"),
        StateVariable("w", "1", "w0", "recovery variable"),
        StateVariable("above", "1", 0.0, "crossing detector: 1 after a spike until v < v_thresh"),
    )
    options = (Option("reset", "none", ("none", "value"), "what a spike does to (v, w)"),)
    integrators = ("euler", "rk2", "rk4")
    default_integrator = "rk2"
    source = "FitzHugh 1961; Nagumo et al. 1962; ngc-learn FitzhughNagumoCell"

    dynamics = staticmethod(fhn_dynamics)
    threshold = staticmethod(crossing_threshold)
    reset = staticmethod(fhn_reset)
    constrain = staticmethod(crossing_constrain)

    def hopf_current(self) -> float:
        """The input ``R I`` at which the resting state loses stability (Hopf bifurcation), for
        scalar parameters; ``nan`` when the rest state never loses stability."""
        p = {k: float(v) for k, v in self.params.items()}
        s = 1.0 - p["b"] * p["tau_m"] / p["tau_w"]  # 3 v*^2 / gamma at the bifurcation
        if s < 0:
            return math.nan
        v = -math.sqrt(p["gamma"] * s / 3.0)  # the lower branch: the bifurcation met first
        return (v + p["a"]) / p["b"] - v + v ** 3 / p["gamma"]

"""Izhikevich's resonate-and-fire neuron (2001), as ngc-learn's ``RAFCell``."""
from __future__ import annotations

from .base import Model, Parameter, StateVariable

__all__ = ["ResonateAndFire"]


# ---------------------------------------------------------------------------------------
# Equations (scalar functions; they compile for njit and CUDA device code).
# ---------------------------------------------------------------------------------------
def raf_dynamics(v, w, I, tau_v, tau_w, omega, b, R):
    """tau_v dv/dt = omega w + b v, tau_w dw/dt = b w - omega v + R I."""
    dv = (omega * w + b * v) / tau_v
    dw = (b * w - omega * v + R * I) / tau_w
    return dv, dw


def raf_threshold(v, v_thresh):
    """Spike when v > v_thresh."""
    return v > v_thresh


def raf_reset(v, w, v_reset, w_reset):
    """v <- v_reset, w <- w_reset."""
    return v_reset, w_reset


# ---------------------------------------------------------------------------------------
class ResonateAndFire(Model):
    """Resonate-and-fire neuron (Izhikevich 2001): a damped oscillator with a threshold.

    Dynamics (``z = w + i v`` obeys ``dz/dt = (b + i omega) z / tau + R I / tau`` when
    ``tau_v = tau_w = tau``)::

        tau_v dv/dt = omega w + b v
        tau_w dw/dt = b w - omega v + R I

    A spike when ``v > v_thresh``; then ``v <- v_reset``, ``w <- w_reset``. With ``b < 0`` the
    rest state is a stable focus: the response to a brief pulse rings with angular frequency
    ``omega / tau`` (rad/ms) and decays as ``exp(b t / tau)``, so that pulses spaced by one
    period add up (resonance) and pulses spaced by half a period cancel.

    Parameters
    ----------
    omega : float or array
        Angular frequency, in radians per ``tau`` (10).
    b : float or array
        Damping (-1; < 0 for a stable rest state).
    tau_v, tau_w : float or array, ms
        Time constants of ``v`` and ``w`` (1, 1; > 0).
    v_thresh : float or array, mV
        Threshold (1).
    v_reset, w_reset : float or array
        Reset values (0, 0).
    R : float or array
        Input resistance (1); the input drives ``w`` (the current-like variable).

    The defaults are ngc-learn's ``RAFCell`` (``tau_v=1, tau_w=1, thr=1, omega=10,
    dampen_factor=-1, v_reset=0, w_reset=0, v0=0, w0=0, resist_v=1``). ngc-learn's Euler step
    advances ``w`` first and then ``v`` with the new ``w`` (a semi-implicit step); fastspike's
    integrators advance both together from the state at t.

    State variables: ``v`` (the "voltage", initial 0; delta synapses add to it), ``w`` (the
    "current" variable, initial 0).

    Integrators: ``"euler"``, ``"rk2"`` (default), ``"rk4"``.

    Sources: E. M. Izhikevich (2001), "Resonate-and-fire neurons", Neural Netw. 14:883-894,
    eq. (1); ngc-learn ``RAFCell``.
    """

    parameters = (
        Parameter("omega", 10.0, "rad", "angular frequency (radians per tau)", "finite"),
        Parameter("b", -1.0, "1", "damping", "finite"),
        Parameter("tau_v", 1.0, "ms", "time constant of v", "positive"),
        Parameter("tau_w", 1.0, "ms", "time constant of w", "positive"),
        Parameter("v_thresh", 1.0, "mV", "threshold", "finite"),
        Parameter("v_reset", 0.0, "mV", "reset value of v", "finite"),
        Parameter("w_reset", 0.0, "1", "reset value of w", "finite"),
        Parameter("R", 1.0, "1", "input resistance", "finite"),
    )
    state_variables = (
        StateVariable("v", "mV", 0.0, "voltage-like variable"),
        StateVariable("w", "1", 0.0, "current-like variable"),
    )
    integrators = ("euler", "rk2", "rk4")
    default_integrator = "rk2"
    source = "Izhikevich 2001, Neural Netw 14:883; ngc-learn RAFCell"

    dynamics = staticmethod(raf_dynamics)
    threshold = staticmethod(raf_threshold)
    reset = staticmethod(raf_reset)

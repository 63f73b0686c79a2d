"""Izhikevich's simple model of spiking neurons (2003), with its published cell classes."""
from __future__ import annotations

import numpy as np

from .base import Model, Parameter, StateVariable
from .presets import PresetMixin

__all__ = ["Izhikevich"]


# ---------------------------------------------------------------------------------------
# Equations (scalar functions; they compile for njit and CUDA device code).
# ---------------------------------------------------------------------------------------
def izhikevich_dynamics(v, u, I, a, b, R, v_peak):
    """dv/dt = 0.04 v^2 + 5 v + 140 - u + R I, du/dt = a (b v - u) (per ms).

    Inside a step, ``v`` above ``v_peak`` is taken at ``v_peak`` (the spike is emitted at the
    end of the step anyway): the stages of a Runge-Kutta step then cannot overflow, nor feed
    a runaway ``v`` into ``u``.
    """
    vc = min(v, v_peak)
    dv = 0.04 * vc * vc + 5.0 * vc + 140.0 - u + R * I
    du = a * (b * vc - u)
    return dv, du


def izhikevich_threshold(v, v_peak):
    """Spike when v >= v_peak."""
    return v >= v_peak


def izhikevich_reset(v, u, c, d):
    """v <- c, u <- u + d."""
    return c, u + d


# ---------------------------------------------------------------------------------------
# Izhikevich (2003), Fig. 2 (and Izhikevich 2004, Fig. 1 / 2003 Table of cell classes):
# (a, b, c, d) of the cortical and thalamic cell classes.
PRESETS = {
    "RS": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},    # regular spiking (excitatory)
    "IB": {"a": 0.02, "b": 0.2, "c": -55.0, "d": 4.0},    # intrinsically bursting
    "CH": {"a": 0.02, "b": 0.2, "c": -50.0, "d": 2.0},    # chattering
    "FS": {"a": 0.1, "b": 0.2, "c": -65.0, "d": 2.0},     # fast spiking (inhibitory)
    "LTS": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 2.0},  # low-threshold spiking (inhibitory)
    "RZ": {"a": 0.1, "b": 0.26, "c": -65.0, "d": 2.0},    # resonator
    "TC": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 0.05},  # thalamo-cortical
}


class Izhikevich(PresetMixin, Model):
    """Izhikevich's simple spiking neuron (Izhikevich 2003).

    Dynamics between spikes (v in mV, t in ms)::

        dv/dt = 0.04 v^2 + 5 v + 140 - u + R I
        du/dt = a (b v - u)

    A spike when ``v >= v_peak``; then ``v <- c``, ``u <- u + d``.

    Parameters
    ----------
    a : float or array, 1/ms
        Time scale of the recovery variable ``u`` (0.02).
    b : float or array, dimensionless
        Sensitivity of ``u`` to subthreshold ``v`` (0.2).
    c : float or array, mV
        Reset value of ``v`` (-65).
    d : float or array, mV/ms
        Increment of ``u`` per spike (8).
    v_peak : float or array, mV
        Spike cut-off (30).
    R : float or array
        Input resistance (1): ``I`` is in the model's units of ``dv/dt`` (mV/ms), as in
        Izhikevich's papers (his thalamic input ``5 * randn``, DC currents around 10).
    preset : {"RS", "IB", "CH", "FS", "LTS", "RZ", "TC"}, optional
        Take ``a, b, c, d`` of a published cell class (explicit arguments override it):
        regular spiking, intrinsically bursting, chattering, fast spiking, low-threshold
        spiking, resonator, thalamo-cortical (Izhikevich 2003, Fig. 2). The defaults are RS.

    State variables: ``v`` (mV, initial -65), ``u`` (mV/ms, initial ``b * -65``), as in
    Izhikevich's published network code (``v = -65; u = b .* v``).

    Integrators: ``"euler"``, ``"rk2"`` (default), ``"rk4"``. Izhikevich (2003) used Euler
    with 1 ms steps (``v`` in two 0.5 ms half steps); use ``dt <= 0.5`` ms with Euler for
    faithful spike shapes.

    Examples
    --------
    >>> import fastspike as fs
    >>> fs.Izhikevich.preset("CH")           # doctest: +SKIP
    >>> fs.Izhikevich(preset="FS", d=2.5)    # doctest: +SKIP

    Sources: E. M. Izhikevich, "Simple model of spiking neurons", IEEE Trans. Neural Netw.
    14:1569-1572 (2003), eqs. (1)-(3), Fig. 2; E. M. Izhikevich, "Which model to use for
    cortical spiking neurons?", IEEE Trans. Neural Netw. 15:1063-1070 (2004); ngc-learn
    ``IzhikevichCell`` (its ``tau_w = 1/a``, ``coupling_factor = b``, ``v_reset = c``,
    ``w_reset = d``).
    """

    presets = PRESETS
    parameters = (
        Parameter("a", 0.02, "1/ms", "time scale of the recovery variable", "finite"),
        Parameter("b", 0.2, "1", "sensitivity of u to v", "finite"),
        Parameter("c", -65.0, "mV", "reset value of v", "finite"),
        Parameter("d", 8.0, "mV/ms", "increment of u per spike", "finite"),
        Parameter("v_peak", 30.0, "mV", "spike cut-off", "finite"),
        Parameter("R", 1.0, "1", "input resistance (I in mV/ms)", "finite"),
    )
    state_variables = (
        StateVariable("v", "mV", -65.0, "membrane potential"),
        StateVariable("u", "mV/ms", 0.0, "recovery variable (initial b * v)"),
    )
    integrators = ("euler", "rk2", "rk4")
    default_integrator = "rk2"
    source = "Izhikevich 2003, IEEE TNN 14:1569; Izhikevich 2004, IEEE TNN 15:1063"

    dynamics = staticmethod(izhikevich_dynamics)
    threshold = staticmethod(izhikevich_threshold)
    reset = staticmethod(izhikevich_reset)

    V_INIT = -65.0
    """Initial membrane potential (mV) of every neuron."""

    def initial_state(self, n: int) -> dict[str, np.ndarray]:
        v = np.full(n, self.V_INIT)
        u = np.broadcast_to(np.asarray(self.params["b"], dtype=np.float64) * self.V_INIT, (n,)).copy()
        return {"v": v, "u": u}

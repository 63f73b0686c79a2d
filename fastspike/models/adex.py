"""The adaptive exponential integrate-and-fire neuron (AdEx), with Naud et al.'s firing patterns."""
from __future__ import annotations

import math

from .base import Model, Parameter, StateVariable
from .presets import PresetMixin

__all__ = ["AdEx"]


# ---------------------------------------------------------------------------------------
# Equations (scalar functions; they compile for njit and CUDA device code).
# ---------------------------------------------------------------------------------------
def adex_dynamics(v, w, I, tau_m, R, tau_w, delta_T, v_T, v_peak, v_rest, a):
    """dv/dt (mV/ms) and dw/dt (current/ms).

    ``tau_m dv/dt = -(v - v_rest) + delta_T exp((v - v_T)/delta_T) - R w + R I`` and
    ``tau_w dw/dt = a (v - v_rest) - w``. As NEST's ``aeif`` models, ``v`` enters the right-hand
    side bounded by ``v_peak``, so that the stages of a Runge-Kutta step cannot overflow
    (the spike is emitted at the end of the step anyway).
    """
    vc = min(v, v_peak)
    dv = (-(vc - v_rest) + delta_T * math.exp((vc - v_T) / delta_T) - R * w + R * I) / tau_m
    dw = (a * (vc - v_rest) - w) / tau_w
    return dv, dw


def adex_threshold(v, v_peak):
    """Spike when v >= v_peak."""
    return v >= v_peak


def adex_reset(v, w, v_reset, b):
    """v <- v_reset, w <- w + b."""
    return v_reset, w + b


# ---------------------------------------------------------------------------------------
def _naud(C, g_L, E_L, V_T, delta_T, a, tau_w, b, V_r, I):
    """A row of Naud et al. (2008), Table 1 (C pF, g_L nS, mV, a nS, tau_w ms, b pA, I pA) in
    this model's parameters: tau_m = C / g_L (ms), R = 1 / g_L (GOhm, so that pA x GOhm =
    mV), w and b in pA, v_peak = 0 mV (Naud et al.'s spike cut-off)."""
    return {"tau_m": C / g_L, "R": 1.0 / g_L, "v_rest": E_L, "v_T": V_T, "delta_T": delta_T, "a": a,
            "tau_w": tau_w, "b": b, "v_reset": V_r, "v_peak": 0.0}, I


# Naud, Marcille, Clopath & Gerstner (2008), Biol. Cybern. 99:335, Table 1 (Fig. 4a-h):
#            C    g_L   E_L  V_T  dT   a     tau_w  b    V_r  I
_TABLE = {
    "tonic": _naud(200, 10, -70, -50, 2, 2, 30, 0, -58, 500),                     # Fig. 4a
    "adapting": _naud(200, 12, -70, -50, 2, 2, 300, 60, -58, 500),                # Fig. 4b
    "initial_burst": _naud(130, 18, -58, -50, 2, 4, 150, 120, -50, 400),          # Fig. 4c
    "regular_bursting": _naud(200, 10, -58, -50, 2, 2, 120, 100, -46, 210),       # Fig. 4d
    "delayed_accelerating": _naud(200, 12, -70, -50, 2, -10, 300, 0, -58, 300),   # Fig. 4e
    "delayed_regular_bursting": _naud(100, 10, -65, -50, 2, -10, 90, 30, -47, 110),  # Fig. 4f
    "transient": _naud(100, 10, -65, -50, 2, 10, 90, 100, -47, 180),              # Fig. 4g
    "irregular": _naud(100, 12, -60, -50, 2, -11, 130, 30, -48, 160),             # Fig. 4h
}
PRESETS = {name: params for name, (params, _) in _TABLE.items()}
PRESET_CURRENTS = {name: current for name, (_, current) in _TABLE.items()}


class AdEx(PresetMixin, Model):
    """Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005).

    Dynamics between spikes::

        tau_m dv/dt = -(v - v_rest) + delta_T exp((v - v_T) / delta_T) - R w + R I
        tau_w dw/dt = a (v - v_rest) - w

    A spike when ``v >= v_peak``; then ``v <- v_reset``, ``w <- w + b``, and ``v`` is held at
    ``v_reset`` for ``t_ref`` while ``w`` keeps evolving (as NEST's ``aeif`` models).

    In conductance units (Naud et al. 2008): ``C dv/dt = -g_L (v - E_L) + g_L delta_T
    exp((v - V_T)/delta_T) - w + I`` is this model with ``tau_m = C / g_L``, ``R = 1 / g_L``,
    ``v_rest = E_L`` (pF, nS, pA give ms, GOhm, and ``R I`` in mV).

    Parameters
    ----------
    tau_m : float or array, ms
        Membrane time constant (15).
    R : float or array, MOhm (or GOhm with pA)
        Membrane resistance (1).
    tau_w : float or array, ms
        Adaptation time constant (400).
    delta_T : float or array, mV
        Slope factor (2; > 0).
    v_T : float or array, mV
        Threshold of the exponential term ("intrinsic threshold", -55).
    v_peak : float or array, mV
        Spike cut-off (5).
    v_rest : float or array, mV
        Resting (leak reversal) potential (-72).
    v_reset : float or array, mV
        Reset potential (-75).
    a : float or array, uS = 1/MOhm (nS with a preset)
        Subthreshold adaptation (0.1).
    b : float or array, nA (pA with a preset)
        Spike-triggered adaptation increment (0.75).
    t_ref : float or array, ms
        Refractory period (0).
    preset : str, optional
        One of Naud et al.'s firing patterns (their Table 1, Fig. 4): ``"tonic"``,
        ``"adapting"``, ``"initial_burst"``, ``"regular_bursting"``,
        ``"delayed_accelerating"``, ``"delayed_regular_bursting"``, ``"transient"``,
        ``"irregular"`` (spaces or hyphens accepted). The preset's units are pF/nS/pA:
        drive it with ``AdEx.preset_current(name)`` pA, the step of the paper.

    The defaults are ngc-learn's ``AdExCell`` (``tau_m=15, resist_m=1, tau_w=400,
    v_sharpness=2, intrinsic_mem_thr=-55, thr=5, v_rest=-72, v_reset=-75, a=0.1, b=0.75``);
    ngc-learn starts ``v`` at ``v0 = -70``, fastspike at ``v_rest`` (set ``pop.v`` to change it).

    State variables: ``v`` (mV, initial ``v_rest``), ``w`` (nA, initial 0; pA with a preset).

    Units: the declarations are in MOhm and nA (``R I`` in mV). A preset's values are Naud et
    al.'s, in pF, nS and pA (R in GOhm): such a model reports those units (``model.units()``,
    the HDF5 file, Neo), and its input current ``I`` is in pA.

    Integrators: ``"euler"``, ``"rk2"`` (default), ``"rk4"``.

    Sources: R. Brette & W. Gerstner (2005), J. Neurophysiol. 94:3637; R. Naud, N. Marcille,
    C. Clopath & W. Gerstner (2008), "Firing patterns in the adaptive exponential
    integrate-and-fire model", Biol. Cybern. 99:335-347, Table 1; ngc-learn ``AdExCell``;
    NEST ``aeif_psc_exp`` (bounded ``v`` in the right-hand side).
    """

    presets = PRESETS
    parameters = (
        Parameter("tau_m", 15.0, "ms", "membrane time constant", "positive"),
        Parameter("R", 1.0, "MOhm", "membrane resistance", "finite"),
        Parameter("tau_w", 400.0, "ms", "adaptation time constant", "positive"),
        Parameter("delta_T", 2.0, "mV", "slope factor of the exponential term", "positive"),
        Parameter("v_T", -55.0, "mV", "threshold of the exponential term", "finite"),
        Parameter("v_peak", 5.0, "mV", "spike cut-off", "finite"),
        Parameter("v_rest", -72.0, "mV", "resting potential", "finite"),
        Parameter("v_reset", -75.0, "mV", "reset potential", "finite"),
        Parameter("a", 0.1, "uS", "subthreshold adaptation (1/MOhm)", "finite"),
        Parameter("b", 0.75, "nA", "spike-triggered adaptation increment", "finite"),
        Parameter("t_ref", 0.0, "ms", "refractory period", "nonnegative"),
    )
    state_variables = (
        StateVariable("v", "mV", "v_rest", "membrane potential"),
        StateVariable("w", "nA", 0.0, "adaptation current"),
    )
    integrators = ("euler", "rk2", "rk4")
    default_integrator = "rk2"
    refractory = True
    source = "Brette & Gerstner 2005, J Neurophysiol 94:3637; Naud et al. 2008, Biol Cybern 99:335"

    dynamics = staticmethod(adex_dynamics)
    threshold = staticmethod(adex_threshold)
    reset = staticmethod(adex_reset)

    PRESET_UNITS = {"R": "GOhm", "a": "nS", "b": "pA", "w": "pA"}
    """The units of Naud et al.'s presets (pF, nS, pA: R in GOhm), where the declarations use
    MOhm and nA."""

    def units(self) -> dict[str, str]:
        units = super().units()
        if self.preset_name is not None:  # the values are the paper's, in its units
            units.update(self.PRESET_UNITS)
        return units

    @staticmethod
    def preset_current(name: str) -> float:
        """The step current (pA) of Naud et al.'s Table 1 for firing pattern ``name``."""
        key, _ = AdEx._lookup(name)
        return float(PRESET_CURRENTS[key])

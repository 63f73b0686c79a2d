"""The simplified LIF of Samadi et al. (2017), as ngc-learn's ``SLIFCell``."""
from __future__ import annotations

import numpy as np

from .base import Model, Parameter, StateVariable

__all__ = ["SLIF"]


# ---------------------------------------------------------------------------------------
# Equations (scalar functions; they compile for njit and CUDA device code).
# ---------------------------------------------------------------------------------------
def slif_dynamics(v, thr, I, tau_m, R, thr_leak, rho_b, dt):
    """tau_m dv/dt = -v + R I; the threshold loses the fraction thr_leak and the amount rho_b per
    step (the model sets thr_leak = 0 where rho_b > 0, so one of the two terms acts).

    Written without branches, so that the compiled update vectorizes."""
    dv = (R * I - v) / tau_m
    dthr = -(rho_b + thr_leak * thr) / dt
    return dv, dthr


def slif_threshold(v, thr):
    """Spike when v > thr (ngc-learn's strict comparison)."""
    return v > thr


def slif_reset(v, thr, thr_gain, rho_b, n_units):
    """v <- 0 (hyperpolarisation); thr <- thr + thr_gain + rho_b n_units (thr_gain = 0 where rho_b > 0)."""
    return v * 0.0, thr + thr_gain + rho_b * n_units


def slif_constrain(v, thr, thr_min):
    """The threshold stays >= thr_min (thr_min = -inf outside sparsity mode)."""
    return v, max(thr, thr_min)


# ---------------------------------------------------------------------------------------
class SLIF(Model):
    """Simplified leaky integrate-and-fire neuron of Samadi et al. (2017), ngc-learn ``SLIFCell``.

    Dynamics (dimensionless ``v``, rest and reset at 0)::

        tau_m dv/dt = -v + R I
        thr         <- thr (1 - thr_leak)                     every step   (rho_b = 0)
        thr         <- thr - rho_b                            every step   (rho_b > 0)

    A spike when ``v > thr``; then ``v <- 0``, ``thr <- thr + thr_gain`` (``rho_b = 0``) or
    ``thr <- thr + rho_b * n_units`` (``rho_b > 0``), and ``v`` is held at 0 for ``t_ref``.
    In sparsity mode (``rho_b > 0``) the threshold is kept ``>= thr_min``.

    Parameters
    ----------
    tau_m : float or array, ms
        Membrane time constant (required, > 0).
    R : float or array
        Membrane resistance (1).
    v_thresh : float or array
        Initial (base) threshold (required; ngc-learn ``thr``).
    thr_gain : float or array
        Threshold increment per spike (0).
    thr_leak : float or array
        Fraction of the threshold lost per step (0).
    rho_b : float or array
        Sparsity factor (0: off); see the notes.
    n_units : float or array
        Size of the group whose sparsity ``rho_b`` enforces (1).
    thr_min : float or array
        Floor of the threshold in sparsity mode (0.025).

    In sparsity mode ``thr_gain`` and ``thr_leak`` are ignored, as in ngc-learn: the model
    stores them as 0 (and ``thr_min`` as -inf elsewhere), which ``describe()`` shows.
    t_ref : float or array, ms
        Refractory period (0).

    The defaults are ngc-learn's (``resist_inh=0, thr_gain=0, thr_leak=0, rho_b=0,
    refract_time=0, sticky_spikes=False``). ``thr_leak`` and ``rho_b`` are per step, as in
    ngc-learn: they depend on ``dt``. Only ``"euler"`` (the default) reproduces ngc-learn's
    step exactly; ``"rk2"`` and ``"rk4"`` are offered for the membrane equation.

    State variables: ``v`` (initial 0), ``thr`` (the adaptive threshold, initial
    ``v_thresh``; add jitter by assigning ``pop.thr``, as ngc-learn's ``thr_jitter``).

    Notes
    -----
    What differs from ngc-learn, and why (fastspike updates every neuron on its own):

    - **Lateral inhibition** (``resist_inh > 0``: ``j <- R j - resist_inh W s(t - dt)`` with a
      hollow matrix ``W``) is a connection between neurons: build it with
      :meth:`connect_lateral_inhibition`, a delta projection of the population onto itself
      with delay ``dt``, which subtracts exactly ngc-learn's term ``resist_inh W s dt / tau_m``
      from ``v`` under Euler.
    - **Sparsity mode** (``rho_b > 0``): ngc-learn moves every threshold by ``rho_b (sum_j s_j
      - 1)``, a sum over the population. Here each neuron sees only its own spike:
      ``thr_i <- thr_i + rho_b (n_units s_i - 1)``, whose population mean follows ngc-learn's
      rule exactly (apart from the floor).
    - The threshold adapts before the spike test of the step (ngc-learn: after it), so a
      spike is tested against the threshold that has already leaked for this step.
    - **Sticky spikes** (spikes held at 1 during the refractory period) are not expressed:
      a fastspike neuron emits one spike per threshold crossing.
    - ngc-learn's refractory mask holds ``v`` for ``ceil(t_ref/dt) - 1`` steps after the spike
      step; fastspike holds it for ``round(t_ref/dt)`` steps.

    Integrators: ``"euler"`` (default), ``"rk2"``, ``"rk4"``.

    Sources: A. Samadi, T. P. Lillicrap & D. B. Tweed (2017), "Deep learning with dynamic
    spiking neurons and fixed feedback weights", Neural Comput. 29:578-602; ngc-learn
    ``SLIFCell``.
    """

    parameters = (
        Parameter("tau_m", None, "ms", "membrane time constant", "positive"),
        Parameter("R", 1.0, "1", "membrane resistance", "finite"),
        Parameter("v_thresh", None, "1", "initial (base) threshold", "finite"),
        Parameter("thr_gain", 0.0, "1", "threshold increment per spike", "finite"),
        Parameter("thr_leak", 0.0, "1", "fraction of the threshold lost per step", "nonnegative"),
        Parameter("rho_b", 0.0, "1", "sparsity factor (0: off)", "nonnegative"),
        Parameter("n_units", 1.0, "1", "size of the group for the sparsity rule", "positive"),
        Parameter("thr_min", 0.025, "1", "floor of the threshold in sparsity mode", "finite"),
        Parameter("t_ref", 0.0, "ms", "refractory period", "nonnegative"),
    )
    state_variables = (
        StateVariable("v", "1", 0.0, "membrane potential"),
        StateVariable("thr", "1", "v_thresh", "adaptive threshold"),
    )
    integrators = ("euler", "rk2", "rk4")
    default_integrator = "euler"
    refractory = True
    source = "Samadi, Lillicrap & Tweed 2017, Neural Comput 29:578; ngc-learn SLIFCell"

    dynamics = staticmethod(slif_dynamics)
    threshold = staticmethod(slif_threshold)
    reset = staticmethod(slif_reset)
    constrain = staticmethod(slif_constrain)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        p = self.params
        sparse = np.asarray(p["rho_b"]) > 0
        if not np.any(sparse):
            self.constrain = None  # no floor outside sparsity mode
        else:  # sparsity mode ignores thr_gain and thr_leak (ngc-learn); the floor acts only there
            for name, off in (("thr_gain", 0.0), ("thr_leak", 0.0), ("thr_min", -np.inf)):
                value = np.where(sparse, p[name], off) if name == "thr_min" else np.where(sparse, off, p[name])
                p[name] = float(value) if value.ndim == 0 else value

    def frozen_state(self) -> tuple[str, ...]:
        p = self.params
        fixed = all(np.all(np.asarray(p[k]) == 0) for k in ("thr_gain", "thr_leak", "rho_b"))
        return ("thr",) if fixed else ()

    @staticmethod
    def connect_lateral_inhibition(net, pop, resist_inh: float, low: float = 0.025, high: float = 1.0):
        """Add ngc-learn's lateral inhibition to ``pop``: ``v_i -= resist_inh W_ij dt / tau_m``
        in the step after neuron ``j`` spiked, ``W`` hollow with entries uniform in
        ``[low, high)`` drawn from ``net.rng`` (ngc-learn: ``[0.025, 1)``). Returns the
        projection (a :class:`~fastspike.Delta` projection of ``pop`` onto itself, delay ``dt``).
        """
        from ..synapses import Delta, FromArrays

        tau_m = np.asarray(pop.model.params["tau_m"], dtype=np.float64)
        if tau_m.ndim:
            raise ValueError("SLIF.connect_lateral_inhibition: tau_m must be one value for the population")
        if not np.isfinite(resist_inh) or resist_inh < 0:
            raise ValueError(f"SLIF.connect_lateral_inhibition: resist_inh={resist_inh!r} must be >= 0")
        n = pop.n
        pre, post = np.nonzero(~np.eye(n, dtype=bool))
        w = net.rng.uniform(low, high, pre.size)
        return net.connect(pop, pop, FromArrays(pre, post), synapse=Delta(),
                           weight=-resist_inh * w * net.dt / float(tau_m), delay=net.dt)

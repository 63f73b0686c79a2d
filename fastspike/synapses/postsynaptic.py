"""Postsynaptic models: the synaptic channels of a population (GeNN's postsynaptic models).

A projection's ``synapse=`` says which channel of the postsynaptic population its spikes
arrive in. Projections (and Poisson inputs) whose postsynaptic models are equal (same class
and parameters) share one channel: one state per neuron, one input buffer, whatever their
number.

A postsynaptic model declares (see :class:`PostsynapticModel`) its parameters (compiled in as
constants: they are the channel's identity), its state per neuron, and scalar functions whose
arguments are matched by name: the channel's state variables, its parameters, its
``derived`` constants, ``dt`` (ms), ``w`` (the weight arriving in a step) and ``v`` (the
neuron's membrane potential). The step program (:mod:`fastspike.ir.schedule`) calls them at
fixed points of NEST's ``iaf_psc_exp`` order: the channel's ``current`` enters the neuron's
input over the step; then ``decay`` advances the channel by one step; then ``arrive`` adds
each input that arrives in the step (spikes delivered by projections, Poisson afferents).

Built in: :class:`ExpCurrent` and :class:`AlphaCurrent` (currents; propagated exactly by the
LIF's ``"exact"`` integrator), :class:`ExpConductance` and :class:`AlphaConductance`
(conductances: their current ``g (E_rev - v)`` is evaluated at every stage of an explicit
integrator, at the stage's ``v`` and the conductance's exact value at the stage's time) and
:class:`Delta` (a jump of the membrane potential).
"""
from __future__ import annotations

from typing import Callable, ClassVar

import math

import numpy as np

from ..components import Component, Parameter, StateVariable, function_arguments
from ..integrators import KERNEL_SHAPES, propagator_exp

__all__ = ["PostsynapticModel", "ExpCurrent", "AlphaCurrent", "ExpConductance", "AlphaConductance", "Delta",
           "SynapseType"]


class PostsynapticModel(Component):
    """Base class of synaptic channels.

    Attributes
    ----------
    parameters : tuple of Parameter
        Scalars, compiled in; equal parameters share a channel.
    state_variables : tuple of StateVariable
        Per-neuron state of the channel (carried across runs), e.g. :class:`ExpCurrent`'s
        current ``I``. Their initial value is 0.
    target : {"current", "membrane"}
        ``"current"``: arrivals change the channel's state, which injects ``current(...)``
        into the neuron's input ``I``. ``"membrane"``: the weights arriving in a step are
        summed and ``arrive(v, w)`` adds them to the neuron's membrane potential (its first
        state variable), except while the neuron is refractory.
    derived : dict of name -> function
        Constants of the channel computed once per compiled call from its parameters and
        ``dt`` (in float64, then cast to the network's dtype), e.g. a decay factor.
    decay : function
        The state variables after one step without arrivals.
    arrive : function
        ``"current"``: the state variables after a weight ``w`` arrives (called once per
        input of the step, in order). ``"membrane"``: the membrane potential ``v`` after the
        summed weight ``w`` arrives; ``arrive(v, 0)`` must be ``v`` (a refractory neuron's
        update is written as the arrival of ``w * 0``, so that it has no branch).
    current : function
        The current the channel injects into the neuron (argument ``v``: its membrane
        potential). Explicit integrators hold it over the step, evaluated at the start of
        the step, unless the channel is ``stagewise``. A channel whose ``current`` takes
        ``v`` is refused on a model whose membrane variable (its first state variable) is
        not a voltage (unit ``mV``).
    stagewise : bool
        False (the default): explicit integrators hold ``current`` over the step (at the
        state and ``v`` of the start of the step). True: they evaluate it at each of their
        stages, with the stage's ``v`` and the channel's state at the stage's time ``s``
        into the step, which is ``decay`` over a step of ``s`` (its ``derived`` constants
        and ``dt`` taken for ``s``: the channel's exact value without arrivals, e.g. an
        exponential conductance's ``g exp(-s / tau)``). For currents that change much within
        a step (a conductance with tau_syn = 0.2 ms at dt = 0.1 ms).
    conductance : function or None
        For channels whose current is linear in ``v``, ``current = conductance (E - v)``:
        the conductance (``-d current / dv``), from the channel's state. The
        ``"exponential_euler"`` integrator then takes the channel into the linear part of
        ``v``'s equation (held over the step at its value at the start, as Brian2 does),
        instead of an input held at the start's ``v``.
    exact_kernels : dict of state variable -> (shape, parameter name)
        For the ``"exact"`` integrator of linear models: ``current`` is the sum of the
        currents these variables give, and one unit of a variable gives, ``s`` ms later and
        without arrivals, ``exp(-s / tau)`` (shape ``"exp"``) or ``s exp(-s / tau)``
        (shape ``"alpha"``), ``tau`` the parameter named (ms). The integrator propagates the
        membrane with NEST's propagators for these kernels. Empty when the channel cannot be
        propagated exactly; connecting it to a population that integrates with ``"exact"``
        is then refused.
    exact_time_constants : dict of state variable -> parameter name
        The former spelling of ``exact_kernels`` for exponential kernels only:
        ``{"I": "tau"}`` is ``exact_kernels = {"I": ("exp", "tau")}``.
    weights : {"finite", "nonnegative"}
        What weights the channel takes (``"nonnegative"``: conductances, whose sign is in
        their reversal potential); checked at ``connect()`` and ``poisson_input()``.
    """

    state_variables: ClassVar[tuple[StateVariable, ...]] = ()
    target: ClassVar[str] = "current"
    derived: ClassVar[dict[str, Callable]] = {}
    exact_kernels: ClassVar[dict[str, tuple[str, str]]] = {}
    exact_time_constants: ClassVar[dict[str, str]] = {}
    stagewise: ClassVar[bool] = False
    weights: ClassVar[str] = "finite"
    decay: ClassVar[Callable | None] = None
    arrive: ClassVar[Callable | None] = None
    current: ClassVar[Callable | None] = None
    conductance: ClassVar[Callable | None] = None

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.state_variables)

    def check(self) -> None:
        """Refuse functions whose arguments or results do not fit the declarations (see
        :meth:`~fastspike.components.Component.check_function`)."""
        if self.target not in ("current", "membrane"):
            raise ValueError(f"{self.name}: target={self.target!r}; choose 'current' or 'membrane'")
        common = {**{p: float(np.ravel(v)[0]) for p, v in self.params.items()}, "dt": 0.1}
        for name, fn in self.derived.items():
            self.check_function(f"derived[{name!r}]", fn, common, 1)
        common.update({name: 0.5 for name in self.derived})
        state = {s: 0.5 for s in self.state_names}
        n = len(self.state_names)
        if self.target == "membrane":
            self.check_function("arrive", self.arrive, {**common, "v": -60.0, "w": 1.0}, 1)
            return
        if not n:
            raise ValueError(f"{self.name}: a channel whose target is the current needs state_variables")
        self.check_function("decay", self.decay, {**common, **state}, n)
        self.check_function("arrive", self.arrive, {**common, **state, "w": 1.0}, n)
        self.check_function("current", self.current, {**common, **state, "v": -60.0}, 1)
        if self.conductance is not None:
            self.check_function("conductance", self.conductance, {**common, **state}, 1)
        for var, (shape, tau) in self.kernels().items():
            if var not in self.state_names or tau not in self.params or shape not in KERNEL_SHAPES:
                raise ValueError(f"{self.name}: exact_kernels maps state variables to (shape, time-constant "
                                 f"parameter), shape one of {', '.join(map(repr, KERNEL_SHAPES))}; {var!r}: "
                                 f"{(shape, tau)!r} is not one")
        if self.weights not in ("finite", "nonnegative"):
            raise ValueError(f"{self.name}: weights={self.weights!r}; choose 'finite' or 'nonnegative'")

    def kernels(self) -> dict[str, tuple[str, str]]:
        """The channel's kernels for the ``"exact"`` integrator: ``exact_kernels`` and the
        exponential ones of ``exact_time_constants``."""
        return {**{var: ("exp", tau) for var, tau in self.exact_time_constants.items()}, **self.exact_kernels}

    def supports(self, integrator: str) -> bool:
        """Whether a population integrating with ``integrator`` can have this channel."""
        return integrator != "exact" or self.target == "membrane" or bool(self.kernels())

    @property
    def reads_membrane(self) -> bool:
        """Whether the channel's current depends on the membrane potential ``v`` (a
        conductance): it then needs a model whose membrane variable is a voltage."""
        return self.target == "current" and self.current is not None and "v" in function_arguments(self.current)

    def check_weights(self, values, what: str) -> None:
        """Refuse weights the channel does not take (``weights = "nonnegative"``: a negative
        conductance), naming the value."""
        if self.weights != "nonnegative":
            return
        arr = np.asarray(values, dtype=np.float64)
        if arr.size and np.any(arr < 0):
            worst = float(np.min(arr))
            raise ValueError(f"{what}: weight {worst!r} is negative; {self!r} is a conductance, whose weights must be "
                             f">= 0 (nS, or units of the leak conductance with R = 1): inhibition comes from its "
                             f"reversal potential E_rev (e.g. fs.ExpConductance(tau=10.0, E_rev=-80.0) with a "
                             f"positive weight)")


SynapseType = PostsynapticModel
"""The former name of :class:`PostsynapticModel`."""


# -- ExpCurrent: equations, written once (scalar functions) ------------------------------------
def exp_decay_factor(tau, dt):
    """exp(-dt / tau): what is left of the current after one step (NEST's P11)."""
    return propagator_exp(-1.0 / tau, dt)


def exp_current_decay(I, decay_factor):
    return I * decay_factor


def exp_current_arrive(I, w):
    return I + w


def exp_current_current(I):
    return I


class ExpCurrent(PostsynapticModel):
    """Exponentially decaying synaptic current (NEST ``iaf_psc_exp``, Brian2 ``dI/dt = -I/tau``).

    Each arriving spike adds its weight (a current, in the unit of the model's input) to the
    channel's current ``I``, which decays as ``exp(-t / tau)``; the current adds to the model's
    input ``I``. With the ``"exact"`` integrator the membrane sees the exact exponential
    (NEST's propagators); explicit integrators hold the current over each step.

    Parameters
    ----------
    tau : float, ms
        Decay time constant (> 0).
    """

    parameters = (Parameter("tau", None, "ms", "decay time constant", "positive"),)
    state_variables = (StateVariable("I", "current", 0.0, "synaptic current"),)
    derived = {"decay_factor": exp_decay_factor}
    exact_time_constants = {"I": "tau"}
    decay = staticmethod(exp_current_decay)
    arrive = staticmethod(exp_current_arrive)
    current = staticmethod(exp_current_current)

    @property
    def tau(self) -> float:
        return self.params["tau"]

    @property
    def key(self) -> tuple:
        return ("exp", self.tau)

    def __repr__(self) -> str:
        return f"ExpCurrent(tau={self.tau})"


# -- AlphaCurrent: NEST iaf_psc_alpha's state (dI, I) -------------------------------------------
def alpha_p21(tau, dt):
    """dt exp(-dt / tau): what dI adds to I over one step (NEST's P21)."""
    return dt * math.exp(-dt / tau)


def alpha_jump(tau):
    """e / tau (1/ms): the jump of dI per unit weight, so that the PSC peaks at the weight at t = tau
    (NEST's PSCInitialValue)."""
    return math.e / tau


def alpha_current_decay(I, dI, decay_factor, p21):
    return p21 * dI + decay_factor * I, decay_factor * dI


def alpha_current_arrive(I, dI, w, jump):
    return I, dI + w * jump


class AlphaCurrent(PostsynapticModel):
    """Alpha-shaped synaptic current (NEST ``iaf_psc_alpha``).

    A weight ``w`` arriving at t = 0 gives the current ``w (t / tau) exp(1 - t / tau)``: it
    peaks at ``w`` at ``t = tau`` (NEST's normalisation, PyNN's ``IF_curr_alpha``). The state is
    NEST's: ``dI`` (the current's derivative, which an arriving weight raises by ``w e /
    tau``) and ``I`` (the current), with ``dI/dt = -dI / tau``, ``dI/dt = dI - I / tau``,
    propagated exactly over each step. With the LIF's ``"exact"`` integrator the membrane
    sees the exact alpha current (NEST's propagators, including tau_m == tau): fastspike and
    ``iaf_psc_alpha`` agree spike for spike; explicit integrators evaluate the current at each
    of their stages at its exact value (``stagewise``).

    Parameters
    ----------
    tau : float, ms
        Rise time constant: the time of the peak (> 0).
    """

    parameters = (Parameter("tau", None, "ms", "time of the peak (rise time constant)", "positive"),)
    state_variables = (StateVariable("I", "current", 0.0, "synaptic current"),
                       StateVariable("dI", "current/ms", 0.0, "derivative of the synaptic current"))
    derived = {"decay_factor": exp_decay_factor, "p21": alpha_p21, "jump": alpha_jump}
    exact_kernels = {"I": ("exp", "tau"), "dI": ("alpha", "tau")}
    stagewise = True
    decay = staticmethod(alpha_current_decay)
    arrive = staticmethod(alpha_current_arrive)
    current = staticmethod(exp_current_current)

    @property
    def tau(self) -> float:
        return self.params["tau"]


# -- conductances ---------------------------------------------------------------------------------
def conductance_decay(g, decay_factor):
    return g * decay_factor


def conductance_arrive(g, w):
    return g + w


def conductance_current(g, v, E_rev):
    return g * (E_rev - v)


def conductance_value(g):
    return g


_E_REV = Parameter("E_rev", None, "mV", "reversal potential (inhibition: below rest)", "finite")
_G_TAU = Parameter("tau", None, "ms", "decay time constant", "positive")


class ExpConductance(PostsynapticModel):
    """Exponentially decaying synaptic conductance (NEST ``iaf_cond_exp``, PyNN
    ``IF_cond_exp``, Brian2 ``dg/dt = -g / tau``).

    Each arriving spike adds its weight to the conductance ``g``, which decays exactly as
    ``exp(-t / tau)``; the channel injects ``g (E_rev - v)``. Weights are conductances, >= 0:
    inhibition comes from ``E_rev`` (below the resting potential), not from the sign of the
    weight. Their unit is the inverse of the model's resistance ``R``: nS with ``R`` in GOhm
    (a LIF with ``R = 1 / g_L``, e.g. COBA's 0.1 GOhm for g_L = 10 nS), uS with ``R`` in MOhm;
    with the LIF's default ``R = 1`` a weight is in units of the leak conductance (0.6: 60 %
    of g_L). For models with a capacitance (AdEx, Hodgkin-Huxley in pF, nS), in the
    conductance unit of the model.

    Explicit integrators (``"euler"``, ``"rk2"``, ``"rk4"``) evaluate the current at each of
    their stages with the stage's ``v`` and the conductance's exact value at the stage's time
    (``g exp(-s / tau)``), not ``g`` held over the step: with NEST's tau_syn = 0.2 ms at dt =
    0.1 ms (replayed input of ``tests/test_conductance.py``), holding ``g`` gives 228 spikes
    where ``iaf_cond_exp`` gives 143; evaluated at each stage, rk4 gives NEST's 143.
    ``"exponential_euler"`` takes ``g`` into the linear part of ``v``'s equation, held over
    the step (Brian2's default for COBA; fine for its tau of 5 and 10 ms). The ``"exact"``
    integrator does not apply (the equation of ``v`` is not linear with a conductance).

    Parameters
    ----------
    tau : float, ms
        Decay time constant (> 0).
    E_rev : float, mV
        Reversal potential (finite): 0 mV excitatory, -80 mV inhibitory in COBA.
    """

    parameters = (_G_TAU, _E_REV)
    state_variables = (StateVariable("g", "conductance", 0.0, "synaptic conductance"),)
    derived = {"decay_factor": exp_decay_factor}
    stagewise = True
    weights = "nonnegative"
    decay = staticmethod(conductance_decay)
    arrive = staticmethod(conductance_arrive)
    current = staticmethod(conductance_current)
    conductance = staticmethod(conductance_value)


def alpha_conductance_decay(g, dg, decay_factor, p21):
    return p21 * dg + decay_factor * g, decay_factor * dg


def alpha_conductance_arrive(g, dg, w, jump):
    return g, dg + w * jump


class AlphaConductance(PostsynapticModel):
    """Alpha-shaped synaptic conductance (NEST ``iaf_cond_alpha``, PyNN ``IF_cond_alpha``).

    A weight ``w`` arriving at t = 0 gives the conductance ``w (t / tau) exp(1 - t / tau)``,
    which peaks at ``w`` at ``t = tau``; the channel injects ``g (E_rev - v)``. State, exact
    propagation and the weights' sign and units as :class:`AlphaCurrent` and
    :class:`ExpConductance` (``dg`` the conductance's derivative); explicit integrators
    evaluate the current at each stage at the conductance's exact value then.

    Parameters
    ----------
    tau : float, ms
        Rise time constant: the time of the peak (> 0).
    E_rev : float, mV
        Reversal potential (finite).
    """

    parameters = (Parameter("tau", None, "ms", "time of the peak (rise time constant)", "positive"), _E_REV)
    state_variables = (StateVariable("g", "conductance", 0.0, "synaptic conductance"),
                       StateVariable("dg", "conductance/ms", 0.0, "derivative of the conductance"))
    derived = {"decay_factor": exp_decay_factor, "p21": alpha_p21, "jump": alpha_jump}
    stagewise = True
    weights = "nonnegative"
    decay = staticmethod(alpha_conductance_decay)
    arrive = staticmethod(alpha_conductance_arrive)
    current = staticmethod(conductance_current)
    conductance = staticmethod(conductance_value)


def delta_arrive(v, w):
    return v + w


class Delta(PostsynapticModel):
    """Instantaneous synapse: each arriving spike adds its weight (mV) to the membrane potential
    (the model's first state variable), except while the neuron is refractory (NEST
    ``iaf_psc_delta``; Brian2 ``on_pre="v += w"``)."""

    target = "membrane"
    arrive = staticmethod(delta_arrive)

    @property
    def key(self) -> tuple:
        return ("delta",)

    def __repr__(self) -> str:
        return "Delta()"


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
"""
from __future__ import annotations

from typing import Callable, ClassVar

import numpy as np

from ..components import Component, Parameter, StateVariable
from ..integrators import propagator_exp

__all__ = ["PostsynapticModel", "ExpCurrent", "Delta", "SynapseType"]


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
        summed weight ``w`` arrives.
    current : function
        The current the channel injects into the neuron (argument ``v``: its membrane
        potential at the start of the step); explicit integrators hold it over the step.
    exact_time_constants : dict of state variable -> parameter name
        For the ``"exact"`` integrator of linear models: ``current`` is the sum of these
        variables and each decays exponentially with the time constant named (ms). Empty
        when the channel cannot be propagated exactly; connecting it to a population that
        integrates with ``"exact"`` is then refused.
    """

    state_variables: ClassVar[tuple[StateVariable, ...]] = ()
    target: ClassVar[str] = "current"
    derived: ClassVar[dict[str, Callable]] = {}
    exact_time_constants: ClassVar[dict[str, str]] = {}
    decay: ClassVar[Callable | None] = None
    arrive: ClassVar[Callable | None] = None
    current: ClassVar[Callable | None] = None

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
        for var, tau in self.exact_time_constants.items():
            if var not in self.state_names or tau not in self.params:
                raise ValueError(f"{self.name}: exact_time_constants maps state variables to time-constant "
                                 f"parameters; {var!r}: {tau!r} is not one")

    def supports(self, integrator: str) -> bool:
        """Whether a population integrating with ``integrator`` can have this channel."""
        return integrator != "exact" or self.target == "membrane" or bool(self.exact_time_constants)


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


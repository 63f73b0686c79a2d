"""Synapse types: which input channel of the post-synaptic population a projection feeds.

Projections onto one population whose synapse types are equal (same class and parameters)
share one channel: one current per neuron, one delay ring buffer, whatever the number of
projections.
"""
from __future__ import annotations

from .. import validation

__all__ = ["SynapseType", "ExpCurrent", "Delta"]


class SynapseType:
    """Base class; ``key`` identifies the channel (equal keys share one)."""

    @property
    def key(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SynapseType) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


class ExpCurrent(SynapseType):
    """Exponentially decaying synaptic current (NEST ``iaf_psc_exp``, Brian2 ``dI/dt = -I/tau``).

    Each arriving spike adds its weight (a current, in the unit of the model's input) to the
    channel's current, which decays as ``exp(-t / tau)``; the current adds to the model's
    input ``I``.

    Parameters
    ----------
    tau : float, ms
        Decay time constant (> 0).
    """

    def __init__(self, tau: float) -> None:
        self.tau = validation.number(tau, "tau", "ExpCurrent", low=0.0, low_open=True, unit="ms")

    @property
    def key(self) -> tuple:
        return ("exp", self.tau)

    def __repr__(self) -> str:
        return f"ExpCurrent(tau={self.tau})"


class Delta(SynapseType):
    """Instantaneous synapse: each arriving spike adds its weight (mV) to the membrane potential
    (the model's first state variable), except while the neuron is refractory (NEST
    ``iaf_psc_delta``; Brian2 ``on_pre="v += w"``)."""

    @property
    def key(self) -> tuple:
        return ("delta",)

    def __repr__(self) -> str:
        return "Delta()"

"""Weight-update models: what a synapse does when its neurons fire (GeNN's weight-update models).

A weight-update model declares the variables a projection keeps per synapse (``g``, the
weight, for every model), per presynaptic and per postsynaptic neuron (traces of plastic
rules), and scalar functions whose arguments are matched by name:

- ``on_pre``: called for every synapse of a presynaptic neuron's row when its spike reaches
  the synapse; returns the value transmitted to the postsynaptic channel (then, for plastic
  models, the synapse's new variables);
- ``on_post``: called for every synapse onto a neuron when that neuron fires (plastic models;
  the step program's ``learn`` stage), returning the synapse's new variables.

A static synapse (:class:`Static`) transmits its weight and keeps no other state: its
projection stores 8-10 bytes per synapse (target, weight, delay), a weight shared by all
synapses only once. Only plastic projections pay for per-synapse state beyond the weight.
"""
from __future__ import annotations

from typing import Callable, ClassVar

import numpy as np

from ..components import Component, StateVariable

__all__ = ["WeightUpdateModel", "Static"]


class WeightUpdateModel(Component):
    """Base class of weight-update models.

    Attributes
    ----------
    synapse_variables : tuple of StateVariable
        Per synapse; the first is the weight ``g`` (in the unit of the postsynaptic channel's
        input: a current, or mV for :class:`~fastspike.synapses.postsynaptic.Delta`).
    pre_variables, post_variables : tuple of StateVariable
        Per presynaptic / postsynaptic neuron (for example spike traces).
    on_pre : function
        Arguments by name (synapse, pre and post variables, parameters, ``dt``); returns the
        value transmitted to the target's channel.
    on_post : function or None
        Called per synapse when the postsynaptic neuron fires; None for models that do not
        learn.
    """

    synapse_variables: ClassVar[tuple[StateVariable, ...]] = (StateVariable("g", "weight", 0.0, "synaptic weight"),)
    pre_variables: ClassVar[tuple[StateVariable, ...]] = ()
    post_variables: ClassVar[tuple[StateVariable, ...]] = ()
    on_pre: ClassVar[Callable | None] = None
    on_post: ClassVar[Callable | None] = None

    def check(self) -> None:
        """Refuse functions whose arguments or results do not fit (see
        :meth:`~fastspike.components.Component.check_function`); refuse plastic models,
        which no backend lowers yet."""
        if self.plastic:
            raise ValueError(f"{self.name}: plastic weight-update models (on_post, or synapse/pre/post variables "
                             f"besides the weight g) are not lowered by the backends yet; only on_pre is")
        allowed = {**{p: float(np.ravel(v)[0]) for p, v in self.params.items()}, "g": 1.0, "dt": 0.1}
        self.check_function("on_pre", self.on_pre, allowed, 1)

    @property
    def plastic(self) -> bool:
        """Whether the model changes its synapses (static ones keep the compact storage)."""
        return self.on_post is not None or len(self.synapse_variables) > 1 or bool(self.pre_variables) \
            or bool(self.post_variables)


def static_on_pre(g):
    """A static synapse transmits its weight."""
    return g


class Static(WeightUpdateModel):
    """A static synapse: every spike transmits the synapse's weight, which never changes
    (NEST ``static_synapse``, PyNN ``StaticSynapse``, GeNN ``StaticPulse``)."""

    on_pre = staticmethod(static_on_pre)

    def __repr__(self) -> str:
        return "Static()"

"""Synapses: synapse types (input channels), connectors, weight/delay distributions, storage."""
from .connectors import (AllToAll, Connector, FixedIndegree, FixedOutdegree, FixedProbability,
                         FixedTotalNumber, FromArrays, OneToOne)
from .distributions import Distribution, Normal, Uniform
from .projection import Projection
from .types import Delta, ExpCurrent, SynapseType

__all__ = ["SynapseType", "ExpCurrent", "Delta", "Connector", "AllToAll", "OneToOne", "FixedProbability",
           "FixedIndegree", "FixedOutdegree", "FixedTotalNumber", "FromArrays", "Distribution", "Normal",
           "Uniform", "Projection"]

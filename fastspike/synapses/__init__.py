"""Synapses: synapse types (input channels), connectors, weight/delay distributions, storage."""
from .connectors import (AllToAll, Connector, FixedIndegree, FixedOutdegree, FixedProbability,
                         FixedTotalNumber, FromArrays, OneToOne)
from .distributions import Distribution, Normal, Uniform
from .projection import Projection
from .postsynaptic import AlphaConductance, AlphaCurrent, Delta, ExpConductance, ExpCurrent, PostsynapticModel, SynapseType
from .weight_update import STDP, PowerLawSTDP, Static, TripletSTDP, TsodyksMarkram, WeightUpdateModel

__all__ = ["PostsynapticModel", "SynapseType", "ExpCurrent", "AlphaCurrent", "ExpConductance", "AlphaConductance", "Delta", "WeightUpdateModel", "Static", "STDP", "TripletSTDP", "PowerLawSTDP", "TsodyksMarkram", "Connector", "AllToAll", "OneToOne", "FixedProbability",
           "FixedIndegree", "FixedOutdegree", "FixedTotalNumber", "FromArrays", "Distribution", "Normal",
           "Uniform", "Projection"]

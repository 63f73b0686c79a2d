"""fastspike: Numba-accelerated simulation of large populations of spiking neurons.

Quick start::

    import fastspike as fs
    net = fs.Network(dt=0.1, seed=1)
    pop = net.population(fs.LIF(tau_m=20.0), n=100)
    net.current(pop, 20.0)
    spikes = net.record(pop, "spikes")
    net.run(100.0)

Time in ms, voltage in mV, rates in Hz (see the README).
"""
from . import backends
from ._version import __version__
from .inputs import ACCurrent, CurrentSource, NoiseCurrent, OUCurrent, StepCurrent
from .models import (IF, LIF, SLIF, WTAS, AdEx, FitzHughNagumo, HodgkinHuxley, HodgkinHuxleyTraub, Izhikevich, Lapicque, Model, Option,
                     Parameter, PoissonSource, QuadLIF, ResonateAndFire, SpikeSource, StateVariable)
from .synapses import (AllToAll, AlphaConductance, AlphaCurrent, Delta, ExpConductance, ExpCurrent, FixedIndegree, FixedOutdegree, FixedProbability,
                       FixedTotalNumber, FromArrays, Normal, OneToOne, PostsynapticModel, PowerLawSTDP, Projection, STDP, Static, TripletSTDP, TsodyksMarkram, Uniform,
                       WeightUpdateModel)
from .network import Network, Population
from .recording import SpikeRecord, StateRecord, SynapseRecord, load
from .signals import Terminated

__all__ = [
    "__version__", "Network", "Population", "Projection", "Model", "Parameter", "StateVariable", "Option", "LIF", "IF",
    "Lapicque", "QuadLIF", "Izhikevich",
    "AdEx", "FitzHughNagumo", "HodgkinHuxley", "HodgkinHuxleyTraub", "ResonateAndFire", "SLIF", "WTAS", "PoissonSource",
    "SpikeSource", "StepCurrent", "CurrentSource", "NoiseCurrent", "OUCurrent", "ACCurrent", "ExpCurrent", "AlphaCurrent", "ExpConductance", "AlphaConductance", "Delta", "PostsynapticModel", "WeightUpdateModel",
    "Static", "STDP", "TripletSTDP", "PowerLawSTDP", "TsodyksMarkram", "AllToAll", "OneToOne", "FixedProbability",
    "FixedIndegree", "FixedOutdegree", "FixedTotalNumber", "FromArrays", "Normal", "Uniform",
    "SpikeRecord", "StateRecord", "SynapseRecord", "load", "Terminated", "backends", "plot",
]


def __getattr__(name: str):
    if name == "plot":  # imported lazily: matplotlib is slow to import
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'fastspike' has no attribute {name!r}")

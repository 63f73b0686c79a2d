"""Cell models: one module per model family, each declaring parameters, state and equations."""
from .adex import AdEx
from .base import Model, Option, Parameter, StateVariable
from .fitzhugh_nagumo import FitzHughNagumo
from .hodgkin_huxley import HodgkinHuxley, HodgkinHuxleyTraub
from .izhikevich import Izhikevich
from .lif import IF, LIF, Lapicque
from .quadlif import QuadLIF
from .resonate_and_fire import ResonateAndFire
from .slif import SLIF
from .sources import PoissonSource, SpikeSource, Source
from .wtas import WTAS

__all__ = ["Model", "Parameter", "StateVariable", "Option", "LIF", "IF", "Lapicque", "QuadLIF", "Izhikevich",
           "AdEx", "FitzHughNagumo", "HodgkinHuxley", "HodgkinHuxleyTraub", "ResonateAndFire", "SLIF", "WTAS", "Source", "PoissonSource",
           "SpikeSource"]

"""Cell models: one module per model family, each declaring parameters, state and equations."""
from .base import Model, Option, Parameter, StateVariable
from .lif import IF, LIF, Lapicque
from .sources import PoissonSource, SpikeSource, Source

__all__ = ["Model", "Parameter", "StateVariable", "Option", "LIF", "IF", "Lapicque", "Source", "PoissonSource", "SpikeSource"]

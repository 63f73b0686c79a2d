"""Records: what a simulation keeps of spikes and state."""
from .memory import SpikeRecord, StateRecord

__all__ = ["SpikeRecord", "StateRecord"]

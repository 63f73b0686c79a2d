"""The engine's runtime: arrays a network's step keeps besides the user's state."""
from .buffers import Buffers

__all__ = ["Buffers"]

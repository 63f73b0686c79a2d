"""Initial state drawn per neuron from counter-based streams: the same values for any split.

``pop.v = fs.Uniform(-70.0, -50.0)`` (or ``fs.Normal(mean, std, low, high)``) draws the value
of neuron i as draw i of a stream keyed by (network seed, population index, variable name).
Unlike ``pop.v[:] = net.rng.uniform(...)``, which draws the whole array from one sequential
generator, any range of neurons can be drawn on its own (a process of a distributed run
draws only its own neurons, in O(range)) and gives the values the whole draw would.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .random import hash_seed
from .synapses import build
from .synapses.distributions import Distribution

__all__ = ["state_key", "draw_state"]

_STATE = 4  # stream label of initial states (1: projections, 2: Poisson sources, 3: Poisson inputs)


def _name_label(name: str) -> int:
    """A stable 64-bit label of a variable name (Python's ``hash`` of a str changes per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def state_key(seed: int | None, population: int, variable: str) -> np.uint64:
    """The stream of initial values of ``variable`` in the population of index ``population``."""
    return hash_seed(seed, _STATE, population, _name_label(variable))


def draw_state(distribution: Distribution, seed: int | None, population: int, variable: str, lo: int, hi: int
               ) -> np.ndarray:
    """Initial values of ``variable`` for neurons ``lo`` to ``hi - 1`` (float64, shape ``(hi - lo,)``).

    Parameters
    ----------
    distribution : fs.Uniform or fs.Normal
        The law of each value (in the variable's unit, e.g. mV).
    seed : int or None
        The network seed.
    population : int
        The population's index in its network.
    variable : str
        The state variable's name.
    lo, hi : int
        The range of neurons (``0 <= lo <= hi``): value i is draw i of the stream, so the
        values of a range do not depend on how the population is split.
    """
    if not isinstance(distribution, Distribution):
        raise TypeError(f"draw_state: expected fs.Uniform or fs.Normal, got {distribution!r}")
    if not 0 <= lo <= hi:
        raise ValueError(f"draw_state: the range lo={lo}, hi={hi} needs 0 <= lo <= hi")
    a, b, low, high = distribution.args
    return build.draw_range(distribution.code, a, b, low, high, state_key(seed, population, variable), int(lo),
                            int(hi))

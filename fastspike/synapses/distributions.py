"""Distributions of per-synapse weights and delays, drawn by compiled code from the seed."""
from __future__ import annotations

import math

__all__ = ["Distribution", "Normal", "Uniform"]


def _number(cls: str, name: str, value, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{cls}: {name}={value!r} must be a finite number")
    return float(value)


class Distribution:
    """Base class: ``code`` selects the compiled sampler, ``args`` its four parameters."""

    code: int
    args: tuple[float, float, float, float]


class Normal(Distribution):
    """Normal distribution, truncated to ``[low, high]`` by redrawing (NEST ``math.redraw``).

    Parameters
    ----------
    mean, std : float
        Mean and standard deviation (``std >= 0``), in the unit of the weight or delay.
    low, high : float or None
        Bounds (None: unbounded). A value outside is drawn again (up to 1000 times, then
        clipped).
    """

    code = 2

    def __init__(self, mean: float, std: float, low: float | None = None, high: float | None = None) -> None:
        self.mean = _number("Normal", "mean", mean)
        self.std = _number("Normal", "std", std)
        if self.std < 0:
            raise ValueError(f"Normal: std={std!r} must be >= 0")
        self.low = _number("Normal", "low", low, True)
        self.high = _number("Normal", "high", high, True)
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        if lo >= hi:
            raise ValueError(f"Normal: low={low!r} must be smaller than high={high!r}")
        self.args = (self.mean, self.std, lo, hi)

    def __repr__(self) -> str:
        return f"Normal(mean={self.mean}, std={self.std}, low={self.low}, high={self.high})"


class Uniform(Distribution):
    """Uniform distribution on ``[low, high)``."""

    code = 1

    def __init__(self, low: float, high: float) -> None:
        self.low = _number("Uniform", "low", low)
        self.high = _number("Uniform", "high", high)
        if self.low > self.high:
            raise ValueError(f"Uniform: low={low!r} must not exceed high={high!r}")
        self.args = (self.low, self.high, 0.0, 0.0)

    def __repr__(self) -> str:
        return f"Uniform(low={self.low}, high={self.high})"

"""Distributions of per-synapse weights and delays, drawn by compiled code from the seed."""
from __future__ import annotations

import math

from .. import validation

__all__ = ["Distribution", "Normal", "Uniform", "check_delay"]

NEGATIVE_WARN = 1e-3
"""A delay distribution with more than this probability of negative values warns (their
delays are raised to one step); one with more than half is refused, as a negative scalar is."""


def _number(cls: str, name: str, value, allow_none: bool = False) -> float | None:
    return validation.number(value, name, cls, none=allow_none)


class Distribution:
    """Base class: ``code`` selects the compiled sampler, ``args`` its four parameters."""

    code: int
    args: tuple[float, float, float, float]

    def mass_below(self, x: float) -> float:
        """The probability that a draw is below ``x`` (the bounds taken into account)."""
        raise NotImplementedError


def _phi(z: float) -> float:
    """The standard normal distribution function."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


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

    def mass_below(self, x: float) -> float:
        mean, std, lo, hi = self.args
        if std == 0.0:
            return float(min(max(mean, lo), hi) < x)
        if x <= lo:
            return 0.0
        if x >= hi:
            return 1.0
        a, b = _phi((lo - mean) / std), _phi((hi - mean) / std)
        if b - a <= 0.0:  # the bounds hold (almost) no mass: draws are clipped to the nearer bound
            return float(abs(lo - mean) < abs(hi - mean) and lo < x)
        return (_phi((x - mean) / std) - a) / (b - a)

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

    def mass_below(self, x: float) -> float:
        if self.high == self.low:
            return float(self.low < x)
        return min(max((x - self.low) / (self.high - self.low), 0.0), 1.0)

    def __repr__(self) -> str:
        return f"Uniform(low={self.low}, high={self.high})"


def check_delay(dist: Distribution, dt: float) -> None:
    """Refuse a delay distribution that lies mostly below 0 ms, as a negative scalar delay is
    refused; warn when some of its mass is negative (those delays are raised to one step, as
    every delay below one step is).

    Raises
    ------
    ValueError
        More than half of the distribution's mass is below 0 ms.
    """
    import warnings

    negative = dist.mass_below(0.0)
    if negative > 0.5:
        raise ValueError(f"connect: delay={dist!r} is not allowed: {negative:.1%} of its values are below 0 ms; "
                         f"delays must be >= 0 ms (they are rounded to steps, at least one step of {dt:g} ms); "
                         f"bound the distribution with low= (e.g. fs.Normal(1.5, 0.75, low={dt:g}))")
    if negative > NEGATIVE_WARN:
        warnings.warn(f"connect: {negative:.1%} of the delays drawn from {dist!r} are below 0 ms; they are raised to "
                      f"one step ({dt:g} ms), as every delay below one step is; pass low={dt:g} to draw them again "
                      f"instead", RuntimeWarning, stacklevel=3)

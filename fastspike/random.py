"""Counter-based random numbers: the same draws on every backend and for any chunking.

A draw is a pure function of ``(key, counter)``: the SplitMix64 output function applied to
``key + counter * golden`` (Steele, Lea & Flood 2014; the finaliser of Vigna's
``splitmix64``). A random stream is a key derived from the network seed and what the
stream is for (one Poisson input, one projection's weights, ...); its draws are indexed by
counters such as ``step * n + neuron``. Nothing is carried from one compiled call to the
next, so results do not depend on how many steps run per call or how neurons are split
between threads, processes or GPU threads.

The functions below are scalar and use only integer arithmetic and ``math``: they compile
with ``numba.njit`` and as ``numba.cuda.jit(device=True)`` functions
(see :func:`fastspike.equations.compile_scalar`).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["mix64", "uniform", "poisson_bits", "poisson_bits_at", "POISSON_STRIDE", "normal", "poisson", "poisson_table", "poisson_thresholds",
           "poisson_from_table", "poisson_dense_entries", "binomial", "hash_seed", "POISSON_TABLE_MAX_MEAN",
           "POISSON_DENSE_TAIL", "MAX_SEED"]

POISSON_TABLE_MAX_MEAN = 10.0
"""Means below this are drawn by inversion (one uniform); larger ones by PTRS."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_SUB = np.uint64(256)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53

POISSON_STRIDE = np.uint64((256 * 0x9E3779B97F4A7C15) & (2**64 - 1))
"""What a Poisson draw's counter is multiplied by before the mix (``_SUB * _GOLDEN``, wrapped
to 64 bits): ``poisson_bits(key, c) == poisson_bits_at(key + c * POISSON_STRIDE)``, so that a
loop over neurons (counters ``c, c + 1, ...``) may add the stride instead of multiplying."""


def mix64(z):
    """SplitMix64's output function: a bijective 64-bit mix (uint64 -> uint64)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def uniform(key, counter):
    """A float64 uniform in [0, 1) from 53 random bits of draw ``counter`` of stream ``key``."""
    z = mix64(key + np.uint64(counter) * _GOLDEN)
    return float(np.int64(z >> _S11)) * _TWO_M53


def poisson_bits(key, counter):
    """The 53 random bits (int64) behind the uniform that ``poisson(lam, key, counter)`` uses
    for small means: ``u = bits * 2**-53``. Comparing the bits with
    ``poisson_thresholds(lam)`` gives the same variate with integer arithmetic only."""
    return np.int64(mix64(key + np.uint64(counter) * _SUB * _GOLDEN) >> _S11)


def poisson_bits_at(position):
    """:func:`poisson_bits` from the draw's position in the stream, ``key + counter *
    POISSON_STRIDE`` (uint64, wrapping)."""
    return np.int64(mix64(position) >> _S11)


def normal(key, counter):
    """A standard normal variate by inversion of draw ``counter`` (one uniform).

    The quantile function is Acklam's rational approximation (relative error below
    1.2e-9): a ratio of polynomials in the central region, a logarithm only in the tails.
    """
    p = (float(np.int64(mix64(key + np.uint64(counter) * _GOLDEN) >> _S11)) + 0.5) * _TWO_M53  # (0, 1)
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        return (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
                  - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00) / \
            ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
              + 3.754408661907416e+00) * q + 1.0)
    if p > 0.97575:
        q = math.sqrt(-2.0 * math.log(1.0 - p))
        return -(((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
                   - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00) / \
            ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
              + 3.754408661907416e+00) * q + 1.0)
    q = p - 0.5
    r = q * q
    return (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
              + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q / \
        (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
           + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1.0)


def poisson(lam, key, counter):
    """A Poisson variate of mean ``lam`` from draw ``counter`` of stream ``key``.

    Uses the sub-draws ``counter * 256 + j``. Inversion by sequential search for
    ``lam < POISSON_TABLE_MAX_MEAN`` (one uniform; :func:`poisson_from_table` gives the same
    numbers faster when the mean is fixed), else Hoermann's PTRS transformed rejection
    (1993), the algorithm NumPy uses, with two uniforms per try.
    """
    base = np.uint64(counter) * _SUB
    if lam <= 0.0:
        return 0
    if lam < 10.0:  # POISSON_TABLE_MAX_MEAN
        u = float(poisson_bits(key, counter)) * _TWO_M53
        p = math.exp(-lam)
        f = p
        k = 0
        while u > f and k < 199:
            k += 1
            p *= lam / k
            g = f + p
            if g == f:  # the tail is below the resolution of f: k is the largest value drawn
                break
            f = g
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    j = np.uint64(0)
    while j < np.uint64(254):  # acceptance is about 0.9 per try: 127 failed tries do not happen
        u = uniform(key, base + j) - 0.5
        v = uniform(key, base + j + np.uint64(1))
        j += np.uint64(2)
        us = 0.5 - abs(u)
        k = int(math.floor((2.0 * a / us + b) * u + lam + 0.43))
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= -lam + k * loglam - math.lgamma(k + 1.0):
            return k
    return int(lam + 0.5)


def binomial(n, p, key, counter):
    """A binomial variate (``n`` trials of probability ``p``) from draw ``counter`` of stream ``key``.

    The variate has a stream of its own, ``mix64(key + counter * golden)``, whose uniforms
    ``0, 1, 2, ...`` it consumes (a rejection method needs a variable number). With
    ``r = min(p, 1 - p)``: inversion by sequential search from 0 when ``n r < 30``, else
    BTPE (Kachitvichyanukul & Schmeiser 1988, the algorithm NumPy uses): a triangle,
    two parallelograms and two exponential tails dominate the distribution, and a
    candidate is accepted by the exact ratio f(y) / f(mode) when it is near the mode, by a
    squeeze, or by Stirling's series of the log factorials. For ``p > 1/2`` it returns
    ``n`` minus the variate of ``1 - p``. Exact in law; cost O(1) on average for any ``n``.
    """
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    sub = mix64(key + np.uint64(counter) * _GOLDEN)
    r = min(p, 1.0 - p)
    q = 1.0 - r
    j = np.uint64(0)
    one = np.uint64(1)
    mean = n * r
    y = 0
    if mean < 30.0:  # inversion: f(0) = q^n, f(x) = f(x - 1) (n - x + 1) r / (x q)
        f0 = math.exp(n * math.log1p(-r))
        bound = min(float(n), mean + 10.0 * math.sqrt(mean * q + 1.0))
        u = uniform(sub, j)
        j += one
        f = f0
        while u > f:
            y += 1
            if y > bound:  # lost to rounding in the far tail: start again
                y = 0
                f = f0
                u = uniform(sub, j)
                j += one
            else:
                u -= f
                f *= (n - y + 1) * r / (y * q)
    else:  # BTPE
        npq = mean * q
        fm = mean + r
        mode = int(math.floor(fm))
        half = math.floor(2.195 * math.sqrt(npq) - 4.6 * q) + 0.5  # half-width of the triangle
        xm = mode + 0.5
        xl = xm - half
        xr = xm + half
        c = 0.134 + 20.5 / (15.3 + mode)
        a = (fm - xl) / (fm - xl * r)
        lam_l = a * (1.0 + 0.5 * a)
        a = (xr - fm) / (xr * q)
        lam_r = a * (1.0 + 0.5 * a)
        p1 = half
        p2 = p1 * (1.0 + 2.0 * c)
        p3 = p2 + c / lam_l
        p4 = p3 + c / lam_r
        while True:
            u = uniform(sub, j) * p4
            v = uniform(sub, j + one)
            j += one + one
            if u <= p1:  # the triangle: accepted at once
                y = int(math.floor(xm - p1 * v + u))
                break
            if u <= p2:  # the parallelograms
                x = xl + (u - p1) / c
                v = v * c + 1.0 - abs(mode - x + 0.5) / p1
                if v > 1.0:
                    continue
                y = int(math.floor(x))
            elif u <= p3:  # the left exponential tail
                if v == 0.0:
                    continue
                y = int(math.floor(xl + math.log(v) / lam_l))
                if y < 0:
                    continue
                v = v * (u - p2) * lam_l
            else:  # the right exponential tail
                if v == 0.0:
                    continue
                y = int(math.floor(xr - math.log(v) / lam_r))
                if y > n:
                    continue
                v = v * (u - p3) * lam_r
            k = abs(y - mode)
            if k <= 20 or k >= npq / 2.0 - 1.0:  # near the mode: f(y) / f(mode) by its recursion
                s = r / q
                g = s * (n + 1)
                ratio = 1.0
                if mode < y:
                    for i in range(mode + 1, y + 1):
                        ratio *= g / i - s
                elif mode > y:
                    for i in range(y + 1, mode + 1):
                        ratio /= g / i - s
                if v <= ratio:
                    break
                continue
            rho = (k / npq) * ((k * (k / 3.0 + 0.625) + 0.16666666666666666) / npq + 0.5)
            t = -k * k / (2.0 * npq)
            log_v = math.log(v)
            if log_v < t - rho:  # squeeze: accepted
                break
            if log_v > t + rho:  # squeeze: rejected
                continue
            x1 = y + 1.0
            f1 = mode + 1.0
            z = n + 1.0 - mode
            w = n - y + 1.0
            # log f(y) / f(mode) by Stirling's series (the published test adds all four
            # corrections; those of y! and (n - y)! are subtracted: checked against lgamma)
            if log_v <= (xm * math.log(f1 / x1) + (n - mode + 0.5) * math.log(z / w)
                         + (y - mode) * math.log(w * r / (x1 * q))
                         + _stirling(f1) + _stirling(z) - _stirling(x1) - _stirling(w)):
                break
    return n - y if p > 0.5 else y


def _stirling(x):
    """The correction of Stirling's series for log Gamma(x): 1/(12 x) - 1/(360 x^3) + 1/(1260 x^5)
    - 1/(1680 x^7) + 1/(1188 x^9)."""
    x2 = x * x
    return (13860.0 - (462.0 - (132.0 - (99.0 - 140.0 / x2) / x2) / x2) / x2) / x / 166320.0


def poisson_from_table(thresholds, key, counter):
    """The variate ``poisson(lam, key, counter)`` for ``lam < POISSON_TABLE_MAX_MEAN``, given
    ``thresholds = poisson_thresholds(lam)``: a branch-free search of the distribution."""
    z = poisson_bits(key, counter)
    k = 0
    for j in range(thresholds.size):
        k += z > thresholds[j]
    return k


def poisson_thresholds(lam: float) -> np.ndarray:
    """``floor(F(k) * 2**53)`` (int64) for the cumulative probabilities F of :func:`poisson_table`:
    ``bits > threshold`` exactly when ``bits * 2**-53 > F(k)`` (bits is an integer < 2**53)."""
    return np.floor(poisson_table(lam) * 2.0**53).astype(np.int64)


POISSON_DENSE_TAIL = 2.0 ** -9
"""The largest fraction of draws a search of :func:`poisson_thresholds` leaves to a sparse pass
(see :func:`poisson_dense_entries`)."""
POISSON_DENSE_MULTIPLE = 4
"""The dense search's length is a multiple of this: a few more compares (vectorized) for
fewer distinct kernels to compile (the microcircuit's 8 populations, whose Poisson means
need 6, 7 or 9 compares, take 8 or 12)."""


def poisson_dense_entries(thresholds: np.ndarray, tail: float = POISSON_DENSE_TAIL) -> int:
    """How many leading entries of ``thresholds`` (from :func:`poisson_thresholds`) a dense
    search compares: the fewest that at most a fraction ``tail`` of the draws
    (``poisson_bits``, uniform on [0, 2**53)) exceed, rounded up to a multiple of
    :data:`POISSON_DENSE_MULTIPLE` (so that populations whose means differ a little compile
    to the same kernel: the count is part of the generated source); at most the table's
    length (then the dense search is the whole search). The draws past them (counts of at
    least that many) are rare and are finished by a sparse pass: the count is the same."""
    size = int(thresholds.size)
    for k in range(1, size + 1):
        if (2.0**53 - 1.0 - float(thresholds[k - 1])) / 2.0**53 <= tail:
            return min(-(-k // POISSON_DENSE_MULTIPLE) * POISSON_DENSE_MULTIPLE, size)
    return size


def poisson_table(lam: float) -> np.ndarray:
    """Cumulative probabilities F(0), F(1), ... as :func:`poisson` computes them (so that
    both give the same variates), up to where its search stops (k = 199, F = 1, or F no longer
    growing in float64)."""
    if not 0.0 <= lam < POISSON_TABLE_MAX_MEAN:
        raise ValueError(f"poisson_table: mean {lam} outside [0, {POISSON_TABLE_MAX_MEAN})")
    if lam == 0.0:
        return np.zeros(0)
    p = math.exp(-lam)
    f = p
    out = [f]
    k = 0
    while k < 198 and f < 1.0:
        k += 1
        p *= lam / k
        g = f + p
        if g == f:  # as poisson(): the search stops where F stops growing
            break
        f = g
        out.append(f)
    return np.array(out, dtype=np.float64)


_MASK = (1 << 64) - 1


def _mix64_int(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


MAX_SEED = (1 << 128) - 1
"""The largest network seed: 128 bits, what ``numpy.random.SeedSequence().entropy`` gives."""


def hash_seed(seed: int | None, *labels: int) -> np.uint64:
    """A stream key from the network seed (0 to :data:`MAX_SEED`) and integer labels (computed
    on the host). Seeds below 2^64 are used as they are; the high 64 bits of a larger seed are
    mixed in, so that ``s`` and ``s + 2**64`` give different streams."""
    if seed is not None and not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"seed={seed!r} must be an integer from 0 to 2**128 - 1")
    z = 0x6A09E667F3BCC909 if seed is None else int(seed) & _MASK
    high = 0 if seed is None else int(seed) >> 64
    if high:
        z = _mix64_int(z ^ _mix64_int((high + 0x3C6EF372FE94F82B) & _MASK))
    for label in labels:
        z = _mix64_int(z ^ _mix64_int((int(label) + 0x9E3779B97F4A7C15) & _MASK))
    return np.uint64(z)

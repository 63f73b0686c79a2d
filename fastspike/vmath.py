"""Deterministic, vectorizable ``exp`` and ``expm1`` for model equations on the CPU.

Numba compiles ``math.exp`` and ``math.expm1`` to calls of the C library's scalar functions:
a neuron loop that calls them cannot be vectorized by LLVM (pip's llvmlite has no SVML, and
Numba does not use glibc's libmvec). The functions here are plain arithmetic (no call, no
table, no branch once compiled: every case is computed and the answer selected), so the loop
vectorizer can run four neurons per AVX2 instruction through them. They are fdlibm's
algorithms (Sun Microsystems, 1993: ``e_exp.c`` and ``s_expm1.c``, error below 1 ulp), with
the argument reduction's integer ``k`` and the scale ``2**k`` built from the bits of doubles
(a two-step scale ``2**k1 * 2**k2`` covers the whole range, subnormal results included,
without a special case):

* ``exp(x)``: ``x = k ln2 + r`` (Cody-Waite: ``ln2`` in two parts, the first with 32 trailing
  zero bits so that ``k * ln2_hi`` is exact), ``exp(r)`` from a degree-10 minimax rational
  form of Remes (fdlibm's ``P1..P5``), then ``2**k``. ``+inf`` above 709.78, ``0`` below
  -745.13 (subnormal between), ``nan`` for ``nan``.
* ``expm1(x)``: the same reduction, fdlibm's ``Q1..Q5`` rational form of ``expm1(r)`` with
  the reduction's rounding error carried as a correction, combined with ``2**k`` without
  cancellation (so it is accurate for small ``|x|``, where ``exp(x) - 1`` is not):
  ``expm1(0) == 0``, ``-1`` below -38.9, ``+inf`` above 709.78.

Measured against mpmath (``tests/test_vmath.py``): at most 1 ulp (see the README for the
measured maximum). The results are the same on every run, thread count and chunking (plain
IEEE arithmetic, compiled without fastmath), though they may differ from the C library's in
the last bit.

float32 arguments are computed in float64 and rounded once to float32, and return float32, as
``math.exp`` does in Numba for a float32. Their float64 work is lighter than fdlibm's, since a
float32 result needs about 1e-9 relative accuracy, not 1e-16: the same reduction, then a
degree-8 Taylor polynomial of ``exp(r)`` (``|r| <= ln2 / 2``: truncation below 5e-10
relative); ``expm1`` is a degree-9 Taylor polynomial for ``|x| < 0.35`` (below 3e-11
relative) and ``exp(x) - 1`` from that ``exp`` above (cancellation at most 3.4x, still below
2e-9 relative). No division, one scale ``2**k`` (a float32 result never needs two): about a
third of the float64 functions' work. Error at most 0.5 ulp of float32 plus 0.03 ulp (in
practice correctly rounded, but for rare halfway cases).

The functions also run as plain Python (where the bit casts go through :mod:`struct`), so a
model's equations give the same values interpreted as compiled.

:data:`math_namespace` is Python's :mod:`math` with ``exp`` and ``expm1`` replaced: model
equations are compiled with it as their ``math`` when a network asks for vector math
(``fs.Network(backend=fs.backends.CPU(vector_math=True))``).
"""
from __future__ import annotations

import math
import struct
import sys
import types

import numpy as np
from llvmlite import ir
from numba import types as nbtypes
from numba.extending import intrinsic, overload, register_jitable

__all__ = ["exp", "expm1", "log", "pow", "math_namespace", "REPLACED"]

# -- constants (fdlibm) ----------------------------------------------------------------------
_LN2_HI = 6.93147180369123816490e-01   # 0x3FE62E42_FEE00000: 32 trailing zero bits
_LN2_LO = 1.90821492927058770002e-10   # ln2 - _LN2_HI
_INV_LN2 = 1.44269504088896338700e+00
_SHIFT = 6755399441055744.0            # 1.5 * 2**52: x + _SHIFT - _SHIFT rounds x to an integer
_SHIFT_BITS = 0x4338000000000000       # the bits of _SHIFT
_EXP_HI = 710.0                        # above 709.782712893384 exp overflows; clamped here
_EXP_LO = -746.0                       # below -745.1332191019412 exp underflows to 0
_EXPM1_LO = -60.0                      # below -56 ln2 = -38.8 expm1 is -1 in double
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08
_Q1 = -3.33333333333331316428e-02
_Q2 = 1.58730158725481460165e-03
_Q3 = -7.93650757867487942473e-05
_Q4 = 4.00821782732936239552e-06
_Q5 = -2.01099218183624371326e-07


_LG1 = 6.666666666666735130e-01        # fdlibm e_log.c: log(1+f) = f - f**2/2 + s (f**2/2 + R(s**2))
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_TWO54 = 18014398509481984.0           # 2**54: scales a subnormal argument to a normal one
_MIN_NORMAL = 2.2250738585072014e-308
_SQRT_HALF_HI = 0x3FE6A09E             # the high word of sqrt(2)/2


# -- bit casts: struct in Python, an LLVM bitcast when compiled ------------------------------
def _bits(x):
    """The IEEE-754 bits of the double ``x``, as an int64."""
    return struct.unpack("<q", struct.pack("<d", x))[0]


def _double(i):
    """The double whose IEEE-754 bits are the int64 ``i``."""
    return struct.unpack("<d", struct.pack("<q", i))[0]


@intrinsic
def _bitcast_f64_i64(typingctx, x):
    if isinstance(x, nbtypes.Float) and x.bitwidth == 64:
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(64))
        return nbtypes.int64(nbtypes.float64), codegen
    return None


@intrinsic
def _bitcast_i64_f64(typingctx, i):
    if isinstance(i, nbtypes.Integer) and i.bitwidth == 64:
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())
        return nbtypes.float64(nbtypes.int64), codegen
    return None


@overload(_bits, inline="always")
def _bits_jit(x):
    if isinstance(x, nbtypes.Float):
        return lambda x: _bitcast_f64_i64(np.float64(x))
    return None


@overload(_double, inline="always")
def _double_jit(i):
    if isinstance(i, nbtypes.Integer):
        return lambda i: _bitcast_i64_f64(np.int64(i))
    return None


# -- the float64 algorithms --------------------------------------------------------------------
@register_jitable(inline="always")
def _nearest_multiple_of_ln2(x):
    """k = round(x / ln2), as a double (exactly) and as an integer, for |x| < 2**51 ln2."""
    t = x * _INV_LN2 + _SHIFT
    return t - _SHIFT, _bits(t) - _SHIFT_BITS


@register_jitable(inline="always")
def _exp64(x):
    xc = x if x < _EXP_HI else _EXP_HI          # nan (all comparisons false) goes to _EXP_HI,
    xc = xc if xc > _EXP_LO else _EXP_LO        # then is given back at the end
    kd, k = _nearest_multiple_of_ln2(xc)        # |k| <= 1077
    hi = xc - kd * _LN2_HI                      # exact
    lo = kd * _LN2_LO
    r = hi - lo                                 # |r| <= 0.35
    s = r * r
    c = r - s * (_P1 + s * (_P2 + s * (_P3 + s * (_P4 + s * _P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)  # exp(r), in [0.7, 1.42]
    k1 = _bits(kd * 0.5 + _SHIFT) - _SHIFT_BITS  # 2**k = 2**k1 * 2**k2, both normal numbers
    k2 = k - k1
    y = y * _double((k1 + 1023) << 52) * _double((k2 + 1023) << 52)  # one rounding at most
    return y if x == x else x + x


@register_jitable(inline="always")
def _expm1_64(x):
    """fdlibm's ``s_expm1.c`` with its cases folded into one product: every case of the
    reduction's ``k`` is ``2**k * inner``, with ``inner`` chosen among three sums before the
    scaling. Bit for bit fdlibm's result for ``-1 <= k <= 56``; for ``k <= -2`` (x below
    -1.04) one rounding instead of fdlibm's two (``(1 - 2**-k) + (r - e)`` instead of ``(1 +
    (r - e)) * 2**k - 1``), for ``k > 56`` the ``- 1`` that cannot change the result is
    dropped. Within 0.84 ulp, as fdlibm's."""
    xc = x if x < _EXP_HI else _EXP_HI
    xc = xc if xc > _EXPM1_LO else _EXPM1_LO
    kd, k = _nearest_multiple_of_ln2(xc)        # -87 <= k <= 1024; k == 0 for |x| < 0.5 ln2
    hi = xc - kd * _LN2_HI
    lo = kd * _LN2_LO
    r = hi - lo
    c = (hi - r) - lo                           # the rounding error of r (0 when k == 0)
    hfx = 0.5 * r
    hxs = r * hfx
    r1 = 1.0 + hxs * (_Q1 + hxs * (_Q2 + hxs * (_Q3 + hxs * (_Q4 + hxs * _Q5))))
    tt = 3.0 - r1 * hfx
    e = hxs * ((r1 - tt) / (6.0 - r * tt))
    e = (r * (e - c) - c) - hxs                 # expm1(r + c) = r - e
    ks = k if k < 1000 else 1000                # keeps 2**-k a valid double for k > 56
    two_mk = _double((1023 - ks) << 52)         # 2**-k
    # expm1(x) = 2**k (1 + (r - e)) - 1 = 2**k ((1 - 2**-k) + (r - e)); 1 - 2**-k is exact
    # for -53 <= k <= 53, and the scaling by 2**k is exact: k == 0 gives r - (r e - hxs),
    # k == -1 0.5 (r - e) - 0.5, 2 <= k < 20 fdlibm's ((1 - 2**-k) - (e - r)) 2**k
    inner = (1.0 - two_mk) + (r - e)
    inner = (r + 0.5) - e if (k == 1) & (r < -0.25) else inner   # r + 0.5 exact: no cancellation
    inner = (r - (e + two_mk)) + 1.0 if k >= 20 else inner       # 2**-k below e's rounding
    k1 = _bits(kd * 0.5 + _SHIFT) - _SHIFT_BITS  # 2**k = 2**k1 * 2**k2, both normal numbers
    k2 = k - k1
    y = inner * _double((k1 + 1023) << 52) * _double((k2 + 1023) << 52)
    y = y if x != 0.0 else x                    # expm1(-0.0) == -0.0
    return y if x == x else x + x


@register_jitable(inline="always")
def _log64(x):
    """fdlibm's ``__ieee754_log`` (``e_log.c``), branch-free: ``x = 2**k (1 + f)`` with ``1 +
    f`` in [sqrt(2)/2, sqrt(2)), ``log(1 + f)`` from ``s = f / (2 + f)`` and a degree-14
    polynomial in ``s`` (Remes), plus ``k ln2`` (in two parts). Below 1 ulp."""
    sub = x < _MIN_NORMAL
    xs = x * _TWO54 if sub else x               # a subnormal scaled to a normal number
    ix = _bits(xs)
    hx = (ix >> 32) + (0x3FF00000 - _SQRT_HALF_HI)   # k counts from sqrt(2)/2, not 1
    k = (hx >> 20) - 0x3FF - (54 if sub else 0)
    hx = (hx & 0x000FFFFF) + _SQRT_HALF_HI
    m = _double((hx << 32) | (ix & 0xFFFFFFFF))    # 1 + f, in [sqrt(2)/2, sqrt(2))
    f = m - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    dk = np.float64(k)
    y = s * (hfsq + (t2 + t1)) + dk * _LN2_LO - hfsq + f + dk * _LN2_HI
    y = y if x < math.inf else x                # log(inf) = inf
    y = y if x != 0.0 else -math.inf            # log(+-0) = -inf
    y = y if x >= 0.0 else math.nan             # log(x < 0) = nan
    return y if x == x else x + x


@register_jitable(inline="always")
def _pow64(x, y):
    """``exp(y log(x))`` for ``x >= 0``, with the special cases of ``x ** y`` there."""
    r = _exp64(y * _log64(x))
    r = r if x != 1.0 else 1.0
    r = r if y != 0.0 else 1.0                  # x ** 0 = 1, nan included
    return r if x == x or y == 0.0 else x + x


# -- the public functions ------------------------------------------------------------------------
_EXP32_HI = 89.0                       # float32 exp overflows above 88.72: inf once rounded
_EXP32_LO = -104.0                     # and is 0 below -103.97 (half the smallest subnormal)
_EXPM1_32_SMALL = 0.35                 # |x| below: expm1's Taylor polynomial; above: exp(x) - 1
_F2, _F3, _F4, _F5, _F6, _F7, _F8, _F9 = (1.0 / math.factorial(n) for n in range(2, 10))  # Taylor: 1 / n!


@register_jitable(inline="always")
def _exp_for32(x):
    """``e**x`` for a float32 result, computed in float64 (error below 5e-10 relative)."""
    xc = x if x < _EXP32_HI else _EXP32_HI
    xc = xc if xc > _EXP32_LO else _EXP32_LO
    kd, k = _nearest_multiple_of_ln2(xc)        # |k| <= 151: 2**k is a normal double
    r = (xc - kd * _LN2_HI) - kd * _LN2_LO      # |r| <= ln2 / 2
    p = 1.0 + r * (1.0 + r * (_F2 + r * (_F3 + r * (_F4 + r * (_F5 + r * (_F6 + r * (_F7 + r * _F8)))))))
    y = p * _double((k + 1023) << 52)
    return y if x == x else x + x


@register_jitable(inline="always")
def _expm1_for32(x):
    """``e**x - 1`` for a float32 result, computed in float64 (error below 2e-9 relative)."""
    small = x * (1.0 + x * (_F2 + x * (_F3 + x * (_F4 + x * (_F5 + x * (_F6 + x * (_F7 + x * (_F8 + x * _F9))))))))
    large = _exp_for32(x) - 1.0
    y = small if abs(x) < _EXPM1_32_SMALL else large
    return y if x == x else x + x


def exp(x):
    """``e**x``, at most 1 ulp from the exact value; deterministic and vectorizable when compiled.

    Parameters
    ----------
    x : float
        Exponent (dimensionless). float64, or float32 (computed in float64, returned as float32).

    Returns
    -------
    float
        ``e**x``: ``+inf`` above 709.78, ``0`` below -745.13, subnormal between, ``nan`` for nan.
    """
    if isinstance(x, np.float32):
        return np.float32(_exp_for32(float(x)))
    return _exp64(float(x))


def expm1(x):
    """``e**x - 1``, at most 1 ulp from the exact value (also for small ``|x|``, where
    ``exp(x) - 1`` cancels); deterministic and vectorizable when compiled.

    Parameters
    ----------
    x : float
        Exponent (dimensionless). float64, or float32 (computed in float64, returned as float32).

    Returns
    -------
    float
        ``e**x - 1``: ``x`` for tiny ``x`` (``-0.0`` for ``-0.0``), ``-1`` below -38.9,
        ``+inf`` above 709.78, ``nan`` for nan.
    """
    if isinstance(x, np.float32):
        return np.float32(_expm1_for32(float(x)))
    return _expm1_64(float(x))


def log(x):
    """The natural logarithm, at most 1 ulp from the exact value; deterministic and
    vectorizable when compiled.

    Parameters
    ----------
    x : float
        Argument (dimensionless). float64, or float32 (computed in float64, returned as float32).

    Returns
    -------
    float
        ``ln x``: ``-inf`` for 0, ``+inf`` for ``+inf``, ``nan`` for negative ``x`` and nan.
    """
    if isinstance(x, np.float32):
        return np.float32(_log64(float(x)))
    return _log64(float(x))


def pow(x, y):
    """``x ** y`` for ``x >= 0`` as ``exp(y ln x)``: deterministic and vectorizable when
    compiled. The error is at most ``2 |y ln x| + 2`` ulp (the rounding of ``ln x`` grows with
    the exponent ``y ln x``): a few ulp for weights of 1-1000 and exponents below 1 (the
    power-law STDP of NEST's HPC benchmark), up to about 1400 ulp where the result is near the
    ends of the float64 range; the C library's ``pow`` is within 1 ulp.

    Parameters
    ----------
    x : float
        Base, ``>= 0`` (a negative base gives nan, also for integer ``y``).
    y : float
        Exponent.

    Returns
    -------
    float
        ``x ** y``: ``1`` for ``y == 0`` or ``x == 1``, ``0`` for ``x == 0`` and ``y > 0``,
        ``+inf`` for ``x == 0`` and ``y < 0``.
    """
    if isinstance(x, np.float32):
        return np.float32(_pow64(float(x), float(y)))
    return _pow64(float(x), float(y))


def _register_unary(fn, for32, for64) -> None:
    """Compile ``fn(x)`` in nopython code as ``for64`` of a float64 ``x`` (an integer is made
    float64), and as ``for32`` computed in float64 and rounded once to float32 for a float32
    ``x``, inlined with Numba's numpy error model (no branch that raises)."""

    @overload(fn, jit_options={"error_model": "numpy", "forceinline": True})
    def _typed(x):
        if isinstance(x, nbtypes.Float) and x.bitwidth == 32:
            return lambda x: np.float32(for32(np.float64(x)))
        if isinstance(x, (nbtypes.Float, nbtypes.Integer)):
            return lambda x: for64(np.float64(x))
        return None


_register_unary(exp, _exp_for32, _exp64)
_register_unary(expm1, _expm1_for32, _expm1_64)
_register_unary(log, _log64, _log64)


@overload(pow, jit_options={"error_model": "numpy", "forceinline": True})
def _pow_jit(x, y):
    if isinstance(x, nbtypes.Float) and x.bitwidth == 32:
        return lambda x, y: np.float32(_pow64(np.float64(x), np.float64(y)))
    if isinstance(x, (nbtypes.Float, nbtypes.Integer)):
        return lambda x, y: _pow64(np.float64(x), np.float64(y))
    return None


REPLACED = ("exp", "expm1", "log", "pow")
"""The functions of :mod:`math` that vector math replaces by this module's, of the same names."""


def _namespace() -> types.ModuleType:
    """Python's :mod:`math`, with this module's :data:`REPLACED` functions."""
    name = f"{__name__}.math_namespace"
    module = sys.modules.get(name)
    if module is None:
        module = types.ModuleType(name, f"math, with fastspike.vmath's {', '.join(REPLACED)}")
        module.__dict__.update({k: v for k, v in math.__dict__.items() if not k.startswith("__")})
        module.__dict__.update({f: globals()[f] for f in REPLACED})
        sys.modules[name] = module
    return module


math_namespace = _namespace()
""":mod:`math` with :func:`exp`, :func:`expm1`, :func:`log` and :func:`pow` in place of the C library's."""

"""fastspike.vmath.log within 1 ulp of the exact value (np.longdouble and mpmath references),
vmath.pow within the error its docstring states, their special values, the same values
interpreted and compiled, and equations calling math.log and math.pow under vector math."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
from numba import njit

from fastspike import vmath
from test_vmath import LONG, ulp_errors


@njit(error_model="numpy", cache=True)
def _log_loop(x, out):
    for i in range(x.size):
        out[i] = vmath.log(x[i])


@njit(error_model="numpy", cache=True)
def _pow_loop(x, y, out):
    for i in range(x.size):
        out[i] = vmath.pow(x[i], y[i])


def log_points(rng: np.random.Generator) -> np.ndarray:
    """The whole positive range (subnormals included), near 1 (where log cancels) and around
    the reduction's switch at sqrt(2)/2 times powers of two."""
    switch = (math.sqrt(0.5) * 2.0 ** np.arange(-1000, 1000))[:, None] * (1 + rng.uniform(-1e-6, 1e-6, (1, 20)))
    return np.concatenate([10.0 ** rng.uniform(-323, 308, 400_000), rng.uniform(0.5, 2.0, 300_000),
                           1.0 + rng.uniform(-1e-6, 1e-6, 100_000), switch.ravel()])


@pytest.mark.skipif(not LONG, reason="np.longdouble is not wider than a double here")
def test_log_within_one_ulp_of_longdouble():
    x = log_points(np.random.default_rng(11))
    y = np.empty_like(x)
    _log_loop(x, y)
    errors = ulp_errors(y, np.log(x.astype(np.longdouble)))
    worst = float(errors.max())
    print(f"vmath.log: max {worst:.4f} ulp over {x.size} points (vs long double)")
    assert worst <= 1.0, (worst, x[np.argmax(errors)])


def test_log_within_one_ulp_of_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    x = log_points(np.random.default_rng(12))[::200]
    y = np.empty_like(x)
    _log_loop(x, y)
    worst = 0.0
    for xi, yi in zip(x.tolist(), y.tolist()):
        exact = mpmath.log(mpmath.mpf(xi))
        nearest = float(exact)
        spacing = math.ulp(nearest) if nearest != 0.0 else math.ulp(0.0)
        worst = max(worst, float(abs(mpmath.mpf(yi) - exact) / spacing))
    print(f"vmath.log: max {worst:.4f} ulp over {x.size} points (vs mpmath)")
    assert worst <= 1.0


def test_pow_within_its_stated_error_of_mpmath():
    """2 |y ln x| + 2 ulp (the docstring's bound), against mpmath, over weights and exponents
    of plasticity rules and over the whole range of results."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    rng = np.random.default_rng(13)
    x = np.concatenate([rng.uniform(0.0, 1000.0, 3000), 10.0 ** rng.uniform(-300, 300, 3000)])
    y = np.concatenate([rng.uniform(-2.0, 2.0, 3000), rng.uniform(-1.0, 1.0, 3000)])
    out = np.empty_like(x)
    _pow_loop(x, y, out)
    for xi, yi, ri in zip(x.tolist(), y.tolist(), out.tolist()):
        exact = mpmath.power(mpmath.mpf(xi), mpmath.mpf(yi))
        ulps = float(abs(mpmath.mpf(ri) - exact) / math.ulp(float(exact)))
        assert ulps <= 2.0 * abs(yi * math.log(xi)) + 2.0, (xi, yi, ri, ulps)


def test_special_values():
    x = np.array([0.0, -0.0, -1.0, math.inf, math.nan, 1.0, 5e-324, 0.5, 2.0])
    y = np.empty_like(x)
    _log_loop(x, y)
    assert y[0] == -math.inf and y[1] == -math.inf and math.isnan(y[2]) and y[3] == math.inf
    assert math.isnan(y[4]) and y[5] == 0.0
    assert y[6] == math.log(5e-324) and y[7] == -math.log(2.0) and y[8] == math.log(2.0)
    cases = [(0.0, 0.4, 0.0), (0.0, -1.0, math.inf), (2.0, 0.0, 1.0), (math.nan, 0.0, 1.0), (1.0, math.nan, 1.0),
             (4.0, 0.5, 2.0), (8.0, 1.0 / 3.0, 2.0), (math.inf, 0.5, math.inf)]
    xs, ys = np.array([c[0] for c in cases]), np.array([c[1] for c in cases])
    out = np.empty_like(xs)
    _pow_loop(xs, ys, out)
    for (a, b, expected), got in zip(cases, out.tolist()):
        assert got == pytest.approx(expected, rel=4e-16), (a, b, got)
    bad = np.empty(2)
    _pow_loop(np.array([-1.0, math.nan]), np.array([2.0, 1.0]), bad)
    assert math.isnan(bad[0]) and math.isnan(bad[1])  # negative bases are outside its domain


def test_interpreted_equals_compiled():
    rng = np.random.default_rng(14)
    x = 10.0 ** rng.uniform(-300, 300, 2000)
    e = rng.uniform(-2.0, 2.0, 2000)
    y, p = np.empty_like(x), np.empty_like(x)
    _log_loop(x, y)
    _pow_loop(x, e, p)
    assert [vmath.log(v) for v in x.tolist()] == y.tolist()
    assert [vmath.pow(a, b) for a, b in zip(x.tolist(), e.tolist())] == p.tolist()
    assert isinstance(vmath.log(np.float32(2.0)), np.float32)
    assert vmath.log(np.float32(2.0)) == np.float32(math.log(2.0))
    assert vmath.math_namespace.log is vmath.log and vmath.math_namespace.pow is vmath.pow


def test_vector_math_equations_call_vmath_log_and_pow_and_vectorize():
    """An equation calling math.log and math.pow, compiled with vector_math: no call of the C
    library's functions, a vectorized loop, and vmath's values."""
    from fastspike.backends.cpu.compiler import jit_function

    def power_law(w, mu):
        return math.pow(w, mu) + math.log(w)

    f = jit_function(power_law, np.float64, vector_math=True)

    @njit(error_model="numpy")
    def loop(w, out, mu):
        for i in range(w.size):
            out[i] = f(w[i], mu)

    w = np.linspace(0.5, 500.0, 1001)
    out = np.empty_like(w)
    loop(w, out, 0.4)
    assert out.tolist() == [vmath.pow(x, 0.4) + vmath.log(x) for x in w.tolist()]
    llvm = loop.inspect_llvm(loop.signatures[0])
    assert re.search(r"call [^\n]*@(llvm\.)?(log|pow)(\.f64)?\(", llvm) is None  # no libm call
    assert "x double>" in llvm  # a vector of doubles: the loop vectorized

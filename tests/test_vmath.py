"""fastspike.vmath: exp and expm1 within 1 ulp of the exact value, their special values, and
their use by vector-math networks (fs.backends.CPU(vector_math=True)).

References: np.longdouble (x87 80-bit on x86-64: 11 more bits than a double, its exp and
expm1 within about 2**-10 ulp of a double) on millions of points, and mpmath (50 digits) on
a sample and at the edges. Errors are measured in ulps of the exact result's double
(np.spacing; for subnormal results the spacing of subnormals).
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
from numba import njit, types

from fastspike import vmath

LONG = np.finfo(np.longdouble).nmant >= 63
EXP_MAX = 709.782712893384        # the largest double whose exp is finite
EXP_ZERO = -745.1332191019412     # below (about) this exp rounds to 0
DMAX = np.longdouble(np.finfo(np.float64).max)


@njit(error_model="numpy", cache=True)
def _exp_loop(x, out):
    for i in range(x.size):
        out[i] = vmath.exp(x[i])


@njit(error_model="numpy", cache=True)
def _expm1_loop(x, out):
    for i in range(x.size):
        out[i] = vmath.expm1(x[i])


def compiled(fn, x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    (_exp_loop if fn == "exp" else _expm1_loop)(x, out)
    return out


def ulp_errors(y: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|y - exact| in ulps of the double nearest ``exact`` (a longdouble or mpf array)."""
    exact = np.asarray(exact, dtype=np.longdouble)
    nearest = exact.astype(np.float64)
    spacing = np.spacing(np.abs(nearest)).astype(np.longdouble)  # 2**-1074 for subnormals
    return np.abs(y.astype(np.longdouble) - exact) / spacing


def points(rng: np.random.Generator) -> np.ndarray:
    """About three million arguments: the whole finite range, small and tiny magnitudes of both
    signs, the neighbourhoods of multiples of ln2 / 2 (where the reduction's k changes), and
    the overflow and underflow edges (subnormal results included)."""
    parts = [
        rng.uniform(EXP_ZERO, EXP_MAX, 1_000_000),
        rng.uniform(-40.0, 40.0, 500_000),
        rng.uniform(-1.0, 1.0, 500_000),
        np.concatenate([s * 10.0 ** rng.uniform(-320, 0, 200_000) for s in (1.0, -1.0)]),
        (np.arange(-2150, 2050) * (math.log(2) / 2))[:, None] * (1 + rng.uniform(-1e-6, 1e-6, (1, 50))),
        rng.uniform(EXP_MAX - 1.0, EXP_MAX, 100_000),
        rng.uniform(EXP_ZERO, -708.0, 200_000),   # subnormal results
    ]
    return np.concatenate([p.ravel() for p in parts])


@pytest.fixture(scope="module")
def xs() -> np.ndarray:
    return points(np.random.default_rng(20240615))


@pytest.mark.skipif(not LONG, reason="np.longdouble is not wider than a double here")
@pytest.mark.parametrize("fn", ["exp", "expm1"])
def test_within_one_ulp_of_longdouble(fn, xs):
    x = xs[xs < EXP_MAX]
    y = compiled(fn, x)
    exact = (np.exp if fn == "exp" else np.expm1)(x.astype(np.longdouble))
    errors = ulp_errors(y, exact)
    worst = float(errors.max())
    print(f"vmath.{fn}: max {worst:.4f} ulp over {x.size} points (vs long double); "
          f"{np.mean(errors > 0.5):.2%} not correctly rounded")
    assert worst <= 1.0, (fn, worst, x[np.argmax(errors)])


@pytest.mark.parametrize("fn", ["exp", "expm1"])
def test_within_one_ulp_of_mpmath(fn):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(EXP_ZERO, EXP_MAX, 3000), rng.uniform(-2.0, 2.0, 3000),
                        10.0 ** rng.uniform(-300, 0, 1000), -(10.0 ** rng.uniform(-300, 0, 1000)),
                        rng.uniform(EXP_ZERO, -708.0, 1000)])
    y = compiled(fn, x)
    ref = mpmath.exp if fn == "exp" else mpmath.expm1
    worst = 0.0
    for xi, yi in zip(x.tolist(), y.tolist()):
        exact = ref(mpmath.mpf(xi))
        nearest = float(exact)
        spacing = math.ulp(nearest) if nearest != 0.0 else math.ulp(0.0)
        worst = max(worst, float(abs(mpmath.mpf(yi) - exact) / spacing))
    print(f"vmath.{fn}: max {worst:.4f} ulp over {x.size} points (vs mpmath)")
    assert worst <= 1.0


@pytest.mark.parametrize("fn", ["exp", "expm1"])
def test_within_one_ulp_of_the_c_library(fn, xs):
    """Both within 1 ulp of the exact value: at most 1 ulp apart where the C library is
    correctly rounded (glibc's exp and expm1 are, to within a small fraction of an ulp)."""
    x = xs[(xs < EXP_MAX) & (xs > -708.0)]  # normal results: a spacing to measure in
    y = compiled(fn, x)
    ref = np.array([(math.exp if fn == "exp" else math.expm1)(v) for v in x[::7].tolist()])
    diff = np.abs(y[::7] - ref) / np.spacing(np.abs(ref))
    assert diff.max() <= 1.0


def test_exact_values():
    x = np.array([0.0, -0.0, 1e-320, -1e-320, 5e-324])
    assert compiled("exp", x).tolist() == [1.0, 1.0, 1.0, 1.0, 1.0]
    m = compiled("expm1", x)
    assert m.tolist() == x.tolist()                      # expm1(x) == x for |x| this small
    assert math.copysign(1.0, m[1]) == -1.0              # expm1(-0.0) is -0.0
    assert vmath.exp(0.0) == 1.0 and vmath.expm1(0.0) == 0.0  # interpreted, too


def test_special_values():
    inf, nan = math.inf, math.nan
    x = np.array([inf, -inf, nan, EXP_MAX, np.nextafter(EXP_MAX, inf), 710.0, 1e300, -746.0, -1e300,
                  -38.0, -40.0, -1000.0])
    e = compiled("exp", x)
    m = compiled("expm1", x)
    assert e[0] == inf and e[1] == 0.0 and np.isnan(e[2])
    assert np.isfinite(e[3]) and e[3] == np.exp(EXP_MAX)
    assert e[4] == inf and e[5] == inf and e[6] == inf
    assert e[7] == 0.0 and e[8] == 0.0
    assert m[0] == inf and m[1] == -1.0 and np.isnan(m[2])
    assert np.isfinite(m[3]) and m[4] == inf and m[5] == inf and m[6] == inf
    assert m[7] == -1.0 and m[8] == -1.0 and m[10] == -1.0 and m[11] == -1.0
    assert m[9] == math.expm1(-38.0)
    # subnormal results and the last one before 0, against numpy's exp (correctly rounded there)
    sub = np.array([-708.5, -720.0, -740.0, -744.4, -745.0, -745.13])
    assert np.array_equal(compiled("exp", sub) > 0, np.exp(sub) > 0)
    assert np.all(np.abs(compiled("exp", sub) - np.exp(sub)) <= 5e-324)


@pytest.mark.parametrize("fn", ["exp", "expm1"])
def test_monotone_on_a_dense_grid(fn):
    grids = [np.linspace(-745.2, 709.78, 2_000_001), np.linspace(-1.0, 1.0, 2_000_001),
             np.linspace(-1e-8, 1e-8, 200_001)]
    # consecutive doubles around points where the reduction changes k (and 0)
    for c in (0.0, math.log(2) / 2, -math.log(2) / 2, 1.5 * math.log(2), -1.5 * math.log(2), 20 * math.log(2),
              56.5 * math.log(2)):
        grids.append(c + np.arange(-5000, 5000) * np.spacing(max(abs(c), 1e-300)))
    for g in grids:
        y = compiled(fn, g)
        assert np.all(np.diff(y) >= 0.0), fn


def test_interpreted_equals_compiled():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-745.2, 709.8, 2000), rng.uniform(-1, 1, 2000), [0.0, -0.0, math.inf, -math.inf]])
    for fn in ("exp", "expm1"):
        y = compiled(fn, x)
        py = np.array([getattr(vmath, fn)(v) for v in x.tolist()])
        assert np.array_equal(py, y), fn
    assert math.isnan(vmath.exp(math.nan)) and math.isnan(vmath.expm1(math.nan))


def test_float32():
    @njit(error_model="numpy")
    def loop32(x, out_e, out_m):
        for i in range(x.size):
            out_e[i] = vmath.exp(x[i])
            out_m[i] = vmath.expm1(x[i])

    @njit
    def kinds(x):
        return vmath.exp(x), vmath.expm1(x)

    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-103.0, 88.7, 1_000_000), rng.uniform(-1, 1, 200_000),
                        10.0 ** rng.uniform(-40, 0, 100_000)]).astype(np.float32)
    e, m = np.empty_like(x), np.empty_like(x)
    loop32(x, e, m)
    for y, ref in ((e, np.exp), (m, np.expm1)):
        exact = ref(x.astype(np.float64 if not LONG else np.longdouble))
        spacing = np.spacing(np.abs(exact.astype(np.float32))).astype(exact.dtype)
        errors = np.abs(y.astype(exact.dtype) - exact) / spacing
        assert errors.max() <= 0.53  # rounded once from a float64 value within 2e-9 relative: 0.5 ulp + 0.03
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 88.72283, 88.7229, -103.97, -104.0, 1e-30, -1e-30],
                       np.float32)
    e, m = np.empty_like(special), np.empty_like(special)
    loop32(special, e, m)
    assert e.tolist()[:4] == [1.0, 1.0, math.inf, 0.0] and m.tolist()[:4] == [0.0, 0.0, math.inf, -1.0]
    assert np.signbit(m[1]) and math.isnan(e[4]) and math.isnan(m[4])
    assert e[5] == np.float32(3.402798519021476e+38) and e[6] == math.inf  # the largest finite result, then inf
    assert e[7] == np.float32(1.401298464324817e-45) and e[8] == 0.0  # the smallest subnormal, then 0
    assert m[9] == special[9] and m[10] == special[10] and m[8] == -1.0  # expm1(x) == x for tiny x
    kinds(np.float32(0.5))
    assert kinds.overloads[kinds.signatures[0]].signature.return_type == types.UniTuple(types.float32, 2)
    assert isinstance(vmath.exp(np.float32(0.5)), np.float32)


def test_vector_math_compiles_equations_with_vmath_and_vectorizes():
    """An equation calling math.exp, compiled with vector_math: its loop is vectorized (AVX2
    or wider: <4 x double>) and its values within 1 ulp of the exact exponential."""
    from fastspike.backends.cpu.compiler import jit_function

    def decay(v, tau):
        return v * math.exp(-1.0 / tau) + math.expm1(v / tau)

    f = jit_function(decay, np.float64, vector_math=True)

    @njit(error_model="numpy")
    def loop(v, out, tau):
        for i in range(v.size):
            out[i] = f(v[i], tau)

    v = np.linspace(-5.0, 5.0, 1001)
    out = np.empty_like(v)
    loop(v, out, 7.0)
    exact = v * np.exp(np.float64(-1.0 / 7.0)) + np.expm1(v / 7.0)
    assert np.allclose(out, exact, rtol=4e-16, atol=1e-300)
    llvm = loop.inspect_llvm(loop.signatures[0])
    assert "llvm.exp." not in llvm and re.search(r"call [^\n]*@(exp|expm1)\(", llvm) is None  # no libm call
    assert "x double>" in llvm  # a vector of doubles: the loop vectorized


def _traub_network(threads: int, vector_math: bool):
    """Traub-Miles cells (exponential Euler) and AdEx cells (RK2, exp in their equation) with
    conductances from Poisson sources, recurrent projections and Poisson inputs."""
    import fastspike as fs

    net = fs.Network(dt=0.1, seed=9, threads=threads, backend=fs.backends.CPU(vector_math=vector_math))
    ps = net.population(fs.PoissonSource(rate=150.0), n=19, name="ps")
    hh = net.population(fs.HodgkinHuxleyTraub(), n=13, name="hh")
    ad = net.population(fs.AdEx.preset("adapting"), n=11, name="ad", integrator="rk2")
    hh.v = net.rng.uniform(-65.0, -55.0, hh.n)
    net.connect(ps, hh, fs.FixedProbability(0.4), synapse=fs.ExpConductance(5.0, 0.0), weight=6.0,
                delay=fs.Uniform(0.1, 1.0))
    net.connect(hh, hh, fs.FixedProbability(0.3), synapse=fs.ExpConductance(10.0, -80.0), weight=20.0, delay=0.5)
    net.poisson_input(hh, 20, 30.0, 3.0, fs.ExpConductance(5.0, 0.0))
    net.current(ad, 500.0)
    net.connect(hh, ad, fs.FixedProbability(0.3), synapse=fs.ExpConductance(5.0, 0.0), weight=4.0, delay=0.3)
    recs = [net.record(p, "spikes") for p in (hh, ad)]
    return net, (hh, ad), recs


def test_vector_math_network_same_spikes_for_threads_and_chunks_and_close_to_libm():
    """Vector math is deterministic: 1 thread in one run and 2 threads in two chunks give the
    same spikes and states; and its spikes are those of the C library's exp to within a
    step (the results differ at most in the last bits)."""
    runs = {}
    for threads, vector_math, chunks in ((1, True, (25.0,)), (2, True, (15.0, 10.0)), (1, False, (25.0,))):
        net, pops, recs = _traub_network(threads, vector_math)
        for span in chunks:
            net.run(span, progress=False)
        runs[threads, vector_math] = (pops, recs)
    (p1, r1), (p3, r3), (pl, rl) = runs[1, True], runs[2, True], runs[1, False]
    for x, y in zip(r1, r3):
        np.testing.assert_array_equal(x.steps, y.steps)
        np.testing.assert_array_equal(x.neurons, y.neurons)
    for x, y in zip(p1, p3):
        for v in x.state_names:
            np.testing.assert_array_equal(getattr(x, v), getattr(y, v))
    assert all(len(r) > 5 for r in r1), [len(r) for r in r1]
    for x, y in zip(r1, rl):
        assert len(x) == len(y)
        np.testing.assert_array_equal(x.neurons, y.neurons)
        assert np.max(np.abs(x.steps - y.steps)) <= 1
    for x, y in zip(p1, pl):
        np.testing.assert_allclose(x.v, y.v, rtol=1e-9, atol=1e-9)


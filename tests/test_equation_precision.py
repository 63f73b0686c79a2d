"""Model equations compile in the network's precision: float literals become float32 in a
float32 network (no silent promotion to float64), unless float32 cannot represent them."""
from __future__ import annotations

import numba
import numpy as np
from numba import njit

from fastspike.equations import _single, compile_scalar
from fastspike.models.izhikevich import izhikevich_dynamics


def tiny_guard(x):
    return x + 1e-50 if x >= 0.0 else x - 0.5


def test_float32_literals_keep_float32_arithmetic():
    x = np.float32(-60.0)
    single = compile_scalar(izhikevich_dynamics, njit, dtype=np.float32)
    double = compile_scalar(izhikevich_dynamics, njit)
    args = (x, np.float32(-12.0), np.float32(10.0), np.float32(0.02), np.float32(0.2), np.float32(1.0),
            np.float32(30.0))
    dv32, du32 = single(*args)
    dv64, du64 = double(*args)
    # the signatures of these float32 arguments (a dispatcher may already hold others, compiled
    # by earlier tests in the same process)
    sig32 = next(s for s in single.nopython_signatures if s.args == tuple(numba.typeof(a) for a in args))
    sig64 = next(s for s in double.nopython_signatures if s.args == tuple(numba.typeof(a) for a in args))
    assert str(sig32.return_type) == "UniTuple(float32 x 2)", sig32
    assert str(sig64.return_type).startswith("Tuple(float64"), sig64  # 0.04 * v promotes dv without the cast
    # the same value to float32 rounding: 0.04 v^2 + 5 v + 140 - u + R I
    expected = 0.04 * 3600.0 - 300.0 + 140.0 + 12.0 + 10.0
    assert abs(dv32 - expected) <= 1e-4 * abs(expected) and abs(dv64 - expected) <= 1e-9 * abs(expected)


def test_literals_float32_cannot_hold_are_left_alone():
    assert type(_single(1e-50)) is float and type(_single(1e300)) is float
    assert _single(0.04) == np.float32(0.04) and type(_single(0.04)) is np.float32
    assert type(_single(float("inf"))) is np.float32 and _single(3) == 3 and _single("a") == "a"
    f = compile_scalar(tiny_guard, njit, dtype=np.float32)
    assert f(np.float32(0.0)) == 1e-50  # not rounded to 0: kept in float64

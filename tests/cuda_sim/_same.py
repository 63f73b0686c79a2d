"""Comparing GPU results with the CPU's: bit for bit under the simulator (it evaluates the
kernels with NumPy in the CPU's order); on a real GPU the compiler contracts a * b + c into
fused multiply-adds, so sampled values agree to rounding (spikes must still be identical)."""
from __future__ import annotations

import numba
import numpy as np


def assert_same_values(cpu, gpu) -> None:
    cpu, gpu = np.asarray(cpu), np.asarray(gpu)
    if numba.config.ENABLE_CUDASIM:
        np.testing.assert_array_equal(cpu, gpu)
    else:
        rtol = 1e-4 if cpu.dtype == np.float32 else 1e-9
        np.testing.assert_allclose(gpu, cpu, rtol=rtol, atol=rtol * max(1.0, float(np.max(np.abs(cpu), initial=0))))

"""Run each model's equations as CUDA device functions under Numba's CUDA simulator.

Executed by tests/test_cuda_device_functions.py in its own process, because
NUMBA_ENABLE_CUDASIM must be set before numba is first imported. Prints one line per
checked equation and exits non-zero on the first mismatch with the plain Python result.
"""
import os
import sys

os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import math  # noqa: E402

import numpy as np  # noqa: E402
from numba import cuda  # noqa: E402

import fastspike as fs  # noqa: E402
from fastspike.equations import argument_kinds, equations_of  # noqa: E402
from fastspike.models.base import equation_arguments  # noqa: E402

assert cuda.simulator_enabled if hasattr(cuda, "simulator_enabled") else True


def arguments(model, fn):
    """Plausible argument values: state near rest, parameters as given, I = 2, dt = 0.1."""
    state = {"v": model.params.get("v_rest", -65.0) + 3.0, "theta": 0.5}
    out = []
    for a, kind in zip(equation_arguments(fn), argument_kinds(model, fn)):
        if kind == "state":
            out.append(float(state.get(a, 0.1)))
        elif kind == "param":
            value = float(np.ravel(model.params[a])[0])
            out.append(value if math.isfinite(value) else (1e9 if value > 0 else -1e9))
        elif kind == "option":
            out.append(model.option_code(a))
        elif kind == "input":
            out.append(2.0)
        else:
            out.append(0.1)
    return tuple(out)


def run_on_device(fn, args):
    device_fn = cuda.jit(device=True)(fn)
    result = fn(*args)
    width = len(result) if isinstance(result, tuple) else 1
    out = np.zeros(width)
    # a kernel per arity: the simulator runs Python, so *args is fine here
    @cuda.jit
    def kernel(out, args):
        r = device_fn(*args)
        if width == 1:
            out[0] = r
        else:
            for k in range(width):
                out[k] = r[k]

    kernel[1, 1](out, args)
    return np.atleast_1d(np.asarray(result, dtype=np.float64)), out


models = [fs.LIF(tau_m=10.0, tau_theta=50.0, theta_plus=0.1, v_min=-80.0), fs.LIF(tau_m=10.0, reset="subtract"),
          fs.IF(tau_m=10.0), fs.Lapicque(R=5.0, C=1.0),
          # the model zoo
          fs.QuadLIF(tau_m=10.0, v_min=-80.0), fs.Izhikevich.preset("RS"), fs.AdEx.preset("tonic", t_ref=1.0),
          fs.FitzHughNagumo(reset="value"), fs.FitzHughNagumo(), fs.HodgkinHuxley(), fs.ResonateAndFire(),
          fs.SLIF(tau_m=10.0, v_thresh=1.0, thr_gain=0.1, thr_leak=0.01), fs.SLIF(tau_m=10.0, v_thresh=1.0, rho_b=0.01),
          fs.WTAS(tau_m=1.0, n_units=8)]
failures = 0
for model in models:
    for key, fn in equations_of(model).items():
        expected, got = run_on_device(fn, arguments(model, fn))
        ok = np.allclose(expected, got, rtol=1e-12, atol=0)
        failures += not ok
        print(f"{model.name}.{key}: {'ok' if ok else f'MISMATCH {expected} != {got}'}")
from fastspike import integrators  # noqa: E402

for fn, args in [(integrators.propagator_exp, (-0.1, 0.1)), (integrators.propagator_phi, (-0.1, 0.1)),
                 (integrators.propagator_phi, (0.0, 0.1)), (integrators.propagator_syn, (-0.1, 5.0, 0.1)),
                 (integrators.propagator_syn, (-0.2, 5.0, 0.1))]:
    expected, got = run_on_device(fn, args)
    ok = np.allclose(expected, got, rtol=1e-12, atol=0)
    failures += not ok
    print(f"{fn.__name__}{args}: {'ok' if ok else f'MISMATCH {expected} != {got}'}")
sys.exit(1 if failures else 0)

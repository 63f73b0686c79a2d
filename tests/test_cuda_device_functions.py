"""Every model's equations compile as CUDA device functions (one source of truth).

Two checks, both without a GPU:
- real PTX compilation of each equation with ``numba.cuda.compile_ptx(device=True)`` for a
  fixed compute capability, in float32 and float64 (needs the NVVM/NVRTC wheels of the
  ``test`` extra, ``numba-cuda[cu12]``);
- execution inside a kernel under Numba's CUDA simulator, compared with plain Python, in a
  separate process (``NUMBA_ENABLE_CUDASIM`` must be set before numba is imported).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from numba import types

import fastspike as fs
from fastspike import integrators
from fastspike.equations import argument_kinds, equations_of

MODELS = [fs.LIF(tau_m=10.0, tau_theta=50.0, theta_plus=0.1, v_min=-80.0), fs.IF(tau_m=10.0),
          fs.Lapicque(R=5.0, C=1.0)]


def _signature(model, fn, real):
    return tuple(types.int64 if kind == "option" else real for kind in argument_kinds(model, fn))


@pytest.mark.parametrize("real", [types.float32, types.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_equations_compile_to_ptx(model, real):
    from numba import cuda

    for key, fn in equations_of(model).items():
        ptx, restype = cuda.compile_ptx(fn, _signature(model, fn, real), device=True, cc=(8, 0))
        assert ".func" in ptx, f"{model.name}.{key} produced no device function"
        if key == "threshold":
            assert restype == types.boolean
        else:
            assert isinstance(restype, types.BaseTuple) and len(restype) == {
                "linear": 3 * len(model.state_names)}.get(key, len(model.state_names))


def test_propagators_compile_to_ptx():
    from numba import cuda

    for fn in (integrators.propagator_exp, integrators.propagator_phi, integrators.propagator_syn):
        nargs = fn.__code__.co_argcount
        ptx, restype = cuda.compile_ptx(fn, (types.float64,) * nargs, device=True, cc=(8, 0))
        assert ".func" in ptx and restype == types.float64


def test_equations_run_under_cuda_simulator():
    script = Path(__file__).with_name("cuda_device_check.py")
    root = str(Path(__file__).resolve().parents[1])  # the checkout, installed or not
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1",
               PYTHONPATH=os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(": ok") >= 15, proc.stdout

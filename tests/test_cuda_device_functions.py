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
          fs.Lapicque(R=5.0, C=1.0),
          # the model zoo (every equation, helpers included)
          fs.QuadLIF(tau_m=10.0, v_min=-80.0), fs.Izhikevich.preset("CH"), fs.AdEx.preset("adapting", t_ref=1.0),
          fs.FitzHughNagumo(reset="value"), fs.HodgkinHuxley(), fs.HodgkinHuxleyTraub(), fs.ResonateAndFire(),
          fs.SLIF(tau_m=10.0, v_thresh=1.0, rho_b=0.01), fs.WTAS(tau_m=1.0, n_units=8)]


def _signature(model, fn, real):
    return tuple(types.int64 if kind == "option" else real for kind in argument_kinds(model, fn))


class _FixedDevice:
    """Stands for the current GPU when there is none: device functions called from the compiled
    function are compiled for compute capability 8.0, as compile_ptx(cc=(8, 0)) itself."""

    compute_capability = (8, 0)


def _with_device_helpers(fn):
    """``fn`` with the plain-Python helpers it calls (a model's rate functions, say) bound as CUDA
    device functions, as :func:`fastspike.equations.compile_scalar` binds them for a backend."""
    import types as pytypes

    from numba import cuda

    from fastspike.equations import compile_scalar

    namespace = dict(fn.__globals__)
    for name in fn.__code__.co_names:
        target = namespace.get(name)
        if isinstance(target, pytypes.FunctionType) and target is not fn:
            namespace[name] = compile_scalar(target, cuda.jit(device=True))
    return pytypes.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)


@pytest.mark.parametrize("real", [types.float32, types.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_equations_compile_to_ptx(model, real, monkeypatch):
    from numba import cuda

    if not cuda.is_available():  # a device function's compilation asks the current device for its cc
        import numba.cuda.dispatcher as dispatcher

        monkeypatch.setattr(dispatcher, "get_current_device", lambda: _FixedDevice())

    for key, fn in equations_of(model).items():
        ptx, restype = cuda.compile_ptx(_with_device_helpers(fn), _signature(model, fn, real), device=True,
                                        cc=(8, 0))
        assert ".func" in ptx, f"{model.name}.{key} produced no device function"
        if key == "threshold":
            assert restype == types.boolean
        elif key == "input_gain":  # one number: d(dv/dt)/dI
            assert isinstance(restype, types.Float)
        else:
            assert isinstance(restype, types.BaseTuple) and len(restype) == {
                "linear": 3 * len(model.state_names),
                "conditionally_linear": 2 * len(model.state_names)}.get(key, len(model.state_names))


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

"""The CUDA backend without a GPU: its tests (tests/cuda_sim) run under Numba's CUDA
simulator in a separate pytest process; here, the errors of an unusable backend."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import fastspike as fs

HERE = Path(__file__).resolve().parent


def _run_cuda_tests(**env_vars: str) -> None:
    env = dict(os.environ, **env_vars,
               PYTHONPATH=os.pathsep.join([str(HERE.parent), *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE / "cuda_sim")],
                          env=env, capture_output=True, text=True, timeout=1500, cwd=HERE.parent)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout[-2000:]


def test_cuda_backend_under_the_simulator():
    _run_cuda_tests(NUMBA_ENABLE_CUDASIM="1")


def test_cuda_backend_on_a_real_gpu():
    """The same tests on the GPU, where one is usable (the CUDA simulator is not a GPU)."""
    from fastspike.backends.cuda.availability import simulated, status

    if simulated() or not status()[0]:
        pytest.skip(f"no usable GPU here: {status()[1]}")
    _run_cuda_tests(NUMBA_ENABLE_CUDASIM="0", FASTSPIKE_GPU_TESTS="1")


def test_unusable_cuda_backend_is_refused_at_network_creation():
    from fastspike.backends.cuda.availability import status

    usable, reason = status()
    if usable:
        pytest.skip(f"the CUDA backend is usable here: {reason}")
    with pytest.raises(RuntimeError) as err:
        fs.Network(backend="cuda")
    message = str(err.value)
    assert "'cuda'" in message and "not available" in message
    assert reason in message
    assert "numba-cuda" in message or "GPU" in message  # says what is missing


def test_info_lists_backends(capsys):
    from fastspike import cli

    cli.main(["info"])
    out = capsys.readouterr().out
    assert "cpu" in out and "cuda" in out


def test_launch_mode_comes_from_the_environment_and_is_checked(monkeypatch):
    from fastspike.backends.cuda.engine import LAUNCH_MODES, launch_mode

    monkeypatch.delenv("FASTSPIKE_CUDA_LAUNCH", raising=False)
    assert launch_mode() is None  # steps where cooperative launches work, else stages
    for mode in LAUNCH_MODES:
        monkeypatch.setenv("FASTSPIKE_CUDA_LAUNCH", mode)
        assert launch_mode() == mode
    monkeypatch.setenv("FASTSPIKE_CUDA_LAUNCH", "graphs")
    with pytest.raises(ValueError, match="FASTSPIKE_CUDA_LAUNCH='graphs'.*steps, stages"):
        launch_mode()


def test_lanes_per_spike_spread_a_row_over_about_four_synapses_each(monkeypatch):
    """GPU deliveries: a warp for short rows, doubling until a lane adds about
    SYNAPSES_PER_LANE synapses of an average row, at most MAX_LANES; the environment can fix
    the number (a power of two) to compare schemes, and a bad value is refused. The
    environment is read once, into the backend's options (``fs.backends.CUDA``), never by
    the code generator."""
    from fastspike.backends import CUDA
    from fastspike.backends.cuda.lower import MAX_LANES, SYNAPSES_PER_LANE, WARP, lanes_per_spike

    monkeypatch.delenv("FASTSPIKE_CUDA_LANES", raising=False)
    assert lanes_per_spike(0, 0) == WARP
    assert lanes_per_spike(80 * 4000, 4000) == WARP  # CUBA: 80 synapses per row
    assert lanes_per_spike(1000 * 10000, 10000) == 256  # Brunel E -> E: 1000 per row, 3.9 per lane
    assert lanes_per_spike(2087 * 20683, 20683) == MAX_LANES  # microcircuit L2/3E -> L2/3E
    for mean in (1, 100, 129, 1000, 4096, 10**6):
        lanes = lanes_per_spike(mean * 100, 100)
        assert lanes & (lanes - 1) == 0 and WARP <= lanes <= MAX_LANES
        assert lanes == WARP or lanes == MAX_LANES or lanes * SYNAPSES_PER_LANE >= mean > lanes * SYNAPSES_PER_LANE / 2
    monkeypatch.setenv("FASTSPIKE_CUDA_LANES", "8")
    assert lanes_per_spike(10**6, 10, CUDA.from_environment().lanes) == 8
    monkeypatch.setenv("FASTSPIKE_CUDA_LANES", "auto")
    assert lanes_per_spike(10**6, 10, CUDA.from_environment().lanes) == MAX_LANES
    for bad in ("48", "0", "2048", "many"):
        monkeypatch.setenv("FASTSPIKE_CUDA_LANES", bad)
        with pytest.raises(ValueError, match="FASTSPIKE_CUDA_LANES.*power of two from 1 to 1024"):
            CUDA.from_environment()
    for bad in (48, 0, 2048, True):
        with pytest.raises(ValueError, match="lanes=.*power of two from 1 to 1024"):
            CUDA(lanes=bad)
    with pytest.raises(ValueError, match="launch='graphs'"):
        CUDA(launch="graphs")

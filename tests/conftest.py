"""tests/cuda_sim runs the CUDA backend against the CPU backend in its own process
(tests/test_cuda_backend.py starts it): under Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1,
which must be set before numba is imported; one process cannot hold both the simulator and
the CPU's compiled kernels), and on a real GPU when one is usable (FASTSPIKE_GPU_TESTS=1).

Under pytest-xdist each worker keeps Numba's cache in a folder of its own (unless
NUMBA_CACHE_DIR is set): Numba numbers a function's cached overloads by the length of its
index, so two processes compiling different signatures of one function at the same time
write the same data file, and a later load unpickles the wrong one."""
import os
from pathlib import Path

_CUDA_PROCESS = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" or os.environ.get("FASTSPIKE_GPU_TESTS") == "1"
collect_ignore = [] if _CUDA_PROCESS else ["cuda_sim"]

_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER and "NUMBA_CACHE_DIR" not in os.environ:  # before numba is imported (it reads it once)
    os.environ["NUMBA_CACHE_DIR"] = str(Path.home() / ".cache" / "fastspike-tests" / f"numba-{_WORKER}")

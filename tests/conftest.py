"""tests/cuda_sim runs the CUDA backend against the CPU backend in its own process
(tests/test_cuda_backend.py starts it): under Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1,
which must be set before numba is imported; one process cannot hold both the simulator and
the CPU's compiled kernels), and on a real GPU when one is usable (FASTSPIKE_GPU_TESTS=1)."""
import os

_CUDA_PROCESS = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" or os.environ.get("FASTSPIKE_GPU_TESTS") == "1"
collect_ignore = [] if _CUDA_PROCESS else ["cuda_sim"]

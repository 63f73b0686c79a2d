"""tests/cuda_sim runs only under Numba's CUDA simulator, in its own process
(tests/test_cuda_backend.py starts it): NUMBA_ENABLE_CUDASIM must be set before numba is
imported, and one process cannot hold both the simulator and the CPU's compiled kernels."""
import os

collect_ignore = [] if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else ["cuda_sim"]

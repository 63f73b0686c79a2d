"""Whether the CUDA backend can run here, and why not (without importing numba.cuda eagerly)."""
from __future__ import annotations

import functools

INSTALL_HINT = ('install numba-cuda with the CUDA toolkit wheels that match the driver: '
                'pip install "fastspike[cuda]" (numba-cuda[cu12]; use numba-cuda[cu13] for CUDA 13 drivers)')


@functools.lru_cache(maxsize=1)
def status() -> tuple[bool, str]:
    """``(usable, reason)``: usable with a GPU, or under Numba's CUDA simulator
    (``NUMBA_ENABLE_CUDASIM=1`` set before numba is imported)."""
    try:
        import numba
        from numba import cuda
    except ImportError as exc:  # pragma: no cover - numba is a dependency
        return False, f"numba.cuda cannot be imported ({exc}); {INSTALL_HINT}"
    if numba.config.ENABLE_CUDASIM:
        return True, "Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1): correct but slow, for tests"
    try:
        import numba_cuda  # noqa: F401
    except ImportError:
        return False, f"the numba-cuda package is not installed; {INSTALL_HINT}"
    try:
        if cuda.is_available():
            gpu = cuda.get_current_device()
            name = gpu.name.decode() if isinstance(gpu.name, bytes) else str(gpu.name)
            return True, f"{name} (compute capability {'.'.join(map(str, gpu.compute_capability))})"
        return False, "no usable NVIDIA GPU or driver was found (numba.cuda.is_available() is False)"
    except Exception as exc:  # the driver or toolkit is missing or broken
        return False, f"the CUDA driver or toolkit is not usable ({type(exc).__name__}: {exc}); {INSTALL_HINT}"


def simulated() -> bool:
    import numba

    return bool(numba.config.ENABLE_CUDASIM)

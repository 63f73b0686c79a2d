"""Backends: compile a network's step sequence and run it.

``available()`` lists the backends that can run here; ``"cpu"`` (Numba ``@njit``) always
can; ``"cuda"`` (``numba.cuda``) can with an NVIDIA GPU and the numba-cuda package, or under
Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``, for tests). Asking for a backend that
cannot run raises a clear error when the network is created.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network

from .options import CPU, CUDA, options_of  # noqa: F401 - options_of: for Network

__all__ = ["available", "check", "create", "generated_source", "KNOWN", "CPU", "CUDA"]

KNOWN = ("cpu", "cuda")


def available() -> list[str]:
    """Names of the backends that can run on this machine."""
    from .cuda.availability import status

    return ["cpu", "cuda"] if status()[0] else ["cpu"]


def unavailable() -> dict[str, str]:
    """Backends that cannot run here, with the reason."""
    from .cuda.availability import status

    usable, reason = status()
    return {} if usable else {"cuda": reason}


def describe() -> dict[str, str]:
    """Every known backend with what it runs on here, or why it cannot run."""
    from .cuda.availability import status

    usable, reason = status()
    return {"cpu": "Numba @njit on this CPU", "cuda": reason if usable else f"unavailable: {reason}"}


def check(name) -> str:
    """Return the name of ``name`` (a backend name, or an options object such as
    ``fs.backends.CUDA(launch="stages")``) if it is a usable backend, else raise a clear error."""
    if isinstance(name, (CPU, CUDA)):
        name = name.name
    if name not in KNOWN:
        raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(map(repr, KNOWN))}")
    if name == "cpu":  # always there: no need to import numba.cuda (half a second) to probe a GPU
        return name
    if name not in available():
        raise RuntimeError(f"backend {name!r} is not available: {unavailable()[name]}")
    return name


def create(name: str, net: "Network"):
    """Compile ``net`` for backend ``name`` and return its engine."""
    if name == "cpu":
        from .cpu.engine import CPUEngine

        return CPUEngine(net)
    check(name)
    from .cuda.engine import CUDAEngine

    return CUDAEngine(net)


def generated_source(net: "Network", backend: str = "cpu", fuse: bool | None = None) -> str:
    """The source that ``run()`` would compile for ``net`` on ``backend``, without compiling
    it (for inspection and for the tests that guard the code generator). ``fuse`` (CPU, one
    thread): None fuses small networks into one function as ``run()`` does, True fuses
    whatever the size, False renders kernels and a driver."""
    from ..ir.schedule import build_program, constant_values
    from .cpu.engine import sample_rows

    net.prepare_buffers()
    if backend == "cpu":
        from .cpu.compiler import lower, render

        return render(lower(build_program(net, net._buffers, sample_rows(net)), net.threads, net.processes), fuse,
                      getattr(net.backend, "vector_math", False))
    if backend == "cuda":
        from .cuda.compiler import layout, lower as lower_cuda, render as render_cuda

        options = net.backend if isinstance(net.backend, CUDA) else CUDA.from_environment()
        prog = lower_cuda(build_program(net, net._buffers, sample_rows(net)), options.lanes)
        return render_cuda(prog, layout(prog, constant_values(net)))
    raise ValueError(f"unknown backend {backend!r}; known backends: {', '.join(map(repr, KNOWN))}")

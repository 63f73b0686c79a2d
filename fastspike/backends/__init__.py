"""Backends: compile a network's step sequence and run it.

``available()`` lists the backends that can run here; ``"cpu"`` (Numba ``@njit``) always
can. The CUDA backend (``numba.cuda``) is planned (see the project's issues); asking for it
raises a clear error until then.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network

__all__ = ["available", "check", "create", "KNOWN"]

KNOWN = ("cpu", "cuda")


def _cuda_unavailable_reason() -> str:
    return "the CUDA backend is not implemented in this version of fastspike"


def available() -> list[str]:
    """Names of the backends that can run on this machine."""
    return ["cpu"]


def unavailable() -> dict[str, str]:
    """Backends that cannot run here, with the reason."""
    return {"cuda": _cuda_unavailable_reason()}


def check(name: str) -> str:
    """Return ``name`` if it is a usable backend, else raise a clear error."""
    if name not in KNOWN:
        raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(map(repr, KNOWN))}")
    if name not in available():
        raise RuntimeError(f"backend {name!r} is not available: {unavailable()[name]}")
    return name


def create(name: str, net: "Network"):
    """Compile ``net`` for backend ``name`` and return its engine."""
    if name == "cpu":
        from .cpu.engine import CPUEngine

        return CPUEngine(net)
    check(name)  # pragma: no cover
    raise RuntimeError(f"backend {name!r} is not available")  # pragma: no cover

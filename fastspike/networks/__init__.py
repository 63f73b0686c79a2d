"""The field's standard benchmark networks (BENCHMARKS.md), built with the public API.

Each builder returns ``(net, populations)`` with spike records attached, so examples,
benchmarks, tests and ``fastspike bench`` run exactly the same networks.
"""
from .standard import brunel, cuba, microcircuit, uncoupled

__all__ = ["cuba", "brunel", "microcircuit", "uncoupled"]

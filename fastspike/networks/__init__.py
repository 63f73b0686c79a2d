"""The field's standard benchmark networks (CUBA, Brunel, the cortical microcircuit, uncoupled
neurons: see :mod:`fastspike.networks.standard`), built with the public API.

Each builder returns ``(net, populations)`` with spike records attached, so examples,
benchmarks, tests and ``fastspike bench`` run exactly the same networks.
"""
from .standard import brunel, cuba, microcircuit, uncoupled

__all__ = ["cuba", "brunel", "microcircuit", "uncoupled"]

"""Typed lists of a kernel group's argument tuples, built by functions cached on disk.

A CPU driver with threads (and a large serial program) takes the calls of each kernel as a
``numba.typed.List`` of argument tuples, so that the driver's signature does not depend on
how many calls there are. ``typed.List.append`` from Python compiles its method for the
item's type in every process (Numba does not cache the typed list's own methods): about
0.5 s per kernel, 2-3 s of every threaded network's start-up. :func:`argument_list` builds
the list in nopython functions that are cached on disk (``cache=True``, one entry per tuple
type), so a network compiled once starts in a fraction of a second.
"""
from __future__ import annotations

from numba.typed import List

from ...runtime.numba_cache import njit_cached

__all__ = ["argument_list"]


@njit_cached(nogil=True)
def _first(item):
    out = List()
    out.append(item)
    return out


@njit_cached(nogil=True)
def _append(out, item):
    out.append(item)


def argument_list(items: list[tuple]) -> List:
    """A ``numba.typed.List`` holding ``items`` (argument tuples of one type), in order."""
    if not items:
        raise ValueError("argument_list: no items (a kernel group has at least one call)")
    out = _first(items[0])
    for item in items[1:]:
        _append(out, item)
    return out

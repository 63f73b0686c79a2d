"""On-disk caching of fastspike's own compiled functions, valid for one exact package source.

Numba's ``cache=True`` stamps a function's cache entry with a hash of the function's own file
only. A cached function that calls functions of other files (the connectivity builders call
:mod:`fastspike.random`'s generators; those are compiled into the caller's machine code)
would keep loading the old machine code after an upgrade that changed only the callee, since
pip does not remove ``__pycache__/*.nbi``/``*.nbc`` files: connectivity drawn from an old
random stream, silently.

:func:`njit_cached` is ``numba.njit(cache=True)`` with a stamp that adds a digest of every
source file of the fastspike package, so that any change of the package recompiles its cached
functions (their stale entries are overwritten in place, as Numba does for an edited file).
The generated step modules do not need it: their names already hash everything they call
(:func:`fastspike.backends.cpu.compiler.import_generated`).
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Callable

from numba import njit
from numba.core import caching

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def source_digest(root: Path) -> str:
    """A digest of the names and contents of the ``*.py`` files under ``root`` (hex, 16 digits)."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=None)
def package_digest() -> str:
    """:func:`source_digest` of the installed fastspike package (computed once per process:
    75 files, about 4 ms)."""
    return source_digest(_PACKAGE_ROOT)


def _function_cache_class(digest: Callable[[], str]) -> type:
    """A Numba ``FunctionCache`` whose locators stamp entries with the function file's hash
    (as Numba's do) and ``digest()``: an entry written under another digest is stale."""

    def stamped(locator: type) -> type:
        def get_source_stamp(self):
            return (locator.get_source_stamp(self), digest())

        return type(f"Stamped{locator.__name__}", (locator,), {"get_source_stamp": get_source_stamp})

    impl = type("StampedCacheImpl", (caching.CompileResultCacheImpl,),
                {"_locator_classes": [stamped(c) for c in caching.CompileResultCacheImpl._locator_classes]})
    return type("StampedFunctionCache", (caching.FunctionCache,), {"_impl_class": impl})


def stamped_njit(digest: Callable[[], str]) -> Callable:
    """``njit_cached`` for another stamp: the decorator whose cache entries hold only while
    ``digest()`` returns what it returned when they were written.

    It subclasses Numba's cache classes (``numba.core.caching``, which Numba 0.60 to 0.68 have;
    tested on 0.68). Should a Numba lack them, the functions compile in every process
    instead: slower to start, never stale. ``NUMBA_CACHE_LOCATOR_CLASSES``, when set, replaces
    the locators and with them the stamp."""
    try:
        cache_class = _function_cache_class(digest)
    except (AttributeError, TypeError):  # pragma: no cover - a Numba without these internals
        cache_class = None

    def decorator(fn: Callable | None = None, **options) -> Callable:
        if "cache" in options:
            raise TypeError("njit_cached always caches; do not pass cache=")

        def wrap(f: Callable) -> Callable:
            dispatcher = njit(**options)(f)
            if cache_class is not None:
                dispatcher._cache = cache_class(dispatcher.py_func)  # what enable_caching() sets
            return dispatcher

        return wrap if fn is None else wrap(fn)

    return decorator


njit_cached = stamped_njit(package_digest)
njit_cached.__doc__ = """``numba.njit`` cached on disk for this exact fastspike source.

Use as ``@njit_cached`` or ``@njit_cached(nogil=True)`` (any ``njit`` option but ``cache``), or
pass it as the ``jit`` of :func:`fastspike.equations.compile_scalar`."""

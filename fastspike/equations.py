"""Introspection of a model's scalar equation functions, shared by the backends and tests.

Every equation function's arguments are matched by name (see :mod:`fastspike.models.base`);
:func:`argument_kinds` says what each argument is, so a backend can type it (floats for
state, parameters, ``I`` and ``dt``; integers for options).
"""
from __future__ import annotations

import math
import sys
import types
from typing import Callable

import numpy as np

from .models.base import Model, equation_arguments

__all__ = ["EQUATIONS", "equations_of", "argument_kinds", "compile_scalar"]

EQUATIONS = ("dynamics", "linear", "conditionally_linear", "input_gain", "threshold", "reset", "constrain")


def equations_of(model: Model) -> dict[str, Callable]:
    """The equation functions a model defines (and uses with its current parameters)."""
    return {key: getattr(model, key) for key in EQUATIONS if getattr(model, key, None) is not None}


def argument_kinds(model: Model, fn: Callable) -> list[str]:
    """For each argument of ``fn``: ``"state"``, ``"param"``, ``"option"``, ``"input"`` or ``"dt"``."""
    kinds = []
    for a in equation_arguments(fn):
        if a in model.state_names:
            kinds.append("state")
        elif a in model.params:
            kinds.append("param")
        elif a in model.option_values:
            kinds.append("option")
        elif a == "I":
            kinds.append("input")
        elif a == "dt":
            kinds.append("dt")
        else:
            raise TypeError(f"{model.name}.{fn.__name__}: argument {a!r} is not a state variable, parameter, "
                            f"option, 'I' or 'dt'")
    return kinds


def compile_scalar(fn: Callable, jit: Callable, _memo: dict | None = None, dtype=None,
                   vector_math: bool = False) -> Callable:
    """Compile a scalar function with ``jit`` (``numba.njit`` or ``cuda.jit(device=True)``).

    Plain Python functions that ``fn`` calls through its globals (helpers of a model, the
    random-number functions) are compiled the same way first and bound in a copy of its
    globals, so equation code can call helpers without knowing which backend compiles it.

    With ``dtype`` float32, the float literals of the functions (``0.04`` in Izhikevich's
    ``0.04 v**2``) become float32 constants, so that float32 state is not promoted to
    float64 arithmetic; a literal that float32 cannot represent (it would round to 0 or
    overflow) is left as it is.

    With ``vector_math``, the functions' ``math`` is :data:`fastspike.vmath.math_namespace`
    (``math.exp``, ``math.expm1``, ``math.log`` and ``math.pow`` are :mod:`fastspike.vmath`'s,
    which LLVM can vectorize and inline), and the same functions imported from :mod:`math` by
    name are replaced the same way.
    """
    single = dtype is not None and np.dtype(dtype) == np.float32
    memo = _COMPILED.setdefault((jit, single, vector_math), {}) if _memo is None else _memo
    if fn in memo:
        return memo[fn]
    namespace = dict(fn.__globals__)
    if vector_math:
        from . import vmath

        for name in fn.__code__.co_names:
            target = namespace.get(name)
            if target is math:
                namespace[name] = vmath.math_namespace
            elif any(target is getattr(math, f) for f in vmath.REPLACED):
                namespace[name] = getattr(vmath, target.__name__)
    for name in fn.__code__.co_names:
        target = namespace.get(name)
        if isinstance(target, types.FunctionType) and target is not fn and \
                getattr(target, "__module__", None) != "fastspike.vmath":
            namespace[name] = compile_scalar(target, jit, memo, dtype, vector_math)
    code = fn.__code__
    if single:
        code = code.replace(co_consts=tuple(_single(c) for c in code.co_consts))
    rebound = types.FunctionType(code, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    rebound.__qualname__ = fn.__qualname__
    # Numba's cache rebuilds a compiled function's environment by importing its module: one
    # that cannot be imported (a model defined in code run by exec, a module not registered in
    # sys.modules) would make every later process fail to load the cached program, so such
    # functions are attributed to this module (only the name is used: nopython code has
    # resolved its globals when it compiled)
    rebound.__module__ = fn.__module__ if fn.__module__ in sys.modules else __name__
    memo[fn] = jit(rebound)
    return memo[fn]


def _single(c):
    """A float literal as a float32 constant when float32 represents it (else unchanged)."""
    if type(c) is not float:
        return c
    with np.errstate(over="ignore", under="ignore"):
        f = np.float32(c)
    if c != 0.0 and math.isfinite(c) and (f == 0.0 or not math.isfinite(f)):
        return c
    return f


_COMPILED: dict[Callable, dict[Callable, Callable]] = {}

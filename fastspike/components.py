"""Components: the parts of a network's step that are not cell models, declared like models.

A component is a small class of declarations (parameters with units and checks, state
variables with their space) plus scalar functions written with ``math`` only, which compile
for ``numba.njit`` and ``numba.cuda.jit(device=True)``. Their arguments are matched by name,
as a model's are. Three kinds plug into the step program that every backend lowers
(:mod:`fastspike.ir.schedule`), each at its own hook points:

- postsynaptic models (:mod:`fastspike.synapses.postsynaptic`): a synaptic channel of a
  population: its state per neuron, its decay, what an arriving spike adds, the current it
  injects;
- current sources (:mod:`fastspike.inputs`): currents injected into every neuron, and spike
  inputs that draw arrivals into a channel (Poisson afferents);
- weight-update models (:mod:`fastspike.synapses.weight_update`): what a synapse transmits
  when its presynaptic neuron fires, and (plastic synapses) what changes then and when the
  postsynaptic neuron fires.

Adding one is adding a class (in a module of its own, or in a user's script): the schedule and
the backends are not edited. The README's section "Extending fastspike" shows one of each.
"""
from __future__ import annotations

from typing import Callable, ClassVar

import numpy as np

from . import validation
from .models.base import _CHECKS, Parameter, StateVariable, equation_arguments
from .models.checks import check_device_code

__all__ = ["Component", "Parameter", "StateVariable", "function_arguments"]


class Component:
    """Base class of every component kind.

    ``parameters`` are given to the constructor by keyword, or by position in their declared
    order (``fs.ExpCurrent(5.0)``); each is checked as a model parameter is. Subclasses say
    whether parameters may be per-neuron arrays (``per_neuron_parameters``); otherwise they
    are scalars, compiled into the generated code as constants, and two components with equal
    parameters are equal (``key``).
    """

    parameters: ClassVar[tuple[Parameter, ...]] = ()
    per_neuron_parameters: ClassVar[bool] = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        cls = type(self).__name__
        declared = [p.name for p in self.parameters]
        if len(args) > len(declared):
            raise TypeError(f"{cls}: takes at most {len(declared)} positional argument(s) "
                            f"({', '.join(declared) or 'none'}), got {len(args)}")
        given = dict(zip(declared, args))
        for k, v in kwargs.items():
            if k not in declared:
                raise TypeError(f"{cls}: unknown parameter {k!r}; allowed: {', '.join(declared) or 'none'}")
            if k in given:
                raise TypeError(f"{cls}: parameter {k!r} given twice")
            given[k] = v
        self.params: dict[str, float | np.ndarray] = {}
        for p in self.parameters:
            value = given.get(p.name, p.default)
            self.params[p.name] = self._check(p, value)

    def _check(self, p: Parameter, value: object) -> float | np.ndarray:
        cls = type(self).__name__
        predicate, allowed = _CHECKS[p.check]
        if value is None:
            raise ValueError(f"{cls}: {p.name} must be given ({p.doc or p.unit})")
        try:
            arr = validation.real_array(value, p.name, cls, check=False)
        except validation.NotANumber as e:
            raise validation.NotANumber(f"{cls}: {p.name}={validation._short(value)} is not a number ({e.reason}); "
                                        f"it must be {allowed} ({p.unit})", e.reason) from None
        if arr.ndim > (1 if self.per_neuron_parameters else 0):
            raise ValueError(f"{cls}: {p.name} must be a scalar{' or a per-neuron array' if self.per_neuron_parameters else ''}"
                             f", got shape {arr.shape}")
        if arr.size == 0 or not predicate(arr):
            shown = value if arr.ndim == 0 else "an array with values outside the allowed range"
            raise ValueError(f"{cls}: {p.name}={shown!r} is not allowed; it must be {allowed} ({p.unit})")
        return float(arr) if arr.ndim == 0 else arr

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def key(self) -> tuple:
        """Identity: the class and its parameter values (scalar parameters only)."""
        return (type(self).__name__, *(self.params[p.name] for p in self.parameters))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" if np.ndim(v) == 0 else f"{k}=<array {np.shape(v)}>" for k, v in self.params.items()]
        return f"{self.name}({', '.join(parts)})"

    def check_function(self, role: str, fn: Callable | None, allowed: dict[str, float], results: int) -> None:
        """Refuse a scalar function whose arguments are not among ``allowed`` (name -> a
        plausible value) or that does not return ``results`` values (a number, or a tuple of
        that many), by calling it once in plain Python on scalars: the error names the
        function, the argument and what is allowed, before anything is compiled."""
        if fn is None:
            raise TypeError(f"{self.name}: {role} is not defined")
        check_device_code(fn, f"{self.name}.{role}")  # what both backends compile
        args = function_arguments(fn)
        for a in args:
            if a not in allowed:
                raise TypeError(f"{self.name}.{role} ({fn.__name__}): argument {a!r} is not allowed; arguments are "
                                f"matched by name: {', '.join(sorted(allowed))}")
        try:
            out = fn(*(allowed[a] for a in args))
        except ArithmeticError:  # the plausible values hit a singularity: nothing to conclude
            return
        except Exception as exc:
            raise TypeError(f"{self.name}.{role} ({fn.__name__}) fails on scalar arguments: "
                            f"{type(exc).__name__}: {exc}") from None
        got = len(out) if isinstance(out, tuple) else 1
        if got != results or (results > 1 and not isinstance(out, tuple)):
            what = "one value" if results == 1 else f"a tuple of {results} values"
            raise TypeError(f"{self.name}.{role} ({fn.__name__}) must return {what}, got {out!r}")


def function_arguments(fn: Callable) -> tuple[str, ...]:
    """The argument names of a component's scalar function (matched by name)."""
    return tuple(equation_arguments(fn))

"""Introspection of a model's scalar equation functions, shared by the backends and tests.

Every equation function's arguments are matched by name (see :mod:`fastspike.models.base`);
:func:`argument_kinds` says what each argument is, so a backend can type it (floats for
state, parameters, ``I`` and ``dt``; integers for options).
"""
from __future__ import annotations

from typing import Callable

from .models.base import Model, equation_arguments

__all__ = ["EQUATIONS", "equations_of", "argument_kinds"]

EQUATIONS = ("dynamics", "linear", "threshold", "reset", "constrain")


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

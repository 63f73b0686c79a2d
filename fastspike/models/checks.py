"""Checks of a model's definition: mistakes are refused where they are made, in plain words.

A model is a class (see :mod:`fastspike.models.base`) whose scalar equation functions the
backends compile with Numba. Without these checks a mistake in one surfaced at ``run()`` as a
Numba typing error pointing into a generated cache file. Now:

- **when the class is defined** (:func:`check_model_class`, called by
  ``Model.__init_subclass__``): the declarations (types, names, integrators, ``refractory``
  needs a ``t_ref`` parameter, ``"exact"`` needs ``linear``), every equation's argument names
  (with the names that are allowed), and the code of every equation and of the helpers it
  calls (:func:`check_device_code`: what the CUDA backend can compile);
- **when a population of the model is made** (:func:`check_model`, called by
  ``Network.population``): every equation is called once in plain Python on scalars (the
  initial state, the parameters, ``I = 0``, the network's ``dt``) and what it returns is
  checked: a tuple of one value per state variable from ``dynamics``, ``reset`` and
  ``constrain``, three per variable from ``linear``, two from ``conditionally_linear``, one
  truth value from ``threshold``.

:func:`check_device_code` is the one checker of what equation code may use; the model
definition check calls it, and so does the CUDA backend before it compiles (for functions
replaced after a class was defined).
"""
from __future__ import annotations

import ast
import builtins
import dis
import inspect
import math
import numbers
import textwrap
import types
from typing import Any, Callable

import numpy as np

from ..ir import syntax as S

__all__ = ["check_device_code", "check_model_class", "check_model", "model_signature", "DEVICE_BUILTINS",
           "MATH_NAMES", "EQUATION_ROLES", "ModelDefinitionError"]

DEVICE_BUILTINS = frozenset({"abs", "min", "max", "float", "int", "round", "range", "bool"})
"""Builtins that equation code may call: those Numba compiles in CUDA device code."""

MATH_NAMES = frozenset({
    "pi", "e", "inf", "nan", "tau",
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "copysign", "cos", "cosh", "degrees",
    "erf", "erfc", "exp", "expm1", "fabs", "floor", "fmod", "frexp", "gamma", "hypot", "isfinite", "isinf",
    "isnan", "ldexp", "lgamma", "log", "log10", "log1p", "log2", "modf", "pow", "radians", "sin", "sinh",
    "sqrt", "tan", "tanh", "trunc",
})
"""The ``math`` functions and constants that Numba compiles for both the CPU and CUDA devices."""

EQUATION_ROLES = {
    "dynamics": "the time derivative of every state variable (per ms), in declaration order",
    "linear": "(a, x0, c) for every state variable, with dx/dt = a (x - x0) + c I",
    "conditionally_linear": "(a, b) for every state variable, with dx/dt = a x + b",
    "input_gain": "d(dv/dt)/dI: the factor of the input I in the membrane equation (one number)",
    "threshold": "True when the neuron spikes",
    "reset": "every state variable after a spike, in declaration order",
    "constrain": "every state variable after a bound is applied, in declaration order",
}
"""What each equation function returns (used in messages)."""

_PER_VARIABLE = {"dynamics": 1, "linear": 3, "conditionally_linear": 2, "reset": 1, "constrain": 1}

_FORBIDDEN_NODES = {
    ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension", ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression", ast.List: "a list", ast.Dict: "a dict", ast.Set: "a set",
    ast.Lambda: "a lambda", ast.FunctionDef: "a nested function", ast.AsyncFunctionDef: "a nested function",
    ast.ClassDef: "a class", ast.Try: "try/except", ast.With: "a with statement", ast.Yield: "yield",
    ast.YieldFrom: "yield from", ast.Await: "await", ast.Global: "global", ast.Nonlocal: "nonlocal",
    ast.JoinedStr: "an f-string", ast.Starred: "a starred expression",
}
if hasattr(ast, "TryStar"):  # Python 3.11
    _FORBIDDEN_NODES[ast.TryStar] = "try/except*"

_ALLOWED_HINT = ("equation code may use its arguments, local variables, numbers, the math module (math.exp, "
                 "math.log, ...), the builtins abs, min, max, float, int, round, range and bool, numeric constants "
                 "and plain Python helper functions that follow the same rules")


class ModelDefinitionError(TypeError):
    """A model class or its equations cannot be compiled as written (a ``TypeError``)."""


# ---------------------------------------------------------------------------------------
# what equation code may use (one checker for the model definition and the CUDA backend)
# ---------------------------------------------------------------------------------------
def check_device_code(fn: Callable, where: str, _seen: set | None = None) -> None:
    """Refuse equation code that the CUDA backend cannot compile.

    A pass over the syntax tree of ``fn``'s source (the bytecode when the source cannot be
    read): every name it reads must be an argument, a local variable, an allowed builtin
    (:data:`DEVICE_BUILTINS`), the ``math`` module (only :data:`MATH_NAMES`), a numeric
    constant, or a plain Python function, itself checked the same way (a model's helper). No
    NumPy (``np.exp``: use ``math.exp``), no other module, no Numba dispatcher (fastspike
    compiles helpers for each backend itself), no lists, dicts, comprehensions, ``try`` or
    nested functions.

    Parameters
    ----------
    fn : function
        An equation function or a helper it calls.
    where : str
        How to name it in messages (``"EIF.dynamics (eif_dynamics)"``).

    Raises
    ------
    ModelDefinitionError
        Naming the function, the name or construct, and what is allowed.
    """
    seen = set() if _seen is None else _seen
    if fn in seen:
        return
    seen.add(fn)
    if not isinstance(fn, types.FunctionType):
        raise ModelDefinitionError(f"{where}: {fn!r} is not a plain Python function (def or lambda); "
                                   f"{_ALLOWED_HINT}")
    tree = _function_tree(fn)
    if tree is None:
        _check_bytecode(fn, where, seen)
        return
    args = tree.args
    local = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    local |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    body = tree.body if isinstance(tree.body, list) else [tree.body]
    bases = set()  # Name nodes read as the base of an attribute (math in math.exp)
    for node in (n for stmt in body for n in ast.walk(stmt)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            local.add(node.id)
        elif isinstance(node, ast.Attribute):
            bases.add(id(node.value))
    for stmt in body:
        for node in ast.walk(stmt):
            what = _FORBIDDEN_NODES.get(type(node))
            if what is not None:
                raise ModelDefinitionError(f"{where}, line {_line(fn, node)}: {what} is not allowed in equation code "
                                           f"(the CUDA backend cannot compile it); {_ALLOWED_HINT}")
            if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) \
                    and not _is_docstring(stmt, node, body):
                raise ModelDefinitionError(f"{where}, line {_line(fn, node)}: the string {node.value!r} is not allowed "
                                           f"in equation code; {_ALLOWED_HINT}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id not in local:
                base = _resolve(fn, node.value.id)
                _check_attribute(fn, where, node, base, seen)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local \
                    and id(node) not in bases:
                _check_value(fn, where, node.id, _resolve(fn, node.id), seen, _line(fn, node))


def _is_docstring(stmt: ast.AST, node: ast.AST, body: list) -> bool:
    return stmt is body[0] and isinstance(stmt, ast.Expr) and stmt.value is node


def _line(fn: Callable, node: ast.AST) -> int:
    return fn.__code__.co_firstlineno + getattr(node, "lineno", 1) - 1


_MISSING = object()


def _resolve(fn: types.FunctionType, name: str) -> Any:
    """What ``name`` refers to in ``fn``: a closure cell, a global, a builtin (or _MISSING)."""
    code = fn.__code__
    if name in code.co_freevars and fn.__closure__:
        try:
            return fn.__closure__[code.co_freevars.index(name)].cell_contents
        except ValueError:
            return _MISSING
    if name in fn.__globals__:
        return fn.__globals__[name]
    bi = fn.__globals__.get("__builtins__", builtins)
    bi = bi if isinstance(bi, dict) else vars(bi)
    return bi.get(name, _MISSING)


def _is_constant(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, numbers.Real) or isinstance(value, (np.integer, np.floating)):
        return True
    if isinstance(value, tuple):
        return all(_is_constant(v) for v in value)
    return False


def _check_value(fn, where: str, name: str, value: Any, seen: set, line: int) -> None:
    at = f"{where}, line {line}"
    if value is _MISSING:
        raise ModelDefinitionError(f"{at}: name {name!r} is not defined (not an argument, a local variable, a global "
                                   f"or a builtin)")
    if value is math:
        return
    if name in DEVICE_BUILTINS and value is getattr(builtins, name, None):
        return
    if isinstance(value, types.BuiltinFunctionType) and getattr(value, "__module__", None) == "math" \
            and value.__name__ in MATH_NAMES:
        return  # from math import exp
    if _is_constant(value):
        return
    if isinstance(value, types.FunctionType):
        check_device_code(value, f"{where} -> {value.__name__}", seen)
        return
    if isinstance(value, types.ModuleType):
        what = f"the module {value.__name__!r}"
        hint = " (NumPy functions do not compile for the GPU: use math.exp, math.sqrt, ...)" \
            if value.__name__.split(".")[0] == "numpy" else ""
        raise ModelDefinitionError(f"{at}: {what} ({name}) is not allowed in equation code{hint}; {_ALLOWED_HINT}")
    if getattr(value, "__module__", "") == "builtins" or value is getattr(builtins, name, _MISSING):
        raise ModelDefinitionError(f"{at}: the builtin {name}() is not allowed in equation code (CUDA device code "
                                   f"compiles only {', '.join(sorted(DEVICE_BUILTINS))}); {_ALLOWED_HINT}")
    module = getattr(value, "__module__", "") or getattr(type(value), "__module__", "")
    if module.split(".")[0] == "numba" or hasattr(value, "py_func"):
        raise ModelDefinitionError(f"{at}: {name} is a Numba-compiled function; call the plain Python function "
                                   f"instead (fastspike compiles helpers for each backend itself)")
    kind = "NumPy's " if module.split(".")[0] == "numpy" else ""
    raise ModelDefinitionError(f"{at}: {name} ({kind}{type(value).__name__}) is not allowed in equation code"
                               f"{' (use the math module: math.exp, math.sqrt, ...)' if kind else ''}; {_ALLOWED_HINT}")


def _check_attribute(fn, where: str, node: ast.Attribute, base: Any, seen: set) -> None:
    at = f"{where}, line {_line(fn, node)}"
    name = f"{node.value.id}.{node.attr}"
    if base is math:
        if node.attr not in MATH_NAMES:
            raise ModelDefinitionError(f"{at}: {name} is not one of the math functions that compile for both the CPU "
                                       f"and the GPU ({', '.join(sorted(MATH_NAMES))})")
        return
    if isinstance(base, types.ModuleType):
        hint = f" (use math.{node.attr})" if base.__name__.split(".")[0] == "numpy" and node.attr in MATH_NAMES else ""
        raise ModelDefinitionError(f"{at}: {name} ({base.__name__}) is not allowed in equation code: only the math "
                                   f"module compiles for both the CPU and the GPU{hint}; {_ALLOWED_HINT}")
    _check_value(fn, where, node.value.id, base, seen, _line(fn, node))


def _function_tree(fn: types.FunctionType) -> ast.FunctionDef | ast.Lambda | None:
    """The syntax tree of ``fn`` (None when its source cannot be read or parsed)."""
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return None
    source = textwrap.dedent("".join(lines))
    code = fn.__code__
    for text in (source, f"({source.strip()})", source.strip().rstrip(",") + "\n"):
        try:
            module = S.parse(text)
        except SyntaxError:
            continue
        names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        found = []
        for node in ast.walk(module):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == fn.__name__:
                found.append(node)
            elif isinstance(node, ast.Lambda) and fn.__name__ == "<lambda>":
                if tuple(a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]) == names:
                    found.append(node)
        if len(found) == 1:
            return found[0]
        if found:  # several lambdas with the same arguments on the line(s): check them all, as one
            return ast.Lambda(args=found[0].args, body=ast.Tuple(elts=[f.body if isinstance(f, ast.Lambda) else
                                                                      ast.Constant(0) for f in found], ctx=ast.Load()))
        return None
    return None


def _check_bytecode(fn: types.FunctionType, where: str, seen: set) -> None:
    """The same rules, from the bytecode (functions whose source is not available)."""
    previous = None
    for ins in dis.get_instructions(fn):
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_CLASSDEREF"):
            name = ins.argval
            if ins.opname == "LOAD_DEREF" and name in fn.__code__.co_varnames:
                previous = None
                continue
            previous = (name, _resolve(fn, name))
            if not isinstance(previous[1], types.ModuleType):
                _check_value(fn, where, name, previous[1], seen, ins.positions.lineno if ins.positions else 0)
            continue
        if ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and previous is not None \
                and isinstance(previous[1], types.ModuleType):
            node = ast.Attribute(value=ast.Name(id=previous[0]), attr=ins.argval)
            node.lineno = (ins.positions.lineno or fn.__code__.co_firstlineno) - fn.__code__.co_firstlineno + 1 \
                if ins.positions else 1
            _check_attribute(fn, where, node, previous[1], seen)
        elif ins.opname in ("BUILD_LIST", "BUILD_MAP", "BUILD_SET", "LIST_APPEND", "MAP_ADD", "SET_ADD"):
            raise ModelDefinitionError(f"{where}: lists, dicts, sets and comprehensions are not allowed in equation "
                                       f"code; {_ALLOWED_HINT}")
        previous = None


# ---------------------------------------------------------------------------------------
# the class
# ---------------------------------------------------------------------------------------
def _all_parameter_names(cls: type) -> set[str]:
    """Parameters declared by the class and by its model bases (a subclass such as IF may drop a
    parameter from its constructor and set it in ``__init__``), and its ``derived_parameters``."""
    names = set(getattr(cls, "derived_parameters", ()))
    for base in cls.__mro__:
        for p in base.__dict__.get("parameters", ()):
            names.add(getattr(p, "name", None))
    names.discard(None)
    return names


def _label(cls: type, key: str, fn: Callable) -> str:
    name = getattr(fn, "__name__", "?")
    return f"{cls.__name__}.{key}" + (f" ({name})" if name not in (key, "<lambda>") else "")


def check_model_class(cls: type) -> None:
    """Check a model class when it is defined (see the module docstring).

    Raises
    ------
    ModelDefinitionError (a TypeError)
        A declaration of the wrong type, a name used twice, an unknown integrator, a refractory
        model without ``t_ref``, an integrator without the equations it needs, an equation
        argument that names nothing (the message lists the names allowed), or equation code
        that the CUDA backend cannot compile.
    """
    from ..integrators import INTEGRATORS
    from .base import _CHECKS, Option, Parameter, StateVariable

    name = cls.__name__
    for attr, kind in (("parameters", Parameter), ("state_variables", StateVariable), ("options", Option)):
        value = getattr(cls, attr)
        if not isinstance(value, tuple) or not all(isinstance(v, kind) for v in value):
            raise ModelDefinitionError(f"{name}.{attr} must be a tuple of fs.{kind.__name__}(...), got {value!r}")
    for p in cls.parameters:
        if p.check not in _CHECKS:
            raise ModelDefinitionError(f"{name}: parameter {p.name!r} has check={p.check!r}; choose one of "
                                       f"{', '.join(map(repr, _CHECKS))}")
    for o in cls.options:
        if not o.choices or o.default not in o.choices:
            raise ModelDefinitionError(f"{name}: option {o.name!r} has default {o.default!r}, not one of its choices "
                                       f"{o.choices!r}")
    declared = [*(p.name for p in cls.parameters), *(s.name for s in cls.state_variables),
                *(o.name for o in cls.options)]
    for n in declared:
        if not isinstance(n, str) or not n.isidentifier() or n in ("I", "dt"):
            raise ModelDefinitionError(f"{name}: {n!r} cannot name a parameter, state variable or option (it must be "
                                       f"a Python identifier other than 'I' and 'dt', which equations receive)")
    twice = sorted({n for n in declared if declared.count(n) > 1})
    if twice:
        raise ModelDefinitionError(f"{name}: {twice[0]!r} is declared twice (parameters, state variables and options "
                                   f"share one namespace: equations receive them by name)")
    params = _all_parameter_names(cls)
    for s in cls.state_variables:
        if isinstance(s.initial, str) and s.initial not in params:
            raise ModelDefinitionError(f"{name}: state variable {s.name!r} starts at {s.initial!r}, which is not a "
                                       f"parameter; give a number or one of {', '.join(map(repr, sorted(params)))}")
    # abstract bases and spike sources define no equations: nothing more to check
    equations = {key: getattr(cls, key, None) for key in EQUATION_ROLES}
    if all(fn is None for fn in equations.values()):
        return
    if not cls.state_variables:
        raise ModelDefinitionError(f"{name} defines equations but no state variable: declare "
                                   f"state_variables = (fs.StateVariable('v', 'mV', -65.0), ...)")
    unknown = [i for i in cls.integrators if i not in INTEGRATORS]
    if unknown or not cls.integrators:
        raise ModelDefinitionError(f"{name}.integrators = {cls.integrators!r}: {unknown[0]!r} is not an integrator; "
                                   f"known: {', '.join(map(repr, INTEGRATORS))}" if unknown else
                                   f"{name}.integrators is empty; list some of {', '.join(map(repr, INTEGRATORS))}")
    if cls.default_integrator not in cls.integrators:
        raise ModelDefinitionError(f"{name}.default_integrator = {cls.default_integrator!r} is not one of its "
                                   f"integrators {cls.integrators!r}")
    needs = {"exact": "linear", "exponential_euler": "conditionally_linear", "euler": "dynamics", "rk2": "dynamics",
             "rk4": "dynamics"}
    for integrator in cls.integrators:
        if equations[needs[integrator]] is None:
            raise ModelDefinitionError(f"{name} lists the integrator {integrator!r} but defines no "
                                       f"{needs[integrator]} function ({EQUATION_ROLES[needs[integrator]]}); define "
                                       f"it, or remove {integrator!r} from {name}.integrators")
    for key in ("threshold", "reset"):
        if equations[key] is None:
            raise ModelDefinitionError(f"{name} defines no {key} function ({EQUATION_ROLES[key]})")
    if cls.refractory and "t_ref" not in params:
        raise ModelDefinitionError(f"{name}.refractory = True needs a parameter 't_ref' (ms): declare "
                                   f"fs.Parameter('t_ref', 0.0, 'ms', 'refractory period', 'nonnegative'), or set "
                                   f"refractory = False")
    allowed = [*(s.name for s in cls.state_variables), *sorted(params), *(o.name for o in cls.options), "I", "dt"]
    for key, fn in equations.items():
        if fn is None:
            continue
        label = _label(cls, key, fn)
        if not isinstance(fn, types.FunctionType):
            raise ModelDefinitionError(f"{label} must be a plain Python function (def or lambda), got {fn!r}")
        spec = inspect.getfullargspec(fn)
        if spec.varargs or spec.varkw or spec.kwonlyargs or spec.defaults:
            raise ModelDefinitionError(f"{label}: arguments are matched by name and passed by position; write plain "
                                       f"arguments (no defaults, *args, **kwargs or keyword-only arguments): "
                                       f"def {fn.__name__}({', '.join(spec.args)})")
        for a in spec.args:
            if a not in allowed:
                raise ModelDefinitionError(f"{label}: argument {a!r} is not a state variable, parameter or option of "
                                           f"{name}, nor 'I' or 'dt'; allowed: {', '.join(allowed)}")
        check_device_code(fn, label)


# ---------------------------------------------------------------------------------------
# an instance: the equations called once on scalars
# ---------------------------------------------------------------------------------------
def _scalar(x: Any) -> float:
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    return float(arr[0]) if arr.size else 0.0


def _is_number(x: Any) -> bool:
    return isinstance(x, (numbers.Real, np.integer, np.floating, np.bool_)) and not isinstance(x, np.ndarray)


def _kind_of(x: Any) -> str:
    if isinstance(x, tuple):
        return f"a tuple of {len(x)}"
    if isinstance(x, list):
        return f"a list of {len(x)}"
    return f"a {type(x).__name__}"


def check_model(model, dt: float = 0.1) -> None:
    """Call every equation of ``model`` once in plain Python on scalars and check the shape of
    what it returns (see the module docstring). Called when a population is made.

    Raises
    ------
    ModelDefinitionError (a TypeError)
        An equation returns the wrong number of values, something that is not a tuple, or fails
        when called (the message names the function and what it must return).
    """
    from ..equations import equations_of

    cls = type(model)
    state = list(model.state_names)
    if not state:
        return
    n = len(state)
    initial = {k: _scalar(v) for k, v in model.initial_state(1).items()}
    values: dict[str, Any] = {"I": 0.0, "dt": float(dt)}
    values.update({k: _scalar(v) for k, v in model.params.items()})
    values.update({o.name: model.option_code(o.name) for o in model.options})
    values.update(initial)
    for key, fn in equations_of(model).items():
        label = _label(cls, key, fn)
        try:
            args = [values[a] for a in inspect.getfullargspec(fn).args]
        except KeyError as e:
            allowed = [*state, *model.params, *model.option_values, "I", "dt"]
            raise ModelDefinitionError(f"{label}: argument {e.args[0]!r} is not a state variable, parameter or option "
                                       f"of this {cls.__name__}, nor 'I' or 'dt'; allowed: {', '.join(allowed)}") from None
        try:
            out = fn(*args)
        except (ArithmeticError, ValueError):
            continue  # a value that raises in Python (Numba gives inf or nan): the shape cannot be checked here
        except Exception as e:
            given = ", ".join(f"{a}={v!r}" for a, v in zip(inspect.getfullargspec(fn).args, args))
            raise ModelDefinitionError(f"{label} fails when called on scalars ({given}): {type(e).__name__}: {e}") from e
        if key == "input_gain":
            if not _is_number(out):
                raise ModelDefinitionError(f"{label} returned {_kind_of(out)}; it must return one number "
                                           f"({EQUATION_ROLES[key]}), e.g. return R / tau_m")
            continue
        if key == "threshold":
            if not _is_number(out):
                raise ModelDefinitionError(f"{label} returned {_kind_of(out)}; it must return one truth value "
                                           f"({EQUATION_ROLES[key]}), e.g. return v >= v_thresh")
            continue
        want = _PER_VARIABLE[key] * n
        names = ", ".join(state)
        example = {"dynamics": "dv", "reset": "v_reset", "constrain": "v"}.get(key, "a, x0, c")
        if not isinstance(out, tuple):
            hint = f"; write `return {example},` (a tuple of one)" if want == 1 and _is_number(out) else ""
            raise ModelDefinitionError(f"{label} returned {_kind_of(out)} for a model with {n} state variable"
                                       f"{'s' if n > 1 else ''} ({names}); it must return a tuple of {want} "
                                       f"value{'s' if want > 1 else ''}: {EQUATION_ROLES[key]}{hint}")
        if len(out) != want:
            raise ModelDefinitionError(f"{label} returned {len(out)} values for a model with {n} state variable"
                                       f"{'s' if n > 1 else ''} ({names}); it must return {want}: "
                                       f"{EQUATION_ROLES[key]}")
        bad = next((x for x in out if not _is_number(x)), None)
        if bad is not None:
            raise ModelDefinitionError(f"{label} returned {bad!r} among its values; each must be a number")


# ---------------------------------------------------------------------------------------
# the constructor's signature
# ---------------------------------------------------------------------------------------
def model_signature(cls: type) -> inspect.Signature | None:
    """The signature of a model's constructor generated from its declared parameters and
    options (and ``preset`` for models with presets), for ``help()``, IDEs and Jupyter; None
    when the class's ``__init__`` has its own named arguments (spike sources)."""
    from typing import Literal

    init = cls.__init__
    try:
        own = inspect.signature(init)
    except (TypeError, ValueError):  # pragma: no cover
        return None
    named = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD and p.name not in ("self", "preset")]
    if named or not any(p.kind is p.VAR_KEYWORD for p in own.parameters.values()):
        return None
    out = []
    if "preset" in own.parameters:
        out.append(inspect.Parameter("preset", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=str | None))
    for p in cls.parameters:
        required = p.default is None and p.check != "lower_bound"
        out.append(inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY,
                                     default=inspect.Parameter.empty if required else p.default,
                                     annotation=float | np.ndarray | None if p.check == "lower_bound" else float | np.ndarray))
    for o in cls.options:
        out.append(inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.default,
                                     annotation=Literal[o.choices]))
    return inspect.Signature(out, return_annotation=inspect.Signature.empty)


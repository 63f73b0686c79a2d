"""The model base class: how a cell model declares its parameters, state and equations.

A model is pure description. It never imports a backend: the backends read the
declarations below and generate kernels from the model's scalar equation functions,
which are plain Python functions of scalars (no NumPy calls, only ``math``) so that
they compile both with ``numba.njit`` and ``numba.cuda.jit(device=True)``.

The arguments of every equation function are matched **by name**:

- a state variable name (``v``, ``theta``, ...) receives the neuron's current value,
- a parameter name (``tau_m``, ...) receives the parameter (scalar or per neuron),
- an option name (``reset``) receives the option's integer code (a compile-time constant),
- ``I`` receives the total input current of the step (external + synaptic),
- ``dt`` receives the time step (ms).
"""
from __future__ import annotations

import math
import types
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .. import validation

__all__ = ["Parameter", "StateVariable", "Option", "Model"]

# Checks a parameter value can be given; each maps to (predicate, description).
_CHECKS: dict[str, tuple[Callable[[np.ndarray], bool], str]] = {
    "finite": (lambda a: bool(np.all(np.isfinite(a))), "a finite number"),
    "positive": (lambda a: bool(np.all(np.isfinite(a) & (a > 0))), "a finite number > 0"),
    "nonnegative": (lambda a: bool(np.all(np.isfinite(a) & (a >= 0))), "a finite number >= 0"),
    "positive_or_inf": (lambda a: bool(np.all((a > 0) & ~np.isnan(a))), "a number > 0 (inf allowed)"),
    "lower_bound": (lambda a: bool(np.all(~np.isnan(a) & (a < np.inf))), "a number < inf (-inf allowed)"),
}


@dataclass(frozen=True)
class Parameter:
    """A model parameter.

    Parameters
    ----------
    name : str
        Name used in the constructor and in the equation functions.
    default : float
        Default value.
    unit : str
        Physical unit ("ms", "mV", "1", ...), documentation and HDF5 metadata.
    doc : str
        One-line description.
    check : str
        One of ``finite``, ``positive``, ``nonnegative``, ``positive_or_inf``, ``lower_bound``.
    """

    name: str
    default: float
    unit: str
    doc: str = ""
    check: str = "finite"


@dataclass(frozen=True)
class StateVariable:
    """A per-neuron state variable; ``initial`` is a number or the name of a parameter."""

    name: str
    unit: str
    initial: float | str
    doc: str = ""


@dataclass(frozen=True)
class Option:
    """A categorical, structural choice (compiled in as a constant), e.g. the reset mode."""

    name: str
    default: str
    choices: tuple[str, ...]
    doc: str = ""

    def code(self, value: str) -> int:
        return self.choices.index(value)


class Model:
    """Base class of every cell model.

    Subclasses declare the class attributes below; the equations are static scalar
    functions whose arguments are matched by name (see the module docstring).

    Attributes
    ----------
    parameters : tuple of Parameter
    state_variables : tuple of StateVariable
        The first one is the membrane potential (held during the refractory period).
    options : tuple of Option
    integrators : tuple of str
        Integrators the model supports; ``default_integrator`` is used when none is asked for.
    dynamics : function
        Returns the time derivatives (per ms) of all state variables, in declaration order.
    linear : function or None
        For models whose dynamics are linear between spikes (needed by ``"exact"``): returns,
        for every state variable x in order, ``(a, x0, c)`` with ``dx/dt = a (x - x0) + c I``.
    conditionally_linear : function or None
        For models whose every equation is linear in its own variable when the others are
        held (needed by ``"exponential_euler"``, as Hodgkin-Huxley's gates): returns, for
        every state variable x in order, ``(a, b)`` with ``dx/dt = a x + b`` where ``a`` and
        ``b`` may depend on the whole state and ``I`` (``a = b = 0`` for a constant variable).
    input_gain : function or None
        Optional, for ``"exponential_euler"`` with conductance synapses: ``d(dv/dt)/dI``, the
        factor of the input current in the membrane equation (``R / tau_m`` for the LIF,
        ``1 / C_m`` for Hodgkin-Huxley), from the parameters. The integrator then takes the
        conductances into the linear part of ``v``'s equation at the cost of one product;
        without it, at the cost of a second call of ``conditionally_linear``.
    threshold : function
        Returns True when the neuron spikes (called after the step's update).
    reset : function
        Returns the state variables after a spike, in declaration order.
    constrain : function or None
        Applied after every update (for example a lower bound on ``v``); returns the state.
    refractory : bool
        True when the model has a parameter ``t_ref`` (ms) during which its first state
        variable is held and no spike is emitted.
    derived_parameters : tuple of str
        Names that ``__init__`` adds to ``self.params`` beyond the declared parameters (a
        parameter computed from others), so that equations may take them as arguments.

    Notes
    -----
    A subclass is checked when it is defined and when a population of it is made (see
    :mod:`fastspike.models.checks` and the README, *Writing your own model*).
    """

    parameters: tuple[Parameter, ...] = ()
    state_variables: tuple[StateVariable, ...] = ()
    options: tuple[Option, ...] = ()
    integrators: tuple[str, ...] = ("euler", "rk2", "rk4")
    default_integrator: str = "rk2"
    refractory: bool = False
    source: str = ""

    derived_parameters: tuple[str, ...] = ()

    dynamics: Callable | None = None
    linear: Callable | None = None
    conditionally_linear: Callable | None = None
    input_gain: Callable | None = None
    threshold: Callable | None = None
    reset: Callable | None = None
    constrain: Callable | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Check the model when its class is defined, and give its constructor a signature.

        Equation functions assigned without ``staticmethod`` are wrapped in one. Mistakes
        (an argument that names nothing, a refractory model without ``t_ref``, ``"exact"``
        without ``linear``, NumPy in equation code, ...) raise a ``TypeError`` here, naming
        the function, the argument and what is allowed (:mod:`fastspike.models.checks`).
        The constructor's ``inspect.signature`` (``help()``, IDEs, Jupyter) lists the declared
        parameters and options.
        """
        super().__init_subclass__(**kwargs)
        from . import checks

        for key in checks.EQUATION_ROLES:
            value = cls.__dict__.get(key)
            if isinstance(value, types.FunctionType):
                setattr(cls, key, staticmethod(value))
        checks.check_model_class(cls)
        cls.__signature__ = checks.model_signature(cls)

    def __init__(self, **kwargs: object) -> None:
        known = {p.name: p for p in self.parameters}
        opts = {o.name: o for o in self.options}
        unknown = [k for k in kwargs if k not in known and k not in opts]
        if unknown:
            allowed = ", ".join([*known, *opts])
            raise TypeError(
                f"{type(self).__name__}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
                f"allowed: {allowed}"
            )
        self.params: dict[str, float | np.ndarray] = {}
        for name, p in known.items():
            value = kwargs.get(name, p.default)
            self.params[name] = self._check_value(p, value)
        self.option_values: dict[str, str] = {}
        for name, o in opts.items():
            value = kwargs.get(name, o.default)
            if value not in o.choices:
                raise ValueError(
                    f"{type(self).__name__}: {name}={value!r} is not allowed; "
                    f"choose one of {', '.join(map(repr, o.choices))}"
                )
            self.option_values[name] = value
        self._validate()

    # -- validation ---------------------------------------------------------------------
    def _check_value(self, p: Parameter, value: object) -> float | np.ndarray:
        cls = type(self).__name__
        if value is None:
            if p.check == "lower_bound":
                return -math.inf
            raise ValueError(f"{cls}: parameter {p.name} must be given, got None")
        try:
            arr = validation.real_array(value, p.name, cls, check=False)
        except validation.NotANumber as e:
            raise validation.NotANumber(f"{cls}: parameter {p.name}={validation._short(value)} is not a number or an "
                                        f"array of numbers ({e.reason}); it must be {_CHECKS[p.check][1]} ({p.unit})",
                                        e.reason) from None
        if arr.ndim > 1:
            raise ValueError(
                f"{cls}: parameter {p.name} must be a scalar or a 1-D per-neuron array, "
                f"got shape {arr.shape}"
            )
        predicate, allowed = _CHECKS[p.check]
        if arr.size == 0 or not predicate(arr):
            shown = value if arr.ndim == 0 else f"an array containing {_first_bad(arr, predicate)}"
            raise ValueError(f"{cls}: parameter {p.name}={shown} is not allowed; it must be {allowed} ({p.unit})")
        return float(arr) if arr.ndim == 0 else arr

    def _validate(self) -> None:
        """Cross-parameter checks; subclasses extend this."""

    def check_dt(self, dt: float) -> None:
        """Raise if a duration of the model does not fit the engine's counters at step ``dt``
        (ms): the refractory period is counted in int32 steps (``LIF(t_ref=1e10)`` at dt = 0.1
        would wrap to a negative count and let every neuron fire every step)."""
        if self.refractory and "t_ref" in self.params:
            t_ref = float(np.max(self.params["t_ref"]))
            limit = np.iinfo(np.int32).max
            if round(t_ref / dt) > limit:
                raise ValueError(f"{self.name}: t_ref={t_ref:g} ms is {t_ref / dt:.3g} steps of dt = {dt:g} ms; the "
                                 f"refractory counter holds at most {limit} steps ({limit * dt:.3g} ms)")

    # -- introspection used by the network and the backends ----------------------------
    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.state_variables)

    def frozen_state(self) -> tuple[str, ...]:
        """State variables that stay constant with these parameters (not integrated or stored).

        For example a LIF without adaptive threshold (``theta_plus = 0``, ``tau_theta = inf``)
        never changes ``theta``. Backends use this to skip work; the default is none.
        """
        return ()

    def event_state(self) -> tuple[str, ...]:
        """State variables whose derivative is zero: only ``reset`` and ``constrain`` change
        them (a Hodgkin-Huxley cell's crossing detector). Integrators pass them through
        unchanged (the same value their zero derivative gives), so that the compiler drops the
        arithmetic of their integration (exponential Euler's ``expm1`` of a zero rate); they
        are still stored. The default is none."""
        return ()

    @property
    def voltage_membrane(self) -> bool:
        """Whether the membrane variable (the first state variable) is a voltage (unit mV):
        what a conductance synapse, whose current is ``g (E_rev - v)``, needs."""
        return bool(self.state_names) and self.units().get(self.state_names[0]) == "mV"

    def option_code(self, name: str) -> int:
        o = next(o for o in self.options if o.name == name)
        return o.code(self.option_values[name])

    def check_integrator(self, integrator: str | None) -> str:
        """Return the integrator to use, or raise naming those the model supports."""
        if integrator is None:
            return self.default_integrator
        if integrator not in self.integrators:
            raise ValueError(
                f"{self.name} does not support integrator={integrator!r}; "
                f"supported: {', '.join(map(repr, self.integrators))}"
            )
        if integrator == "exponential_euler" and self.conditionally_linear is None:
            raise ValueError(f"{self.name}: integrator='exponential_euler' needs the model's "
                             f"conditionally_linear equations, which it does not define")
        return integrator

    def initial_state(self, n: int) -> dict[str, np.ndarray]:
        """Initial values of every state variable for ``n`` neurons (float64)."""
        out = {}
        for s in self.state_variables:
            init = self.params[s.initial] if isinstance(s.initial, str) else s.initial
            out[s.name] = np.broadcast_to(np.asarray(init, dtype=np.float64), (n,)).copy()
        return out

    def units(self) -> dict[str, str]:
        """The unit of every parameter and state variable as this model's values use them: the
        declared ones, unless the values follow another unit system (a preset in pF, nS, pA)."""
        return {**{p.name: p.unit for p in self.parameters}, **{s.name: s.unit for s in self.state_variables}}

    def current_unit(self) -> str:
        """The unit of the input current ``I``: the one whose product with ``R`` is mV (pA with
        GOhm, nA with MOhm), "" when the model has no resistance in a known unit."""
        return _CURRENT_UNITS.get(self.units().get("R", ""), "")

    def describe(self) -> dict[str, object]:
        """Model name, parameters (with units) and options, for metadata and HDF5."""
        units = self.units()
        return {
            "model": self.name,
            "parameters": {k: v for k, v in self.params.items()},
            "units": {p.name: units.get(p.name, p.unit) for p in self.parameters},
            "options": dict(self.option_values),
        }

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" if np.ndim(v) == 0 else f"{k}=<array {np.shape(v)}>" for k, v in self.params.items()]
        parts += [f"{k}={v!r}" for k, v in self.option_values.items()]
        return f"{self.name}({', '.join(parts)})"


_CURRENT_UNITS = {"GOhm": "pA", "MOhm": "nA", "kOhm": "uA", "Ohm": "mA"}


def _first_bad(arr: np.ndarray, predicate: Callable[[np.ndarray], bool]) -> object:
    for x in arr.ravel():
        if not predicate(np.asarray([x])):
            return x
    return arr.ravel()[0]


def equation_arguments(fn: Callable) -> Sequence[str]:
    """Names of an equation function's arguments (the engine matches them by name)."""
    code = fn.__code__
    return code.co_varnames[: code.co_argcount]


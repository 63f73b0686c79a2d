"""Integrators: one step of a model's dynamics, generated as source from its equations.

Each integrator turns a model's scalar equation functions into the statements of one step
for one neuron (source lines, which the schedule parses into the step program's syntax
trees). They are backend-neutral (plain arithmetic and calls of the model's functions): the
CPU backend runs them in a compiled loop and the CUDA backend in a kernel, from the same
program.

Conventions of the generated lines (set up by :mod:`fastspike.ir.schedule`):
``dt``, ``half_dt``, ``sixth_dt``, ``two`` and ``zero`` are scalars of the network's dtype
and ``math`` is Python's module (both backends compile its functions); the
input current ``I`` is held constant over the step (zero-order hold, as in NEST and
Brian2 for currents given per step).

The ``"exact"`` integrator propagates a linear model (``model.linear``) exactly with the
propagators of NEST's ``iaf_psc_exp`` and ``iaf_psc_alpha`` (Rotter & Diesmann 1999),
including any number of synaptic currents whose kernels are exponential (``exp(-s / tau)``,
:func:`propagator_syn`) or alpha-shaped (``s exp(-s / tau)``, :func:`propagator_alpha`).

Explicit integrators take the input current ``I`` of each of their stages from a callback
(``stage_input``), for channels whose current is evaluated at every stage (conductances:
the stage's ``v`` and the conductance's exact value at the stage's time); without one, ``I``
is held over the step.

The ``"exponential_euler"`` integrator (first order) serves models whose equations are each
linear in their own variable once the other variables are frozen at their values at t
(``model.conditionally_linear`` gives ``dx/dt = a x + b`` per variable), as the gates of
Hodgkin-Huxley: every variable is advanced by the exact solution of its frozen linear
equation, ``x + (a x + b) (exp(a dt) - 1) / a`` (``x + b dt`` when ``a = 0``), as Brian2's
``exponential_euler`` and NEURON's ``cnexp`` (MacGregor 1987; Rush & Larsen 1978). It stays
stable at steps where explicit Euler on the fast gates does not.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

__all__ = ["INTEGRATORS", "KERNEL_SHAPES", "STAGE_OFFSETS", "propagator_exp", "propagator_phi", "propagator_syn",
           "propagator_alpha", "step_lines"]

INTEGRATORS = ("exact", "euler", "rk2", "rk4", "exponential_euler")
KERNEL_SHAPES = ("exp", "alpha")
"""Synaptic kernels the exact integrator propagates: ``exp(-s / tau)``, ``s exp(-s / tau)``."""
STAGE_OFFSETS = {"euler": ("zero",), "rk2": ("zero", "half_dt"), "rk4": ("zero", "half_dt", "half_dt", "dt"),
                 "exponential_euler": ("zero",)}
"""The times into the step (names of the kernel's constants) at which each explicit
integrator evaluates the dynamics, stage by stage."""


# -- exact propagators (scalar functions, compiled for each backend) ----------------------
def propagator_exp(a, dt):
    """exp(a dt): propagator of dx/dt = a x over one step."""
    return math.exp(a * dt)


def propagator_phi(a, dt):
    """(exp(a dt) - 1) / a (ms), the response to a constant input over one step; dt when a == 0."""
    if a == 0.0:
        return dt
    return math.expm1(a * dt) / a


def propagator_syn(a, tau_syn, dt):
    """Response (ms) of dx/dt = a x + J(t) to J(t) = exp(-t / tau_syn) over one step.

    ``(exp(a dt) - exp(-dt / tau_syn)) / (a + 1 / tau_syn)``, NEST's P21 up to the factor
    ``c`` (1/C). Written with ``expm1`` it stays accurate as ``a + 1/tau_syn`` goes to zero,
    and equals its limit ``dt exp(a dt)`` when ``-1/a == tau_syn`` exactly (NEST's
    ``tau_m == tau_syn`` case).
    """
    x = a + 1.0 / tau_syn
    if x == 0.0:
        return dt * math.exp(a * dt)
    return math.exp(a * dt) * (-math.expm1(-x * dt)) / x


def propagator_alpha(a, tau_syn, dt):
    """Response (ms^2) of dx/dt = a x + J(t) to J(t) = t exp(-t / tau_syn) over one step.

    ``exp(a dt) (1 - exp(-y) (1 + y)) / x^2`` with ``x = a + 1 / tau_syn``, ``y = x dt``:
    NEST's P31 of ``iaf_psc_alpha`` up to the factor ``c`` (1/C). The bracket is summed as a
    series for ``|y| < 0.5`` (it cancels to ``y^2 / 2`` as x goes to zero), so it stays
    accurate near and at ``-1/a == tau_syn`` (NEST's singular ``tau_m == tau_syn`` case,
    where it is ``dt^2 exp(a dt) / 2``).
    """
    x = a + 1.0 / tau_syn
    y = x * dt
    if abs(y) < 0.5:
        # (1 - e^-y (1 + y)) / y^2 = sum_{k>=2} (-1)^k (k - 1) y^(k-2) / k!
        term = 0.5  # k = 2
        total = 0.5
        k = 2
        while k < 24:
            k += 1
            term = -term * y * (k - 1) / ((k - 2) * k)
            total += term
        return math.exp(a * dt) * dt * dt * total
    return math.exp(a * dt) * (-math.expm1(-y) - y * math.exp(-y)) / (x * x)


# -- source generation ---------------------------------------------------------------------
def exponential_euler_coefficients(prefix: str, k: int) -> list[str]:
    """The locals of exponential Euler's coefficients, ``dx_j/dt = a_j x_j + b_j`` with the
    other variables frozen: ``[a_0, b_0, a_1, b_1, ...]`` for ``k`` state variables."""
    return [f"{prefix}{tag}_{j}" for j in range(k) for tag in ("ea", "eb")]


Call = Callable[..., str]
"""call(equation, state_names[, input_name]) -> source of a call of the model's equation
``equation`` with the given local names for its state arguments (and the local holding its
input ``I``, ``I_`` unless given)."""
StageInput = Callable[[Sequence[str], str, str], tuple[list[str], str]]
"""stage_input(state_names, offset, tag) -> (lines, input_name): lines computing the input
current of the stage whose state is in ``state_names`` at ``offset`` (a name of
:data:`STAGE_OFFSETS`) into the step, and the local holding it (``tag`` makes its names unique)."""


def step_lines(
    integrator: str,
    state: Sequence[str],
    new: Sequence[str],
    call: Call,
    prefix: str,
    stage_input: StageInput | None = None,
    conductance: str | None = None,
    input_gain: str | None = None,
) -> list[str]:
    """Source lines of one explicit step: the locals ``new`` get the state after ``dt``.
    For ``"exponential_euler"`` the last ``len(state)`` lines are the updates, one per state
    variable in order, and the lines before them compute the coefficients
    (:func:`exponential_euler_coefficients`): the schedule may cut a loop between the two.

    Parameters
    ----------
    integrator : {"euler", "rk2", "rk4", "exponential_euler"}
    state : local names holding the state at time t (one per state variable)
    new : local names to assign the state at t + dt
    call : builds the source of a call of the model's ``dynamics`` (``conditionally_linear``
        for ``"exponential_euler"``) on given state names
    prefix : unique prefix for temporaries
    stage_input : None (the input ``I_`` is held over the step) or a callback giving the input
        of each stage (its state and its time into the step, :data:`STAGE_OFFSETS`)
    conductance : ``"exponential_euler"`` only: the expression of the conductance (1/R units)
        by which the stage input falls per mV of the membrane variable (the first state
        variable), ``I = I_0 - G v``; it is then taken into the linear part of ``v``'s
        equation (held over the step) instead of being held at the start's ``v``
    input_gain : with ``conductance``: the source of a call of the model's ``input_gain``
        (``d(dv/dt)/dI``); without it, ``conditionally_linear`` is called a second time to
        find it
    """
    k = len(state)
    offsets = STAGE_OFFSETS.get(integrator, ())

    def stage(st: Sequence[str], j: int, tag: str) -> tuple[list[str], tuple[str, ...]]:
        """The lines of stage ``j``'s input and the extra argument of its call."""
        if stage_input is None:
            return [], ()
        lines_, name = stage_input(st, offsets[j], tag)
        return lines_, (name,)

    def names(tag: str) -> list[str]:
        return [f"{prefix}{tag}_{j}" for j in range(k)]

    def unpack(targets: Sequence[str], expr: str) -> str:
        return f"{', '.join(targets)}, = {expr}"

    def axpy(targets: Sequence[str], base: Sequence[str], h: str, slopes: Sequence[str]) -> list[str]:
        return [f"{t} = {b} + {h} * {s}" for t, b, s in zip(targets, base, slopes)]

    if integrator == "exponential_euler":  # the coefficients, then the last k lines: the updates
        coeffs = exponential_euler_coefficients(prefix, k)
        lines, extra = stage(state, 0, "1")
        if conductance is not None:  # dv/dt = a v + b(I_0 - G v) = (a - k G) v + b(I_0), k = db/dI
            G, I0 = f"{prefix}G", f"{prefix}IG"
            lines += [f"{G} = {conductance}", f"{I0} = {extra[0] if extra else 'I_'} + {G} * {state[0]}"]
            if input_gain is None:
                lines.append(f"{I0}m = {I0} - {G}")
            lines.append(unpack(coeffs, call("conditionally_linear", state, I0)))
            if input_gain is not None:
                lines.append(f"{coeffs[0]} = {coeffs[0]} - {input_gain} * {G}")
            else:
                other = [f"{prefix}{tag}_{j}" for j in range(k) for tag in ("fa", "fb")]
                lines.append(unpack(other, call("conditionally_linear", state, f"{I0}m")))
                lines.append(f"{coeffs[0]} = {coeffs[0]} - ({coeffs[1]} - {other[1]})")
        else:
            lines.append(unpack(coeffs, call("conditionally_linear", state, *extra)))
        for j, (x, n) in enumerate(zip(state, new)):
            a, b_ = coeffs[2 * j], coeffs[2 * j + 1]
            # (exp(a dt) - 1) / a, written with expm1 (accurate for small a dt); dt when a == 0
            lines.append(f"{n} = {x} + ({a} * {x} + {b_}) * (math.expm1({a} * dt) / {a} if {a} != zero else dt)")
        return lines

    def dynamics(st: Sequence[str], j: int, targets: Sequence[str]) -> list[str]:
        lines_, extra = stage(st, j, str(j + 1))
        return lines_ + [unpack(targets, call("dynamics", st, *extra))]

    if integrator not in ("euler", "rk2", "rk4"):
        raise ValueError(f"unknown integrator {integrator!r}; known: {', '.join(INTEGRATORS)}")
    k1 = names("k1")
    lines = dynamics(state, 0, k1)
    if integrator == "euler":
        return lines + axpy(new, state, "dt", k1)
    if integrator == "rk2":  # explicit midpoint
        y, k2 = names("y"), names("k2")
        lines += axpy(y, state, "half_dt", k1)
        lines += dynamics(y, 1, k2)
        return lines + axpy(new, state, "dt", k2)
    if integrator == "rk4":
        y1, y2, y3 = names("ya"), names("yb"), names("yc")
        k2, k3, k4 = names("k2"), names("k3"), names("k4")
        lines += axpy(y1, state, "half_dt", k1)
        lines += dynamics(y1, 1, k2)
        lines += axpy(y2, state, "half_dt", k2)
        lines += dynamics(y2, 2, k3)
        lines += axpy(y3, state, "dt", k3)
        lines += dynamics(y3, 3, k4)
        lines += [
            f"{n} = {s} + sixth_dt * ({a} + two * {b} + two * {c} + {d})"
            for n, s, a, b, c, d in zip(new, state, k1, k2, k3, k4)
        ]
        return lines
    raise ValueError(f"unknown integrator {integrator!r}; known: {', '.join(INTEGRATORS)}")


def exact_coefficient_lines(state: Sequence[str], call_linear: str, prefix: str, cast: str,
                            channel_kernels: Sequence[tuple[str, str]]
                            ) -> tuple[list[str], list[tuple[str, str, str, list[str]]]]:
    """Lines computing the exact propagators of a linear model.

    Returns the lines and, per state variable, ``(x0, P, F, [Q_k])``: the new value is
    ``x0 + P (x - x0) + F I_ext + sum_k Q_k y_k`` where ``y_k`` are the synaptic channels'
    kernel variables at time t, ``channel_kernels`` their ``(shape, tau)`` (a shape of
    :data:`KERNEL_SHAPES`, the time constant's source): one unit of ``y_k`` gives the current
    ``exp(-s / tau)`` (``"exp"``, NEST's P21/P32) or ``s exp(-s / tau)`` (``"alpha"``,
    NEST's P31) ``s`` ms later.
    """
    k = len(state)
    a = [f"{prefix}a_{j}" for j in range(k)]
    x0 = [f"{prefix}x0_{j}" for j in range(k)]
    c = [f"{prefix}c_{j}" for j in range(k)]
    flat = [name for j in range(k) for name in (a[j], x0[j], c[j])]
    lines = [f"{', '.join(flat)}, = {call_linear}"]
    out = []
    for j in range(k):
        P, F = f"{prefix}P_{j}", f"{prefix}F_{j}"
        lines.append(f"{P} = {cast}(_propagator_exp({a[j]}, dt))")
        lines.append(f"{F} = {cast}(_propagator_phi({a[j]}, dt) * {c[j]})")
        lines.append(f"{x0[j]} = {cast}({x0[j]})")
        qs = []
        for m, (shape, tau) in enumerate(channel_kernels):
            Q = f"{prefix}Q_{j}_{m}"
            fn = "_propagator_syn" if shape == "exp" else "_propagator_alpha"
            lines.append(f"{Q} = {cast}({fn}({a[j]}, {tau}, dt) * {c[j]})")
            qs.append(Q)
        out.append((x0[j], P, F, qs))
    return lines, out

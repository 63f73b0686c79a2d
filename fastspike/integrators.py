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
propagators of NEST's ``iaf_psc_exp`` (Rotter & Diesmann 1999), including any number of
exponentially decaying synaptic currents; see :func:`propagator_syn`.

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

__all__ = ["INTEGRATORS", "propagator_exp", "propagator_phi", "propagator_syn", "step_lines"]

INTEGRATORS = ("exact", "euler", "rk2", "rk4", "exponential_euler")


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


# -- source generation ---------------------------------------------------------------------
Call = Callable[[str, Sequence[str]], str]
"""call(equation, state_names) -> source of a call of the model's equation ``equation``
with the given local names for its state arguments."""


def step_lines(
    integrator: str,
    state: Sequence[str],
    new: Sequence[str],
    call: Call,
    prefix: str,
) -> list[str]:
    """Source lines of one explicit step: the locals ``new`` get the state after ``dt``.

    Parameters
    ----------
    integrator : {"euler", "rk2", "rk4", "exponential_euler"}
    state : local names holding the state at time t (one per state variable)
    new : local names to assign the state at t + dt
    call : builds the source of a call of the model's ``dynamics`` (``conditionally_linear``
        for ``"exponential_euler"``) on given state names
    prefix : unique prefix for temporaries
    """
    k = len(state)

    def names(tag: str) -> list[str]:
        return [f"{prefix}{tag}_{j}" for j in range(k)]

    def unpack(targets: Sequence[str], expr: str) -> str:
        return f"{', '.join(targets)}, = {expr}"

    def axpy(targets: Sequence[str], base: Sequence[str], h: str, slopes: Sequence[str]) -> list[str]:
        return [f"{t} = {b} + {h} * {s}" for t, b, s in zip(targets, base, slopes)]

    if integrator == "exponential_euler":
        coeffs = [f"{prefix}{tag}_{j}" for j in range(k) for tag in ("ea", "eb")]
        lines = [unpack(coeffs, call("conditionally_linear", state))]
        for j, (x, n) in enumerate(zip(state, new)):
            a, b_ = coeffs[2 * j], coeffs[2 * j + 1]
            # (exp(a dt) - 1) / a, written with expm1 (accurate for small a dt); dt when a == 0
            lines.append(f"{n} = {x} + ({a} * {x} + {b_}) * (math.expm1({a} * dt) / {a} if {a} != zero else dt)")
        return lines

    k1 = names("k1")
    lines = [unpack(k1, call("dynamics", state))]
    if integrator == "euler":
        return lines + axpy(new, state, "dt", k1)
    if integrator == "rk2":  # explicit midpoint
        y, k2 = names("y"), names("k2")
        lines += axpy(y, state, "half_dt", k1)
        lines.append(unpack(k2, call("dynamics", y)))
        return lines + axpy(new, state, "dt", k2)
    if integrator == "rk4":
        y1, y2, y3 = names("ya"), names("yb"), names("yc")
        k2, k3, k4 = names("k2"), names("k3"), names("k4")
        lines += axpy(y1, state, "half_dt", k1)
        lines.append(unpack(k2, call("dynamics", y1)))
        lines += axpy(y2, state, "half_dt", k2)
        lines.append(unpack(k3, call("dynamics", y2)))
        lines += axpy(y3, state, "dt", k3)
        lines.append(unpack(k4, call("dynamics", y3)))
        lines += [
            f"{n} = {s} + sixth_dt * ({a} + two * {b} + two * {c} + {d})"
            for n, s, a, b, c, d in zip(new, state, k1, k2, k3, k4)
        ]
        return lines
    raise ValueError(f"unknown integrator {integrator!r}; known: {', '.join(INTEGRATORS)}")


def exact_coefficient_lines(state: Sequence[str], call_linear: str, prefix: str, cast: str,
                            channel_taus: Sequence[str]) -> tuple[list[str], list[tuple[str, str, str, list[str]]]]:
    """Lines computing the exact propagators of a linear model.

    Returns the lines and, per state variable, ``(x0, P, F, [Q_k])``: the new value is
    ``x0 + P (x - x0) + F I_ext + sum_k Q_k I_k`` where ``I_k`` are the exponential
    synaptic currents at time t with time constants ``channel_taus``.
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
        for m, tau in enumerate(channel_taus):
            Q = f"{prefix}Q_{j}_{m}"
            lines.append(f"{Q} = {cast}(_propagator_syn({a[j]}, {tau}, dt) * {c[j]})")
            qs.append(Q)
        out.append((x0[j], P, F, qs))
    return lines, out

"""Generate the source of a network's step sequence from its populations' models.

The generator is backend-neutral: it produces

- ``prelude``: lines run once per compiled call (uniform parameters, propagators),
- ``per_step``: lines run at the start of every step (input pointers),
- ``checks``: conditions under which the call returns early to let Python drain buffers,
- one ``body`` per population: the update of neuron ``i`` for one step,
- ``after``: lines run at the end of every step (state sampling),

plus the ordered list of array arguments and of the scalar functions (model equations,
propagators) the code calls. The CPU backend wraps the bodies in ``for i in range(n)``
loops inside one ``@njit`` function; a GPU backend wraps the same text in kernels.

Naming in the generated code: population ``p`` owns ``p{p}_<var>`` (state arrays),
``P{p}_<param>`` (parameter arrays, length 1 or n), ``q{p}_<param>`` (parameter values),
``s{p}_<var>``/``n{p}_<var>`` (state before/after the step) and ``I{p}`` (input current).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from .. import integrators
from ..inputs import ArrayCurrent, ConstantCurrent, SteppedCurrent
from ..equations import argument_kinds, equations_of
from ..models.base import equation_arguments
from ..recording import SpikeRecord, StateRecord

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network, Population

__all__ = ["StepProgram", "generate"]

SPIKE_BUFFER_MIN = 1 << 16


@dataclass
class StepProgram:
    """A network's step sequence as source text, arguments and called functions."""

    dtype: np.dtype
    args: list[tuple[str, np.ndarray]] = field(default_factory=list)
    functions: dict[str, Callable] = field(default_factory=dict)
    prelude: list[str] = field(default_factory=list)
    per_step: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    bodies: list[tuple[int, list[str]]] = field(default_factory=list)  # (n, lines) per population
    after: list[str] = field(default_factory=list)
    spike_records: list[tuple[SpikeRecord, str, str]] = field(default_factory=list)  # record, steps arg, idx arg
    state_records: list[tuple[StateRecord, str, dict[str, str]]] = field(default_factory=list)

    def arg(self, name: str, value: np.ndarray) -> str:
        self.args.append((name, value))
        return name

    def function(self, name: str, fn: Callable) -> str:
        self.functions[name] = fn
        return name


def generate(net: "Network", sample_rows: int) -> StepProgram:
    """Build the :class:`StepProgram` of ``net``; state buffers hold ``sample_rows`` samples."""
    prog = StepProgram(net.dtype)
    prog.function("_propagator_exp", integrators.propagator_exp)
    prog.function("_propagator_phi", integrators.propagator_phi)
    prog.function("_propagator_syn", integrators.propagator_syn)
    spike_recs = [r for r in net.records if isinstance(r, SpikeRecord)]
    state_recs = [r for r in net.records if isinstance(r, StateRecord)]
    recorded_I = {r.population.index for r in state_recs if "I" in r.variables}
    for pop in net.populations:
        _population(prog, pop, [(k, r) for k, r in enumerate(spike_recs) if r.population is pop],
                    pop.index in recorded_I)
    for k, rec in enumerate(state_recs):
        _state_record(prog, k, rec, sample_rows)
    return prog


def _population(prog: StepProgram, pop: "Population", spike_recs, record_I: bool) -> None:
    p, model, dt = pop.index, pop.model, pop.network.dt
    state = list(pop.state_names)
    s_loc = [f"s{p}_{v}" for v in state]
    n_loc = [f"n{p}_{v}" for v in state]
    body: list[str] = []

    # parameters: hoisted when uniform, loaded per neuron otherwise
    used = set()
    for fn in equations_of(model).values():
        used.update(a for a in equation_arguments(fn) if a in pop.params)
    per_neuron = set()
    for name in sorted(used):
        arr = prog.arg(f"P{p}_{name}", pop.params[name])
        if pop.params[name].size == 1:
            prog.prelude.append(f"q{p}_{name} = {arr}[0]")
        else:
            per_neuron.add(name)
            body.append(f"q{p}_{name} = {arr}[i]")

    def call(key: str, locals_: list[str]) -> str:
        fn = getattr(model, key)
        gname = prog.function(f"_eq{p}_{key}", fn)
        out = []
        for a, kind in zip(equation_arguments(fn), argument_kinds(model, fn)):
            if kind == "state":
                out.append(locals_[state.index(a)])
            elif kind == "option":
                out.append(str(model.option_code(a)))
            else:
                out.append({"param": f"q{p}_{a}", "input": f"I{p}", "dt": "dt"}[kind])
        return f"{gname}({', '.join(out)})"

    # load state, sum the input current
    for v, s in zip(state, s_loc):
        body.append(f"{s} = {prog.arg(f'p{p}_{v}', pop.state[v])}[i]")
    body.append(f"I{p} = {' + '.join(['zero', *_current_terms(prog, pop)])}")
    if record_I:
        prog.arg(f"p{p}_I", np.zeros(pop.n, pop.network.dtype))
        body.append(f"p{p}_I[i] = I{p}")

    # integrate
    frozen = set(model.frozen_state())
    if pop.integrator == "exact":
        lin_args = equation_arguments(model.linear)
        lines, coeffs = integrators.exact_coefficient_lines(state, call("linear", s_loc), f"e{p}_", "_cast", [])
        (body if per_neuron.intersection(lin_args) else prog.prelude).extend(lines)
        for v, s, n_, (x0, P, F, qs) in zip(state, s_loc, n_loc, coeffs):
            body.append(f"{n_} = {s}" if v in frozen else f"{n_} = {x0} + {P} * ({s} - {x0}) + {F} * I{p}")
    else:
        body.extend(integrators.step_lines(pop.integrator, s_loc, n_loc, call, f"t{p}_"))
        # frozen variables keep their value; the compiler then drops their (dead) arithmetic
        body.extend(f"{n_} = {s}" for v, s, n_ in zip(state, s_loc, n_loc) if v in frozen)
    if model.constrain is not None:
        body.append(f"{', '.join(n_loc)}, = {call('constrain', n_loc)}")

    # threshold, reset, refractory period, spike recording
    spike = [f"{', '.join(n_loc)}, = {call('reset', n_loc)}"]
    for k, rec in spike_recs:
        cap = max(2 * pop.n, SPIKE_BUFFER_MIN)
        steps = prog.arg(f"SS{k}", np.zeros(cap, np.int64))
        idx = prog.arg(f"SN{k}", np.zeros(cap, np.int32))
        prog.spike_records.append((rec, steps, idx))
        prog.checks.append(f"spike_count[{k}] > {cap - pop.n}")
        store = [f"k_ = spike_count[{k}]", f"{steps}[k_] = step + 1", f"{idx}[k_] = i",
                 f"spike_count[{k}] = k_ + 1"]
        if rec.selection is not None:
            mask = np.zeros(pop.n, np.bool_)
            mask[rec.selection] = True
            spike += [f"if {prog.arg(f'SM{k}', mask)}[i]:", *("    " + ln for ln in store)]
        else:
            spike += store
    test = call("threshold", n_loc)
    if model.refractory:
        rc = prog.arg(f"RC{p}", pop.refractory_count)
        steps = np.rint(np.asarray(pop.model.params["t_ref"]) / dt).astype(np.int32).reshape(-1)
        rs = prog.arg(f"RS{p}", steps[:1] if np.all(steps == steps[0]) else steps)
        ref = f"{rs}[0]" if steps.size == 1 or np.all(steps == steps[0]) else f"{rs}[i]"
        body += [f"r_ = {rc}[i]", "if r_ > 0:", f"    {n_loc[0]} = {s_loc[0]}", f"    {rc}[i] = r_ - 1",
                 f"elif {test}:", *("    " + ln for ln in spike), f"    {rc}[i] = {ref}"]
    else:
        body += [f"if {test}:", *("    " + ln for ln in spike)]
    for v, n_ in zip(state, n_loc):
        if v not in frozen:
            body.append(f"p{p}_{v}[i] = {n_}")
    prog.bodies.append((pop.n, body))


def _current_terms(prog: StepProgram, pop: "Population") -> list[str]:
    p, terms = pop.index, []
    dtype = pop.network.dtype
    for j, cur in enumerate(pop.currents):
        tag = f"{p}_{j}"
        if isinstance(cur, ConstantCurrent):
            arr = prog.arg(f"CC{tag}", cur.values.astype(dtype))
            if cur.values.size == 1:
                prog.prelude.append(f"cc{tag} = {arr}[0]")
                terms.append(f"cc{tag}")
            else:
                terms.append(f"{arr}[i]")
        elif isinstance(cur, SteppedCurrent):
            steps = prog.arg(f"CS{tag}", cur.steps)
            amps = prog.arg(f"CA{tag}", cur.amplitudes.astype(dtype))
            prog.prelude.append(f"ptr{tag} = 0")
            prog.per_step.append(f"while ptr{tag} < {cur.steps.size} and {steps}[ptr{tag}] <= step:")
            prog.per_step.append(f"    ptr{tag} += 1")
            terms.append(f"{amps}[ptr{tag}]" if cur.amplitudes.ndim == 1 else f"{amps}[ptr{tag}, i]")
        elif isinstance(cur, ArrayCurrent):
            padded = np.concatenate([cur.values, np.zeros((1, pop.n))]).astype(dtype)
            arr = prog.arg(f"CR{tag}", padded)
            prog.per_step.append(f"row{tag} = min(step, {cur.values.shape[0]})")
            terms.append(f"{arr}[row{tag}, i]")
        else:  # pragma: no cover - as_current() only makes the kinds above
            raise TypeError(f"unknown current {cur!r}")
    return terms


def _state_record(prog: StepProgram, k: int, rec: StateRecord, rows: int) -> None:
    p, m = rec.population.index, len(rec.neurons)
    idx = prog.arg(f"X{k}", rec.neurons.astype(np.int64))
    steps = prog.arg(f"ST{k}", np.zeros(rows, np.int64))
    bufs = {v: prog.arg(f"SV{k}_{v}", np.zeros((rows, m), prog.dtype)) for v in rec.variables}
    prog.state_records.append((rec, steps, bufs))
    prog.checks.append(f"sample_count[{k}] >= {rows}")
    prog.after += [f"if (step + 1) % {rec.every} == 0:", f"    row_ = sample_count[{k}]",
                   f"    {steps}[row_] = step + 1", f"    for j_ in range({m}):", f"        n_ = {idx}[j_]"]
    prog.after += [f"        {buf}[row_, j_] = p{p}_{v}[n_]" for v, buf in bufs.items()]
    prog.after.append(f"    sample_count[{k}] = row_ + 1")

"""snnTorch tutorial 2 (Lapicque's LIF neuron) reproduced with fastspike.

snnTorch's ``snn.Lapicque(R, C, time_step=1e-3)`` integrates ``R C dU/dt = -U + R I`` with
forward Euler at 1 ms per step; here ``fs.Lapicque(R=..., C=...)`` with
``integrator="euler"`` and ``dt = 1`` ms. fastspike's times are in ms, so ``C`` is given
such that ``R C`` is in ms: snnTorch's ``R=5, C=1e-3`` (tau = 5e-3 s) is ``R=5, C=1``
(tau = 5 ms) and ``R=5.1, C=5e-3`` (tau = 25.5e-3 s) is ``R=5.1, C=5``.

Sections (as in the tutorial):

(a) 3.1 decay from ``U = 0.9`` without input (R=5, C=1), 100 steps;
(b) 3.2 step current 0.1 switched on at step 10 for 190 steps: U relaxes to I R = 0.5;
(c) 3.3 three pulses of roughly the same charge starting at step 10: 0.1 for 20 steps,
    0.111 for 10 steps, 0.147 for 5 steps (one population of 3 neurons, one column each);
(d) 3.4 firing: threshold 1, R=5.1, C=5, step of 0.2 from step 10 -> first spike at 109 ms;
(e) 3.5/3.6 random input spikes (Bernoulli(0.4) per step, fed directly as the current, as
    snnTorch does) into neurons with threshold 0.5, U(0) = 0.5, and the three reset
    mechanisms: "subtract" (snnTorch's default), "value" (snnTorch's "zero") and "none".

Time stamps: snnTorch's ``mem_rec`` starts with the initial value; fastspike samples the
state after each step (at ``dt, 2 dt, ...``), so ``trace.v[k]`` is snnTorch's
``mem_rec[k + 1]``, and a spike of the step ``k`` is stamped ``(k + 1) dt`` (snnTorch's
``spk_rec[k + 1]``). One difference remains visible in the plots: snnTorch applies the
reset one step after the spike (the recorded U crosses the threshold, then drops), while
fastspike resets within the step (the recorded v never stays above threshold).

Run::

    python examples/snntorch_lapicque.py [--out DIR]
"""
from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

import numpy as np

import fastspike as fs

DT = 1.0  # ms (snnTorch: time_step = 1e-3 s)
STEPS = 200


def pulse(amplitude: float, start: int, length: int, steps: int = STEPS) -> np.ndarray:
    """A current of ``amplitude`` on the steps ``start .. start + length - 1``, 0 elsewhere."""
    cur = np.zeros(steps)
    cur[start:start + length] = amplitude
    return cur


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output",
                        help="folder for the PNG files (default: examples/output)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random input spikes of (e)")
    args = parser.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    # (a) decay without stimulus ----------------------------------------------------------
    net = fs.Network(dt=DT)
    pop = net.population(fs.Lapicque(R=5.0, C=1.0), n=1, integrator="euler")
    pop.v = 0.9
    trace = net.record(pop, "v")
    net.run(100 * DT)
    print(f"(a) decay from v=0.9, tau=5 ms: v(5 ms) = {trace.v[4, 0]:.4f} "
          f"(Euler: 0.9*0.8**5 = {0.9 * 0.8 ** 5:.4f}), v(100 ms) = {trace.v[-1, 0]:.2e}")
    fs.plot.traces(trace, title="Lapicque's Neuron Model Without Stimulus", fname=out / "snntorch_a_decay.png")

    # (b) step input ----------------------------------------------------------------------
    net = fs.Network(dt=DT)
    pop = net.population(fs.Lapicque(R=5.0, C=1.0), n=1, integrator="euler")
    net.current(pop, pulse(0.1, 10, 190)[:, None])  # same as fs.StepCurrent([10.0], [0.1])
    trace = net.record(pop, ["v", "I"])
    net.run(STEPS * DT)
    print(f"(b) step response: I R = {0.1 * 5.0:.3f}, steady state v = {trace.v[-1, 0]:.6f}")
    fs.plot.neuron(trace, title="Lapicque's Neuron Model With Step Input", fname=out / "snntorch_b_step.png")

    # (c) three pulses of about equal charge (one neuron per pulse) ---------------------------
    pulses = [(0.1, 20), (0.111, 10), (0.147, 5)]
    net = fs.Network(dt=DT)
    pop = net.population(fs.Lapicque(R=5.0, C=1.0), n=len(pulses), integrator="euler")
    net.current(pop, np.stack([pulse(a, 10, n) for a, n in pulses], axis=1))
    trace = net.record(pop, ["I", "v"])
    net.run(STEPS * DT)
    peaks = trace.v.max(axis=0)
    for (a, n), peak in zip(pulses, peaks):
        print(f"(c) pulse {a:.3f} for {n:2d} ms: peak v = {peak:.4f}")
    fs.plot.traces(trace, title="Lapicque's Neuron Model With Input Pulse: Varying inputs",
                   fname=out / "snntorch_c_pulses.png")

    # (d) firing with a threshold ---------------------------------------------------------
    net = fs.Network(dt=DT)
    pop = net.population(fs.Lapicque(R=5.1, C=5.0, threshold=1.0), n=1, integrator="euler")
    net.current(pop, fs.StepCurrent([10.0], [0.2]))
    spikes = net.record(pop, "spikes")
    trace = net.record(pop, ["v", "I"])
    net.run(STEPS * DT)
    first = spikes.times[0] if len(spikes) else float("nan")
    print(f"(d) tau = R C = {5.1 * 5.0:.1f} ms; first spike at {first:.0f} ms; {len(spikes)} spike(s)")
    fs.plot.neuron(trace, spikes, threshold=1.0, title="Lapicque Neuron Model With Step Input",
                   fname=out / "snntorch_d_firing.png")

    # (e) random input spikes and the reset mechanisms -------------------------------------
    net = fs.Network(dt=DT, seed=args.seed)
    spk_in = (net.rng.random((STEPS, 1)) < 0.4).astype(np.float64)
    print(f"(e) there are {int(spk_in.sum())} total spikes out of {STEPS} time steps")
    records = {}
    for reset in ("subtract", "value", "none"):
        pop = net.population(fs.Lapicque(R=5.1, C=5.0, threshold=0.5, reset=reset), n=1, name=reset,
                             integrator="euler")
        pop.v = 0.5
        net.current(pop, spk_in)  # the spike (0 or 1) is the current, as in snnTorch
        records[reset] = (net.record(pop, "spikes"), net.record(pop, ["v", "I"]))
    net.run(STEPS * DT)
    for reset, (spk, trace) in records.items():
        print(f"(e) reset={reset!r:10}: {len(spk):3d} output spikes, max v = {trace.v.max():.3f}")
        fs.plot.neuron(trace, spk, threshold=0.5, title=f"Lapicque's Neuron Model With Input Spikes, reset={reset}",
                       fname=out / f"snntorch_e_reset_{reset}.png")
    steps_in = np.flatnonzero(spk_in[:, 0])
    inputs = SimpleNamespace(times=(steps_in + 1) * DT, neurons=np.zeros(steps_in.size, dtype=np.int64), n=1,
                             name="input")
    fs.plot.raster([inputs] + [spk for spk, _ in records.values()], marker="|", s=80,
                   title="Input spikes and output spikes per reset mechanism", fname=out / "snntorch_e_raster.png")
    print(f"wrote {len(list(out.glob('snntorch_*.png')))} figures to {out}")


if __name__ == "__main__":
    main()

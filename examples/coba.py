"""B6: the COBA network (Vogels & Abbott 2005; Brette et al. 2007, benchmark 1).

4000 LIF neurons (3200 excitatory, 800 inhibitory; C_m 200 pF, g_L 10 nS, E_L = v_reset = -60
mV, threshold -50 mV, 5 ms refractory), exponential conductance synapses (6 nS, 5 ms, 0 mV;
67 nS, 10 ms, -80 mV), connection probability 0.02, delay one step; v0 uniform in [-60, -50)
mV, initial conductances normal as in Brette et al.'s reference script. Integrated with Euler
(the method of Brian2's COBA example) unless ``--integrator`` says otherwise. The reference
rates are the medians over 5 seeds of Brian2 2.9 and NEST 3.10 measured side by side
(benchmarks/peers.py, README).

Run::

    python examples/coba.py                  # 1 s of bio time, writes examples/output/coba.png
    python examples/coba.py --integrator rk2 --duration 5000
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from _report import run_and_report

from fastspike.networks import standard

REFERENCE = {"exc": 19.0, "inh": 19.0}  # Hz, Brian2/NEST (README, B6)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1000.0, help="bio time (ms)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--integrator", default="euler", choices=["euler", "exponential_euler", "rk2", "rk4"])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    net, pops = standard.coba(seed=args.seed, dtype=args.dtype, integrator=args.integrator)
    run_and_report("COBA", net, pops, time.perf_counter() - t0, args.duration, out=args.out,
                   reference=REFERENCE, reference_label=", Brian2 and NEST")


if __name__ == "__main__":
    main()

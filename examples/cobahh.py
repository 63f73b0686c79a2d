"""B7: the COBAHH network (Brette et al. 2007, benchmark 3).

B6's network (examples/coba.py) of Traub-Miles Hodgkin-Huxley neurons
(``fs.HodgkinHuxleyTraub``, NEST ``hh_cond_exp_traub``; area 20000 um^2: C_m 200 pF, g_L 10 nS,
g_Na 20 uS, g_K 6 uS, E_L -60, E_K -90, E_Na 50, V_T -63 mV), a spike at each upward crossing
of -20 mV, exponential Euler (Brian2's COBAHH example); v0 = E_L + N(-5, 5) mV, gates 0,
initial conductances as B6. The reference rates are Brian2 2.9's and NEST 3.10's measured
side by side (benchmarks/peers.py, README).

Run::

    python examples/cobahh.py                # 1 s of bio time, writes examples/output/cobahh.png
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from _report import run_and_report

from fastspike.networks import standard

REFERENCE = {"exc": 31.0, "inh": 32.0}  # Hz, Brian2 (README, B7)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1000.0, help="bio time (ms)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    net, pops = standard.cobahh(seed=args.seed, dtype=args.dtype)
    run_and_report("COBAHH", net, pops, time.perf_counter() - t0, args.duration, out=args.out,
                   reference=REFERENCE, reference_label=", Brian2")


if __name__ == "__main__":
    main()

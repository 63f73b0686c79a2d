"""B1: the CUBA network (Vogels & Abbott 2005; Brette et al. 2007, benchmark 2).

4000 LIF neurons (3200 excitatory, 800 inhibitory), exponential current synapses (5 ms,
+1.62 mV; 10 ms, -9 mV), connection probability 0.02, delay one step, v0 uniform in
[-60, -50) mV. Brian2 and NEST both give about 5.6 Hz.

Run::

    python examples/cuba.py                 # 1 s of bio time, writes examples/output/cuba.png
    python examples/cuba.py --duration 10000 --dtype float32
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from _report import run_and_report

from fastspike.networks import standard


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1000.0, help="bio time (ms)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    net, pops = standard.cuba(seed=args.seed, dtype=args.dtype)
    run_and_report("CUBA", net, pops, time.perf_counter() - t0, args.duration, out=args.out,
                   reference={"exc": 5.6, "inh": 5.6})


if __name__ == "__main__":
    main()

"""B4: 10^6 uncoupled LIF neurons, each with 1000 Poisson afferents of 5 Hz.

tau_m 20 ms, v_rest = v_reset = -70 mV, v_thresh -50 mV, t_ref 2 ms, one exponential channel
(5 ms, weight 0.75 per afferent spike). Brian2 gives about 5.3 Hz. Measures neuron updates
per second including the Poisson input (drawn per neuron and step, not per afferent).

Run::

    python examples/uncoupled.py                    # 10^6 neurons, 1 s
    python examples/uncoupled.py --n 100000 --dtype float32
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from _report import run_and_report

from fastspike.networks import standard


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6, help="neurons")
    parser.add_argument("--duration", type=float, default=1000.0, help="bio time (ms)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    net, pops = standard.uncoupled(n=args.n, seed=args.seed, dtype=args.dtype)
    run_and_report("Uncoupled", net, pops, time.perf_counter() - t0, args.duration, out=args.out,
                   reference={"neurons": 5.3}, raster_neurons=500)


if __name__ == "__main__":
    main()

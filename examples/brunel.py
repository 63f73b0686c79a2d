"""B2: Brunel (2000) model A, synchronous irregular regime (g = 5, eta = 2).

10000 excitatory and 2500 inhibitory LIF neurons (times ``--scale``), delta synapses
J = 0.1 mV and -g J, delay 1.5 ms, fixed indegrees 1000 and 250, and 1000 Poisson afferents
of 20 Hz per neuron. NEST 3.10 and Brian2 give 37.2-37.6 Hz.

Run::

    python examples/brunel.py               # full size, 1 s, writes examples/output/brunel.png
    python examples/brunel.py --scale 0.1 --duration 2000
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from _report import run_and_report

from fastspike.networks import standard


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies NE and NI (indegrees kept)")
    parser.add_argument("--duration", type=float, default=1000.0, help="bio time (ms)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    net, pops = standard.brunel(scale=args.scale, seed=args.seed, dtype=args.dtype)
    run_and_report("Brunel", net, pops, time.perf_counter() - t0, args.duration, out=args.out,
                   reference={"E": 37.4, "I": 37.4})


if __name__ == "__main__":
    main()

"""B3: the Potjans & Diesmann (2014) cortical microcircuit.

77,169 LIF neurons with exponential current synapses in 8 populations (times ``--scale``,
full-scale indegrees kept), about 0.3 billion synapses at full scale, Poisson background.
0.1 s of warm-up, then ``--duration`` measured. Full scale needs about 3 GB of memory.

Run::

    python examples/microcircuit.py                 # scale 0.1, writes examples/output/microcircuit.png
    python examples/microcircuit.py --scale 1.0
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from _report import run_and_report

from fastspike.networks import standard


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="0.1 ... 1.0")
    parser.add_argument("--duration", type=float, default=1000.0, help="bio time measured after the warm-up (ms)")
    parser.add_argument("--warmup", type=float, default=100.0, help="ms")
    parser.add_argument("--seed", type=int, default=55)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    net, pops = standard.microcircuit(scale=args.scale, seed=args.seed, dtype=args.dtype)
    reference = dict(zip(standard.MICROCIRCUIT["populations"], standard.MICROCIRCUIT["rates_nest"]))
    if args.scale != 1.0:
        print(f"Note: the reference rates are NEST's at full scale. At scale {args.scale:g} each neuron keeps its "
              f"full-scale indegree, drawn from {1 / args.scale:g} times fewer neurons (more shared input), which "
              f"changes the rates: they are not comparable to the reference. Run with "
              f"--scale 1.0 to compare.")
    run_and_report("Microcircuit", net, pops, time.perf_counter() - t0, args.duration, warmup=args.warmup,
                   out=args.out, reference=reference, raster_neurons=max(int(200 * args.scale), 20),
                   reference_label="" if args.scale == 1.0 else ", NEST at full scale: not comparable")


if __name__ == "__main__":
    main()

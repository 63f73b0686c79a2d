"""A million LIF neurons with Poisson input (B4) for 10 s of biological time, every spike
streamed to HDF5 while the network runs.

The spike record never holds its spikes in memory: ``net.run(..., output=path)`` appends them
to the file chunk by chunk, so the peak memory is the same for 1 s or 10 s. The script prints
the peak resident memory and the file size, then reads the file back (``fs.load``) and draws a
raster of a sample of neurons and the population rate, block by block, without loading all
spikes (examples/output/million_raster.png, million_rate.png).

Run::

    python examples/million.py                                   # 10^6 neurons, 10 s, ./million.h5
    python examples/million.py --n 100000 --duration 2000 --out /tmp/run.h5 --overwrite
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import fastspike as fs
from fastspike.networks import standard


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6, help="neurons")
    parser.add_argument("--duration", type=float, default=10_000.0, help="bio time (ms)")
    parser.add_argument("--out", type=Path, default=Path("million.h5"), help="the HDF5 file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument("--sample", type=int, default=200, help="neurons shown in the raster")
    parser.add_argument("--figures", type=Path, default=Path(__file__).resolve().parent / "output",
                        help="folder of the PNG figures")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    net, pops = standard.uncoupled(n=args.n, seed=args.seed)
    spikes = net.record(pops["neurons"], "spikes")
    net.build()
    t1 = time.perf_counter()
    net.run(args.duration, output=args.out, overwrite=args.overwrite, progress=True)
    wall = time.perf_counter() - t1
    peak = peak_rss_mb()
    size = os.path.getsize(args.out)
    n_spikes = len(spikes)
    print(f"B4, {args.n} LIF neurons with Poisson input, {args.duration:g} ms streamed to {args.out}")
    print(f"  construction + compilation {t1 - t0:8.2f} s")
    print(f"  simulation                 {wall:8.2f} s   real-time factor {wall / (args.duration / 1000):.2f} "
          f"(writing the file: {net.timings['output']:.2f} s)")
    print(f"  spikes                     {n_spikes:>10d}   {spikes.rate():.2f} Hz")
    print(f"  peak RSS                   {peak:8.0f} MB   (records held in memory: none)")
    print(f"  file                       {size / 2**20:8.1f} MB   {size / max(n_spikes, 1):.2f} bytes per spike")

    args.figures.mkdir(parents=True, exist_ok=True)
    with fs.load(args.out) as run:
        loaded = run.spikes("neurons")
        window = min(args.duration, 1000.0)
        sample = loaded.select(neurons=range(args.sample), t_stop=window)  # read block by block
        fs.plot.raster(sample, title=f"{args.sample} of {args.n} neurons, first {window:g} ms (from the file)",
                       fname=args.figures / "million_raster.png")
        fs.plot.rate(loaded, bin=10.0, title=f"population rate of {args.n} neurons (from the file)",
                     fname=args.figures / "million_rate.png")
        print(f"  read back: {len(loaded)} spikes, t = {run.t_start:g}-{run.t_stop:g} ms, complete={run.complete}; "
              f"figures in {args.figures}")
    print(f"  peak RSS at the end        {peak_rss_mb():8.0f} MB")


if __name__ == "__main__":
    main()

"""Shared by the standard-network examples: run, print the benchmark figures, draw the plots."""
from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import fastspike as fs  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20


def run_and_report(name: str, net: fs.Network, pops: dict, construct_s: float, duration: float,
                   warmup: float = 0.0, out: Path | None = None, raster_neurons: int = 200,
                   reference: dict[str, float] | None = None, reference_label: str = "") -> dict[str, float]:
    """Record every population's spikes, run ``warmup`` then ``duration`` ms, print build,
    compile and simulation times, real-time factor, rates and peak memory, and save a
    raster (the first ``raster_neurons`` of each population) and the population rates."""
    records = {k: net.record(p, "spikes") for k, p in pops.items()}
    net.build()
    if warmup:
        net.run(warmup, progress=False)
        for rec in records.values():
            rec.clear()
    t0 = time.perf_counter()
    net.run(duration)
    wall = time.perf_counter() - t0
    rates = {k: rec.rate() for k, rec in records.items()}
    synapses = sum(p.n_synapses for p in net.projections)
    print(f"{name}: {sum(p.n for p in pops.values())} neurons, {synapses} synapses, dt {net.dt} ms, "
          f"{net.dtype}")
    print(f"  construction (populations + connectivity) {construct_s:8.3f} s")
    print(f"  code generation + compilation/cache load  {net.timings['compile'] + net.timings['codegen']:8.3f} s")
    print(f"  simulation of {duration:g} ms bio{' after ' + format(warmup, 'g') + ' ms warm-up' if warmup else ''}"
          f"  {wall:8.3f} s   real-time factor {wall / (duration / 1000):.3f}")
    print(f"  peak RSS {peak_rss_mb():.0f} MB")
    for k, r in rates.items():
        ref = f"   (reference {reference[k]:g} Hz{reference_label})" if reference and k in reference else ""
        print(f"  {k:>6s}: {len(records[k]):>9d} spikes, {r:7.3f} Hz{ref}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 7), sharex=True, height_ratios=[3, 1])
        fs.plot.raster(list(records.values()), ax=ax1, max_neurons=raster_neurons,
                       title=f"{name}: first {raster_neurons} neurons of each population")
        if len(records) == 1:
            fs.plot.rate(next(iter(records.values())), bin=5.0, t_start=net.t - duration, ax=ax2)
        else:  # one line per population: spikes per 5 ms bin / neurons / bin width
            edges = np.arange(net.t - duration, net.t + 1e-9, 5.0)
            for k, rec in records.items():
                counts, _ = np.histogram(rec.times, edges)
                ax2.plot(edges[1:], counts / rec.n / 0.005, label=k, lw=1)
            ax2.legend(fontsize=7, ncol=4)
        ax1.set_xlim(net.t - duration, net.t)
        ax2.set_xlabel("time (ms)")
        ax2.set_ylabel("rate (Hz)")
        path = out / f"{name.lower()}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        print(f"  wrote {path}")
    return rates

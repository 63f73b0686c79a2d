"""Cost of streaming records to HDF5 (``net.run(..., output=path)``) on B4.

B4 of BENCHMARKS.md: n uncoupled LIF neurons, each with 1000 Poisson afferents of 5 Hz (about
5.3 Hz out). Two identical networks are built and run side by side in this one process, in
turns: one keeps its spike record in memory (cleared between runs, not timed), the other
streams it to an HDF5 file. Printed:

- wall time per run of each (``net.run`` as a whole: file open, writes, flushes, close) and
  the median of the per-turn ratios ``streamed / in memory`` (target < 1.15);
- bytes per spike on disk: the two spike datasets (int64 step + int32 neuron, shuffle +
  gzip 1), and the whole file (target <= 4);
- the writer's own time (``net.timings["output"]``) and its throughput;
- with ``--filters``: the spikes of the run written again with other HDF5 filters (the same
  whole-chunk appends as the writer), to show why shuffle + gzip 1 was chosen.

Usage: python benchmarks/bench_streaming.py [--n 1000000] [--duration 1000] [--repeats 3]
       [--filters] [--dir /tmp] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time

import h5py
import numpy as np

from fastspike.networks import standard
from fastspike.recording import hdf5

FILTER_CHOICES = {
    "none": {},
    "lzf": {"compression": "lzf"},
    "shuffle+lzf": {"shuffle": True, "compression": "lzf"},
    "gzip1": {"compression": "gzip", "compression_opts": 1},
    "shuffle+gzip1": {"shuffle": True, "compression": "gzip", "compression_opts": 1},
    "shuffle+gzip4": {"shuffle": True, "compression": "gzip", "compression_opts": 4},
    "shuffle+gzip9": {"shuffle": True, "compression": "gzip", "compression_opts": 9},
}


def storage(path: str, group: str) -> int:
    """Bytes of the spike datasets of ``group`` in the file (compressed chunks)."""
    with h5py.File(path, "r") as f:
        return sum(f[group][k].id.get_storage_size() for k in ("steps", "neurons"))


def compare_filters(steps: np.ndarray, neurons: np.ndarray, folder: str, chunk: int, batch: int) -> dict:
    """Write the spikes with each filter in whole chunks; bytes per spike and M spikes/s."""
    out = {}
    for name, kw in FILTER_CHOICES.items():
        path = os.path.join(folder, f"filters-{name}.h5")
        t0 = time.perf_counter()
        with h5py.File(path, "w", libver=hdf5.LIBVER, rdcc_nbytes=0) as f:
            cols = []
            for key, a in (("steps", steps), ("neurons", neurons)):
                f.create_dataset(key, (0,), a.dtype, maxshape=(None,), chunks=(chunk,), **kw)
                cols.append(hdf5._Column(f[key]))
            f.swmr_mode = True
            for i in range(0, steps.size, batch):
                cols[0].append(steps[i:i + batch])
                cols[1].append(neurons[i:i + batch])
            for c in cols:
                c.flush()
            size = sum(f[k].id.get_storage_size() for k in ("steps", "neurons"))
        seconds = time.perf_counter() - t0
        os.remove(path)
        out[name] = {"bytes_per_spike": size / steps.size, "m_spikes_per_s": steps.size / seconds / 1e6}
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6, help="neurons (B4: 10^6)")
    parser.add_argument("--duration", type=float, default=1000.0, help="bio time per run (ms)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each network, in turns")
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--filters", action="store_true", help="also compare HDF5 filters on the spikes")
    parser.add_argument("--dir", default=None, help="folder for the HDF5 file (default: the system's temp folder)")
    parser.add_argument("--json", default=None, help="write the figures to this JSON file")
    args = parser.parse_args(argv)

    print(f"B4 streaming benchmark: {args.n} neurons, {args.repeats} x {args.duration:g} ms, {args.dtype}, "
          f"{platform.machine()}, Python {platform.python_version()}, h5py {h5py.__version__} "
          f"(HDF5 {h5py.version.hdf5_version})")
    nets = {}
    for mode in ("memory", "hdf5"):
        net, pops = standard.uncoupled(n=args.n, dtype=args.dtype)
        nets[mode] = (net, net.record(pops["neurons"], "spikes"))
        net.build()
    times: dict[str, list[float]] = {"memory": [], "hdf5": []}
    writer_s, spikes_written = 0.0, 0
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = os.path.join(folder, "b4.h5")
        for r in range(args.repeats):
            for mode in ("memory", "hdf5") if r % 2 == 0 else ("hdf5", "memory"):
                net, rec = nets[mode]
                before = len(rec)
                t0 = time.perf_counter()
                net.run(args.duration, progress=False, output=path if mode == "hdf5" else None)
                times[mode].append(time.perf_counter() - t0)
                if mode == "memory":
                    n_spikes = len(rec)
                    rec.clear()
                else:
                    writer_s += net.timings["output"]
                    spikes_written += len(rec) - before
            print(f"  turn {r + 1}: in memory {times['memory'][-1]:7.2f} s, streamed {times['hdf5'][-1]:7.2f} s, "
                  f"{n_spikes} spikes")
        total = len(nets["hdf5"][1])
        data_bytes = storage(path, "spikes/neurons")
        file_bytes = os.path.getsize(path)
        with h5py.File(path, "r") as f:
            chunk = f["spikes/neurons/steps"].chunks[0]
        filters = None
        if args.filters:
            rec = nets["hdf5"][1]
            k = min(total, 4_000_000)
            filters = compare_filters(rec.steps[:k], rec.neurons[:k], folder, chunk, max(1, k // 40))
    ratios = np.array(times["hdf5"]) / np.array(times["memory"])
    result = {
        "n": args.n, "duration_ms": args.duration, "repeats": args.repeats, "dtype": args.dtype,
        "spikes": total, "rate_hz": total / args.n / (args.repeats * args.duration / 1000.0),
        "memory_s": float(np.median(times["memory"])), "hdf5_s": float(np.median(times["hdf5"])),
        "ratio_median": float(np.median(ratios)), "ratios": ratios.tolist(),
        "writer_s_per_run": writer_s / args.repeats,
        "writer_m_spikes_per_s": spikes_written / writer_s / 1e6 if writer_s else None,
        "bytes_per_spike_data": data_bytes / max(total, 1), "bytes_per_spike_file": file_bytes / max(total, 1),
        "file_mb": file_bytes / 2**20, "chunk_rows": chunk, "filters": filters,
    }
    print(f"  spikes: {total} ({result['rate_hz']:.2f} Hz)")
    print(f"  wall per run (median): in memory {result['memory_s']:.2f} s, streamed {result['hdf5_s']:.2f} s; "
          f"ratio streamed / in memory: median {result['ratio_median']:.3f} "
          f"(per turn {', '.join(f'{x:.3f}' for x in ratios)}; target < 1.15)")
    print(f"  writer: {result['writer_s_per_run']:.3f} s per run, "
          f"{result['writer_m_spikes_per_s'] or 0:.1f} M spikes/s (copy, compression, writes, flushes)")
    print(f"  on disk: {result['bytes_per_spike_data']:.2f} bytes/spike in the spike datasets, "
          f"{result['bytes_per_spike_file']:.2f} for the whole file ({result['file_mb']:.1f} MB; target <= 4)")
    if filters:
        print(f"  filters on {min(total, 4_000_000)} of these spikes (chunks of {chunk} rows):")
        for name, v in filters.items():
            print(f"    {name:15s} {v['bytes_per_spike']:6.2f} bytes/spike {v['m_spikes_per_s']:7.1f} M spikes/s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()

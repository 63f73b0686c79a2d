"""Latency of the collectives a distributed run would use to exchange spikes, through MPI.

Run under MPI (the script starts ``mpiexec`` itself when it is not under one):

    python benchmarks/bench_comm.py                  # 2 ranks, 300 int32 per rank
    python benchmarks/bench_comm.py --ranks 2 --n 300 --rounds 15 --iters 500

Compares a fixed-size allgather (every rank sends ``n`` values, e.g. a bounded spike
buffer) with an allgather of the counts followed by an allgatherv (the spikes of the step
only), raw mpi4py and through :class:`fastspike.parallel.MPICommunicator`. The variants
are interleaved round by round (A B C ... A B C ...); each round times ``iters`` calls
after a barrier, and the table gives the median over rounds of the time per call on rank
0. Run on an otherwise idle machine: MPICH busy-polls, and other work shares the cores.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def _bench(args) -> None:
    from mpi4py import MPI

    from fastspike.parallel import MPICommunicator

    comm = MPI.COMM_WORLD
    fc = MPICommunicator(comm)
    rank, size, n = comm.Get_rank(), comm.Get_size(), args.n
    send = np.arange(n, dtype=np.int32) + rank
    fixed_out = np.empty(size * n, np.int32)
    count = np.array([n], np.int64)
    counts_out = np.empty(size, np.int64)
    var_out = np.empty(size * n, np.int32)

    def raw_fixed():
        comm.Allgather(send, fixed_out)

    def raw_counts_v():
        comm.Allgather(count, counts_out)
        displ = np.zeros(size, np.int64)
        np.cumsum(counts_out[:-1], out=displ[1:])
        comm.Allgatherv(send, [var_out, (counts_out, displ)])

    def raw_v_known():
        displ = np.arange(size, dtype=np.int64) * n
        comm.Allgatherv(send, [var_out, (counts_out, displ)])

    known = np.full(size, n, np.int64)
    variants = {
        "Allgather, fixed size (mpi4py)": raw_fixed,
        "Allgather of counts + Allgatherv (mpi4py)": raw_counts_v,
        "Allgatherv, counts known (mpi4py)": raw_v_known,
        "comm.allgather (fastspike)": lambda: fc.allgather(send),
        "comm.allgatherv, counts found (fastspike)": lambda: fc.allgatherv(send),
        "comm.allgatherv(counts=...) (fastspike)": lambda: fc.allgatherv(send, counts=known),
        "comm.allreduce(x, 'max') (fastspike)": lambda: fc.allreduce(n, "max"),
    }
    raw_counts_v()  # counts_out filled for raw_v_known
    for f in variants.values():  # warm-up
        for _ in range(50):
            f()
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(args.rounds):
        for name, f in variants.items():
            comm.Barrier()
            t0 = time.perf_counter()
            for _ in range(args.iters):
                f()
            times[name].append((time.perf_counter() - t0) / args.iters)
    if rank == 0:
        print(f"MPI {MPI.Get_library_version().splitlines()[0].strip()}; mpi4py {__import__('mpi4py').__version__}")
        print(f"{size} ranks, {n} int32 per rank; {args.rounds} interleaved rounds of {args.iters} calls; "
              f"median over rounds of the time per call (rank 0)\n")
        print("| collective | median (us) | min-max over rounds (us) |")
        print("|---|---|---|")
        for name, ts in times.items():
            us = [t * 1e6 for t in ts]
            print(f"| {name} | {statistics.median(us):.1f} | {min(us):.1f}-{max(us):.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--n", type=int, default=300, help="int32 values per rank")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--iters", type=int, default=500)
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        _bench(args)
        return
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    mpiexec = here if os.path.exists(here) else "mpiexec"
    cmd = [mpiexec, "-n", str(args.ranks), sys.executable, os.path.abspath(__file__), "--inner", "--n", str(args.n),
           "--rounds", str(args.rounds), "--iters", str(args.iters)]
    sys.exit(subprocess.call(cmd))


if __name__ == "__main__":
    main()

"""The CUDA backend's kernels of the standard networks, compiled without a GPU.

For each network: the time Numba/NVVM takes to compile ``run_steps`` (the cooperative kernel
that runs whole steps) and the three stage kernels to PTX, and what ``ptxas`` says of
``run_steps`` for the target GPU (registers per thread, spills, stack frame), hence how many
128-thread blocks fit on one SM and the size of the cooperative grid on that GPU. The
structure of a network (hence its kernels) does not depend on its scale, so small scales
are used.

    python benchmarks/cuda_kernels.py                    # H100: sm_90, 132 SMs
    python benchmarks/cuda_kernels.py --cc 8.0 --sms 108 # A100

Needs the NVVM wheels (``pip install -e ".[test]"``) and ``ptxas`` on the PATH (or
``--ptxas``) for the register figures; no GPU.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

BLOCK = 128
REGISTERS_PER_SM = 65536
THREADS_PER_SM = 2048


def _networks(dtype: str):
    from fastspike.networks import standard

    yield "cuba", standard.cuba(dtype=dtype)[0]
    yield "brunel", standard.brunel(0.1, dtype=dtype)[0]
    net, pops = standard.microcircuit(0.02, dtype=dtype)
    for pop in pops.values():  # as the benchmark records them
        net.record(pop, "spikes")
    yield "microcircuit", net
    net, pops = standard.uncoupled(1000, dtype=dtype)
    net.record(pops["neurons"], "spikes")
    yield "uncoupled", net


def _ptxas(ptxas: str, ptx: str, cc: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "k.ptx")
        with open(path, "w") as f:
            f.write(ptx)
        proc = subprocess.run([ptxas, "-c", f"-arch=sm_{cc.replace('.', '')}", "-v", "-o", os.path.join(tmp, "k.o"),
                               path], capture_output=True, text=True)
    text = proc.stdout + proc.stderr
    regs = [int(x) for x in re.findall(r"Used (\d+) registers", text)]
    spills = [int(x) for x in re.findall(r"(\d+) bytes spill stores", text)]
    stack = [int(x) for x in re.findall(r"(\d+) bytes stack frame", text)]
    if proc.returncode != 0 or not regs:
        raise RuntimeError(text[-2000:])
    return {"registers": max(regs), "spill_bytes": max(spills, default=0), "stack_bytes": max(stack, default=0)}


def _blocks_per_sm(registers: int) -> int:
    per_warp = -(-registers * 32 // 256) * 256  # registers are allocated per warp, 256 at a time
    return min(THREADS_PER_SM // BLOCK, REGISTERS_PER_SM // (per_warp * (BLOCK // 32)), 32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cc", default="9.0", help="compute capability (default 9.0, H100)")
    parser.add_argument("--sms", type=int, default=132, help="multiprocessors of the GPU (default 132, H100 SXM)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--ptxas", default=shutil.which("ptxas"), help="ptxas executable (default: on the PATH)")
    args = parser.parse_args()

    from numba import cuda
    import numba.cuda.dispatcher as dispatcher

    from fastspike.backends.cpu.engine import sample_rows
    from fastspike.backends.cuda.compiler import compile_program, layout, lower, signature
    from fastspike.ir.schedule import build_program, constant_values

    major, minor = (int(x) for x in args.cc.split("."))

    class _Device:
        compute_capability = (major, minor)

    dispatcher.get_current_device = lambda: _Device()  # device functions ask for the capability
    print(f"CUDA kernels, {args.dtype}, compute capability {args.cc}, {args.sms} SMs, blocks of {BLOCK}")
    print(f"{'network':<14}{'groups':>7}{'calls':>7}{'TAB':>7}{'PTX s run_steps':>17}{'PTX s stages':>14}"
          f"{'regs':>6}{'spill B':>9}{'stack B':>9}{'blocks/SM':>11}{'grid':>7}   stage kernels: registers")
    for name, net in _networks(args.dtype):
        net.prepare_buffers()  # spike histories and rings sized for the projections
        prog = lower(build_program(net, net._buffers, sample_rows(net)))
        lay = layout(prog, constant_values(net))
        module = compile_program(prog, lay)
        times, ptxs = {}, {}
        for kernel in ("run_steps", "stage_deliver", "stage_update", "stage_sample"):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ptx, _ = cuda.compile_ptx(getattr(module, kernel).py_func, signature(kernel, lay, net.dtype),
                                          cc=(major, minor))
            times[kernel] = time.perf_counter() - t0
            ptxs[kernel] = ptx
        stages = sum(v for k, v in times.items() if k.startswith("stage"))
        regs = _ptxas(args.ptxas, ptxs["run_steps"], args.cc) if args.ptxas else None
        fit = _blocks_per_sm(regs["registers"]) if regs else None
        stage_regs = " ".join(f"{k[6:]} {_ptxas(args.ptxas, ptxs[k], args.cc)['registers']}"
                              for k in ("stage_deliver", "stage_update", "stage_sample")) if args.ptxas else ""
        print(f"{name:<14}{len(lay.groups):>7}{len(prog.calls):>7}{lay.table.size:>7}{times['run_steps']:>17.1f}"
              f"{stages:>14.1f}{regs['registers'] if regs else '-':>6}{regs['spill_bytes'] if regs else '-':>9}"
              f"{regs['stack_bytes'] if regs else '-':>9}"
              f"{fit if fit else '-':>11}{fit * args.sms if fit else '-':>7}   {stage_regs}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

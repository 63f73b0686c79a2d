#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: run the CUDA backend's tests on the GPU, then measure what
# issue 6 targets (H100: B3 microcircuit RTF <= 0.25, B4 10^6 neurons RTF <= 0.2, 10^7 runs,
# same spikes as the CPU on deterministic input). Every (network, backend, launch mode, lanes) runs in
# its own process; tables and JSON land in ${OUT:-gpu-results}.
#
#   pip install -e ".[test,cuda]" && bash benchmarks/gpu_targets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-results}"
mkdir -p "$out"
python -m fastspike info | tee "$out/info.txt"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee -a "$out/info.txt" || true
# the simulator tests and the same tests on the real GPU (values to rounding: FMA contraction)
python -m pytest -q -p no:cacheprovider tests/test_cuda_backend.py tests/test_cuda_kernels_ptx.py 2>&1 | tee "$out/tests.txt"
FASTSPIKE_GPU_TESTS=1 python -m pytest -q -p no:cacheprovider tests/cuda_sim 2>&1 | tee "$out/tests_gpu.txt"
python benchmarks/cuda_kernels.py 2>&1 | tee "$out/kernels.txt" || true
python benchmarks/bench_spike_order.py 2>&1 | tee "$out/spike_order.txt"  # host side of every drain, all cores
bench() { python -m fastspike bench "$@" 2>&1 | tee -a "$out/bench.txt"; }
bench --net cuba,brunel --backend cpu,cuda --cuda-launch steps,stages --cuda-lanes auto,32 --json "$out/b1b2.json"
bench --net uncoupled --scale 1 --backend cpu,cuda --cuda-launch steps,stages --dtype float32 --json "$out/b4.json"
bench --net microcircuit --scale 1 --backend cuda --cuda-launch steps,stages --cuda-lanes auto,32 --dtype float32 --json "$out/b3_gpu.json"
bench --net uncoupled --scale 10 --backend cuda --duration 100 --dtype float32 --json "$out/b4_1e7.json"
bench --net microcircuit --scale 1 --backend cpu --duration 200 --dtype float32 --json "$out/b3_cpu.json"

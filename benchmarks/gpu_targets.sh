#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: run the CUDA backend's tests on the GPU, then measure what
# the GPU issues target (H100/H200: B3 microcircuit RTF <= 0.25, B4 10^6 neurons RTF <= 0.2,
# 10^7 runs, same spikes as the CPU on deterministic input). Every (network, backend, launch
# mode, lanes) runs in its own process; tables and JSON land in ${OUT:-gpu-results}.
#
# The lent GPU machine has numba-cuda installed and no network access: run it from the
# checkout as it is (fastspike is imported from here through PYTHONPATH; no pip install):
#
#   bash benchmarks/gpu_targets.sh
#
# The device gives 10 minutes per command and 15 minutes in all, so every step has its own
# time limit (seconds; 580 in all) and a failing or slow step does not stop the next ones; the most
# important come first: the tests on hardware, then B4 and B3 on the GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
out="${OUT:-gpu-results}"
mkdir -p "$out"
step() {  # step NAME SECONDS COMMAND...: run with a limit, log to $out/NAME.txt, note the outcome
    local name=$1 limit=$2
    shift 2
    local t0=$SECONDS
    timeout "$limit" "$@" > "$out/$name.txt" 2>&1
    local rc=$?
    echo "$name: exit $rc after $((SECONDS - t0)) s (limit $limit s)" | tee -a "$out/steps.txt"
    tail -n 25 "$out/$name.txt"
}
step info 30 bash -c "python -m fastspike info; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv"
# the CUDA tests on the GPU (values to rounding where FMA contraction differs from the CPU)
step tests_gpu 240 env FASTSPIKE_GPU_TESTS=1 python -m pytest -q -p no:cacheprovider -n 8 tests/cuda_sim
step b4_gpu 50 python -m fastspike bench --net uncoupled --scale 1 --backend cuda --cuda-launch steps,stages \
    --dtype float32 --json "$out/b4.json"
step b3_gpu 100 python -m fastspike bench --net microcircuit --scale 1 --backend cuda --cuda-launch steps,stages \
    --cuda-lanes auto,32 --dtype float32 --json "$out/b3_gpu.json"
step b1b2 60 python -m fastspike bench --net cuba,brunel --backend cpu,cuda --cuda-launch steps,stages \
    --cuda-lanes auto,32 --json "$out/b1b2.json"
step kernels 40 python benchmarks/cuda_kernels.py
step b4_1e7 40 python -m fastspike bench --net uncoupled --scale 10 --backend cuda --duration 100 --dtype float32 \
    --json "$out/b4_1e7.json"
step spike_order 20 python benchmarks/bench_spike_order.py  # host side of every drain, all cores
cat "$out/steps.txt"

"""The generated source of reference networks, against stored expectations.

The code generator is guarded by its output: the CPU source (one fused function, kernels with
a driver, kernels run by 3 threads, and a small program fused for 3 threads) and the CUDA source of reference networks that
cover every delivery path (uniform delay into the input, per-synapse delays and rows grouped
by delay into ring buffers, delay groups read at arrival, exponential and delta channels, uniform and per-synapse weights),
every input kind (constant, per-neuron constant, step, per-neuron step and per-step array
currents; Poisson input by table, by PTRS and per neuron), both sources, every recording kind
(all neurons, a selection, samples of state and of ``I`` every k steps) and the integrators of
the model zoo, a plastic network (every rule's delivery, ``pre_trace`` and ``learn``
kernels, with their reads: memoised on one CPU thread, evaluated per synapse by CPU threads
and the GPU), and populations that nothing couples (run in tiles of steps). A refactoring either keeps these files byte-identical or updates them
deliberately in its commit:

    FASTSPIKE_UPDATE_GENERATED=1 python -m pytest tests/test_generated_source.py

The files hold the source as ``ast.unparse`` writes it (what is compared is the syntax tree,
not the layout of the text). Kernel names are hashes of the kernel's text and model
function names carry a digest of their bytecode (which depends on the Python version):
both are replaced by stable labels before comparing, so the files describe structure, not
hashes.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

import fastspike as fs
from fastspike.backends import generated_source

FOLDER = Path(__file__).parent / "generated"
UPDATE = os.environ.get("FASTSPIKE_UPDATE_GENERATED") == "1"


def all_paths(threads: int = 1) -> fs.Network:
    """Every delivery path, input kind and recording kind (10 calls: fused at one thread)."""
    net = fs.Network(dt=0.1, seed=3, threads=threads)
    src = net.population(fs.SpikeSource([0.5, 1.0], [0, 1]), n=3, name="src")
    ps = net.population(fs.PoissonSource(rate=50.0), n=4, name="ps")
    pv = net.population(fs.PoissonSource(rate=[[10.0] * 4, [20.0] * 4], times=[0.0, 1.0]), n=4, name="pv")
    pop = net.population(fs.LIF(tau_m=10.0, t_ref=1.0, tau_theta=20.0, theta_plus=0.2), n=6, name="pop")
    het = net.population(fs.LIF(tau_m=np.linspace(8.0, 12.0, 7), t_ref=np.linspace(0.5, 1.1, 7), v_min=-80.0,
                                reset="subtract"), n=7, name="het")
    rk = net.population(fs.IF(tau_m=10.0, v_thresh=-60.0), n=5, name="rk", integrator="rk4")
    net.current(pop, fs.StepCurrent([0.0, 1.5], [0.5, 1.0]))
    net.current(het, fs.StepCurrent([0.0, 0.7], np.ones((2, 7))))
    net.current(het, 0.3)
    net.current(rk, np.linspace(0.1, 0.5, 5))
    net.current(rk, np.ones((20, 5)))
    net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpCurrent(2.0), weight=3.0, delay=0.3)
    net.connect(ps, pop, fs.FromArrays([0, 1, 2, 0], [0, 1, 2, 5]), synapse=fs.Delta(), weight=2.0,
                delay=[0.1, 0.4, 0.2, 0.7])  # per-synapse delays, delta channel
    net.connect(pv, rk, fs.AllToAll(), synapse=fs.ExpCurrent(1.0), weight=fs.Normal(1.0, 0.1),
                delay=np.tile([0.1, 0.2, 0.3, 0.4, 0.5], 4))  # per-synapse delays and weights
    net.connect(pv, pop, fs.FixedTotalNumber(200), synapse=fs.ExpCurrent(2.0), weight=0.5,
                delay=fs.Uniform(0.1, 0.5))  # delays grouped in each row
    net.connect(het, het, fs.FixedProbability(0.5), synapse=fs.Delta(), weight=0.4, delay=0.2)
    net.connect(rk, het, fs.AllToAll(), synapse=fs.ExpCurrent(3.0), weight=fs.Normal(0.5, 0.1), delay=0.1)
    net.poisson_input(pop, 100, 10.0, 0.5, fs.ExpCurrent(2.0))  # by a table of thresholds
    net.poisson_input(rk, 100, 200.0, 0.5, fs.ExpCurrent(1.0))  # mean >= 10 per step: PTRS
    net.poisson_input(het, 10, np.linspace(5.0, 20.0, 7), 0.2)  # per-neuron rates, delta channel
    net.record(pop, "spikes")
    net.record(rk, "spikes", neurons=[1, 3])
    net.record(src, "spikes")
    net.record(pop, ["v", "I"], neurons=[0, 5], every=2)
    net.record(het, ["v", "theta"])
    return net


def zoo(threads: int = 1) -> fs.Network:
    """The integrators of the model zoo (euler, rk2, rk4, exponential Euler, exact with
    subtraction reset), refractoriness of a nonlinear model, a lower bound on v."""
    net = fs.Network(dt=0.05, seed=4, threads=threads)
    izh = net.population(fs.Izhikevich.preset("RS"), n=5, name="izh", integrator="euler")
    adex = net.population(fs.AdEx.preset("adapting", t_ref=1.0), n=4, name="adex")
    hh = net.population(fs.HodgkinHuxley(), n=3, name="hh")
    quad = net.population(fs.QuadLIF(tau_m=10.0, v_min=-80.0), n=4, name="quad", integrator="rk4")
    lap = net.population(fs.Lapicque(R=5.0, C=1.0), n=2, name="lap")
    net.current(hh, 10.0)
    net.current(izh, np.linspace(5.0, 15.0, 5))
    net.connect(izh, adex, fs.AllToAll(), synapse=fs.Delta(), weight=1.0, delay=0.5)
    net.connect(adex, quad, fs.AllToAll(), synapse=fs.ExpCurrent(5.0), weight=2.0, delay=0.5)
    for p in (izh, adex, hh, quad, lap):
        net.record(p, "spikes")
    net.record(quad, "v", every=4)
    return net


def plastic(threads: int = 1) -> fs.Network:
    """Plastic projections (the delivery with a weight store, ``pre_trace`` and ``learn``):
    reads of every rule (kept per neuron and step on one CPU thread, computed per synapse by
    CPU threads and the GPU), several delays, a nearest-neighbour rule, short-term
    plasticity (no learn kernel), a weight record."""
    net = fs.Network(dt=0.1, seed=5, threads=threads)
    ps = net.population(fs.PoissonSource(rate=50.0), n=4, name="ps")
    pop = net.population(fs.LIF(tau_m=10.0, t_ref=1.0), n=6, name="pop")
    stdp = net.connect(ps, pop, fs.AllToAll(), synapse=fs.ExpCurrent(2.0), weight=1.0, delay=0.3,
                       plasticity=fs.STDP(w_max=5.0))
    net.connect(ps, pop, fs.FixedTotalNumber(10), synapse=fs.ExpCurrent(2.0), weight=1.0,
                delay=fs.Uniform(0.1, 0.4), plasticity=fs.TripletSTDP(w_max=3.0))  # tuple reads, delay rows
    net.connect(ps, pop, fs.AllToAll(), synapse=fs.Delta(), weight=0.5, delay=0.2,
                plasticity=fs.PowerLawSTDP())
    net.connect(pop, pop, fs.AllToAll(), synapse=fs.Delta(), weight=0.1, plasticity=fs.STDP(w_max=1.0, nearest=True))
    net.connect(ps, pop, fs.AllToAll(), synapse=fs.Delta(), weight=0.5, plasticity=fs.TsodyksMarkram())
    net.record(stdp, "weight", synapses=[0, 3], every=2)
    net.record(pop, "spikes")
    return net


def arrival(threads: int = 1) -> fs.Network:
    """Deliveries at arrival (delay groups read when they arrive, into an input of n; the
    runtime chooses them when a ring would be large: the test forces them), with uniform and
    per-synapse weights."""
    net = fs.Network(dt=0.1, seed=6, threads=threads)
    ps = net.population(fs.PoissonSource(rate=50.0), n=4, name="ps")
    pop = net.population(fs.LIF(tau_m=10.0, t_ref=1.0), n=6, name="pop")
    net.connect(ps, pop, fs.AllToAll(), synapse=fs.ExpCurrent(2.0), weight=1.0, delay=fs.Uniform(0.1, 0.5))
    net.connect(pop, pop, fs.AllToAll(), synapse=fs.ExpCurrent(2.0), weight=fs.Normal(0.5, 0.1),
                delay=fs.Uniform(0.2, 0.6))
    net.record(pop, "spikes")
    return net


def tiles(threads: int = 1) -> fs.Network:
    """Populations that nothing couples, run in tiles of steps (each population block by block,
    spikes through a bitmap; threads claim blocks): Poisson input by table, a noise current, a
    record of every neuron's spikes and one of a selection."""
    net = fs.Network(dt=0.1, seed=7, threads=threads)
    a = net.population(fs.LIF(tau_m=10.0, t_ref=1.0), n=6, name="a")
    net.poisson_input(a, n=100, rate=20.0, weight=1.0)
    b = net.population(fs.LIF(tau_m=20.0), n=5, name="b")
    net.current(b, fs.NoiseCurrent(mean=20.0, std=5.0))
    net.record(a, "spikes")
    net.record(b, "spikes", neurons=[1, 3])
    return net


CASES = {
    "tiles-cpu_fused": (tiles, 1, "cpu", True),
    "tiles-cpu_threads3": (tiles, 3, "cpu", None),
    "arrival-cpu_kernels": (arrival, 1, "cpu", False),
    "arrival-cpu_threads3": (arrival, 3, "cpu", None),
    "all_paths-cpu_fused": (all_paths, 1, "cpu", True),
    "all_paths-cpu_kernels": (all_paths, 1, "cpu", False),
    "all_paths-cpu_threads3": (all_paths, 3, "cpu", None),
    "all_paths-cuda": (all_paths, 1, "cuda", None),
    "zoo-cpu_fused": (zoo, 1, "cpu", True),
    "zoo-cpu_threads3": (zoo, 3, "cpu", None),
    "zoo-cuda": (zoo, 1, "cuda", None),
    "plastic-cpu_kernels": (plastic, 1, "cpu", False),
    "plastic-cpu_threads3": (plastic, 3, "cpu", None),
    "plastic-cuda": (plastic, 1, "cuda", None),
}


def canonical(source: str) -> str:
    """``source`` as Python's ``ast.unparse`` writes it (the syntax tree is compared, not the
    layout of the text), with kernel hashes and model-function digests replaced by stable
    labels."""
    import ast

    source = ast.unparse(ast.parse(source)) + "\n"
    labels: dict[str, str] = {}

    def kernel(m: re.Match) -> str:
        return labels.setdefault(m.group(0), f"{m.group(1)}_K{len(labels)}")

    source = re.sub(r"\b(deliver_arrival|deliver_ring|deliver|population|poisson_source|spike_source|sample|pre_trace|learn|merge)"
                    r"_[0-9a-f]{10}"
                    r"(?=\b|_)", kernel, source)
    return re.sub(r"\b(_[fd]_\w+?)_[0-9a-f]{6}\b", r"\1_H", source)


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_source_is_unchanged(case, monkeypatch):
    from fastspike.runtime import buffers

    build, threads, backend, fuse = CASES[case]
    if build is arrival:
        monkeypatch.setattr(buffers, "ARRIVAL_MIN_BYTES", 0)
    net = build(threads)
    text = canonical(generated_source(net, backend, fuse))
    path = FOLDER / f"{case}.py.txt"
    if UPDATE:
        FOLDER.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} missing: run with FASTSPIKE_UPDATE_GENERATED=1 to write it"
    expected = path.read_text()
    if text != expected:
        import difflib

        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), "stored", "now", n=2))
        pytest.fail(f"generated source of {case} changed (update deliberately with "
                    f"FASTSPIKE_UPDATE_GENERATED=1):\n{diff[:6000]}")


def test_cases_cover_every_kernel_kind_and_mode():
    """The reference networks reach every kind of kernel, and each mode renders what it says."""
    kinds = set()
    for case, (build, threads, backend, fuse) in CASES.items():
        text = (FOLDER / f"{case}.py.txt").read_text()
        found = set(re.findall(r"\b(deliver_arrival|deliver_ring|deliver|population|poisson_source|spike_source|sample|pre_trace|learn"
                               r"|merge)_K\d+\b", text))
        kinds |= found
        if backend == "cpu" and threads == 3 and found:
            assert "prange" in text, case  # kernels: the fallback's parallel regions
        if backend == "cpu" and threads == 3 and not found:  # a small program: fused worker and ranges
            assert text.count("def ") == 2 and "def worker(" in text and "def run_chunk_ranges(" in text, case
        if backend == "cpu" and fuse is True:
            assert not found and text.count("def ") == 1, case  # one fused function: no kernels
        if backend == "cuda":
            assert "cuda.atomic.add" in text and "def run_steps" in text, case
        assert (build is tiles) == ("t_ = min(32, nsteps - done_)" in text), case  # tiles of steps
    assert kinds == {"deliver_arrival", "deliver", "deliver_ring", "population", "poisson_source", "spike_source", "sample", "pre_trace",
                     "learn", "merge"}


def test_populations_of_other_sizes_and_poisson_means_share_one_kernel(monkeypatch):
    """A population's size, its Poisson table's length and the number of words of its count
    pass are read at run time, and the dense search's length is rounded up to a multiple of
    4: two populations of 10 and 30 neurons whose Poisson means (1.0 and 1.68 per step) need 6
    and 7 dense compares compile to one kernel, with 8 compares (the microcircuit's 8
    populations compile 4 kernels, one per kind of input, instead of 8)."""
    from fastspike import random as rnd
    from fastspike.backends.cpu import compiler

    monkeypatch.setattr(compiler, "tileable", lambda *a: False)  # tiles are one function: no kernels to share
    net = fs.Network(dt=0.1, seed=1)
    for n, afferents in ((10, 1250), (30, 2100)):  # means afferents * 8 Hz * 0.1 ms = 1.0, 1.68
        pop = net.population(fs.LIF(tau_m=10.0), n=n)
        net.poisson_input(pop, afferents, 8.0, 0.5, fs.ExpCurrent(0.5))
    raw = [next(k for k in range(1, 30) if 1.0 - rnd.poisson_table(lam)[k - 1] <= rnd.POISSON_DENSE_TAIL)
           for lam in (1.0, 1.68)]
    assert raw == [6, 7]  # the shortest dense searches differ ...
    text = generated_source(net, "cpu", fuse=False)
    kernels = re.findall(r"^def (population_[0-9a-f]{10})\(", text, re.M)
    assert len(kernels) == 1, kernels  # ... and the populations share one kernel
    assert len(re.findall(r"\(z_0 > th0_[0-7]\)", text)) == 8  # entries read into locals before the loop
    assert len(re.findall(r"th0_[0-7] = TP_0\[[0-7]\]", text)) == 8


def test_a_fused_threaded_worker_waits_for_every_range_before_worker_0_samples():
    """Worker 0 samples every neuron of a population: in a fused threaded program whose last
    stage has no merge (no spike record), a barrier must still separate the updates of all
    ranges from the samples (without it worker 0 read neurons other workers were updating:
    test_poisson's 3-thread counts differed in 0.2-13 % of the samples)."""
    net = fs.Network(dt=0.1, seed=2, threads=3)
    pop = net.population(fs.LIF(tau_m=10.0), n=64)
    net.poisson_input(pop, 100, 10.0, 0.5, fs.ExpCurrent(2.0))
    net.record(pop, "v")
    text = generated_source(net)
    worker = text[text.index("def worker("):text.index("def run_chunk_ranges(")]
    updates = worker.rindex("for block in range(first + w, last, workers):")
    samples = worker.index("block = 0", updates)
    assert "_barrier(sync, workers)" in worker[updates:samples]


def test_a_column_walk_whose_update_reads_a_per_synapse_local_stays_unblocked():
    """The blocked column walk gathers only the weight and memoised values: a weight update
    that reads another per-synapse local (here ``pj_``), or a per-synapse statement that is
    neither an assignment nor a memo, keeps the synapse-by-synapse walk (no buffers)."""
    from types import SimpleNamespace

    from fastspike.backends.cpu.lower import _blocked_column
    from fastspike.ir import syntax as S
    from fastspike.ir.nodes import If, Learning, Store

    c = SimpleNamespace(blocks=1, bound={"WT": np.zeros(3)}, array=lambda *a: pytest.fail("no buffers expected"))
    reads_local = Learning(column=True,
                           per_synapse=[S.assign("pj_", "0"), Store("WT", (S.expr("s_"),), S.expr("WT[s_] + pj_"))])
    branches = Learning(column=True,
                        per_synapse=[If(S.expr("s_ > 0"), []), Store("WT", (S.expr("s_"),), S.expr("WT[s_]"))])
    assert _blocked_column(c, reads_local, False) is None
    assert _blocked_column(c, branches, False) is None

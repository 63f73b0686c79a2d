"""The CUDA backend under Numba's CUDA simulator against the CPU backend.

Runs only with NUMBA_ENABLE_CUDASIM=1 (tests/test_cuda_backend.py starts this directory in
its own process). Sizes are small: the simulator runs every GPU thread as a Python thread.
The simulator evaluates the kernels with Python's float64 (and NumPy float32) arithmetic in
the same order as the CPU kernels, so spikes and sampled states must be identical; on a
real GPU they agree to floating-point tolerance (fused multiply-adds).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastspike as fs
from _same import assert_same_values

warnings.filterwarnings("ignore")

DT = 0.1


@pytest.fixture(params=["steps", "stages"])
def launch(request, monkeypatch):
    """Both GPU launch modes: a chunk of steps per cooperative launch, a stage per launch."""
    monkeypatch.setenv("FASTSPIKE_CUDA_LAUNCH", request.param)
    return request.param


def _compare(build, duration, runs=1, launch=None, per_record=False):
    """Run ``build(backend)`` on both backends and compare; the number of spikes compared
    (per spike record with ``per_record``)."""
    out = {}
    for backend in ("cpu", "cuda"):
        net, pops, spikes, traces = build(backend)
        for _ in range(runs):
            net.run(duration / runs)
        out[backend] = (net, pops, spikes, traces)
    (_, pops_c, sp_c, tr_c), (net_g, pops_g, sp_g, tr_g) = out["cpu"], out["cuda"]
    assert net_g._engine.__class__.__name__ == "CUDAEngine"
    if launch is not None:
        assert net_g._engine.mode == launch
    counts = []
    for a, b in zip(sp_c, sp_g):
        np.testing.assert_array_equal(a.steps, b.steps)
        np.testing.assert_array_equal(a.neurons, b.neurons)
        counts.append(len(a))
    for a, b in zip(tr_c, tr_g):
        np.testing.assert_array_equal(a.steps, b.steps)
        for v in a.variables:
            assert_same_values(a[v], b[v])
    for name in pops_c:  # state copied back to the host after the run
        for var in pops_c[name].state_names:
            assert_same_values(getattr(pops_c[name], var), getattr(pops_g[name], var))
    return counts if per_record else sum(counts)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_deterministic_network_identical_to_cpu(dtype, launch):
    """Step currents, replayed spikes, exp and delta synapses with a uniform delay, per-synapse
    delays and delays grouped in rows, refractoriness and an adaptive threshold."""
    def build(backend):
        net = fs.Network(dt=DT, seed=3, backend=backend, dtype=dtype)
        src = net.population(fs.SpikeSource([0.5, 1.0, 1.2, 2.0, 2.6], [0, 1, 0, 2, 1]), n=3, name="src")
        pop = net.population(fs.LIF(tau_m=10.0, v_rest=-65.0, v_reset=-66.0, v_thresh=-63.0, t_ref=0.5,
                                    tau_theta=5.0, theta_plus=0.3), n=8, name="pop")
        rk = net.population(fs.IF(tau_m=5.0, v_rest=0.0, v_reset=0.0, v_thresh=1.0), n=4, name="rk",
                            integrator="rk4")
        net.current(pop, fs.StepCurrent([0.0, 1.5], [1.2, 1.8]))
        net.current(rk, np.linspace(0.1, 1.0, 4))
        net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpCurrent(2.0), weight=2.0, delay=0.3)
        net.connect(src, pop, fs.FromArrays([0, 1, 2, 0], [0, 1, 2, 7]), synapse=fs.Delta(), weight=1.5,
                    delay=[0.1, 0.4, 0.2, 0.7])
        net.connect(pop, rk, fs.FixedTotalNumber(120), synapse=fs.ExpCurrent(1.0), weight=0.2,
                    delay=fs.Uniform(0.1, 0.4))
        net.connect(rk, pop, fs.AllToAll(), synapse=fs.Delta(), weight=-0.5, delay=0.2)
        spikes = [net.record(pop, "spikes"), net.record(rk, "spikes", neurons=[1, 3]), net.record(src, "spikes")]
        traces = [net.record(pop, ["v", "theta", "I"], neurons=[0, 7]), net.record(rk, "v", every=3)]
        return net, {"pop": pop, "rk": rk}, spikes, traces

    net = build("cpu")[0]
    assert {p.delivery for p in net.projections} == {"deferred", "ring"}
    assert any(p.delay_offsets is not None for p in net.projections)
    assert all(n > 0 for n in _compare(build, 4.0, launch=launch, per_record=True))  # every record spikes


def test_poisson_input_and_sources_identical_to_cpu(launch):
    """Counter-based random streams: the GPU draws the numbers the CPU draws."""
    def build(backend):
        net = fs.Network(dt=DT, seed=11, backend=backend)
        ps = net.population(fs.PoissonSource(rate=[300.0, 600.0, 900.0]), n=3, name="ps")
        pv = net.population(fs.PoissonSource(rate=[[100.0, 200.0], [800.0, 50.0]], times=[0.0, 1.0]), n=2, name="pv")
        pop = net.population(fs.LIF(tau_m=10.0, v_rest=0.0, v_reset=0.0, v_thresh=1.0, t_ref=0.3), n=6, name="pop")
        net.poisson_input(pop, n=100, rate=80.0, weight=0.05, synapse=fs.ExpCurrent(1.0))  # small mean: table
        net.poisson_input(pop, n=2000, rate=60.0, weight=0.01, synapse=fs.Delta())  # mean 12: PTRS
        net.connect(ps, pop, fs.AllToAll(), synapse=fs.Delta(), weight=0.2, delay=0.2)
        net.connect(pv, pop, fs.AllToAll(), synapse=fs.ExpCurrent(1.0), weight=0.3, delay=0.1)
        spikes = [net.record(ps, "spikes"), net.record(pv, "spikes"), net.record(pop, "spikes")]
        return net, {"pop": pop}, spikes, [net.record(pop, "v", neurons=[0, 1])]

    assert _compare(build, 3.0, launch=launch) > 20


def test_work_of_a_stage_spreads_over_more_items_than_threads(launch):
    """Populations larger than the grid (32 simulated threads), 48 spikes in one step, rows of
    more synapses than a warp's lanes, several calls of one kernel in a stage: every item is
    done once (dyadic weights: sums are exact in any order of the atomic additions)."""
    def build(backend):
        net = fs.Network(dt=DT, seed=4, backend=backend)
        src = net.population(fs.SpikeSource(np.repeat([0.3, 0.6, 1.5], 48), np.tile(np.arange(48), 3)), n=48,
                             name="src")
        a = net.population(fs.LIF(tau_m=10.0, v_rest=0.0, v_reset=0.0, v_thresh=4.0, t_ref=0.5), n=70, name="a")
        b = net.population(fs.LIF(tau_m=5.0, v_rest=0.0, v_reset=0.0, v_thresh=2.0), n=37, name="b")
        c = net.population(fs.IF(tau_m=5.0, v_rest=0.0, v_reset=0.0, v_thresh=1.0), n=41, name="c")
        net.connect(src, a, fs.AllToAll(), synapse=fs.ExpCurrent(2.0), weight=0.125, delay=0.2)
        net.connect(src, b, fs.AllToAll(), synapse=fs.Delta(), weight=0.0625, delay=0.1)
        net.connect(a, b, fs.AllToAll(), synapse=fs.ExpCurrent(1.0), weight=0.25, delay=np.resize([0.1, 0.2, 0.3, 0.1], (70, 37)))
        net.connect(a, c, fs.FixedIndegree(40), synapse=fs.Delta(), weight=0.5, delay=0.3)
        net.connect(b, c, fs.AllToAll(), synapse=fs.Delta(), weight=-0.25, delay=0.1)
        spikes = [net.record(p, "spikes") for p in (a, b, c)]
        return net, {"a": a, "b": b, "c": c}, spikes, [net.record(a, ["v", "I"], neurons=np.arange(0, 70, 2))]

    assert build("cpu")[0].projections[2].delivery == "ring"
    assert _compare(build, 3.0, launch=launch) > 100


@pytest.mark.parametrize("lanes", ["1", "4", "auto", "256"])
def test_rows_grouped_by_delay_in_several_calls_of_a_stage(lanes, monkeypatch):
    """Projections whose rows are grouped by delay, several of them in one stage, before
    other deliveries: every synapse is added once to the right ring row, whatever the lanes
    per spike (1: one lane walks every delay group of a row; 256: more lanes than a row has
    synapses). A microcircuit's deliveries have this shape."""
    monkeypatch.setenv("FASTSPIKE_CUDA_LANES", lanes)

    def build(backend):
        net = fs.Network(dt=DT, seed=8, backend=backend)
        src = net.population(fs.SpikeSource(np.repeat([0.2, 0.5, 0.6, 1.4], 12), np.tile(np.arange(12), 4)), n=12,
                             name="src")
        a = net.population(fs.LIF(tau_m=10.0, v_rest=0.0, v_reset=0.0, v_thresh=3.0, t_ref=0.3), n=30, name="a")
        b = net.population(fs.IF(tau_m=5.0, v_rest=0.0, v_reset=0.0, v_thresh=1.5), n=25, name="b")
        net.connect(src, a, fs.AllToAll(), synapse=fs.ExpCurrent(1.0), weight=0.5,
                    delay=np.resize([0.1, 0.2, 0.3, 0.5, 0.2], (12, 30)))
        net.connect(src, b, fs.AllToAll(), synapse=fs.Delta(), weight=0.25, delay=np.resize([0.4, 0.1, 0.1], (12, 25)))
        net.connect(a, b, fs.AllToAll(), synapse=fs.Delta(), weight=0.125,
                    delay=np.resize([0.1, 0.3, 0.2, 0.2], (30, 25)))
        net.connect(b, a, fs.AllToAll(), synapse=fs.ExpCurrent(1.0), weight=-0.0625, delay=0.2)
        spikes = [net.record(p, "spikes") for p in (a, b)]
        return net, {"a": a, "b": b}, spikes, [net.record(b, "v", neurons=np.arange(0, 25, 3))]

    assert sum(p.delay_offsets is not None for p in build("cpu")[0].projections) == 3
    assert _compare(build, 2.5, launch="steps") > 60


def test_repeated_runs_and_state_assignment():
    """run(a); run(b) equals run(a + b); state set between runs reaches the device."""
    def build(backend):
        net = fs.Network(dt=DT, seed=5, backend=backend)
        src = net.population(fs.SpikeSource(np.arange(0.2, 3.0, 0.3), np.zeros(10, int)), n=1, name="src")
        pop = net.population(fs.LIF(tau_m=8.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-60.0, t_ref=0.4), n=5,
                             name="pop")
        net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpCurrent(1.5), weight=60.0, delay=0.5)
        return net, {"pop": pop}, [net.record(pop, "spikes")], [net.record(pop, "v")]

    one = build("cuda")
    one[0].run(3.0)
    split = build("cuda")
    for d in (0.7, 1.1, 1.2):
        split[0].run(d)
    np.testing.assert_array_equal(one[2][0].steps, split[2][0].steps)
    np.testing.assert_array_equal(one[3][0].v, split[3][0].v)
    assert _compare(build, 3.0, runs=3) > 0

    finals = {}
    for backend in ("cpu", "cuda"):
        net, pops, _, traces = build(backend)
        net.run(0.5)
        pops["pop"].v[:] = np.linspace(-75.0, -61.0, 5)  # set on the host between runs
        net.run(0.5)
        finals[backend] = traces[0].v
    assert finals["cuda"][5, 0] != finals["cuda"][4, 0]
    assert_same_values(finals["cpu"], finals["cuda"])
    assert finals["cuda"][5, 4] > -61.5  # the assigned value was used


def test_integrators_and_models_on_the_gpu():
    """Euler/RK2 LIF and Lapicque: same traces as the CPU."""
    def build(backend):
        net = fs.Network(dt=DT, seed=1, backend=backend)
        a = net.population(fs.LIF(tau_m=10.0, v_thresh=-60.0, t_ref=0.2), n=3, name="a", integrator="euler")
        b = net.population(fs.Lapicque(R=5.0, C=1.0), n=3, name="b", integrator="rk2")
        net.current(a, [30.0, 40.0, 50.0])
        net.current(b, [0.3, 0.5, 0.8])
        return net, {"a": a, "b": b}, [net.record(a, "spikes"), net.record(b, "spikes")], \
            [net.record(a, "v"), net.record(b, "v")]

    assert _compare(build, 5.0) > 0


ZOO = [
    (lambda: fs.QuadLIF(tau_m=10.0), None, 30.0),
    (lambda: fs.Izhikevich.preset("RS"), "rk4", 10.0),
    (lambda: fs.Izhikevich.preset("CH"), "euler", 10.0),
    (lambda: fs.AdEx.preset("adapting"), None, 600.0),
    (lambda: fs.FitzHughNagumo(), None, 1.0),
    (lambda: fs.HodgkinHuxley(), None, 15.0),
    (lambda: fs.HodgkinHuxley(), "rk4", 15.0),
    (lambda: fs.ResonateAndFire(), None, 3.0),
    (lambda: fs.SLIF(tau_m=10.0, v_thresh=1.0), None, 0.3),
    (lambda: fs.WTAS(tau_m=1.0, n_units=4), None, 1.0),
]


@pytest.mark.parametrize("k", range(len(ZOO)))
def test_model_zoo_identical_to_cpu(k):
    """Every model of the zoo (its default integrator, and others) with a current, an
    exponential and a delta synapse: the same traces and spikes on both backends."""
    make, integrator, amp = ZOO[k]

    def build(backend):
        net = fs.Network(dt=0.05, seed=2, backend=backend)
        src = net.population(fs.SpikeSource([0.5, 1.0, 1.5], [0, 1, 0]), n=2, name="src")
        pop = net.population(make(), n=3, name="pop", integrator=integrator)
        net.current(pop, fs.StepCurrent([0.2], [[amp, 1.5 * amp, 2.0 * amp]]))
        net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpCurrent(1.0), weight=0.2 * amp, delay=0.1)
        net.connect(src, pop, fs.AllToAll(), synapse=fs.Delta(), weight=0.5, delay=0.2)
        return net, {"pop": pop}, [net.record(pop, "spikes")], [net.record(pop, pop.state_names)]

    _compare(build, 3.0)


def test_falls_back_to_a_launch_per_stage_when_cooperative_launches_fail(monkeypatch):
    """Without FASTSPIKE_CUDA_LAUNCH, a cooperative kernel that cannot be set up (no device
    runtime to link, no block fits) leaves the network running, one launch per stage, with a
    warning; asked for explicitly, the failure is an error."""
    from fastspike.backends.cuda.engine import CUDAEngine

    def broken(self, module):
        raise RuntimeError("cannot link cudadevrt")

    monkeypatch.setattr(CUDAEngine, "_configure_steps", broken)

    def build(backend):
        net = fs.Network(dt=DT, seed=5, backend=backend)
        pop = net.population(fs.LIF(tau_m=8.0, v_rest=0.0, v_reset=0.0, v_thresh=1.0), n=4, name="pop")
        net.current(pop, [5.0, 10.0, 20.0, 40.0])
        return net, {"pop": pop}, [net.record(pop, "spikes")], [net.record(pop, "v")]

    monkeypatch.delenv("FASTSPIKE_CUDA_LAUNCH", raising=False)
    with pytest.warns(RuntimeWarning, match="cannot link cudadevrt.*one kernel per stage"):
        assert _compare(build, 3.0, launch="stages") > 3
    monkeypatch.setenv("FASTSPIKE_CUDA_LAUNCH", "steps")
    with pytest.raises(RuntimeError, match="cannot link cudadevrt"):
        build("cuda")[0].run(0.1)


def test_launches_per_step(monkeypatch):
    """steps: one launch per chunk of steps (chunks start at 16 steps and double while they
    take under half a target time); stages: deliveries and updates each step, samples on sampling steps only."""
    def build():
        net = fs.Network(dt=DT, seed=5, backend="cuda")
        src = net.population(fs.SpikeSource([0.5, 1.0], [0, 0]), n=1, name="src")
        pop = net.population(fs.LIF(tau_m=8.0, v_rest=0.0, v_reset=0.0, v_thresh=1.0), n=4, name="pop")
        net.connect(src, pop, fs.AllToAll(), synapse=fs.Delta(), weight=0.5, delay=0.2)
        net.record(pop, "v", every=5)
        net.build()
        return net

    def counting(engine, name):
        counts = {"n": 0}
        kernel = getattr(engine, name)

        def launch(*args):
            counts["n"] += 1
            return kernel(*args)
        return counts, launch

    import fastspike.backends.cpu.engine as run_loop  # ChunkedEngine.run, shared by the engines

    monkeypatch.setattr(run_loop, "TARGET_CHUNK_SECONDS", 1e9)  # chunks only grow (the simulator is slow)
    monkeypatch.setenv("FASTSPIKE_CUDA_LAUNCH", "steps")
    net = build()
    counts, launch = counting(net._engine, "run_steps")
    net._engine.run_steps = launch
    net.run(4.0)  # 40 steps: 16 + 24
    assert counts["n"] == 2
    net._engine.chunk = 1000
    net.run(10.0)  # 100 steps in one launch
    assert counts["n"] == 3

    monkeypatch.setenv("FASTSPIKE_CUDA_LAUNCH", "stages")
    net = build()
    engine = net._engine
    tallies = []
    for k in range(3):
        counts, launch = counting(engine.stage_kernels[k], "__call__")
        engine.stage_kernels[k] = launch
        tallies.append(counts)
    net.run(4.0)
    assert [t["n"] for t in tallies] == [40, 40, 8]


def test_a_chunk_ends_before_a_spike_buffer_can_overflow(launch, monkeypatch):
    """Spike buffers of 16 steps of every neuron firing, neurons firing every 1-4 steps: in
    ``steps`` mode run_steps stops a chunk early (before the step that could overflow a
    buffer), in ``stages`` mode chunks never pass 16 steps; either way every spike is kept,
    in the CPU backend's order."""
    import fastspike.ir.schedule as schedule
    import fastspike.backends.cpu.engine as run_loop
    import fastspike.backends.cuda.engine as cuda_engine

    monkeypatch.setattr(schedule, "SPIKE_BUFFER_MIN", 1)
    monkeypatch.setattr(cuda_engine, "SPIKE_BUFFER_ENTRIES", 1)  # buffers of 16 steps x n spikes
    monkeypatch.setattr(run_loop, "TARGET_CHUNK_SECONDS", 1e9)  # chunks grow to the buffer's bound

    def build(backend):
        net = fs.Network(dt=DT, seed=6, backend=backend)
        pop = net.population(fs.LIF(tau_m=8.0, v_rest=0.0, v_reset=0.0, v_thresh=1.0), n=20, name="pop")
        net.current(pop, np.linspace(20.0, 100.0, 20))
        spikes = net.record(pop, "spikes")
        net.build()
        if backend == "cuda":
            engine = net._engine
            advance = engine._advance

            def logged(step0, nsteps):
                done = advance(step0, nsteps)
                chunks.append((nsteps, done))
                return done
            engine._advance = logged
        return net, {"pop": pop}, [spikes], []

    chunks: list[tuple[int, int]] = []
    assert _compare(build, 15.0, launch=launch) > 16 * 20  # more spikes than one buffer holds
    assert sum(done for _, done in chunks) == 150
    if launch == "steps":
        assert any(done < todo for todo, done in chunks)
    else:
        assert max(todo for todo, _ in chunks) <= 16


def test_user_components_identical_to_cpu(launch):
    """Components a user declares (a saturating exponential channel, a sine current with
    per-neuron amplitudes, a weight-update model that transmits a fraction of the weight):
    the GPU lowering runs the same scalar functions as the CPU's."""
    import math

    def saturating_factor(tau, dt):
        return math.exp(-dt / tau)

    def saturating_decay(I, factor):
        return I * factor

    def saturating_arrive(I, w, I_max):
        return min(I + w, I_max)

    def saturating_current(I):
        return I

    class Saturating(fs.PostsynapticModel):
        parameters = (fs.Parameter("tau", None, "ms", "", "positive"), fs.Parameter("I_max", None, "pA", "", "positive"))
        state_variables = (fs.StateVariable("I", "pA", 0.0),)
        derived = {"factor": saturating_factor}
        decay = staticmethod(saturating_decay)
        arrive = staticmethod(saturating_arrive)
        current = staticmethod(saturating_current)

    def sine(t, amplitude, frequency):
        return amplitude * math.sin(2.0 * math.pi * frequency * t / 1000.0)

    class Sine(fs.CurrentSource):
        parameters = (fs.Parameter("amplitude", None, "pA"), fs.Parameter("frequency", None, "Hz", "", "positive"))
        current = staticmethod(sine)

    def fraction_on_pre(g, fraction):
        return g * fraction

    class Fraction(fs.WeightUpdateModel):
        parameters = (fs.Parameter("fraction", None, "1", "", "positive"),)
        on_pre = staticmethod(fraction_on_pre)

    def build(backend):
        net = fs.Network(dt=DT, seed=12, backend=backend)
        src = net.population(fs.SpikeSource([0.2, 0.3, 0.5, 0.9, 1.1], [0, 1, 0, 2, 1]), n=3, name="src")
        pop = net.population(fs.LIF(tau_m=5.0, v_rest=0.0, v_reset=0.0, v_thresh=1.0), n=6, name="pop",
                             integrator="rk2")
        net.connect(src, pop, fs.AllToAll(), synapse=Saturating(tau=1.0, I_max=12.0), weight=20.0, delay=0.2,
                    weight_update=Fraction(fraction=0.75))
        net.current(pop, Sine(amplitude=np.linspace(0.5, 10.0, 6), frequency=400.0))
        return net, {"pop": pop}, [net.record(pop, "spikes")], [net.record(pop, ["v", "I"], neurons=[0, 5])]

    assert _compare(build, 2.5, launch=launch) > 3


def test_conductance_alpha_and_noise_components_identical_to_cpu(launch):
    """ExpConductance and AlphaConductance (stagewise currents, rk2 and exponential Euler),
    AlphaCurrent under the exact integrator, and the current sources NoiseCurrent, OUCurrent (a
    persistent per-neuron state) and ACCurrent: the same scalar functions and counter-based draws
    on the GPU as on the CPU."""
    def build(backend):
        net = fs.Network(dt=DT, seed=21, backend=backend)
        src = net.population(fs.SpikeSource([0.2, 0.3, 0.5, 0.9, 1.1], [0, 1, 0, 2, 1]), n=3, name="src")
        a = net.population(fs.LIF(tau_m=5.0, R=0.1, v_rest=-65.0, v_reset=-65.0, v_thresh=-60.0), n=4, name="a",
                           integrator="rk2")
        b = net.population(fs.HodgkinHuxleyTraub(), n=3, name="b")  # exponential Euler
        c = net.population(fs.LIF(tau_m=5.0, v_thresh=-64.0), n=3, name="c")  # exact
        for pop in (a, b):
            net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpConductance(0.5, 0.0), weight=30.0, delay=0.2)
            net.connect(src, pop, fs.AllToAll(), synapse=fs.AlphaConductance(1.0, -80.0), weight=5.0, delay=0.1)
        net.connect(src, c, fs.AllToAll(), synapse=fs.AlphaCurrent(0.5), weight=2.0, delay=0.1)
        net.current(a, fs.NoiseCurrent(mean=50.0, std=30.0))
        net.current(b, fs.OUCurrent(mean=200.0, std=300.0, tau=0.5))
        net.current(c, fs.ACCurrent(amplitude=2.0, frequency=300.0, offset=1.0))
        pops = {"a": a, "b": b, "c": c}
        return (net, pops, [net.record(p, "spikes") for p in pops.values()],
                [net.record(a, ["v", "I"]), net.record(b, ["v", "I"]), net.record(c, ["v", "I"])])

    assert _compare(build, 2.0, runs=2, launch=launch) > 2


def _readme_model():
    """The README's "Writing your own model" example, its model class only (the script part
    that builds and runs a network is left out)."""
    import pathlib
    import re
    import types

    text = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = text.split("## Writing your own model", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1).split("\nnet = ", 1)[0]
    module = types.ModuleType("readme_own_model")
    exec(compile(code, "README.md", "exec"), module.__dict__)
    return module.EIF


def test_readme_own_model_identical_to_cpu():
    """A user's model as the README writes it (exponential integrate-and-fire, rk2, refractory)
    runs on the GPU with the same spikes and states as on the CPU."""
    EIF = _readme_model()

    def build(backend):
        net = fs.Network(dt=0.05, seed=1, backend=backend)
        pop = net.population(EIF(tau_m=10.0), n=8, name="eif")
        net.current(pop, np.linspace(10.0, 25.0, 8))
        return net, {"eif": pop}, [net.record(pop, "spikes")], [net.record(pop, "v", neurons=[0, 7])]

    assert _compare(build, 40.0) > 5


def test_the_cuda_backend_checks_equations_replaced_after_the_class_was_defined():
    """The class definition checks the equations; one replaced afterwards (here with NumPy,
    which device code cannot call) is refused by the CUDA backend with the same checker's
    message, before anything compiles."""
    from fastspike.models.checks import ModelDefinitionError

    EIF = _readme_model()

    def np_dynamics(v, I, tau_m, v_rest, delta_T, v_T, v_peak, R):
        return ((v_rest - v) + delta_T * np.exp((min(v, v_peak) - v_T) / delta_T) + R * I) / tau_m,

    EIF.dynamics = staticmethod(np_dynamics)
    net = fs.Network(dt=0.05, seed=1, backend="cuda")
    net.population(EIF(), n=4, name="eif")
    with pytest.raises(ModelDefinitionError, match=r"CUDA backend: .*np_dynamics.*np\.exp.*math\.exp"):
        net.run(1.0)
    assert net.step == 0

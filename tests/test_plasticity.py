"""Plastic synapses (fs.STDP): weight for weight with NEST 3.10, the same for any thread
count, and invariants.

References: tests/nest_reference/plasticity.npz (made by make_plasticity_references.py there:
replayed trains, spike_generator -> parrot_neuron on both sides, the plastic synapse between
the parrots, NEST's weight_recorder). Here the presynaptic neurons are SpikeSources replaying
the parrots' spikes, and each postsynaptic neuron is a LIF made to fire at the parrots' times:
a SpikeSource one step earlier drives it through a Delta synapse of 100 mV (delay one step;
t_ref 0), while the plastic projection feeds an ExpCurrent channel through R = 1e-9 MOhm, so
that its weights move the membrane by less than 1e-6 mV and never make it fire.
"""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

import fastspike as fs

DT = 0.1
REF = np.load(os.path.join(os.path.dirname(__file__), "nest_reference", "plasticity.npz"))
STDP_CASES = ["stdp_add_d1", "stdp_add_d15", "stdp_mult_d1", "stdp_mult_d15", "stdp_guetig_d15", "stdp_negative_d3",
              "triplet_d1", "triplet_d15", "pl_d1", "pl_d15", "nn_symm_d1", "nn_symm_d15"]


def _rule(p: dict) -> fs.WeightUpdateModel:
    """The fastspike rule of a NEST case's parameters (NEST's names)."""
    syn = p["syn"]
    if p["model"] in ("stdp_synapse", "stdp_nn_symm_synapse"):
        return fs.STDP(tau_plus=syn["tau_plus"], tau_minus=p["tau_minus"], lambda_=syn["lambda"], alpha=syn["alpha"],
                       mu_plus=syn["mu_plus"], mu_minus=syn["mu_minus"], w_max=syn["Wmax"],
                       nearest=p["model"] == "stdp_nn_symm_synapse")
    if p["model"] == "stdp_triplet_synapse":
        return fs.TripletSTDP(tau_plus=syn["tau_plus"], tau_plus_triplet=syn["tau_plus_triplet"],
                              tau_minus=p["tau_minus"], tau_minus_triplet=p["post"]["tau_minus_triplet"],
                              Aplus=syn["Aplus"], Aminus=syn["Aminus"], Aplus_triplet=syn["Aplus_triplet"],
                              Aminus_triplet=syn["Aminus_triplet"], w_max=syn["Wmax"])
    assert p["model"] == "stdp_pl_synapse_hom"
    return fs.PowerLawSTDP(tau_plus=syn["tau_plus"], tau_minus=p["tau_minus"], lambda_=syn["lambda"],
                           alpha=syn["alpha"], mu=syn["mu"])


def replay_network(name: str, threads: int = 1, ref=REF):
    """The NEST case ``name`` (of ``ref``) in fastspike: (network, plastic projection, post spike record)."""
    REF = ref
    p = json.loads(str(REF[f"{name}_params"]))
    syn = p["syn"]
    net = fs.Network(dt=DT, seed=3, threads=threads)
    pre = net.population(fs.SpikeSource(REF[f"{name}_pre_times"], REF[f"{name}_pre_neurons"]), 3, "pre")
    drive = net.population(fs.SpikeSource(REF[f"{name}_post_times"] - DT, REF[f"{name}_post_neurons"]), 2, "drive")
    post = net.population(fs.LIF(tau_m=10.0, R=1e-9, v_rest=-70.0, v_reset=-70.0, v_thresh=-55.0), 2, "post")
    net.connect(drive, post, fs.OneToOne(), fs.Delta(), weight=100.0, delay=DT)
    rule = _rule(p)
    proj = net.connect(pre, post, fs.AllToAll(), fs.ExpCurrent(2.0), weight=REF[f"{name}_w0"], delay=p["delay"],
                       plasticity=rule)
    return net, proj, net.record(post, "spikes")


def run_replay(name: str, threads: int = 1):
    """Run the case, reading the weights at the end of the step after each presynaptic spike
    (when its depression is applied; NEST's weight_recorder gives the weight it transmits).
    Returns (weights after each event, in NEST's event order; final weights 3 x 2; post
    spike times; weights at the end in synapse order)."""
    net, proj, spikes = replay_network(name, threads)
    events = REF[f"{name}_events"]
    src, tgt = proj.sources(), proj.targets
    index = {(int(i), int(j)): s for s, (i, j) in enumerate(zip(src, tgt))}
    got = np.zeros(len(events))
    for t in np.unique(events[:, 2]):
        k = int(round(t / DT)) - 1  # the step the presynaptic spike was emitted in
        net.run((k + 2) * DT - net.t)  # to the end of step k + 1 (its delivery)
        for e in np.flatnonzero(events[:, 2] == t):
            got[e] = proj.weights[index[(int(events[e, 0]), int(events[e, 1]))]]
    net.run(3000 * DT + 5.0 - net.t)
    final = np.zeros((3, 2))
    final[src, tgt] = proj.weights
    return got, final, spikes.times, proj.weights.copy()


@pytest.fixture(scope="module")
def replays():
    return {name: run_replay(name) for name in STDP_CASES}


@pytest.mark.parametrize("name", STDP_CASES)
def test_stdp_weights_equal_nest(replays, name):
    got, _, post_times, _ = replays[name]
    np.testing.assert_allclose(np.sort(post_times), np.sort(REF[f"{name}_post_times"]), rtol=0, atol=1e-9)
    events = REF[f"{name}_events"]
    assert len(events) > 60
    np.testing.assert_allclose(got, events[:, 3], rtol=1e-6, atol=0)


@pytest.mark.parametrize("name", STDP_CASES)
def test_stdp_final_weights_equal_nest(replays, name):
    """NEST's weight changes only at presynaptic spikes (facilitations are applied lazily),
    so its final weight is the weight after each synapse's last presynaptic spike: fastspike's
    weight then (fastspike has since added the facilitation of later postsynaptic spikes)."""
    got, final, _, _ = replays[name]
    events = REF[f"{name}_events"]
    last = {}
    for e, (i, j, t, w) in enumerate(events):
        last[(int(i), int(j))] = got[e]
    for (i, j), w in last.items():
        assert w == pytest.approx(REF[f"{name}_final"][i, j], rel=1e-6)


def test_stdp_same_weights_for_any_thread_count(replays):
    for name in ("stdp_mult_d15", "triplet_d15"):
        base = replays[name]
        for threads in (2, 3):
            got, final, post_times, weights = run_replay(name, threads)
            assert np.array_equal(got, base[0]) and np.array_equal(weights, base[3])


# -- a presynaptic neuron silent while its targets fire many times --------------------------------
FLUSH = np.load(os.path.join(os.path.dirname(__file__), "nest_reference", "plasticity_flush.npz"))
FLUSH_CASES = ["flush_stdp_mult_d15", "flush_triplet_d1", "flush_pl_d15", "flush_nn_symm_d15"]


@pytest.mark.parametrize("name", FLUSH_CASES)
def test_weights_equal_nest_when_a_presynaptic_neuron_is_silent_for_long(name):
    """Presynaptic neuron 0 is silent for 140 ms while its postsynaptic neurons fire 93 and
    about 70 times (tests/nest_reference/make_flush_references.py; NEST facilitates lazily
    from its postsynaptic spike history, fastspike when each postsynaptic spike arrives). In
    two runs, to the step after neuron 0's second spike and to the step after the last spikes
    of neurons 0 and 2, the weights equal NEST's (its weight_recorder's at neuron 0's second
    spike, its final weights)."""
    net, proj, spikes = replay_network(name, ref=FLUSH)
    src, tgt = proj.sources(), proj.targets
    net.run((1500 + 2) * DT)
    events = FLUSH[f"{name}_events"]
    second = events[(events[:, 0] == 0) & np.isclose(events[:, 2], 1501 * DT)]
    assert len(second) == 2
    for i, j, _, w in second:
        assert proj.weights[(src == i) & (tgt == j)][0] == pytest.approx(w, rel=1e-6)
    net.run((2900 + 2) * DT - net.t)
    last = src != 1  # presynaptic neurons 0 and 2 fire last at step 2900 (neuron 1 at 2760: later
    # postsynaptic spikes have facilitated its synapses since, which NEST's final weights lack)
    np.testing.assert_allclose(proj.weights[last], FLUSH[f"{name}_final"][src, tgt][last], rtol=1e-6, atol=0)
    np.testing.assert_allclose(np.sort(spikes.times), np.sort(FLUSH[f"{name}_post_times"]), rtol=0, atol=1e-9)


# -- invariants ---------------------------------------------------------------------------------
def _poisson_net(seed: int = 5):
    net = fs.Network(dt=DT, seed=seed)
    pre = net.population(fs.PoissonSource(rate=40.0), 30, "pre")
    post = net.population(fs.LIF(tau_m=10.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-55.0, t_ref=2.0), 4, "post")
    net.poisson_input(post, 100, 100.0, 1.0)
    return net, pre, post


def test_weights_stay_within_zero_and_w_max():
    net, pre, post = _poisson_net()
    w0 = net.rng.uniform(0.0, 10.0, size=(30, 4))
    proj = net.connect(pre, post, fs.AllToAll(), fs.Delta(), weight=w0, delay=fs.Uniform(0.1, 1.0),
                       weight_update=fs.STDP(lambda_=0.5, alpha=1.05, mu_plus=0.0, mu_minus=0.0, w_max=10.0))
    spikes = net.record(post, "spikes")
    lows = highs = 0
    for _ in range(10):
        net.run(50.0)
        w = proj.weights
        assert w.min() >= 0.0 and w.max() <= 10.0
        lows += int(np.sum(w == 0.0))
        highs += int(np.sum(w == np.float32(10.0)))
    assert len(spikes.times) > 50 and lows > 0 and highs > 0  # both bounds were reached and held


def test_additive_stdp_only_depresses_without_later_post_spikes():
    """Postsynaptic spikes only in the first 5 ms, presynaptic spikes from 20 ms on: every
    pair is post-before-pre, so additive STDP never facilitates; each presynaptic spike
    depresses."""
    net = fs.Network(dt=DT, seed=2)
    times = np.repeat(np.arange(20.0, 200.0, 7.0), 1)
    pre = net.population(fs.SpikeSource(times, np.arange(times.size) % 3), 3)
    drive = net.population(fs.SpikeSource([1.0, 2.5, 4.0], [0, 0, 1]), 2)
    post = net.population(fs.LIF(tau_m=10.0, R=1e-9, v_rest=-70.0, v_reset=-70.0, v_thresh=-55.0), 2)
    net.connect(drive, post, fs.OneToOne(), fs.Delta(), weight=100.0)
    proj = net.connect(pre, post, fs.AllToAll(), fs.ExpCurrent(2.0), weight=50.0, delay=1.0,
                       weight_update=fs.STDP(tau_minus=60.0, lambda_=0.05, mu_plus=0.0, mu_minus=0.0))
    last = proj.weights.copy()
    for _ in range(20):
        net.run(10.0)
        assert np.all(proj.weights <= last)
        last = proj.weights.copy()
    assert np.all(last < 50.0)


def _static_part(net):
    a = net.population(fs.PoissonSource(rate=30.0), 50, "a")
    b = net.population(fs.LIF(tau_m=10.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-55.0, t_ref=2.0), 20, "b")
    net.connect(a, b, fs.FixedProbability(0.3), fs.ExpCurrent(2.0), weight=fs.Normal(60.0, 10.0), delay=1.0)
    net.poisson_input(b, 50, 50.0, 1.0)
    return net.record(b, "spikes"), net.record(b, "v", every=10)


def test_static_projection_unchanged_by_a_plastic_one_elsewhere():
    net1 = fs.Network(dt=DT, seed=11)
    s1, v1 = _static_part(net1)
    net1.run(100.0)
    net2 = fs.Network(dt=DT, seed=11)
    s2, v2 = _static_part(net2)
    c = net2.population(fs.PoissonSource(rate=30.0), 10, "c")
    d = net2.population(fs.LIF(tau_m=10.0), 5, "d")
    net2.poisson_input(d, 50, 80.0, 1.0)
    plastic = net2.connect(c, d, fs.AllToAll(), fs.Delta(), weight=0.5, delay=2.0, weight_update=fs.STDP(w_max=1.0))
    net2.run(100.0)
    assert len(s1.times) > 20
    assert np.array_equal(s1.times, s2.times) and np.array_equal(s1.neurons, s2.neurons)
    assert np.array_equal(v1.v, v2.v)
    assert not np.all(plastic.weights == np.float32(0.5))  # it learned


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({"tau_plus": -1.0}, "tau_plus=-1.0 is not allowed"),
    ({"tau_minus": 0.0}, "tau_minus=0.0 is not allowed"),
    ({"lambda_": -0.1}, "lambda_=-0.1 is not allowed"),
    ({"w_max": 0.0}, "w_max=0.0 is not allowed"),
])
def test_stdp_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fs.STDP(**kwargs)


def test_stdp_bad_weights():
    net = fs.Network(dt=DT)
    a = net.population(fs.PoissonSource(rate=10.0), 3)
    b = net.population(fs.LIF(tau_m=10.0), 2)
    with pytest.raises(ValueError, match=r"weight 150.0 is outside \[0.0, 100.0\]"):
        net.connect(a, b, fs.AllToAll(), weight=150.0, weight_update=fs.STDP(w_max=100.0))
    with pytest.raises(ValueError, match=r"weight -1.0 is outside \[0.0, 100.0\]"):
        net.connect(a, b, fs.AllToAll(), weight=np.full((3, 2), -1.0), weight_update=fs.STDP())
    with pytest.raises(ValueError, match=r"outside \[-5.0, 0.0\]"):
        net.connect(a, b, fs.AllToAll(), weight=2.0, weight_update=fs.STDP(w_max=-5.0))
    with pytest.raises(ValueError, match="spike source and cannot receive input"):
        net.connect(b, a, fs.AllToAll(), weight=1.0, weight_update=fs.STDP())
    assert not net.projections


# -- short-term plasticity: NEST tsodyks2_synapse -----------------------------------------------
@pytest.mark.parametrize("name", ["tsodyks2_depressing", "tsodyks2_facilitating", "tsodyks2_mixed"])
def test_tsodyks_markram_amplitudes_equal_nest(name):
    """Each presynaptic SpikeSource drives its own non-leaky integrator (LIF with g_L = 0)
    through a Delta synapse: the jump of v in the step a spike arrives is the amplitude x u g
    it transmits, compared with NEST's weight_recorder."""
    p = json.loads(str(REF[f"{name}_params"]))
    net = fs.Network(dt=DT, seed=1)
    pre = net.population(fs.SpikeSource(REF[f"{name}_pre_times"], REF[f"{name}_pre_neurons"]), 4)
    post = net.population(fs.LIF(tau_m=10.0, g_L=0.0, v_rest=0.0, v_reset=0.0, v_thresh=1e9), 4)
    net.connect(pre, post, fs.OneToOne(), fs.Delta(), weight=p["weight"], delay=p["delay"],
                plasticity=fs.TsodyksMarkram(**p["syn"]))
    v = net.record(post, "v")
    net.run(1700.0)
    jumps = np.diff(np.vstack([np.zeros((1, 4)), v.v]), axis=0)  # row m: what arrived in step m
    events = REF[f"{name}_events"]
    d = int(round(p["delay"] / DT))
    steps = np.rint(events[:, 1] / DT).astype(int) - 1 + d  # emitted in step k, arrives in step k + d
    got = jumps[steps, events[:, 0].astype(int)]
    assert len(events) > 80 and np.ptp(events[:, 2]) > 0.1
    np.testing.assert_allclose(got, events[:, 2], rtol=1e-6, atol=0)
    assert np.count_nonzero(np.abs(jumps) > 1e-12) == len(events)  # nothing else arrived


def test_tsodyks_markram_bad_parameters():
    with pytest.raises(ValueError, match=r"U=1.5 is not allowed; it must be in \(0, 1\]"):
        fs.TsodyksMarkram(U=1.5)
    with pytest.raises(ValueError, match="U=0.0 is not allowed"):
        fs.TsodyksMarkram(U=0.0)
    with pytest.raises(ValueError, match="tau_rec=-5.0 is not allowed"):
        fs.TsodyksMarkram(tau_rec=-5.0)
    with pytest.raises(ValueError, match="tau_fac=-1.0 is not allowed"):
        fs.TsodyksMarkram(tau_fac=-1.0)


# -- weights as data ----------------------------------------------------------------------------
def test_weights_get_set_between_runs_and_connectivity_output(tmp_path):
    net, pre, post = _poisson_net(seed=8)
    proj = net.connect(pre, post, fs.FixedProbability(0.5), fs.Delta(), weight=fs.Uniform(1.0, 3.0), delay=1.0,
                       weight_update=fs.STDP(lambda_=0.05, w_max=5.0))
    w0 = proj.weights
    assert w0.dtype == np.float32 and w0.shape == (proj.n_synapses,)
    out = tmp_path / "run.h5"
    net.run(100.0, output=out, connectivity=True)
    w1 = proj.weights
    assert not np.array_equal(w0, w1)
    with fs.load(out) as f:
        c = f.connectivity(0)
        assert np.array_equal(c["weights"], w1) and np.array_equal(c["targets"], proj.targets)
    proj.weights = np.full(proj.n_synapses, 2.5)  # set between runs: the next run starts from them
    assert np.all(proj.weights == 2.5)
    net.run(50.0, output=out, connectivity=True)
    w2 = proj.weights
    assert not np.all(w2 == 2.5)
    with fs.load(out) as f:
        assert np.array_equal(f.connectivity(0)["weights"], w2)
    # the same network, started from 2.5 at 100 ms by construction, reaches the same weights
    net2, pre2, post2 = _poisson_net(seed=8)
    proj2 = net2.connect(pre2, post2, fs.FixedProbability(0.5), fs.Delta(), weight=fs.Uniform(1.0, 3.0), delay=1.0,
                         weight_update=fs.STDP(lambda_=0.05, w_max=5.0))
    net2.run(100.0)
    assert np.array_equal(proj2.weights, w1)
    proj2.weights = 2.5
    net2.run(50.0)
    assert np.array_equal(proj2.weights, w2)


def test_static_weights_set_between_runs():
    net, pre, post = _poisson_net(seed=9)
    proj = net.connect(pre, post, fs.FixedProbability(0.5), fs.Delta(), weight=0.5, delay=1.0)
    assert proj.weights.shape == (proj.n_synapses,) and np.all(proj.weights == 0.5)
    spikes = net.record(post, "spikes")
    net.run(50.0)
    proj.weights = np.linspace(0.0, 1.0, proj.n_synapses)
    np.testing.assert_array_equal(proj.weights, np.linspace(0.0, 1.0, proj.n_synapses).astype(np.float32))
    net.run(50.0)
    assert len(spikes.times) > 0


def test_bad_weights_set():
    net, pre, post = _poisson_net(seed=9)
    proj = net.connect(pre, post, fs.FixedProbability(0.5), fs.Delta(), weight=0.5, delay=1.0,
                       weight_update=fs.STDP(w_max=1.0))
    with pytest.raises(ValueError, match=r"shape \(" + str(proj.n_synapses) + r",\)"):
        proj.weights = np.zeros(proj.n_synapses + 1)
    with pytest.raises(ValueError, match=r"weight 2.0 is outside \[0.0, 1.0\]"):
        proj.weights = 2.0
    with pytest.raises(ValueError, match="finite"):
        proj.weights = np.nan
    with pytest.raises(TypeError, match="must be a number or an array"):
        proj.weights = "heavy"
    assert np.all(proj.weights == 0.5)


def test_record_weights_in_memory_and_hdf5(tmp_path):
    net, pre, post = _poisson_net(seed=8)
    proj = net.connect(pre, post, fs.FixedProbability(0.5), fs.Delta(), weight=fs.Uniform(1.0, 3.0), delay=1.0,
                       plasticity=fs.STDP(lambda_=0.05, w_max=5.0))
    chosen = [0, 5, proj.n_synapses - 1]
    rec = net.record(proj, "weight", synapses=chosen, every=20)
    everything = net.record(proj, "weight", every=500)
    trail = []
    for _ in range(5):
        net.run(20.0)  # 200 steps: the last sample of each run is taken at its end
        trail.append(proj.weights[chosen])
    assert rec.weight.shape == (50, 3) and np.array_equal(rec.steps, np.arange(1, 51) * 20)
    assert np.array_equal(rec.weight[9::10], np.array(trail, dtype=np.float64))
    assert np.array_equal(everything.weight[-1], proj.weights.astype(np.float64))
    out = tmp_path / "w.h5"
    net.run(40.0, output=out)
    assert rec.weight.shape == (70, 3) and np.array_equal(rec.weight[-1], proj.weights[chosen].astype(np.float64))
    with fs.load(out) as f:
        loaded = f.state(f"{pre.name}->{post.name}", "weight")
        # the rows held in memory moved to the file when the run started: it holds all 70
        assert np.array_equal(loaded.neurons, chosen) and np.array_equal(loaded.weight, rec.weight)
        frame = loaded.to_dataframe()
        assert frame.shape == (70, 3) and np.array_equal(frame.to_numpy(), rec.weight)
        long = f.to_dataframe("state")
        mine = long[long["population"] == f"{pre.name}->{post.name}"]
        assert len(mine) == 70 * 3 + 2 * proj.n_synapses and set(mine["variable"]) == {"weight"}


def test_record_weight_bad_input():
    net, pre, post = _poisson_net(seed=8)
    static = net.connect(pre, post, fs.FixedProbability(0.5), fs.Delta(), weight=1.0)
    plastic = net.connect(pre, post, fs.FixedProbability(0.5), fs.Delta(), weight=1.0, plasticity=fs.STDP(w_max=5.0))
    with pytest.raises(ValueError, match="is static"):
        net.record(static, "weight")
    with pytest.raises(ValueError, match=f"synapse index {plastic.n_synapses} is out of range"):
        net.record(plastic, "weight", synapses=[0, plastic.n_synapses])
    with pytest.raises(ValueError, match="synapse index -1 is out of range"):
        net.record(plastic, "weight", synapses=[-1])
    with pytest.raises(ValueError, match="records 'weight'"):
        net.record(plastic, "v")
    with pytest.raises(ValueError, match="synapses= is for a projection"):
        net.record(post, "v", synapses=[0])
    assert not net.records


def test_triplet_and_power_law_bad_input():
    with pytest.raises(ValueError, match="tau_minus_triplet=-3.0 is not allowed"):
        fs.TripletSTDP(tau_minus_triplet=-3.0)
    with pytest.raises(ValueError, match="Aminus=-1.0 is not allowed"):
        fs.TripletSTDP(Aminus=-1.0)
    with pytest.raises(ValueError, match="w_max=0.0 is not allowed"):
        fs.TripletSTDP(w_max=0.0)
    with pytest.raises(ValueError, match="mu=-0.4 is not allowed"):
        fs.PowerLawSTDP(mu=-0.4)
    net = fs.Network(dt=DT)
    a = net.population(fs.PoissonSource(rate=10.0), 3)
    b = net.population(fs.LIF(tau_m=10.0), 2)
    with pytest.raises(ValueError, match=r"weight -2.0 is negative; PowerLawSTDP"):
        net.connect(a, b, fs.AllToAll(), weight=-2.0, plasticity=fs.PowerLawSTDP())
    with pytest.raises(ValueError, match=r"weight 120.0 is outside \[0.0, 100.0\]"):
        net.connect(a, b, fs.AllToAll(), weight=120.0, plasticity=fs.TripletSTDP())


# -- a user's rule with reads (values of one neuron, computed once per neuron and step) -----------
def _hebb_trace(x, elapsed, tau):
    if elapsed <= 0.0:
        return x
    return (x + 1.0) * math.exp(-elapsed / tau)


def _hebb_on_pre(g, x, dt_pre, y, dt_post, eta, w_max, tau_pre, tau_post):
    w = g - eta * _hebb_trace(y, dt_post, tau_post) * (1.0 + math.exp(-dt_pre / tau_pre)) * (x + 0.5)
    w = w if w > 0.0 else 0.0
    return w, w


def _hebb_on_post(g, x, dt_pre, y, dt_post, eta, w_max, tau_pre, tau_post):
    w = g + eta * _hebb_trace(x, dt_pre, tau_pre) * (1.0 - 0.5 * _hebb_trace(y, dt_post, tau_post))
    return w if w < w_max else w_max


def _hebb_pre_spike(x, dt_pre, tau_pre):
    return (x + 1.0) * math.exp(-dt_pre / tau_pre)


def _hebb_post_spike(y, dt_post, tau_post):
    return (y + 1.0) * math.exp(-dt_post / tau_post)


class _Hebb(fs.WeightUpdateModel):
    """A user's plastic rule written without reads: every trace is computed per synapse."""

    parameters = (fs.Parameter("eta", 0.05, "1", "learning rate", "nonnegative"),
                  fs.Parameter("w_max", 5.0, "weight", "largest weight", "positive"),
                  fs.Parameter("tau_pre", 15.0, "ms", "presynaptic trace", "positive"),
                  fs.Parameter("tau_post", 25.0, "ms", "postsynaptic trace", "positive"))
    pre_variables = (fs.StateVariable("x", "1", 0.0, "presynaptic trace"),)
    post_variables = (fs.StateVariable("y", "1", 0.0, "postsynaptic trace"),)
    on_pre = staticmethod(_hebb_on_pre)
    on_post = staticmethod(_hebb_on_post)
    pre_spike = staticmethod(_hebb_pre_spike)
    post_spike = staticmethod(_hebb_post_spike)


def _hebb_pre_read(x, dt_pre, tau_pre):  # two values; on_pre takes one, on_post the other
    return _hebb_trace(x, dt_pre, tau_pre), math.exp(-dt_pre / tau_pre)


def _hebb_post_read(y, dt_post, tau_post):
    return _hebb_trace(y, dt_post, tau_post)


def _hebb_reads_on_pre(g, x, ky, ex, eta):  # a pre variable as it is, beside the reads
    w = g - eta * ky * (1.0 + ex) * (x + 0.5)
    w = w if w > 0.0 else 0.0
    return w, w


def _hebb_reads_on_post(g, kx, ky, eta, w_max):
    w = g + eta * kx * (1.0 - 0.5 * ky)
    return w if w < w_max else w_max


class _HebbReads(_Hebb):
    """The same rule with its traces as reads: the same operations, so the same bits."""

    pre_read = staticmethod(_hebb_pre_read)
    pre_reads = ("kx", "ex")
    post_read = staticmethod(_hebb_post_read)
    post_reads = ("ky",)
    on_pre = staticmethod(_hebb_reads_on_pre)
    on_post = staticmethod(_hebb_reads_on_post)


def _hebb_run(rule: type, threads: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """(initial weights of the first projection, final weights of both)."""
    net = fs.Network(dt=DT, seed=7, threads=threads)
    pre = net.population(fs.PoissonSource(rate=80.0), 25, "pre")
    post = net.population(fs.LIF(tau_m=10.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-55.0, t_ref=1.0), 12, "post")
    net.poisson_input(post, 100, 150.0, 1.0)
    projs = [net.connect(pre, post, fs.FixedProbability(0.6), fs.Delta(), weight=fs.Uniform(0.5, 4.0),
                         delay=fs.Uniform(0.1, 0.8), plasticity=rule()),  # several delays: post reads per row
             net.connect(post, post, fs.AllToAll(), fs.Delta(), weight=0.3, delay=0.2, plasticity=rule())]
    initial = projs[0].weights.copy()
    net.run(150.0)
    net.run(100.0)  # memos across runs
    return initial, [p.weights.copy() for p in projs]


def test_a_rule_with_reads_equals_the_same_rule_without_them():
    """Reads are computed once per neuron and step (one thread: kept in memory) or per synapse
    (threads): either way, weight for weight the bits of the rule that computes them itself."""
    initial, base = _hebb_run(_Hebb, 1)
    assert np.abs(base[0] - initial).max() > 0.01 and np.abs(base[1] - 0.3).max() > 0.01  # it learned
    for threads in (1, 2):
        _, got = _hebb_run(_HebbReads, threads)
        for a, b in zip(base, got):
            assert a.dtype == b.dtype and np.array_equal(a, b)


def test_reads_bad_input():
    net = fs.Network(dt=DT)
    a = net.population(fs.PoissonSource(rate=10.0), 3)
    b = net.population(fs.LIF(tau_m=10.0), 2)

    def connect(**declared):
        rule = type("Bad", (_HebbReads,), {k: staticmethod(v) if callable(v) else v for k, v in declared.items()})
        net.connect(a, b, fs.AllToAll(), weight=1.0, plasticity=rule())

    with pytest.raises(ValueError, match=r"pre_reads name 'x' is used twice"):  # a pre variable
        connect(pre_reads=("x", "ex"))
    with pytest.raises(ValueError, match=r"post_reads name 'tau_post' is used twice"):  # a parameter
        connect(post_reads=("tau_post",))
    with pytest.raises(ValueError, match=r"post_reads name 'kx' is used twice"):  # the other side's read
        connect(post_reads=("kx",))
    with pytest.raises(ValueError, match=r"pre_reads name 'dt_pre' is used twice"):
        connect(pre_reads=("dt_pre", "ex"))
    with pytest.raises(ValueError, match="pre_read and pre_reads go together"):
        connect(pre_reads=())
    with pytest.raises(TypeError, match=r"pre_read \(_hebb_pre_read\) must return a tuple of 3 values"):
        connect(pre_reads=("kx", "ex", "zz"))
    with pytest.raises(TypeError, match=r"post_read \(bad_read\): argument 'dt_pre' is not allowed"):
        def bad_read(y, dt_pre):
            return y
        connect(post_read=bad_read)
    with pytest.raises(ValueError, match="pre_read/post_read are for plastic models"):
        net.connect(a, b, fs.AllToAll(), weight=1.0, plasticity=type("StaticReads", (fs.Static,), {
            "pre_read": staticmethod(_hebb_pre_read), "pre_reads": ("kx", "ex")})())
    assert not net.projections


def test_power_law_column_walk_under_vector_math_keeps_the_weights():
    """The blocked column walk (gathered weights and K+, then the rule over the block) with
    the C library's pow and with vmath.pow (vector math, within a few ulp of it): the same
    spikes, and the stored (float32) weights within 2 float32 ulps of each other, most of
    them moved by the rule."""
    runs = {}
    for vector_math in (False, True):
        net = fs.Network(dt=0.1, seed=5, backend=fs.backends.CPU(vector_math=vector_math))
        a = net.population(fs.PoissonSource(rate=40.0), n=30, name="a")
        b = net.population(fs.LIF(tau_m=10.0, v_rest=0.0, v_reset=0.0, v_thresh=15.0), n=20, name="b")
        net.poisson_input(b, 50, 100.0, 2.0, fs.ExpCurrent(2.0))
        proj = net.connect(a, b, fs.FixedProbability(0.5), synapse=fs.ExpCurrent(2.0), weight=20.0, delay=1.5,
                           plasticity=fs.PowerLawSTDP(tau_plus=15.0, tau_minus=30.0, lambda_=0.1, alpha=0.0513,
                                                      mu=0.4))
        spikes = net.record(b, "spikes")
        net.run(300.0, progress=False)
        runs[vector_math] = (proj.weights.copy(), spikes.times.copy())
    (w0, t0), (w1, t1) = runs[False], runs[True]
    np.testing.assert_array_equal(t0, t1)
    assert len(t0) > 20
    np.testing.assert_allclose(w1, w0, rtol=2.5e-7)  # 2 ulps of a float32 weight
    assert np.mean(w0 != np.float32(20.0)) > 0.5


def test_row_table_gives_every_synapse_its_row():
    """row_table + row_in_block against NumPy's searchsorted, for rows long and short, empty
    rows among them; rows too short for blocks of 16 get no table."""
    from numba import njit

    from fastspike.ir.schedule import row_in_block
    from fastspike.synapses.projection import ROW_TABLE_MIN_SHIFT, row_table

    compiled = njit(row_in_block)
    rng = np.random.default_rng(3)
    for lengths in (rng.integers(40, 200, 300), np.r_[0, 0, rng.integers(90, 100, 50), 0, 120],
                    np.full(7, 16), rng.integers(0, 3000, 40)):
        indptr = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        table = row_table(indptr)
        if table is None:
            continue
        rows, shift = table
        assert shift >= ROW_TABLE_MIN_SHIFT and rows.size == -(-indptr[-1] // (1 << shift))
        s = np.arange(indptr[-1], dtype=np.int32)
        want = np.searchsorted(indptr, s, side="right") - 1
        got = np.array([compiled(indptr, rows, x, shift) for x in s])
        np.testing.assert_array_equal(got, want)
        assert all(row_in_block(indptr, rows, x, shift) == w for x, w in zip(s[::97], want[::97]))
    assert row_table(np.r_[0, np.cumsum(np.full(50, 3))].astype(np.int64)) is None
    assert row_table(np.r_[0, np.cumsum(np.tile([0, 0, 20], 30))].astype(np.int64)) is None  # empty rows between


def test_column_walk_with_a_row_table_equals_the_row_search():
    """Rows of 60 synapses (a row table with blocks of 32): the learned weights equal, bit
    for bit, those of the same network walking its columns with the search from the row
    before (the table removed), on 2 threads against 1."""
    def run(table: bool, threads: int) -> np.ndarray:
        net = fs.Network(dt=DT, seed=9, threads=threads)
        pre = net.population(fs.PoissonSource(rate=60.0), 12, "pre")
        post = net.population(fs.LIF(tau_m=10.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-55.0, t_ref=1.0), 60, "post")
        net.poisson_input(post, 100, 150.0, 1.0)
        proj = net.connect(pre, post, fs.AllToAll(), fs.Delta(), weight=fs.Uniform(0.5, 4.0), delay=0.5,
                           plasticity=fs.STDP(lambda_=0.05, alpha=1.1, mu_plus=0.0, mu_minus=0.0, w_max=10.0))
        assert (proj.row_table is not None) and proj.row_shift == 5
        if not table:
            proj.row_table = None
        initial = proj.weights.copy()
        net.run(200.0, progress=False)
        assert np.abs(proj.weights - initial).max() > 0.01  # it learned
        return proj.weights.copy()

    np.testing.assert_array_equal(run(True, 2), run(False, 1))


def test_column_index_groups_each_neurons_synapses_by_delay():
    """CI[CP[i, e]:CP[i, e + 1]] are the synapses onto i of delay min_delay + e, ids ascending
    (found here with NumPy from the targets and delays)."""
    net = fs.Network(dt=DT, seed=2)
    pre = net.population(fs.PoissonSource(rate=10.0), 30, "pre")
    post = net.population(fs.LIF(tau_m=10.0), 7, "post")
    proj = net.connect(pre, post, fs.FixedProbability(0.7), fs.Delta(), weight=1.0, delay=fs.Uniform(0.1, 0.9),
                       plasticity=fs.STDP())
    values = proj.max_delay - proj.min_delay + 1
    assert values > 5 and proj.column_ptr.shape == (post.n, values + 1)
    delays = np.broadcast_to(proj.delays, proj.targets.shape)
    for i in range(post.n):
        for e in range(values):
            want = np.flatnonzero((proj.targets == i) & (delays == proj.min_delay + e))
            np.testing.assert_array_equal(proj.column_index[proj.column_ptr[i, e]:proj.column_ptr[i, e + 1]], want)

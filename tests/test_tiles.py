"""Tiles of steps (``fastspike.backends.cpu.lower.tileable``): a network of populations that
nothing couples (no projections, no state records) advances ``TILE_STEPS`` steps at a time,
each population block by block (CPU threads take blocks in turn), and emits the spikes from a
bitmap per tile in the order of whole steps. The results must be exactly those of whole
steps, for any chunking and thread count, also when the record buffers fill in the middle of
a tile."""
from __future__ import annotations

import re

import numpy as np
import pytest

import fastspike as fs
from fastspike.backends import generated_source
from fastspike.backends.cpu import compiler as C
from fastspike.backends.cpu.lower import TILE_NEURONS, TILE_STEPS

DT = 0.1
TILEABLE = C.tileable


def _tiled(net: fs.Network) -> bool:
    return re.search(rf"t_ = min\({TILE_STEPS}, nsteps - done_\)", generated_source(net)) is not None


def _mixed(tiled: bool, monkeypatch, threads: int = 1) -> tuple[fs.Network, list]:
    """Two populations that nothing couples: Poisson input (counts beyond the dense table
    included) on several blocks, the last one short; noise on a population smaller than a
    block, recorded for some of its neurons only."""
    monkeypatch.setattr(C, "tileable", TILEABLE if tiled else (lambda *a: False))
    net = fs.Network(dt=DT, seed=11, threads=threads)
    a = net.population(fs.LIF(tau_m=10.0, R=1.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, t_ref=1.0),
                       n=2 * TILE_NEURONS + 100)
    a.v[:] = net.rng.uniform(-70.0, -50.0, a.n)
    net.poisson_input(a, n=1000, rate=30.0, weight=1.5, synapse=fs.ExpCurrent(2.0))
    b = net.population(fs.LIF(tau_m=20.0, R=1.0, v_rest=-70.0, v_reset=-65.0, v_thresh=-50.0, t_ref=2.0), n=1000)
    b.v[:] = net.rng.uniform(-70.0, -50.0, b.n)
    net.current(b, fs.NoiseCurrent(mean=40.0, std=20.0))
    records = [net.record(a, "spikes"), net.record(b, "spikes", neurons=np.arange(3, 1000, 7))]
    assert _tiled(net) == tiled
    return net, records


@pytest.mark.parametrize("chunks", [[41 * DT], [3.3, 0.1, 7.1, 2.0]])
def test_tiles_give_the_spikes_and_state_of_whole_steps(monkeypatch, chunks):
    runs = []
    for tiled, threads in ((False, 1), (True, 1), (True, 2)):  # two threads take a tile's blocks in turn
        net, records = _mixed(tiled, monkeypatch, threads)
        for duration in chunks:  # steps that are not whole tiles, a run of one step
            net.run(duration, progress=False)
        runs.append((net, records))
    want_net, want = runs[0]
    for got_net, got in runs[1:]:
        for w, g in zip(want, got):
            assert w.steps.size > 20
            np.testing.assert_array_equal(g.steps, w.steps)
            np.testing.assert_array_equal(g.neurons, w.neurons)
        for pw, pg in zip(want_net.populations, got_net.populations):
            np.testing.assert_array_equal(pg.v, pw.v)
        assert got_net.step == want_net.step == round(sum(chunks) / DT)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_tile_whose_spikes_overflow_the_record_buffer_loses_none(threads):
    """Every neuron fires at every step (a current far above threshold, no refractory
    period): a tile holds 32 steps of every neuron, the record buffer 2 (it is drained and the
    tile's remaining spikes emitted). Analytically: step s (1, 2, ...) lists every neuron in
    order."""
    n, steps = 3 * TILE_NEURONS // 2, 2 * TILE_STEPS + 5
    net = fs.Network(dt=DT, seed=1, threads=threads)
    pop = net.population(fs.LIF(tau_m=10.0, R=1.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, t_ref=0.0), n=n)
    net.current(pop, 1e5)
    rec = net.record(pop, "spikes")
    assert _tiled(net)
    net.run(steps * DT, progress=False)
    np.testing.assert_array_equal(rec.steps, np.repeat(np.arange(1, steps + 1), n))
    np.testing.assert_array_equal(rec.neurons, np.tile(np.arange(n), steps))
    assert net._engine.lowered.tile[0] == 0  # nothing left waiting


def test_only_uncoupled_networks_run_in_tiles():
    def uncoupled(**kw):
        net = fs.Network(dt=DT, seed=1, **kw)
        pop = net.population(fs.LIF(tau_m=10.0, R=1.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0), n=100)
        net.poisson_input(pop, n=10, rate=10.0, weight=1.0)
        return net, pop

    net, _ = uncoupled()
    assert _tiled(net)
    src = generated_source(net)
    assert re.search(rf"t_ = min\({TILE_STEPS}, nsteps - done_\)", src)
    net, pop = uncoupled()
    net.record(pop, "v", neurons=[0])  # a state record reads the state between steps
    assert not _tiled(net)
    net, pop = uncoupled()
    net.connect(pop, pop, fs.FixedProbability(0.1), weight=0.1, delay=DT)
    assert not _tiled(net)
    net = fs.Network(dt=DT, seed=1)
    net.population(fs.SpikeSource(times=[1.0], neurons=[0]), n=1)
    assert not _tiled(net)


def test_a_tile_that_overflows_while_streaming_to_hdf5_writes_every_spike(tmp_path):
    """The overflow of the test above, streamed: the engine drains the record buffer to the
    file in the middle of a tile, twice per tile. The file holds every spike (step s lists
    every neuron in order), nothing is left in memory, and a second run appends."""
    n, steps = TILE_NEURONS + 64, TILE_STEPS + 7
    path = tmp_path / "tiles.h5"
    net = fs.Network(dt=DT, seed=1)
    pop = net.population(fs.LIF(tau_m=10.0, R=1.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, t_ref=0.0),
                         n=n, name="all")
    net.current(pop, 1e5)
    rec = net.record(pop, "spikes")
    assert _tiled(net)
    for _ in range(2):
        net.run(steps * DT, progress=False, output=path)
    assert len(rec._steps) == 0  # everything went to the file
    want_steps, want_neurons = np.repeat(np.arange(1, 2 * steps + 1), n), np.tile(np.arange(n), 2 * steps)
    np.testing.assert_array_equal(rec.steps, want_steps)
    with fs.load(path) as run:
        loaded = run.spikes("all")
        np.testing.assert_array_equal(loaded.steps, want_steps)
        np.testing.assert_array_equal(loaded.neurons, want_neurons)
        assert run.complete

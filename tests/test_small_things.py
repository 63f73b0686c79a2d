"""Smaller things a new user trips over (issue 18, part 3), each reproduced first on the code
before the fix: Neo spike trains whose t_stop dropped the last step's spikes from Elephant's
bins, AdEx presets labelled nA although in pA, ``fastspike bench`` printing a scale it did
not apply and naming a file users do not have, Brunel's network starting every ``v`` at 0.
(The microcircuit example's note on its reference rates: tests/test_examples_networks.py.)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

import fastspike as fs
from fastspike.networks import standard

ROOT = Path(__file__).resolve().parents[1]
DT = 0.1


def test_neo_spike_trains_contain_the_last_steps_spikes(tmp_path):
    """Spikes of the last step are stamped at t_stop: with t_stop as the trains' end, Elephant's
    bins [t_start, t_stop) dropped them."""
    pq = pytest.importorskip("quantities")
    pytest.importorskip("neo")
    net = fs.Network(dt=DT, seed=1)
    src = net.population(fs.SpikeSource(times=[5.0, 10.0, 10.0], neurons=[0, 0, 1]), n=2, name="src")
    net.record(src, "spikes")
    net.run(10.0, output=tmp_path / "last.h5")
    with fs.load(tmp_path / "last.h5") as run:
        assert run.t_stop == pytest.approx(10.0)
        trains = run.to_neo().segments[0].spiketrains
    for st, expected in zip(trains, ([5.0, 10.0], [10.0])):
        times = st.rescale(pq.ms).magnitude
        assert np.allclose(times, expected)
        t_start, t_stop = float(st.t_start.rescale(pq.ms)), float(st.t_stop.rescale(pq.ms))
        assert t_stop == pytest.approx(10.0 + DT)
        # Elephant's binning: bins of dt from t_start, spikes counted in [t_start, t_stop)
        edges = t_start + DT * np.arange(int(round((t_stop - t_start) / DT)) + 1)
        counts = np.histogram(times[(times >= t_start) & (times < t_stop)], edges)[0]
        assert counts.sum() == len(expected) and counts[-1] == 1  # the last step's spike, in the last bin
        assert float(st.sampling_rate.rescale(pq.kHz)) == pytest.approx(1.0 / DT)


def test_adex_units_follow_the_values_used(tmp_path):
    """Naud et al.'s presets are in pF, nS, pA (R in GOhm): they were labelled nA (from R's
    declared MOhm) in the file and in Neo."""
    pq = pytest.importorskip("quantities")
    pytest.importorskip("neo")
    net = fs.Network(dt=DT, seed=1)
    tonic = net.population(fs.AdEx.preset("tonic"), n=2, name="tonic")
    plain = net.population(fs.AdEx(), n=2, name="plain")
    net.current(tonic, fs.AdEx.preset_current("tonic"))  # pA
    for pop in (tonic, plain):
        net.record(pop, ["v", "w", "I"])
    net.run(20.0, output=tmp_path / "adex.h5")
    with h5py.File(tmp_path / "adex.h5", "r") as f:
        g = f["populations/tonic"]
        assert json.loads(g.attrs["parameter_units"])["R"] == "GOhm"
        assert json.loads(g.attrs["parameter_units"])["b"] == "pA"
        assert json.loads(g.attrs["parameter_units"])["a"] == "nS"
        assert json.loads(g.attrs["state_units"]) == {"v": "mV", "w": "pA"}
        assert f["state/tonic/w"].attrs["unit"] == "pA" and f["state/tonic/I"].attrs["unit"] == "pA"
        assert f["state/plain/w"].attrs["unit"] == "nA" and f["state/plain/I"].attrs["unit"] == "nA"
        assert json.loads(f["populations/plain"].attrs["parameter_units"])["R"] == "MOhm"
    with fs.load(tmp_path / "adex.h5") as run:
        signals = {s.name: s for s in run.to_neo().segments[0].analogsignals}
    assert signals["tonic.w"].units.dimensionality == pq.pA.dimensionality
    assert signals["tonic.I"].units.dimensionality == pq.pA.dimensionality
    assert signals["plain.I"].units.dimensionality == pq.nA.dimensionality
    assert fs.AdEx.preset("tonic").current_unit() == "pA" and fs.LIF(tau_m=10.0).current_unit() == "nA"


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.run([sys.executable, "-m", "fastspike.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=ROOT)


def test_bench_refuses_a_scale_it_would_not_apply_and_describes_its_networks():
    """--net cuba --scale 0.5 printed scale 0.5 for the unscaled network; the help named
    BENCHMARKS.md, which a user does not have."""
    proc = _cli("bench", "--net", "cuba", "--scale", "0.5", "--backend", "cpu")
    assert proc.returncode == 2 and "--scale 0.5 does not apply to cuba" in proc.stderr
    assert "RTF" not in proc.stdout  # refused before any network ran
    proc = _cli("bench", "-h")
    assert proc.returncode == 0 and "BENCHMARKS.md" not in proc.stdout
    for words in ("Vogels & Abbott", "3200", "Brunel (2000)", "Potjans & Diesmann (2014)", "77169",
                  "1000 Poisson afferents"):
        assert words in proc.stdout, words


def test_brunel_starts_membrane_potentials_uniformly_below_threshold():
    """The peers' scripts draw v uniformly in [0, 20) mV; every v used to start at 0."""
    net, pops = standard.brunel(scale=0.2, seed=3)
    for pop in pops.values():
        v = pop.v
        assert v.min() >= 0.0 and v.max() < 20.0
        assert abs(v.mean() - 10.0) < 1.0 and abs(v.std() - 20.0 / np.sqrt(12.0)) < 0.5


def test_runs_do_not_leave_progress_threads_behind():
    """tqdm starts a monitor thread per bar class that lives as long as the process: a class
    made per run left one thread behind every run (1451 threads were seen in a test worker)."""
    import threading

    def monitors() -> int:
        return sum(t.name == "tqdm_monitor" for t in threading.enumerate())

    net = fs.Network(dt=DT, seed=1)
    net.population(fs.SpikeSource(times=[1.0], neurons=[0]), n=1)
    net.run(1.0)  # progress=None: a bar that shows after 2 s
    before = monitors()
    for _ in range(4):
        net.run(1.0)
        net.run(1.0, progress=True)
    assert monitors() == before

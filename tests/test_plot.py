"""fastspike.plot (headless) and the example scripts that reproduce the tutorials."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.figure import Figure

import fastspike as fs
from fastspike import plot

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def run():
    """A tiny network: 5 LIF neurons under a step current and one silent population."""
    net = fs.Network(dt=0.1, seed=3)
    a = net.population(fs.LIF(tau_m=10.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, t_ref=2.0), n=5, name="A")
    b = net.population(fs.LIF(tau_m=10.0), n=3, name="B")
    net.current(a, fs.StepCurrent([5.0], [np.linspace(16.0, 30.0, 5)]))
    spikes = net.record(a, "spikes")
    trace = net.record(a, ["v", "I"])
    spikes_b = net.record(b, "spikes")
    net.run(50.0)
    return SimpleNamespace(net=net, spikes=spikes, trace=trace, spikes_b=spikes_b)


def _png(path: Path) -> None:
    assert path.exists() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_tiny_network_spikes(run):
    assert len(run.spikes) > 5 and len(run.spikes_b) == 0


def test_neuron(run, tmp_path):
    fig = plot.neuron(run.trace, run.spikes, neuron=4, threshold=-50.0, title="one", fname=tmp_path / "n.png")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    _png(tmp_path / "n.png")
    # the spikes drawn are those of population neuron 4
    assert len(fig.axes[2].collections[0].get_segments()) == int(np.sum(run.spikes.neurons == 4))
    assert fig.axes[-1].get_xlabel() == "time (ms)" and "mV" in fig.axes[1].get_ylabel()
    # no current: two panels; no spikes either: one
    trace_v = SimpleNamespace(times=run.trace.times, neurons=run.trace.neurons, variables=("v",), v=run.trace.v)
    assert len(plot.neuron(trace_v, run.spikes).axes) == 2
    assert len(plot.neuron(trace_v).axes) == 1
    # the current as a record or as an array per sample
    assert len(plot.neuron(trace_v, run.spikes, current=run.trace, neuron=2).axes) == 3
    assert len(plot.neuron(trace_v, current=run.trace.I[:, 2], neuron=2).axes) == 2
    with pytest.raises(ValueError):
        plot.neuron(trace_v, current=np.zeros(3))
    with pytest.raises(ValueError):
        plot.neuron(run.trace, neuron=5)


def test_raster(run, tmp_path):
    fig = plot.raster(run.spikes, title="A", fname=tmp_path / "r.png")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    _png(tmp_path / "r.png")
    assert len(fig.axes[0].collections[0].get_offsets()) == len(run.spikes)
    # a list of records stacked, labelled by population name
    fig = plot.raster([run.spikes, run.spikes_b], fname=tmp_path / "r2.png")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["A", "B"]
    _png(tmp_path / "r2.png")
    # max_neurons and neurons select neurons
    fig = plot.raster(run.spikes, max_neurons=2)
    assert len(fig.axes[0].collections[0].get_offsets()) == int(np.sum(run.spikes.neurons < 2))
    fig = plot.raster(run.spikes, neurons=[4])
    assert len(fig.axes[0].collections[0].get_offsets()) == int(np.sum(run.spikes.neurons == 4))
    # any object with times and neurons (e.g. loaded from a file); existing axes
    loaded = SimpleNamespace(times=np.array([1.0, 2.0, 3.0]), neurons=np.array([0, 2, 1]))
    fig = Figure()
    ax = fig.add_subplot(1, 1, 1)
    assert plot.raster(loaded, ax=ax) is fig
    with pytest.raises(TypeError):
        plot.raster(run.trace)


def test_traces(run, tmp_path):
    fig = plot.traces(run.trace, title="traces", fname=tmp_path / "t.png")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    _png(tmp_path / "t.png")
    assert len(fig.axes[0].get_lines()) == 5 and fig.axes[0].get_legend() is not None
    fig = plot.traces(run.trace, variables="v", neurons=[1, 3])
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 2
    with pytest.raises(ValueError):
        plot.traces(run.trace, variables=["theta"])


def test_rate(run, tmp_path):
    fig = plot.rate(run.spikes, bin=5.0, title="rate", fname=tmp_path / "rate.png")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    _png(tmp_path / "rate.png")
    bars = fig.axes[0].patches
    assert len(bars) == 10  # 50 ms in 5 ms bins
    heights = np.array([b.get_height() for b in bars])
    # spikes per bin / 5 neurons / 0.005 s
    assert np.isclose(heights.sum() * 5 * 0.005, len(run.spikes))
    # a spike stamped 5.0 ms belongs to the bin (0, 5]
    one = SimpleNamespace(times=np.array([5.0, 5.1]), neurons=np.array([0, 0]))
    heights = [b.get_height() for b in plot.rate(one, bin=5.0, n=2, t_stop=10.0).axes[0].patches]
    assert heights == pytest.approx([100.0, 100.0])


# -- the example scripts -------------------------------------------------------------------
def _example(name: str, out: Path) -> str:
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), "--out", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _number(pattern: str, text: str) -> float:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not found in:\n{text}"
    return float(m.group(1))


def test_example_ngclearn_lif(tmp_path):
    out = _example("ngclearn_lif.py", tmp_path)
    _png(tmp_path / "ngclearn_lif.png")
    assert "simulated 20.0 ms in 200 steps" in out
    times = [float(t) for t in re.search(r"spike times \(ms\):([\d. ]*)", out).group(1).split()]
    assert len(times) >= 2 and times[0] > 1.0  # no spike before the current switches on at 1 ms
    assert int(_number(r"spikes: (\d+)", out)) == len(times)


def test_example_snntorch_lapicque(tmp_path):
    out = _example("snntorch_lapicque.py", tmp_path)
    for name in ("a_decay", "b_step", "c_pulses", "d_firing", "e_reset_subtract", "e_reset_value",
                 "e_reset_none", "e_raster"):
        _png(tmp_path / f"snntorch_{name}.png")
    assert _number(r"first spike at (\d+) ms", out) == 109.0
    assert abs(_number(r"steady state v = ([\d.]+)", out) - 0.5) < 1e-3
    assert _number(r"v\(5 ms\) = ([\d.]+)", out) == pytest.approx(0.9 * 0.8 ** 5, abs=1e-4)
    peaks = [float(p) for p in re.findall(r"peak v = ([\d.]+)", out)]
    assert len(peaks) == 3 and max(peaks) - min(peaks) < 0.01  # three pulses, about the same peak
    counts = {m[0]: int(m[1]) for m in re.findall(r"reset='(\w+)'\s*:\s*(\d+) output spikes", out)}
    assert set(counts) == {"subtract", "value", "none"} and counts["none"] > counts["subtract"] > 0


def test_example_tf_lif_article(tmp_path):
    out = _example("tf_lif_article.py", tmp_path)
    for name in ("squares", "noise", "raster", "rate"):
        _png(tmp_path / f"tf_lif_{name}.png")
    counts = {float(a): int(n) for a, n in re.findall(r"square ([\d.]+): (\d+) spikes", out)}
    assert counts.keys() == {0.5, 1.2, 1.5}
    assert counts[0.5] == 0 and 0 < counts[1.2] < counts[1.5]
    assert _number(r"noisy current: (\d+) spikes", out) > 0


def test_plot_leaves_pyplot_alone():
    code = "import sys, fastspike as fs; fs.plot; assert 'matplotlib.pyplot' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0

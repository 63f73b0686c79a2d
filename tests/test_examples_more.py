"""The model-zoo, Izhikevich-network and million-neuron examples run (small sizes) and write
their figures (and, for million.py, an HDF5 file that fs.load reads back)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import fastspike as fs

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(*args: str) -> str:
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600, cwd=EXAMPLES)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_model_zoo_example(tmp_path):
    out = _run("model_zoo.py", "--out", str(tmp_path))
    assert (tmp_path / "model_zoo.png").stat().st_size > 20_000
    fired = re.findall(r"^\s*(\S+)\s+I =\s+[-\d.]+:\s+(\d+) spikes", out, re.M)
    assert len(fired) >= 10 and all(int(k) > 0 for _, k in fired), out


def test_izhikevich_network_example(tmp_path):
    out = _run("izhikevich_network.py", "--n", "2000", "--duration", "200", "--out", str(tmp_path))
    assert (tmp_path / "izhikevich_network.png").stat().st_size > 20_000
    m = re.search(r"exc ([\d.]+) Hz, inh ([\d.]+) Hz", out)
    assert m and 0 < float(m.group(1)) < 100 and 0 < float(m.group(2)) < 200, out


def test_million_example_small(tmp_path):
    h5 = tmp_path / "m.h5"
    out = _run("million.py", "--n", "2000", "--duration", "300", "--out", str(h5), "--figures", str(tmp_path))
    assert "peak RSS" in out and "bytes per spike" in out
    for png in ("million_raster.png", "million_rate.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    run = fs.load(h5)
    spikes = run.spikes("neurons")
    n_spikes = int(re.search(r"spikes\s+(\d+)", out).group(1))
    assert run.complete and len(spikes.times) == n_spikes > 0
    assert np.all(np.diff(spikes.steps) >= 0) and spikes.neurons.max() < 2000

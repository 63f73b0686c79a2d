"""``fastspike bench`` and ``fastspike info`` from the command line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.run([sys.executable, "-m", "fastspike.cli", *args], capture_output=True, text=True,
                          timeout=600, env=env, cwd=ROOT)


def test_bench_cuba_on_the_cpu_writes_a_table_and_json(tmp_path):
    out = tmp_path / "bench.json"
    proc = _cli("bench", "--net", "cuba", "--backend", "cpu", "--duration", "200", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "RTF" in proc.stdout and "cuba" in proc.stdout
    rows = json.loads(out.read_text())
    assert len(rows) == 1
    row = rows[0]
    assert row["backend"] == "cpu" and row["neurons"] == 4000 and 300_000 < row["synapses"] < 340_000
    assert row["wall_s"] > 0 and row["rtf"] == pytest.approx(row["wall_s"] / 0.2)
    assert set(row["rates_hz"]) == {"exc", "inh"} and all(1.0 < r < 20.0 for r in row["rates_hz"].values())
    assert row["spikes"] == pytest.approx(sum(r * n for r, n in zip(row["rates_hz"].values(), (3200, 800))) * 0.2)
    assert row["peak_rss_mb"] > 10


def test_bench_compares_cpu_threads(tmp_path):
    """One row per thread count, the same spikes in each (threads do not change results)."""
    out = tmp_path / "bench.json"
    proc = _cli("bench", "--net", "brunel", "--scale", "0.05", "--backend", "cpu", "--duration", "100",
                "--threads", "1,2", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(out.read_text())
    assert [(r["label"], r["threads"]) for r in rows] == [("cpu:1 threads", 1), ("cpu:2 threads", 2)]
    assert rows[0]["spikes"] == rows[1]["spikes"] > 0 and rows[0]["rates_hz"] == rows[1]["rates_hz"]
    assert "speed-up of 2 threads over 1" in proc.stdout


def test_bench_refuses_unknown_networks_and_unusable_backends():
    proc = _cli("bench", "--net", "potjans")
    assert proc.returncode != 0 and "unknown network 'potjans'" in proc.stderr
    proc = _cli("bench", "--backend", "cpu", "--cuda-lanes", "auto,48")
    assert proc.returncode != 0 and "--cuda-lanes" in proc.stderr and "'48'" in proc.stderr
    proc = _cli("bench", "--backend", "cpu", "--threads", "1,0")
    assert proc.returncode != 0 and "--threads" in proc.stderr and "'0'" in proc.stderr
    from fastspike import backends

    if "cuda" not in backends.available():
        proc = _cli("bench", "--backend", "cuda", "--net", "cuba")
        assert proc.returncode != 0 and "'cuda' is not available" in proc.stderr


def test_info():
    proc = _cli("info")
    assert proc.returncode == 0 and "backends:" in proc.stdout and "cpu" in proc.stdout


def test_python_dash_m_fastspike_is_the_fastspike_command():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.run([sys.executable, "-m", "fastspike", "info"], capture_output=True, text=True, timeout=300,
                          env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "backends:" in proc.stdout and "cpu" in proc.stdout and "cuda" in proc.stdout


def test_bench_coba_and_cobahh_rows(tmp_path):
    """B6 and B7 (Brette et al. 2007): one row each, 4000 neurons, ~320000 synapses (p = 2 %), and
    a sustained activity: COBA's rates within 5-40 Hz (Vogels & Abbott's asynchronous irregular
    state, ~20 Hz), COBAHH's within 1-100 Hz; the spike count is the rates' sum."""
    out = tmp_path / "bench.json"
    proc = _cli("bench", "--net", "coba,cobahh", "--backend", "cpu", "--duration", "200", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "coba " in proc.stdout and "cobahh" in proc.stdout
    rows = json.loads(out.read_text())
    assert [(r["net"], r["backend"]) for r in rows] == [("coba", "cpu"), ("cobahh", "cpu")]
    bounds = {"coba": (5.0, 40.0), "cobahh": (1.0, 100.0)}
    for row in rows:
        assert row["neurons"] == 4000 and 300_000 < row["synapses"] < 340_000 and row["duration_ms"] == 200.0
        assert row["spikes"] > 0 and set(row["rates_hz"]) == {"exc", "inh"}
        low, high = bounds[row["net"]]
        assert all(low < r < high for r in row["rates_hz"].values()), row["rates_hz"]
        assert row["spikes"] == pytest.approx(row["rates_hz"]["exc"] * 3200 * 0.2 + row["rates_hz"]["inh"] * 800 * 0.2)
        assert row["wall_s"] > 0 and row["rtf"] == pytest.approx(row["wall_s"] / 0.2)

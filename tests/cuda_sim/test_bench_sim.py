"""``fastspike bench`` with both backends (the GPU simulated): a row each and the speed-up."""
from __future__ import annotations

import json
import warnings

warnings.filterwarnings("ignore")


def test_bench_both_backends_and_both_launch_modes(capsys, tmp_path):
    from fastspike import bench

    out_json = tmp_path / "b.json"
    assert bench.main(["--backend", "cpu,cuda", "--net", "uncoupled", "--scale", "0.0001", "--duration", "2",
                       "--cuda-launch", "steps,stages", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("uncoupled")]
    assert any(" cpu " in ln for ln in lines), out
    assert any(" cuda:steps " in ln for ln in lines) and any(" cuda:stages " in ln for ln in lines), out
    assert out.count("GPU/CPU speed-up") == 2
    rows = json.loads(out_json.read_text())
    assert {r["label"] for r in rows} == {"cpu", "cuda:steps", "cuda:stages"}
    assert len({r["spikes"] for r in rows}) == 1  # the same network gives the same spikes
    assert all(r["launch"].startswith(r["label"].split(":")[1]) for r in rows if r["backend"] == "cuda")


def test_bench_compares_lanes_per_spike(capsys, tmp_path):
    """``--cuda-lanes``: a GPU row per choice of lanes per delivered spike, the same spikes."""
    from fastspike import bench

    out_json = tmp_path / "lanes.json"
    assert bench.main(["--backend", "cuda", "--net", "cuba", "--duration", "0.3", "--cuda-lanes", "auto,64",
                       "--json", str(out_json)]) == 0
    rows = json.loads(out_json.read_text())
    assert [r["label"] for r in rows] == ["cuda:lanes auto", "cuda:lanes 64"], capsys.readouterr().out
    assert rows[0]["launch"].endswith("lanes per spike 32")  # CUBA rows have about 80 synapses
    assert rows[1]["launch"].endswith("lanes per spike 64")
    assert rows[0]["spikes"] == rows[1]["spikes"] > 0

"""``fastspike bench`` with both backends (the GPU simulated): a row each and the speed-up."""
from __future__ import annotations

import warnings

warnings.filterwarnings("ignore")


def test_bench_both_backends(capsys):
    from fastspike import bench

    assert bench.main(["--backend", "cpu,cuda", "--net", "uncoupled", "--scale", "0.0001", "--duration", "2"]) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("uncoupled")]
    assert any(" cpu " in ln for ln in lines) and any(" cuda " in ln for ln in lines), out
    assert "GPU/CPU speed-up" in out

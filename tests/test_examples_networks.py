"""The standard-network examples run (small sizes), print their figures and draw their plots."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(args: list[str], out: Path) -> str:
    proc = subprocess.run([sys.executable, *args, "--out", str(out)], capture_output=True, text=True,
                          timeout=300, cwd=EXAMPLES)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("args, png, populations", [
    (["cuba.py", "--duration", "200"], "cuba.png", ["exc", "inh"]),
    (["brunel.py", "--scale", "0.1", "--duration", "200"], "brunel.png", ["E", "I"]),
    (["microcircuit.py", "--scale", "0.02", "--duration", "100", "--warmup", "50"], "microcircuit.png",
     ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]),
    (["uncoupled.py", "--n", "2000", "--duration", "200"], "uncoupled.png", ["neurons"]),
    (["coba.py", "--duration", "200"], "coba.png", ["exc", "inh"]),
    (["cobahh.py", "--duration", "50"], "cobahh.png", ["exc", "inh"]),
])
def test_network_example(tmp_path, args, png, populations):
    out = _run(args, tmp_path)
    assert (tmp_path / png).stat().st_size > 10_000
    if args[0] == "microcircuit.py":  # scale 0.02: NEST's full-scale rates are shown as not comparable
        assert "reference rates are NEST's at full scale" in out and "not comparable" in out
    for label in ("construction", "compilation", "real-time factor", "peak RSS"):
        assert label in out, out
    for name in populations:
        m = re.search(rf"^\s*{name}:\s+(\d+) spikes,\s+([\d.]+) Hz", out, re.M)
        assert m is not None, out
        assert int(m.group(1)) > 0 and float(m.group(2)) > 0

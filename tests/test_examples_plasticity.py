"""The plasticity examples run (short) and write their figures; their printed figures agree
with the rules (Song et al. 2000: weights pushed to the bounds, rate falls; Tsodyks-Markram:
the first amplitude is U g, a depressing synapse's amplitudes fall and recover, a
facilitating one's rise)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(*args: str) -> str:
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=900, cwd=EXAMPLES)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_song2000_example(tmp_path):
    out = _run("stdp_song2000.py", "--duration", "20000", "--out", str(tmp_path))
    assert (tmp_path / "stdp_song2000.png").stat().st_size > 20_000
    first, last = map(float, re.search(r"first tenth ([\d.]+) Hz, last tenth ([\d.]+) Hz", out).groups())
    assert last < first
    low, high, low0, high0 = map(int, re.search(r"(\d+)% below 0.1 w_max, (\d+)% above 0.9 w_max \(start: (\d+)%, "
                                                r"(\d+)%\)", out).groups())
    assert low > low0 and high > high0  # mass moves to both bounds


def test_tsodyks_markram_example(tmp_path):
    out = _run("tsodyks_markram.py", "--out", str(tmp_path))
    assert (tmp_path / "tsodyks_markram.png").stat().st_size > 20_000
    rows = [list(map(float, r)) for r in re.findall(r"^\s+(\d+)\s+([\d.]+) pA\s+([\d.]+) pA", out, re.M)]
    assert len(rows) == 11
    dep, fac = [r[1] for r in rows], [r[2] for r in rows]
    assert dep[0] == 0.5 * 250.0 and abs(fac[0] - 0.03 * 250.0) < 1e-9
    assert all(a > b for a, b in zip(dep[:9], dep[1:10])) and dep[10] > dep[9]  # depression, then recovery
    assert all(a < b for a, b in zip(fac[:9], fac[1:10]))  # facilitation

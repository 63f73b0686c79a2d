"""A script run in two fresh processes on one compile cache (tests of start-up from the cache)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_twice_on_one_cache(tmp_path: Path, source: str, name: str = "script.py") -> list[str]:
    """The standard output of ``source`` run twice, each in a fresh interpreter, both with
    ``FASTSPIKE_CACHE_DIR`` and ``NUMBA_CACHE_DIR`` in ``tmp_path`` (empty for the first):
    the first compiles and fills the cache, the second loads from it. Each run must succeed."""
    env = {**os.environ, "FASTSPIKE_CACHE_DIR": str(tmp_path / "cache"), "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    script = tmp_path / name
    script.write_text(source)
    outputs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        outputs.append(proc.stdout)
    return outputs

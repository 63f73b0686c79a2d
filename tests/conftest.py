"""tests/cuda_sim runs the CUDA backend against the CPU backend in its own process
(tests/test_cuda_backend.py starts it): under Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1,
which must be set before numba is imported; one process cannot hold both the simulator and
the CPU's compiled kernels), and on a real GPU when one is usable (FASTSPIKE_GPU_TESTS=1).

Numba's cache (unless NUMBA_CACHE_DIR is set) goes to a folder named by a digest of
fastspike's source, one per pytest-xdist worker:

- Numba keys a cached function by the content of its own file only. A test's cached loop that
  inlines the package's code (``vmath.expm1`` in ``tests/test_vmath.py``) would otherwise load
  the machine code of the package as it was when the loop was first compiled, whatever the
  package is now (seen: a fresh clone, its worker folders shared with an earlier commit's run).
- Numba numbers a function's cached overloads by the length of its index, so two processes
  compiling different signatures of one function at the same time write the same data file,
  and a later load unpickles the wrong one.

Folders of other digests untouched for two days are removed."""
import hashlib
import os
import shutil
import time
from pathlib import Path

_CUDA_PROCESS = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" or os.environ.get("FASTSPIKE_GPU_TESTS") == "1"
collect_ignore = [] if _CUDA_PROCESS else ["cuda_sim"]

_CACHES = Path.home() / ".cache" / "fastspike-tests"
_STALE_S = 2 * 86400.0


def _package_digest() -> str:
    """A digest of the source files of the fastspike package beside these tests."""
    root = Path(__file__).resolve().parent.parent / "fastspike"
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _remove_stale(keep: Path) -> None:
    """Remove the cache folders of other digests (and of the old per-worker layout) unused for
    two days."""
    now = time.time()
    for folder in _CACHES.glob("*"):
        if folder != keep and folder.is_dir() and now - folder.stat().st_mtime > _STALE_S:
            shutil.rmtree(folder, ignore_errors=True)


def pytest_configure(config) -> None:
    """Numba's cache folder for this process, before any test module imports numba (the
    xdist controller leaves it to its workers, which inherit its environment)."""
    if "NUMBA_CACHE_DIR" in os.environ:
        return
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker is None and getattr(config.option, "numprocesses", None):
        return
    folder = _CACHES / _package_digest()
    folder.mkdir(parents=True, exist_ok=True)
    os.utime(folder)  # in use
    if worker in (None, "gw0"):
        _remove_stale(folder)
    os.environ["NUMBA_CACHE_DIR"] = str(folder / f"numba-{worker or 'main'}")

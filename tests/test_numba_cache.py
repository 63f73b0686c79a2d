"""fastspike's own cached functions are stamped with a digest of the whole package source, so
that a change in a file they call (and inline) recompiles them: Numba's ``cache=True`` stamps
an entry with the hash of the function's own file only."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from fastspike.runtime import numba_cache
from fastspike.synapses import build

CALLEE = """
from numba import njit


@njit
def value():
    return {value}
"""

CALLER = """
from pathlib import Path

from numba import njit

from fastspike.runtime.numba_cache import source_digest, stamped_njit
from callee import value

HERE = Path(__file__).resolve().parent


@stamped_njit(lambda: source_digest(HERE))
def stamped_caller():
    return value()


@njit(cache=True)
def plain_caller():
    return value()
"""

REPORT = textwrap.dedent("""
    import caller
    print(caller.stamped_caller(), caller.plain_caller(), len(caller.stamped_caller.stats.cache_hits))
""")


def _run(folder: Path) -> tuple[float, float, int]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder), *sys.path]),
               NUMBA_CACHE_DIR=str(folder / "numba-cache"))
    out = subprocess.run([sys.executable, "-c", REPORT], cwd=folder, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    stamped, plain, hits = out.stdout.split()
    return float(stamped), float(plain), int(hits)


def test_a_callee_change_recompiles_a_stamped_caller(tmp_path):
    (tmp_path / "callee.py").write_text(CALLEE.format(value="1.0"))
    (tmp_path / "caller.py").write_text(CALLER)
    assert _run(tmp_path) == (1.0, 1.0, 0)  # compiled, written to the cache
    stamped, _, hits = _run(tmp_path)
    assert (stamped, hits) == (1.0, 1)  # loaded from the cache
    (tmp_path / "callee.py").write_text(CALLEE.format(value="2.0"))  # caller.py unchanged
    stamped, plain, hits = _run(tmp_path)
    assert (stamped, hits) == (2.0, 0)  # the stale entry is not loaded
    # Numba's own stamp (this Numba) loads the caller's old machine code: the hazard itself
    print(f"plain cache=True after the callee changed: {plain} (2.0 when fresh)")
    stamped, _, hits = _run(tmp_path)
    assert (stamped, hits) == (2.0, 1)  # the new entry is cached


def test_the_package_functions_carry_the_package_digest():
    digest = numba_cache.package_digest()
    assert len(digest) == 16
    for fn in (build.fixed_indegree, build._uniform):
        stamp = fn._cache._impl.locator.get_source_stamp()
        assert stamp[1] == digest
    assert numba_cache.source_digest(Path(numba_cache.__file__).parent.parent) == digest

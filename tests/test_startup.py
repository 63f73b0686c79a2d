"""A network compiled once starts from the disk cache without compiling anything.

The standard: a cached start-up stays under 1 s. That is a time, which a test must not
assert; what makes it hold is that nothing compiles on the second start. A threaded CPU
network passes its kernels' calls as typed lists of argument tuples, whose methods Numba
does not cache: built from Python they compiled in every process (2 s of a threaded network's
start-up). They are built by cached functions (fastspike.backends.cpu.argument_lists).
Checked here with Numba's compile events, in two fresh processes on one cache.
"""
from __future__ import annotations

import numpy as np
from numba.typed import List

from _cached_runs import run_twice_on_one_cache
from fastspike.backends.cpu.argument_lists import argument_list

SCRIPT = r'''
import warnings
import fastspike as fs
from numba.core import event

warnings.simplefilter("ignore", RuntimeWarning)  # two threads for 300 neurons: slower, as warned
net = fs.Network(dt=0.1, seed=5, threads=2)
pop = net.population(fs.LIF(tau_m=10.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, t_ref=2.0), n=300)
net.connect(pop, pop, fs.FixedProbability(0.1), synapse=fs.ExpCurrent(5.0), weight=0.5, delay=fs.Uniform(0.5, 2.0))
net.poisson_input(pop, n=100, rate=20.0, weight=2.0, synapse=fs.ExpCurrent(5.0))
rec = net.record(pop, "spikes")
with event.install_recorder("numba:compile") as compiled:
    net.build()
    net.run(20.0, progress=False)
names = sorted({ev.data["dispatcher"].py_func.__qualname__ for _, ev in compiled.buffer if ev.is_start})
print("compiled", names)
print("spikes", len(rec))
'''


def test_a_threaded_network_starts_from_the_cache_without_compiling(tmp_path):
    out = [stdout.splitlines() for stdout in run_twice_on_one_cache(tmp_path, SCRIPT, "start.py")]
    assert out[0][0] != "compiled []"  # the first process compiled the program
    assert out[1][0] == "compiled []"  # the second loaded every function from the disk cache
    assert out[0][1] == out[1][1] and int(out[1][1].split()[1]) > 0  # and ran the same spikes


def test_argument_list_holds_the_tuples_in_order():
    a, b, c = np.arange(3.0), np.arange(4.0), np.arange(5.0)
    out = argument_list([(a, 1), (b, 2), (c, 3)])
    assert isinstance(out, List) and len(out) == 3
    assert [t[1] for t in out] == [1, 2, 3]
    assert [t[0].size for t in out] == [3, 4, 5]

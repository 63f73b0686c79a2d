"""Per-neuron arrays on cache lines of their own (fastspike.runtime.aligned, fastspike.blocks):
CPU threads write their ranges of them side by side, so no two threads may write one line."""
import numpy as np
import pytest

import fastspike as fs
from fastspike.blocks import NEURONS_PER_LINE, range_starts
from fastspike.runtime import aligned

LINE = aligned.CACHE_LINE


def lines(a: np.ndarray) -> set[int]:
    """The cache lines an array's bytes lie on."""
    start = a.ctypes.data
    return set(range(start // LINE, (start + a.nbytes - 1) // LINE + 1)) if a.nbytes else set()


@pytest.mark.parametrize("shape, dtype", [(1, np.bool_), (7, np.float64), (1000, np.int32), ((3, 5), np.float32),
                                          ((64, 77), np.int32)])
def test_an_aligned_array_starts_on_a_line_and_shares_none(shape, dtype):
    arrays = [aligned.zeros(shape, dtype) for _ in range(20)]  # allocated one after another
    for a in arrays:
        assert a.ctypes.data % LINE == 0 and a.flags.c_contiguous and a.flags.writeable
        assert a.shape == ((shape,) if np.ndim(shape) == 0 else shape) and a.dtype == dtype
        assert not a.any()
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            assert not lines(a) & lines(b)


def test_full_and_copy_keep_the_values():
    np.testing.assert_array_equal(aligned.full((2, 3), -7, np.int64), np.full((2, 3), -7))
    values = np.random.default_rng(1).normal(size=101)
    a = aligned.copy(values, np.float32)
    assert a.dtype == np.float32 and a.ctypes.data % LINE == 0
    np.testing.assert_array_equal(a, values.astype(np.float32))


@pytest.mark.parametrize("n, threads, processes", [(100, 2, 1), (1000, 3, 1), (4000, 2, 1), (12500, 7, 1),
                                                   (1000, 2, 2), (77, 4, 1)])
def test_thread_ranges_write_whole_lines(n, threads, processes):
    """Every range starts on a multiple of 64 neurons: with arrays starting on a line, the
    ranges of two threads never meet inside a line of one-byte flags, 4-byte or 8-byte values."""
    starts = range_starts(n, threads, processes)
    assert NEURONS_PER_LINE == LINE  # a line of one-byte spike flags
    assert starts[0] == 0 and starts[-1] == n and np.all(np.diff(starts) >= 0)
    for s in starts[1:-1]:
        assert s % NEURONS_PER_LINE == 0 or s == n
    for itemsize in (1, 4, 8):
        owner_of_line: dict[int, int] = {}
        for r, (lo, hi) in enumerate(zip(starts[:-1], starts[1:])):
            for line in {i * itemsize // LINE for i in range(lo, hi)}:
                assert owner_of_line.setdefault(line, r) == r


def test_a_threaded_networks_per_neuron_arrays_start_on_lines():
    """The arrays the step reads and writes per neuron (state, parameters that differ between
    neurons, channel state and inputs, refractory counters, spike flags, spike histories)
    start on a cache line."""
    net = fs.Network(dt=0.1, seed=3, threads=2)
    a = net.population(fs.LIF(tau_m=np.linspace(8.0, 12.0, 300)), 300, name="a")
    b = net.population(fs.LIF(tau_m=10.0), 200, name="b")
    net.connect(a, b, fs.FixedIndegree(10), weight=1.0, delay=1.0)
    net.connect(b, a, fs.FixedIndegree(10), weight=-1.0, delay=fs.Uniform(0.5, 2.0))
    net.build()
    engine = net._engine
    per_neuron = [x for x in engine.arguments if isinstance(x, np.ndarray) and x.ndim >= 1 and x.shape[-1] in (200, 300)]
    assert len(per_neuron) >= 9
    for x in per_neuron:
        assert x.ctypes.data % LINE == 0, (x.dtype, x.shape)

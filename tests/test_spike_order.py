"""Ordering of the spikes drained from the GPU (host code: runs without a GPU)."""
from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from fastspike.backends.cuda import spike_order
from fastspike.backends.cuda.spike_order import order_spikes


def _drain(rng, n, counts, clustered=False):
    """Spikes of consecutive steps, each step's distinct neurons in random order."""
    steps = np.repeat(np.arange(len(counts), dtype=np.int64) + 7, counts)
    pool = np.arange(min(n, 3 * max(counts, default=1))) if clustered else np.arange(n)
    neurons = np.concatenate([rng.choice(pool, c, replace=False) for c in counts] or [[]]).astype(np.int32)
    return steps, neurons


@pytest.mark.parametrize("n, counts, clustered", [
    (10**6, [530, 0, 1, 2, 33, 700], False),  # B4-like steps, empty and tiny steps
    (1000, [1000, 999, 3], False),  # every neuron firing in a step
    (10**5, [400, 500], True),  # neurons crowded at low indices: buckets of more than 32
    (1, [1, 1, 0, 1], False),
])
@pytest.mark.parametrize("parallel_min", [1 << 30, 50])
def test_order_is_by_step_then_neuron(n, counts, clustered, parallel_min, monkeypatch):
    """Against numpy.lexsort; by one thread, and split among threads at step boundaries."""
    monkeypatch.setattr(spike_order, "PARALLEL_MIN", parallel_min)
    rng = np.random.default_rng(3)
    steps, neurons = _drain(rng, n, counts, clustered)
    order = np.lexsort((neurons, steps))
    expected = steps[order], neurons[order]
    got = order_spikes(steps.copy(), neurons.copy(), n)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[1].dtype == np.int32


def test_steps_out_of_order_are_sorted_too():
    """The GPU appends steps in order; if they were not, the result is still ordered."""
    steps = np.array([3, 3, 2, 5, 2], np.int64)
    neurons = np.array([4, 1, 9, 0, 2], np.int32)
    s, n = order_spikes(steps.copy(), neurons.copy(), 10)
    np.testing.assert_array_equal(s, [2, 2, 3, 3, 5])
    np.testing.assert_array_equal(n, [2, 9, 1, 4, 0])


def test_no_spikes():
    s, n = order_spikes(np.zeros(0, np.int64), np.zeros(0, np.int32), 5)
    assert s.size == 0 and n.size == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_threads_work_in_a_forked_child(monkeypatch):
    """A process forked after the worker threads started gets its own (it has none of its
    parent's threads, and waiting on them would hang)."""
    monkeypatch.setattr(spike_order, "PARALLEL_MIN", 10)
    rng = np.random.default_rng(4)
    steps, neurons = _drain(rng, 1000, [50, 60, 70, 80])
    order_spikes(steps.copy(), neurons.copy(), 1000)  # the parent's threads
    pid = os.fork()
    if pid == 0:  # child: exit 0 only if the ordering completes and is right
        s, n = order_spikes(steps.copy(), neurons.copy(), 1000)
        o = np.lexsort((neurons, steps))
        os._exit(0 if np.array_equal(n, neurons[o]) else 1)
    for _ in range(300):  # at most 30 s
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("ordering in a forked child hung")
    assert os.waitstatus_to_exitcode(status) == 0

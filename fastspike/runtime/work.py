"""How many CPU threads pay for a network: the work of one step against what threads cost.

With T threads a step costs about ``(W - S - O) / T + S + O_T + SYNC_NS``: ``W`` the work of
the step on one thread, split evenly between the threads' ranges of neurons except ``S`` and
``O``, and ``SYNC_NS`` the three barriers at which the workers meet in every step
(``fastspike/backends/cpu/sync.py``; a few microseconds each on an idle 2-core machine, more
when other work shares the cores). ``O`` is the synaptic events of projections with several
delays (ring buffers, or their delay groups read at arrival): the threads share them out by
target population, each population's whole to one thread
(:func:`fastspike.backends.cpu.lower.delivery_owners`), so they cost ``O_T``, the largest
thread's share. ``S`` is those of the populations that also receive a plastic projection
with several delays: each thread walks every spike's delay groups for its own targets, and
those scattered reads are bound by the memory, not by the core. Measured
(``benchmarks/bench_threads.py``, 2 cores): B3 at scale 0.25 runs 1.25-1.68x as fast with 2
threads as with 1 (0.85-0.87x when every thread walked every delay group) and 2.0-2.2x at
full scale, B2 (one delay) 1.5-1.8x and B4 (no synapses) 1.8x. :func:`step_work_ns` estimates ``W`` from what the network
declares (neurons, their integrators and state variables, channels, inputs, synapses and a
firing rate of ``ASSUMED_RATE_HZ``), with costs measured on a 2-core x86-64 machine
(``benchmarks/bench_bounds.py`` and ``bench_networks.py``); it is an estimate, meant to tell a
network of a few thousand neurons (threads cost more than they save) from one of many
thousands with many synapses (they pay).

``fs.Network(threads="auto")`` takes :func:`auto_threads`; an explicit count that the
estimate says is slower than one thread, or more threads than the cores the process may use,
is run as asked, with a warning (:func:`slower_warning`).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable

from ..blocks import balance, owned_loads

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network

__all__ = ["step_work_ns", "serial_work_ns", "owned_work_ns", "auto_threads", "predicted_step_ns", "available_cores",
           "slower_warning", "SYNC_NS", "ASSUMED_RATE_HZ", "MIN_GAIN", "SERIAL_DELIVERIES"]

SYNC_NS = 10_000.0
"""What the threads' barriers add to a step (ns)."""
ASSUMED_RATE_HZ = 5.0
"""The mean firing rate assumed for the synaptic events of a step (Hz)."""
MIN_GAIN = 1.25
"""``threads="auto"`` takes more than one thread only when the step is predicted this much faster."""
NS_PER_STATE = {"exact": 0.8, "euler": 1.0, "exponential_euler": 2.0, "rk2": 2.0, "rk4": 4.0}
"""Cost of one state variable of one neuron per step, by integrator (ns)."""
NS_PER_NEURON = 1.0  # loads, threshold, flags
NS_PER_CHANNEL = 0.5
NS_PER_CURRENT = 0.5
NS_PER_POISSON_TABLE = 0.8  # a draw searched in a short table (a mean shared by the population)
NS_PER_POISSON_OTHER = 6.0  # per-neuron means, or means of 10 and more
NS_PER_EVENT = {"input": 2.5, "ring": 8.0}  # a synaptic event into a cache-resident input / a ring buffer
SERIAL_DELIVERIES = frozenset({"ring"})
"""Deliveries that threads do not split by range (projections with several delays): they
share them out by target population instead, unless a population receives a plastic one."""


def _events_ns(net: "Network", proj) -> float:
    """The estimated work of a projection's synaptic events in one step (ns)."""
    events = proj.n_synapses * ASSUMED_RATE_HZ * net.dt / 1000.0
    return events * NS_PER_EVENT["ring" if proj.delivery in SERIAL_DELIVERIES else "input"]


def step_work_ns(net: "Network") -> float:
    """The estimated work of one step of ``net`` on one thread (ns)."""
    from ..models.sources import PoissonSource, SpikeSource
    from .. import random as rnd

    work = 0.0
    for pop in net.populations:
        if isinstance(pop.model, PoissonSource):
            work += 1.0 * pop.n
            continue
        if isinstance(pop.model, SpikeSource):
            continue
        per = NS_PER_NEURON + NS_PER_STATE.get(pop.integrator, 2.0) * len(pop.state_names)
        per += NS_PER_CHANNEL * len(pop.channels) + NS_PER_CURRENT * len(pop.currents)
        for inp in pop.poisson_inputs:
            means = inp.means(net.dt)
            table = means.size == 1 and means[0] < rnd.POISSON_TABLE_MAX_MEAN
            per += NS_PER_POISSON_TABLE if table else NS_PER_POISSON_OTHER
        work += per * pop.n
    return work + sum(_events_ns(net, proj) for proj in net.projections)


def _delivery_loads(net: "Network") -> tuple[dict[int, float], float]:
    """The work of the deliveries with several delays in one step (ns): per target population
    that threads give whole to one thread, and the sum of the rest (populations that also
    receive a plastic one): :func:`fastspike.blocks.owned_loads`."""
    return owned_loads((proj.post.index, _events_ns(net, proj), proj.plastic)
                       for proj in net.projections if proj.delivery in SERIAL_DELIVERIES)


def serial_work_ns(net: "Network") -> float:
    """The part of :func:`step_work_ns` that threads do not share out (ns): the synaptic events
    of projections with several delays into populations that receive a plastic one of them."""
    return _delivery_loads(net)[1]


def _owned_share(owned: dict[int, float], threads: int) -> tuple[float, float]:
    """The total of ``owned`` (per target population) and the largest of ``threads`` threads'
    shares as :func:`fastspike.blocks.balance` gives them."""
    share = [0.0] * max(1, threads)
    for post, r in balance(owned, max(1, threads)).items():
        share[r] += owned[post]
    return sum(owned.values()), max(share)


def owned_work_ns(net: "Network", threads: int) -> tuple[float, float]:
    """The deliveries with several delays that ``threads`` threads share out by target
    population (ns per step): their total, and the largest thread's share (as
    :func:`fastspike.blocks.balance` gives them; the lowering balances synapse counts, which
    these are proportional to)."""
    return _owned_share(_delivery_loads(net)[0], threads)


def predicted_step_ns(work: float, threads: int, serial: float = 0.0, owned: tuple[float, float] = (0.0, 0.0)
                      ) -> float:
    """A step of ``work`` ns on one thread, ``serial`` of which threads do not share out and
    ``owned`` = (total, largest thread's share) of which they share out by target population,
    run by ``threads`` threads (ns)."""
    if threads <= 1:
        return work
    return (work - serial - owned[0]) / threads + serial + owned[1] + SYNC_NS


def _predictor(net: "Network") -> tuple[float, float, Callable[[int], float]]:
    """The network's step work and serial part on one thread (ns), and the predicted step for a
    thread count: the network's estimates taken once."""
    work = step_work_ns(net)
    owned, serial = _delivery_loads(net)
    return work, serial, lambda threads: predicted_step_ns(work, threads, serial, _owned_share(owned, threads))


def available_cores() -> int:
    """The cores this process may run on, at most the threads Numba runs at once."""
    import numba

    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, int(numba.config.NUMBA_NUM_THREADS)))


def auto_threads(net: "Network", cores: int | None = None) -> int:
    """The thread count ``threads="auto"`` runs ``net`` with: the one of 1 to ``cores`` (the
    available cores) with the shortest predicted step, if that is at least :data:`MIN_GAIN`
    times shorter than one thread's; else 1."""
    cores = available_cores() if cores is None else max(1, int(cores))
    work, _, predicted = _predictor(net)
    best = min(range(1, cores + 1), key=lambda t: (predicted(t), t))
    return best if predicted(best) * MIN_GAIN <= work else 1


def slower_warning(net: "Network", threads: int, cores: int | None = None) -> str | None:
    """Why ``threads`` threads are expected to slow ``net`` down (None when they are not)."""
    if threads <= 1:
        return None
    cores = available_cores() if cores is None else max(1, int(cores))
    work, serial, predicted = _predictor(net)
    if threads > cores:
        return (f"Network: threads={threads} but this process may run {cores} at once: the ranges of the "
                f"threads beyond it wait for a core at every barrier of every step, which slows the run; "
                f"threads='auto' would take {auto_threads(net, cores)}")
    if predicted(threads) > work:
        shared = f" ({serial / 1000:.1f} us of it in deliveries with several delays, which threads do not share)" \
            if serial else ""
        return (f"Network: threads={threads} is expected to make this network slower than one thread: its step "
                f"has about {work / 1000:.1f} us of work{shared}, and the threads' barriers cost about "
                f"{SYNC_NS / 1000:.0f} us per step; threads='auto' would take {auto_threads(net, cores)}")
    return None

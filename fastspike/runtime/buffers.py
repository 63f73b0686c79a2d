"""The arrays a network's step keeps besides the user's state: the engine's runtime.

A network's populations hold what the user sees and sets (state variables, parameters, the
inputs and records they declared). What the step needs besides lives here, owned by the
network and built for the projections and channels that exist when ``run()`` compiles the
step: spike histories, channel state and inputs, ring buffers, refractory counters, the
recorded input current. The arrays outlive an engine (adding a record rebuilds the engine,
not the runtime state), and when new projections need longer delays the histories and rings
grow with what is still in flight kept in place.

Persistent arrays (carried from one run to the next; a GPU copies them back after each run)
are the spike histories, the channels' state, the ring buffers, the refractory counters and
the state of current sources (an Ornstein-Uhlenbeck current).
A channel's input of the step is zero between steps. Every array here starts on a cache
line of its own (:mod:`fastspike.runtime.aligned`): CPU threads write their ranges of them
side by side.

**Delivery at arrival.** A channel fed with several delays has, by default, a ring buffer
(L x n values, L the ring length): each spike is added to it once, the step after it. When
that ring would be large (at least :data:`ARRIVAL_MIN_BYTES`, out of the faster caches:
the microcircuit's 64 x 77 169 doubles are 39.5 MB), the CPU instead reads each delay group
of the projections' rows in the step it arrives in, from the presynaptic spike history,
into an input array of n values that stays in cache (:meth:`arrival_input`): the same
synapses and spikes, each added once, no ring. The choice is made per channel, the first
time the channel is fed with several delays (rows grouped by delay; delays stored per
synapse always go to a ring), and kept for the network's life (the spikes
in flight are in the history either way, but a ring holds inputs the history would
deliver again). With one projection of several delays onto a channel the additions into a
target come in the ring's order (delays from the longest, spikes in the order they were
listed, synapses in row order), so the results are the same bit for bit; with several, the
additions come projection by projection instead of step by step, which may change the last
bits of a target's input (the sum of the same numbers in another order).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..blocks import range_starts
from . import aligned
from .layout import row_parts

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network, Population
    from ..synapses.postsynaptic import PostsynapticModel

__all__ = ["Buffers", "ARRIVAL_MIN_BYTES"]

ARRIVAL_MIN_BYTES = 1 << 20
"""A channel fed with several delays whose ring buffer would hold at least this many bytes is
fed at arrival instead (CPU backend; see the module docstring)."""


class Buffers:
    """The runtime arrays of one network (see the module docstring)."""

    def __init__(self, net: "Network") -> None:
        self.net = net
        self.ring_length = 1
        self.delivery_lag = 1  # ring deliveries in step k: the spikes of step k - lag (see prepare)
        self._history: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._channel_state: dict[tuple, np.ndarray] = {}
        self._inputs: dict[tuple, np.ndarray] = {}
        self._rings: dict[tuple, np.ndarray] = {}
        self._arrival: dict[tuple, bool] = {}  # per channel fed with several delays: delivered at arrival
        self._arrived: dict[tuple, np.ndarray] = {}
        self._refractory: dict[int, np.ndarray] = {}
        self._recorded_input: dict[int, np.ndarray] = {}
        self._row_parts: dict[tuple, np.ndarray] = {}
        self._source_state: dict[tuple, np.ndarray] = {}
        self._source_owners: list[object] = []  # the sources whose id() keys a state: kept alive

    # -- the arrays --------------------------------------------------------------------------
    def spike_history(self, pop: "Population") -> tuple[np.ndarray, np.ndarray]:
        """``(SH, NH)``: the neurons that fired in step k (row ``k mod L`` of ``SH``, L x n,
        int32) and how many (``NH[k mod L]``, int64). Sized by :meth:`prepare`."""
        if pop.index not in self._history:
            self._history[pop.index] = (aligned.zeros((self.ring_length, pop.n), np.int32),
                                        aligned.zeros(self.ring_length, np.int64))
        return self._history[pop.index]

    def channel_state(self, pop: "Population", channel: "PostsynapticModel", variable: str) -> np.ndarray:
        """A state variable of a synaptic channel, per neuron (persistent; initially 0)."""
        key = (pop.index, channel.key, variable)
        if key not in self._channel_state:
            self._channel_state[key] = aligned.zeros(pop.n, self.net.dtype)
        return self._channel_state[key]

    def channel_input(self, pop: "Population", channel: "PostsynapticModel") -> np.ndarray:
        """What projections with one delay deliver to a channel for the step being computed;
        the population's update takes it and zeroes it."""
        key = (pop.index, channel.key)
        if key not in self._inputs:
            self._inputs[key] = aligned.zeros(pop.n, self.net.dtype)
        return self._inputs[key]

    def ring(self, pop: "Population", channel: "PostsynapticModel") -> np.ndarray:
        """What projections with several delays deliver to a channel in the next steps: row
        ``k mod L`` is for step k (persistent)."""
        key = (pop.index, channel.key)
        if key not in self._rings:
            self._rings[key] = aligned.zeros((self.ring_length, pop.n), self.net.dtype)
        return self._rings[key]

    def arrives(self, proj) -> bool:
        """Whether a projection of several delays delivers each delay group of its rows when it
        arrives, into :meth:`arrival_input` (True), or each spike into a :meth:`ring`: the
        choice of its target channel (made once, by :meth:`prepare`, for the channel's
        lifetime; see the module docstring), for rows grouped by delay (delays stored per
        synapse go to a ring)."""
        return (proj.delivery == "ring" and proj.delay_offsets is not None
                and self._arrival.get((proj.post.index, proj.synapse.key), False))

    def arrival_input(self, pop: "Population", channel: "PostsynapticModel") -> np.ndarray:
        """What the projections of several delays onto a channel fed at arrival deliver for the
        step being computed; the population's update takes it and zeroes it."""
        key = (pop.index, channel.key)
        assert self._arrival.get(key), f"channel {key} has a ring, not an input at arrival"
        if key not in self._arrived:
            self._arrived[key] = aligned.zeros(pop.n, self.net.dtype)
        return self._arrived[key]

    def refractory(self, pop: "Population") -> np.ndarray:
        """Steps of refractory period left per neuron (int32, persistent)."""
        if pop.index not in self._refractory:
            self._refractory[pop.index] = aligned.zeros(pop.n, np.int32)
        return self._refractory[pop.index]

    def recorded_input(self, pop: "Population") -> np.ndarray:
        """The total input current of the last step per neuron (kept only when recorded)."""
        if pop.index not in self._recorded_input:
            self._recorded_input[pop.index] = aligned.zeros(pop.n, self.net.dtype)
        return self._recorded_input[pop.index]

    def row_parts(self, proj, threads: int, processes: int = 1) -> np.ndarray:
        """Where the part of each row (or delay group) of ``proj`` onto each of the
        ``processes x threads`` ranges of its targets starts
        (:func:`fastspike.runtime.layout.row_parts`; the ranges of
        :func:`fastspike.blocks.range_starts`). Kept for the thread count in use only."""
        key = (proj.index, threads, processes)
        if key not in self._row_parts:
            for old in [k for k in self._row_parts if k[0] == proj.index]:
                del self._row_parts[old]
            starts = range_starts(proj.post.n, threads, processes)
            self._row_parts[key] = row_parts(proj.indptr, proj._targets, starts, proj.delay_offsets)
        return self._row_parts[key]

    def source_state(self, pop: "Population", source: object, name: str, initial=0.0) -> np.ndarray:
        """A per-neuron state variable of a current source (persistent; ``initial``, a number or
        one value per neuron, when first allocated), keyed by the population, the source
        (itself: every source is its own input) and ``name``."""
        key = (pop.index, id(source), name)
        if key not in self._source_state:
            values = aligned.zeros(pop.n, self.net.dtype)
            values[:] = np.asarray(initial, dtype=np.float64)  # a number, or one value per neuron
            self._source_state[key] = values
            self._source_owners.append(source)
        return self._source_state[key]

    # -- sizing -------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Size the spike histories of the populations projections leave and the ring buffers
        of the channels fed with several delays for the network's current ring length,
        keeping the spikes and inputs still in flight at the network's step."""
        net, step = self.net, self.net.step
        length = net.ring_length()
        lag = net.exchange_interval() if net.processes > 1 else 1
        if lag != self.delivery_lag:
            if step > 0 and any(p.delivery == "ring" and p.start_step < step for p in net.projections):
                raise ValueError(f"run: a projection added since the last run lowers the network's smallest delay "
                                 f"to {lag} steps, from {self.delivery_lag}: with {net.processes} processes, the "
                                 f"spikes in flight would be delivered out of order. Create every projection before "
                                 f"the first run (or give the new ones delays of at least {self.delivery_lag} steps)")
            self.delivery_lag = lag
        for proj in net.projections:
            self.spike_history(proj.pre)
            if proj.plastic and proj.weight_update.on_post:  # its learning reads the postsynaptic spikes of the last max_delay steps
                self.spike_history(proj.post)
            if proj.delivery == "ring":
                key = (proj.post.index, proj.synapse.key)
                if proj.delay_offsets is not None and key not in self._arrival:
                    nbytes = max(length, self.ring_length) * proj.post.n * self.net.dtype.itemsize
                    self._arrival[key] = (net.backend_name == "cpu" and nbytes >= ARRIVAL_MIN_BYTES
                                          and key not in self._rings)
                if not self.arrives(proj):
                    self.ring(proj.post, proj.synapse)
        if length == self.ring_length:
            return
        old = self.ring_length
        for index, (sh, nh) in self._history.items():
            new, counts = aligned.zeros((length, sh.shape[1]), np.int32), aligned.zeros(length, np.int64)
            for k in range(max(0, step - min(old, length)), step):  # spikes still to be delivered
                new[k & (length - 1)] = sh[k & (old - 1)]
                counts[k & (length - 1)] = nh[k & (old - 1)]
            self._history[index] = (new, counts)
        for key, ring in self._rings.items():
            new = aligned.zeros((length, ring.shape[1]), ring.dtype)
            for d in range(old):  # inputs arriving in the steps from now on
                new[(step + d) % length] = ring[(step + d) % old]
            self._rings[key] = new
        self.ring_length = length

    def persistent(self) -> list[np.ndarray]:
        """Every persistent array (see the module docstring)."""
        return [a for pair in self._history.values() for a in pair] + [*self._channel_state.values(),
                                                                      *self._rings.values(),
                                                                      *self._refractory.values(),
                                                                      *self._source_state.values()]

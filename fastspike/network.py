"""The user's nouns: :class:`Network` and :class:`Population`.

A network holds populations (state as struct-of-arrays NumPy arrays), their inputs and
records. It knows nothing of how steps are computed: on ``run()`` it hands itself to its
backend, which compiles the whole step sequence and runs it for many steps per call.
"""
from __future__ import annotations

import math
import os
import time
import warnings
from typing import Iterable, Sequence

import numpy as np

from . import backends, resources, validation
from .inputs import PoissonInput, as_current
from .models.base import Model
from .models.checks import check_model
from .models.sources import Source
from .random import MAX_SEED, hash_seed
from .recording import SpikeRecord, StateRecord, SynapseRecord
from .runtime import Buffers, aligned
from .synapses import Connector, Delta, Distribution, PostsynapticModel, Projection, Static, WeightUpdateModel
from .synapses.distributions import check_delay

__all__ = ["Network", "Population"]

_DTYPES = {"float64": np.float64, "float32": np.float32}


class Population:
    """A group of ``n`` neurons of one model, advanced by one integrator.

    State variables are attributes holding NumPy arrays of length ``n`` (``pop.v``); assign
    into them (``pop.v[:] = ...``) or to them (``pop.v = ...``) to set initial values.
    Create populations with :meth:`Network.population`.
    """

    def __init__(self, network: "Network", model: Model, n: int, name: str, integrator: str, index: int) -> None:
        d = self.__dict__  # bypass __setattr__ (state assignment) while building
        d["network"] = network
        d["model"] = model
        d["n"] = n
        d["name"] = name
        d["integrator"] = integrator
        d["index"] = index
        dtype = network.dtype
        d["state"] = {k: aligned.copy(v, dtype) for k, v in model.initial_state(n).items()}  # threads write ranges
        is_source = isinstance(model, Source)
        d["params"] = {} if is_source else {k: _per_neuron(model, k, v, n, dtype) for k, v in model.params.items()}
        d["currents"] = []
        d["poisson_inputs"] = []
        d["key"] = hash_seed(network.seed, 2, index)  # random stream of a PoissonSource
        d["_channels"] = {}  # postsynaptic model key -> PostsynapticModel, in order of creation

    # -- input channels (created by connect() and poisson_input()) -----------------------
    def add_channel(self, synapse: PostsynapticModel) -> None:
        """Give the population a synaptic channel of this kind (once per distinct kind)."""
        if synapse.key not in self._channels:
            self._channels[synapse.key] = synapse

    @property
    def channels(self) -> tuple[PostsynapticModel, ...]:
        """The population's synaptic channels, in order of creation (see ``connect``)."""
        return tuple(self._channels.values())

    def channel_state(self, synapse: PostsynapticModel, variable: str) -> np.ndarray:
        """The per-neuron state variable ``variable`` of the population's channel ``synapse``
        (e.g. an ``fs.ExpConductance``'s ``"g"``): the array the step reads and writes, carried
        from run to run; assign into it (``[:] = ...``) to set initial conductances."""
        if synapse.key not in self._channels:
            raise ValueError(f"{self.name}: no channel {synapse!r}; channels: "
                             f"{', '.join(map(repr, self.channels)) or 'none (connect() creates them)'}")
        channel = self._channels[synapse.key]
        if variable not in channel.state_names:
            raise ValueError(f"{self.name}: {channel!r} has no state variable {variable!r}; it has "
                             f"{', '.join(map(repr, channel.state_names)) or 'none'}")
        return self.network._buffers.channel_state(self, channel, variable)

    def __getattr__(self, name: str) -> np.ndarray:
        state = self.__dict__.get("state")
        if state is not None and name in state:
            return state[name]
        raise AttributeError(f"{type(self).__name__} {self.__dict__.get('name')!r} has no attribute {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        if name in self.state:
            from .initial_state import Distribution, draw_state

            if isinstance(value, Distribution):  # neuron i: draw i of (seed, population, name), for any split
                value = draw_state(value, self.network.seed, self.index, name, 0, self.n)
            arr = validation.real_array(value, name, self.name, check=False)
            if arr.ndim not in (0, 1) or (arr.ndim == 1 and arr.shape[0] != self.n):
                raise ValueError(f"{self.name}.{name}: expected a scalar or shape ({self.n},), got shape {arr.shape}")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{self.name}.{name}: values must be finite")
            self.state[name][:] = arr
        else:
            raise AttributeError(f"cannot set {name!r} on population {self.name!r}; state variables: "
                                 f"{', '.join(self.state)}")

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(self.state)

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return f"Population({self.name!r}, {self.model.name}, n={self.n}, integrator={self.integrator!r})"


def _per_neuron(model: Model, name: str, value, n: int, dtype) -> np.ndarray:
    """A parameter as an array of length 1 (uniform) or n (per neuron)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return arr.reshape(1).astype(dtype)
    if arr.shape != (n,):
        raise ValueError(f"{model.name}: parameter {name} has shape {arr.shape} but the population has "
                         f"{n} neurons; give a scalar or an array of shape ({n},)")
    if np.all(arr == arr[0]):
        return arr[:1].astype(dtype)
    return aligned.copy(arr, dtype)  # read in the neurons' vector loops: whole lines, no split loads


class Network:
    """A spiking network simulation.

    Parameters
    ----------
    dt : float, ms
        Time step (> 0).
    seed : int or None
        Seed of every random stream of the network (``net.rng`` for the user's own draws).
    backend : {"cpu", "cuda"} or a backend's options
        Where the network runs (see :func:`fastspike.backends.available`); options as
        ``fs.backends.CUDA(launch="stages", lanes=32)``.
    dtype : {"float64", "float32"}
        Floating-point type of state and parameters.
    threads : int or "auto"
        CPU backend: the threads that update the populations and deliver the spikes of a step
        side by side, each for its own range of neurons (NEST's ``local_num_threads``). The
        results are the same for any number (each neuron and each target sees the same
        operations in the same order). At most ``numba.config.NUMBA_NUM_THREADS`` (by
        default, the machine's cores) run at once; more threads make more, smaller ranges.
        Threads pay on large networks: a step then costs three barriers (a few microseconds).
        ``"auto"``: the count that the work of a step makes fastest
        (:func:`fastspike.runtime.work.auto_threads`: 1 for networks of a few thousand
        neurons), decided when the network is built; a count that is expected to slow the run
        (or exceeds the available cores) runs with a warning. ``net.threads`` (the count in
        use) may be changed between runs.
    comm : fastspike.parallel.Communicator or None
        The processes the network runs on (see the README, *Running on several machines*).
        None: every process an MPI launcher started (``mpiexec -n K python script.py``,
        detected from its environment; mpi4py is imported only then), else one process.
        Each of K processes owns a contiguous range of every population, builds the
        synapses onto its own neurons only and updates them; the spikes are exchanged every
        smallest delay. Spikes, samples and final states are the same for any K (and any
        ``threads`` per process); records and an output file are gathered on rank 0.

    Attributes
    ----------
    t : float, ms
        Current simulation time (``steps * dt``).
    rng : numpy.random.Generator
        Generator seeded from ``seed``, for initial conditions and inputs drawn by the user.
    """

    def __init__(self, dt: float = 0.1, seed: int | None = None, backend: str | backends.CPU | backends.CUDA = "cpu",
                 dtype: str | type = "float64", threads: int | str = 1, comm=None) -> None:
        dt = validation.number(dt, "dt", "Network", low=0.0, low_open=True, unit="ms")
        key = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
        if key not in _DTYPES:
            raise ValueError(f"Network: dtype={dtype!r} is not allowed; choose 'float64' or 'float32'")
        if seed is not None:
            seed = validation.integer(seed, "seed", "Network", low=0, high=MAX_SEED,
                                      unit="or None; NumPy's SeedSequence entropy is 128 bits")
        self.comm = _communicator(comm)
        named = getattr(backend, "name", backend)
        if self.comm.size > 1 and named != "cpu":
            raise ValueError(f"Network: backend={named!r} runs on one process; {self.comm.size} processes "
                             f"need backend='cpu' (one process per GPU is not implemented)")
        self.backend_name = backends.check(backend)
        self.backend = backends.options_of(backend if not isinstance(backend, str) else self.backend_name)
        self._engine = None
        self.threads = threads
        self.dt = float(dt)
        self.seed = seed
        self.dtype = np.dtype(_DTYPES[key])
        self.rng = np.random.default_rng(seed)
        self.populations: list[Population] = []
        self.projections: list[Projection] = []
        self.records: list[SpikeRecord | StateRecord] = []
        self.step = 0
        self._buffers = Buffers(self)  # the runtime arrays of the step (spike histories, channels, rings)
        self._carry = 0.0  # ms asked for by run() but not yet simulated (less than half a step)
        self._output = None  # the HDF5 writer of the last run with output= (appended to by the next)
        self.timings: dict[str, float] = {}

    # -- building -------------------------------------------------------------------------
    @property
    def threads(self) -> int:
        """CPU threads that run the network (see the class docstring): the count asked for,
        or with ``threads="auto"`` the one the network's step makes fastest now. It may be
        changed between runs: the next ``run()`` compiles the step for the new number (the
        network is not rebuilt: the parts of its rows that each thread delivers are the
        runtime's)."""
        if self._threads == "auto":
            from .runtime.work import auto_threads

            return auto_threads(self) if self.backend_name == "cpu" else 1
        return self._threads

    @threads.setter
    def threads(self, value: int | str) -> None:
        if isinstance(value, str):
            if value != "auto":
                raise ValueError(f"Network: threads={value!r} is not allowed; give a number of threads >= 1 or "
                                 f"'auto'")
        else:
            value = int(validation.integer(value, "threads", "Network", low=1))
            if value != 1 and self.backend_name != "cpu":
                raise ValueError(f"Network: threads={value} is for the CPU backend; backend={self.backend_name!r} "
                                 "runs on its own device threads (use threads=1)")
        if getattr(self, "_threads", None) != value:
            self._threads = value
            self._changed()

    @property
    def t(self) -> float:
        """Current time (ms)."""
        return self.step * self.dt

    @property
    def processes(self) -> int:
        """The processes the network runs on (``comm.size``)."""
        return self.comm.size

    @property
    def rank(self) -> int:
        """This process's rank, 0 to ``processes - 1`` (rank 0 prints, shows progress, keeps
        the records and writes the output)."""
        return self.comm.rank

    def own_range(self, population: "Population") -> tuple[int, int]:
        """The neurons ``lo <= i < hi`` of ``population`` this process updates (all of them
        on one process): :func:`fastspike.blocks.process_range`."""
        from .blocks import process_range

        return process_range(population.n, self.processes, self.rank)

    def exchange_interval(self) -> int:
        """Steps between two exchanges of spikes in a distributed run: the smallest delay of
        any projection, in steps (NEST's min_delay); no projection, no exchange (2**30)."""
        return min((p.min_delay for p in self.projections), default=1 << 30)

    def population(self, model: Model, n: int, name: str | None = None, integrator: str | None = None) -> Population:
        """Add ``n`` neurons of ``model``; ``integrator`` defaults to the model's best."""
        if not isinstance(model, Model):
            raise TypeError(f"population: model must be a fastspike model (fs.LIF(...), ...), got {model!r}")
        n = validation.integer(n, "n", "population", low=1, high=np.iinfo(np.int32).max)
        integrator = model.check_integrator(integrator)
        clash = sorted(set(model.state_names) & _POPULATION_ATTRIBUTES)
        if clash:
            raise ValueError(f"population: {model.name} declares the state variable {clash[0]!r}, which is also an "
                             f"attribute of every Population ({', '.join(sorted(_POPULATION_ATTRIBUTES))} are "
                             f"taken); rename it in the model (e.g. {clash[0] + '_gate'!r})")
        if isinstance(model, Source):
            model.check_size(int(n))
        model.check_dt(self.dt)  # times and periods that must fit the step counters
        check_model(model, self.dt)  # the equations called once on scalars: what they return
        name = f"pop{len(self.populations)}" if name is None else str(name)
        if any(p.name == name for p in self.populations):
            raise ValueError(f"population: the name {name!r} is already used in this network")
        resources.check_population(model, n, self.dtype, name)
        pop = Population(self, model, int(n), name, integrator, len(self.populations))
        self.populations.append(pop)
        self._changed()
        return pop

    def current(self, population: Population, value) -> None:
        """Inject a current into every neuron of ``population``.

        ``value`` is a number, an array of shape ``(n,)`` (constant per neuron), an array
        of shape ``(steps, n)`` (row k drives the step starting at ``k dt``; 0 after the last
        row) or a :class:`fastspike.StepCurrent`. Several currents add up.
        """
        self._own(population, "current")
        population.currents.append(as_current(value, population.n, self.dt))
        self._changed()

    def record(self, population: Population | Projection, what: str | Sequence[str],
               neurons: Iterable[int] | None = None, every: int = 1, synapses: Iterable[int] | None = None
               ) -> SpikeRecord | StateRecord | SynapseRecord:
        """Record ``"spikes"`` or state variables (a name or a list of names) of ``population``,
        or the ``"weight"`` of some synapses of a plastic projection.

        Parameters
        ----------
        population : Population or Projection
        what : "spikes", a state variable name, or a list of them; ``"I"`` is the total
            input current of each step. For a projection: ``"weight"``.
        neurons : indices within the population (default: all).
        every : sample state every ``every`` steps (samples at ``k * every * dt``).
        synapses : indices into the projection's ``weights`` (default: all), for a projection.
        """
        if isinstance(population, Projection):
            return self._record_synapses(population, what, synapses, every)
        if synapses is not None:
            raise ValueError("record: synapses= is for a projection's per-synapse variables; use neurons= for a "
                             "population")
        self._own(population, "record")
        selection = None if neurons is None else _indices(neurons, population)
        if what == "spikes":
            rec = SpikeRecord(population, selection)
        else:
            variables = [what] if isinstance(what, str) else list(what)
            allowed = (*population.state_names, *(() if isinstance(population.model, Source) else ("I",)))
            bad = [v for v in variables if v not in allowed]
            if not variables or bad:
                raise ValueError(f"record: {population.model.name} has no variable "
                                 f"{', '.join(map(repr, bad)) or 'given'}; recordable: 'spikes', "
                                 f"{', '.join(map(repr, allowed))}")
            every = validation.integer(every, "every", "record", low=1, high=validation.MAX_STEPS, unit="steps")
            idx = np.arange(population.n) if selection is None else selection
            rec = StateRecord(population, variables, idx, int(every))
        self.records.append(rec)
        self._changed()
        return rec

    def _record_synapses(self, proj: Projection, what, synapses, every: int) -> SynapseRecord:
        if proj.pre.network is not self or proj not in self.projections:
            raise ValueError(f"record: projection {proj!r} belongs to another network")
        variables = [what] if isinstance(what, str) else list(what)
        if not variables or any(v != "weight" for v in variables):
            raise ValueError(f"record: a projection records 'weight' (its per-synapse variable), got {what!r}")
        if not proj.plastic:
            raise ValueError(f"record: projection {proj.pre.name!r} -> {proj.post.name!r} is static "
                             f"({proj.weight_update!r}): its weights never change (read proj.weights); only a "
                             f"plastic projection's weights are recorded")
        every = validation.integer(every, "every", "record", low=1, high=validation.MAX_STEPS, unit="steps")
        if synapses is None:
            idx = np.arange(proj.n_synapses, dtype=np.int64)
        else:
            idx = np.asarray(list(synapses) if not isinstance(synapses, np.ndarray) else synapses)
            if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
                raise ValueError(f"record: synapses must be a non-empty list of integer indices, got {synapses!r}")
            bad = idx[(idx < 0) | (idx >= proj.n_synapses)]
            if bad.size:
                raise ValueError(f"record: synapse index {int(bad[0])} is out of range for projection "
                                 f"{proj.pre.name!r} -> {proj.post.name!r} of {proj.n_synapses} synapses")
            if np.unique(idx).size != idx.size:
                raise ValueError("record: synapse indices must not repeat")
            idx = idx.astype(np.int64)
        rec = SynapseRecord(proj, ["weight"], idx, int(every))
        self.records.append(rec)
        self._changed()
        return rec

    def connect(self, pre: Population, post: Population, connector: Connector, synapse: PostsynapticModel | None = None,
                weight=1.0, delay=None, plasticity: WeightUpdateModel | None = None,
                weight_update: WeightUpdateModel | None = None) -> Projection:
        """Connect ``pre`` to ``post``; the connectivity is built now, from the network seed.

        Parameters
        ----------
        connector : Connector
            ``fs.AllToAll()``, ``fs.OneToOne()``, ``fs.FixedProbability(p)``, ``fs.FixedIndegree(k)``,
            ``fs.FixedOutdegree(k)``, ``fs.FixedTotalNumber(n)``, ``fs.FromArrays(pre, post)``.
        synapse : PostsynapticModel
            The channel of ``post`` the spikes arrive in: ``fs.ExpCurrent(tau)`` or
            ``fs.Delta()`` (the default), or a user's postsynaptic model.
        weight : float, array or distribution
            Current (ExpCurrent, in the post model's input unit) or mV (Delta).
        delay : float, array or distribution, ms
            Rounded to steps, at least one step (default: one step).
        plasticity : WeightUpdateModel
            What a synapse does when its neurons fire: ``fs.Static()`` (the default: it
            transmits its weight), ``fs.STDP(...)``, ``fs.TsodyksMarkram(...)``, or a user's
            weight-update model.
        weight_update : WeightUpdateModel
            The same as ``plasticity`` (GeNN's name; give one of the two).
        """
        self._own(pre, "connect")
        self._own(post, "connect")
        if not isinstance(connector, Connector):
            raise TypeError(f"connect: connector must be a fastspike connector (fs.FixedProbability(p), ...), "
                            f"got {connector!r}")
        synapse = Delta() if synapse is None else synapse
        self._check_synapse(post, synapse, "connect")
        if plasticity is not None and weight_update is not None:
            raise TypeError("connect: give plasticity= or its alias weight_update=, not both")
        weight_update = plasticity if plasticity is not None else weight_update
        weight_update = Static() if weight_update is None else weight_update
        if not isinstance(weight_update, WeightUpdateModel):
            raise TypeError(f"connect: plasticity must be a weight-update model (fs.Static(), fs.STDP(...), "
                            f"fs.TsodyksMarkram(...), ...), got {weight_update!r}")
        weight_update.check()
        if isinstance(post.model, Source):
            raise ValueError(f"connect: population {post.name!r} is a spike source and cannot receive input")
        delay = self.dt if delay is None else delay
        if isinstance(delay, Distribution):
            check_delay(delay, self.dt)
        resources.check_projection(pre, post, connector, weight, delay, self.threads, self.processes,
                                   plastic=weight_update.plastic)
        if isinstance(weight, (int, float, np.number)):
            synapse.check_weights(weight, "connect")  # before the connectivity is drawn
            weight_update.check_weights(np.array([weight]), "connect")
        index = len(self.projections)
        if weight_update.plastic and self.processes > 1:
            raise ValueError(f"connect: plastic weight updates ({weight_update!r}) run in one process only so far; "
                             f"this network runs on {self.processes} processes (see the README, Running on several "
                             f"machines)")
        proj = Projection(pre, post, connector, synapse, weight, delay, hash_seed(self.seed, 1, index), index,
                          self.comm)
        synapse.check_weights(proj._weights, "connect")  # drawn weights too
        proj.weight_update = weight_update
        if weight_update.plastic:
            weight_update.check_weights(proj._weights, "connect")  # drawn weights too
            proj.make_plastic(weight_update)
        proj.start_step = self.step  # spikes emitted before the projection existed do not use it
        post.add_channel(synapse)
        self.projections.append(proj)
        self._changed()
        return proj

    def poisson_input(self, population: Population, n: int, rate, weight: float,
                      synapse: PostsynapticModel | None = None
                      ) -> PoissonInput:
        """Give every neuron of ``population`` ``n`` independent Poisson afferents of ``rate`` Hz.

        Each afferent spike adds ``weight`` to the channel of ``synapse`` (``fs.Delta()`` by
        default). The afferents are not simulated one by one: each step draws, per neuron,
        the number of afferent spikes (Poisson with mean ``n * rate * dt``), so the cost is
        O(neurons) per step whatever ``n``. ``rate`` is a number or one rate per neuron (Hz).
        """
        self._own(population, "poisson_input")
        synapse = Delta() if synapse is None else synapse
        self._check_synapse(population, synapse, "poisson_input")
        if isinstance(population.model, Source):
            raise ValueError(f"poisson_input: population {population.name!r} is a spike source")
        synapse.check_weights(validation.number(weight, "weight", "poisson_input"), "poisson_input")
        m = len(population.poisson_inputs)
        inp = PoissonInput(n, rate, weight, synapse, population.n, hash_seed(self.seed, 3, population.index, m))
        population.add_channel(synapse)
        population.poisson_inputs.append(inp)
        self._changed()
        return inp

    @staticmethod
    def _check_synapse(post: Population, synapse, what: str) -> None:
        if not isinstance(synapse, PostsynapticModel):
            raise TypeError(f"{what}: synapse must be a postsynaptic model (fs.ExpCurrent(tau), fs.Delta(), ...), "
                            f"got {synapse!r}")
        synapse.check()
        if isinstance(post.model, Source):
            return
        if synapse.reads_membrane and not post.model.voltage_membrane:
            unit = post.model.units().get(post.state_names[0], "?")
            raise ValueError(f"{what}: {synapse!r} injects g (E_rev - v) and needs a membrane potential in mV; "
                             f"{post.model.name}'s membrane variable {post.state_names[0]!r} is in {unit!r}: use a "
                             f"current synapse (fs.ExpCurrent, fs.AlphaCurrent, fs.Delta) on population {post.name!r}")
        if not synapse.supports(post.integrator):
            others = [i for i in post.model.integrators if i != "exact"]
            raise ValueError(f"{what}: {synapse!r} cannot be integrated exactly; population {post.name!r} uses "
                             f"integrator='exact': create it with integrator= one of {', '.join(map(repr, others))}")

    def ring_length(self) -> int:
        """Rows of the spike histories: the largest delay (steps) + 1 (one more with a plastic
        projection: its learning reads the postsynaptic spikes of max_delay steps ago after a
        GPU's update has cleared the row of the next step), rounded up to a power of two so that
        rows wrap with a mask instead of a branch."""
        needed = max([p.max_delay + (1 if p.plastic else 0) for p in self.projections], default=0) + 1
        return 1 << (needed - 1).bit_length()

    def _own(self, population: Population, what: str) -> None:
        if not isinstance(population, Population):
            raise TypeError(f"{what}: expected a Population, got {population!r}")
        if population.network is not self:
            raise ValueError(f"{what}: population {population.name!r} belongs to another network")

    def _changed(self) -> None:
        self._engine = None  # rebuilt (from the same state) on the next run

    # -- running --------------------------------------------------------------------------
    def prepare_buffers(self) -> None:
        """Size the spike histories and ring buffers for the current projections, keeping
        the spikes and inputs still in flight."""
        self._buffers.prepare()

    def build(self) -> None:
        """Generate and compile the step sequence (done by ``run()`` when needed)."""
        if self._engine is not None and not self._engine.program.still_valid():
            self._engine = None  # a state compiled in as one value was written (each process its own program)
        if self._engine is None:
            if not self.populations:
                raise ValueError("run: the network has no population")
            t0 = time.perf_counter()
            resources.check_buffers(self)
            self.prepare_buffers()
            if self._threads != "auto" and self._threads > 1:
                from .runtime.work import slower_warning

                message = slower_warning(self, self._threads)
                if message:
                    warnings.warn(message, RuntimeWarning, stacklevel=3)
            self._engine = backends.create(self.backend_name, self)
            self.timings["build"] = time.perf_counter() - t0

    def run(self, duration: float, progress: bool | None = None, output: str | os.PathLike | None = None,
            overwrite: bool = False, connectivity: bool = False) -> None:
        """Advance the network by ``duration`` ms, in whole steps.

        Calling ``run()`` again continues from where the last call stopped. A duration off the
        step grid is rounded to whole steps and the remainder is carried into the next
        ``run()``: 20 runs of 0.05 ms at dt = 0.1 ms run 10 steps, and ``run(a); run(b)`` runs
        as many steps as ``run(a + b)``.

        Parameters
        ----------
        duration : float, ms
        progress : bool or None
            Show a tqdm progress bar (None: only when the run lasts more than 2 s).
        output : str or path, optional
            Stream every record to this HDF5 file while the network runs, instead of keeping
            them in memory (memory then stays bounded whatever the run length); the records
            read their rows back from the file. A later ``run()`` with the same ``output``
            appends to it. See the README, section *HDF5 layout*, and :func:`fastspike.load`.
        overwrite : bool
            Replace ``output`` if it exists (else an existing file that this network did not
            write is an error).
        connectivity : bool
            Also store every projection's synapses (CSR arrays) in ``output``.

        Raises
        ------
        FileExistsError, FileNotFoundError, PermissionError, IsADirectoryError, TypeError
            A bad ``output`` (or one another process is writing), before anything runs.
        ValueError
            A negative or non-finite ``duration``, one past the step counter, or an output
            file of a newer format version.
        MemoryError
            Before anything runs: the network's buffers, or the records this run would keep in
            memory, cannot fit (the message names the largest part and the remedy).
        OSError
            ``errno.ENOSPC``: the output's device has no room for the next rows. The file then
            holds exactly its last flush, and the rows since stay in the records' memory: a
            later ``run()`` with the same ``output`` appends them.
        KeyboardInterrupt, fastspike.Terminated
            Ctrl-C or SIGTERM, deferred to the end of the current chunk of steps (the records
            and an output file are then consistent).
        """
        duration = validation.number(duration, "duration", "run", low=0.0, unit="ms")
        total = duration + self._carry  # the part of earlier durations that fell between steps
        nsteps = int(round(total / self.dt))
        if self.step + nsteps >= validation.MAX_STEPS:
            raise ValueError(f"run: duration={duration!r} ms would take the network to step {self.step + nsteps:.3g}; "
                             f"the step counter stops at {validation.MAX_STEPS} ({validation.MAX_STEPS * self.dt:.3g} ms)")
        writer = None
        if output is not None:
            writer = self._prepare_output(output, overwrite, connectivity)
        else:
            resources.check_records(self, nsteps)
        self.build()
        self._carry = 0.0  # forgotten if the run stops early
        if writer is None:
            if nsteps:
                self._engine.run(nsteps, progress)
                self._gather_state()
                self._check_finite()
            self._carry = total - nsteps * self.dt
            return
        writer.start()
        self._output = writer
        try:
            if nsteps:
                self._engine.run(nsteps, progress, sink=None if isinstance(writer, _NoOutput) else writer)
        except BaseException as error:
            try:
                writer.close(error)
            except Exception as e:  # pragma: no cover - keep the first error
                if hasattr(error, "add_note"):
                    error.add_note(f"fastspike: closing the output file {writer.path!r} failed too: {e!r}")
            raise
        writer.close()
        self._carry = total - nsteps * self.dt
        self.timings["output"] = writer.seconds
        self._gather_state()
        self._check_finite()

    def _prepare_output(self, output, overwrite: bool, connectivity: bool):
        """The writer of ``output``: rank 0 writes (the records are gathered there); its
        checks' error is raised on every process, with the same message."""
        from .recording import hdf5

        if self.processes == 1:
            return hdf5.prepare(self, output, overwrite, connectivity)
        if connectivity is True:
            raise ValueError(f"run: connectivity=True with {self.processes} processes is not implemented (each "
                             f"process holds the synapses onto its own neurons); run on one process to store them")
        writer, error = None, None
        if self.comm.is_root:
            try:
                writer = hdf5.prepare(self, output, overwrite, connectivity)
            except Exception as e:  # noqa: BLE001 - raised on every process below
                error = e
        error = self.comm.bcast(None if error is None else (type(error), str(error)))
        if error is not None:
            kind, message = error
            raise kind(message)
        return writer if self.comm.is_root else _NoOutput()

    def _gather_state(self) -> None:
        """A distributed run: every process takes every neuron's state from its owner."""
        if self.processes > 1:
            from .parallel.exchange import gather_state

            gather_state(self)

    def _check_finite(self) -> None:
        """Warn when a population's state is no longer finite: an explicit integrator diverged
        (a step too large for the model's fastest dynamics), or the input overflowed."""
        if not self.comm.is_root:  # the same state on every process: rank 0 warns
            return
        for pop in self.populations:
            for name, values in pop.state.items():
                bad = values.size - int(np.count_nonzero(np.isfinite(values)))
                if bad:
                    warnings.warn(
                        f"population {pop.name!r}: {name} is not finite (inf or NaN) in {bad} of {pop.n} neurons "
                        f"at t = {self.t:g} ms; the {pop.integrator!r} integrator diverged or the input overflowed: "
                        f"use a smaller dt or a more stable integrator "
                        f"(supported by {pop.model.name}: {', '.join(pop.model.integrators)})",
                        RuntimeWarning, stacklevel=3)
                    break


_POPULATION_ATTRIBUTES = frozenset({"network", "model", "n", "name", "integrator", "index", "state", "params",
                                    "currents", "poisson_inputs", "key", "channels", "state_names"}
                                   | {a for a in dir(Population) if not a.startswith("_")})
"""Names a state variable may not take: ``pop.<variable>`` must reach the variable."""


class _NoOutput:
    """The output of a process that is not rank 0 (rank 0 writes the gathered records)."""

    path = None
    seconds = 0.0

    def start(self) -> None:
        pass

    def close(self, error: BaseException | None = None) -> None:
        pass


def _communicator(comm):
    """``comm`` checked, or (None) the communicator of the processes an MPI launcher started."""
    from . import parallel

    if comm is None:
        return parallel.world()
    if not isinstance(comm, parallel.Communicator):
        raise TypeError(f"Network: comm={comm!r} must be a fastspike.parallel communicator (fs.parallel.world(), "
                        f"fs.parallel.MPICommunicator(mpi4py_comm), ...) or None")
    return comm


def _indices(neurons: Iterable[int], population: Population) -> np.ndarray:
    idx = np.asarray(list(neurons) if not isinstance(neurons, np.ndarray) else neurons)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"record: neurons must be a non-empty list of integer indices, got {neurons!r}")
    if idx.min() < 0 or idx.max() >= population.n:
        raise ValueError(f"record: neuron index {int(idx.max() if idx.max() >= population.n else idx.min())} "
                         f"is out of range for population {population.name!r} of {population.n} neurons")
    if np.unique(idx).size != idx.size:
        raise ValueError("record: neuron indices must not repeat")
    return idx.astype(np.int64)

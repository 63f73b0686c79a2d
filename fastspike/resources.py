"""Memory estimates made before anything large is allocated.

A network that cannot fit in memory is refused when it is described (``Network.population``,
``Network.connect``, ``Network.run``), with the population or projection that needs the
memory and the estimate, instead of running for a minute and ending in a bare
``MemoryError``. Records kept in memory (runs without ``output=``) are estimated before each
run and watched while they grow: a warning names the remedy (``run(..., output="run.h5")``)
before memory runs out.

Estimates are lower bounds of what the arrays take (they leave out Python's and Numba's own
memory), compared with the memory available to this process: ``MemAvailable`` of
``/proc/meminfo``, the cgroup's limit when the process runs in a container, and
``RLIMIT_AS`` when one is set. Where none of these can be read (not Linux), nothing is refused.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

__all__ = ["available_memory", "format_bytes", "check_population", "check_projection", "check_buffers",
           "check_records", "WARN_FRACTION", "MemoryWarning"]

class MemoryWarning(RuntimeWarning):
    """Records kept in memory may not fit (a RuntimeWarning: shown by default)."""


WARN_FRACTION = 0.5
"""Records kept in memory warn when they would take more than this fraction of the memory
available (and are refused when they would take more than all of it)."""


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _meminfo(key: str, text: str | None) -> int | None:
    for line in (text or "").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return None


def available_memory() -> int | None:
    """Bytes this process can still allocate, as far as the system says (None: unknown)."""
    values = []
    free = _meminfo("MemAvailable", _read("/proc/meminfo"))
    if free is not None:
        values.append(free)
    limit, used = _read("/sys/fs/cgroup/memory.max"), _read("/sys/fs/cgroup/memory.current")
    if limit is not None and used is not None and limit.strip().isdigit():
        values.append(int(limit) - int(used))
    limit, used = (_read("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
                   _read("/sys/fs/cgroup/memory/memory.usage_in_bytes"))
    if limit is not None and used is not None and limit.strip().isdigit() and int(limit) < 1 << 60:
        values.append(int(limit) - int(used))
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            size = _meminfo("VmSize", _read("/proc/self/status"))
            values.append(soft - (size or 0))
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        pass
    return max(0, min(values)) if values else None


def format_bytes(n: float) -> str:
    """``n`` bytes in kB, MB, GB, TB (powers of 1000)."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000.0
    return f"{n:.3g} PB"  # pragma: no cover


def _refuse(what: str, needed: float, remedy: str) -> None:
    free = available_memory()
    if free is not None and needed > free:
        raise MemoryError(f"{what} needs about {format_bytes(needed)} of memory, but only {format_bytes(free)} are "
                          f"available; {remedy}")


def check_population(model, n: int, dtype: np.dtype, name: str) -> None:
    """Refuse a population whose state and parameters cannot fit (before allocating them)."""
    item = np.dtype(dtype).itemsize
    per_neuron = len(getattr(model, "state_variables", ())) * 2 * item  # state (float64 initial, then dtype)
    per_neuron += sum(item for v in getattr(model, "params", {}).values() if np.ndim(v) == 1)
    per_neuron += 4 + 1 + 4  # refractory counter, spike flags, spike history row
    _refuse(f"population {name!r} ({model.name}, n={n})", float(n) * per_neuron,
            "use fewer neurons or run on a machine with more memory")


def expected_synapses(connector, n_pre: int, n_post: int, same: bool) -> float:
    """The number of synapses ``connector`` makes between ``n_pre`` and ``n_post`` neurons
    (the mean for random rules), before any is drawn."""
    from .synapses import connectors as c

    if isinstance(connector, c.AllToAll):
        return float(n_pre) * n_post - (min(n_pre, n_post) if connector._no_self(same) else 0)
    if isinstance(connector, c.OneToOne):
        return float(n_pre)
    if isinstance(connector, c.FixedProbability):
        return connector.p * float(n_pre) * n_post
    if isinstance(connector, c.FixedIndegree):
        return float(connector.k) * n_post
    if isinstance(connector, c.FixedOutdegree):
        return float(connector.k) * n_pre
    if isinstance(connector, c.FixedTotalNumber):
        return float(connector.n)
    if isinstance(connector, c.FromArrays):
        return float(connector.pre.size)
    return 0.0


PLASTIC_PEAK_BYTES_PER_SYNAPSE = 32
"""What a plastic projection takes per synapse at its peak, while ``make_plastic`` builds its
storage (measured with ``tracemalloc``: 30.0 bytes with one delay, 13 kept): the target
(int32), the weight (float32) and the delay (uint8 or uint16) of every synapse, the column
index (int32), and for a moment the int64 keys and order of sorting the synapses by
postsynaptic neuron and delay. Synapses of several delays take 16 more (46.2 measured): their
rows, grouped by delay for static delivery, are sorted back by target (an int64 row and an
int64 order per synapse)."""


def check_projection(pre, post, connector, weight, delay, threads: int, processes: int = 1,
                     plastic: bool = False) -> None:
    """Refuse a projection whose synapses cannot fit (before drawing them): 4 bytes of target
    per synapse (int32 while they are built; uint16 after, onto small populations), 4 of
    weight unless shared, 2 of delay unless shared, row pointers (with ``processes``, each
    holds about its share of the synapses); a ``plastic`` one
    :data:`PLASTIC_PEAK_BYTES_PER_SYNAPSE` and its column pointers and postsynaptic state
    (8 bytes each per postsynaptic neuron and delay value, 3 in all assumed)."""
    from .synapses.distributions import Distribution

    n = expected_synapses(connector, pre.n, post.n, pre is post) / processes
    several_delays = isinstance(delay, Distribution) or np.ndim(delay) > 0
    if plastic:
        per_synapse = PLASTIC_PEAK_BYTES_PER_SYNAPSE + (16 if several_delays else 0)
    else:
        per_synapse = 4 + (4 if isinstance(weight, Distribution) or np.ndim(weight) > 0 else 0)
        per_synapse += 2 if several_delays else 0
    needed = n * per_synapse + 24.0 * (pre.n + 1) * max(1, threads) + (8.0 * 3 * post.n if plastic else 0.0)
    _refuse(f"connect: {'plastic ' if plastic else ''}projection {pre.name!r} -> {post.name!r} ({connector!r}, about "
            f"{n:.3g} synapses)", needed,
            "use a sparser connector or smaller populations")


def check_buffers(net: "Network") -> None:
    """Refuse a run whose spike histories, ring buffers and spike record buffers cannot fit
    (before they are allocated at the build): the largest item is named."""
    length = net.ring_length()
    senders = {proj.pre.index for proj in net.projections}
    items: list[tuple[float, str]] = []
    for pop in net.populations:
        if pop.index in senders:
            items.append((4.0 * length * pop.n, f"the spike history of population {pop.name!r} ({length} steps x "
                                                 f"{pop.n} neurons)"))
        ringed = {proj.synapse.key for proj in net.projections if proj.post is pop and proj.delivery == "ring"}
        if ringed:
            items.append((float(len(ringed)) * length * pop.n * net.dtype.itemsize,
                          f"the ring buffers of population {pop.name!r} ({len(ringed)} channel(s) x {length} steps x "
                          f"{pop.n} neurons; the largest delay sets the steps)"))
    for rec in net.records:
        if rec.kind == "spikes":
            # the buffer, and the spike bitmap of two tiles of 32 steps (fastspike.backends.cpu.lower.TILE_STEPS)
            items.append((12.0 * max(2 * rec.population.n, 1 << 16) + 8.0 * rec.population.n,
                          f"the spike buffer of {rec!r}"))
    if not items:
        return
    needed = sum(b for b, _ in items)
    largest = max(items)[1]
    _refuse(f"run: the network's buffers (largest: {largest})", needed,
            "use shorter delays, fewer neurons, or a machine with more memory")


def record_estimate(net: "Network", nsteps: int) -> tuple[float, list[str]]:
    """Bytes that records kept in memory gain in ``nsteps`` steps: state records exactly,
    spike records at the rate they recorded so far (nothing for a record that has not run)."""
    total, parts = 0.0, []
    for rec in net.records:
        if rec.kind == "state":
            samples = (net.step + nsteps) // rec.every - net.step // rec.every
            b = float(samples) * (8 + len(rec.neurons) * len(rec.variables) * net.dtype.itemsize)
        else:
            ran = net.step - rec.start_step
            held = len(rec._steps)
            b = 12.0 * held / ran * nsteps if ran > 0 and held else 0.0
        if b:
            total += b
            parts.append(f"{rec.population.name!r} {rec.kind} {format_bytes(b)}")
    return total, parts


def check_records(net: "Network", nsteps: int) -> None:
    """Before a run without ``output=``: refuse when the records it keeps in memory cannot
    fit, warn when they would take more than :data:`WARN_FRACTION` of the memory available."""
    needed, parts = record_estimate(net, nsteps)
    if needed < 1 << 20:  # 1 MB: not worth a look at the system's memory
        return
    free = available_memory()
    if free is None or needed <= WARN_FRACTION * free:
        return
    what = (f"run: the records kept in memory would grow by about {format_bytes(needed)} in "
            f"{nsteps * net.dt:g} ms ({', '.join(parts)})")
    remedy = ("stream them to a file instead: net.run(duration, output='run.h5') keeps memory flat "
              "(read back with fs.load), or record fewer neurons or samples (every=)")
    if needed > free:
        raise MemoryError(f"{what}, but only {format_bytes(free)} are available; {remedy}")
    warnings.warn(f"{what}, more than {WARN_FRACTION:.0%} of the {format_bytes(free)} available; {remedy}",
                  MemoryWarning, stacklevel=3)


def growth_warning(name: str, nbytes: int, following: int) -> bool:
    """Called when an in-memory record column grows its buffer to ``nbytes``: warn (once per
    column) when the memory left would not hold its next growth (``following`` bytes).
    Returns whether it warned."""
    free = available_memory()
    if free is not None and following > free:
        warnings.warn(f"the in-memory record ({name}) holds {format_bytes(nbytes)}, and the {format_bytes(free)} of "
                      f"memory left will not hold it for long; stream records to a file with "
                      f"net.run(duration, output='run.h5') (memory stays flat)", MemoryWarning, stacklevel=2)
        return True
    return False


"""Quick-look figures of recorded spikes and state variables (matplotlib).

Every function builds a new :class:`matplotlib.figure.Figure` object without going
through ``pyplot``: nothing is shown, no GUI backend is needed (works headless, on a
cluster or in a test), and pyplot's global state is left alone. Each returns the figure;
pass ``fname="out.png"`` to save it (the format follows the extension), display it in a
notebook by leaving it as the last expression of a cell, or add artists to its axes
(``fig.axes``).

Times are in ms, membrane potentials in mV and rates in Hz, as everywhere in fastspike.
Records may be :class:`fastspike.SpikeRecord` / :class:`fastspike.StateRecord` objects or
any object with the same array attributes (for example records loaded from a file):
spikes need ``times`` (ms) and ``neurons`` (index per spike); traces need ``times``,
``neurons``, ``variables`` and one ``(samples, neurons)`` array per variable.
"""
from __future__ import annotations

import os
from typing import Any, Iterable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["neuron", "raster", "traces", "rate"]

_MAX_LEGEND = 10  # legend entries shown at most (one per neuron)


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _finish(fig: Figure, title: str | None, fname: str | os.PathLike | None, ax: Axes | None = None) -> Figure:
    """Add the title and save the figure when asked; return it."""
    if title is not None:
        if ax is not None:
            ax.set_title(title)
        else:
            fig.suptitle(title)
    if fname is not None:
        fig.savefig(os.fspath(fname), dpi=120)
    return fig


def _spike_arrays(spikes: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(times, neurons)`` of a spike record, checked."""
    if getattr(spikes, "kind", "spikes") != "spikes":
        raise TypeError(f"expected a spike record (net.record(pop, 'spikes')), got {spikes!r}")
    try:
        times = np.asarray(spikes.times, dtype=np.float64)
        neurons = np.asarray(spikes.neurons)
    except AttributeError:
        raise TypeError(f"expected a spike record with arrays .times and .neurons, got {spikes!r}") from None
    if times.shape != neurons.shape or times.ndim != 1:
        raise ValueError(f"spike record: .times {times.shape} and .neurons {neurons.shape} must be 1-D arrays "
                         f"of the same length")
    return times, neurons.astype(np.int64, copy=False)


def _end_time(record: Any) -> float | None:
    """The time (ms) up to which a record runs: its network's time, or its ``t_stop`` (records
    loaded from a file)."""
    end = getattr(getattr(getattr(record, "population", None), "network", None), "t", None)
    return end if end is not None else getattr(record, "t_stop", None)


def _name(record: Any, default: str) -> str:
    pop = getattr(record, "population", None)
    name = getattr(pop, "name", None) if pop is not None else None
    if name is None:
        name = getattr(record, "name", None)
    return default if name is None else str(name)


def _units(trace: Any) -> dict[str, str]:
    """Units of the state variables of the trace's model, when known."""
    model = getattr(getattr(trace, "population", None), "model", None)
    units = {sv.name: sv.unit for sv in getattr(model, "state_variables", ())}
    units.setdefault("v", "mV")
    return units


def _label(variable: str, units: dict[str, str]) -> str:
    unit = units.get(variable)
    return f"{variable} ({unit})" if unit and unit != "1" else variable


def _trace_values(trace: Any, variable: str) -> np.ndarray:
    try:
        values = trace[variable]
    except (TypeError, KeyError):
        values = getattr(trace, variable, None)
        if values is None:
            recorded = ", ".join(getattr(trace, "variables", ())) or "none"
            raise ValueError(f"{variable!r} is not recorded in {trace!r}; recorded: {recorded}") from None
    values = np.asarray(values, dtype=np.float64)
    return values[:, None] if values.ndim == 1 else values


def _columns(trace: Any, neurons: Iterable[int] | None) -> tuple[np.ndarray, np.ndarray]:
    """Column indices into the trace arrays and the population indices they hold."""
    recorded = np.asarray(trace.neurons, dtype=np.int64)
    if neurons is None:
        return np.arange(recorded.size), recorded
    wanted = np.asarray(list(neurons), dtype=np.int64)
    cols = []
    for k in wanted:
        hit = np.flatnonzero(recorded == k)
        if hit.size == 0:
            raise ValueError(f"neuron {int(k)} is not recorded; recorded neurons: {recorded.tolist()}")
        cols.append(int(hit[0]))
    return np.asarray(cols, dtype=np.int64), wanted


# ---------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------
def neuron(trace: Any, spikes: Any = None, current: Any = None, neuron: int = 0, threshold: float | None = None,
           title: str | None = None, fname: str | os.PathLike | None = None, variable: str = "v") -> Figure:
    """Input current, membrane potential and spikes of one neuron, stacked on one time axis.

    The figure of ngc-learn's ``plot_spiking_neuron``: up to three panels sharing the time
    axis, (1) the input current, (2) the membrane potential with an optional dashed
    threshold line, (3) the neuron's spikes as vertical lines. The current panel is left
    out when no current is available, the spike panel when ``spikes`` is None.

    Parameters
    ----------
    trace : StateRecord
        A record of the membrane potential (``net.record(pop, ["v", "I"])``).
    spikes : SpikeRecord, optional
        A spike record of the same population; the spikes of the chosen neuron are drawn.
    current : StateRecord or array, optional
        The input current: a record of ``"I"`` (of this neuron, or of a single neuron), or
        an array with one value per sample of ``trace`` (shape ``(samples,)`` or
        ``(samples, recorded neurons)``). Default: ``trace.I`` when ``trace`` recorded ``"I"``.
        Units: those of the model's current (``R I`` in mV).
    neuron : int
        Column of ``trace`` to plot (0: the first recorded neuron), not a population index.
    threshold : float, mV, optional
        Draw a dashed horizontal line at this potential (e.g. ``v_thresh``).
    title : str, optional
        Figure title.
    fname : str or path, optional
        Save the figure there (format from the extension, e.g. ``.png``).
    variable : str
        The recorded variable to draw as membrane potential (default ``"v"``, in mV).

    Returns
    -------
    matplotlib.figure.Figure
    """
    times = np.asarray(trace.times, dtype=np.float64)
    values = _trace_values(trace, variable)
    if not 0 <= neuron < values.shape[1]:
        raise ValueError(f"neuron={neuron} is out of range: the trace holds {values.shape[1]} neuron(s)")
    recorded = np.asarray(getattr(trace, "neurons", np.arange(values.shape[1])), dtype=np.int64)
    pop_index = int(recorded[neuron])

    cur_t, cur_v = None, None
    if current is None and "I" in tuple(getattr(trace, "variables", ())):
        current = trace
    if current is not None:
        if hasattr(current, "times") and not isinstance(current, np.ndarray):
            cur_t = np.asarray(current.times, dtype=np.float64)
            arr = _trace_values(current, "I")
            if current is trace:
                col = neuron
            else:
                cur_neurons = np.asarray(getattr(current, "neurons", np.arange(arr.shape[1])), dtype=np.int64)
                hit = np.flatnonzero(cur_neurons == pop_index)
                if hit.size:
                    col = int(hit[0])
                elif arr.shape[1] == 1:
                    col = 0
                else:
                    raise ValueError(f"current: neuron {pop_index} is not among the recorded neurons "
                                     f"{cur_neurons.tolist()}")
            cur_v = arr[:, col]
        else:
            arr = np.asarray(current, dtype=np.float64)
            if arr.ndim == 2:
                arr = arr[:, neuron if arr.shape[1] > 1 else 0]
            if arr.ndim != 1 or arr.shape[0] != times.shape[0]:
                raise ValueError(f"current: expected one value per sample of the trace ({times.shape[0]}), "
                                 f"got shape {np.shape(current)}")
            cur_t, cur_v = times, arr

    panels = ["I"] * (cur_v is not None) + ["v"] + ["spikes"] * (spikes is not None)
    ratios = {"I": 1.0, "v": 2.5, "spikes": 0.8}
    fig = Figure(figsize=(7.0, 1.2 + 1.2 * sum(ratios[p] for p in panels)), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": [ratios[p] for p in panels]})[:, 0]
    ax_of = dict(zip(panels, axes))
    t_end = float(times[-1]) if times.size else 0.0

    if cur_v is not None:
        ax = ax_of["I"]
        # sample k holds the current of the step that ended at its time: draw it as a step
        ax.step(cur_t, cur_v, where="pre", color="tab:orange", lw=1.2)
        ax.set_ylabel("I")
        if cur_t.size:
            t_end = max(t_end, float(cur_t[-1]))

    ax = ax_of["v"]
    ax.plot(times, values[:, neuron], color="tab:blue", lw=1.2, label=variable)
    if threshold is not None:
        ax.axhline(float(threshold), color="tab:red", ls="--", lw=1.0, label="threshold")
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize="small", frameon=False,
                  borderaxespad=0.1)
    ax.set_ylabel(_label(variable, _units(trace)))

    if spikes is not None:
        s_times, s_neurons = _spike_arrays(spikes)
        mine = s_times[s_neurons == pop_index]
        ax = ax_of["spikes"]
        ax.vlines(mine, 0.0, 1.0, color="black", lw=1.2)
        ax.set_ylim(0.0, 1.05)
        ax.set_yticks([])
        ax.set_ylabel("spikes")
        if mine.size:
            t_end = max(t_end, float(mine.max()))

    axes[-1].set_xlabel("time (ms)")
    axes[-1].set_xlim(0.0, t_end if t_end > 0 else 1.0)
    return _finish(fig, title, fname)


def raster(spikes: Any | Sequence[Any], ax: Axes | None = None, neurons: Iterable[int] | None = None,
           max_neurons: int | None = None, title: str | None = None, fname: str | os.PathLike | None = None,
           **kwargs: Any) -> Figure:
    """Raster plot: one dot per spike, time (ms) against neuron index.

    Parameters
    ----------
    spikes : SpikeRecord or list of them
        A spike record, or any object with arrays ``times`` (ms) and ``neurons`` (neuron
        index of each spike). Several records are stacked from the bottom up, each offset
        by its number of neurons (``record.n`` when present, else its largest index + 1) and
        labelled on the y axis with its population name.
    ax : matplotlib Axes, optional
        Draw into these axes (then the returned figure is ``ax.figure``).
    neurons : iterable of int, optional
        Show only these neuron indices (within each population).
    max_neurons : int, optional
        Show only neurons with index < ``max_neurons`` (within each population).
    title : str, optional
        Axes title.
    fname : str or path, optional
        Save the figure there (format from the extension).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter` (defaults: ``s=4``, ``marker="."``,
        black for one record, one colour per population for several).

    Returns
    -------
    matplotlib.figure.Figure
    """
    records = list(spikes) if isinstance(spikes, (list, tuple)) else [spikes]
    if not records:
        raise ValueError("raster: no spike record given")
    if max_neurons is not None and (isinstance(max_neurons, bool) or int(max_neurons) < 1):
        raise ValueError(f"raster: max_neurons={max_neurons!r} must be an integer >= 1")
    keep = None if neurons is None else np.unique(np.asarray(list(neurons), dtype=np.int64))

    parts = []  # (times, neuron indices, mask, rows) per record
    for rec in records:
        times, idx = _spike_arrays(rec)
        n = getattr(rec, "n", None)
        n = int(n) if n is not None else (int(idx.max()) + 1 if idx.size else 1)
        mask = np.ones(times.shape, dtype=bool)
        if keep is not None:
            mask &= np.isin(idx, keep)
            n = min(n, int(keep.max()) + 1)
        if max_neurons is not None:
            mask &= idx < int(max_neurons)
            n = min(n, int(max_neurons))
        parts.append((times, idx, mask, max(n, 1)))

    if ax is None:
        rows = sum(p[3] for p in parts)
        height = min(7.0, 1.6 + 0.45 * len(parts) + 0.05 * min(rows, 100))
        fig = Figure(figsize=(7.0, height), layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    style = {"s": 4, "marker": "."}
    style.update(kwargs)

    offset = 0
    ticks, labels = [], []
    t_max = 0.0
    for i, (rec, (times, idx, mask, n)) in enumerate(zip(records, parts)):
        colour = {}
        if "c" not in style and "color" not in style:
            colour = {"color": "black" if len(records) == 1 else f"C{i}"}
        ax.scatter(times[mask], idx[mask] + offset, **colour, **style)
        if times.size:
            t_max = max(t_max, float(times.max()))
        ticks.append(offset + (n - 1) / 2.0)
        labels.append(_name(rec, f"pop{i}"))
        offset += n
        if len(records) > 1 and i < len(records) - 1:
            ax.axhline(offset - 0.5, color="0.7", lw=0.8)

    ax.set_ylim(-0.5 - 0.02 * offset, offset - 0.5 + 0.02 * offset)
    end = _end_time(records[0])
    ax.set_xlim(0.0, max(t_max, float(end or 0.0)) or 1.0)
    ax.set_xlabel("time (ms)")
    if len(records) > 1:
        ax.set_yticks(ticks)
        ax.set_yticklabels(labels)
        ax.set_ylabel("population")
    else:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("neuron")
    return _finish(fig, title, fname, ax=ax)


def traces(trace: Any, variables: Sequence[str] | str | None = None, neurons: Iterable[int] | None = None,
           title: str | None = None, fname: str | os.PathLike | None = None) -> Figure:
    """Recorded state variables against time: one panel per variable, one line per neuron.

    Parameters
    ----------
    trace : StateRecord
        A state record (``net.record(pop, ["v", "I"])``).
    variables : str or list of str, optional
        Variables to draw (default: all recorded, in order).
    neurons : iterable of int, optional
        Population indices of the neurons to draw (default: all recorded). A legend with
        the neuron indices is added when at most 10 lines are drawn per panel.
    title : str, optional
        Figure title.
    fname : str or path, optional
        Save the figure there (format from the extension).

    Returns
    -------
    matplotlib.figure.Figure
        Units on the y labels come from the model (``v`` in mV; ``I`` in the model's
        current unit, ``R I`` in mV).
    """
    if variables is None:
        variables = tuple(trace.variables)
    elif isinstance(variables, str):
        variables = (variables,)
    variables = tuple(variables)
    if not variables:
        raise ValueError("traces: no variable to plot")
    times = np.asarray(trace.times, dtype=np.float64)
    cols, labels = _columns(trace, neurons)
    units = _units(trace)

    fig = Figure(figsize=(7.0, 1.0 + 2.0 * len(variables)), layout="constrained")
    axes = fig.subplots(len(variables), 1, sharex=True, squeeze=False)[:, 0]
    for ax, var in zip(axes, variables):
        values = _trace_values(trace, var)
        for c, k in zip(cols, labels):
            if var == "I":
                ax.step(times, values[:, c], where="pre", lw=1.0, label=f"{int(k)}")
            else:
                ax.plot(times, values[:, c], lw=1.0, label=f"{int(k)}")
        ax.set_ylabel(_label(var, units))
        if 1 < len(cols) <= _MAX_LEGEND:
            ax.legend(title="neuron", fontsize="small", title_fontsize="small", frameon=False,
                      loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes[-1].set_xlabel("time (ms)")
    if times.size:
        axes[-1].set_xlim(0.0, float(times[-1]))
    return _finish(fig, title, fname)


def rate(spikes: Any, bin: float = 5.0, n: int | None = None, t_start: float = 0.0, t_stop: float | None = None,
         ax: Axes | None = None, title: str | None = None, fname: str | os.PathLike | None = None) -> Figure:
    """Population firing rate histogram (Hz).

    The rate of a bin is ``spikes in the bin / n / (bin width in s)``. Bins are closed on
    the right, ``(t0, t0 + bin]``, because a spike is stamped with the end of its step: a
    spike at ``5.0`` ms happened in the step ending at 5 ms and counts in the bin ``(0, 5]``.

    Parameters
    ----------
    spikes : SpikeRecord
        A spike record, or any object with arrays ``times`` (ms) and ``neurons``; a record
        loaded from a file (``fs.load(path).spikes(name)``) is counted block by block, without
        loading it whole.
    bin : float, ms
        Bin width (> 0). The last bin may be shorter; its rate uses its own width.
    n : int, optional
        Number of neurons the rate is averaged over; default ``spikes.n`` when present,
        else the largest neuron index + 1.
    t_start, t_stop : float, ms
        Time range (default: 0 to the network's current time, else to the last spike).
    ax : matplotlib Axes, optional
        Draw into these axes (the returned figure is ``ax.figure``).
    title : str, optional
        Axes title.
    fname : str or path, optional
        Save the figure there (format from the extension).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not np.isfinite(bin) or bin <= 0:
        raise ValueError(f"rate: bin={bin!r} must be a number > 0 (ms)")
    # records loaded from a file count their spikes per bin block by block (bounded memory)
    streamed = callable(getattr(spikes, "bin_counts", None)) and getattr(spikes, "n", None) is not None \
        and _end_time(spikes) is not None
    times, idx = (None, None) if streamed else _spike_arrays(spikes)
    if n is None:
        n = getattr(spikes, "n", None)
        if n is None:
            n = int(idx.max()) + 1 if idx.size else 1
    if int(n) < 1:
        raise ValueError(f"rate: n={n!r} must be >= 1")
    n = int(n)
    if t_stop is None:
        t_stop = _end_time(spikes)
        if t_stop is None or t_stop <= t_start:
            t_stop = float(times.max()) if times is not None and times.size else t_start + bin
    if t_stop <= t_start:
        raise ValueError(f"rate: t_stop={t_stop} must be > t_start={t_start} (ms)")

    eps = 1e-9 * max(1.0, abs(t_stop))
    nbins = max(1, int(np.ceil((t_stop - t_start) / bin - 1e-9)))
    edges = t_start + bin * np.arange(nbins + 1)
    edges[-1] = t_stop
    if streamed:
        counts = np.asarray(spikes.bin_counts(edges))
    else:
        inside = (times > t_start + eps) & (times <= t_stop + eps)
        which = np.ceil((times[inside] - t_start) / bin - 1e-9).astype(np.int64) - 1
        counts = np.bincount(np.clip(which, 0, nbins - 1), minlength=nbins)
    widths = np.diff(edges)
    rates = counts / n / (widths / 1000.0)

    if ax is None:
        fig = Figure(figsize=(7.0, 2.8), layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    ax.bar(edges[:-1], rates, width=widths, align="edge", color="tab:gray", edgecolor="none")
    ax.set_xlim(t_start, t_stop)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    return _finish(fig, title, fname, ax=ax)

"""Hand a fastspike recording to pandas and Neo (optional: ``pip install "fastspike[neo]"``).

:func:`to_neo` builds the spike trains of every neuron with Neo's array-based constructor
(``SpikeTrainList.from_spike_time_array``): a Block with 10^6 spike trains is made in the
time it takes to read the spikes. Its trains are materialised as ``neo.SpikeTrain`` objects
only when first iterated or indexed, by one sort of the spikes (Neo's own method scans all
spikes once per train, which 10^6 trains make impractical).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .reader import RunFile

__all__ = ["run_dataframe", "to_neo"]


def run_dataframe(run: "RunFile", kind: str = "spikes"):
    """All spike records (``kind="spikes"``) or state records (``kind="state"``) of ``run`` as
    one long pandas DataFrame (see :meth:`fastspike.recording.reader.RunFile.to_dataframe`)."""
    import pandas as pd

    frames = []
    if kind == "spikes":
        for name in run.spike_records:
            rec = run.spikes(name)
            df = rec.to_dataframe()
            df.insert(0, "population", rec.population)
            df.insert(0, "record", name)
            frames.append(df)
        columns = {"record": str, "population": str, "neuron": np.int32, "step": np.int64, "time": np.float64}
    elif kind == "state":
        for name in run.state_records:
            rec = run.state(name)
            steps = rec.steps
            m = len(rec.neurons)
            for var in rec.variables:
                values = rec[var]
                frames.append(pd.DataFrame({
                    "record": name, "population": rec.population, "variable": var,
                    "neuron": np.tile(rec.neurons, steps.size), "step": np.repeat(steps, m),
                    "time": np.repeat(steps * rec.dt, m), "value": values.reshape(-1)}))
        columns = {"record": str, "population": str, "variable": str, "neuron": np.int64, "step": np.int64,
                   "time": np.float64, "value": np.float64}
    else:
        raise ValueError(f"to_dataframe: kind={kind!r} must be 'spikes' or 'state'")
    if not frames:
        return pd.DataFrame({k: pd.Series(dtype=v) for k, v in columns.items()})
    df = pd.concat(frames, ignore_index=True)
    for key in ("record", "population", "variable"):
        if key in df:
            df[key] = df[key].astype("category")
    return df


def _quantity_units(unit: str):
    import quantities as pq

    if unit in ("", "1"):
        return pq.dimensionless
    try:
        return pq.Quantity(1.0, unit).units
    except (LookupError, ValueError, TypeError, SyntaxError):
        return pq.dimensionless


def _spike_train_list_class():
    from neo.core import SpikeTrain
    from neo.core.spiketrainlist import SpikeTrainList

    class SortedSpikeTrainList(SpikeTrainList):
        """Neo's SpikeTrainList, materialising its trains by one sort of the spikes; indexing one
        train before they are materialised builds that train only."""

        def __getitem__(self, i):
            if getattr(self, "_items", []) is None and isinstance(i, (int, np.integer)) \
                    and getattr(self, "_spike_time_array", None) is not None:
                all_ids = self._all_channel_ids
                cid = all_ids[i]
                ids = np.asarray(self._channel_id_array)
                st = SpikeTrain(self._spike_time_array[ids == cid], **self._spiketrain_metadata)
                self._annotate(st, int(i) % len(all_ids), cid)
                return st
            return super().__getitem__(i)

        def _annotate(self, st, i: int, cid) -> None:
            n = len(self._all_channel_ids)
            for k, v in self._annotations.items():
                per_train = not isinstance(v, str) and hasattr(v, "__len__") and len(v) == n
                st.annotate(**{k: v[i] if per_train else v})
            st.annotate(channel_id=cid.item() if hasattr(cid, "item") else cid)
            st.segment = self.segment

        def _spiketrains_from_array(self):
            try:
                times, ids = self._spike_time_array, self._channel_id_array
                all_ids, meta = self._all_channel_ids, self._spiketrain_metadata
            except AttributeError:  # pragma: no cover - a Neo whose internals changed
                return super()._spiketrains_from_array()
            if times is None:
                self._items = []
                return
            all_ids = np.asarray(list(all_ids))
            order = np.argsort(np.asarray(ids), kind="stable")
            sorted_ids = np.asarray(ids)[order]
            starts = np.searchsorted(sorted_ids, all_ids, side="left")
            stops = np.searchsorted(sorted_ids, all_ids, side="right")
            sorted_times = times[order]
            items = []
            for i, cid in enumerate(all_ids):
                st = SpikeTrain(sorted_times[starts[i]:stops[i]], **meta)
                self._annotate(st, i, cid)
                items.append(st)
            self._items = items

    return SortedSpikeTrainList


def to_neo(run: "RunFile"):
    """A ``neo.Block`` with one ``Segment`` holding the recording of ``run``.

    Spike trains: one per recorded neuron of every spike record (record after record), each
    annotated with ``population``, ``record``, ``neuron`` (index within the population) and
    ``channel_id`` (its position in ``segment.spiketrains``); times in ms, ``t_start`` the
    earliest start of the spike records, ``t_stop`` one step after the end of the file, and
    ``sampling_rate`` 1 / dt. A spike of the last step is stamped at the end of the file (the end
    of its step); Elephant's binning counts spikes in ``[t_start, t_stop)`` and would drop it
    if ``t_stop`` were the end of the file. Analog signals: one per
    state record and variable, shape ``(samples, neurons)``, with ``array_annotations["neuron"]``
    and the model's unit when ``quantities`` knows it (else dimensionless, with a ``unit``
    annotation); an ``IrregularlySampledSignal`` if the samples are not evenly spaced.
    """
    import neo
    import quantities as pq

    meta = {k: v for k, v in run.metadata.items() if isinstance(v, (str, int, float, bool))}
    block = neo.Block(name=os.path.basename(run.path), file_origin=run.path,
                      description="fastspike recording", **meta)
    seg = neo.Segment(name="run", file_origin=run.path)
    block.segments.append(seg)
    seg.block = block

    spikes = [run.spikes(name) for name in run.spike_records]
    if spikes:
        t_start = min(rec.t_start for rec in spikes)
        times, channels, all_ids, pops, recs, neurons = [], [], [], [], [], []
        offset = 0
        for rec in spikes:
            ids = np.arange(rec.population_size) if rec.selection is None else np.asarray(rec.selection, np.int64)
            position = np.full(rec.population_size, -1, np.int64)
            position[ids] = offset + np.arange(ids.size)
            times.append(rec.times)
            channels.append(position[rec.neurons])
            all_ids.append(offset + np.arange(ids.size))
            neurons.append(ids)
            pops.append(np.full(ids.size, rec.population, dtype=object))
            recs.append(np.full(ids.size, rec.name, dtype=object))
            offset += ids.size
        stl = _spike_train_list_class().from_spike_time_array(
            np.concatenate(times), np.concatenate(channels), np.concatenate(all_ids),
            t_stop=(run.t_stop + run.dt) * pq.ms, units="ms", t_start=t_start * pq.ms,
            population=np.concatenate(pops), record=np.concatenate(recs), neuron=np.concatenate(neurons))
        stl._spiketrain_metadata["sampling_rate"] = (1.0 / run.dt) / pq.ms  # kHz: 1 / dt
        stl.segment = seg
        seg.spiketrains = stl

    for name in run.state_records:
        rec = run.state(name)
        steps = rec.steps
        if steps.size == 0:
            continue
        times = steps * rec.dt
        regular = steps.size == 1 or bool(np.all(np.diff(steps) == rec.every))
        for var in rec.variables:
            unit = rec.units.get(var, "")
            units = _quantity_units(unit)
            kw = dict(units=units, name=f"{name}.{var}", array_annotations={"neuron": rec.neurons},
                      population=rec.population, record=name, variable=var, unit=unit)
            if regular:
                sig = neo.AnalogSignal(rec[var], sampling_period=rec.every * rec.dt * pq.ms,
                                       t_start=times[0] * pq.ms, **kw)
                seg.analogsignals.append(sig)
            else:
                sig = neo.IrregularlySampledSignal(times * pq.ms, rec[var], time_units="ms", **kw)
                seg.irregularlysampledsignals.append(sig)
            sig.segment = seg
    return block

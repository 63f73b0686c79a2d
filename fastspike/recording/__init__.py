"""Records: what a simulation keeps of spikes and state, in memory or in an HDF5 file.

``memory``: the records ``net.record`` returns; ``hdf5``: the writer behind
``net.run(..., output=path)``; ``reader``: :func:`load`, reading such a file back; ``convert``:
pandas and Neo conversions.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .memory import SpikeRecord, StateRecord, SynapseRecord

if TYPE_CHECKING:  # pragma: no cover
    from .reader import RunFile

__all__ = ["SpikeRecord", "StateRecord", "SynapseRecord", "load"]


def load(path: str | os.PathLike) -> "RunFile":
    """Open an HDF5 file written by ``net.run(..., output=path)`` (see
    :func:`fastspike.recording.reader.load`; h5py is imported on first use)."""
    from .reader import load as _load

    return _load(path)

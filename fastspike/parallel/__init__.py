"""Distributed runs: the communicator of a run over several processes (MPI).

:class:`Communicator` is the interface (rank, size and five collectives);
:class:`SerialCommunicator` is one process, :class:`MPICommunicator` uses mpi4py
(``pip install "fastspike[mpi]"``), and :class:`LocalCluster` runs K ranks of a function
as threads of one process with the same collective semantics, for tests.
"""
from .comm import REDUCE_OPS, Communicator, MPICommunicator, SerialCommunicator, launched_by_mpi, world
from .local import CollectiveError, LocalCluster, LocalCommunicator


class PeerFailed(RuntimeError):
    """Raised on the processes of a distributed run that stop because another one failed
    (that process raises, and shows, the error itself)."""

__all__ = ["Communicator", "SerialCommunicator", "MPICommunicator", "LocalCluster", "LocalCommunicator",
           "CollectiveError", "PeerFailed", "REDUCE_OPS", "world", "launched_by_mpi"]

"""The communicator: every collective on the in-process LocalCluster (K = 1..4), on
SerialCommunicator, and through MPI (mpiexec -n 2, MPICommunicator) against the results
MPI's definitions give; failures, deadlocks and disagreeing ranks become exceptions."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fastspike.parallel import CollectiveError, LocalCluster, SerialCommunicator, launched_by_mpi, world


def workload(comm):
    """Every collective once (a few twice); returns what this rank got, as plain data."""
    r, k = comm.rank, comm.size
    out = {"rank": r, "size": k}
    comm.barrier()
    obj = {"root": r, "values": np.arange(3) * 10, "label": "from root"}
    got = comm.bcast(obj if r == k - 1 else None, root=k - 1)
    out["bcast"] = [got["root"], got["values"].tolist(), got["label"]]
    fixed = comm.allgather(np.arange(300, dtype=np.int32) + 1000 * r)
    out["allgather"] = [fixed.shape, str(fixed.dtype), fixed[:, :3].tolist(), int(fixed.sum())]
    mine = np.arange(3 * r, dtype=np.int64) + 100 * r  # rank 0 gives nothing
    values, counts = comm.allgatherv(mine)
    out["allgatherv"] = [values.tolist(), counts.tolist(), str(values.dtype)]
    values2, counts2 = comm.allgatherv(mine.astype(np.int32), counts=counts)
    out["allgatherv_counts"] = [values2.tolist(), counts2.tolist(), str(values2.dtype)]
    out["reduce"] = [comm.allreduce(r + 1, "sum"), comm.allreduce(5 - r, "min"), comm.allreduce(r * 2, "max"),
                     comm.allreduce(0.5 * r, "sum"), comm.allreduce(-1.5 * r, "min"),
                     comm.allreduce(r == k - 1, "or"), comm.allreduce(False, "or")]
    summed = comm.allreduce_sum(np.arange(5, dtype=np.int64) * (r + 1))
    out["allreduce_sum"] = [summed.tolist(), str(summed.dtype)]
    comm.barrier()
    return out


def expected(rank, k):
    fixed = np.stack([np.arange(300) + 1000 * r for r in range(k)])
    gathered = [x for r in range(k) for x in (np.arange(3 * r) + 100 * r).tolist()]
    counts = [3 * r for r in range(k)]
    return {
        "rank": rank, "size": k,
        "bcast": [k - 1, [0, 10, 20], "from root"],
        "allgather": [(k, 300), "int32", fixed[:, :3].tolist(), int(fixed.sum())],
        "allgatherv": [gathered, counts, "int64"],
        "allgatherv_counts": [gathered, counts, "int32"],
        "reduce": [k * (k + 1) // 2, 5 - (k - 1), 2 * (k - 1), 0.5 * k * (k - 1) / 2, -1.5 * (k - 1), True, False],
        "allreduce_sum": [[i * k * (k + 1) // 2 for i in range(5)], "int64"],
    }


def _plain(x):
    """Tuples as lists, as after a JSON round trip."""
    return json.loads(json.dumps(x, default=lambda o: o.tolist() if hasattr(o, "tolist") else list(o)))


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_collectives_on_local_cluster(k):
    results = LocalCluster(k, timeout=20).run(workload)
    assert [res["rank"] for res in results] == list(range(k))
    for rank, res in enumerate(results):
        assert _plain(res) == _plain(expected(rank, k))
    assert LocalCluster(k, timeout=20).run(workload) == results  # deterministic


def test_serial_communicator_is_a_cluster_of_one():
    comm = SerialCommunicator()
    assert _plain(workload(comm)) == _plain(expected(0, 1))
    assert comm.is_root and comm.size == 1


def test_bcast_gives_copies():
    def fn(comm):
        data = comm.bcast({"a": [1, 2]} if comm.rank == 0 else None)
        data["a"].append(comm.rank)
        comm.barrier()
        return data

    results = LocalCluster(3).run(fn)
    assert [d["a"] for d in results] == [[1, 2, 0], [1, 2, 1], [1, 2, 2]]


def test_exception_in_one_rank_ends_all_and_is_raised_once():
    calls = []

    def fn(comm):
        if comm.rank == 1:
            raise ValueError("rank 1 failed")
        comm.barrier()  # the others wait here: released by the failure, not by the timeout
        calls.append(comm.rank)
        return comm.rank

    with pytest.raises(ValueError, match="rank 1 failed"):
        LocalCluster(4, timeout=60).run(fn)
    assert calls == []


def test_a_rank_that_returns_early_is_a_deadlock():
    def fn(comm):
        if comm.rank == 0:
            return 0
        comm.allreduce(1, "sum")

    with pytest.raises(CollectiveError, match="returned"):
        LocalCluster(3, timeout=60).run(fn)


def test_timeout_turns_a_hang_into_an_error():
    import threading

    gate = threading.Event()

    def fn(comm):
        if comm.rank == 1:
            gate.wait(30)  # held until rank 0 has given up
            comm.barrier()
        else:
            try:
                comm.barrier()
            finally:
                gate.set()

    with pytest.raises(CollectiveError, match="did not reach"):
        LocalCluster(2, timeout=0.2).run(fn)


def test_ranks_calling_different_collectives_fail():
    def fn(comm):
        if comm.rank == 0:
            comm.barrier()
        else:
            comm.allreduce(1, "max")

    with pytest.raises(CollectiveError, match="different collectives"):
        LocalCluster(2).run(fn)

    def lengths(comm):
        comm.allgather(np.zeros(3 + comm.rank, np.int64))

    with pytest.raises(CollectiveError, match="same length"):
        LocalCluster(2).run(lengths)


def test_bad_input():
    comm = SerialCommunicator()
    with pytest.raises(ValueError, match="'avg'"):
        comm.allreduce(1, "avg")
    with pytest.raises(TypeError, match="float64"):
        comm.allgather(np.zeros(3))
    with pytest.raises(ValueError, match="1-D"):
        comm.allgatherv(np.zeros((2, 2), np.int32))
    with pytest.raises(ValueError, match="root=1"):
        comm.bcast(1, root=1)
    with pytest.raises(ValueError, match="counts"):
        comm.allgatherv(np.zeros(2, np.int32), counts=[3])
    with pytest.raises(TypeError, match="bool"):
        comm.allreduce(True, "sum")
    with pytest.raises(ValueError, match="size=0"):
        LocalCluster(0)
    with pytest.raises(ValueError, match="timeout"):
        LocalCluster(2, timeout=0)


def test_world_without_a_launcher_is_serial(monkeypatch):
    for name in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMIX_RANK", "HYDRA_CONTROL_FD"):
        monkeypatch.delenv(name, raising=False)
    assert not launched_by_mpi()
    assert isinstance(world(), SerialCommunicator)


def _mpiexec():
    """The mpiexec of this Python's environment (the mpich wheel puts it next to python)."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


MPI_SCRIPT = textwrap.dedent("""
    import json, os, sys
    sys.path.insert(0, {tests!r})
    from test_parallel import workload, _plain
    from fastspike.parallel import MPICommunicator, world
    comm = MPICommunicator()
    assert type(world()).__name__ == "MPICommunicator"
    result = json.dumps(_plain(workload(comm)))
    with open(os.path.join({folder!r}, f"rank{{comm.rank}}.json"), "w") as f:  # not stdout: ranks interleave
        f.write(result)
""")


@pytest.mark.parametrize("k", [2, 3])
def test_collectives_through_mpi(k, tmp_path):
    pytest.importorskip("mpi4py", reason="MPI tests need mpi4py and an MPI: pip install 'fastspike[mpi]'")
    mpiexec = _mpiexec()
    if mpiexec is None:
        pytest.skip("no mpiexec found (pip install mpich)")
    script = MPI_SCRIPT.format(tests=os.path.dirname(os.path.abspath(__file__)), folder=str(tmp_path))
    env = dict(os.environ, OMP_WAIT_POLICY="passive", NUMBA_NUM_THREADS="1")
    try:
        out = subprocess.run([mpiexec, "-n", str(k), sys.executable, "-c", script], capture_output=True, text=True,
                             timeout=60, env=env)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"mpiexec -n {k} did not finish within 60 s (a hang): {e.stdout!r} {e.stderr!r}")
    assert out.returncode == 0, out.stderr[-3000:]
    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(k)]
    assert [res["rank"] for res in results] == list(range(k))
    for res in results:
        assert res == _plain(expected(res["rank"], k))

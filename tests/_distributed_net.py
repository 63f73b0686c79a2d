"""A small network with every delivery path, input kind and record kind, for the distributed
tests: built the same way on one process, on the LocalCluster stand-in (test_distributed)
and under ``mpiexec`` (this file run as a script: test_distributed_mpi).

Delivery paths: one delay of one step (exchange every step: ``variant="direct"``), one delay
of several steps, several delays with rows grouped by delay (FixedIndegree, uniform delays),
several delays stored per synapse (FixedOutdegree, few synapses per row, many delay values),
with ``variant="lagged"`` every delay >= 3 steps (exchange every 3 steps, ring deliveries of
the spikes of 3 steps ago). Connectors: FixedIndegree, FixedProbability, FixedTotalNumber,
FixedOutdegree, AllToAll, OneToOne, FromArrays. Inputs: Poisson afferents, a constant current
per neuron, a step current, white noise, an Ornstein-Uhlenbeck current, a Poisson source, a
spike source. Records: all spikes, a selection's spikes, state (``v`` and the input ``I``)
of neurons across every range, every 3 steps.

    mpiexec -n 2 python tests/_distributed_net.py OUT.npz [variant] [threads] [output.h5]
"""
from __future__ import annotations

import sys

import numpy as np

import fastspike as fs

LIF = dict(tau_m=20.0, R=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, t_ref=2.0)
DURATION = (25.0, 15.0)  # two runs (ms): the second continues the first


def build(comm=None, variant: str = "direct", threads: int = 1):
    """The network (``comm`` None: the processes an MPI launcher started) and its records."""
    net = fs.Network(dt=0.1, seed=11, comm=comm, threads=threads)
    e = net.population(fs.LIF(**LIF), 203, name="E")
    i = net.population(fs.LIF(**LIF), 61, name="I")
    p = net.population(fs.PoissonSource(40.0), 37, name="P")
    s = net.population(fs.SpikeSource([1.0, 2.5, 2.5, 7.0, 12.0, 30.0], [3, 0, 19, 7, 3, 11]), 20, name="S")
    e.v = net.rng.uniform(-70.0, -50.0, e.n)  # the user's draws: every process draws them all
    i.v = fs.Uniform(-70.0, -50.0)  # per neuron, counter-based
    net.poisson_input(e, 100, 25.0, 1.5)
    net.current(e, np.linspace(0.0, 8.0, e.n))
    net.current(i, fs.StepCurrent([5.0, 20.0], [6.0, 0.0]))
    net.current(i, fs.NoiseCurrent(mean=5.0, std=3.0))
    net.current(e, fs.OUCurrent(mean=2.0, std=1.0, tau=5.0))
    short = 0.1 if variant == "direct" else 0.3
    net.connect(e, e, fs.FixedIndegree(15), weight=0.4, delay=fs.Uniform(0.3, 1.5))  # grouped by delay
    net.connect(e, i, fs.FixedProbability(0.1), synapse=fs.ExpCurrent(2.0), weight=fs.Normal(15.0, 4.0),
                delay=short)  # one delay of one step (direct) or three
    net.connect(i, e, fs.FixedTotalNumber(900), weight=-1.2, delay=0.5)  # one delay of 5 steps
    net.connect(p, e, fs.FixedOutdegree(3), weight=fs.Uniform(0.5, 1.5), delay=fs.Uniform(0.3, 5.0))  # per synapse
    net.connect(s, i, fs.AllToAll(), weight=3.0, delay=fs.Uniform(0.3, 0.6))
    pre = np.array([0, 5, 5, 100, 202, 150, 37])
    post = np.array([60, 0, 59, 30, 1, 31, 31])
    net.connect(e, i, fs.FromArrays(pre, post), weight=np.linspace(1.0, 7.0, pre.size), delay=short)
    net.connect(i, i, fs.OneToOne(), synapse=fs.ExpCurrent(3.0), weight=-2.0, delay=0.7)
    records = {
        "E": net.record(e, "spikes"),
        "I": net.record(i, "spikes", neurons=[0, 1, 30, 31, 59, 60]),
        "P": net.record(p, "spikes"),
        "S": net.record(s, "spikes"),
        "Ev": net.record(e, ["v", "I"], neurons=[0, 7, 101, 102, 150, 202], every=3),
        "Iv": net.record(i, "v"),
    }
    return net, records


def run(net, records, output: str | None = None) -> dict[str, np.ndarray]:
    """Both runs; rank 0's records and every process's final state, as arrays."""
    for duration in DURATION:
        net.run(duration, progress=False, output=output)
    return results(net, records)


def results(net, records) -> dict[str, np.ndarray]:
    out = {}
    for name, rec in records.items():
        if rec.kind == "spikes":
            out[f"{name}.steps"], out[f"{name}.neurons"] = np.asarray(rec.steps), np.asarray(rec.neurons)
        else:
            out[f"{name}.steps"] = np.asarray(rec.steps)
            for v in rec.variables:
                out[f"{name}.{v}"] = np.asarray(rec[v])
    for pop in net.populations:
        for v, values in pop.state.items():
            out[f"state.{pop.name}.{v}"] = values.copy()
    return out


if __name__ == "__main__":
    path = sys.argv[1]
    variant = sys.argv[2] if len(sys.argv) > 2 else "direct"
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    output = sys.argv[4] if len(sys.argv) > 4 else None
    net, records = build(None, variant, threads)
    res = run(net, records, output)
    if net.rank == 0:
        res["processes"] = np.array(net.processes)
        np.savez(path, **res)
    else:  # every process ends with every neuron's state: the others' go to their own files
        np.savez(f"{path}.rank{net.rank}.npz", **{k: v for k, v in res.items() if k.startswith("state.")})

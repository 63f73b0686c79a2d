"""The CUDA backend's generated kernels compile to PTX for a real GPU (no GPU needed).

The simulator tests (tests/cuda_sim) run the kernels' Python semantics; this checks that the
same source also passes Numba's CUDA compiler (typing of atomics on 1-D and 2-D arrays,
integer casts, device functions of the models and of the random generator) for compute
capability 8.0, in float32 and float64. Needs the NVVM wheels of the ``test`` extra.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastspike as fs


class _FixedDevice:
    compute_capability = (8, 0)


def _network(dtype: str) -> fs.Network:
    net = fs.Network(dt=0.1, seed=3, dtype=dtype)
    src = net.population(fs.SpikeSource([0.5, 1.0], [0, 1]), n=3, name="src")
    ps = net.population(fs.PoissonSource(rate=50.0), n=4, name="ps")
    varying = net.population(fs.PoissonSource(rate=[[10.0] * 4, [20.0] * 4], times=[0.0, 1.0]), n=4, name="pv")
    pop = net.population(fs.LIF(tau_m=10.0, t_ref=1.0, tau_theta=20.0, theta_plus=0.2), n=6, name="pop")
    rk = net.population(fs.IF(tau_m=10.0, v_thresh=-60.0), n=5, name="rk", integrator="rk4")
    net.current(pop, fs.StepCurrent([0.0, 1.5], [0.5, 1.0]))
    net.current(rk, np.ones((20, 5)))
    net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpCurrent(2.0), weight=3.0, delay=0.3)
    net.connect(ps, pop, fs.FromArrays([0, 1, 2, 0], [0, 1, 2, 5]), synapse=fs.Delta(), weight=2.0,
                delay=[0.1, 0.4, 0.2, 0.7])  # per-synapse delays
    net.connect(varying, rk, fs.AllToAll(), synapse=fs.ExpCurrent(1.0), weight=fs.Normal(1.0, 0.1),
                delay=np.tile([0.1, 0.2, 0.3, 0.4, 0.5], 4))  # per-synapse delays
    net.connect(varying, pop, fs.FixedTotalNumber(200), synapse=fs.ExpCurrent(2.0), weight=0.5,
                delay=fs.Uniform(0.1, 0.5))  # delays grouped in each row
    net.poisson_input(pop, 100, 10.0, 0.5, fs.ExpCurrent(2.0))
    net.poisson_input(rk, 100, 200.0, 0.5, fs.ExpCurrent(1.0))  # mean >= 10 per step: PTRS
    cond = net.population(fs.LIF(tau_m=10.0, R=0.1), n=4, name="cond", integrator="exponential_euler")
    hh = net.population(fs.HodgkinHuxleyTraub(), n=3, name="hh", integrator="rk2")
    for post in (cond, hh):  # conductances: stagewise currents, exponential Euler with input_gain
        net.connect(src, post, fs.AllToAll(), synapse=fs.ExpConductance(0.5, 0.0), weight=3.0, delay=0.2)
        net.connect(src, post, fs.AllToAll(), synapse=fs.AlphaConductance(1.0, -80.0), weight=1.0, delay=0.2)
    net.connect(ps, pop, fs.AllToAll(), synapse=fs.AlphaCurrent(1.5), weight=2.0)  # exact alpha propagators
    net.current(cond, fs.NoiseCurrent(mean=1.0, std=2.0, dt_noise=0.2))
    net.current(hh, fs.OUCurrent(mean=100.0, std=50.0, tau=2.0))
    net.current(pop, fs.ACCurrent(amplitude=1.0, frequency=20.0))
    # plastic synapses: delivery with a weight store, the pre_trace and learn kernels, a weight record
    stdp = net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpCurrent(2.0), weight=1.0, delay=0.3,
                       plasticity=fs.STDP(w_max=5.0))
    net.connect(ps, rk, fs.FixedTotalNumber(10), synapse=fs.ExpCurrent(1.0), weight=1.0, delay=fs.Uniform(0.1, 0.4),
                plasticity=fs.TripletSTDP(w_max=3.0))
    net.connect(ps, pop, fs.AllToAll(), synapse=fs.Delta(), weight=0.5, plasticity=fs.TsodyksMarkram())
    net.connect(pop, pop, fs.AllToAll(), synapse=fs.Delta(), weight=0.1, plasticity=fs.STDP(w_max=1.0, nearest=True))
    rows = net.connect(ps, pop, fs.FixedOutdegree(20), synapse=fs.Delta(), weight=0.2, plasticity=fs.STDP(w_max=1.0))
    assert rows.row_table is not None  # the column walk's rows from a table
    net.record(stdp, "weight", synapses=[0, 3], every=2)
    net.record(pop, "spikes")
    net.record(rk, "spikes", neurons=[1, 3])
    net.record(pop, ["v", "I"], neurons=[0, 5], every=2)
    return net


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_kernel_compiles_to_ptx(dtype, monkeypatch):
    from numba import cuda

    from fastspike.backends.cpu.engine import sample_rows
    from fastspike.backends.cuda.compiler import compile_program, layout, lower, signature
    from fastspike.ir.schedule import build_program

    if not cuda.is_available():  # device functions ask the current device for its capability
        import numba.cuda.dispatcher as dispatcher

        monkeypatch.setattr(dispatcher, "get_current_device", lambda: _FixedDevice())
    net = _network(dtype)
    net.prepare_buffers()  # what build() does before generating the program
    assert any(p.delay_offsets is not None for p in net.projections)
    prog = lower(build_program(net, net._buffers, sample_rows(net)))
    consts = np.zeros(5, net.dtype)
    lay = layout(prog, consts)
    assert {c.kernel.kind for c in prog.calls} == {"deliver", "deliver_ring", "population", "poisson_source",
                                                    "spike_source", "sample", "pre_trace", "learn"}
    assert [g.stage for g in lay.groups] == sorted(g.stage for g in lay.groups)
    module = compile_program(prog, lay)
    for name in ("run_steps", "stage_deliver", "stage_update", "stage_sample", "stage_learn"):
        sig = signature(name, lay, net.dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ptx, _ = cuda.compile_ptx(getattr(module, name).py_func, sig, cc=(8, 0))
        assert ".entry" in ptx, name
        assert "numba_attempt_nocopy_reshape" not in ptx, f"{name}: 2-D views reshaped on the device"
        if name in ("run_steps", "stage_deliver"):
            assert "atom" in ptx or "red." in ptx, f"{name}: no atomic add in the PTX"
        if name == "run_steps":
            assert "cudaCGSynchronize" in ptx  # the grid-wide barrier of a cooperative launch


def test_two_dimensional_arrays_are_indexed_by_hand():
    """Kernels bind 2-D arrays as flat views (a reshape on the device is a call through local
    memory, paid by every thread for every call): indices, shapes and atomic additions are
    rewritten, nested ones too, and any other use is refused rather than compiled wrongly."""
    import ast

    from fastspike.backends.cuda.compiler import _flat_indices

    def same(a: str, b: str) -> bool:  # the same syntax tree (the pass writes trees, not text)
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))

    names = {"R", "SH", "CR0"}
    assert same(_flat_indices("j_ = SH[r_, i >> lb] + R0[slot, i]", names), "j_ = SH[(r_) * SH_c_ + (i >> lb)] + R0[slot, i]")
    assert same(_flat_indices("cuda.atomic.add(R, ((step - 1 + DL[s_]) & (L - 1), TG[s_]), w)", names),
                "cuda.atomic.add(R, ((step - 1 + DL[s_]) & (L - 1)) * R_c_ + (TG[s_]), w)")
    assert same(_flat_indices("x = SH[SH[1, 2], R[a, b]]", names), "x = SH[(SH[(1) * SH_c_ + (2)]) * SH_c_ + (R[(a) * R_c_ + (b)])]")
    assert same(_flat_indices("row0 = min(step, CR0.shape[0] - 1) + CR0.shape[1] + CR0.size", names),
                "row0 = min(step, CR0_r_ - 1) + CR0_c_ + CR0.size")
    for line in ("f(R)", "cuda.atomic.add(R, q_, w)", "R[3]", "n = SH.shape"):
        with pytest.raises(AssertionError, match="2-D array"):
            _flat_indices(line, names)

"""Builders of the field's standard networks B1-B4 (CUBA, Brunel, the cortical microcircuit,
uncoupled neurons), B6 (COBA) and B7 (COBAHH), with the parameters of their publications.

Each takes ``backend`` (``"cpu"`` or ``"cuda"``) and returns ``(network, {name: population})``.
"""
from __future__ import annotations

import math

import numpy as np

from ..models import LIF, HodgkinHuxleyTraub
from ..network import Network, Population
from ..synapses import Delta, ExpConductance, ExpCurrent, FixedIndegree, FixedProbability, FixedTotalNumber, Normal

__all__ = ["cuba", "brunel", "microcircuit", "uncoupled", "coba", "cobahh", "MICROCIRCUIT", "COBA"]


def cuba(seed: int = 42, dtype: str = "float64", dt: float = 0.1, backend: str = "cpu", threads: int = 1
         ) -> tuple[Network, dict[str, Population]]:
    """B1: Vogels & Abbott (2005) CUBA, Brette et al. (2007) benchmark 2: 3200 + 800 LIF."""
    net = Network(dt=dt, seed=seed, dtype=dtype, backend=backend, threads=threads)
    lif = dict(tau_m=20.0, R=1.0, v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0, t_ref=5.0)
    exc = net.population(LIF(**lif), n=3200, name="exc")
    inh = net.population(LIF(**lif), n=800, name="inh")
    for pop in (exc, inh):
        pop.v[:] = net.rng.uniform(-60.0, -50.0, pop.n)
    for pre, weight, tau in ((exc, 60 * 0.27 / 10, 5.0), (inh, -20 * 4.5 / 10, 10.0)):
        for post in (exc, inh):
            net.connect(pre, post, FixedProbability(0.02), synapse=ExpCurrent(tau), weight=weight, delay=dt)
    return net, {"exc": exc, "inh": inh}


def brunel(scale: float = 1.0, seed: int = 1, dtype: str = "float64", g: float = 5.0, eta: float = 2.0,
           dt: float = 0.1, backend: str = "cpu", threads: int = 1) -> tuple[Network, dict[str, Population]]:
    """B2: Brunel (2000) model A with Poisson afferents; ``scale`` multiplies NE and NI.

    The membrane potentials start uniformly in [0, 20) mV (0 to the threshold), as in the
    peers' published scripts of this network, not all at ``v_rest = 0``."""
    net = Network(dt=dt, seed=seed, dtype=dtype, backend=backend, threads=threads)
    n_e, n_i = max(int(round(10000 * scale)), 1), max(int(round(2500 * scale)), 1)
    c_e, c_i, j = 1000, 250, 0.1
    tau_m, theta = 20.0, 20.0
    nu_thr = theta / (j * c_e * tau_m) * 1000.0  # Hz, per afferent at threshold drive
    lif = dict(tau_m=tau_m, R=1.0, v_rest=0.0, v_reset=10.0, v_thresh=theta, t_ref=2.0)
    exc = net.population(LIF(**lif), n=n_e, name="E")
    inh = net.population(LIF(**lif), n=n_i, name="I")
    for pop in (exc, inh):  # as the peers' published scripts (NEST's brunel_delta_nest, Brian2): uniform in [0, theta)
        pop.v[:] = net.rng.uniform(0.0, theta, pop.n)
    for post in (exc, inh):
        net.connect(exc, post, FixedIndegree(c_e), synapse=Delta(), weight=j, delay=1.5)
        net.connect(inh, post, FixedIndegree(c_i), synapse=Delta(), weight=-g * j, delay=1.5)
        net.poisson_input(post, n=c_e, rate=eta * nu_thr, weight=j, synapse=Delta())
    return net, {"E": exc, "I": inh}


MICROCIRCUIT = {
    "populations": ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"],
    "sizes": [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948],
    "probabilities": np.array([
        [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0., 0.0076, 0.],
        [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0., 0.0042, 0.],
        [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.],
        [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0., 0.1057, 0.],
        [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.],
        [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.],
        [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
        [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]]),
    "k_ext": [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100],
    "v0_mean": [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43],
    "v0_std": [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48],
    "rates_nest": [0.943, 3.026, 4.368, 5.882, 7.733, 8.664, 1.096, 7.851],  # Hz, full scale
}


def psc_per_psp(tau_m: float, tau_syn: float, c_m: float) -> float:
    """PSC amplitude (pA) giving a PSP of 1 mV in iaf_psc_exp (Potjans & Diesmann 2014)."""
    s = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / c_m * s
    f = (tau_m / tau_syn) ** s
    return 1.0 / (pre * (f ** tau_m - f ** tau_syn))


def microcircuit(scale: float = 1.0, seed: int = 55, dtype: str = "float64", dt: float = 0.1,
                 backend: str = "cpu", threads: int = 1) -> tuple[Network, dict[str, Population]]:
    """B3: Potjans & Diesmann (2014) cortical microcircuit; ``scale`` multiplies population
    sizes and synapse numbers (full-scale indegrees kept), with Poisson background."""
    d = MICROCIRCUIT
    c_m, tau_m, tau_syn = 250.0, 10.0, 0.5  # pF, ms, ms
    net = Network(dt=dt, seed=seed, dtype=dtype, backend=backend, threads=threads)
    model = LIF(tau_m=tau_m, R=tau_m / c_m, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, t_ref=2.0)
    pops = [net.population(model, n=max(int(round(n * scale)), 1), name=name)
            for name, n in zip(d["populations"], d["sizes"])]
    for pop, mean, std in zip(pops, d["v0_mean"], d["v0_std"]):
        pop.v[:] = net.rng.normal(mean, std, pop.n)
    w_mean = 0.15 * psc_per_psp(tau_m, tau_syn, c_m)  # 87.8 pA
    channel = ExpCurrent(tau_syn)
    for i, post in enumerate(pops):
        for j, pre in enumerate(pops):
            p = d["probabilities"][i, j]
            if p == 0:
                continue
            n_full_i, n_full_j = d["sizes"][i], d["sizes"][j]
            k = int(round(math.log(1.0 - p) / math.log(1.0 - 1.0 / (n_full_i * n_full_j)) * scale))
            excitatory = j % 2 == 0
            w = w_mean * (2.0 if (i, j) == (0, 2) else 1.0) * (1.0 if excitatory else -4.0)
            weight = Normal(w, abs(w) * 0.1, low=0.0) if excitatory else Normal(w, abs(w) * 0.1, high=0.0)
            mean_delay = 1.5 if excitatory else 0.75
            delay = Normal(mean_delay, 0.5 * mean_delay, low=dt)
            net.connect(pre, post, FixedTotalNumber(k), synapse=channel, weight=weight, delay=delay)
        net.poisson_input(post, n=d["k_ext"][i], rate=8.0, weight=w_mean, synapse=channel)
    return net, dict(zip(d["populations"], pops))


def uncoupled(n: int = 10**6, seed: int = 1, dtype: str = "float64", dt: float = 0.1, backend: str = "cpu",
              threads: int = 1) -> tuple[Network, dict[str, Population]]:
    """B4: n uncoupled LIF neurons, each with 1000 Poisson afferents of 5 Hz (weight 0.75)."""
    net = Network(dt=dt, seed=seed, dtype=dtype, backend=backend, threads=threads)
    pop = net.population(LIF(tau_m=20.0, R=1.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0), n=n,
                         name="neurons")
    pop.v[:] = net.rng.uniform(-70.0, -50.0, n)
    net.poisson_input(pop, n=1000, rate=5.0, weight=0.75, synapse=ExpCurrent(5.0))
    return net, {"neurons": pop}


COBA = {
    "n_e": 3200, "n_i": 800, "p": 0.02,
    "C_m": 200.0, "g_L": 10.0, "tau_m": 20.0,  # pF, nS, ms
    "E_L": -60.0, "v_thresh": -50.0, "v_reset": -60.0, "t_ref": 5.0,  # mV, ms
    "E_ex": 0.0, "tau_ex": 5.0, "w_ex": 6.0,  # mV, ms, nS
    "E_in": -80.0, "tau_in": 10.0, "w_in": 67.0,
    "g_ex0": (40.0, 15.0), "g_in0": (200.0, 120.0),  # initial conductances: normal (mean, std), nS
}
"""B6/B7's parameters (Brette et al. 2007, benchmarks 1 and 3; Vogels & Abbott 2005)."""


def _conductances(net: Network, pops: list[Population], exc: Population, inh: Population, dt: float) -> None:
    """B6/B7's synapses (p = 0.02 from every neuron to every neuron, one-step delay) and their
    initial conductances (normal, as Brette et al. 2007's reference scripts: (4 +- 1.5) and
    (20 +- 12) times g_L)."""
    d = COBA
    e_syn, i_syn = ExpConductance(d["tau_ex"], d["E_ex"]), ExpConductance(d["tau_in"], d["E_in"])
    for pre, syn, w in ((exc, e_syn, d["w_ex"]), (inh, i_syn, d["w_in"])):
        for post in pops:
            net.connect(pre, post, FixedProbability(d["p"]), synapse=syn, weight=w, delay=dt)
    for pop in pops:
        pop.channel_state(e_syn, "g")[:] = net.rng.normal(*d["g_ex0"], pop.n)
        pop.channel_state(i_syn, "g")[:] = net.rng.normal(*d["g_in0"], pop.n)


def coba(seed: int = 42, dtype: str = "float64", dt: float = 0.1, backend: str = "cpu", threads: int = 1,
         integrator: str = "euler") -> tuple[Network, dict[str, Population]]:
    """B6: Vogels & Abbott (2005) COBA, Brette et al. (2007) benchmark 1: 3200 + 800 LIF with
    exponential conductances (6 nS, 5 ms, 0 mV; 67 nS, 10 ms, -80 mV), p = 0.02, 1 s.

    LIF with tau_m = C_m / g_L = 20 ms, R = 1 / g_L = 0.1 GOhm (weights in nS), E_L = v_reset =
    -60, threshold -50 mV, 5 ms refractory. Initial state as Brette et al. (2007)'s reference
    script: v uniform in [v_reset, v_thresh), conductances normal (40 +- 15 and 200 +- 120 nS,
    i.e. (4 +- 1.5) and (20 +- 12) g_L). Brian2's and ANNarchy's benchmark versions start v
    from N(-55, 5) mV and add a constant drive of 20 mV, which Brette et al. do not: not here.
    ``integrator``: ``"euler"`` (the method of Brian2's COBA example; dt = 0.1 ms is fine for
    tau 5 and 10 ms), ``"exponential_euler"`` (Brian2's default for these equations), ``"rk2"``,
    ``"rk4"``.
    """
    d = COBA
    net = Network(dt=dt, seed=seed, dtype=dtype, backend=backend, threads=threads)
    lif = dict(tau_m=d["C_m"] / d["g_L"], R=1.0 / d["g_L"], v_rest=d["E_L"], v_reset=d["v_reset"],
               v_thresh=d["v_thresh"], t_ref=d["t_ref"])
    exc = net.population(LIF(**lif), n=d["n_e"], name="exc", integrator=integrator)
    inh = net.population(LIF(**lif), n=d["n_i"], name="inh", integrator=integrator)
    for pop in (exc, inh):
        pop.v[:] = net.rng.uniform(d["v_reset"], d["v_thresh"], pop.n)
    _conductances(net, [exc, inh], exc, inh, dt)
    return net, {"exc": exc, "inh": inh}


def cobahh(seed: int = 42, dtype: str = "float64", dt: float = 0.1, backend: str = "cpu", threads: int = 1,
           integrator: str = "exponential_euler") -> tuple[Network, dict[str, Population]]:
    """B7: Brette et al. (2007) benchmark 3 (COBAHH): B6's network of Traub-Miles Hodgkin-Huxley
    cells (:class:`~fastspike.models.HodgkinHuxleyTraub`, NEST ``hh_cond_exp_traub``, area 20000
    um^2: C_m 200 pF, g_L 10 nS, g_Na 20 uS, g_K 6 uS, E_L -60, E_K -90, E_Na 50, V_T -63 mV),
    spikes at upward crossings of -20 mV, B6's synapses. Initial state as Brian2's COBAHH
    example: v = E_L + N(-5, 5) mV, gates 0, conductances as B6. Exponential Euler (Brian2's)."""
    net = Network(dt=dt, seed=seed, dtype=dtype, backend=backend, threads=threads)
    model = HodgkinHuxleyTraub()
    exc = net.population(model, n=COBA["n_e"], name="exc", integrator=integrator)
    inh = net.population(model, n=COBA["n_i"], name="inh", integrator=integrator)
    for pop in (exc, inh):
        pop.v[:] = -60.0 + net.rng.normal(-5.0, 5.0, pop.n)
        for gate in ("m_Na", "h_Na", "n_K"):
            pop.state[gate][:] = 0.0
    _conductances(net, [exc, inh], exc, inh, dt)
    return net, {"exc": exc, "inh": inh}

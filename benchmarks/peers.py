"""fastspike beside Brian2 (cpp_standalone and runtime) and NEST on B1 (CUBA), B2 (Brunel), B4 (10^6
uncoupled LIF with Poisson afferents), B6 (COBA) and B7 (COBAHH).

The same networks as BENCHMARKS.md, with the same parameters in every simulator, run side by
side in one invocation; each simulator runs in its own fresh process (its own interpreter,
so the peers can live in their own virtual environment), the repetitions interleaved
(fastspike, Brian2 standalone, Brian2 runtime, NEST, then again) so that a change of load
on the machine hits all of them alike. Reported: construction time (populations and
connectivity), compile/prepare time (cold in the first repetition, warm afterwards),
simulation wall time of the bio time, the CPU time of the same interval beside it, real-time
factor, rate of every population, peak RSS, and the ratios of the peers' wall times to
fastspike's (medians over the repetitions).

Every simulator's run is timed the same way, by the wall clock around its simulation loop
alone: fastspike ``net.run``, NEST ``nest.Run`` (after ``Prepare``), Brian2 runtime
``Network.run`` after a run of 0 ms that generates and compiles its code, Brian2
cpp_standalone by ``clock_gettime(CLOCK_MONOTONIC)`` around ``Network::run`` in the generated
``main.cpp`` (its own ``_last_run_time`` is ``std::clock()``, CPU time: on a loaded machine that
flatters it). The CPU time is ``time.process_time()`` (``CLOCK_PROCESS_CPUTIME_ID`` in
standalone) over the same interval: with one thread, wall much above CPU means the machine
was busy. ``--nest-threads T`` adds NEST with T threads (``local_num_threads``) as one more
simulator, ``nest-Tt``; ``--fastspike-threads T`` adds fastspike with T threads, ``fastspike-Tt``.
``fastspike-vmath`` (B6/B7 only) is fastspike with ``fs.backends.CPU(vector_math=True)``. A name
ending in ``-f32`` (``fastspike-f32``, ``fastspike-vmath-f32``, ``brian2-standalone-f32``) runs in
float32 (Brian2: ``prefs.core.default_float_dtype = float32``), so that both precisions of both
simulators run side by side in one invocation.

Peers are optional: a simulator that cannot be imported by its interpreter is skipped.
Install them in their own environment (Brian2 2.9 is the last for Python 3.11 and needs
numpy < 2.3 or 2.4; NEST 3.10 comes from PyPI as ``nest-simulator``)::

    python -m venv /tmp/peers
    /tmp/peers/bin/pip install "brian2==2.9.0" "numpy<2.3" nest-simulator
    python benchmarks/peers.py --peers-python /tmp/peers/bin/python
    python benchmarks/peers.py --peers-python /tmp/peers/bin/python --net brunel --brunel-scale 0.5 --reps 5

How each simulator implements the models (the differences that could not be avoided are
listed in benchmarks/README.md):

* B1 CUBA: LIF, tau_m 20 ms, v_rest -49, v_thresh -50, v_reset -60 mV, t_ref 5 ms, exponential
  current synapses (5 ms, +1.62 mV; 10 ms, -9 mV, as R*I), p = 0.02 from every neuron to every
  neuron (autapses allowed), delay 0.1 ms, v0 uniform in [-60, -50) mV.
  Brian2: ``dv/dt = (ge + gi - (v - El))/taum (unless refractory)``, ``method="exact"``,
  ``Synapses(..., on_pre="ge += we", delay=0.1*ms)``, ``connect(p=0.02)``.
  NEST: ``iaf_psc_exp`` with C_m = 250 pF, tau_m = 20 ms, weights w * C_m / tau_m pA
  (20.25 and -112.5 pA), ``pairwise_bernoulli``.
* B2 Brunel: LIF, tau_m 20 ms, v_rest 0, v_thresh 20, v_reset 10 mV, t_ref 2 ms, v0 = 0,
  delta synapses J = 0.1 mV, -g J with g = 5, delay 1.5 ms, fixed indegree 1000 E + 250 I
  (multapses and autapses allowed), 1000 Poisson afferents of 20 Hz per neuron (weight J);
  input arriving during the refractory period is discarded (NEST's default).
  Brian2: ``dv/dt = -v/tau (unless refractory)``, synapses ``v_post += J*int(not_refractory_post)``
  with the sources drawn by NumPy (with replacement), ``PoissonInput(G, "v", 1000, 20*Hz,
  weight="J*int(not_refractory)")``.
  NEST: ``iaf_psc_delta`` (``refractory_input=False``), ``fixed_indegree``, one
  ``poisson_generator`` of 20 kHz (independent per target).
* B4 uncoupled (``--b4-n`` neurons, 10^6 by default): LIF, tau_m 20 ms, v_rest = v_reset = -70,
  v_thresh -50 mV, t_ref 2 ms, v0 uniform in [-70, -50) mV, an exponential current synapse
  (5 ms, R = 1) driven by 1000 Poisson afferents of 5 Hz per neuron, weight 0.75 mV.
  Brian2: ``dv/dt = (El - v + I) / taum (unless refractory)``, ``dI/dt = -I / taus``,
  ``method="exact"``, ``PoissonInput(G, "I", 1000, 5*Hz, weight=0.75*mV)``.
  NEST: ``iaf_psc_exp`` with C_m = 250 pF, weight 0.75 * C_m / tau_m pA, one
  ``poisson_generator`` of 5 kHz (independent per target).
* B6 COBA (Brette et al. 2007 benchmark 1; Vogels & Abbott 2005): 3200 + 800 LIF, C_m 200 pF,
  g_L 10 nS (tau_m 20 ms), E_L = v_reset = -60, v_thresh -50 mV, t_ref 5 ms; exponential
  conductances 6 nS / 5 ms / 0 mV (from excitatory) and 67 nS / 10 ms / -80 mV (from inhibitory
  neurons), p = 0.02 from every neuron to every neuron, delay 0.1 ms; v0 uniform in [-60, -50)
  mV, initial conductances normal, (4 +- 1.5) g_L and (20 +- 12) g_L (Brette et al.'s reference
  script). The integrator is ``--coba-method`` for fastspike and Brian2 alike (default
  ``euler``, that of Brian2's COBA example; ``exponential_euler``, Brian2's default for these
  equations; ``rk2``). Brian2: ``dv/dt = (gl (El - v) + ge (Ee - v) + gi (Ei - v)) / Cm (unless
  refractory)``, ``dge/dt = -ge / taue``, ``on_pre="ge_post += we"``, ``connect(p=0.02)``.
  NEST: ``iaf_cond_exp`` (its own adaptive RKF45 within each step), ``pairwise_bernoulli``,
  weights +6 / -67 nS, ``g_ex``/``g_in`` set initially.
* B7 COBAHH (Brette et al. 2007 benchmark 3): B6's network and synapses with Traub-Miles
  Hodgkin-Huxley cells (area 20000 um^2: C_m 200 pF, g_L 10 nS, g_Na 20 uS, g_K 6 uS, E_L -60,
  E_K -90, E_Na 50, V_T -63 mV), exponential Euler; v0 = E_L + N(-5, 5) mV, gates 0 (Brian2's
  COBAHH example). Brian2: its COBAHH example (spike at ``v > -20 mV``, refractory 3 ms);
  fastspike: ``HodgkinHuxleyTraub`` (spike at the upward crossing of -20 mV); NEST:
  ``hh_cond_exp_traub`` (V_T -63 mV, t_ref 3 ms, gates set to 0; a spike at the peak of an action
  potential above V_T + 30 mV; its conductances cannot be set, so the initial ones arrive as one
  spike at 0.2 ms, negative draws clipped to 0).

The rows of B6 and B7 also give the mean coefficient of variation of the inter-spike
intervals (neurons with at least 3 spikes).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULT = "RESULT "
SIMULATORS = ("fastspike", "fastspike-vmath", "brian2-standalone", "brian2-runtime", "nest", "fastspike-f32",
              "fastspike-vmath-f32", "brian2-standalone-f32")
"""The simulators; ``-f32``: in float32 (fastspike's ``dtype``, Brian2's ``prefs.core.default_float_dtype``)."""
# B4
UNCOUPLED = dict(tau_m=20.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0, tau_s=5.0, afferents=1000,
                 rate=5.0, weight=0.75)
DT = 0.1  # ms

# B1
CUBA = dict(n_e=3200, n_i=800, tau_m=20.0, v_rest=-49.0, v_thresh=-50.0, v_reset=-60.0, t_ref=5.0,
            tau_e=5.0, tau_i=10.0, w_e=60 * 0.27 / 10, w_i=-20 * 4.5 / 10, p=0.02)
# B2
BRUNEL = dict(n_e=10000, n_i=2500, tau_m=20.0, v_rest=0.0, v_thresh=20.0, v_reset=10.0, t_ref=2.0, c_e=1000,
              c_i=250, j=0.1, g=5.0, eta=2.0, delay=1.5)
# B6, B7
COBA = dict(n_e=3200, n_i=800, c_m=200.0, g_l=10.0, e_l=-60.0, v_thresh=-50.0, v_reset=-60.0, t_ref=5.0,
            e_ex=0.0, tau_ex=5.0, w_ex=6.0, e_in=-80.0, tau_in=10.0, w_in=67.0, p=0.02,
            g_ex0=(40.0, 15.0), g_in0=(200.0, 120.0))
COBAHH = dict(g_na=20000.0, g_k=6000.0, e_na=50.0, e_k=-90.0, v_t=-63.0, spike=-20.0, t_ref=3.0)
NEW_NETS = ("coba", "cobahh")
REFERENCE = {"cuba": "~5.6 Hz (Brian2 example, Brette et al. 2007)", "brunel": "~37 Hz (Brunel 2000, SI regime)",
             "uncoupled": "-",
             "coba": "published run times (Ahmad et al. 2018): GeNN 0.084, Auryn 0.128, Brian2 0.246, ANNarchy "
                     "0.474, NEST 15.4 s per bio s", "cobahh": "-"}


def isi_cv(times, neurons) -> float:
    """The mean over neurons with at least 3 spikes of std/mean of their inter-spike intervals."""
    import numpy as np

    times, neurons = np.asarray(times, float), np.asarray(neurons)
    order = np.lexsort((times, neurons))
    t, n = times[order], neurons[order]
    cvs = []
    for i in np.unique(n):
        isi = np.diff(t[n == i])
        if isi.size >= 2 and isi.mean() > 0:
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


def brunel_sizes(scale: float) -> tuple[int, int]:
    return max(int(round(BRUNEL["n_e"] * scale)), 1), max(int(round(BRUNEL["n_i"] * scale)), 1)


def nu_ext() -> float:
    """Rate of one Poisson afferent (Hz): eta * v_thresh / (J C_E tau_m)."""
    b = BRUNEL
    return b["eta"] * b["v_thresh"] / (b["j"] * b["c_e"] * b["tau_m"]) * 1000.0


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


# ---------------------------------------------------------------------------------------
# Brian2 (in the peers' interpreter)
# ---------------------------------------------------------------------------------------
def run_brian2(net: str, scale: float, duration: float, seed: int, mode: str, workdir: str,
               dtype: str = "float64") -> dict:
    import numpy as np

    import brian2 as b2
    from brian2 import Hz, NeuronGroup, PoissonInput, SpikeMonitor, Synapses, ms, mV

    b2.prefs.logging.console_log_level = "WARNING"
    b2.prefs.core.default_float_dtype = np.dtype(dtype).type
    if mode == "standalone":
        b2.set_device("cpp_standalone", directory=os.path.join(workdir, "brian2_standalone"), build_on_run=True)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0  # one thread, as the others
        # wall and CPU time around Network::run (Brian2's own _last_run_time is std::clock(): CPU time)
        dev = b2.get_device()
        dev.insert_code("before_network_run", "struct timespec fs_w0_, fs_c0_; clock_gettime(CLOCK_MONOTONIC, &fs_w0_); "
                                              "clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &fs_c0_);")
        dev.insert_code("after_network_run", "{ struct timespec fs_w1_, fs_c1_; clock_gettime(CLOCK_MONOTONIC, &fs_w1_); "
                                             "clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &fs_c1_); "
                                             "std::ofstream fs_out_(\"results/fastspike_run_times.txt\"); "
                                             "fs_out_.precision(17); "
                                             "fs_out_ << (fs_w1_.tv_sec - fs_w0_.tv_sec) + 1e-9 * (fs_w1_.tv_nsec - fs_w0_.tv_nsec)"
                                             " << \" \" << (fs_c1_.tv_sec - fs_c0_.tv_sec) + 1e-9 * (fs_c1_.tv_nsec - "
                                             "fs_c0_.tv_nsec) << std::endl; }")
    else:
        b2.prefs.codegen.target = "cython"
        b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(workdir, "brian2_cython")
    b2.defaultclock.dt = DT * ms
    b2.seed(seed)
    rng = np.random.default_rng(seed)

    t0 = time.perf_counter()
    if net in NEW_NETS:
        c, h = COBA, COBAHH
        Cm, gl, El = c["c_m"] * b2.pF, c["g_l"] * b2.nS, c["e_l"] * mV  # noqa: F841
        Vt, Vr = c["v_thresh"] * mV, c["v_reset"] * mV  # noqa: F841
        Ee, Ei, taue, taui = c["e_ex"] * mV, c["e_in"] * mV, c["tau_ex"] * ms, c["tau_in"] * ms  # noqa: F841
        we, wi = c["w_ex"] * b2.nS, c["w_in"] * b2.nS  # noqa: F841
        if net == "coba":
            eqs = """dv/dt = (gl * (El - v) + ge * (Ee - v) + gi * (Ei - v)) / Cm : volt (unless refractory)
                     dge/dt = -ge / taue : siemens
                     dgi/dt = -gi / taui : siemens"""
            P = NeuronGroup(c["n_e"] + c["n_i"], eqs, threshold="v > Vt", reset="v = Vr",
                            refractory=c["t_ref"] * ms, method=os.environ.get("PEERS_COBA_METHOD", "euler"))
            P.v = "Vr + rand() * (Vt - Vr)"
        else:
            g_na, g_kd, ENa, EK, VT = h["g_na"] * b2.nS, h["g_k"] * b2.nS, h["e_na"] * mV, h["e_k"] * mV, \
                h["v_t"] * mV  # noqa: F841
            eqs = b2.Equations("""
                dv/dt = (gl * (El - v) + ge * (Ee - v) + gi * (Ei - v) - g_na * (m * m * m) * h * (v - ENa)
                         - g_kd * (n * n * n * n) * (v - EK)) / Cm : volt
                dm/dt = alpha_m * (1 - m) - beta_m * m : 1
                dn/dt = alpha_n * (1 - n) - beta_n * n : 1
                dh/dt = alpha_h * (1 - h) - beta_h * h : 1
                dge/dt = -ge * (1. / taue) : siemens
                dgi/dt = -gi * (1. / taui) : siemens
                alpha_m = 0.32 * (mV**-1) * (13 * mV - v + VT) / (exp((13 * mV - v + VT) / (4 * mV)) - 1.) / ms : Hz
                beta_m = 0.28 * (mV**-1) * (v - VT - 40 * mV) / (exp((v - VT - 40 * mV) / (5 * mV)) - 1) / ms : Hz
                alpha_h = 0.128 * exp((17 * mV - v + VT) / (18 * mV)) / ms : Hz
                beta_h = 4. / (1 + exp((40 * mV - v + VT) / (5 * mV))) / ms : Hz
                alpha_n = 0.032 * (mV**-1) * (15 * mV - v + VT) / (exp((15 * mV - v + VT) / (5 * mV)) - 1.) / ms : Hz
                beta_n = .5 * exp((10 * mV - v + VT) / (40 * mV)) / ms : Hz""")
            P = NeuronGroup(c["n_e"] + c["n_i"], eqs, threshold=f"v > {h['spike']} * mV", refractory=h["t_ref"] * ms,
                            method="exponential_euler")
            P.v = "El + (randn() * 5 - 5) * mV"
        P.ge = f"(randn() * {c['g_ex0'][1]} + {c['g_ex0'][0]}) * nS"
        P.gi = f"(randn() * {c['g_in0'][1]} + {c['g_in0'][0]}) * nS"
        pops = {"exc": P[:c["n_e"]], "inh": P[c["n_e"]:]}
        Ce = Synapses(pops["exc"], P, on_pre="ge_post += we", delay=DT * ms)
        Ce.connect(p=c["p"])
        Ci = Synapses(pops["inh"], P, on_pre="gi_post += wi", delay=DT * ms)
        Ci.connect(p=c["p"])
        synapses = [Ce, Ci]
        groups, extra = [P], []
    elif net == "uncoupled":
        u = UNCOUPLED
        taum, taus, El = u["tau_m"] * ms, u["tau_s"] * ms, u["v_rest"] * mV  # noqa: F841 (namespace)
        Vt, Vr = u["v_thresh"] * mV, u["v_reset"] * mV  # noqa: F841
        eqs = """dv/dt = (El - v + I) / taum : volt (unless refractory)
                 dI/dt = -I / taus : volt"""
        G = NeuronGroup(int(scale), eqs, threshold="v >= Vt", reset="v = Vr", refractory=u["t_ref"] * ms,
                        method="exact")
        G.v = "Vr + rand() * (Vt - Vr)"
        pops = {"neurons": G}
        synapses = []
        groups, extra = [G], [PoissonInput(G, "I", N=u["afferents"], rate=u["rate"] * Hz, weight=u["weight"] * mV)]
    elif net == "cuba":
        c = CUBA
        taum, taue, taui = c["tau_m"] * ms, c["tau_e"] * ms, c["tau_i"] * ms  # noqa: F841 (namespace)
        Vt, Vr, El = c["v_thresh"] * mV, c["v_reset"] * mV, c["v_rest"] * mV  # noqa: F841
        we, wi = c["w_e"] * mV, c["w_i"] * mV  # noqa: F841
        eqs = """dv/dt = (ge + gi - (v - El)) / taum : volt (unless refractory)
                 dge/dt = -ge / taue : volt
                 dgi/dt = -gi / taui : volt"""
        P = NeuronGroup(c["n_e"] + c["n_i"], eqs, threshold="v >= Vt", reset="v = Vr",
                        refractory=c["t_ref"] * ms, method="exact")
        P.v = "Vr + rand() * (Vt - Vr)"
        pops = {"exc": P[:c["n_e"]], "inh": P[c["n_e"]:]}
        Ce = Synapses(pops["exc"], P, on_pre="ge_post += we", delay=DT * ms)
        Ce.connect(p=c["p"])
        Ci = Synapses(pops["inh"], P, on_pre="gi_post += wi", delay=DT * ms)
        Ci.connect(p=c["p"])
        synapses = [Ce, Ci]
        groups, extra = [P], []
    else:
        b = BRUNEL
        n_e, n_i = brunel_sizes(scale)
        tau, theta, Vr = b["tau_m"] * ms, b["v_thresh"] * mV, b["v_reset"] * mV  # noqa: F841
        J, Ji = b["j"] * mV, -b["g"] * b["j"] * mV  # noqa: F841
        G = NeuronGroup(n_e + n_i, "dv/dt = -v / tau : volt (unless refractory)", threshold="v >= theta",
                        reset="v = Vr", refractory=b["t_ref"] * ms, method="exact")
        G.v = b["v_rest"] * mV
        pops = {"E": G[:n_e], "I": G[n_e:]}
        n = n_e + n_i
        synapses = []
        for src, k, w in ((pops["E"], b["c_e"], "J"), (pops["I"], b["c_i"], "Ji")):
            S = Synapses(src, G, on_pre=f"v_post += {w} * int(not_refractory_post)", delay=b["delay"] * ms)
            S.connect(i=rng.integers(0, len(src), size=n * k).astype(np.int32),
                      j=np.repeat(np.arange(n, dtype=np.int32), k))
            synapses.append(S)
        groups, extra = [G], [PoissonInput(G, "v", N=b["c_e"], rate=nu_ext() * Hz, weight="J * int(not_refractory)")]
    monitors = {name: SpikeMonitor(g) for name, g in pops.items()}
    network = b2.Network(groups, synapses, extra, list(monitors.values()))
    construct_s = time.perf_counter() - t0

    device = b2.get_device()
    result = {"mode": mode}
    if mode == "standalone":
        t0 = time.perf_counter()
        network.run(duration * ms)
        total_s = time.perf_counter() - t0
        with open(os.path.join(device.results_dir, "fastspike_run_times.txt")) as f:
            run_s, cpu_s = (float(x) for x in f.read().split())
        binary_s = float(device.timers["run_binary"])
        make_s = float(device.timers["compile"]["make"] or 0.0)
        result.update(compile_s=total_s - binary_s, make_s=make_s, construct_python_s=construct_s,
                      construct_s=construct_s + (binary_s - run_s),  # the binary builds the connectivity
                      clock_s=float(device._last_run_time))  # Brian2's own figure: std::clock(), CPU time
    else:
        t0 = time.perf_counter()
        network.run(0 * ms)  # generates and compiles the code
        compile_s = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        network.run(duration * ms)
        run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        result.update(compile_s=compile_s, construct_s=construct_s)
    counts = {name: int(m.num_spikes) for name, m in monitors.items()}
    result.update(run_s=run_s, cpu_s=cpu_s, populations={name: {"n": len(pops[name]), "spikes": counts[name],
                                                   "rate_hz": counts[name] / len(pops[name]) / (duration / 1000)}
                                            for name in pops},
                  synapses=int(sum(len(s) for s in synapses)), version=b2.__version__)
    if net in NEW_NETS:
        for name, m in monitors.items():
            result["populations"][name]["cv"] = isi_cv(m.t / ms, m.i)
    return result


# ---------------------------------------------------------------------------------------
# NEST (in the peers' interpreter)
# ---------------------------------------------------------------------------------------
def run_nest(net: str, scale: float, duration: float, seed: int, threads: int = 1) -> dict:
    import nest

    if hasattr(nest, "VerbosityLevel"):  # NEST >= 3.10
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.set(resolution=DT, local_num_threads=threads, rng_seed=seed + 1, print_time=False)
    t0 = time.perf_counter()
    if net in NEW_NETS:
        c, h = COBA, COBAHH
        common = dict(C_m=c["c_m"], g_L=c["g_l"], E_L=c["e_l"], E_ex=c["e_ex"], E_in=c["e_in"],
                      tau_syn_ex=c["tau_ex"], tau_syn_in=c["tau_in"], I_e=0.0)
        if net == "coba":
            P = nest.Create("iaf_cond_exp", c["n_e"] + c["n_i"],
                            params=dict(common, V_th=c["v_thresh"], V_reset=c["v_reset"], t_ref=c["t_ref"]))
            P.V_m = nest.random.uniform(c["v_reset"], c["v_thresh"])
        else:
            P = nest.Create("hh_cond_exp_traub", c["n_e"] + c["n_i"],
                            params=dict(common, g_Na=h["g_na"], g_K=h["g_k"], E_Na=h["e_na"], E_K=h["e_k"],
                                        V_T=h["v_t"], t_ref=h["t_ref"]))
            P.V_m = nest.random.normal(c["e_l"] - 5.0, 5.0)
            P.set(Act_m=0.0, Act_n=0.0, Inact_h=0.0)
        if net == "coba":
            P.g_ex = nest.random.normal(*c["g_ex0"])
            P.g_in = nest.random.normal(*c["g_in0"])
        else:  # hh_cond_exp_traub's conductances cannot be set: a spike of the initial values at 0.1 ms
            import numpy as np

            rng = np.random.default_rng(seed)
            kick = nest.Create("spike_generator", params={"spike_times": [DT]})
            for (mean, std), sign in ((c["g_ex0"], 1.0), (c["g_in0"], -1.0)):
                w = sign * np.maximum(rng.normal(mean, std, len(P)), 0.0) + sign * 1e-9
                nest.Connect(kick, P, "all_to_all", {"weight": w.reshape(-1, 1), "delay": DT})
        pops = {"exc": P[:c["n_e"]], "inh": P[c["n_e"]:]}
        for src, w in ((pops["exc"], c["w_ex"]), (pops["inh"], -c["w_in"])):
            nest.Connect(src, P, {"rule": "pairwise_bernoulli", "p": c["p"]},
                         {"synapse_model": "static_synapse", "weight": w, "delay": DT})
        synapses = nest.GetKernelStatus("num_connections")
    elif net == "uncoupled":
        import numpy as np

        u = UNCOUPLED
        c_m = 250.0  # pF: a current w*C_m/tau_m pA gives R*I = w mV
        params = dict(C_m=c_m, tau_m=u["tau_m"], E_L=u["v_rest"], V_th=u["v_thresh"], V_reset=u["v_reset"],
                      t_ref=u["t_ref"], tau_syn_ex=u["tau_s"], I_e=0.0)
        G = nest.Create("iaf_psc_exp", int(scale), params=params)
        G.V_m = nest.random.uniform(u["v_reset"], u["v_thresh"])
        pops = {"neurons": G}
        noise = nest.Create("poisson_generator", params={"rate": u["afferents"] * u["rate"]})
        nest.Connect(noise, G, syn_spec={"synapse_model": "static_synapse",
                                         "weight": u["weight"] * c_m / u["tau_m"], "delay": DT})
        synapses = 0
    elif net == "cuba":
        c = CUBA
        c_m = 250.0  # pF; R = tau_m / C_m, so a current w*C_m/tau_m pA gives R*I = w mV
        params = dict(C_m=c_m, tau_m=c["tau_m"], E_L=c["v_rest"], V_th=c["v_thresh"], V_reset=c["v_reset"],
                      t_ref=c["t_ref"], tau_syn_ex=c["tau_e"], tau_syn_in=c["tau_i"], I_e=0.0)
        P = nest.Create("iaf_psc_exp", c["n_e"] + c["n_i"], params=params)
        P.V_m = nest.random.uniform(c["v_reset"], c["v_thresh"])
        pops = {"exc": P[:c["n_e"]], "inh": P[c["n_e"]:]}
        for src, w in ((pops["exc"], c["w_e"]), (pops["inh"], c["w_i"])):
            nest.Connect(src, P, {"rule": "pairwise_bernoulli", "p": c["p"]},
                         {"synapse_model": "static_synapse", "weight": w * c_m / c["tau_m"], "delay": DT})
        synapses = nest.GetKernelStatus("num_connections")
    else:
        b = BRUNEL
        n_e, n_i = brunel_sizes(scale)
        params = dict(C_m=250.0, tau_m=b["tau_m"], E_L=b["v_rest"], V_th=b["v_thresh"], V_reset=b["v_reset"],
                      t_ref=b["t_ref"], V_m=b["v_rest"], I_e=0.0, refractory_input=False)
        G = nest.Create("iaf_psc_delta", n_e + n_i, params=params)
        pops = {"E": G[:n_e], "I": G[n_e:]}
        for src, k, w in ((pops["E"], b["c_e"], b["j"]), (pops["I"], b["c_i"], -b["g"] * b["j"])):
            nest.Connect(src, G, {"rule": "fixed_indegree", "indegree": k, "allow_autapses": True,
                                  "allow_multapses": True},
                         {"synapse_model": "static_synapse", "weight": w, "delay": b["delay"]})
        synapses = nest.GetKernelStatus("num_connections")
        noise = nest.Create("poisson_generator", params={"rate": b["c_e"] * nu_ext()})
        nest.Connect(noise, G, syn_spec={"synapse_model": "static_synapse", "weight": b["j"], "delay": DT})
    recorders = {}
    for name, pop in pops.items():
        recorders[name] = nest.Create("spike_recorder")
        nest.Connect(pop, recorders[name])
    construct_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    nest.Prepare()
    prepare_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    nest.Run(duration)
    run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    nest.Cleanup()
    counts = {name: int(r.n_events) for name, r in recorders.items()}
    out = {"construct_s": construct_s, "compile_s": prepare_s, "run_s": run_s, "cpu_s": cpu_s, "threads": threads,
           "synapses": int(synapses),
           "populations": {name: {"n": len(pops[name]), "spikes": counts[name],
                                  "rate_hz": counts[name] / len(pops[name]) / (duration / 1000)} for name in pops},
           "version": nest.__version__}
    if net in NEW_NETS:
        for name, r in recorders.items():
            ev = r.get("events")
            out["populations"][name]["cv"] = isi_cv(ev["times"], ev["senders"])
    return out


def worker(sim: str, net: str, scale: float, duration: float, seed: int, workdir: str) -> dict:
    t0 = time.perf_counter()
    dtype = "float64"
    if sim.startswith("fastspike"):
        dtype = _dtype_of(sim, os.environ.get("PEERS_DTYPE", "float64"))
        result = run_fastspike_conductance(net, duration, seed, dtype, _threads_of(sim),
                                           vector_math=sim.startswith("fastspike-vmath"))
    elif sim.startswith("brian2"):
        dtype = _dtype_of(sim, "float64")
        result = run_brian2(net, scale, duration, seed, sim.split("-")[1], workdir, dtype)
    elif sim.startswith("nest"):
        result = run_nest(net, scale, duration, seed, _threads_of(sim))
    else:
        raise ValueError(sim)
    result.update(sim=sim, net=net, scale=scale, bio_ms=duration, total_s=time.perf_counter() - t0,
                  peak_rss_mb=_peak_rss_mb(), dtype=dtype)
    result.setdefault("threads", 1)
    return result


# ---------------------------------------------------------------------------------------
# the parent
# ---------------------------------------------------------------------------------------
def _call(cmd: list[str], env: dict | None = None, timeout: float | None = None) -> dict:
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith(RESULT)]
    if out.returncode or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    return json.loads(lines[-1][len(RESULT):])


def _dtype_of(sim: str, default: str) -> str:
    """The precision of a simulator's name: ``brian2-standalone-f32`` -> float32, else ``default``."""
    return "float32" if sim.endswith("-f32") else default


def _threads_of(sim: str) -> int:
    """The thread count of a simulator's name: ``nest-4t`` -> 4, ``nest`` -> 1."""
    return int(sim.rsplit("-", 1)[1][:-1]) if sim.endswith("t") and "-" in sim else 1


def run_fastspike_conductance(net: str, duration: float, seed: int, dtype: str, threads: int = 1,
                              vector_math: bool = False) -> dict:
    """B6/B7 in this process (the fastspike worker): fastspike.networks.standard.coba / cobahh
    (with ``vector_math``: on ``fs.backends.CPU(vector_math=True)``)."""
    import fastspike as fs
    from fastspike.networks import standard

    t0 = time.perf_counter()
    kw = dict(seed=seed, dtype=dtype, threads=threads, backend=fs.backends.CPU(vector_math=vector_math))
    if net == "coba":
        kw["integrator"] = os.environ.get("PEERS_COBA_METHOD", "euler")
    network, pops = getattr(standard, net)(**kw)
    recs = {name: network.record(pop, "spikes") for name, pop in pops.items()}
    construct_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    network.build()
    compile_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    network.run(duration, progress=False)
    run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    return {"construct_s": construct_s, "compile_s": compile_s, "run_s": run_s, "cpu_s": cpu_s, "threads": threads,
            "synapses": int(sum(p.n_synapses for p in network.projections)),
            "populations": {name: {"n": pops[name].n, "spikes": len(r), "rate_hz": r.rate(),
                                   "cv": isi_cv(r.times, r.neurons)} for name, r in recs.items()},
            "version": fs.__version__, "fastspike": fs.__version__}


def run_fastspike(net: str, scale: float, duration: float, dtype: str, env: dict, seed: int = 1,
                  sim: str = "fastspike") -> dict:
    threads = _threads_of(sim)
    if net in NEW_NETS:
        r = _call([sys.executable, os.path.abspath(__file__), "--worker", sim, "--net", net, "--duration",
                   repr(duration), "--seed", str(seed), "--dtype", dtype], env)
        r.update(sim=sim, net=net, scale=1.0)
        return r
    bench, size = {"cuba": ("B1", 1.0), "brunel": ("B2", scale), "uncoupled": ("B4", scale)}[net]
    r = _call([sys.executable, os.path.join(HERE, "bench_networks.py"), "--worker", bench, "--size", repr(size),
               "--duration", repr(duration), "--dtype", dtype, "--threads", str(threads)], env)
    r.update(sim=sim, net=net, scale=scale, version=r["fastspike"])
    return r


def importable(python: str, module: str) -> str | None:
    """The module's version in that interpreter, or None."""
    try:
        out = subprocess.run([python, "-c", f"import {module} as m; print('VERSION', m.__version__)"],
                             capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("VERSION ")]
    return lines[-1].split()[1] if out.returncode == 0 and lines else None


def summarize(runs: list[dict]) -> dict:
    first = runs[0]
    med = lambda key, rs=runs: statistics.median(r[key] for r in rs)  # noqa: E731
    later = runs[1:] or runs
    return {"sim": first["sim"], "version": first.get("version"), "reps": len(runs), "synapses": first["synapses"],
            "construct_s": med("construct_s", later), "compile_first_s": first["compile_s"],
            "compile_warm_s": med("compile_s", later) if len(runs) > 1 else None, "run_s": med("run_s"),
            "run_all_s": [r["run_s"] for r in runs], "rtf": med("run_s") / (first["bio_ms"] / 1000),
            "cpu_s": med("cpu_s"), "threads": first.get("threads", 1),
            "peak_rss_mb": med("peak_rss_mb"),
            "populations": {name: {"n": p["n"], "rate_hz": statistics.median(r["populations"][name]["rate_hz"]
                                                                            for r in runs),
                                   **({"cv": statistics.median(r["populations"][name]["cv"] for r in runs)}
                                      if "cv" in p else {})}
                            for name, p in first["populations"].items()}}


def print_net(net: str, scale: float, duration: float, rows: list[dict]) -> None:
    label = {"cuba": "B1 CUBA (4000 neurons)", "coba": "B6 COBA (4000 neurons)",
             "cobahh": "B7 COBAHH (4000 neurons)", "uncoupled": f"B4 uncoupled LIF + Poisson ({int(scale)} neurons)"
             }.get(net, f"B2 Brunel, scale {scale:g} ({sum(brunel_sizes(scale))} neurons)")
    print(f"\n{label}, {duration:g} ms bio time, dt {DT} ms; reference rate {REFERENCE[net]}")
    fs_row = next((r for r in rows if r["sim"] == "fastspike"), None) or \
        next((r for r in rows if r["sim"].startswith("fastspike")), None)
    head = (f"{'simulator':<21} {'version':<8} {'synapses':>10} {'construct':>9} {'compile 1st':>11} "
            f"{'compile warm':>12} {'run wall':>9} {'run CPU':>8} {'RTF':>7} {'run / fs':>8} {'rates (Hz)':<24} "
            f"{'peak RSS':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = r["run_s"] / fs_row["run_s"] if fs_row else float("nan")
        rates = " ".join(f"{k} {v['rate_hz']:.2f}" + (f" (CV {v['cv']:.2f})" if "cv" in v else "")
                         for k, v in r["populations"].items())
        warm = "-" if r["compile_warm_s"] is None else f"{r['compile_warm_s']:.2f}"
        print(f"{r['sim']:<21} {str(r['version']):<8} {r['synapses']:>10} {r['construct_s']:>9.2f} "
              f"{r['compile_first_s']:>11.2f} {warm:>12} {r['run_s']:>9.3f} {r['cpu_s']:>8.3f} {r['rtf']:>7.3f} "
              f"{ratio:>7.2f}x "
              f"{rates:<24} {r['peak_rss_mb']:>7.0f}M")
    print("construct: populations + connectivity (Brian2 standalone: its binary's set-up, which builds the "
          "connectivity, + the Python side); compile: fastspike net.build(), Brian2 code generation + "
          "compilation, NEST Prepare(); 1st = first repetition (empty caches), warm = later ones; "
          "run wall / CPU: the wall-clock and CPU time of the simulation loop alone (see the module's docstring); "
          "run / fs = run wall time / fastspike's")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--net", nargs="+", choices=["cuba", "brunel", "uncoupled", *NEW_NETS], default=["cuba", "brunel"])
    ap.add_argument("--coba-method", choices=["euler", "exponential_euler", "rk2"], default="euler",
                    help="B6's integrator in fastspike and Brian2 (default: euler, Brian2's COBA example's)")
    ap.add_argument("--brunel-scale", type=float, default=1.0, help="B2 scale (default 1.0: 12500 neurons)")
    ap.add_argument("--b4-n", type=int, default=10**6, help="B4 (uncoupled) neurons (default 10^6)")
    ap.add_argument("--nest-threads", type=int, nargs="*", default=[],
                    help="also run NEST with these thread counts (simulators nest-<T>t)")
    ap.add_argument("--fastspike-threads", type=int, nargs="*", default=[],
                    help="also run fastspike with these thread counts (simulators fastspike-<T>t)")
    ap.add_argument("--duration", type=float, default=1000.0, help="bio time (ms, default 1000)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions, each in fresh processes (default 3)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the peers' networks")
    ap.add_argument("--vary-seed", action="store_true",
                    help="repetition r uses seed + r (rates and CVs over seeds, not one network timed again)")
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64", help="fastspike's dtype")
    ap.add_argument("--sims", nargs="+", choices=SIMULATORS, default=list(SIMULATORS))
    ap.add_argument("--peers-python", default=os.environ.get("FASTSPIKE_PEERS_PYTHON", sys.executable),
                    help="interpreter that has brian2 and nest (default: $FASTSPIKE_PEERS_PYTHON or this one)")
    ap.add_argument("--python-brian2", help="interpreter for Brian2 (default: --peers-python)")
    ap.add_argument("--python-nest", help="interpreter for NEST (default: --peers-python)")
    ap.add_argument("--json", help="write all runs and summaries to this file")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    ap.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        print(RESULT + json.dumps(worker(args.worker, args.net[0], args.scale, args.duration, args.seed,
                                         args.workdir)), flush=True)
        return

    pythons = {"brian2-standalone": args.python_brian2 or args.peers_python,
               "brian2-standalone-f32": args.python_brian2 or args.peers_python,
               "brian2-runtime": args.python_brian2 or args.peers_python,
               "nest": args.python_nest or args.peers_python}
    extra = [f"fastspike-{t}t" for t in args.fastspike_threads if "fastspike" in args.sims and t > 1]
    extra += [f"nest-{t}t" for t in args.nest_threads if "nest" in args.sims and t > 1]
    for sim in extra:
        pythons.setdefault(sim, pythons["nest"])
    sims = []
    for sim in [*args.sims, *extra]:
        if sim.startswith("fastspike"):
            sims.append(sim)
            continue
        module = "brian2" if sim.startswith("brian2") else "nest"
        version = importable(pythons[sim], module)
        if version is None:
            print(f"skipping {sim}: {module} cannot be imported by {pythons[sim]}", file=sys.stderr)
        else:
            sims.append(sim)
    env_base = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "passive"), OMP_NUM_THREADS="1",
                    PEERS_COBA_METHOD=args.coba_method, PEERS_DTYPE=args.dtype)
    report = {"args": vars(args), "nets": []}
    for net in args.net:
        scale = {"brunel": args.brunel_scale, "uncoupled": float(args.b4_n)}.get(net, 1.0)
        workdir = tempfile.mkdtemp(prefix=f"fastspike_peers_{net}_")
        env = dict(env_base, FASTSPIKE_CACHE_DIR=os.path.join(workdir, "fastspike"),
                   NUMBA_CACHE_DIR=os.path.join(workdir, "fastspike"))
        runs = {sim: [] for sim in sims}
        try:
            for rep in range(args.reps):
                seed = args.seed + rep if args.vary_seed else args.seed
                for sim in sims:
                    print(f"{net} (scale {scale:g}) rep {rep + 1}/{args.reps}: {sim} ...", file=sys.stderr,
                          flush=True)
                    if sim.startswith("fastspike"):
                        r = run_fastspike(net, scale, args.duration, _dtype_of(sim, args.dtype),
                                          dict(env, OMP_NUM_THREADS=str(_threads_of(sim))), seed, sim)
                    else:
                        r = _call([pythons[sim], os.path.abspath(__file__), "--worker", sim, "--net", net,
                                   "--scale", repr(scale), "--duration", repr(args.duration), "--seed",
                                   str(seed), "--workdir", workdir], dict(env, OMP_NUM_THREADS=str(_threads_of(sim))))
                    runs[sim].append(r)
                    rates = ", ".join(f"{k} {v['rate_hz']:.2f} Hz" for k, v in r["populations"].items())
                    print(f"    construct {r['construct_s']:.2f} s, compile {r['compile_s']:.2f} s, "
                          f"run {r['run_s']:.3f} s, {rates}", file=sys.stderr, flush=True)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        rows = [summarize(runs[sim]) for sim in sims]
        print_net(net, scale, args.duration, rows)
        report["nets"].append({"net": net, "scale": scale, "bio_ms": args.duration, "summary": rows, "runs": runs})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

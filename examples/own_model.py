"""Writing your own model: the exponential integrate-and-fire neuron (EIF) in a script.

The model is a class that declares its parameters, state variables and scalar equation
functions (plain Python with ``math``; fastspike compiles them for the CPU and the GPU). See
the README, section *Writing your own model*.

    python own_model.py --n 1000 --duration 500
"""
import argparse
import math

import fastspike as fs


def eif_dynamics(v, I, tau_m, v_rest, delta_T, v_T, v_peak, R):
    """tau_m dv/dt = (v_rest - v) + delta_T exp((v - v_T) / delta_T) + R I, with v bounded by
    v_peak on the right-hand side (a Runge-Kutta stage past the spike cannot overflow)."""
    vc = min(v, v_peak)
    return ((v_rest - vc) + delta_T * math.exp((vc - v_T) / delta_T) + R * I) / tau_m,  # a tuple of one


def eif_threshold(v, v_peak):
    return v >= v_peak


def eif_reset(v, v_reset):
    return (v_reset,)


class EIF(fs.Model):
    """Exponential integrate-and-fire neuron (Fourcaud-Trocme et al. 2003, J Neurosci 23:11628)."""

    parameters = (
        fs.Parameter("tau_m", 10.0, "ms", "membrane time constant", "positive"),
        fs.Parameter("v_rest", -65.0, "mV", "resting potential"),
        fs.Parameter("delta_T", 2.0, "mV", "slope factor", "positive"),
        fs.Parameter("v_T", -50.0, "mV", "threshold of the exponential term"),
        fs.Parameter("v_peak", 0.0, "mV", "spike cut-off"),
        fs.Parameter("v_reset", -68.0, "mV", "reset potential"),
        fs.Parameter("R", 1.0, "MOhm", "membrane resistance"),
        fs.Parameter("t_ref", 2.0, "ms", "refractory period", "nonnegative"),
    )
    state_variables = (fs.StateVariable("v", "mV", "v_rest", "membrane potential"),)
    integrators = ("euler", "rk2", "rk4")
    default_integrator = "rk2"
    refractory = True
    dynamics = staticmethod(eif_dynamics)
    threshold = staticmethod(eif_threshold)
    reset = staticmethod(eif_reset)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="neurons (default 1000)")
    parser.add_argument("--duration", type=float, default=500.0, help="simulated time (ms, default 500)")
    args = parser.parse_args()
    net = fs.Network(dt=0.05, seed=1)
    pop = net.population(EIF(tau_m=10.0, delta_T=2.0), n=args.n, name="eif")
    net.current(pop, net.rng.uniform(10.0, 25.0, args.n))  # mV of drive (R = 1)
    spikes = net.record(pop, "spikes")
    trace = net.record(pop, "v", neurons=[0])
    net.run(args.duration)
    print(f"EIF: {args.n} neurons, {len(spikes)} spikes, mean rate {spikes.rate():.1f} Hz, "
          f"v of neuron 0 in [{trace.v.min():.1f}, {trace.v.max():.1f}] mV")

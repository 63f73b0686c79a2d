"""Weight-update models: what a synapse does when its neurons fire (GeNN's weight-update models).

A weight-update model declares the variables a projection keeps per synapse (``g``, the
weight, for every model), per presynaptic and per postsynaptic neuron (traces of plastic
rules), and scalar functions whose arguments are matched by name:

- ``on_pre``: called for every synapse of a presynaptic neuron's row when its spike reaches
  the synapse; returns the value transmitted to the postsynaptic channel (then, for plastic
  models, the synapse's new variables);
- ``on_post``: called for every synapse onto a neuron when that neuron fires (plastic models;
  the step program's ``learn`` stage), returning the synapse's new variables;
- ``pre_read``/``post_read`` (optional, plastic models): values that depend on one neuron
  only (a trace read at the present step), which ``on_pre`` and ``on_post`` take by name; a
  backend may compute them once per neuron and step instead of once per synapse.

A static synapse (:class:`Static`) transmits its weight and keeps no other state: its
projection stores 8-10 bytes per synapse (target, weight, delay), a weight shared by all
synapses only once. Only plastic projections pay for per-synapse state beyond the weight.
"""
from __future__ import annotations

import math
from typing import Callable, ClassVar

import numpy as np

from ..components import Component, Parameter, StateVariable

__all__ = ["WeightUpdateModel", "Static", "STDP", "TripletSTDP", "PowerLawSTDP", "TsodyksMarkram"]


NEVER = -(1 << 40)
"""The step stored as a neuron's last event before it has any: ``dt_pre``/``dt_post`` are
then about 1e11 dt, so any exponential trace read from it is 0."""


class WeightUpdateModel(Component):
    """Base class of weight-update models.

    A static model defines ``on_pre`` only: it transmits a value computed from the weight.
    A plastic model (event-driven, NEST's scheme) also keeps variables per presynaptic and
    per postsynaptic neuron, each with the step of that neuron's last event at the synapse,
    and defines four functions. The time of a presynaptic spike at the synapse is the step it
    was emitted in; the time of a postsynaptic spike is the step it was emitted in plus the
    synapse's delay (NEST: the whole delay is dendritic for plasticity). Events are handled
    in the order of those times; a presynaptic and a postsynaptic event at the same time
    each see the other as not yet happened (NEST's ``stdp_synapse``: a post spike at
    ``t_pre - d`` facilitates with the presynaptic trace before ``t_pre``, and the depression
    at ``t_pre`` uses the postsynaptic trace strictly before ``t_pre - d``).

    Attributes
    ----------
    synapse_variables : tuple of StateVariable
        Per synapse; only the weight ``g`` (in the unit of the postsynaptic channel's input:
        a current, or mV for :class:`~fastspike.synapses.postsynaptic.Delta`). A plastic
        projection stores it per synapse as float32 and changes it.
    pre_variables, post_variables : tuple of StateVariable
        Per presynaptic / postsynaptic neuron (spike traces), float64, initially ``initial``.
        Postsynaptic ones are kept once per delay value of the projection.
    on_pre : function
        Called for each synapse of a presynaptic spike when the spike reaches the synapse.
        Arguments by name: ``g``, the pre and post variables (as stored: after the last
        event of their neuron), ``dt_pre`` and ``dt_post`` (ms from the last event of the
        presynaptic / postsynaptic neuron at the synapse to now; 0 when simultaneous, about
        1e11 dt before the first), the parameters, ``dt``. Static: returns the value
        transmitted. Plastic: returns ``(transmitted, g)``, the new weight.
    on_post : function or None
        Plastic: called for each synapse onto a postsynaptic neuron when its spike reaches
        the synapse (same arguments); returns the new ``g``. None for models that do not
        learn from postsynaptic spikes (static; short-term plasticity: then no column index
        is kept and no learning kernel runs).
    pre_spike, post_spike : function or None
        Plastic: the neuron's variables after its event (arguments: its variables as stored,
        ``dt_pre`` / ``dt_post``, the parameters); a tuple when there are several. They run
        after ``on_pre`` / ``on_post`` of every synapse of that event.
    pre_read, post_read : function or None
        Plastic, optional: values that depend on the presynaptic (postsynaptic) neuron and the
        present step only, such as a trace read now. Arguments by name: the pre (post)
        variables, ``dt_pre`` (``dt_post``), the parameters, ``dt``; returns one value, or a
        tuple of as many as ``pre_reads`` (``post_reads``) names. ``on_pre`` and ``on_post``
        take these names as arguments (the value for the synapse's neuron, at the same time
        as the function's other arguments). A backend computes a read once per neuron and
        step where it can (CPU, one thread) and for each synapse otherwise (CPU threads,
        GPU: its work items share neurons): the same expression either way, so results do
        not depend on it. Reads are kept as float64. ``post_read`` is once per delay value
        too, as post variables are. Without reads, ``on_pre``/``on_post`` compute the same
        values per synapse: a read costs one evaluation per neuron instead of one per
        synapse (for :class:`STDP`, one ``exp`` per synapse and event less).
    pre_reads, post_reads : tuple of str
        The names of the results of ``pre_read`` / ``post_read`` (empty without one); they
        must differ from the variables, the parameters, ``g``, ``dt``, ``dt_pre``,
        ``dt_post`` and each other.
    """

    synapse_variables: ClassVar[tuple[StateVariable, ...]] = (StateVariable("g", "weight", 0.0, "synaptic weight"),)
    pre_variables: ClassVar[tuple[StateVariable, ...]] = ()
    post_variables: ClassVar[tuple[StateVariable, ...]] = ()
    on_pre: ClassVar[Callable | None] = None
    on_post: ClassVar[Callable | None] = None
    pre_spike: ClassVar[Callable | None] = None
    post_spike: ClassVar[Callable | None] = None
    pre_read: ClassVar[Callable | None] = None
    pre_reads: ClassVar[tuple[str, ...]] = ()
    post_read: ClassVar[Callable | None] = None
    post_reads: ClassVar[tuple[str, ...]] = ()
    pre_first_step: ClassVar[int] = NEVER
    """The step presynaptic neurons count as their last event before their first spike:
    :data:`NEVER`, or -1 (time 0: NEST's ``t_lastspike_ = 0`` of a new synapse, which its
    nearest-neighbour rules see as a presynaptic spike at time 0)."""

    def check(self) -> None:
        """Refuse functions whose arguments or results do not fit (see
        :meth:`~fastspike.components.Component.check_function`), and reads whose names clash."""
        params = {p: float(np.ravel(v)[0]) for p, v in self.params.items()}
        if not self.plastic:
            if self.pre_read is not None or self.post_read is not None or self.pre_reads or self.post_reads:
                raise ValueError(f"{self.name}: pre_read/post_read are for plastic models (a static synapse keeps "
                                 f"no per-neuron state to read)")
            self.check_function("on_pre", self.on_pre, {**params, "g": 1.0, "dt": 0.1}, 1)
            return
        if len(self.synapse_variables) != 1 or self.synapse_variables[0].name != "g":
            raise ValueError(f"{self.name}: plastic weight-update models keep one variable per synapse, the weight "
                             f"'g' (a plastic synapse costs at most 16 bytes); declare other state per presynaptic "
                             f"or postsynaptic neuron (pre_variables, post_variables)")
        pre = {v.name: 0.5 for v in self.pre_variables}
        post = {v.name: 0.5 for v in self.post_variables}
        clash = sorted(set(pre) & set(post) | (set(pre) | set(post)) & ({"g", "dt", "dt_pre", "dt_post"} | set(params)))
        if clash:
            raise ValueError(f"{self.name}: variable name {clash[0]!r} is used twice (pre, post variables, "
                             f"parameters, g, dt, dt_pre, dt_post)")
        taken = {*pre, *post, *params, "g", "dt", "dt_pre", "dt_post"}
        reads: dict[str, float] = {}
        for side, fn, names, own, elapsed in (("pre", self.pre_read, self.pre_reads, pre, "dt_pre"),
                                              ("post", self.post_read, self.post_reads, post, "dt_post")):
            if isinstance(names, str) or not all(isinstance(n, str) for n in names):
                raise TypeError(f"{self.name}: {side}_reads must be a tuple of names, got {names!r}")
            if (fn is None) != (not names):
                raise ValueError(f"{self.name}: {side}_read and {side}_reads go together (a function and the names "
                                 f"of its results), got {side}_read={fn!r}, {side}_reads={tuple(names)!r}")
            for n in names:
                if not n.isidentifier():
                    raise ValueError(f"{self.name}: {side}_reads name {n!r} is not an identifier")
                if n in taken or n in reads:
                    raise ValueError(f"{self.name}: {side}_reads name {n!r} is used twice (reads, pre, post "
                                     f"variables, parameters, g, dt, dt_pre, dt_post)")
                reads[n] = 0.5
            if fn is not None:
                self.check_function(f"{side}_read", fn, {**params, **own, elapsed: 1.0, "dt": 0.1}, len(names))
        allowed = {**params, **pre, **post, **reads, "g": 1.0, "dt": 0.1, "dt_pre": 1.0, "dt_post": 1.0}
        self.check_function("on_pre", self.on_pre, allowed, 2)
        if self.on_post is not None:
            self.check_function("on_post", self.on_post, allowed, 1)
        if self.post_variables and self.on_post is None:
            raise ValueError(f"{self.name}: post_variables need on_post (the postsynaptic spikes update them)")
        if self.pre_variables:
            self.check_function("pre_spike", self.pre_spike, {**params, **pre, "dt_pre": 1.0, "dt": 0.1},
                                len(self.pre_variables))
        if self.post_variables:
            self.check_function("post_spike", self.post_spike, {**params, **post, "dt_post": 1.0, "dt": 0.1},
                                len(self.post_variables))

    def check_weights(self, weights: np.ndarray, what: str) -> None:
        """Refuse initial weights the model cannot take (plastic models: outside their bounds)."""

    def initial(self, variable) -> float:
        """The initial value of a pre or post variable (a number, or a parameter's name)."""
        v = variable.initial
        return float(self.params[v]) if isinstance(v, str) else float(v)

    @property
    def plastic(self) -> bool:
        """Whether the model changes its synapses (static ones keep the compact storage)."""
        return self.on_post is not None or len(self.synapse_variables) > 1 or bool(self.pre_variables) \
            or bool(self.post_variables)

    def reads(self, side: str) -> tuple[Callable | None, tuple[str, ...]]:
        """``(pre_read, pre_reads)`` for ``side`` "pre", ``(post_read, post_reads)`` for "post"."""
        return (self.pre_read, tuple(self.pre_reads)) if side == "pre" else (self.post_read, tuple(self.post_reads))


def static_on_pre(g):
    """A static synapse transmits its weight."""
    return g


class Static(WeightUpdateModel):
    """A static synapse: every spike transmits the synapse's weight, which never changes
    (NEST ``static_synapse``, PyNN ``StaticSynapse``, GeNN ``StaticPulse``)."""

    on_pre = staticmethod(static_on_pre)

    def __repr__(self) -> str:
        return "Static()"


# -- spike-timing-dependent plasticity ----------------------------------------------------------
# Traces are stored as their value just before their neuron's last spike (its increment of 1
# not yet added), so that a trace read at the time of that very spike (``dt_*`` == 0) is the
# trace strictly before it, as NEST's archiving node reads it; later, (x + 1) e^(-dt/tau).
def stdp_trace(x, elapsed, tau):
    """A spike trace ``elapsed`` ms after its last spike, that spike counted unless
    ``elapsed`` is 0 (NEST: only spikes strictly before count)."""
    if elapsed <= 0.0:
        return x
    return (x + 1.0) * math.exp(-elapsed / tau)


def stdp_facilitate(g, kplus, lambda_, mu_plus, w_max):
    """NEST ``stdp_synapse::facilitate_``: w/w_max + lambda (1 - w/w_max)^mu_plus K+, at most 1."""
    norm = g / w_max + lambda_ * math.pow(1.0 - g / w_max, mu_plus) * kplus  # vmath.pow under vector math
    return norm * w_max if norm < 1.0 else w_max


def stdp_depress(g, kminus, lambda_, alpha, mu_minus, w_max):
    """NEST ``stdp_synapse::depress_``: w/w_max - alpha lambda (w/w_max)^mu_minus K-, at least 0."""
    norm = g / w_max - alpha * lambda_ * math.pow(g / w_max, mu_minus) * kminus
    return norm * w_max if norm > 0.0 else 0.0


def stdp_pre_read(x, dt_pre, tau_plus):
    """K+, the presynaptic trace now (a read: once per presynaptic neuron and step)."""
    return stdp_trace(x, dt_pre, tau_plus)


def stdp_post_read(y, dt_post, tau_minus):
    """K-, the postsynaptic trace now (a read: once per postsynaptic neuron, delay and step)."""
    return stdp_trace(y, dt_post, tau_minus)


def stdp_on_pre(g, kminus, lambda_, alpha, mu_minus, w_max):
    """A presynaptic spike: depression by the postsynaptic trace strictly before it (``kminus``,
    :func:`stdp_post_read`); the new weight is transmitted."""
    w = stdp_depress(g, kminus, lambda_, alpha, mu_minus, w_max)
    return w, w


def stdp_on_post(g, kplus, lambda_, mu_plus, w_max):
    """A postsynaptic spike reaching the synapse: facilitation by the presynaptic trace
    (``kplus``, :func:`stdp_pre_read`)."""
    return stdp_facilitate(g, kplus, lambda_, mu_plus, w_max)


def stdp_pre_spike(x, dt_pre, tau_plus):
    """The presynaptic trace just before this spike (stored; the spike's 1 is added on reading)."""
    return (x + 1.0) * math.exp(-dt_pre / tau_plus)


def stdp_post_spike(y, dt_post, tau_minus):
    """The postsynaptic trace just before this spike (stored)."""
    return (y + 1.0) * math.exp(-dt_post / tau_minus)


def _check_bounded_weights(model: WeightUpdateModel, weights: np.ndarray, what: str) -> None:
    w_max = float(model.params["w_max"])
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0:
        return
    if w_max > 0 and (w.min() < 0 or w.max() > w_max) or w_max < 0 and (w.max() > 0 or w.min() < w_max):
        bad = w.min() if (w.min() < min(0.0, w_max)) else w.max()
        raise ValueError(f"{what}: weight {float(bad)!r} is outside [{min(0.0, w_max)!r}, {max(0.0, w_max)!r}] "
                         f"allowed by {model!r}: plastic weights lie between 0 and w_max (with its sign, as NEST's "
                         f"'Weight and Wmax must have same sign')")


class STDP(WeightUpdateModel):
    """Pair-based spike-timing-dependent plasticity, NEST ``stdp_synapse`` (Guetig et al. 2003).

    All-to-all pairing through exponential traces: the presynaptic trace K+ (time constant
    ``tau_plus``) and the postsynaptic trace K- (``tau_minus``; in NEST a parameter of the
    postsynaptic neuron, here of the synapse) each jump by 1 at their neuron's spikes. With
    ``w~ = w / w_max``:

    - a postsynaptic spike reaching the synapse facilitates:
      ``w~ <- min(1, w~ + lambda_ (1 - w~)^mu_plus K+)``;
    - a presynaptic spike depresses, then the new weight is transmitted:
      ``w~ <- max(0, w~ - alpha lambda_ w~^mu_minus K-)``.

    ``mu_plus = mu_minus = 0``: additive STDP; ``1``: multiplicative; between: Guetig et
    al. (2003). ``nearest=True``: symmetric nearest-neighbour pairing, NEST
    ``stdp_nn_symm_synapse`` (each spike pairs with the nearest earlier spike of the other
    neuron only: the traces are reset to 1 rather than incremented; as in NEST, a new synapse
    counts a presynaptic spike at time 0). Weights stay in [0, w_max] (w_max < 0: [w_max, 0]; the initial weights must
    lie there).

    Timing (NEST 3.10 exactly, the whole delay ``d`` dendritic): a presynaptic spike of time
    ``t_pre`` is handled at the synapse at ``t_pre`` (its weight then arrives at ``t_pre + d``),
    a postsynaptic spike of time ``t_post`` at ``t_post + d``. The depression at ``t_pre`` uses
    the postsynaptic spikes with ``t_post < t_pre - d`` (strictly); the facilitation of a
    postsynaptic spike uses the presynaptic spikes with ``t_pre < t_post + d`` (strictly): a
    pair with ``t_post + d == t_pre`` changes nothing either way. NEST applies the
    facilitations lazily, at the next presynaptic spike; fastspike applies each when the
    postsynaptic spike reaches the synapse (the same operations in the same order), so the
    weights agree at every presynaptic spike, while between a postsynaptic spike and the
    next presynaptic spike fastspike's weight already holds the facilitation.

    Parameters
    ----------
    tau_plus, tau_minus : float, ms
        Time constants of the presynaptic and postsynaptic traces (> 0; NEST: 20, 20).
    lambda_ : float
        Learning rate (>= 0; NEST: 0.01).
    alpha : float
        Depression relative to facilitation (>= 0; NEST: 1).
    mu_plus, mu_minus : float
        Weight dependence exponents (>= 0; NEST: 1, 1).
    w_max : float
        Largest weight magnitude, in the unit of the weights (non-zero; NEST: 100).
    nearest : bool
        Nearest-neighbour pairing (NEST ``stdp_nn_symm_synapse``) instead of all-to-all.
    """

    parameters = (
        Parameter("tau_plus", 20.0, "ms", "presynaptic trace time constant", "positive"),
        Parameter("tau_minus", 20.0, "ms", "postsynaptic trace time constant", "positive"),
        Parameter("lambda_", 0.01, "1", "learning rate", "nonnegative"),
        Parameter("alpha", 1.0, "1", "depression relative to facilitation", "nonnegative"),
        Parameter("mu_plus", 1.0, "1", "facilitation weight dependence exponent", "nonnegative"),
        Parameter("mu_minus", 1.0, "1", "depression weight dependence exponent", "nonnegative"),
        Parameter("w_max", 100.0, "weight", "largest weight magnitude (the weights' sign)", "finite"),
    )
    pre_variables = (StateVariable("x", "1", 0.0, "presynaptic trace K+ just before the last presynaptic spike"),)
    post_variables = (StateVariable("y", "1", 0.0, "postsynaptic trace K- just before the last postsynaptic spike"),)
    on_pre = staticmethod(stdp_on_pre)
    on_post = staticmethod(stdp_on_post)
    pre_spike = staticmethod(stdp_pre_spike)
    post_spike = staticmethod(stdp_post_spike)
    pre_read = staticmethod(stdp_pre_read)
    pre_reads = ("kplus",)
    post_read = staticmethod(stdp_post_read)
    post_reads = ("kminus",)

    def __init__(self, *args: object, nearest: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if self.params["w_max"] == 0.0:
            raise ValueError(f"{self.name}: w_max=0.0 is not allowed; it must be a non-zero finite number (weight "
                             f"unit), whose sign is the weights' sign")
        if not isinstance(nearest, (bool, np.bool_)):
            raise TypeError(f"{self.name}: nearest={nearest!r} must be True or False")
        self.nearest = bool(nearest)
        if self.nearest:  # NEST stdp_nn_symm_synapse
            self.pre_variables = ()
            self.on_pre = stdp_nn_on_pre
            self.on_post = stdp_nn_on_post
            self.pre_spike = None
            self.post_spike = stdp_nn_post_spike
            self.pre_read = stdp_nn_pre_read
            self.post_read = stdp_nn_post_read
            self.pre_first_step = -1

    @property
    def key(self) -> tuple:
        return (*super().key, self.nearest)

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + (", nearest=True)" if self.nearest else ")")

    def check_weights(self, weights: np.ndarray, what: str) -> None:
        _check_bounded_weights(self, weights, what)


def stdp_nn_post_read(y, dt_post, tau_minus):
    """Nearest neighbour (NEST ``stdp_nn_symm_synapse``): e^(-dt/tau_minus) of the last
    postsynaptic spike strictly before now (y: that of the one before it, when the last is
    simultaneous)."""
    return y if dt_post <= 0.0 else math.exp(-dt_post / tau_minus)


def stdp_nn_pre_read(dt_pre, tau_plus):
    """Nearest neighbour: e^(-dt/tau_plus) of the last presynaptic spike."""
    return math.exp(-dt_pre / tau_plus)


def stdp_nn_on_pre(g, kminus, lambda_, alpha, mu_minus, w_max):
    """Nearest neighbour: depression by ``kminus`` (:func:`stdp_nn_post_read`)."""
    w = stdp_depress(g, kminus, lambda_, alpha, mu_minus, w_max)
    return w, w


def stdp_nn_on_post(g, kplus, lambda_, mu_plus, w_max):
    """Nearest neighbour: facilitation by ``kplus`` (:func:`stdp_nn_pre_read`)."""
    return stdp_facilitate(g, kplus, lambda_, mu_plus, w_max)


def stdp_nn_post_spike(y, dt_post, tau_minus):
    """The nearest-neighbour postsynaptic trace just before this spike."""
    return math.exp(-dt_post / tau_minus)


def triplet_pre_read(x, x3, dt_pre, tau_plus, tau_plus_triplet):
    """K+ and K3+, the presynaptic traces now (a read: once per presynaptic neuron and step)."""
    return stdp_trace(x, dt_pre, tau_plus), stdp_trace(x3, dt_pre, tau_plus_triplet)


def triplet_post_read(y, y3, dt_post, tau_minus, tau_minus_triplet):
    """K- and K3-, the postsynaptic traces now (once per postsynaptic neuron, delay and step)."""
    return stdp_trace(y, dt_post, tau_minus), stdp_trace(y3, dt_post, tau_minus_triplet)


def triplet_on_pre(g, kminus, k3plus, Aminus, Aminus_triplet, w_max):
    """NEST ``stdp_triplet_synapse`` depression: |w| - K-(t - d) (A- + A3- K3+), at least 0
    (K3+, the presynaptic triplet trace, before this spike)."""
    w = abs(g) - kminus * (Aminus + Aminus_triplet * k3plus)
    w = math.copysign(w if w > 0.0 else 0.0, w_max)
    return w, w


def triplet_on_post(g, kplus, k3minus, Aplus, Aplus_triplet, w_max):
    """Facilitation: |w| + K+ (A+ + A3+ K3-), K3- the postsynaptic triplet trace just before
    this spike; at most |w_max|."""
    w = abs(g) + kplus * (Aplus + Aplus_triplet * k3minus)
    return math.copysign(w if w < abs(w_max) else abs(w_max), w_max)


def triplet_pre_spike(x, x3, dt_pre, tau_plus, tau_plus_triplet):
    return (x + 1.0) * math.exp(-dt_pre / tau_plus), (x3 + 1.0) * math.exp(-dt_pre / tau_plus_triplet)


def triplet_post_spike(y, y3, dt_post, tau_minus, tau_minus_triplet):
    return (y + 1.0) * math.exp(-dt_post / tau_minus), (y3 + 1.0) * math.exp(-dt_post / tau_minus_triplet)


class TripletSTDP(WeightUpdateModel):
    """Triplet spike-timing-dependent plasticity (Pfister & Gerstner 2006), NEST
    ``stdp_triplet_synapse`` (all-to-all interactions).

    Four traces jump by 1 at their neuron's spikes: presynaptic K+ (``tau_plus``) and K3+
    (``tau_plus_triplet``), postsynaptic K- (``tau_minus``) and K3- (``tau_minus_triplet``; in
    NEST parameters of the postsynaptic neuron, here of the synapse). A postsynaptic spike
    reaching the synapse facilitates, ``|w| <- min(|w_max|, |w| + K+ (Aplus + Aplus_triplet
    K3-))`` with K3- just before that spike; a presynaptic spike depresses, ``|w| <- max(0,
    |w| - K- (Aminus + Aminus_triplet K3+))`` with K3+ just before it; the weight keeps the
    sign of ``w_max``. Timing, the dendritic delay and simultaneous spikes as in
    :class:`STDP` (NEST 3.10).

    Parameters
    ----------
    tau_plus, tau_plus_triplet, tau_minus, tau_minus_triplet : float, ms
        Trace time constants (> 0; NEST: 16.8, 101, 20, 110).
    Aplus, Aminus, Aplus_triplet, Aminus_triplet : float
        Amplitudes of the pair and triplet terms, in weight units (>= 0; NEST: 5e-10, 7e-3,
        6.2e-3, 2.3e-4).
    w_max : float
        Largest weight magnitude, with the weights' sign (non-zero; NEST: 100).
    """

    parameters = (
        Parameter("tau_plus", 16.8, "ms", "presynaptic pair trace time constant", "positive"),
        Parameter("tau_plus_triplet", 101.0, "ms", "presynaptic triplet trace time constant", "positive"),
        Parameter("tau_minus", 20.0, "ms", "postsynaptic pair trace time constant", "positive"),
        Parameter("tau_minus_triplet", 110.0, "ms", "postsynaptic triplet trace time constant", "positive"),
        Parameter("Aplus", 5e-10, "weight", "pair facilitation amplitude", "nonnegative"),
        Parameter("Aminus", 7e-3, "weight", "pair depression amplitude", "nonnegative"),
        Parameter("Aplus_triplet", 6.2e-3, "weight", "triplet facilitation amplitude", "nonnegative"),
        Parameter("Aminus_triplet", 2.3e-4, "weight", "triplet depression amplitude", "nonnegative"),
        Parameter("w_max", 100.0, "weight", "largest weight magnitude (the weights' sign)", "finite"),
    )
    pre_variables = (StateVariable("x", "1", 0.0, "K+ just before the last presynaptic spike"),
                     StateVariable("x3", "1", 0.0, "K3+ just before the last presynaptic spike"))
    post_variables = (StateVariable("y", "1", 0.0, "K- just before the last postsynaptic spike"),
                      StateVariable("y3", "1", 0.0, "K3- just before the last postsynaptic spike"))
    on_pre = staticmethod(triplet_on_pre)
    on_post = staticmethod(triplet_on_post)
    pre_spike = staticmethod(triplet_pre_spike)
    post_spike = staticmethod(triplet_post_spike)
    pre_read = staticmethod(triplet_pre_read)
    pre_reads = ("kplus", "k3plus")
    post_read = staticmethod(triplet_post_read)
    post_reads = ("kminus", "k3minus")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if self.params["w_max"] == 0.0:
            raise ValueError(f"{self.name}: w_max=0.0 is not allowed; it must be a non-zero finite number (weight "
                             f"unit), whose sign is the weights' sign")

    def check_weights(self, weights: np.ndarray, what: str) -> None:
        _check_bounded_weights(self, weights, what)


def pl_on_pre(g, kminus, lambda_, alpha):
    """NEST ``stdp_pl_synapse_hom`` depression: w - lambda alpha w K-, at least 0."""
    w = g - lambda_ * alpha * g * kminus
    w = w if w > 0.0 else 0.0
    return w, w


def pl_on_post(g, kplus, lambda_, mu):
    """Facilitation: w + lambda w^mu K+ (no upper bound)."""
    return g + lambda_ * math.pow(g, mu) * kplus  # vmath.pow under vector math


class PowerLawSTDP(WeightUpdateModel):
    """STDP with a power-law weight dependence of facilitation (Morrison et al. 2007), NEST
    ``stdp_pl_synapse_hom``, as in NEST's HPC benchmark.

    A postsynaptic spike reaching the synapse facilitates, ``w <- w + lambda_ w^mu K+``; a
    presynaptic spike depresses, ``w <- max(0, w - lambda_ alpha w K-)``; traces, timing, the
    dendritic delay and simultaneous spikes as in :class:`STDP`. Weights are >= 0 and have
    no upper bound.

    Parameters
    ----------
    tau_plus, tau_minus : float, ms
        Trace time constants (> 0; NEST: 20, and the neuron's tau_minus, 20).
    lambda_ : float
        Learning rate (>= 0; NEST: 0.1).
    alpha : float
        Depression relative to facilitation (>= 0; NEST: 1).
    mu : float
        Exponent of the weight dependence of facilitation (>= 0; NEST: 0.4).
    """

    parameters = (
        Parameter("tau_plus", 20.0, "ms", "presynaptic trace time constant", "positive"),
        Parameter("tau_minus", 20.0, "ms", "postsynaptic trace time constant", "positive"),
        Parameter("lambda_", 0.1, "1", "learning rate", "nonnegative"),
        Parameter("alpha", 1.0, "1", "depression relative to facilitation", "nonnegative"),
        Parameter("mu", 0.4, "1", "weight dependence exponent of facilitation", "nonnegative"),
    )
    pre_variables = STDP.pre_variables
    post_variables = STDP.post_variables
    on_pre = staticmethod(pl_on_pre)
    on_post = staticmethod(pl_on_post)
    pre_spike = staticmethod(stdp_pre_spike)
    post_spike = staticmethod(stdp_post_spike)
    pre_read = staticmethod(stdp_pre_read)
    pre_reads = ("kplus",)
    post_read = staticmethod(stdp_post_read)
    post_reads = ("kminus",)

    def check_weights(self, weights: np.ndarray, what: str) -> None:
        w = np.asarray(weights, dtype=np.float64)
        if w.size and w.min() < 0:
            raise ValueError(f"{what}: weight {float(w.min())!r} is negative; {self!r} takes weights >= 0 "
                             f"(NEST stdp_pl_synapse_hom: w^mu)")


# -- short-term plasticity ----------------------------------------------------------------------
def tsodyks2_next(u, x, dt_pre, U, tau_rec, tau_fac):
    """NEST ``tsodyks2_synapse``: u and x at a spike ``dt_pre`` ms after the last one (Maass &
    Markram 2002, eqs. 4-5); before the first spike (dt_pre about 1e11 dt) u = U, x = 1."""
    x_decay = math.exp(-dt_pre / tau_rec)
    u_decay = 0.0 if tau_fac == 0.0 else math.exp(-dt_pre / tau_fac)
    return U + u * (1.0 - U) * u_decay, 1.0 + (x - x * u - 1.0) * x_decay


def tsodyks2_on_pre(g, u, x, dt_pre, U, tau_rec, tau_fac):
    """The spike transmits x u g (u and x of this spike); the weight does not change."""
    un, xn = tsodyks2_next(u, x, dt_pre, U, tau_rec, tau_fac)
    return xn * un * g, g


def tsodyks2_pre_spike(u, x, dt_pre, U, tau_rec, tau_fac):
    return tsodyks2_next(u, x, dt_pre, U, tau_rec, tau_fac)


class TsodyksMarkram(WeightUpdateModel):
    """Short-term depression and facilitation, NEST ``tsodyks2_synapse`` (Tsodyks & Markram
    1997; Maass & Markram 2002).

    Each presynaptic neuron keeps the utilisation ``u`` and the available resources ``x``,
    updated exactly at its spikes (all synapses of a neuron see the same train, so NEST's
    per-synapse u and x are equal across them; fastspike keeps them once per neuron): at a
    spike ``h`` ms after the previous one ::

        x <- 1 + (x - x u - 1) exp(-h / tau_rec)
        u <- U + u (1 - U) exp(-h / tau_fac)      (tau_fac = 0: u <- U)

    and the spike transmits ``x u g`` (the new u and x; at the first spike u = U, x = 1). The
    weight g itself never changes. ``tau_fac = 0`` (the default) gives a depressing synapse;
    a small ``U`` and a long ``tau_fac`` a facilitating one.

    Parameters
    ----------
    U : float
        Utilisation increment, in (0, 1] (NEST: 0.5).
    tau_rec : float, ms
        Recovery time constant of the resources (> 0; NEST: 800).
    tau_fac : float, ms
        Facilitation time constant (>= 0; 0 disables facilitation; NEST: 0).
    """

    parameters = (
        Parameter("U", 0.5, "1", "utilisation increment, in (0, 1]", "positive"),
        Parameter("tau_rec", 800.0, "ms", "recovery time constant", "positive"),
        Parameter("tau_fac", 0.0, "ms", "facilitation time constant (0: none)", "nonnegative"),
    )
    pre_variables = (StateVariable("u", "1", "U", "utilisation at the last presynaptic spike"),
                     StateVariable("x", "1", 1.0, "available resources at the last presynaptic spike"))
    on_pre = staticmethod(tsodyks2_on_pre)
    pre_spike = staticmethod(tsodyks2_pre_spike)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not 0.0 < self.params["U"] <= 1.0:
            raise ValueError(f"{self.name}: U={self.params['U']!r} is not allowed; it must be in (0, 1]")

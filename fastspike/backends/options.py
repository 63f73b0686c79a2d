"""Backend options: what a user may choose about how a backend runs a network.

``fs.Network(backend=...)`` takes a name (``"cpu"``, ``"cuda"``) or one of these objects. With
a name, the options come from the environment (``$FASTSPIKE_CUDA_LAUNCH``,
``$FASTSPIKE_CUDA_LANES``: an override for benchmarks that run an unchanged script), read
here once, when the network is created; code generation never reads the environment.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["CPU", "CUDA", "LAUNCH_MODES", "LANES_ENV", "LAUNCH_ENV", "lanes_asked", "launch_asked", "options_of"]

LAUNCH_MODES = ("steps", "stages")
"""``steps``: one cooperative launch per chunk of steps; ``stages``: one launch per stage."""
LAUNCH_ENV = "FASTSPIKE_CUDA_LAUNCH"
LANES_ENV = "FASTSPIKE_CUDA_LANES"
MAX_LANES = 1024


def lanes_asked(text: str) -> int | None:
    """The lanes per spike that ``text`` (a value of ``$FASTSPIKE_CUDA_LANES``) fixes: None for
    "auto" or nothing, else a power of two from 1 to 1024 (ValueError otherwise)."""
    asked = text.strip().lower()
    if asked in ("", "auto"):
        return None
    lanes = int(asked) if asked.isdigit() else 0
    if not (1 <= lanes <= MAX_LANES and lanes & (lanes - 1) == 0):
        raise ValueError(f"{LANES_ENV}={asked!r}: expected 'auto' or a power of two from 1 to {MAX_LANES}")
    return lanes


def launch_asked(text: str) -> str | None:
    """The launch mode ``text`` (a value of ``$FASTSPIKE_CUDA_LAUNCH``) asks for, or None."""
    mode = text.strip() or None
    if mode is not None and mode not in LAUNCH_MODES:
        raise ValueError(f"{LAUNCH_ENV}={mode!r}: expected one of {', '.join(LAUNCH_MODES)}")
    return mode


@dataclass(frozen=True)
class CPU:
    """The CPU backend's options (Numba ``@njit``); its threads are ``fs.Network(threads=)``.

    Parameters
    ----------
    vector_math : bool
        Compile the models' equations and plasticity rules with :mod:`fastspike.vmath`'s
        ``exp``, ``expm1``, ``log`` (deterministic, at most 1 ulp from the exact value) and
        ``pow`` (``x >= 0``, within ``2 |y ln x| + 2`` ulp) in place of the C library's
        ``math.exp``, ``math.expm1``, ``math.log`` and ``math.pow`` (also in the exponential
        Euler step; the ``**`` operator keeps the C library's ``pow``), and the step
        and equations with Numba's ``error_model="numpy"`` (a float division by zero gives
        inf or nan instead of raising), so that LLVM can vectorize the neuron loops of models
        that call ``exp`` (Hodgkin-Huxley, AdEx). Spikes stay the same for any threads and
        chunking; they may differ from a run without it where a value differs in its last bit.
    """

    vector_math: bool = False
    name = "cpu"

    def __post_init__(self) -> None:
        if not isinstance(self.vector_math, bool):
            raise ValueError(f"CPU: vector_math={self.vector_math!r}; choose True or False")


@dataclass(frozen=True)
class CUDA:
    """The CUDA backend's options.

    Parameters
    ----------
    launch : {"steps", "stages"} or None
        ``"steps"``: one cooperative launch runs a chunk of steps (grid barriers between the
        stages); ``"stages"``: one launch per stage of each step; None: ``"steps"`` where the
        GPU allows it, else ``"stages"`` (with a warning).
    lanes : int or None
        Threads that deliver one spike of a projection (a power of two from 1 to 1024); None
        chooses per projection, about 4 synapses of an average row per lane.
    """

    launch: str | None = None
    lanes: int | None = None
    name = "cuda"

    def __post_init__(self) -> None:
        if self.launch is not None and self.launch not in LAUNCH_MODES:
            raise ValueError(f"CUDA: launch={self.launch!r}; choose one of {', '.join(map(repr, LAUNCH_MODES))} "
                             f"or None")
        if self.lanes is not None:
            ok = isinstance(self.lanes, int) and not isinstance(self.lanes, bool) and 1 <= self.lanes <= MAX_LANES \
                and self.lanes & (self.lanes - 1) == 0
            if not ok:
                raise ValueError(f"CUDA: lanes={self.lanes!r}; choose a power of two from 1 to {MAX_LANES}, or None")

    @classmethod
    def from_environment(cls) -> "CUDA":
        """The options ``$FASTSPIKE_CUDA_LAUNCH`` and ``$FASTSPIKE_CUDA_LANES`` ask for."""
        return cls(launch_asked(os.environ.get(LAUNCH_ENV, "")), lanes_asked(os.environ.get(LANES_ENV, "")))


def options_of(backend) -> CPU | CUDA:
    """The options object of ``backend`` (a name, or an options object)."""
    if isinstance(backend, (CPU, CUDA)):
        return backend
    if backend == "cuda":
        return CUDA.from_environment()
    return CPU()

"""A user's own model, written in a script (issue 18, part 1).

Each mistake of the issue was first reproduced on the code before the fix, where it ended in a
Numba error pointing into a generated cache file (or a bare KeyError / AttributeError) at
``run()``. Now it is refused when the class is defined or when a population of it is made,
with a TypeError naming the function, the argument and what is allowed; no Numba frame.
"""
from __future__ import annotations

import importlib.util
import inspect
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import fastspike as fs
from _cached_runs import run_twice_on_one_cache
from fastspike.models import checks

ROOT = Path(__file__).resolve().parents[1]


def refused(match, fn):
    """``fn()`` raises a TypeError matching ``match`` from fastspike itself (no Numba frame)."""
    with pytest.raises(TypeError, match=match) as info:
        fn()
    assert not type(info.value).__module__.startswith("numba")
    for entry in info.traceback:
        assert "/numba/" not in str(entry.path).replace("\\", "/"), entry.path
        assert "fs_step_" not in str(entry.path)
    return info.value


def one_variable(dynamics=None, reset=None, **attrs):
    """A one-variable leaky model whose pieces a test replaces."""

    def leak(v, I, tau):
        return ((-v + I) / tau,)

    def keep(v, v_r):
        return (v_r,)

    body = dict(parameters=(fs.Parameter("tau", 10.0, "ms", "", "positive"), fs.Parameter("v_r", 0.0, "mV")),
                state_variables=(fs.StateVariable("v", "mV", 0.0),),
                dynamics=staticmethod(dynamics or leak), threshold=staticmethod(lambda v: v > 1.0),
                reset=staticmethod(reset or keep))
    body.update(attrs)
    return type("Leaky", (fs.Model,), body)


# --------------------------------------------------------------------------------------------
# the public names and the documented example
# --------------------------------------------------------------------------------------------
def test_declarations_are_exported_at_the_top_level():
    from fastspike.models import base

    for name in ("Model", "Parameter", "StateVariable", "Option"):
        assert getattr(fs, name) is getattr(base, name) and name in fs.__all__


def _readme_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Writing your own model", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs_as_written():
    """The README's complete example (an exponential integrate-and-fire model) runs at 1000
    neurons and fires; its model passes every check."""
    import types

    module = types.ModuleType("readme_example")  # as a script's __main__: an importable module
    sys.modules[module.__name__] = module
    ns = module.__dict__
    exec(compile(_readme_block(), "README.md", "exec"), ns)
    spikes = ns["spikes"]
    assert ns["pop"].n == 1000 and len(spikes) > 1000
    assert 5.0 < spikes.rate() < 200.0


def test_example_script_runs():
    proc = subprocess.run([sys.executable, "own_model.py", "--n", "200", "--duration", "200"], cwd=ROOT / "examples",
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = re.search(r"EIF: 200 neurons, (\d+) spikes, mean rate ([\d.]+) Hz", proc.stdout)
    assert m and int(m.group(1)) > 0, proc.stdout


# --------------------------------------------------------------------------------------------
# return shapes: the equations called once on scalars when the population is made
# --------------------------------------------------------------------------------------------
def test_one_variable_dynamics_returning_a_float_is_refused_with_the_fix():
    """Was: numba TypingError 'failed to unpack float64' in fs_step_<hash>.py at run()."""
    Model = one_variable(dynamics=lambda v, I, tau: (-v + I) / tau)
    net = fs.Network(dt=0.1)
    refused(r"Leaky\.dynamics returned a float for a model with 1 state variable \(v\); it must return a tuple of 1 "
            r"value: the time derivative.*write `return dv,`", lambda: net.population(Model(), n=3))
    assert net.populations == []


def test_one_variable_reset_returning_a_float_is_refused():
    Model = one_variable(reset=lambda v, v_r: v_r)
    refused(r"Leaky\.reset returned a float.*tuple of 1 value: every state variable after a spike",
            lambda: fs.Network().population(Model(), n=3))


def test_too_many_values_are_refused():
    """Was: a Numba tuple-length error at run()."""
    Model = one_variable(dynamics=lambda v, I, tau: (-v / tau, I, 0.0))
    refused(r"Leaky\.dynamics returned 3 values for a model with 1 state variable \(v\); it must return 1",
            lambda: fs.Network().population(Model(), n=3))
    Model = one_variable(reset=lambda v, v_r: (v_r, v_r))
    refused(r"Leaky\.reset returned 2 values", lambda: fs.Network().population(Model(), n=3))


def test_threshold_returning_a_tuple_is_refused():
    Model = one_variable(threshold=staticmethod(lambda v: (v > 1.0,)))
    refused(r"Leaky\.threshold returned a tuple of 1; it must return one truth value",
            lambda: fs.Network().population(Model(), n=3))


def test_linear_of_the_wrong_length_is_refused():
    Model = one_variable(linear=staticmethod(lambda tau: (-1.0 / tau, 0.0)), integrators=("exact", "euler"),
                         default_integrator="exact")
    refused(r"Leaky\.linear returned 2 values.*it must return 3: \(a, x0, c\)",
            lambda: fs.Network().population(Model(), n=3))


# --------------------------------------------------------------------------------------------
# declarations: refused when the class is defined
# --------------------------------------------------------------------------------------------
def test_refractory_without_t_ref_is_refused_at_class_definition():
    """Was: a bare KeyError: 't_ref' at run()."""
    refused(r"Leaky\.refractory = True needs a parameter 't_ref' \(ms\): declare fs\.Parameter\('t_ref'",
            lambda: one_variable(refractory=True))


def test_exact_without_linear_is_refused_at_class_definition():
    """Was: AttributeError: 'NoneType' object has no attribute '__code__' at run()."""
    refused(r"Leaky lists the integrator 'exact' but defines no linear function \(\(a, x0, c\) for every state "
            r"variable.*remove 'exact'", lambda: one_variable(integrators=("exact", "euler"), default_integrator="exact"))
    refused(r"'exponential_euler' but defines no conditionally_linear",
            lambda: one_variable(integrators=("euler", "exponential_euler"), default_integrator="euler"))
    refused(r"'rk45' is not an integrator; known: 'exact', 'euler'", lambda: one_variable(integrators=("rk45",)))
    refused(r"default_integrator = 'rk2' is not one of its integrators \('euler',\)",
            lambda: one_variable(integrators=("euler",)))


def test_argument_name_typo_is_refused_at_class_definition_listing_the_allowed_names():
    """Was: caught only at run(), without the allowed names."""
    err = refused(r"Leaky\.dynamics: argument 'tau_mem' is not a state variable, parameter or option of Leaky, nor 'I' "
                  r"or 'dt'; allowed: v, tau, v_r, I, dt", lambda: one_variable(dynamics=lambda v, I, tau_mem: (v,)))
    assert "run" not in str(err)


def test_numpy_in_equation_code_is_refused_with_the_math_remedy():
    """Was: accepted on the CPU although only math compiles for the GPU."""
    def np_dynamics(v, I, tau):
        return (np.exp(-v) / tau + I,)

    refused(r"Leaky\.dynamics \(np_dynamics\), line \d+: np\.exp \(numpy\) is not allowed in equation code: only the "
            r"math module compiles for both the CPU and the GPU \(use math\.exp\)", lambda: one_variable(np_dynamics))

    def helper(x):
        return np.tanh(x)

    def calls_helper(v, I, tau):
        return ((helper(v) + I) / tau,)

    refused(r"Leaky\.dynamics \(calls_helper\) -> helper, line \d+: np\.tanh", lambda: one_variable(calls_helper))


@pytest.mark.parametrize("body, match", [
    ("return ([v, I][0] / tau,)", r"a list is not allowed"),
    ("return (len((v, I)) / tau,)", r"the builtin len\(\) is not allowed.*abs, bool, float, int, max, min, range, round"),
    ("return (math.factorial(3) * v / tau,)", r"math\.factorial is not one of the math functions"),
    ("return (undefined_helper(v) / tau,)", r"name 'undefined_helper' is not defined"),
    ("return (numba_fn(v) / tau,)", r"numba_fn is a Numba-compiled function; call the plain Python function"),
    ("return (ARRAY[0] * v / tau,)", r"ARRAY \(NumPy's ndarray\) is not allowed"),
])
def test_what_cuda_cannot_compile_is_refused(body, match, tmp_path):
    path = tmp_path / "user_eq.py"
    path.write_text("import math\nimport numba\nimport numpy as np\n\nnumba_fn = numba.njit(lambda x: x)\n"
                    f"ARRAY = np.ones(3)\n\n\ndef dyn(v, I, tau):\n    {body}\n")
    spec = importlib.util.spec_from_file_location("user_eq", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    refused(match, lambda: checks.check_device_code(module.dyn, "M.dynamics"))


def test_functions_without_source_are_checked_from_their_bytecode():
    ns = {"np": np, "math": math}
    exec("def dyn(v, I, tau):\n    return (np.exp(v) + math.exp(I),)\n", ns)  # no source file to read
    refused(r"M\.dynamics, line \d+: np\.exp \(numpy\) is not allowed.*use math\.exp",
            lambda: checks.check_device_code(ns["dyn"], "M.dynamics"))
    exec("def ok(v, I, tau):\n    return (math.exp(-v) * abs(I) / tau,)\n", ns)
    checks.check_device_code(ns["ok"], "M.dynamics")


def test_allowed_equation_code_passes():
    def helper(x):
        """A docstring is fine."""
        y = abs(x)
        for k in range(3):
            y = max(y, float(k))
        return min(y, math.inf) if x > 0 else round(-x)

    SCALE = 2.0

    def dynamics(v, w, I, tau):
        a, b = helper(v), math.exp(-w) * SCALE
        return (a + b + I) / tau, -w / tau

    checks.check_device_code(dynamics, "M.dynamics")
    checks.check_device_code(lambda v, x: v >= x, "M.threshold")


def test_every_zoo_equation_passes_the_device_checker():
    """fastspike's own models follow the rules they impose (no exception is needed)."""
    from fastspike.equations import EQUATIONS

    models = [fs.LIF, fs.IF, fs.Lapicque, fs.QuadLIF, fs.Izhikevich, fs.AdEx, fs.FitzHughNagumo, fs.HodgkinHuxley,
              fs.ResonateAndFire, fs.SLIF, fs.WTAS]
    checked = 0
    for cls in models:
        for key in EQUATIONS:
            fn = getattr(cls, key, None)
            if fn is not None:
                checks.check_device_code(fn, f"{cls.__name__}.{key}")
                checked += 1
    assert checked >= 35


def test_other_declaration_mistakes():
    refused(r"Leaky\.parameters must be a tuple of fs\.Parameter", lambda: one_variable(parameters=("tau",)))
    refused(r"'v' is declared twice", lambda: one_variable(parameters=(fs.Parameter("v", 1.0, "mV"),)))
    refused(r"state variable 'v' starts at 'v0', which is not a parameter",
            lambda: one_variable(state_variables=(fs.StateVariable("v", "mV", "v0"),)))
    refused(r"NoReset defines no reset function \(every state variable after a spike",
            lambda: type("NoReset", (fs.Model,), dict(state_variables=(fs.StateVariable("v", "mV", 0.0),),
                                                      dynamics=staticmethod(lambda v: (v,)),
                                                      threshold=staticmethod(lambda v: v > 1.0))))
    refused(r"arguments are matched by name.*no defaults",
            lambda: one_variable(dynamics=lambda v, I, tau=1.0: (v,)))


def test_plain_functions_are_accepted_without_staticmethod():
    def dyn(v, I, tau):
        return ((I - v) / tau,)

    Model = one_variable()
    Model2 = type("Plain", (Model,), {"dynamics": dyn})
    assert Model2.dynamics is dyn and Model2().dynamics is dyn


def test_state_variable_named_like_a_population_attribute_still_refused_at_population():
    Model = one_variable(state_variables=(fs.StateVariable("v", "mV", 0.0), fs.StateVariable("n", "1", 0.0)),
                         dynamics=lambda v, n, I: (-v + I, -n), reset=lambda v, n: (0.0, n))
    with pytest.raises(ValueError, match="state variable 'n'"):
        fs.Network().population(Model(), n=2)


# --------------------------------------------------------------------------------------------
# the constructor's signature
# --------------------------------------------------------------------------------------------
def test_constructors_expose_their_parameters():
    """Every model's signature was (**kwargs)."""
    sig = inspect.signature(fs.LIF)
    assert list(sig.parameters)[:3] == ["tau_m", "R", "v_rest"] and "reset" in sig.parameters
    assert sig.parameters["tau_m"].default is inspect.Parameter.empty  # required
    assert sig.parameters["R"].default == 1.0 and sig.parameters["reset"].default == "value"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in sig.parameters.values())
    assert list(inspect.signature(fs.AdEx).parameters)[0] == "preset"
    assert "g_L" not in inspect.signature(fs.IF).parameters
    assert list(inspect.signature(fs.Lapicque).parameters) == ["R", "C", "threshold", "t_ref", "reset"]
    assert list(inspect.signature(fs.PoissonSource).parameters) == ["rate", "times"]  # its own __init__
    Model = one_variable()
    assert str(inspect.signature(Model)) == "(*, tau: float | numpy.ndarray = 10.0, v_r: float | numpy.ndarray = 0.0)"
    assert "tau_m" in fs.LIF.__signature__.parameters
    import pydoc

    assert "tau_m: float | numpy.ndarray, R: float | numpy.ndarray = 1.0" in pydoc.plain(pydoc.render_doc(fs.LIF))


# --------------------------------------------------------------------------------------------
# the cache key: the equations' own code, not the whole file
# --------------------------------------------------------------------------------------------
MODULE = textwrap.dedent('''
    import math

    GAIN = {gain}


    def unrelated():  # {comment}
        return {unrelated}


    def helper(x):
        # {comment}
        return math.exp(-x) * GAIN


    def dynamics(v, I, tau):
        """{comment}"""
        return ((helper(v) - v + I) / tau,)  # {comment}
''')


def _load(tmp_path, name, **fields):
    values = dict(gain=1.0, comment="a comment", unrelated=1)
    values.update(fields)
    path = tmp_path / f"{name}.py"
    path.write_text(MODULE.format(**values))
    spec = importlib.util.spec_from_file_location("user_model", path)  # the same module name each time
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dynamics


def test_cache_key_ignores_comments_and_the_rest_of_the_file(tmp_path):
    """Was: the key hashed the whole source file, so editing a comment recompiled the model."""
    from fastspike.backends.cpu.compiler import _dependency_key

    base = _dependency_key(_load(tmp_path, "a"))
    assert _dependency_key(_load(tmp_path, "b", comment="edited, and longer")) == base
    assert _dependency_key(_load(tmp_path, "c", unrelated=2)) == base  # another function of the file
    assert _dependency_key(_load(tmp_path, "d", gain=2.0)) != base  # a constant the helper reads
    changed = tmp_path / "e.py"
    changed.write_text(MODULE.format(gain=1.0, comment="x", unrelated=1).replace("math.exp(-x)", "math.exp(x)"))
    spec = importlib.util.spec_from_file_location("user_model", changed)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert _dependency_key(module.dynamics) != base  # the helper's code


SCRIPT = textwrap.dedent('''
    import fastspike as fs  # {comment}

    def dyn(v, I, tau):
        return ((I - v) / tau,)

    class Leak(fs.Model):
        parameters = (fs.Parameter("tau", {tau}, "ms", "", "positive"),)
        state_variables = (fs.StateVariable("v", "mV", 0.0),)
        dynamics = staticmethod(dyn)
        threshold = staticmethod(lambda v: v > 1.0)
        reset = staticmethod(lambda v: (0.0,))

    net = fs.Network(dt=0.1)
    pop = net.population(Leak(), n=3)
    net.current(pop, 2.0)
    rec = net.record(pop, "spikes")
    net.run(20.0)
    print("spikes", len(rec))
''')


def test_editing_a_comment_of_the_script_reuses_the_compiled_model(tmp_path):
    """The same script run twice in fresh processes, a comment edited in between: one generated
    module in the cache. Changing a parameter value (not the code) reuses it too."""
    cache = tmp_path / "cache"
    script = tmp_path / "user.py"
    env = {**__import__("os").environ, "FASTSPIKE_CACHE_DIR": str(cache)}
    outputs = []
    for comment, tau in (("first", 5.0), ("edited comment", 5.0), ("edited comment", 7.0)):
        script.write_text(SCRIPT.format(comment=comment, tau=tau))
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        outputs.append(proc.stdout)
        assert len(list(cache.rglob("fs_step_*.py"))) == 1
    assert outputs[0] == outputs[1] and outputs[0].startswith("spikes ")


EXEC_SCRIPT = textwrap.dedent('''
    import types
    import fastspike as fs

    code = """
    import fastspike as fs

    def dyn(v, I, tau):
        return ((I - v) / tau,)

    class Leak(fs.Model):
        parameters = (fs.Parameter("tau", 5.0, "ms", "", "positive"),)
        state_variables = (fs.StateVariable("v", "mV", 0.0),)
        dynamics = staticmethod(dyn)
        threshold = staticmethod(lambda v: v > 1.0)
        reset = staticmethod(lambda v: (0.0,))
    """
    module = types.ModuleType("made_by_exec")  # never registered in sys.modules
    exec(code, module.__dict__)
    net = fs.Network(dt=0.1)
    pop = net.population(module.Leak(), n=3)
    net.current(pop, 2.0)
    rec = net.record(pop, "spikes")
    net.run(20.0)
    print("spikes", len(rec))
''')


def test_a_model_from_a_module_that_cannot_be_imported_loads_from_the_cache(tmp_path):
    """A model defined in code run by ``exec`` (its module is not in ``sys.modules``): the
    second process loads the cached program (Numba rebuilds a cached function's environment
    by importing its module by name) and gives the same spikes: a leaky integrator driven by
    I = 2 from 0 reaches 1 after tau ln 2 = 3.47 ms, so 20 ms hold 5 spikes per neuron."""
    outputs = run_twice_on_one_cache(tmp_path, EXEC_SCRIPT, "user.py")
    assert outputs[0] == outputs[1] == "spikes 15\n"
    assert list((tmp_path / "numba").rglob("*.nbi"))  # the program was cached, then loaded

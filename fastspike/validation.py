"""One place that decides what a number is, for the whole public API.

Every constructor and method that takes a number, a count or an array of numbers from the
user goes through the helpers below, so that the same values are accepted everywhere:

- accepted: Python ``int`` and ``float``, NumPy integer and floating scalars
  (``np.float32(5.0)``, ``np.int64(3)``), 0-d arrays of those, and other real numbers
  (``fractions.Fraction``);
- refused with a ``TypeError`` (:class:`NotANumber`, also a ``ValueError``): ``bool`` and ``np.bool_`` (``True`` is not a time constant),
  complex numbers, strings (``tau_m='20'``), bytes, ``None`` where a value is required,
  dates and durations (``datetime``, ``np.datetime64``, ``np.timedelta64``), other objects;
- refused with a ``ValueError``: NaN and infinities unless allowed, values out of range,
  non-integral values where a count is needed, counts that do not fit the engine's integers.

Messages name the owner (``ExpCurrent``, ``connect``), the argument, the value given and what
is allowed, e.g. ``ExpCurrent: tau='5' is not a number; it must be a finite number > 0 (ms)``.
"""
from __future__ import annotations

import datetime
import math
import numbers
from typing import Any

import numpy as np

__all__ = ["number", "integer", "real_array", "integer_array", "is_number", "MAX_STEPS", "steps_of",
           "NotANumber"]

MAX_STEPS = 1 << 53
"""The most steps a time may count (the engine's step counters are int64; times ``k dt`` are
exact float64 multiples of ``dt`` up to 2^53 steps: 28 000 years at dt = 0.1 ms)."""

_DATES = (datetime.date, datetime.time, datetime.timedelta, np.datetime64, np.timedelta64)


class NotANumber(TypeError, ValueError):
    """A value that is not a real number where one is required; ``reason`` says what it is
    ("a string", "complex numbers", ...). A ``TypeError``, and also a ``ValueError`` (what
    some of these refusals raised before there was one helper), so either ``except`` works."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


def _kind(value: Any) -> str | None:
    """Why ``value`` is not a real number (None when it is one)."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return "a boolean"
    if isinstance(value, _DATES):
        return "a date or duration"
    if isinstance(value, (str, bytes)):
        return "a string"
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            return f"an array of shape {value.shape}"
        return _kind(value[()])
    if isinstance(value, (np.integer, np.floating)):
        return None
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        return "a complex number"
    if isinstance(value, complex) or isinstance(value, np.complexfloating):
        return "a complex number"
    if isinstance(value, numbers.Real):
        return None
    return f"of type {type(value).__name__}"


def is_number(value: Any) -> bool:
    """True for a real number (see the module docstring), False for anything else."""
    return _kind(value) is None


def _describe(finite: bool, low, high, low_open: bool, high_open: bool, unit: str, what: str = "number") -> str:
    article = "a " if what == "number" else ""
    parts = [f"{article}{'finite ' if finite else ''}{what}"]
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    text = " ".join(parts[:1]) + (" " + " and ".join(parts[1:]) if len(parts) > 1 else "")
    return text + (f" ({unit})" if unit else "")


def number(value: Any, name: str, owner: str, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False, finite: bool = True, unit: str = "",
           none: bool = False) -> float | None:
    """``value`` as a float, or a clear error.

    Parameters
    ----------
    value : the user's value
    name, owner : str
        Named in the message: ``f"{owner}: {name}={value!r} ..."``.
    low, high : float, optional
        Bounds; ``low_open`` / ``high_open`` exclude them.
    finite : bool
        Refuse NaN and infinities (else only NaN is refused).
    unit : str
        Shown after what is allowed.
    none : bool
        Accept None (returned as is).

    Raises
    ------
    TypeError
        ``value`` is not a real number (a string, a bool, complex, a date, None, ...).
    ValueError
        It is one, but NaN, infinite (when ``finite``) or out of bounds.
    """
    allowed = _describe(finite, low, high, low_open, high_open, unit)
    if value is None and none:
        return None
    why = _kind(value)
    if why is not None:
        raise NotANumber(f"{owner}: {name}={value!r} is not a number ({why}); it must be {allowed}", why)
    x = float(value)
    bad = math.isnan(x) or (finite and math.isinf(x))
    if low is not None:
        bad = bad or (x <= low if low_open else x < low)
    if high is not None:
        bad = bad or (x >= high if high_open else x > high)
    if bad:
        raise ValueError(f"{owner}: {name}={value!r} is not allowed; it must be {allowed}")
    return x


def integer(value: Any, name: str, owner: str, *, low: int | None = None, high: int | None = None,
            unit: str = "") -> int:
    """``value`` as a Python int (an ``int`` or NumPy integer; not a float, not a bool).

    Raises
    ------
    TypeError
        Not an integer type (a float such as 2.5 is a ValueError: a number, but not a count).
    ValueError
        Out of ``[low, high]``.
    """
    allowed = "an integer" + (f" >= {low}" if low is not None else "") + \
        (f"{' and' if low is not None else ''} <= {high}" if high is not None else "") + (f" ({unit})" if unit else "")
    why = _kind(value)
    if why is not None:
        raise NotANumber(f"{owner}: {name}={value!r} is not a number ({why}); it must be {allowed}", why)
    if isinstance(value, np.ndarray):
        value = value[()]
    if not isinstance(value, (int, np.integer)):
        raise ValueError(f"{owner}: {name}={value!r} is not allowed; it must be {allowed}")
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise ValueError(f"{owner}: {name}={value!r} is not allowed; it must be {allowed}")
    return v


def _array_kind(arr: np.ndarray) -> str | None:
    kind = arr.dtype.kind
    if kind in "iuf":
        return None
    return {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "bytes", "M": "dates or durations",
            "m": "dates or durations", "O": "objects", "V": "records"}.get(kind, f"dtype {arr.dtype}")


def real_array(value: Any, name: str, owner: str, *, ndim: tuple[int, ...] | None = None, finite: bool = True,
               low: float | None = None, low_open: bool = False, high: float | None = None, unit: str = "",
               check: bool = True) -> np.ndarray:
    """``value`` (a number, a sequence or an array of real numbers) as a float64 array.

    With ``check=False`` only the type and the dimensions are checked (the caller checks the
    values).

    Raises
    ------
    TypeError
        Not numbers (strings, booleans, complex numbers, dates, objects, None).
    ValueError
        Wrong number of dimensions, NaN / infinite values (when ``finite``) or values out of bounds.
    """
    allowed = _describe(finite, low, high, low_open, False, unit, "numbers")
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)) or isinstance(value, _DATES):
        why = _kind(value)
        raise NotANumber(f"{owner}: {name}={value!r} is not a number or an array of numbers ({why}); "
                         f"it must be {allowed}", why)
    if isinstance(value, np.ndarray):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError) as e:
            raise NotANumber(f"{owner}: {name}={_short(value)} is not an array of numbers ({e})", str(e)) from None
    why = _array_kind(arr)
    if why == "objects":  # a list mixing Python numbers and NumPy scalars, or of other objects
        items = arr.ravel().tolist()
        bad = next((x for x in items if not is_number(x)), None)
        if bad is None and items:
            arr = np.asarray([float(x) for x in items], np.float64).reshape(arr.shape)
            why = None
        elif not items:
            arr, why = arr.astype(np.float64), None
        else:
            why = f"{bad!r} is {_kind(bad)}"
    if why is not None:
        raise NotANumber(f"{owner}: {name}={_short(value)} is not an array of numbers ({why}); it must be {allowed}",
                         why)
    if ndim is not None and arr.ndim not in ndim:
        raise ValueError(f"{owner}: {name} must have {' or '.join(map(str, ndim))} dimension(s), got shape "
                         f"{arr.shape}")
    arr = np.asarray(arr, np.float64)
    if not check:
        return arr
    ok = ~np.isnan(arr)
    if finite:
        ok &= np.isfinite(arr)
    if low is not None:
        ok &= (arr > low) if low_open else (arr >= low)
    if high is not None:
        ok &= arr <= high
    if not np.all(ok):
        bad_value = arr[~ok].ravel()[0]
        shown = repr(value) if arr.ndim == 0 else f"an array containing {bad_value!r}"
        raise ValueError(f"{owner}: {name}={shown} is not allowed; it must be {allowed}")
    return arr


def integer_array(value: Any, name: str, owner: str, *, low: int | None = 0, high: int | None = None
                  ) -> np.ndarray:
    """``value`` (a sequence or an array of integers) as an int64 array, range-checked before
    any cast, so that ``np.uint64(2**63)`` is refused instead of wrapping to a negative index.

    Raises
    ------
    TypeError
        Not integers (floats, booleans, strings, ...).
    ValueError
        Values out of ``[low, high]``.
    """
    if value is None or isinstance(value, (str, bytes)):
        raise NotANumber(f"{owner}: {name}={value!r} is not an array of integers")
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    if arr.size == 0:
        return np.zeros(arr.shape, np.int64)
    if arr.dtype.kind == "O":
        items = arr.ravel().tolist()
        if all(isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) for x in items):
            big = [int(x) for x in items]
            lo, hi = min(big), max(big)
            if (low is not None and lo < low) or (high is not None and hi > high) or lo < -(1 << 63) or hi >= 1 << 63:
                raise ValueError(f"{owner}: {name} contains {lo if low is not None and lo < low else hi}, out of "
                                 f"range [{low}, {high}]")
            return np.asarray(big, np.int64).reshape(arr.shape)
    if arr.dtype.kind not in "iu":
        raise NotANumber(f"{owner}: {name} must be integer indices, got {_array_kind(arr) or arr.dtype}")
    lo, hi = int(arr.min()), int(arr.max())  # Python ints: no wrap-around
    if (low is not None and lo < low) or (high is not None and hi > high):
        bad = lo if low is not None and lo < low else hi
        raise ValueError(f"{owner}: {name} contains {bad}, out of range [{low}, {high}]")
    return arr.astype(np.int64)


def steps_of(times: np.ndarray, dt: float, name: str, owner: str) -> np.ndarray:
    """Times (ms) as step counts (int64, rounded), refusing those beyond :data:`MAX_STEPS`
    (``times=[0, 1e20]`` would otherwise wrap to a negative step and act at once)."""
    t = np.asarray(times, np.float64)
    if t.size and float(np.max(np.abs(t))) / dt >= MAX_STEPS:
        bad = float(t.ravel()[np.argmax(np.abs(t).ravel())])
        raise ValueError(f"{owner}: {name} contains {bad!r} ms, which is {bad / dt:.3g} steps of dt = {dt:g} ms; "
                         f"times must stay below {MAX_STEPS} steps ({MAX_STEPS * dt:.3g} ms)")
    return np.rint(t / dt).astype(np.int64)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

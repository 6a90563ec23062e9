"""Input checks shared by the estimators. Each raises :class:`DataError` naming the problem."""

import warnings

import numpy as np

from .errors import DataError


def _positions(mask, limit=5):
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:limit])
    return f"[{shown}{', ...' if idx.size > limit else ''}]"


def _show(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_tensor(x):
    return type(x).__module__.split(".")[0] == "torch" and hasattr(x, "detach")


def to_float(x, name="x"):
    """`x` as a float64 ndarray (any shape), before any arithmetic; :class:`DataError` if it is not real numbers.

    bool and integer arrays (and numpy float16/float32, torch tensors of any real dtype) are converted
    to float64 first; a fixed-width integer array (int64 time stamps) with an entry above 2**53 that
    float64 cannot hold exactly is refused (its differences would be rounded silently). Complex input
    is refused (its imaginary part would be dropped silently), as are strings, dates, ``None`` and
    ragged nested lists.
    """
    if isinstance(x, np.ma.MaskedArray) and np.ma.is_masked(x):
        masked = int(np.ma.count_masked(x))
        raise DataError(
            f"{name} is a numpy masked array with {masked} masked entr{'y' if masked == 1 else 'ies'}: they "
            "would silently be used with their underlying values; drop them first (e.g. "
            f"{name}.compressed()) or fill them explicitly ({name}.filled(value))"
        )
    if _is_tensor(x):
        if x.is_complex():
            raise DataError(f"{name} must be real; got a complex tensor of dtype {x.dtype}")
        x = x.detach().cpu().double().numpy()
    if isinstance(x, (complex, np.complexfloating)):
        raise DataError(f"{name} must be real; got the complex number {x!r}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric (an array of real numbers); could not convert {_show(x)} ({exc})") from None
    kind = arr.dtype.kind
    if kind == "c":
        raise DataError(
            f"{name} must be real; got complex values (dtype {arr.dtype}), e.g. {_show(arr.ravel()[:3].tolist())}; "
            "pass the real part explicitly if that is what you mean"
        )
    if kind == "O":
        flat = arr.ravel()
        if any(isinstance(v, (complex, np.complexfloating)) for v in flat):
            raise DataError(f"{name} must be real; it contains complex numbers: {_show(x)}")
        if any(v is None for v in flat):
            raise DataError(f"{name} must be numeric (an array of real numbers); it contains None: {_show(x)}")
        if any(_is_tensor(v) for v in flat):
            flat = [v.item() if _is_tensor(v) and v.numel() == 1 else v for v in flat]
            x = np.array(flat, dtype=object).reshape(arr.shape)
    elif kind not in "biuf":
        raise DataError(
            f"{name} must be numeric (an array of real numbers); could not convert {_show(x)} of dtype {arr.dtype}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            out = np.array(arr if kind != "O" else x, dtype=np.float64)
    except OverflowError:
        big = [v for v in arr.ravel() if isinstance(v, int) and abs(v) > 2**1023]
        what = f"an integer with {len(str(abs(big[0])))} digits" if big else "a number"
        raise DataError(
            f"{name} contains {what}, beyond the float64 range (|value| < 1.8e308); rescale it (change "
            "units, or take logs) before passing it"
        ) from None
    except (TypeError, ValueError, np.exceptions.ComplexWarning) as exc:
        raise DataError(f"{name} must be numeric (an array of real numbers); could not convert {_show(x)} ({exc})") from None
    if kind in "iu":  # fixed-width integers (int64 time stamps, ids): their differences are the data
        _check_exact_integers(arr, out, name)
    elif isinstance(x, (list, tuple)) or kind == "O":
        _check_python_integers(x, out, name)
    return out


def _python_ints(x):
    """The Python ints (not bools) in a nested list/tuple/object array."""
    stack, found = [x], []
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, np.ndarray) and v.dtype.kind == "O":
            stack.extend(v.ravel().tolist())
        elif isinstance(v, int) and not isinstance(v, bool):
            found.append(v)
    return found


def _check_python_integers(x, out, name):
    """DataError if Python ints beyond 2**53 lose to float64 rounding a visible part of their spread.

    ``[2**64 + 1, 2**64 + 301]`` would become two equal floats (their difference, the data, is lost);
    ``[10**300, 10**300]`` loses only a relative eps and is accepted. Checked only when some |value|
    exceeds 2**53 (cheap otherwise).
    """
    finite = np.abs(out[np.isfinite(out)])
    if not finite.size or not finite.max() > 2.0**53:
        return
    exact_all = _python_ints(x)
    ints = [v for v in exact_all if abs(v) > 2**53]
    if not ints:
        return
    spread = max(exact_all) - min(exact_all)
    worst = max(ints, key=lambda v: abs(int(float(v)) - v))
    error = abs(int(float(worst)) - worst)
    if spread > 0 and error > 1e-8 * spread:  # identical values (spread 0) lose nothing that matters
        raise DataError(
            f"{name} contains integers above 2**53 (about 9.0e15) that float64 cannot represent exactly, e.g. "
            f"{worst} (it would become {int(float(worst))}), and the rounding ({error}) is a visible part of the "
            f"spread of the values ({spread}): differences between them would be rounded silently. Subtract an "
            f"offset in integer arithmetic first (e.g. [v - min({name}) for v in {name}])"
        )


def _check_exact_integers(arr, out, name):
    """DataError if an entry of the fixed-width integer array `arr` changed in its conversion `out` to
    float64 (possible only for |value| > 2**53). Python ints (object arrays) are exempt: 10**300 as a
    count means the real number, and its relative rounding is eps."""
    limit = 2**53
    big = (arr > limit) | ((arr < -limit) if arr.dtype.kind == "i" else False)
    if not np.any(big):
        return
    vals, fl = arr[big], out[big]
    # float64 values at or beyond 2**63 (2**64 unsigned) cannot be cast back; they are inexact anyway
    inside = (fl >= -(2.0**63)) & (fl < 2.0**63) if arr.dtype.kind == "i" else fl < 2.0**64
    back = np.zeros(vals.shape, dtype=arr.dtype)
    back[inside] = fl[inside].astype(arr.dtype)
    bad = ~inside | (back != vals)
    lossy = np.flatnonzero(big.ravel())[bad.ravel()].tolist()
    if lossy:
        v = int(arr.ravel()[lossy[0]])
        raise DataError(
            f"{name} contains {len(lossy)} integer(s) above 2**53 (about 9.0e15) in magnitude that float64 "
            f"cannot represent exactly, e.g. {v} (it would become {int(out.ravel()[lossy[0]])}): float64 no "
            "longer represents every integer there, so differences between such values would be rounded "
            f"silently. Subtract an offset in integer arithmetic first, e.g. {name} - {name}.min() (a location "
            "estimate then shifts by that offset; a variance does not change)"
        )


def as_sample(x, name="x"):
    """Return `x` as a 1-D float array of finite values, or raise :class:`DataError`."""
    arr = to_float(x, name)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D (one observation per entry), got shape {arr.shape}")
    if arr.size == 0:
        raise DataError(f"{name} is empty: the MLE needs at least one observation")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataError(
            f"{name} contains {bad.sum()} non-finite value(s) (NaN or inf) at position(s) {_positions(bad)}"
        )
    return arr


def check_support(arr, ok, family, support, name="x"):
    """Raise :class:`DataError` unless every entry satisfies the boolean mask `ok`."""
    bad = ~ok
    if bad.any():
        first = np.flatnonzero(bad)[0]
        raise DataError(
            f"{family} data must be {support}; {name} has {bad.sum()} value(s) outside the support, "
            f"first {arr[first]:g} at position {first} (all at {_positions(bad)})"
        )


def as_parameter_vector(x, name="x"):
    """Return a parameter point `x` as a new non-empty 1-D float array of finite values."""
    arr = to_float(x, name)
    if arr.ndim != 1 or arr.size == 0:
        raise DataError(f"{name} must be a non-empty 1-D array (one entry per parameter), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} must be finite, got {name} = {arr.tolist()}")
    return arr


def real_output(raw, name, dtype=float):
    """The value returned by a user callable `name` as a float array; :class:`DataError` if complex.

    ``np.asarray(z, dtype=float)`` would drop an imaginary part with only a ``ComplexWarning``.
    """
    if (_is_tensor(raw) and raw.is_complex()) or np.iscomplexobj(raw) or isinstance(raw, complex):
        shown = np.asarray(raw.detach().cpu() if _is_tensor(raw) else raw).ravel()[:3].tolist()
        raise DataError(
            f"{name} must return real numbers; it returned complex values, e.g. {_show(shown)}; "
            "return the real part (or the modulus) explicitly if that is what you mean"
        )
    if _is_tensor(raw):
        raw = raw.detach().cpu().double().numpy()
    return np.asarray(raw, dtype=dtype)


def safe_negloglik(negloglik):
    """Wrap -l(theta) for optimisers and root finders: outside the parameter space it is +inf.

    An exception (``ValueError``, ``ArithmeticError``), NaN or inf from `negloglik` all become
    +inf, silently: the caller is probing points that may lie outside the parameter space.
    """

    def f(theta):
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                raw = negloglik(np.asarray(theta, dtype=float))
        except (ValueError, ArithmeticError):
            return np.inf
        arr = real_output(raw, "negloglik")  # complex output is an error, not "outside the space"
        try:
            value = float(arr.reshape(()))
        except ValueError:
            return np.inf
        return value if np.isfinite(value) else np.inf

    return f


def is_count(arr):
    """Mask of entries that are non-negative integers (2.0 counts, 2.5 does not)."""
    return (arr >= 0) & (arr == np.floor(arr))


def check_callable(f, name, usage):
    """Raise TypeError unless `f` is callable; `usage` shows how it is called."""
    if not callable(f):
        raise TypeError(f"{name} must be a callable, {usage}; got {_show(f)} of type {type(f).__name__}")
    return f


def check_alpha(alpha, name="alpha"):
    """`alpha` as a float in the open interval (0, 1), or ValueError naming it."""
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise ValueError(
            f"{name} must be a number in (0, 1) (one minus the confidence level, e.g. 0.05); got {_show(alpha)}"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"{name} must be in (0, 1) (one minus the confidence level, e.g. 0.05); got {alpha!r}")
    return float(alpha)


def positive_int(value, name, minimum=1, error=ValueError, what=""):
    """`value` as an int >= `minimum` (numpy integers and integral floats such as 5.0 accepted; bool refused)."""
    need = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    what = f" ({what})" if what else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise error(f"{name} must be {need}{what}; got {_show(value)} of type {type(value).__name__}")
    if not (np.isfinite(value) and value == int(value) and value >= minimum):
        raise error(f"{name} must be {need}{what}; got {value!r}")
    return int(value)


class IndexDataError(DataError, IndexError):
    """A parameter index out of range: both a :class:`DataError` and an ``IndexError``."""


def check_indices(which, k, name="which"):
    """Parameter positions as a list of distinct ints in 0..k-1, or an error naming `name`.

    Negative positions are refused (not wrapped around): ``which=[-1]`` is almost always a slip.
    """
    if isinstance(which, (int, np.integer)) and not isinstance(which, (bool, np.bool_)):
        which = [which]
    try:
        items = list(which)
    except TypeError:
        raise DataError(f"{name} must be a sequence of parameter positions 0..{k - 1}; got {_show(which)}") from None
    out = []
    for j in items:
        if isinstance(j, (bool, np.bool_)) or not isinstance(j, (int, np.integer)):
            if isinstance(j, (float, np.floating)) and float(j).is_integer():
                j = int(j)
            else:
                raise DataError(
                    f"{name} must contain integer parameter positions 0..{k - 1}; got {_show(j)} in {_show(which)}"
                )
        j = int(j)
        if not 0 <= j < k:
            raise IndexDataError(
                f"{name} entry {j} is out of range: the model has {k} parameter(s), valid positions 0..{k - 1} "
                "(negative positions are not accepted)"
            )
        if j in out:
            raise DataError(f"{name} lists parameter {j} twice ({_show(which)}); give each position once")
        out.append(j)
    if not out:
        raise DataError(f"{name} is empty; give at least one parameter position in 0..{k - 1}")
    return out


def safe_mean(arr, axis=None):
    """Mean without overflow: scaled by the largest magnitude first (exact scaling by a power of 2)."""
    m = np.max(np.abs(arr), axis=axis, keepdims=True)
    if not np.all(np.isfinite(m)):
        return np.mean(arr, axis=axis)
    scale = np.where(m > 0, np.exp2(np.floor(np.log2(np.where(m > 0, m, 1.0)))), 1.0)
    out = np.mean(arr / scale, axis=axis, keepdims=True) * scale
    return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)

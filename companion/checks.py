"""Argument checks shared by the whole library: one place, one message format.

Every check names the argument, says what was expected and shows what was
received, so a bad call fails where it is made::

    >>> check_int("window", 0, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: window must be an int >= 1 (got window=0)

A wrong *type* raises ``TypeError``, a value of the right type but out of
range raises ``ValueError``. Each check returns the value in the form the
caller works with (a Python ``int``, a NumPy array, a list of str), so a call
can sit in an assignment: ``window = check_int("window", window, minimum=1)``.

This module imports NumPy only, never Keras: the data registry and the
preparation code use it before a backend is chosen.
"""

import numbers

import numpy as np


def _type_name(value):
    return type(value).__name__


def check_int(name, value, minimum=None, maximum=None):
    """Returns ``value`` as an ``int`` within ``[minimum, maximum]``.

    ``bool`` is refused although it is an ``int`` subclass: ``units=True`` is
    a mistake, not one unit.

    Args:
        name: str. The argument's name, for the message.
        value: the value received.
        minimum: int or `None`. Smallest allowed value. Defaults to `None`.
        maximum: int or `None`. Largest allowed value. Defaults to `None`.

    Returns:
        int.

    Raises:
        TypeError: ``value`` is not an integer.
        ValueError: ``value`` is out of range.

    Example:

    >>> check_int("units", np.int64(4), minimum=1)
    4
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int (got {name}={value!r} of type {_type_name(value)})")
    if minimum is not None and maximum is not None and not minimum <= value <= maximum:
        raise ValueError(f"{name} must be an int in [{minimum}, {maximum}] (got {name}={value})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum} (got {name}={value})")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an int <= {maximum} (got {name}={value})")
    return int(value)


def check_float(name, value, minimum=None, maximum=None, open_minimum=False, open_maximum=False):
    """Returns ``value`` as a finite ``float`` within the stated bounds.

    Args:
        name: str. The argument's name.
        value: the value received (any real number but ``bool``).
        minimum, maximum: float or `None`. The bounds. Default to `None`.
        open_minimum, open_maximum: bool. Exclude the bound itself. Default
            to `False`.

    Returns:
        float.

    Example:

    >>> check_float("dropout", 0.25, minimum=0.0, maximum=1.0, open_maximum=True)
    0.25
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number (got {name}={value!r} of type {_type_name(value)})"
        )
    value = float(value)
    low = "" if minimum is None else ("(" if open_minimum else "[") + f"{minimum:g}"
    high = "" if maximum is None else f"{maximum:g}" + (")" if open_maximum else "]")
    below = minimum is not None and (value <= minimum if open_minimum else value < minimum)
    above = maximum is not None and (value >= maximum if open_maximum else value > maximum)
    if not np.isfinite(value) or below or above:
        interval = f" in {low or '(-inf'}, {high or 'inf)'}" if low or high else ""
        raise ValueError(f"{name} must be a finite number{interval} (got {name}={value!r})")
    return value


def check_bool(name, value):
    """Returns ``value`` if it is a ``bool``; ``1`` or ``"yes"`` are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool (got {name}={value!r} of type {_type_name(value)})")
    return bool(value)


def check_choice(name, value, choices):
    """Returns ``value`` if it is one of ``choices``.

    Example:

    >>> check_choice("padding", "post", ("pre", "post"))
    'post'
    """
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed} (got {name}={value!r})")
    return value


def check_text(name, text):
    """Returns ``text`` if it is a str that encodes to UTF-8.

    A lone surrogate (``"\\ud800"``, what a broken decoder leaves behind) is
    a str that no UTF-8 file or tokeniser can hold, so it is refused here.
    """
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str (got {_type_name(text)}: {text!r:.60})")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"{name} must be valid Unicode text (got a lone surrogate {text[error.start]!r} at "
            f"index {error.start}); decode the source with errors='replace'"
        ) from None
    return text


def check_texts(name, texts):
    """Returns a non-empty corpus as a list of str; one str is a corpus of one text."""
    if isinstance(texts, str):
        texts = [texts]
    elif isinstance(texts, bytes) or not hasattr(texts, "__iter__"):
        raise TypeError(
            f"{name} must be a str or an iterable of str (got {_type_name(texts)}: {texts!r:.60})"
        )
    texts = list(texts)
    for index, text in enumerate(texts):
        check_text(f"{name}[{index}]", text)
    if not any(texts):
        raise ValueError(
            f"{name} must hold at least one non-empty text (got {len(texts)} empty texts)"
        )
    return texts


def check_tokens(name, tokens):
    """Returns ``tokens`` as a list of str; a single str is refused (split it first)."""
    if isinstance(tokens, (str, bytes)):
        raise TypeError(
            f"{name} must be an iterable of str tokens, not one {_type_name(tokens)} "
            f"(got {tokens!r:.60}); split it with char_tokens(text) or word_tokens(text)"
        )
    try:
        tokens = list(tokens)
    except TypeError:
        raise TypeError(
            f"{name} must be an iterable of str tokens (got {_type_name(tokens)})"
        ) from None
    for index, token in enumerate(tokens):
        if not isinstance(token, str):
            raise TypeError(
                f"{name} must hold only str tokens (got {name}[{index}]={token!r} of "
                f"type {_type_name(token)})"
            )
    return tokens


def _index_text(where):
    return where[0] if len(where) == 1 else where


def check_ids(name, ids, size, ndim=None):
    """Returns ``ids`` as an int64 array with every id in ``[0, size)``.

    Args:
        name: str. The argument's name.
        ids: array-like of ints.
        size: int. The number of valid ids (a vocabulary size).
        ndim: int or `None`. The required rank; `None` accepts any.

    Returns:
        int64 NumPy array of the same shape.

    Example:

    >>> check_ids("ids", [[1, 2]], size=3)
    array([[1, 2]])
    """
    array = np.asarray(ids)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D (got shape {array.shape})")
    if array.dtype == np.bool_ or (array.size and not np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"{name} must hold int ids (got dtype {array.dtype})")
    array = array.astype(np.int64)
    bad = (array < 0) | (array >= size)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must be ids in [0, {size}) (got {name}[{_index_text(where)}]="
            f"{int(array[where])})"
        )
    return array


# bfloat16 (from the ml_dtypes package, what JAX and TensorFlow return under mixed_bfloat16)
# is a number NumPy does not count as one: np.issubdtype(bfloat16, np.number) is False
_EXTENSION_FLOATS = ("bfloat16",)


def is_numeric(dtype):
    """Whether a NumPy dtype holds numbers (bool, ints, floats, bfloat16)."""
    if not isinstance(dtype, np.dtype):
        raise TypeError(f"dtype must be a NumPy dtype (got {dtype!r} of type {_type_name(dtype)})")
    return np.issubdtype(dtype, np.number) or dtype == np.bool_ or dtype.name in _EXTENSION_FLOATS


def as_numeric_array(name, values):
    """Converts to a rectangular NumPy array of numbers, else raises naming ``name``.

    A bfloat16 array comes back as float32, which every NumPy function handles.
    """
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers ({error})") from None
    if array.dtype.name in _EXTENSION_FLOATS:
        return array.astype(np.float32)
    if not is_numeric(array.dtype):
        example = f"for example {array.flat[0]!r}" if array.size else "empty"
        raise TypeError(
            f"{name} must hold numbers (got an array of dtype {array.dtype}, {example})"
        )
    return array


def check_finite(name, array):
    """Raises if a float array holds NaN or infinity, naming the first bad index."""
    if np.issubdtype(array.dtype, np.inexact):
        bad = ~np.isfinite(array)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{name} must be finite (got {int(bad.sum())} NaN or infinite values, the first "
                f"at index {_index_text(first)}: {array[first]!r}); fill or interpolate "
                "missing values first"
            )
    return array


def check_rank(name, shape, ranks, layout):
    """Raises unless a tensor's ``shape`` has one of ``ranks`` dimensions.

    Args:
        name: str. The argument's name.
        shape: tuple. The shape received.
        ranks: int or tuple of int. The allowed ranks.
        layout: str. The expected layout in words, e.g. ``"(batch, time, features)"``.
    """
    ranks = (ranks,) if isinstance(ranks, int) else tuple(ranks)
    if len(shape) not in ranks:
        raise ValueError(
            f"{name} must have shape {layout} (got rank {len(shape)}, shape {tuple(shape)})"
        )
    return tuple(shape)


def check_last_dim(name, shape, expected, what):
    """Raises unless ``shape[-1]`` equals ``expected`` (unknown sizes pass).

    Args:
        name: str. The argument's name.
        shape: tuple. The shape received.
        expected: int or `None`. The required size; `None` skips the check.
        what: str. What the last axis holds, e.g. ``"features, as when the layer was built"``.
    """
    received = shape[-1] if len(shape) else None
    if expected is not None and received is not None and received != expected:
        raise ValueError(
            f"{name} must have {expected} {what} on its last axis (got shape {tuple(shape)})"
        )
    return tuple(shape)


def check_activation(name, identifier):
    """Returns the Keras activation function named by ``identifier`` (or the callable).

    The one check that needs Keras, imported here when it is called: the
    layers that call it have imported Keras already.
    """
    import keras

    if identifier is None:
        raise ValueError(f"{name} must be an activation name or a callable (got {name}=None)")
    try:
        return keras.activations.get(identifier)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"{name} must be the name of a Keras activation such as 'tanh', 'relu' or "
            f"'sigmoid', or a callable (got {name}={identifier!r})"
        ) from error


def concrete_values(tensor):
    """A tensor's values as a NumPy array, or `None` while a compiled function is traced.

    Values can be checked with a clear error only when they exist: in eager
    calls. Inside ``jit`` (JAX), ``tf.function`` (TensorFlow) or a symbolic
    build, a layer sees placeholders; this returns `None` there, and the layer
    must make a bad value loud by other means (a NaN output, say).
    """
    import keras

    if isinstance(tensor, keras.KerasTensor):  # a symbolic placeholder: shape and dtype only
        return None
    if not (keras.ops.is_tensor(tensor) or isinstance(tensor, np.ndarray)):
        raise TypeError(f"tensor must be a tensor or a NumPy array (got {_type_name(tensor)})")
    try:
        return keras.ops.convert_to_numpy(tensor)
    except (TypeError, NotImplementedError):  # a JAX tracer; a TF or torch placeholder
        return None

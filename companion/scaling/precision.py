"""Mixed precision: float32 weights, half-precision arithmetic.

Under ``keras.config.set_dtype_policy("mixed_bfloat16")`` every layer keeps
its variables in float32 (the optimizer's small updates would vanish in 16
bits) and computes in bfloat16, halving the memory of the activations and,
on a GPU or TPU, running the matrix products on the tensor cores. The
companion's layers compute softmax and losses in float32 (a sum of many
exponentials overflows float16 beyond 65,504). ``mixed_float16`` has more
mantissa but less range than ``bfloat16``, so ``fit`` wraps the optimizer
in a ``LossScaleOptimizer`` that scales the loss up before the gradients
and back down after.

Nothing here imports Keras at import time.
"""

from companion.checks import check_choice, check_float

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def set_precision(precision):
    """Sets Keras's global dtype policy to ``precision``, for the layers created next.

    Args:
        precision: str. One of :data:`PRECISIONS`.

    Returns:
        the ``keras.DTypePolicy`` now in force.
    """
    import keras

    precision = check_choice("precision", precision, PRECISIONS)
    keras.config.set_dtype_policy(precision)
    return keras.config.dtype_policy()


# the gap between 1 and the next number of each half-precision type (its machine epsilon)
_EPSILON = {"float16": 2.0**-10, "bfloat16": 2.0**-7}
_ROUNDINGS = 16  # roundings of one ulp an equality proof of a few layers may accumulate


def proof_tolerance(float32_tolerance):
    r"""The tolerance of an equality proof under the current dtype policy.

    Two implementations of one computation (ours and Keras's) round
    differently: in float32 they agree to ``float32_tolerance``; under a
    mixed policy each rounding is one unit in the last place of the half
    type, :math:`\epsilon = 2^{-10}` (float16) or :math:`2^{-7}` (bfloat16),
    so the tolerance becomes :math:`\max(\text{tol}, 16\,\epsilon)` for
    outputs of order one.

    Args:
        float32_tolerance: float > 0. The proof's tolerance in float32.

    Returns:
        float.
    """
    import keras

    float32_tolerance = check_float("float32_tolerance", float32_tolerance, minimum=0.0)
    epsilon = _EPSILON.get(keras.config.dtype_policy().compute_dtype)
    return float32_tolerance if epsilon is None else max(float32_tolerance, _ROUNDINGS * epsilon)

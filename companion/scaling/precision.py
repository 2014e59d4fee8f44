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

from companion.checks import check_choice

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

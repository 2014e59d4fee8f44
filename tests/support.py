"""Helpers shared by the tests: the one gradient helper, array conversion, checksums.

Test code may import the backends (``companion/`` may not): :func:`gradients`
differentiates with the backend's own autodiff, an independent check of the
library's layers.
"""

import hashlib

import keras
import numpy as np
from keras import ops


def to_numpy(tree):
    """Every tensor of a nested structure, flattened, as NumPy arrays."""
    return [np.asarray(ops.convert_to_numpy(t)) for t in keras.tree.flatten(tree)]


def gradients(weights, loss_fn):
    """Runs ``loss_fn()`` and differentiates it with respect to ``weights``.

    Args:
        weights: list of Keras variables.
        loss_fn: callable returning ``loss`` or ``(loss, outputs)``.

    Returns:
        ``(outputs, grads)`` as lists of NumPy arrays (``outputs`` is empty
        when ``loss_fn`` returns the loss alone). Under JAX the function is
        jitted once: eager JAX would trace every scan anew.
    """

    def split(result):
        return result if isinstance(result, tuple) else (result, [])

    backend = keras.config.backend()
    values = [w.value for w in weights]
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss, outputs = split(loss_fn())
        grads = tape.gradient(loss, values)
    elif backend == "torch":
        import torch

        loss, outputs = split(loss_fn())
        grads = torch.autograd.grad(loss, values)
    else:
        import jax

        def pure(current):
            with keras.StatelessScope(state_mapping=list(zip(weights, current, strict=True))):
                return split(loss_fn())

        (_, outputs), grads = jax.jit(jax.value_and_grad(pure, has_aux=True))(values)
    return to_numpy(outputs), to_numpy(list(grads))


def sha256_of(path):
    """The SHA-256 of a file, as the data registry records it."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def random_sequences(rng, batch=3, steps=6, features=4):
    """A float32 batch ``(batch, steps, features)`` of standard normal values."""
    return rng.normal(size=(batch, steps, features)).astype("float32")


def ragged_mask(batch=3, steps=6):
    """A mask for three kinds of sequence: full length, shorter (post-padded), one real step."""
    mask = np.ones((batch, steps), dtype=bool)
    mask[1, steps - 2 :] = False
    mask[2:, 1:] = False
    return mask


def loss_of_outputs(layer, inputs, mask=None, **call_options):
    """A loss that reaches every output and state of ``layer``, for comparing gradients.

    The loss is :math:`\\sum_k \\sum c_k \\odot o_k` over the layer's outputs
    :math:`o_k`, with fixed random coefficients :math:`c_k` that depend only
    on the output's index and shape, so two layers compared get the same loss.

    Returns:
        A callable for :func:`gradients` returning ``(loss, outputs)``.
    """

    def coefficients(shape, index):
        return np.random.default_rng(100 + index).normal(size=tuple(shape)).astype("float32")

    def loss_fn():
        outputs = keras.tree.flatten(layer(inputs, mask=mask, **call_options))
        loss = sum(
            ops.sum(o * ops.convert_to_tensor(coefficients(o.shape, k)))
            for k, o in enumerate(outputs)
        )
        return loss, outputs

    return loss_fn


def property_settings(max_examples=60):
    """Hypothesis settings for the property tests: no deadline, and no example database
    (the runs leave no .hypothesis/ folder in the repository)."""
    from hypothesis import HealthCheck, settings

    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


#: Three verses of Genesis: a tiny corpus for the tokeniser tests.
GENESIS = [
    "In the beginning God created the heaven and the earth.",
    "And the earth was without form, and void; and darkness was upon the face of the deep.",
    "And God said, Let there be light: and there was light.",
]

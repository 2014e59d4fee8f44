r"""A sequence classifier on a Transformer encoder: the model every tuning method tunes.

.. math::

    \bar h = \frac{\sum_t m_t h_t}{\max(1, \sum_t m_t)}, \qquad
    \text{logits} = W \bar h + b

where :math:`h_t` are the encoder's outputs and :math:`m_t` is 1 at real
tokens. Which weights train is the ``tuning`` method's choice
(:mod:`~companion.finetune.methods`); it is part of the configuration, so a
model loaded from a ``.keras`` file resumes training with the same weights
frozen.
"""

import keras
from keras import ops

from companion import transformer
from companion.checks import check_int, check_rank
from companion.finetune.methods import check_method, copy_pretrained, freeze, method_options


def _stack_options():
    """The encoder's own options, as the Transformer models take them."""
    return transformer.models._STACK_OPTIONS


def masked_mean(hidden, real):
    r"""The mean of ``hidden`` over real positions; a row without any gives zeros, not NaN.

    Args:
        hidden: float tensor ``(batch, time, d)``.
        real: bool tensor ``(batch, time)``, `True` at real tokens.

    Returns:
        float tensor ``(batch, d)``.

    Example:

    >>> h = np.arange(6, dtype="float32").reshape(1, 3, 2)
    >>> keras.ops.convert_to_numpy(masked_mean(h, np.array([[True, True, False]]))).tolist()
    [[1.0, 2.0]]
    """
    hidden = ops.convert_to_tensor(hidden)
    check_rank("hidden", hidden.shape, 3, "(batch, time, features)")
    weights = ops.cast(real, hidden.dtype)[..., None]  # (B, T, 1)
    total = ops.sum(hidden * weights, axis=1)  # (B, d)
    count = ops.maximum(ops.sum(weights, axis=1), 1.0)  # (B, 1)
    return total / count


@keras.saving.register_keras_serializable(package="companion")
class TextClassifier(keras.Model):
    r"""Encoder, mean over real tokens, a linear head; the weights that train depend on ``tuning``.

    Args:
        vocabulary_size: int >= 2. Number of ids (0 is padding).
        sequence_length: int >= 1. Longest input.
        num_classes: int >= 1. One logit (binary, with a sigmoid) or one per class.
            Defaults to `1`.
        tuning: str. One of :data:`~companion.finetune.METHODS`; which
            variables are trainable. Defaults to `"full"`.
        **options: the encoder's options (``hidden_dim``, ``num_layers``,
            ``num_heads``, ``intermediate_dim``, ``dropout``,
            ``normalize_first``, ``positions``, and the tuning layers
            ``lora_rank``, ``lora_alpha``, ``adapter_dim``, ``prefix_length``,
            ``prompt_length``); the rest goes to ``keras.Model``.

    Call arguments:
        ids: int tensor ``(batch, time)``, padded with 0.

    Returns:
        logits ``(batch, num_classes)``.

    Example:

    >>> model = TextClassifier(20, 8, hidden_dim=8, num_heads=2, num_layers=1)
    >>> keras.ops.convert_to_numpy(model(np.ones((2, 5), "int32"))).shape
    (2, 1)
    """

    def __init__(self, vocabulary_size, sequence_length, num_classes=1, tuning="full", **options):
        stack_options = {k: options.pop(k) for k in _stack_options() if k in options}
        super().__init__(**options)
        self.num_classes = check_int("num_classes", num_classes, minimum=1)
        self.tuning = check_method(tuning)
        self.encoder = transformer.TransformerEncoder(
            vocabulary_size,
            sequence_length,
            dtype=self.dtype_policy,
            name="encoder",
            **stack_options,
        )
        self.encoder.build((None, sequence_length))
        self.head = keras.layers.Dense(self.num_classes, dtype=self.dtype_policy, name="head")
        self.head.build((None, self.encoder.hidden_dim))
        freeze(self, self.tuning)

    def call(self, ids, training=None):
        hidden, real = self.encoder(ids, training=training)  # (B, T, d), (B, T)
        return self.head(masked_mean(hidden, real))  # (B, C)

    def get_config(self):
        config = super().get_config()
        encoder = self.encoder.get_config()
        config.update(
            {
                "vocabulary_size": self.encoder.vocabulary_size,
                "sequence_length": self.encoder.sequence_length,
                "num_classes": self.num_classes,
                "tuning": self.tuning,
                **{key: encoder[key] for key in _stack_options()},
            }
        )
        return config


def tuned_classifier(encoder, method, num_classes=1, **sizes):
    """A :class:`~companion.finetune.TextClassifier` on a copy of a pre-trained encoder.

    Args:
        encoder: a built :class:`~companion.transformer.TransformerEncoder`
            (for example a masked language model's ``encoder``).
        method: str, one of :data:`METHODS`.
        num_classes: int. Defaults to `1`.
        **sizes: ``lora_rank``, ``lora_alpha``, ``adapter_dim``,
            ``prefix_length``, ``prompt_length`` (see :func:`method_options`).

    Returns:
        the classifier, its encoder holding ``encoder``'s weights, its head
        new, frozen as ``method`` says.
    """
    if not isinstance(encoder, keras.layers.Layer) or not hasattr(encoder, "blocks"):
        raise TypeError(
            f"encoder must be a built TransformerEncoder (got {type(encoder).__name__})"
        )
    options = {
        key: value
        for key, value in encoder.get_config().items()
        if key in transformer.models._ARCHITECTURE_OPTIONS
    }
    model = TextClassifier(
        encoder.vocabulary_size,
        encoder.sequence_length,
        num_classes=num_classes,
        tuning=method,
        **options,
        **method_options(method, **sizes),
    )
    copy_pretrained(encoder, model.encoder)
    return model

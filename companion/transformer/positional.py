r"""Where a token stands: sinusoidal encodings, learned position embeddings, and the sum.

Attention by itself ignores order (permute the keys and the values together
and the output does not change), so the position is added to each token's
embedding. The sinusoidal encoding of deck ``004_…`` (Vaswani et al. 2017):

.. math::

    PE_{(pos, 2i)} = \sin\!\left(\frac{pos}{10000^{2i/d}}\right), \qquad
    PE_{(pos, 2i+1)} = \cos\!\left(\frac{pos}{10000^{2i/d}}\right)

Each pair of features turns at its own frequency, from one turn every
:math:`2\pi` positions down to one every :math:`10000 \cdot 2\pi`; it needs
no weights and extends to any length. The alternative (BERT, GPT) learns one
vector per position, :math:`P \in \mathbb{R}^{L \times d}`, up to a maximum
length :math:`L`.
"""

import keras
from keras import ops

from companion.checks import check_choice, check_float, check_int, check_rank

POSITION_KINDS = ("learned", "sinusoidal")


def _positions(length, start_index, dtype):
    return ops.cast(ops.arange(length) + start_index, dtype)  # (T,)


@keras.saving.register_keras_serializable(package="companion")
class SinusoidalPositionEncoding(keras.layers.Layer):
    r"""The fixed encoding :math:`PE_{(pos, 2i)} = \sin(pos / 10000^{2i/d})`, cos for :math:`2i+1`.

    Equal to ``keras_hub.layers.SinePositionEncoding``. Returns the encoding
    only, of the inputs' shape; add it to the embeddings yourself.

    Args:
        max_wavelength: float > 0. The 10000 of the formula. Defaults to `10000`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        inputs: float tensor ``(batch, time, d)``; only its shape is used.
        start_index: int or int tensor. Position of the first step. Defaults to `0`.

    Returns:
        float tensor of the inputs' shape.

    Example:

    >>> encoding = SinusoidalPositionEncoding()(np.zeros((1, 3, 4), "float32"))
    >>> np.round(keras.ops.convert_to_numpy(encoding)[0, 1], 3)
    array([0.841, 0.54 , 0.01 , 1.   ], dtype=float32)
    """

    def __init__(self, max_wavelength=10_000, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = check_float("max_wavelength", max_wavelength, minimum=0.0)

    def call(self, inputs, start_index=0):
        check_rank("inputs", inputs.shape, 3, "(batch, time, features)")
        length, depth = ops.shape(inputs)[1], inputs.shape[-1]
        dtype = self.compute_dtype
        position = _positions(length, start_index, dtype)[:, None]  # (T, 1)
        feature = ops.arange(depth)  # (d,)
        pair = ops.cast(2 * (feature // 2), dtype)  # 2i, shared by features 2i and 2i + 1
        frequency = ops.power(ops.cast(self.max_wavelength, dtype), -pair / depth)  # (d,)
        angle = position * frequency[None, :]  # (T, d) = pos / 10000^{2i/d}
        is_even = ops.equal(feature % 2, 0)[None, :]  # (1, d)
        encoding = ops.where(is_even, ops.sin(angle), ops.cos(angle))  # (T, d)
        return ops.broadcast_to(encoding[None], ops.shape(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["max_wavelength"] = self.max_wavelength
        return config


@keras.saving.register_keras_serializable(package="companion")
class PositionEmbedding(keras.layers.Layer):
    r"""Learned positions: row :math:`pos` of a table :math:`P \in \mathbb{R}^{L \times d}`.

    Equal to ``keras_hub.layers.PositionEmbedding``. Returns the embeddings
    only, of the inputs' shape.

    Args:
        sequence_length: int >= 1. :math:`L`, the longest sequence.
        initializer: initializer of :math:`P`. Defaults to `"glorot_uniform"`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        inputs: float tensor ``(batch, time, d)`` with ``time <= sequence_length``.
        start_index: int or int tensor. Position of the first step. Defaults to `0`.

    Returns:
        float tensor of the inputs' shape.
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = check_int("sequence_length", sequence_length, minimum=1)
        self.initializer = keras.initializers.get(initializer)

    def build(self, inputs_shape):
        self.position_embeddings = self.add_weight(
            shape=(self.sequence_length, inputs_shape[-1]),
            initializer=self.initializer,
            name="embeddings",
        )

    def call(self, inputs, start_index=0):
        check_rank("inputs", inputs.shape, 3, "(batch, time, features)")
        length = inputs.shape[1]
        if length is not None and length > self.sequence_length:
            raise ValueError(
                f"inputs must have at most sequence_length={self.sequence_length} steps "
                f"(got shape {tuple(inputs.shape)})"
            )
        length = ops.shape(inputs)[1]
        table = ops.convert_to_tensor(self.position_embeddings)  # (L, d)
        rows = ops.slice(table, (start_index, 0), (length, ops.shape(table)[1]))  # (T, d)
        return ops.broadcast_to(rows[None], ops.shape(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="companion")
class TokenAndPositionEmbedding(keras.layers.Layer):
    r"""A Transformer's input: the token's embedding plus its position.

    With learned positions (BERT, GPT) the two are added,
    :math:`x_t = E[w_t] + P_t`. With sinusoidal positions the embedding is
    first multiplied by :math:`\sqrt{d}`, as in the paper,
    :math:`x_t = \sqrt{d}\, E[w_t] + PE_t`: the encoding's values reach
    :math:`\pm 1` while freshly initialised embeddings are near 0, and
    without the factor the positions drown the tokens.

    Args:
        vocabulary_size: int >= 1. Number of token ids (0 is padding).
        hidden_dim: int >= 1. :math:`d`.
        sequence_length: int >= 1. Longest sequence (the table of learned
            positions has this many rows).
        positions: ``"learned"`` or ``"sinusoidal"``. Defaults to `"learned"`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        ids: int tensor ``(batch, time)``.
        start_index: int or int tensor. Position of the first id. Defaults to `0`.

    Returns:
        float tensor ``(batch, time, hidden_dim)``.
    """

    def __init__(self, vocabulary_size, hidden_dim, sequence_length, positions="learned", **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=1)
        self.hidden_dim = check_int("hidden_dim", hidden_dim, minimum=1)
        self.sequence_length = check_int("sequence_length", sequence_length, minimum=1)
        self.positions = check_choice("positions", positions, POSITION_KINDS)

    def build(self, ids_shape):
        self.token_embedding = keras.layers.Embedding(
            self.vocabulary_size, self.hidden_dim, dtype=self.dtype_policy, name="tokens"
        )
        self.token_embedding.build(ids_shape)
        if self.positions == "learned":
            self.position_embedding = PositionEmbedding(
                self.sequence_length, dtype=self.dtype_policy, name="positions"
            )
            self.position_embedding.build((None, None, self.hidden_dim))
        else:
            self.position_embedding = SinusoidalPositionEncoding(
                dtype=self.dtype_policy, name="positions"
            )

    def call(self, ids, start_index=0):
        check_rank("ids", ids.shape, 2, "(batch, time)")
        tokens = self.token_embedding(ids)  # (B, T, d) = E[w_t]
        if self.positions == "sinusoidal":
            tokens = tokens * ops.cast(self.hidden_dim**0.5, tokens.dtype)  # sqrt(d) E[w_t]
        return tokens + self.position_embedding(tokens, start_index=start_index)  # + P_t

    def compute_output_shape(self, ids_shape):
        return (*ids_shape, self.hidden_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "hidden_dim": self.hidden_dim,
                "sequence_length": self.sequence_length,
                "positions": self.positions,
            }
        )
        return config

"""A one-hot vector times a weight matrix: the embedding written as deck 003 draws it."""

import keras
from keras import ops

from companion.checks import check_ids, check_int, concrete_values


@keras.saving.register_keras_serializable(package="companion")
class OneHotEmbedding(keras.layers.Layer):
    r"""An embedding written as deck 003's one-hot vector times a weight matrix.

    .. math::

        e(k) = \text{one\_hot}(k)^\top W = W_{k,:}, \qquad W \in \mathbb{R}^{V \times d}

    The product picks row :math:`k` of :math:`W`: this is what
    ``keras.layers.Embedding`` computes with a lookup (``take``), at the cost
    of a :math:`V`-wide product per token; the tests check that outputs and
    gradients are equal. With ``mask_zero=True`` id 0 is padding and the
    layer returns the mask ``ids != 0``, as ``Embedding`` does.

    Args:
        input_dim: int. Vocabulary size :math:`V`.
        output_dim: int. Embedding size :math:`d`.
        embeddings_initializer: initializer of :math:`W`. Defaults to `"uniform"`
            (Keras's ``Embedding`` default).
        mask_zero: bool. Treat id 0 as padding. Defaults to `False`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        ids: int tensor (...), ids in ``[0, input_dim)``. An id outside that
            range is a ``ValueError`` in an eager call and gives NaN outputs
            inside a compiled function (where values cannot be checked).

    Returns:
        float tensor (..., output_dim).

    Example:

    >>> layer = OneHotEmbedding(5, 2, embeddings_initializer="ones")
    >>> tuple(layer(np.array([[1, 4, 0]])).shape)
    (1, 3, 2)
    """

    def __init__(
        self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False, **kwargs
    ):
        super().__init__(**kwargs)
        self.input_dim = check_int("input_dim", input_dim, minimum=1)
        self.output_dim = check_int("output_dim", output_dim, minimum=1)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
        )

    def call(self, ids):
        ids = ops.cast(ids, "int32")
        values = concrete_values(ids)
        if values is not None:  # eager: a clear error for an id outside the vocabulary
            check_ids("ids", values, self.input_dim)
        one_hot = ops.one_hot(ids, self.input_dim, dtype=self.compute_dtype)  # (..., V)
        embedded = ops.matmul(one_hot, self.embeddings)  # (..., V) @ (V, d) -> (..., d)
        # compiled: an out-of-range id gives NaN, never a silent zero vector
        valid = ops.logical_and(ids >= 0, ids < self.input_dim)[..., None]  # (..., 1)
        return ops.where(valid, embedded, ops.cast(float("nan"), self.compute_dtype))

    def compute_mask(self, ids, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(ids, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
                "mask_zero": self.mask_zero,
            }
        )
        return config

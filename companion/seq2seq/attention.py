r"""Attention as a soft search: a query scores every key, the weights mix the values.

For a decoder state (the query :math:`s_t`) and the encoder's outputs
:math:`h_1, \dots, h_S` (the keys and the values), attention is

.. math::

    e_{t,j} = \operatorname{score}(s_t, h_j), \qquad
    \alpha_{t,j} = \frac{\exp e_{t,j}}{\sum_{k} \exp e_{t,k}}, \qquad
    c_t = \sum_j \alpha_{t,j} h_j .

The score functions of the deck:

* additive (Bahdanau et al. 2015):
  :math:`\operatorname{score}(s, h) = v^\top \tanh(W_q s + W_k h)`
  (:class:`BahdanauAttention`);
* dot (Luong et al. 2015): :math:`\operatorname{score}(s, h) = s^\top h`;
* general (Luong et al. 2015): :math:`\operatorname{score}(s, h) = s^\top W_a h`
  (both :class:`LuongAttention`).

Padding positions of the source take no weight. A source with no real
position at all (a fully padded row) gets weights of zero and a context of
zeros, never NaN; Keras's layers give such a row uniform weights instead.
"""

import keras
from keras import ops

from companion.checks import check_bool, check_choice, check_int, check_last_dim, check_rank


def masked_softmax(scores, mask=None):
    r"""Softmax over the last axis that gives padded positions a weight of exactly zero.

    .. math::

        \alpha_j = \frac{m_j \exp e_j}{\sum_k m_k \exp e_k}

    A row whose mask is all `False` gets all-zero weights instead of NaN. The
    softmax runs in float32 whatever the scores' dtype.

    Args:
        scores: float tensor ``(..., Tq, Tv)``.
        mask: boolean tensor ``(..., Tv)`` (one mask per source, broadcast over
            the queries), or `None` for no padding.

    Returns:
        float tensor of the shape and dtype of ``scores``; each row sums to 1,
        or to 0 where the whole row is padding.

    Example:

    >>> weights = masked_softmax(np.zeros((1, 1, 3), "float32"), np.array([[True, True, False]]))
    >>> np.round(keras.ops.convert_to_numpy(weights), 2)
    array([[[0.5, 0.5, 0. ]]], dtype=float32)
    """
    dtype = scores.dtype
    scores = ops.cast(scores, "float32")  # (..., Tq, Tv)
    if mask is None:
        return ops.cast(ops.softmax(scores, axis=-1), dtype)
    mask = ops.convert_to_tensor(mask)
    _check_mask_fits(mask.shape, scores.shape)
    mask = ops.expand_dims(ops.cast(mask, "bool"), axis=-2)  # (..., 1, Tv)
    real = ops.cast(mask, scores.dtype)
    kept = ops.where(mask, scores, ops.min(scores))  # padding cannot set the maximum
    shifted = kept - ops.max(kept, axis=-1, keepdims=True)  # (..., Tq, Tv), at most 0
    exponentials = ops.exp(shifted) * real  # m_j exp(e_j), up to a common factor
    total = ops.sum(exponentials, axis=-1, keepdims=True)  # (..., Tq, 1)
    return ops.cast(exponentials / ops.maximum(total, keras.config.epsilon()), dtype)


def _check_mask_fits(mask_shape, scores_shape):
    """The mask must be ``(batch..., Tv)``: the scores' shape without the query axis."""
    expected = (*scores_shape[:-2], scores_shape[-1])
    fits = len(mask_shape) == len(expected) and all(
        m is None or e is None or m == e for m, e in zip(mask_shape, expected, strict=True)
    )
    if not fits:
        raise ValueError(
            f"mask must have shape (batch, source time) = {expected} to match scores of shape "
            f"{tuple(scores_shape)} (got mask of shape {tuple(mask_shape)})"
        )


class _Attention(keras.layers.Layer):
    """The part every score function shares: checks, the mask, the weighted sum."""

    def _check_inputs(self, query, values):
        check_rank("query", query.shape, 3, "(batch, target time, query features)")
        check_rank("values", values.shape, 3, "(batch, source time, value features)")

    def call(self, query, values, value_mask=None, return_weights=False):
        """Returns the context :math:`c_t` for every query, and the weights when asked."""
        self._check_inputs(query, values)
        if value_mask is not None:
            value_mask = ops.convert_to_tensor(value_mask)
            check_rank("value_mask", value_mask.shape, 2, "(batch, source time)")
        scores = self.score(query, values)  # (B, Tq, Tv)
        weights = masked_softmax(scores, value_mask)  # (B, Tq, Tv)
        context = ops.matmul(weights, values)  # (B, Tq, Dv)
        return (context, weights) if return_weights else context

    def compute_output_shape(self, query_shape, values_shape, value_mask_shape=None):
        return (*query_shape[:-1], values_shape[-1])


@keras.saving.register_keras_serializable(package="companion")
class BahdanauAttention(_Attention):
    r"""Additive attention: :math:`e_{t,j} = v^\top \tanh(W_q s_t + W_k h_j)`.

    The query and the keys are projected to ``units`` features, added, squashed
    and scored by one learned vector :math:`v`. ``keras.layers.AdditiveAttention``
    computes the last step only (:math:`\sum_u v_u \tanh(q_u + k_u)`, its
    ``scale`` is :math:`v`): the projections :math:`W_q, W_k` are ours to add.

    Args:
        units: int. Size of the projected query and keys.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        query: float tensor ``(batch, Tq, Dq)``, the decoder states.
        values: float tensor ``(batch, Tv, Dv)``, the encoder outputs (keys and values).
        value_mask: boolean tensor ``(batch, Tv)`` or `None`; `True` marks real positions.
        return_weights: bool. Also return the weights ``(batch, Tq, Tv)``.

    Returns:
        the context ``(batch, Tq, Dv)``, and the weights when ``return_weights``.

    Example:

    >>> layer = BahdanauAttention(4)
    >>> tuple(layer(np.ones((2, 3, 5), "float32"), np.ones((2, 7, 6), "float32")).shape)
    (2, 3, 6)
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = check_int("units", units, minimum=1)
        projection = dict(units=units, use_bias=False, dtype=self.dtype_policy)
        self.query_projection = keras.layers.Dense(**projection, name="query_projection")
        self.key_projection = keras.layers.Dense(**projection, name="key_projection")

    def build(self, query_shape, values_shape, value_mask_shape=None):
        self.query_projection.build(query_shape)
        self.key_projection.build(values_shape)
        self.score_vector = self.add_weight(
            shape=(self.units,), initializer="glorot_uniform", name="score_vector"
        )  # v

    def score(self, query, values):
        projected_query = self.query_projection(query)  # (B, Tq, U)
        projected_keys = self.key_projection(values)  # (B, Tv, U)
        summed = ops.expand_dims(projected_query, 2) + ops.expand_dims(projected_keys, 1)
        return ops.sum(ops.tanh(summed) * self.score_vector, axis=-1)  # (B, Tq, Tv)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="companion")
class LuongAttention(_Attention):
    r"""Multiplicative attention: dot :math:`s_t^\top h_j` or general :math:`s_t^\top W_a h_j`.

    ``keras.layers.Attention`` (``score_mode="dot"``) computes the dot score;
    the general score is the same layer given the keys :math:`W_a h_j`. Neither
    divides by :math:`\sqrt{d}` as the Transformer's scaled dot-product does
    (chapter 5): with ``scaled=True`` this layer does, which
    ``keras.layers.Attention(use_scale=True)`` reaches only by setting its
    learned scale to :math:`1/\sqrt{d}`.

    Args:
        score: str. ``"dot"`` (the query and values must have the same
            features) or ``"general"`` (a learned :math:`W_a`). Defaults to
            ``"general"``.
        scaled: bool. Divide the scores by :math:`\sqrt{d}`. Defaults to `False`
            (Luong et al.).
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        query: float tensor ``(batch, Tq, D)``.
        values: float tensor ``(batch, Tv, Dv)``; ``Dv == D`` for the dot score.
        value_mask: boolean tensor ``(batch, Tv)`` or `None`.
        return_weights: bool. Also return the weights ``(batch, Tq, Tv)``.

    Returns:
        the context ``(batch, Tq, Dv)``, and the weights when ``return_weights``.

    Example:

    >>> layer = LuongAttention("dot")
    >>> tuple(layer(np.ones((2, 3, 5), "float32"), np.ones((2, 7, 5), "float32")).shape)
    (2, 3, 5)
    """

    def __init__(self, score="general", scaled=False, **kwargs):
        super().__init__(**kwargs)
        self.score_name = check_choice("score", score, ("dot", "general"))
        self.scaled = check_bool("scaled", scaled)

    def build(self, query_shape, values_shape, value_mask_shape=None):
        if self.score_name == "general":
            self.key_projection = keras.layers.Dense(
                query_shape[-1], use_bias=False, dtype=self.dtype_policy, name="key_projection"
            )  # W_a, applied to the keys
            self.key_projection.build(values_shape)

    def _check_inputs(self, query, values):
        super()._check_inputs(query, values)
        if self.score_name == "dot":
            check_last_dim("values", values.shape, query.shape[-1], "the query's features")

    def keys(self, values):
        """The keys the query is compared with: :math:`h_j` or :math:`W_a h_j`."""
        if self.score_name == "dot":
            return values  # (B, Tv, D)
        return self.key_projection(values)  # (B, Tv, D)

    def score(self, query, values):
        scores = ops.matmul(query, ops.swapaxes(self.keys(values), 1, 2))  # (B, Tq, Tv)
        if self.scaled:
            scores = scores / ops.sqrt(ops.cast(ops.shape(query)[-1], scores.dtype))
        return scores

    def get_config(self):
        return {**super().get_config(), "score": self.score_name, "scaled": self.scaled}


ATTENTION_KINDS = ("bahdanau", "dot", "general")


def make_attention(kind, units, dtype=None):
    """Returns the attention layer named ``kind``: ``"bahdanau"``, ``"dot"`` or ``"general"``.

    Args:
        kind: str. One of :data:`ATTENTION_KINDS`.
        units: int. Bahdanau's score size (the Luong scores ignore it).
        dtype: dtype policy or `None` (the global one): the decoder's. Defaults to `None`.
    """
    kind = check_choice("attention", kind, ATTENTION_KINDS)
    if kind == "bahdanau":
        return BahdanauAttention(units, dtype=dtype, name="attention")
    return LuongAttention(kind, dtype=dtype, name="attention")

r"""Scaled dot-product attention and multi-head attention (Vaswani et al. 2017).

Attention as a search (deck ``003_…``): each query :math:`q_i` is compared to
every key :math:`k_j`, the scores become weights by a softmax, and the
weights mix the values :math:`v_j`. In matrix form, for all queries at once,

.. math::

    \operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(
    \frac{Q K^\top}{\sqrt{d_k}}\right) V .

Multi-head attention projects the inputs :math:`h` times to smaller
:math:`d_k = d / h` features, attends in each head separately and joins the
heads again:

.. math::

    \operatorname{head}_i = \operatorname{Attention}(X_q W^Q_i, X_k W^K_i, X_v W^V_i),
    \qquad
    \operatorname{MHA} = [\operatorname{head}_1; \dots; \operatorname{head}_h] W^O .

Here one ``Dense`` layer computes all heads' queries at once (:math:`W^Q` is
:math:`d \times h d_k`) and a reshape slices its output into the heads: "multi-head
is slicing Q, K and V". Tensors keep Keras's layout ``(batch, time, heads,
features)``, the layout of ``keras.ops.dot_product_attention``.

Masked positions get a weight of exactly zero, and a query with no visible
key at all gets zero weights and a zero output, never NaN. The softmax runs
in float32 whatever the compute dtype; the queries are scaled by
:math:`1/\sqrt{d_k}` before the product (as in Keras), so that a product
that only the scale brings back into float16's range does not overflow.
"""

import keras
from keras import ops

from companion.checks import check_float, check_int, check_rank
from companion.transformer.tuning import LoRADense, check_lora, prepend_prefix


def _check_heads(name, shape):
    return check_rank(name, shape, 4, "(batch, time, heads, features)")


def scaled_dot_product_attention(
    query, key, value, mask=None, scale=None, return_weights=False, dropout=None
):
    r"""Attention of every query over every key: :math:`\mathrm{softmax}(QK^\top/\sqrt{d_k})V`.

    Args:
        query: float tensor ``(batch, Tq, heads, d_k)``.
        key: float tensor ``(batch, Tk, heads, d_k)``.
        value: float tensor ``(batch, Tk, heads, d_v)``.
        mask: bool tensor broadcastable to ``(batch, heads, Tq, Tk)``, `True`
            where a query may look, or `None`. Defaults to `None`.
        scale: float or `None`. Factor on the scores; `None` gives
            :math:`1/\sqrt{d_k}`. Defaults to `None`.
        return_weights: bool. Also return the weights. Defaults to `False`.
        dropout: a callable applied to the weights before they mix the
            values (a dropout layer set to training or not), or `None`.
            Defaults to `None`.

    Returns:
        float tensor ``(batch, Tq, heads, d_v)``, and the weights
        ``(batch, heads, Tq, Tk)`` when asked.

    Example:

    >>> x = np.ones((1, 2, 1, 4), "float32")
    >>> keras.ops.convert_to_numpy(scaled_dot_product_attention(x, x, x)).shape
    (1, 2, 1, 4)
    """
    query, key, value = (ops.convert_to_tensor(t) for t in (query, key, value))
    _check_heads("query", query.shape)
    _check_heads("key", key.shape)
    _check_heads("value", value.shape)
    if key.shape[1] is not None and value.shape[1] is not None and key.shape[1] != value.shape[1]:
        raise ValueError(
            f"key and value must have the same time axis (got key {tuple(key.shape)}, "
            f"value {tuple(value.shape)})"
        )
    depth = query.shape[-1]
    scale = 1.0 / depth**0.5 if scale is None else check_float("scale", scale, minimum=0.0)
    q = ops.transpose(query, (0, 2, 1, 3)) * scale  # (B, H, Tq, dk), scaled first as in Keras
    k = ops.transpose(key, (0, 2, 3, 1))  # (B, H, dk, Tk)
    v = ops.transpose(value, (0, 2, 1, 3))  # (B, H, Tk, dv)
    scores = _saturated_float32(ops.matmul(q, k))  # (B, H, Tq, Tk) = QK^T / sqrt(dk)
    weights = masked_attention_softmax(scores, mask)  # (B, H, Tq, Tk), in float32
    weights = ops.cast(weights, value.dtype)
    mixed = weights if dropout is None else dropout(weights)
    outputs = ops.transpose(ops.matmul(mixed, v), (0, 2, 1, 3))  # (B, Tq, H, dv)
    return (outputs, weights) if return_weights else outputs


#: The largest finite value of a compute dtype whose range is smaller than float32's.
_LARGEST = {"float16": 65504.0}


def _saturated_float32(scores):
    """Scores in float32; a float16 score that overflowed to infinity becomes float16's largest."""
    dtype = keras.backend.standardize_dtype(scores.dtype)
    scores = ops.cast(scores, "float32")
    if dtype in _LARGEST:  # an infinite score would turn its row's softmax into NaN
        scores = ops.clip(scores, -_LARGEST[dtype], _LARGEST[dtype])
    return scores


def masked_attention_softmax(scores, mask=None):
    r"""Softmax over the keys that gives hidden keys exactly zero weight.

    .. math::

        \alpha_{ij} = \frac{m_{ij} \exp e_{ij}}{\sum_k m_{ik} \exp e_{ik}}

    A row with no visible key gets zeros (Keras gives it uniform weights).
    The softmax runs in float32 whatever the scores' dtype (in float16,
    :math:`-10^9` would be :math:`-\infty` and a hidden row NaN).

    Args:
        scores: float tensor ``(..., Tq, Tk)``.
        mask: bool tensor broadcastable to ``scores``, or `None`.

    Returns:
        float tensor of the shape and dtype of ``scores``.
    """
    dtype = scores.dtype
    scores = ops.cast(scores, "float32")  # (..., Tq, Tk)
    if mask is None:
        return ops.cast(ops.softmax(scores, axis=-1), dtype)
    mask = ops.cast(ops.convert_to_tensor(mask), "bool")
    if len(mask.shape) > len(scores.shape):
        raise ValueError(
            f"mask must be broadcastable to the scores' shape {tuple(scores.shape)} "
            f"(got mask of shape {tuple(mask.shape)})"
        )
    hidden = ops.cast(-1e9, scores.dtype)  # exp(-1e9 - max) is exactly 0 in float32
    weights = ops.softmax(ops.where(mask, scores, hidden), axis=-1)  # (..., Tq, Tk)
    weights = weights * ops.cast(mask, weights.dtype)  # a row with no visible key: zeros
    return ops.cast(weights, dtype)


@keras.saving.register_keras_serializable(package="companion")
class MultiHeadAttention(keras.layers.Layer):
    r"""Multi-head attention from scratch: project, slice into heads, attend, join, project.

    .. math::

        \operatorname{MHA}(X_q, X_v) = [\operatorname{head}_1; \dots;
        \operatorname{head}_h] W^O, \quad
        \operatorname{head}_i = \operatorname{softmax}\!\left(
        \frac{X_q W^Q_i (X_v W^K_i)^\top}{\sqrt{d_k}}\right) X_v W^V_i

    Equal to ``keras.layers.MultiHeadAttention`` given the same weights
    (:func:`~companion.transformer.mha_weights_from_keras` reshapes them).

    With a key/value cache (generation), the keys and values of earlier
    positions are kept in a tensor ``(batch, 2, max_length, heads, d_k)``; a
    step computes those of its new positions only and writes them at
    ``cache_index``. With a cache and no index, the cache is read as it is
    (the encoder's keys and values in cross-attention).

    Args:
        num_heads: int >= 1. :math:`h`.
        key_dim: int >= 1. :math:`d_k`, features per head of queries and keys.
        value_dim: int or `None`. :math:`d_v`; `None` gives ``key_dim``.
            Defaults to `None`.
        output_dim: int or `None`. Output features; `None` gives the query's.
            Defaults to `None`.
        dropout: float in [0, 1). Dropout on the attention weights. Defaults to `0.0`.
        use_bias: bool. Biases in the four projections. Defaults to `True`.
        kernel_initializer: initializer. Defaults to `"glorot_uniform"`.
        bias_initializer: initializer. Defaults to `"zeros"`.
        lora_rank: int >= 0. With ``r > 0`` the query and value projections
            are :class:`~companion.transformer.LoRADense` layers (LoRA's
            choice). Defaults to `0`.
        lora_alpha: float or `None`. LoRA's :math:`\alpha`; `None` gives the
            rank. Defaults to `None`.
        prefix_length: int >= 0. Learned prefix keys and values per head
            (prefix-tuning, :func:`~companion.transformer.prepend_prefix`).
            Defaults to `0`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        query: float tensor ``(batch, Tq, d_q)``.
        value: float tensor ``(batch, Tk, d_v_in)``.
        key: float tensor ``(batch, Tk, d_k_in)`` or `None` (the value).
        attention_mask: bool tensor ``(batch, Tq, Tk)`` or `None`.
        cache: float tensor ``(batch, 2, max_length, heads, d_k)`` or `None`.
        cache_index: int or int tensor, where this call's keys go in the cache.
        return_weights: bool. Also return the weights ``(batch, heads, Tq, Tk)``.
        training: bool. Dropout on or off.

    Returns:
        ``outputs`` ``(batch, Tq, output_dim)``, followed by the weights when
        asked and by the updated cache when one was given.

    Example:

    >>> layer = MultiHeadAttention(num_heads=2, key_dim=4)
    >>> x = np.ones((1, 3, 8), "float32")
    >>> keras.ops.convert_to_numpy(layer(x, x)).shape
    (1, 3, 8)

    References:
        Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        output_dim=None,
        dropout=0.0,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        lora_rank=0,
        lora_alpha=None,
        prefix_length=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.lora_rank, self.lora_alpha = check_lora(lora_rank, lora_alpha)
        self.prefix_length = check_int("prefix_length", prefix_length, minimum=0)
        self.num_heads = check_int("num_heads", num_heads, minimum=1)
        self.key_dim = check_int("key_dim", key_dim, minimum=1)
        self.value_dim = key_dim if value_dim is None else check_int("value_dim", value_dim, 1)
        self.output_dim = None if output_dim is None else check_int("output_dim", output_dim, 1)
        self.dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0, open_maximum=True)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def _dense(self, units, name, input_dim, lora=False):
        options = dict(
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer.__class__.from_config(
                self.kernel_initializer.get_config()
            ),
            bias_initializer=self.bias_initializer,
            dtype=self.dtype_policy,
            name=name,
        )
        if lora and self.lora_rank:
            layer = LoRADense(units, self.lora_rank, self.lora_alpha, **options)
        else:
            layer = keras.layers.Dense(units, **options)
        layer.build((None, input_dim))
        return layer

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        heads = self.num_heads
        query_dim, key_dim, value_dim = query_shape[-1], key_shape[-1], value_shape[-1]
        self.query_dense = self._dense(heads * self.key_dim, "query", query_dim, lora=True)  # W^Q
        self.key_dense = self._dense(heads * self.key_dim, "key", key_dim)  # W^K
        self.value_dense = self._dense(heads * self.value_dim, "value", value_dim, lora=True)  # W^V
        output_dim = self.output_dim or query_shape[-1]
        self.output_dense = self._dense(output_dim, "attention_output", heads * self.value_dim)
        self.weights_dropout = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)
        if self.prefix_length:
            prefix = keras.initializers.RandomNormal(stddev=0.02)
            self.prefix_keys = self.add_weight(
                (self.prefix_length, heads, self.key_dim), prefix, name="prefix_keys"
            )
            self.prefix_values = self.add_weight(
                (self.prefix_length, heads, self.value_dim), prefix, name="prefix_values"
            )

    def split_heads(self, x, depth):
        """``(B, T, h * d)`` -> ``(B, T, h, d)``: head :math:`i` is the slice ``[i d, (i+1) d)``."""
        return ops.reshape(x, (ops.shape(x)[0], ops.shape(x)[1], self.num_heads, depth))

    def call(
        self,
        query,
        value,
        key=None,
        attention_mask=None,
        cache=None,
        cache_index=None,
        return_weights=False,
        training=None,
    ):
        check_rank("query", query.shape, 3, "(batch, query time, features)")
        check_rank("value", value.shape, 3, "(batch, key time, features)")
        key = value if key is None else key
        q = self.split_heads(self.query_dense(query), self.key_dim)  # (B, Tq, H, dk)
        if cache is not None and cache_index is None:  # keys and values computed before
            k, v = cache[:, 0], cache[:, 1]  # (B, L, H, dk) each
        else:
            k = self.split_heads(self.key_dense(key), self.key_dim)  # (B, Tk, H, dk)
            v = self.split_heads(self.value_dense(value), self.value_dim)  # (B, Tk, H, dv)
            if cache is not None:
                start = (0, cache_index, 0, 0)
                k = ops.slice_update(cache[:, 0], start, ops.cast(k, cache.dtype))  # (B, L, H, dk)
                v = ops.slice_update(cache[:, 1], start, ops.cast(v, cache.dtype))  # (B, L, H, dv)
                cache = ops.stack((k, v), axis=1)  # (B, 2, L, H, dk)
        if attention_mask is not None:
            attention_mask = ops.convert_to_tensor(attention_mask)
            check_rank("attention_mask", attention_mask.shape, 3, "(batch, query time, key time)")
        if self.prefix_length:  # P more keys and values, seen by every query
            k, v, attention_mask = prepend_prefix(
                k, v, self.prefix_keys, self.prefix_values, attention_mask
            )  # (B, P + Tk, H, dk), (B, P + Tk, H, dv)
        if attention_mask is not None:
            attention_mask = attention_mask[:, None]  # (B, 1, Tq, Tk), the same for every head
        heads, weights = scaled_dot_product_attention(
            q,
            k,
            v,
            mask=attention_mask,
            return_weights=True,
            dropout=lambda w: self.weights_dropout(w, training=training),
        )  # (B, Tq, H, dv), (B, H, Tq, Tk)
        joined = ops.reshape(heads, (ops.shape(heads)[0], ops.shape(heads)[1], -1))  # (B, Tq, H dv)
        outputs = self.output_dense(joined)  # (B, Tq, D)
        results = (outputs,) + ((weights,) if return_weights else ())
        results += (cache,) if cache is not None else ()
        return results[0] if len(results) == 1 else results

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "value_dim": self.value_dim,
                "output_dim": self.output_dim,
                "dropout": self.dropout,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "lora_rank": self.lora_rank,
                "lora_alpha": self.lora_alpha,
                "prefix_length": self.prefix_length,
            }
        )
        return config

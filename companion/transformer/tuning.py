r"""The small layers that parameter-efficient tuning adds to a Transformer (deck ``003_…``).

Each leaves the pre-trained weights as they are and adds few new ones; the
tuning methods of :mod:`companion.finetune` train only those:

* :class:`LoRADense`: a dense layer with a frozen kernel :math:`W` and a
  trainable low-rank update, :math:`y = xW + b + \frac{\alpha}{r} x A B`
  (Hu et al. 2021); the Transformer blocks use it for the query and value
  projections when ``lora_rank > 0``;
* :class:`BottleneckAdapter`: :math:`h + W_\uparrow \sigma(W_\downarrow h)`
  after each sub-layer (Houlsby et al. 2019), ``adapter_dim > 0``;
* :class:`SoftPrompt`: :math:`P` learned input vectors placed before the
  tokens (prompt-tuning, Lester et al. 2021), ``prompt_length > 0``;
* :func:`prepend_prefix`: :math:`P` learned keys and values per attention
  layer placed before the tokens' own (prefix-tuning, Li and Liang 2021),
  ``prefix_length > 0``; :class:`~companion.transformer.MultiHeadAttention`
  holds them.

:data:`TUNING_VARIABLES` names what these layers add, so that a pre-trained
model's weights can be copied into a tuned one and the rest frozen.
"""

import keras
from keras import ops

from companion.checks import check_float, check_int, check_rank

TUNING_VARIABLES = ("lora_a", "lora_b", "adapter", "prefix_keys", "prefix_values", "prompt")
"""Words that mark a variable's path as added by tuning (see :func:`is_tuning_variable`)."""


def is_tuning_variable(variable):
    """Whether ``variable`` was added by a tuning layer rather than pre-trained.

    Example:

    >>> layer = LoRADense(4, rank=2, name="query")
    >>> layer.build((None, 3))
    >>> is_tuning_variable(layer.lora_a), is_tuning_variable(layer.kernel)
    (True, False)
    """
    return any(word in variable.path for word in TUNING_VARIABLES)


def check_lora(rank, alpha):
    """``(rank, alpha)`` checked; ``alpha=None`` gives ``rank`` (a scale of 1), as Keras does."""
    rank = check_int("lora_rank", rank, minimum=0)
    alpha = float(rank) if alpha is None else check_float("lora_alpha", alpha, minimum=0.0)
    return rank, alpha


@keras.saving.register_keras_serializable(package="companion")
class LoRADense(keras.layers.Layer):
    r"""A dense layer whose kernel is frozen and whose change is low-rank (LoRA).

    .. math::

        y = x W + b + \frac{\alpha}{r}\, (x A) B, \qquad
        A \in \mathbb{R}^{d_{in} \times r},\ B \in \mathbb{R}^{r \times d_{out}}

    :math:`W` and :math:`b` are not trainable; :math:`A` starts random and
    :math:`B` at zero, so the layer starts equal to the pre-trained one.
    Training updates :math:`r (d_{in} + d_{out})` numbers instead of
    :math:`d_{in} d_{out}`. For inference the update folds into the kernel,
    :math:`W' = W + \frac{\alpha}{r} A B` (:meth:`merged_kernel`), and the
    layer costs what a plain ``Dense`` costs. Equal to ``keras.layers.Dense``
    after ``enable_lora(rank, lora_alpha=alpha)`` given the same :math:`W, b,
    A, B`; unlike it, a ``.keras`` file keeps :math:`A` and :math:`B` (Keras
    saves the merged kernel and reloads :math:`A, B` as new, so training
    cannot resume).

    Args:
        units: int >= 1. Output features.
        rank: int >= 1. :math:`r`.
        alpha: float or `None`. :math:`\alpha`; `None` gives ``rank``.
            Defaults to `None`.
        use_bias: bool. Defaults to `True`.
        kernel_initializer: initializer of :math:`W`. Defaults to `"glorot_uniform"`.
        bias_initializer: initializer of :math:`b`. Defaults to `"zeros"`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        inputs: float tensor ``(..., d_in)``.

    Returns:
        float tensor ``(..., units)``.

    Example:

    >>> layer = LoRADense(3, rank=2)
    >>> keras.ops.convert_to_numpy(layer(np.ones((2, 4), "float32"))).shape
    (2, 3)

    References:
        Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022.
    """

    def __init__(
        self,
        units,
        rank,
        alpha=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_int("units", units, minimum=1)
        self.rank, self.alpha = check_lora(rank, alpha)
        if self.rank < 1:
            raise ValueError(f"rank must be an int >= 1 (got rank={rank})")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    @property
    def scale(self):
        r""":math:`\alpha / r`."""
        return self.alpha / self.rank

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(
            (input_dim, self.units), self.kernel_initializer, name="kernel", trainable=False
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                (self.units,), self.bias_initializer, name="bias", trainable=False
            )
        self.lora_a = self.add_weight((input_dim, self.rank), "he_uniform", name="lora_a")
        self.lora_b = self.add_weight((self.rank, self.units), "zeros", name="lora_b")

    def call(self, inputs):
        y = ops.matmul(inputs, self.kernel)  # (..., d_out) = x W
        y = y + self.scale * ops.matmul(ops.matmul(inputs, self.lora_a), self.lora_b)  # + s x A B
        return y if self.bias is None else y + self.bias

    def merged_kernel(self):
        r""":math:`W + \frac{\alpha}{r} A B`, the kernel of the equal plain dense layer."""
        return self.kernel + self.scale * ops.matmul(self.lora_a, self.lora_b)  # (d_in, d_out)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "rank": self.rank,
                "alpha": self.alpha,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="companion")
class BottleneckAdapter(keras.layers.Layer):
    r"""A small residual bottleneck inserted after a sub-layer (Houlsby et al.).

    .. math::

        \operatorname{Adapter}(h) = h + W_\uparrow\, \sigma(W_\downarrow h + b_\downarrow)
        + b_\uparrow, \qquad W_\downarrow \in \mathbb{R}^{d \times m},\
        W_\uparrow \in \mathbb{R}^{m \times d}

    :math:`W_\uparrow` starts at zero, so the adapter starts as the identity
    and the pre-trained block is unchanged until training moves it.

    Args:
        bottleneck_dim: int >= 1. :math:`m`.
        activation: the non-linearity :math:`\sigma`. Defaults to `"gelu"`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        inputs: float tensor ``(..., d)``.

    Returns:
        float tensor ``(..., d)``.

    Example:

    >>> adapter = BottleneckAdapter(2)
    >>> x = np.ones((1, 3, 4), "float32")
    >>> bool(np.allclose(keras.ops.convert_to_numpy(adapter(x)), x))
    True

    References:
        Houlsby et al., "Parameter-Efficient Transfer Learning for NLP", ICML 2019.
    """

    def __init__(self, bottleneck_dim, activation="gelu", **kwargs):
        super().__init__(**kwargs)
        self.bottleneck_dim = check_int("bottleneck_dim", bottleneck_dim, minimum=1)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        hidden_dim = input_shape[-1]
        self.down = keras.layers.Dense(
            self.bottleneck_dim, self.activation, dtype=self.dtype_policy, name="down"
        )
        self.down.build((None, hidden_dim))
        self.up = keras.layers.Dense(
            hidden_dim, kernel_initializer="zeros", dtype=self.dtype_policy, name="up"
        )
        self.up.build((None, self.bottleneck_dim))

    def call(self, inputs):
        return inputs + self.up(self.down(inputs))  # (..., d)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "bottleneck_dim": self.bottleneck_dim,
                "activation": keras.activations.serialize(self.activation),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="companion")
class SoftPrompt(keras.layers.Layer):
    r"""Prompt-tuning: :math:`P` learned vectors placed before the embedded tokens.

    .. math::

        X' = [p_1; \dots; p_P; x_1; \dots; x_T] \in \mathbb{R}^{(P + T) \times d}

    The prompt vectors carry no position; the tokens keep theirs. The
    padding mask grows by :math:`P` real positions.

    Args:
        length: int >= 1. :math:`P`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        embedded: float tensor ``(batch, time, d)``.
        padding_mask: bool tensor ``(batch, time)`` or `None`.

    Returns:
        ``(embedded, padding_mask)``: ``(batch, P + time, d)`` and
        ``(batch, P + time)`` (or `None`).

    Example:

    >>> prompt = SoftPrompt(2)
    >>> x, _ = prompt(np.zeros((1, 3, 4), "float32"))
    >>> tuple(x.shape)
    (1, 5, 4)

    References:
        Lester et al., "The Power of Scale for Parameter-Efficient Prompt Tuning", EMNLP 2021.
    """

    def __init__(self, length, **kwargs):
        super().__init__(**kwargs)
        self.length = check_int("length", length, minimum=1)

    def build(self, embedded_shape, padding_mask_shape=None):
        initializer = keras.initializers.RandomNormal(stddev=0.02)
        self.prompt = self.add_weight((self.length, embedded_shape[-1]), initializer, name="prompt")

    def call(self, embedded, padding_mask=None):
        check_rank("embedded", embedded.shape, 3, "(batch, time, features)")
        batch = ops.shape(embedded)[0]
        prompt = ops.cast(self.prompt, embedded.dtype)[None]  # (1, P, d)
        prompt = ops.broadcast_to(prompt, (batch, self.length, ops.shape(embedded)[2]))
        embedded = ops.concatenate([prompt, embedded], axis=1)  # (B, P + T, d)
        if padding_mask is not None:
            real = ops.ones((batch, self.length), "bool")  # (B, P): the prompt is always read
            padding_mask = ops.concatenate([real, ops.cast(padding_mask, "bool")], axis=1)
        return embedded, padding_mask

    def compute_output_shape(self, embedded_shape, padding_mask_shape=None):
        time = None if embedded_shape[1] is None else embedded_shape[1] + self.length
        mask_shape = None if padding_mask_shape is None else (embedded_shape[0], time)
        return (embedded_shape[0], time, embedded_shape[2]), mask_shape

    def get_config(self):
        config = super().get_config()
        config["length"] = self.length
        return config


def prepend_prefix(keys, values, prefix_keys, prefix_values, mask=None):
    r"""Prefix-tuning: learned keys and values placed before the tokens' own.

    .. math::

        \operatorname{head}_i = \operatorname{softmax}\!\left(\frac{q\,[P^K_i; K_i]^\top}
        {\sqrt{d_k}}\right) [P^V_i; V_i]

    Every query can attend to the :math:`P` prefix positions; they are never
    masked.

    Args:
        keys: float tensor ``(batch, Tk, heads, d_k)``.
        values: float tensor ``(batch, Tk, heads, d_v)``.
        prefix_keys: float tensor ``(P, heads, d_k)``.
        prefix_values: float tensor ``(P, heads, d_v)``.
        mask: bool tensor ``(batch, Tq, Tk)`` (batch may be 1) or `None`.

    Returns:
        ``(keys, values, mask)`` with ``P + Tk`` key positions (mask `None` stays `None`).

    References:
        Li and Liang, "Prefix-Tuning: Optimizing Continuous Prompts for Generation", ACL 2021.
    """
    check_rank("keys", keys.shape, 4, "(batch, time, heads, depth)")
    check_rank("values", values.shape, 4, "(batch, time, heads, depth)")
    batch = ops.shape(keys)[0]
    length = prefix_keys.shape[0]

    def tile(prefix, like):
        prefix = ops.cast(prefix, like.dtype)[None]  # (1, P, H, d)
        return ops.broadcast_to(prefix, (batch, length, *like.shape[2:]))  # (B, P, H, d)

    keys = ops.concatenate([tile(prefix_keys, keys), keys], axis=1)  # (B, P + Tk, H, dk)
    values = ops.concatenate([tile(prefix_values, values), values], axis=1)  # (B, P + Tk, H, dv)
    if mask is not None:
        mask = ops.cast(mask, "bool")
        seen = ops.ones((ops.shape(mask)[0], ops.shape(mask)[1], length), "bool")  # (B, Tq, P)
        mask = ops.concatenate([seen, mask], axis=2)  # (B, Tq, P + Tk)
    return keys, values, mask

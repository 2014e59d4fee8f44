r"""What every recurrent cell shares, and the vanilla cell of deck 003.

A cell splits its step in two: :meth:`RecurrentCell.project_inputs`, the input
projection :math:`W_x^\top x_t + b` that does not depend on the past, and
:meth:`RecurrentCell.step`, the recurrence. The full-sequence layers
(:mod:`companion.recurrent.fast`) project every time step in one matrix
product and loop over ``step`` only.

Dropout follows Keras (Gal and Ghahramani's variational dropout): a mask is
drawn once per sequence and used at every step, one per gate when recurrent
dropout is on. The full-sequence layers draw the masks; a cell called one
step at a time inside ``keras.layers.RNN`` has no hook to reset them per
sequence, so it refuses to drop out in training.
"""

import keras
from keras import ops

from companion.checks import check_activation, check_bool, check_float, check_int


def with_cell(config, key="cell"):
    """A layer's config with its serialized cell (or wrapped layer) made an object again."""
    config = dict(config)
    config[key] = keras.saving.deserialize_keras_object(config[key])
    return config


def as_state_list(states):
    """The cell's states as a list (Keras's loop passes a list or a tuple)."""
    return list(states) if isinstance(states, (list, tuple)) else [states]


def _along_time(mask, inputs):
    """A ``(batch, features)`` dropout mask shaped to multiply ``inputs`` at every step."""
    return ops.expand_dims(mask, 1) if len(inputs.shape) == 3 else mask


class RecurrentCell(keras.layers.Layer):
    """The base of the companion's cells: input projection, dropout and the Keras cell API.

    A subclass sets ``gates`` (how many blocks of ``units`` columns the
    kernel has), ``state_size``, builds its weights and implements
    :meth:`step`. Weight layouts are Keras's: kernel ``(input_dim, gates *
    units)``, recurrent kernel ``(units, gates * units)``.

    Args:
        units: int >= 1. Size of the state.
        activation: str or callable. Defaults to ``"tanh"``.
        use_bias: bool. Defaults to `True`.
        kernel_initializer, recurrent_initializer, bias_initializer: as in
            Keras. Default to ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``.
        dropout: float in [0, 1). Fraction of the input units dropped in
            training. Defaults to `0.0`.
        recurrent_dropout: float in [0, 1). Fraction of the recurrent state
            units dropped in training. Defaults to `0.0`.
        seed: int or `None`. Seed of the dropout masks. Defaults to `None`.
        **kwargs: passed to ``keras.layers.Layer``.
    """

    gates = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_int("units", units, minimum=1)
        self.activation = check_activation("activation", activation)
        self.use_bias = check_bool("use_bias", use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.dropout = check_float("dropout", dropout, 0.0, 1.0, open_maximum=True)
        self.recurrent_dropout = check_float(
            "recurrent_dropout", recurrent_dropout, 0.0, 1.0, open_maximum=True
        )
        self.seed = None if seed is None else check_int("seed", seed, minimum=0)
        if self.dropout or self.recurrent_dropout:
            self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.output_size = self.units

    def _check_step_input(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                f"{self.__class__.__name__} takes one time step of shape (batch, features); "
                f"wrap it in keras.layers.RNN for sequences (got input shape {tuple(input_shape)})"
            )
        if input_shape[-1] is None:
            raise ValueError(
                f"{self.__class__.__name__} needs a known feature size "
                f"(got input shape {tuple(input_shape)})"
            )

    def _add_kernels(self, input_dim):
        self.kernel = self.add_weight(
            shape=(input_dim, self.gates * self.units),
            initializer=self.kernel_initializer,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.gates * self.units),
            initializer=self.recurrent_initializer,
            name="recurrent_kernel",
        )

    @property
    def input_dim(self):
        """int or `None`: the feature size the cell was built for."""
        return int(self.kernel.shape[0]) if self.built else None

    def input_bias(self):
        """The bias added to the input projection, or `None`."""
        return self.bias if self.use_bias else None

    def dropout_masks(self, batch_size, dtype):
        """Draws one batch's dropout masks, reused at every step of its sequences.

        As in Keras: with recurrent dropout there is one input mask and one
        recurrent mask per gate; without it, one input mask shared by the
        gates. Kept units are scaled by :math:`1 / (1 - p)`.

        Args:
            batch_size: int or scalar tensor.
            dtype: str. The masks' dtype.

        Returns:
            ``(input_masks, recurrent_masks)``: lists of tensors
            ``(batch, input_dim)`` and ``(batch, units)``, or `None` where
            that dropout is off.
        """

        def draw(count, width, rate):
            ones = ops.ones((batch_size, width), dtype=dtype)
            return [
                keras.random.dropout(ones, rate, seed=self.seed_generator) for _ in range(count)
            ]

        input_masks = recurrent_masks = None
        if self.dropout:
            count = self.gates if self.recurrent_dropout else 1
            input_masks = draw(count, self.input_dim, self.dropout)
        if self.recurrent_dropout:
            recurrent_masks = draw(self.gates, self.units, self.recurrent_dropout)
        return input_masks, recurrent_masks

    def project_inputs(self, inputs, masks=None):
        """The part of the pre-activations that depends on the inputs only.

        .. math:: a^x_t = W_x^\\top (x_t \\odot m) + b

        Args:
            inputs: tensor ``(batch, features)`` or ``(batch, time, features)``.
            masks: list of dropout masks ``(batch, features)`` from
                :meth:`dropout_masks` (one shared, or one per gate), or `None`.

        Returns:
            Tensor of shape ``(..., gates * units)``.
        """
        if masks is None or len(masks) == 1:
            if masks is not None:
                inputs = inputs * _along_time(masks[0], inputs)
            projected = ops.matmul(inputs, self.kernel)  # (..., G*U)
        else:  # one mask per gate: each gate's columns see their own dropped inputs
            blocks = ops.split(self.kernel, self.gates, axis=-1)  # G x (D, U)
            projected = ops.concatenate(
                [
                    ops.matmul(inputs * _along_time(m, inputs), k)
                    for m, k in zip(masks, blocks, strict=True)
                ],
                axis=-1,
            )  # (..., G*U)
        bias = self.input_bias()
        if bias is not None:
            projected = projected + bias
        return projected

    def recurrent_product(self, h_prev, kernel, masks=None):
        """:math:`W_h^\\top h_{t-1}` for the gates of ``kernel``, with recurrent dropout.

        Args:
            h_prev: tensor ``(batch, units)``.
            kernel: the recurrent kernel or a slice of whole gate blocks.
            masks: one mask ``(batch, units)`` per gate block of ``kernel``, or `None`.

        Returns:
            Tensor ``(batch, kernel columns)``.
        """
        if masks is None:
            return ops.matmul(h_prev, kernel)
        blocks = ops.split(kernel, len(masks), axis=-1)
        return ops.concatenate(
            [ops.matmul(h_prev * m, k) for m, k in zip(masks, blocks, strict=True)], axis=-1
        )

    def step(self, projected_inputs, states, recurrent_masks=None):
        """One step of the recurrence from the projected inputs.

        Args:
            projected_inputs: tensor ``(batch, gates * units)`` from
                :meth:`project_inputs`.
            states: list of tensors ``(batch, units)``.
            recurrent_masks: recurrent dropout masks, one per gate, or `None`.

        Returns:
            ``(output, new_states)``.
        """
        raise NotImplementedError(f"{self.__class__.__name__} must implement step()")

    def call(self, inputs, states, training=None):
        self._check_step_input(inputs.shape)
        if training and (self.dropout or self.recurrent_dropout):
            raise ValueError(
                f"{self.__class__.__name__} with dropout cannot be trained one step at a time "
                "inside keras.layers.RNN: it would draw a new mask at every step. Use the "
                "full-sequence layer (companion.recurrent.SimpleRNN, LSTM, GRU or FastRNN), "
                "which draws one mask per sequence as Keras does"
            )
        return self.step(self.project_inputs(inputs), as_state_list(states))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="companion")
class SimpleRNNCell(RecurrentCell):
    """The vanilla recurrent cell of deck 003.

    .. math::

        h_t = \\tanh(W_{xh}^\\top x_t + W_{hh}^\\top h_{t-1} + b_h)

    The output is the new state: :math:`\\hat y_t` comes from a layer on top.
    With ``activation="relu"`` and ``recurrent_initializer="identity"`` (and
    zero biases) this is the IRNN of Le et al. (2015), deck 003's remedy for
    vanishing gradients: at initialisation :math:`h_t = \\mathrm{relu}(h_{t-1} +
    W_{xh}^\\top x_t)` copies the state forward, so :math:`\\partial h_t /
    \\partial h_{t-1}` is the identity wherever the units are active.
    :func:`irnn_cell` builds it.

    Args:
        units: int. Size of the state :math:`h_t`.
        activation: str or callable. Defaults to ``"tanh"``.
        **kwargs: the other arguments of :class:`RecurrentCell` (``use_bias``,
            initializers, ``dropout``, ``recurrent_dropout``, ``seed``) and of
            ``keras.layers.Layer``.

    Call arguments:
        inputs: tensor ``(batch, features)``: one time step.
        states: list ``[h]`` with ``h`` of shape ``(batch, units)``.

    Returns:
        ``(h, [h])``.

    Example:

    >>> layer = keras.layers.RNN(SimpleRNNCell(4), return_sequences=True)
    >>> tuple(layer(np.zeros((2, 5, 3), "float32")).shape)
    (2, 5, 4)

    References:
        Elman, "Finding structure in time", Cognitive Science, 1990.
        Le, Jaitly and Hinton, "A simple way to initialize recurrent networks
        of rectified linear units", arXiv:1504.00941, 2015.
    """

    gates = 1

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.state_size = self.units

    def build(self, input_shape):
        self._check_step_input(input_shape)
        self._add_kernels(input_shape[-1])
        self.bias = (
            self.add_weight(shape=(self.units,), initializer=self.bias_initializer, name="bias")
            if self.use_bias
            else None
        )

    def step(self, projected_inputs, states, recurrent_masks=None):
        (h_prev,) = states  # (B, U)
        # h_t = tanh(W_xh^T x_t + b_h  +  W_hh^T h_{t-1})
        recurrent = self.recurrent_product(h_prev, self.recurrent_kernel, recurrent_masks)
        h = self.activation(projected_inputs + recurrent)  # (B, U)
        return h, [h]


def irnn_cell(units, **kwargs):
    """The IRNN of deck 003: a ReLU :class:`SimpleRNNCell` with :math:`W_{hh} = I`, :math:`b = 0`.

    Args:
        units: int. Size of the state.
        **kwargs: other arguments of :class:`SimpleRNNCell`.

    Returns:
        A :class:`SimpleRNNCell`.

    Example:

    >>> cell = irnn_cell(3)
    >>> cell.build((None, 2))
    >>> bool(np.allclose(keras.ops.convert_to_numpy(cell.recurrent_kernel), np.eye(3)))
    True
    """
    kwargs.setdefault("recurrent_initializer", "identity")
    kwargs.setdefault("bias_initializer", "zeros")
    return SimpleRNNCell(units, activation="relu", **kwargs)

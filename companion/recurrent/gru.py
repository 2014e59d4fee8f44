"""The gated recurrent unit of deck 003, and the map to Keras's update-gate convention."""

import keras
import numpy as np
from keras import ops

from companion.checks import check_activation, check_bool
from companion.recurrent.cells import RecurrentCell


@keras.saving.register_keras_serializable(package="companion")
class GRUCell(RecurrentCell):
    """The gated recurrent unit of deck 003 (Cho et al., 2014).

    .. math::

        z_t &= \\sigma(W_z \\cdot [h_{t-1}, x_t]) \\\\
        r_t &= \\sigma(W_r \\cdot [h_{t-1}, x_t]) \\\\
        \\tilde h_t &= \\tanh(W \\cdot [r_t * h_{t-1}, x_t]) \\\\
        h_t &= (1 - z_t) * h_{t-1} + z_t * \\tilde h_t

    (with biases). ``reset_after=True`` applies the reset gate after the
    matrix product, :math:`\\tilde h_t = \\tanh(W_x x_t + b_x + r_t * (W_h
    h_{t-1} + b_h))`, with two bias rows: the variant of Keras's default and
    of cuDNN.

    **The update gate is the other way round in Keras.** ``keras.layers.GRU``
    computes :math:`h_t = z'_t h_{t-1} + (1 - z'_t) \\tilde h_t`, so its
    :math:`z'_t` is deck 003's :math:`1 - z_t`. Because :math:`\\sigma(-a) =
    1 - \\sigma(a)`, negating the update gate's weights and biases maps one
    convention to the other exactly: :func:`convert_gru_weights` does that,
    in either direction. Kernel layout and gate order (``z, r, h``) are
    otherwise Keras's.

    Args:
        units: int. Size of :math:`h_t`.
        activation: str or callable, for :math:`\\tilde h_t`. Defaults to
            ``"tanh"``.
        recurrent_activation: str or callable, the gates' :math:`\\sigma`.
            Defaults to ``"sigmoid"``.
        use_bias: bool. Defaults to `True`.
        reset_after: bool. Reset gate after the matrix product (Keras's
            default) or before it (the deck's and Cho et al.'s equation).
            Defaults to `False`.
        kernel_initializer, recurrent_initializer, bias_initializer: as in
            Keras.
        **kwargs: the other arguments of :class:`RecurrentCell` (``use_bias``,
            ``dropout``, ``recurrent_dropout``, ``seed``) and of ``keras.layers.Layer``.

    Call arguments:
        inputs: tensor ``(batch, features)``.
        states: list ``[h]``.

    Returns:
        ``(h, [h])``.

    Example:

    >>> layer = keras.layers.RNN(GRUCell(4))
    >>> tuple(layer(np.zeros((2, 5, 3), "float32")).shape)
    (2, 4)

    References:
        Cho et al., "Learning phrase representations using RNN encoder-decoder
        for statistical machine translation", EMNLP 2014.
    """

    gates = 3

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        reset_after=False,
        **kwargs,
    ):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = check_activation("recurrent_activation", recurrent_activation)
        self.reset_after = check_bool("reset_after", reset_after)
        self.state_size = self.units

    def build(self, input_shape):
        self._check_step_input(input_shape)
        self._add_kernels(input_shape[-1])
        if self.use_bias:
            # reset_after: one row for the input projection, one for the recurrent one
            shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            self.bias = self.add_weight(shape=shape, initializer=self.bias_initializer, name="bias")
        else:
            self.bias = None

    def input_bias(self):
        if not self.use_bias:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def step(self, projected_inputs, states, recurrent_masks=None):
        (h_prev,) = states  # (B, U)
        units, masks = self.units, recurrent_masks
        x_z, x_r, x_h = ops.split(projected_inputs, 3, axis=-1)  # 3 x (B, U)
        sigma = self.recurrent_activation
        if self.reset_after:
            inner = self.recurrent_product(h_prev, self.recurrent_kernel, masks)  # (B, 3U)
            if self.use_bias:
                inner = inner + self.bias[1]
            h_z, h_r, h_h = ops.split(inner, 3, axis=-1)
            z = sigma(x_z + h_z)  # z_t = σ(W_z·[h_{t-1}, x_t])
            r = sigma(x_r + h_r)  # r_t = σ(W_r·[h_{t-1}, x_t])
            candidate = self.activation(x_h + r * h_h)  # h~_t, reset after the product
        else:
            gates_zr = self.recurrent_kernel[:, : 2 * units]
            inner = self.recurrent_product(h_prev, gates_zr, masks and masks[:2])  # (B, 2U)
            h_z, h_r = ops.split(inner, 2, axis=-1)
            z = sigma(x_z + h_z)  # z_t = σ(W_z·[h_{t-1}, x_t])
            r = sigma(x_r + h_r)  # r_t = σ(W_r·[h_{t-1}, x_t])
            h_dropped = h_prev if masks is None else h_prev * masks[2]
            # h~_t = tanh(W·[r_t * h_{t-1}, x_t])
            candidate = self.activation(
                x_h + ops.matmul(r * h_dropped, self.recurrent_kernel[:, 2 * units :])
            )
        h = (1.0 - z) * h_prev + z * candidate  # h_t = (1 - z_t) h_{t-1} + z_t h~_t
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after,
            }
        )
        return config


def convert_gru_weights(weights):
    """Maps GRU weights between Keras's update-gate convention and deck 003's.

    Keras: :math:`h_t = z'_t h_{t-1} + (1 - z'_t) \\tilde h_t`. Deck 003 and
    :class:`GRUCell`: :math:`h_t = (1 - z_t) h_{t-1} + z_t \\tilde h_t`. So
    :math:`z_t = 1 - z'_t = \\sigma(-a'_t)`: negating the first ``units``
    columns (the update gate) of the kernel, the recurrent kernel and the
    bias turns one into the other. The map is its own inverse. It is exact
    for recurrent activations with :math:`g(-a) = 1 - g(a)` (``sigmoid``,
    ``hard_sigmoid``), the ones Keras's GRU is used with.

    Args:
        weights: list of NumPy arrays ``[kernel, recurrent_kernel(, bias)]``,
            as returned by ``get_weights()`` of either GRU.

    Returns:
        A new list of arrays in the other convention.

    Raises:
        ValueError: if the list does not look like GRU weights.
    """
    if len(weights) not in (2, 3):
        raise ValueError(
            "weights must be [kernel, recurrent_kernel] or [kernel, recurrent_kernel, bias] "
            f"(got a list of {len(weights)} arrays)"
        )
    arrays = [np.array(w, copy=True) for w in weights]
    units = arrays[1].shape[0]
    for name, array in zip(("kernel", "recurrent_kernel", "bias"), arrays, strict=False):
        if array.shape[-1] != 3 * units:
            raise ValueError(
                f"{name} must have 3 * units = {3 * units} columns for units={units} "
                f"(got shape {array.shape})"
            )
        array[..., :units] = -array[..., :units]
    return arrays

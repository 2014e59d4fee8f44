"""The LSTM cell of deck 003, with peephole connections and coupled gates as options."""

import keras
from keras import ops

from companion.checks import check_activation, check_bool
from companion.recurrent.cells import RecurrentCell


@keras.saving.register_keras_serializable(package="companion")
class LSTMCell(RecurrentCell):
    """The LSTM cell of deck 003, with its two variants.

    Standard cell (Hochreiter & Schmidhuber, 1997, with the forget gate of
    Gers et al., 2000); :math:`W_\\bullet` acts on :math:`[h_{t-1}, x_t]`:

    .. math::

        f_t &= \\sigma(W_f \\cdot [h_{t-1}, x_t] + b_f) \\\\
        i_t &= \\sigma(W_i \\cdot [h_{t-1}, x_t] + b_i) \\\\
        \\tilde C_t &= \\tanh(W_C \\cdot [h_{t-1}, x_t] + b_C) \\\\
        C_t &= f_t * C_{t-1} + i_t * \\tilde C_t \\\\
        o_t &= \\sigma(W_o \\cdot [h_{t-1}, x_t] + b_o) \\\\
        h_t &= o_t * \\tanh(C_t)

    ``peephole=True`` lets the gates look at the cell state (Gers &
    Schmidhuber, 2000): :math:`f_t = \\sigma(W_f [h_{t-1}, x_t] + p_f * C_{t-1}
    + b_f)`, the same for :math:`i_t`, and :math:`o_t = \\sigma(W_o [h_{t-1},
    x_t] + p_o * C_t + b_o)`. Deck 003 writes :math:`W_f \\cdot [C_{t-1},
    h_{t-1}, x_t]`; as in the paper (and in Graves, 2013) the peephole
    weights :math:`p` are diagonal, one weight per unit, stored as
    ``peephole_kernel`` with one row per gate (``i, f, o``).

    ``coupled=True`` ties the input gate to the forget gate:
    :math:`C_t = f_t * C_{t-1} + (1 - f_t) * \\tilde C_t`. The cell then has
    three gate blocks (``f, c, o``) instead of four.

    With neither option the weights are laid out as in
    ``keras.layers.LSTMCell`` (gate order ``i, f, c, o``), so the two are
    interchangeable with ``set_weights``.

    Args:
        units: int. Size of :math:`h_t` and :math:`C_t`.
        activation: str or callable, for :math:`\\tilde C_t` and
            :math:`\\tanh(C_t)`. Defaults to ``"tanh"``.
        recurrent_activation: str or callable, the gates' :math:`\\sigma`.
            Defaults to ``"sigmoid"``.
        use_bias: bool. Defaults to `True`.
        unit_forget_bias: bool. Start the forget gate's bias at 1, as Keras
            does (Jozefowicz et al., 2015). Defaults to `True`.
        peephole: bool. Add peephole connections. Defaults to `False`.
        coupled: bool. Couple the input and forget gates. Defaults to `False`.
        kernel_initializer, recurrent_initializer, bias_initializer: as in
            Keras. ``peephole_initializer`` defaults to ``"zeros"`` (the cell
            starts as a standard LSTM).
        **kwargs: the other arguments of :class:`RecurrentCell` (``use_bias``,
            ``dropout``, ``recurrent_dropout``, ``seed``) and of ``keras.layers.Layer``.

    Call arguments:
        inputs: tensor ``(batch, features)``.
        states: list ``[h, C]``, each ``(batch, units)``.

    Returns:
        ``(h, [h, C])``.

    Example:

    >>> layer = keras.layers.RNN(LSTMCell(4, peephole=True), return_state=True)
    >>> output, h, c = layer(np.zeros((2, 5, 3), "float32"))
    >>> tuple(c.shape)
    (2, 4)

    References:
        Hochreiter and Schmidhuber, "Long short-term memory", Neural
        Computation, 1997.
        Gers and Schmidhuber, "Recurrent nets that time and count", IJCNN 2000.
        Greff et al., "LSTM: a search space odyssey", IEEE TNNLS, 2017
        (coupled input and forget gates).
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        unit_forget_bias=True,
        peephole=False,
        coupled=False,
        peephole_initializer="zeros",
        **kwargs,
    ):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = check_activation("recurrent_activation", recurrent_activation)
        self.unit_forget_bias = check_bool("unit_forget_bias", unit_forget_bias)
        self.peephole = check_bool("peephole", peephole)
        self.coupled = check_bool("coupled", coupled)
        self.peephole_initializer = keras.initializers.get(peephole_initializer)
        self.gates = 3 if self.coupled else 4
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        self._check_step_input(input_shape)
        self._add_kernels(input_shape[-1])
        if self.use_bias:
            units, bias_initializer = self.units, self.bias_initializer
            forget_block = 0 if self.coupled else 1

            def initializer(shape, dtype=None):
                blocks = [bias_initializer((units,), dtype=dtype) for _ in range(self.gates)]
                if self.unit_forget_bias:
                    blocks[forget_block] = ops.ones((units,), dtype=dtype)
                return ops.concatenate(blocks)

            self.bias = self.add_weight(
                shape=(self.gates * self.units,), initializer=initializer, name="bias"
            )
        else:
            self.bias = None
        if self.peephole:
            # one row per gate that peeks: (i, f, o), or (f, o) when coupled
            self.peephole_kernel = self.add_weight(
                shape=(self.gates - 1, self.units),
                initializer=self.peephole_initializer,
                name="peephole_kernel",
            )

    def step(self, projected_inputs, states, recurrent_masks=None):
        h_prev, c_prev = states  # (B, U), (B, U)
        recurrent = self.recurrent_product(h_prev, self.recurrent_kernel, recurrent_masks)
        z = projected_inputs + recurrent  # (B, G*U)
        sigma, act = self.recurrent_activation, self.activation
        if self.coupled:
            z_f, z_c, z_o = ops.split(z, 3, axis=-1)  # 3 x (B, U)
            if self.peephole:
                p_f, p_o = self.peephole_kernel[0], self.peephole_kernel[1]
                z_f = z_f + p_f * c_prev
            f = sigma(z_f)  # f_t = σ(W_f·[h_{t-1}, x_t] (+ p_f C_{t-1}) + b_f)
            c = f * c_prev + (1.0 - f) * act(z_c)  # C_t = f_t C_{t-1} + (1 - f_t) C~_t
        else:
            z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)  # 4 x (B, U)
            if self.peephole:
                p_i, p_f, p_o = (self.peephole_kernel[k] for k in range(3))
                z_i = z_i + p_i * c_prev
                z_f = z_f + p_f * c_prev
            i = sigma(z_i)  # i_t = σ(W_i·[h_{t-1}, x_t] + b_i)
            f = sigma(z_f)  # f_t = σ(W_f·[h_{t-1}, x_t] + b_f)
            c = f * c_prev + i * act(z_c)  # C_t = f_t C_{t-1} + i_t C~_t
        if self.peephole:
            z_o = z_o + p_o * c  # the output gate looks at the new cell state C_t
        o = sigma(z_o)  # o_t = σ(W_o·[h_{t-1}, x_t] + b_o)
        h = o * act(c)  # h_t = o_t tanh(C_t)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias,
                "peephole": self.peephole,
                "coupled": self.coupled,
                "peephole_initializer": keras.initializers.serialize(self.peephole_initializer),
            }
        )
        return config

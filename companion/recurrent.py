"""Recurrent networks from scratch: SimpleRNN, LSTM, GRU, BPTT, bidirectional.

This module follows decks 003 and 004 of the course. Each cell writes the
course's equations with ``keras.ops`` and is a Keras layer that runs inside
``keras.layers.RNN`` (masks, ``return_sequences``, ``return_state``,
``go_backwards`` and initial states come from Keras's loop):

* :class:`SimpleRNNCell`: :math:`h_t = \\tanh(W_{xh}^\\top x_t + W_{hh}^\\top h_{t-1} + b)`,
  or the "IRNN" remedy of deck 003 (ReLU with an identity recurrent matrix).
* :class:`LSTMCell`: the gates of deck 003, with peephole connections
  (Gers & Schmidhuber, 2000) and coupled input and forget gates as options.
* :class:`GRUCell`: deck 003's GRU (Cho et al., 2014),
  :math:`h_t = (1 - z_t) h_{t-1} + z_t \\tilde h_t`.

Every cell splits its step in two: :meth:`project_inputs` (the input
projection :math:`W^\\top x_t + b`, which does not depend on the past) and
:meth:`step` (the recurrence). :class:`FastRNN` uses that split for the fast
full-sequence path: one matrix product projects every time step at once and
only the recurrence runs inside ``keras.ops.scan``. :class:`SimpleRNN`,
:class:`LSTM` and :class:`GRU` are ``FastRNN`` with their cell built in, with
the arguments of the Keras layers of the same names.

:class:`Bidirectional` runs a layer in both directions and merges the outputs
with ``"concat"``, ``"sum"``, ``"ave"``, ``"mul"`` or ``"max"`` (deck 003's
list; Keras's own ``Bidirectional`` has no ``"max"``).

:func:`rnn_bptt_numpy` is backpropagation through time written out by hand in
NumPy, following deck 004's derivation, and :func:`parameter_count` gives the
parameter counts of deck 004 (an LSTM has 4 times, a GRU 3 times the
parameters of a SimpleRNN of the same size).

Weight layouts are Keras's, so weights move between these layers and
``keras.layers.SimpleRNN`` / ``LSTM`` / ``GRU`` with ``set_weights``: kernel
``(input_dim, gates * units)``, recurrent kernel ``(units, gates * units)``,
bias ``(gates * units,)``, gates in the order ``i, f, c, o`` (LSTM) and
``z, r, h`` (GRU). The one difference is the GRU update gate, see
:func:`convert_gru_weights`.
"""

import dataclasses

import keras
import numpy as np
from keras import ops

_MERGE_MODES = {
    "concat": "concat",
    "sum": "sum",
    "ave": "ave",
    "average": "ave",
    "mul": "mul",
    "product": "mul",
    "max": "max",
}


def _check_units(units):
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
        raise ValueError(f"units must be a positive integer (got units={units!r})")
    return int(units)


def _get_activation(identifier, argument):
    """Returns the activation function for ``identifier`` or raises a clear error."""
    if identifier is None:
        raise ValueError(f"{argument} must be an activation name or a callable (got None)")
    try:
        return keras.activations.get(identifier)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"{argument} must be the name of a Keras activation such as 'tanh', 'relu' "
            f"or 'sigmoid', or a callable (got {argument}={identifier!r})"
        ) from error


def _previous(states):
    """The cell's states as a list (Keras's loop passes a list or a tuple)."""
    return list(states) if isinstance(states, (list, tuple)) else [states]


class _RecurrentCell(keras.layers.Layer):
    """What the three cells share: the input projection and the Keras cell API.

    A subclass sets ``self.gates`` (how many blocks of ``units`` columns the
    kernel has) and implements :meth:`step`.
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
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = _check_units(units)
        self.activation = _get_activation(activation, "activation")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
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

    def input_bias(self):
        """The bias added to the input projection, or `None`."""
        return self.bias if self.use_bias else None

    def project_inputs(self, inputs):
        """The part of the pre-activations that depends on the inputs only.

        .. math:: a^x_t = W_x^\\top x_t + b

        Args:
            inputs: tensor of shape ``(batch, features)`` or
                ``(batch, time, features)``.

        Returns:
            Tensor of shape ``(..., gates * units)``.
        """
        projected = ops.matmul(inputs, self.kernel)  # (..., G*U)
        bias = self.input_bias()
        if bias is not None:
            projected = projected + bias
        return projected

    def step(self, projected_inputs, states):
        """One step of the recurrence from the projected inputs.

        Args:
            projected_inputs: tensor ``(batch, gates * units)`` from
                :meth:`project_inputs`.
            states: list of tensors ``(batch, units)``.

        Returns:
            ``(output, new_states)``.
        """
        raise NotImplementedError

    def call(self, inputs, states, training=None):
        self._check_step_input(inputs.shape)
        return self.step(self.project_inputs(inputs), _previous(states))

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
            }
        )
        return config


@keras.saving.register_keras_serializable(package="companion")
class SimpleRNNCell(_RecurrentCell):
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
        use_bias: bool. Defaults to `True`.
        kernel_initializer: initializer of :math:`W_{xh}`. Defaults to
            ``"glorot_uniform"``.
        recurrent_initializer: initializer of :math:`W_{hh}`. Defaults to
            ``"orthogonal"``; ``"identity"`` for the IRNN.
        bias_initializer: Defaults to ``"zeros"``.
        **kwargs: passed to ``keras.layers.Layer``.

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

    def step(self, projected_inputs, states):
        (h_prev,) = states  # (B, U)
        # h_t = tanh(W_xh^T x_t + b_h  +  W_hh^T h_{t-1})
        h = self.activation(projected_inputs + ops.matmul(h_prev, self.recurrent_kernel))
        return h, [h]


def irnn_cell(units, **kwargs):
    """The IRNN of deck 003: a ReLU :class:`SimpleRNNCell` with :math:`W_{hh} = I`, :math:`b = 0`.

    Args:
        units: int. Size of the state.
        **kwargs: other arguments of :class:`SimpleRNNCell`.

    Returns:
        A :class:`SimpleRNNCell`.
    """
    kwargs.setdefault("recurrent_initializer", "identity")
    kwargs.setdefault("bias_initializer", "zeros")
    return SimpleRNNCell(units, activation="relu", **kwargs)


@keras.saving.register_keras_serializable(package="companion")
class LSTMCell(_RecurrentCell):
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
        **kwargs: passed to ``keras.layers.Layer``.

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
        self.recurrent_activation = _get_activation(recurrent_activation, "recurrent_activation")
        self.unit_forget_bias = bool(unit_forget_bias)
        self.peephole = bool(peephole)
        self.coupled = bool(coupled)
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

    def step(self, projected_inputs, states):
        h_prev, c_prev = states  # (B, U), (B, U)
        z = projected_inputs + ops.matmul(h_prev, self.recurrent_kernel)  # (B, G*U)
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


@keras.saving.register_keras_serializable(package="companion")
class GRUCell(_RecurrentCell):
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
        **kwargs: passed to ``keras.layers.Layer``.

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
        self.recurrent_activation = _get_activation(recurrent_activation, "recurrent_activation")
        self.reset_after = bool(reset_after)
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

    def step(self, projected_inputs, states):
        (h_prev,) = states  # (B, U)
        units = self.units
        x_z, x_r, x_h = ops.split(projected_inputs, 3, axis=-1)  # 3 x (B, U)
        sigma = self.recurrent_activation
        if self.reset_after:
            inner = ops.matmul(h_prev, self.recurrent_kernel)  # (B, 3U)
            if self.use_bias:
                inner = inner + self.bias[1]
            h_z, h_r, h_h = ops.split(inner, 3, axis=-1)
            z = sigma(x_z + h_z)  # z_t = σ(W_z·[h_{t-1}, x_t])
            r = sigma(x_r + h_r)  # r_t = σ(W_r·[h_{t-1}, x_t])
            candidate = self.activation(x_h + r * h_h)  # h~_t, reset after the product
        else:
            inner = ops.matmul(h_prev, self.recurrent_kernel[:, : 2 * units])  # (B, 2U)
            h_z, h_r = ops.split(inner, 2, axis=-1)
            z = sigma(x_z + h_z)  # z_t = σ(W_z·[h_{t-1}, x_t])
            r = sigma(x_r + h_r)  # r_t = σ(W_r·[h_{t-1}, x_t])
            # h~_t = tanh(W·[r_t * h_{t-1}, x_t])
            candidate = self.activation(
                x_h + ops.matmul(r * h_prev, self.recurrent_kernel[:, 2 * units :])
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


@keras.saving.register_keras_serializable(package="companion")
class FastRNN(keras.layers.Layer):
    """A recurrent layer whose input projections take one matrix product.

    ``keras.layers.RNN`` calls the whole cell at every step, input product
    included. Here the input part of every pre-activation, :math:`a^x_t =
    W_x^\\top x_t + b` for :math:`t = 1..T`, is one ``(B*T, D) @ (D, G*U)``
    product before the loop, and only the recurrence :math:`h_t =
    g(a^x_t + W_h^\\top h_{t-1})` runs inside ``keras.ops.scan``. The
    results are those of ``keras.layers.RNN(cell)``.

    Masks follow Keras: at a masked step every state keeps its previous
    value, and the output is the previous :math:`h` (zeros with
    ``zero_output_for_mask=True``). A fully masked sequence therefore ends in
    its initial state. A zero-length sequence also returns the initial state
    (and an output of zeros, or an empty sequence).

    Args:
        cell: a :class:`SimpleRNNCell`, :class:`LSTMCell` or :class:`GRUCell`
            (anything with ``project_inputs`` and ``step``).
        return_sequences: bool. Return the output at every step rather than
            the last one. Defaults to `False`.
        return_state: bool. Also return the final states. Defaults to `False`.
        go_backwards: bool. Read the sequence from the end; the output
            sequence is then in reading order, as in Keras. Defaults to
            `False`.
        zero_output_for_mask: bool. Output zeros at masked steps. Defaults
            to `False`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        sequences: tensor ``(batch, time, features)``.
        initial_state: list of tensors ``(batch, units)`` or `None` (zeros).
        mask: boolean tensor ``(batch, time)`` or `None`; `True` marks real
            steps.

    Returns:
        ``output`` of shape ``(batch, units)`` or ``(batch, time, units)``,
        followed by the final states when ``return_state``.

    Example:

    >>> layer = FastRNN(LSTMCell(8), return_sequences=True)
    >>> tuple(layer(np.zeros((2, 5, 3), "float32")).shape)
    (2, 5, 8)
    """

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not (hasattr(cell, "project_inputs") and hasattr(cell, "step")):
            raise TypeError(
                "cell must be a companion recurrent cell with project_inputs() and step() "
                f"(got {type(cell).__name__})"
            )
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.stateful = False
        self.supports_masking = True

    @property
    def state_size(self):
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    def _check_sequences(self, shape):
        if len(shape) != 3:
            raise ValueError(
                f"{self.__class__.__name__} takes inputs of shape (batch, time, features) "
                f"(got inputs of rank {len(shape)}, shape {tuple(shape)})"
            )

    def build(self, sequences_shape, initial_state_shape=None):
        self._check_sequences(sequences_shape)
        if not self.cell.built:
            self.cell.build((sequences_shape[0], sequences_shape[-1]))

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, time = sequences_shape[0], sequences_shape[1]
        units = self.cell.output_size
        output = (batch, time, units) if self.return_sequences else (batch, units)
        if self.return_state:  # a list of shapes, one per output
            return [output, *[(batch, size) for size in self.state_size]]
        return output

    def compute_mask(self, sequences, mask=None):
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def _initial_state(self, sequences, initial_state):
        batch = ops.shape(sequences)[0]
        if initial_state is None:
            return [ops.zeros((batch, size), dtype=self.compute_dtype) for size in self.state_size]
        initial_state = _previous(initial_state)
        if len(initial_state) != len(self.state_size):
            raise ValueError(
                f"initial_state must be a list of {len(self.state_size)} tensors for "
                f"{type(self.cell).__name__} (got {len(initial_state)})"
            )
        return [ops.cast(s, self.compute_dtype) for s in initial_state]

    def _check_mask(self, mask, sequences):
        mask_shape, shape = tuple(mask.shape), tuple(sequences.shape)
        same = len(mask_shape) == 2 and all(
            m is None or s is None or m == s for m, s in zip(mask_shape, shape[:2], strict=True)
        )
        if not same:
            raise ValueError(
                f"mask must have shape (batch, time) = {shape[:2]} to match the inputs "
                f"(got mask of shape {mask_shape})"
            )

    def call(self, sequences, initial_state=None, mask=None, training=None):
        self._check_sequences(sequences.shape)
        states = self._initial_state(sequences, initial_state)
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
            self._check_mask(mask, sequences)
            mask = ops.cast(mask, "bool")
        if sequences.shape[1] == 0:  # nothing to read: the initial state is the answer
            return self._empty_result(sequences, states)

        projected = self.cell.project_inputs(sequences)  # (B, T, G*U), every step at once
        projected = ops.transpose(projected, (1, 0, 2))  # (T, B, G*U): time-major for scan
        step = self.cell.step
        zero_output = self.zero_output_for_mask

        if mask is None:

            def body(carry, x_t):
                output, new_states = step(x_t, list(carry))
                # scan's outputs mirror the carry's structure (TensorFlow needs that)
                return new_states, [output, *new_states[1:]]

            xs = projected
        else:

            def body(carry, inputs):
                x_t, m_t = inputs  # (B, G*U), (B, 1)
                carry = list(carry)
                output, new_states = step(x_t, carry)
                # a masked step keeps every state as it was
                new_states = [ops.where(m_t, n, s) for n, s in zip(new_states, carry, strict=True)]
                keep = ops.zeros_like(output) if zero_output else carry[0]
                return new_states, [ops.where(m_t, output, keep), *new_states[1:]]

            xs = (projected, ops.expand_dims(ops.transpose(mask, (1, 0)), -1))  # (T, B, 1)

        final_states, per_step = ops.scan(body, states, xs, reverse=self.go_backwards)
        final_states, outputs = list(final_states), per_step[0]  # outputs: (T, B, U)
        if self.go_backwards:
            outputs = ops.flip(outputs, axis=0)  # reading order, as Keras returns it
        last_output = outputs[-1]  # (B, U)
        output = ops.transpose(outputs, (1, 0, 2)) if self.return_sequences else last_output
        if self.return_state:
            return (output, *final_states)
        return output

    def _empty_result(self, sequences, states):
        batch = ops.shape(sequences)[0]
        units = self.cell.output_size
        if self.return_sequences:
            output = ops.zeros((batch, 0, units), dtype=self.compute_dtype)
        else:
            output = ops.zeros((batch, units), dtype=self.compute_dtype)
        if self.return_state:
            return (output, *states)
        return output

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "cell": keras.saving.serialize_keras_object(self.cell),
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "go_backwards": self.go_backwards,
                "zero_output_for_mask": self.zero_output_for_mask,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["cell"] = keras.saving.deserialize_keras_object(config["cell"])
        return cls(**config)


_LAYER_FLAGS = ("return_sequences", "return_state", "go_backwards", "zero_output_for_mask")
_BASE_CONFIG = ("name", "trainable", "dtype")


class _CellLayer(FastRNN):
    """A :class:`FastRNN` that builds its own cell from the Keras-style arguments."""

    cell_class = None

    def __init__(self, units, **kwargs):
        layer_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in _LAYER_FLAGS}
        base_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in _BASE_CONFIG}
        cell = self.cell_class(units, dtype=base_kwargs.get("dtype"), name="cell", **kwargs)
        super().__init__(cell, **layer_kwargs, **base_kwargs)
        self.units = cell.units

    def get_config(self):
        config = keras.layers.Layer.get_config(self)
        config.update({flag: getattr(self, flag) for flag in _LAYER_FLAGS})
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="companion")
class SimpleRNN(_CellLayer):
    """:class:`SimpleRNNCell` on the fast full-sequence path (:class:`FastRNN`).

    .. math:: h_t = \\tanh(\\underbrace{W_{xh}^\\top x_t + b_h}_{\\text{all } t
        \\text{ at once}} + W_{hh}^\\top h_{t-1})

    Args:
        units: int. Size of the state.
        **kwargs: the arguments of :class:`SimpleRNNCell` and of
            :class:`FastRNN` (``return_sequences``, ``return_state``,
            ``go_backwards``, ``zero_output_for_mask``), as in
            ``keras.layers.SimpleRNN``.

    Example:

    >>> tuple(SimpleRNN(4)(np.zeros((2, 5, 3), "float32")).shape)
    (2, 4)
    """

    cell_class = SimpleRNNCell


@keras.saving.register_keras_serializable(package="companion")
class LSTM(_CellLayer):
    """:class:`LSTMCell` on the fast full-sequence path (:class:`FastRNN`).

    Args:
        units: int. Size of the state.
        **kwargs: the arguments of :class:`LSTMCell` (including ``peephole``
            and ``coupled``) and of :class:`FastRNN`, as in
            ``keras.layers.LSTM``.

    Example:

    >>> output, h, c = LSTM(4, return_state=True)(np.zeros((2, 5, 3), "float32"))
    >>> tuple(c.shape)
    (2, 4)
    """

    cell_class = LSTMCell


@keras.saving.register_keras_serializable(package="companion")
class GRU(_CellLayer):
    """:class:`GRUCell` on the fast full-sequence path (:class:`FastRNN`).

    Args:
        units: int. Size of the state.
        **kwargs: the arguments of :class:`GRUCell` and of :class:`FastRNN`.
            Note the update-gate convention (:func:`convert_gru_weights`).

    Example:

    >>> tuple(GRU(4, return_sequences=True)(np.zeros((2, 5, 3), "float32")).shape)
    (2, 5, 4)
    """

    cell_class = GRUCell


@keras.saving.register_keras_serializable(package="companion")
class Bidirectional(keras.layers.Layer):
    """Runs a recurrent layer forwards and backwards and merges the two (deck 003).

    .. math::

        \\overrightarrow{h}_t = f(x_t, \\overrightarrow{h}_{t-1}), \\quad
        \\overleftarrow{h}_t = f'(x_t, \\overleftarrow{h}_{t+1}), \\quad
        y_t = \\mathrm{merge}(\\overrightarrow{h}_t, \\overleftarrow{h}_t)

    The backward layer is a copy of ``layer`` (its own weights) with
    ``go_backwards`` flipped; its output sequence is flipped back so both
    outputs at index ``t`` belong to step ``t``. As in Keras, masked steps of
    returned sequences are zeros.

    Args:
        layer: a recurrent layer: a :class:`FastRNN` (:class:`SimpleRNN`,
            :class:`LSTM`, :class:`GRU`) or a ``keras.layers.RNN``.
        merge_mode: str or `None`. ``"concat"`` (default, twice the size),
            ``"sum"``, ``"ave"`` (or ``"average"``), ``"mul"`` (or
            ``"product"``), ``"max"``; `None` returns both outputs.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        sequences: tensor ``(batch, time, features)``.
        initial_state: list of the forward states then the backward states,
            or `None`.
        mask: boolean tensor ``(batch, time)`` or `None`.

    Returns:
        The merged output (and the forward then backward final states when
        ``return_state``).

    Example:

    >>> layer = Bidirectional(GRU(4, return_sequences=True), merge_mode="max")
    >>> tuple(layer(np.zeros((2, 5, 3), "float32")).shape)
    (2, 5, 4)

    References:
        Schuster and Paliwal, "Bidirectional recurrent neural networks", IEEE
        Transactions on Signal Processing, 1997.
    """

    def __init__(self, layer, merge_mode="concat", **kwargs):
        super().__init__(**kwargs)
        if merge_mode is not None and merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"merge_mode must be one of {sorted(_MERGE_MODES)} or None "
                f"(got merge_mode={merge_mode!r})"
            )
        if not isinstance(layer, keras.layers.Layer) or not hasattr(layer, "go_backwards"):
            raise TypeError(
                "layer must be a recurrent Keras layer with a go_backwards argument "
                f"(got {type(layer).__name__})"
            )
        self.merge_mode = None if merge_mode is None else _MERGE_MODES[merge_mode]
        self.layer = layer
        config = keras.saving.serialize_keras_object(layer)
        config["config"]["name"] = f"forward_{layer.name}"
        self.forward_layer = keras.saving.deserialize_keras_object(config)
        config = keras.saving.serialize_keras_object(layer)
        config["config"]["go_backwards"] = not layer.go_backwards
        config["config"]["name"] = f"backward_{layer.name}"
        self.backward_layer = keras.saving.deserialize_keras_object(config)
        for direction in (self.forward_layer, self.backward_layer):
            # as in Keras: masked steps of a returned sequence are zeros
            direction.zero_output_for_mask = direction.return_sequences
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) != 3:
            raise ValueError(
                "Bidirectional takes inputs of shape (batch, time, features) "
                f"(got shape {tuple(sequences_shape)})"
            )
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction.build(sequences_shape)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            shape = (*shape[:-1], shape[-1] * 2)
        output = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state or self.merge_mode is None:  # a list of shapes, one per output
            return output + states + states
        return output[0]

    def compute_mask(self, sequences, mask=None):
        output_mask = mask if self.return_sequences else None
        masks = [output_mask] if self.merge_mode is not None else [output_mask, output_mask]
        if self.return_state:
            states = len(self.forward_layer.state_size) * 2
            return masks + [None] * states
        return masks[0] if self.merge_mode is not None else masks

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        forward = self.forward_layer(sequences, initial_state=forward_state, mask=mask)
        backward = self.backward_layer(sequences, initial_state=backward_state, mask=mask)
        states = ()
        if self.return_state:
            states = tuple(forward[1:]) + tuple(backward[1:])
            forward, backward = forward[0], backward[0]
        if self.return_sequences:
            backward = ops.flip(backward, axis=1)  # index t of both is step t
        output = self.merge(forward, backward)
        if self.merge_mode is None:
            return tuple(output) + states
        return (output, *states) if self.return_state else output

    def merge(self, forward, backward):
        """Merges the two directions' outputs with ``merge_mode``."""
        mode = self.merge_mode
        if mode == "concat":
            return ops.concatenate([forward, backward], axis=-1)  # (..., 2U)
        if mode == "sum":
            return forward + backward
        if mode == "ave":
            return (forward + backward) / 2.0
        if mode == "mul":
            return forward * backward
        if mode == "max":
            return ops.maximum(forward, backward)
        return [forward, backward]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "layer": keras.saving.serialize_keras_object(self.layer),
                "merge_mode": self.merge_mode,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)


def parameter_count(
    kind, units, input_dim, use_bias=True, reset_after=False, peephole=False, coupled=False
):
    """Number of trainable parameters of a recurrent layer (deck 004).

    A SimpleRNN has :math:`U(D + U + 1)` parameters (:math:`W_{xh}`,
    :math:`W_{hh}`, :math:`b`). An LSTM repeats that block for each of its
    four gates (:math:`4 U (D + U + 1)`), a GRU for its three
    (:math:`3 U (D + U + 1)`; :math:`3 U (D + U + 2)` with
    ``reset_after``'s second bias row).

    Args:
        kind: str. ``"simple_rnn"``, ``"lstm"`` or ``"gru"``.
        units: int. Size of the state :math:`U`.
        input_dim: int. Size of each input vector :math:`D`.
        use_bias: bool. Defaults to `True`.
        reset_after: bool. GRU only. Defaults to `False`.
        peephole: bool. LSTM only: adds one weight per unit and peeking gate.
        coupled: bool. LSTM only: three gate blocks instead of four.

    Returns:
        int.
    """
    units, input_dim = _check_units(units), int(input_dim)
    if input_dim <= 0:
        raise ValueError(f"input_dim must be a positive integer (got input_dim={input_dim})")
    block = units * (input_dim + units + (1 if use_bias else 0))
    if kind == "simple_rnn":
        return block
    if kind == "lstm":
        gates = 3 if coupled else 4
        return gates * block + ((gates - 1) * units if peephole else 0)
    if kind == "gru":
        return 3 * block + (3 * units if (use_bias and reset_after) else 0)
    raise ValueError(f"kind must be one of 'simple_rnn', 'lstm', 'gru' (got kind={kind!r})")


@dataclasses.dataclass
class BPTTResult:
    """What :func:`rnn_bptt_numpy` returns.

    Attributes:
        loss: float. :math:`L = \\sum_t w_t l_t`, with :math:`l_t` the mean
            over the batch of :math:`\\tfrac12 \\lVert \\hat y_t - y_t \\rVert^2`.
        gradients: dict of arrays, keys ``"w_xh"``, ``"w_hh"``, ``"b_h"``,
            ``"w_hy"``, ``"b_y"`` (the shapes of the weights).
        w_hh_terms: array ``(T, H, H)``: the term of :math:`\\partial L /
            \\partial W_{hh}` that comes from step :math:`t`'s use of
            :math:`W_{hh}`; they sum to ``gradients["w_hh"]``.
        state_gradients: array ``(B, T, H)``: :math:`\\partial L / \\partial
            h_t`, through every later step.
        states: array ``(B, T + 1, H)``: :math:`h_0 .. h_T`.
        outputs: array ``(B, T, O)``: :math:`\\hat y_1 .. \\hat y_T`.
    """

    loss: float
    gradients: dict
    w_hh_terms: np.ndarray
    state_gradients: np.ndarray
    states: np.ndarray
    outputs: np.ndarray


def rnn_forward_numpy(inputs, w_xh, w_hh, b_h, w_hy, b_y, h0=None):
    """The forward pass of deck 004's vanilla RNN, in NumPy.

    .. math::

        h_t = \\tanh(W_{xh}^\\top x_t + W_{hh}^\\top h_{t-1} + b_h), \\qquad
        \\hat y_t = W_{hy}^\\top h_t + b_y

    Weights use Keras's layout (``w_xh`` is ``SimpleRNN``'s kernel, ``w_hy``
    a ``Dense`` kernel), so rows are inputs and columns outputs.

    Args:
        inputs: array ``(B, T, D)``.
        w_xh: ``(D, H)``. w_hh: ``(H, H)``. b_h: ``(H,)``.
        w_hy: ``(H, O)``. b_y: ``(O,)``.
        h0: array ``(B, H)`` or `None` (zeros).

    Returns:
        ``(states, outputs)``: ``(B, T + 1, H)`` with :math:`h_0` first, and
        ``(B, T, O)``.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    if inputs.ndim != 3:
        raise ValueError(f"inputs must have shape (batch, time, features) (got {inputs.shape})")
    batch, steps, _ = inputs.shape
    hidden = np.asarray(w_hh).shape[0]
    states = np.zeros((batch, steps + 1, hidden))
    if h0 is not None:
        states[:, 0] = h0
    for t in range(steps):
        # h_t = tanh(W_xh^T x_t + W_hh^T h_{t-1} + b_h)
        states[:, t + 1] = np.tanh(inputs[:, t] @ w_xh + states[:, t] @ w_hh + b_h)
    outputs = states[:, 1:] @ w_hy + b_y  # (B, T, O): y_t = W_hy^T h_t + b_y
    return states, outputs


def rnn_bptt_numpy(inputs, targets, w_xh, w_hh, b_h, w_hy, b_y, h0=None, loss_weights=None):
    """Backpropagation through time by hand, following deck 004.

    The loss is a sum over time, :math:`L = \\sum_t w_t l_t` with
    :math:`l_t = \\frac{1}{B}\\sum_b \\tfrac12 \\lVert \\hat y_t - y_t
    \\rVert^2` (all :math:`w_t = 1` by default). Going backwards from
    :math:`t = T`, the error reaching :math:`h_t` is its own loss's plus what
    comes back from :math:`h_{t+1}`:

    .. math::

        \\frac{\\partial L}{\\partial h_t} = W_{hy} \\frac{\\partial L}{\\partial \\hat y_t}
        + \\Big(\\frac{\\partial h_{t+1}}{\\partial h_t}\\Big)^\\top
          \\frac{\\partial L}{\\partial h_{t+1}}, \\qquad
        \\frac{\\partial h_{t+1}}{\\partial h_t} = \\mathrm{diag}(1 - h_{t+1}^2)\\, W_{hh}^\\top

    and each use of a weight at step :math:`t` adds one term, so
    :math:`\\partial L / \\partial W_{hh} = \\sum_t h_{t-1}\\, \\delta_t^\\top`
    with :math:`\\delta_t = (1 - h_t^2) \\odot \\partial L / \\partial h_t`:
    deck 004's sum over :math:`i` of products of :math:`\\partial h_{k+1} /
    \\partial h_k`, computed right to left once instead of once per term.

    Args:
        inputs: array ``(B, T, D)``.
        targets: array ``(B, T, O)``.
        w_xh, w_hh, b_h, w_hy, b_y, h0: as in :func:`rnn_forward_numpy`.
        loss_weights: array ``(T,)`` or `None`: the weight :math:`w_t` of each
            step's loss (for instance one-hot to keep a single :math:`l_t`).

    Returns:
        A :class:`BPTTResult`.
    """
    states, outputs = rnn_forward_numpy(inputs, w_xh, w_hh, b_h, w_hy, b_y, h0)
    inputs = np.asarray(inputs, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if targets.shape != outputs.shape:
        raise ValueError(
            f"targets must have the outputs' shape {outputs.shape} (got {targets.shape})"
        )
    batch, steps, _ = inputs.shape
    weights = np.ones(steps) if loss_weights is None else np.asarray(loss_weights, np.float64)
    if weights.shape != (steps,):
        raise ValueError(f"loss_weights must have shape ({steps},) (got {weights.shape})")
    w_xh, w_hh, w_hy = (np.asarray(w, np.float64) for w in (w_xh, w_hh, w_hy))
    errors = outputs - targets  # (B, T, O)
    loss = float(np.sum(weights * 0.5 * np.sum(errors**2, axis=(0, 2)) / batch))

    grads = {
        name: np.zeros_like(np.asarray(w, np.float64))
        for name, w in (("w_xh", w_xh), ("w_hh", w_hh), ("b_h", b_h), ("w_hy", w_hy), ("b_y", b_y))
    }
    hidden = w_hh.shape[0]
    w_hh_terms = np.zeros((steps, hidden, hidden))
    state_gradients = np.zeros((batch, steps, hidden))
    from_later = np.zeros((batch, hidden))  # dL/dh_t through h_{t+1}; zero after the last step
    for t in reversed(range(steps)):
        h_t, h_prev = states[:, t + 1], states[:, t]  # (B, H)
        d_y = weights[t] * errors[:, t] / batch  # dL/dy_t, (B, O)
        grads["w_hy"] += h_t.T @ d_y  # dL/dW_hy = sum_t h_t (dL/dy_t)^T
        grads["b_y"] += d_y.sum(axis=0)
        d_h = d_y @ w_hy.T + from_later  # dL/dh_t: own loss + the future's
        state_gradients[:, t] = d_h
        delta = d_h * (1.0 - h_t**2)  # through tanh: dL/da_t, (B, H)
        w_hh_terms[t] = h_prev.T @ delta  # step t's use of W_hh
        grads["w_xh"] += inputs[:, t].T @ delta
        grads["b_h"] += delta.sum(axis=0)
        from_later = delta @ w_hh.T  # (dh_t/dh_{t-1})^T dL/dh_t
    grads["w_hh"] = w_hh_terms.sum(axis=0)
    return BPTTResult(loss, grads, w_hh_terms, state_gradients, states, outputs)

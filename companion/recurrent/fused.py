"""The library's one backend hook: the fused recurrent kernels a backend offers.

Everything else in ``companion/`` is written once with ``keras.ops``. Speed
that only a backend's own kernel gives lives here, behind one function that
either computes the layer or raises ``NotImplementedError``, after which the
layer runs its readable loop (as ``keras.layers.LSTM`` calls
``keras.src.backend.lstm`` for cuDNN and falls back when it raises):

* **torch**: ``torch.lstm`` and ``torch.gru``, the fused CPU and GPU kernels
  behind ``torch.nn.LSTM`` and ``GRU`` (Keras uses them on CUDA only);
* **tensorflow**: ``BlockLSTM``, a fused LSTM over the whole sequence,
  peepholes included (not ``BlockLSTMV2``, whose registered gradient
  disagrees with its own forward pass in TensorFlow 2.21); TensorFlow has no
  fused GRU on the CPU;
* **jax**: none; XLA already compiles the readable loop into one program.

A kernel is used only when the layer's configuration is the kernel's
equation exactly: standard ``tanh`` and ``sigmoid`` activations, biases, no
mask, no dropout in this call, float32; an LSTM without coupled gates (and
without peepholes on torch); a GRU with ``reset_after=True``, whose update
gate is mapped to the deck's convention with :func:`convert_gru_weights`'s
sign flip. The tests prove each kernel equal, outputs and gradients, to the
readable loop.

On torch, which runs the loop as Python steps anyway, :func:`loops_eagerly`
tells the layer to iterate over ``ops.unstack`` of the inputs rather than
index one big tensor at every step (which makes autograd add a full-size zero
gradient per step, a cost quadratic in the length).
"""

import keras

from companion.recurrent.gru import GRUCell
from companion.recurrent.lstm import LSTMCell


def loops_eagerly():
    """Whether the backend runs a loop over time as Python steps (torch)."""
    return keras.config.backend() == "torch"


def _standard(cell):
    return (
        cell.activation is keras.activations.tanh
        and cell.recurrent_activation is keras.activations.sigmoid
        and cell.use_bias
        and cell.compute_dtype == "float32"
    )


def kernel_name(cell):
    """The fused kernel this backend would run for ``cell``, or `None`."""
    backend = keras.config.backend()
    if not isinstance(cell, (LSTMCell, GRUCell)) or not _standard(cell):
        return None
    if isinstance(cell, LSTMCell) and not cell.coupled:
        if backend == "torch" and not cell.peephole:
            return "torch.lstm"
        if backend == "tensorflow":
            return "BlockLSTM"
    if isinstance(cell, GRUCell) and cell.reset_after and backend == "torch":
        return "torch.gru"
    return None


def fused_recurrence(cell, sequences, states, reverse):
    """Runs ``cell`` over ``sequences`` with the backend's fused kernel.

    Args:
        cell: a built :class:`~companion.recurrent.LSTMCell` or
            :class:`~companion.recurrent.GRUCell`.
        sequences: tensor ``(batch, time, features)``, no mask.
        states: list of initial states ``(batch, units)``.
        reverse: bool. Read from the last step to the first.

    Returns:
        ``(outputs, final_states)`` as :func:`~companion.recurrent.run_recurrence`
        returns them (outputs in reading order).

    Raises:
        NotImplementedError: no fused kernel matches this backend and cell.
    """
    name = kernel_name(cell)
    if name is None:
        raise NotImplementedError(
            f"no fused kernel on {keras.config.backend()} for {type(cell).__name__}"
        )
    return _KERNELS[name](cell, sequences, states, reverse)


def _torch_gate_rows(matrix, cell):
    """Keras's column blocks as torch's row blocks: LSTM (i, f, c, o) stays; the GRU's
    (z, r, h) becomes torch's (r, z, n), with z negated (torch's z is the deck's 1 - z)."""
    import torch

    if isinstance(cell, LSTMCell):
        return matrix.T
    z, r, h = torch.chunk(matrix, 3, dim=-1)
    return torch.cat([r, -z, h], dim=-1).T


def _torch_kernel(cell, sequences, states, reverse):
    import torch

    x = torch.flip(sequences, dims=[1]) if reverse else sequences  # (B, T, D)
    w_ih = _torch_gate_rows(cell.kernel.value, cell)  # (G*U, D)
    w_hh = _torch_gate_rows(cell.recurrent_kernel.value, cell)  # (G*U, U)
    if isinstance(cell, LSTMCell):
        b_ih = cell.bias.value
        b_hh = torch.zeros_like(b_ih)
        hx = (states[0][None], states[1][None])  # (1, B, U) each
        outputs, h, c = torch.lstm(
            x, hx, [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, True
        )
        return outputs, [h[0], c[0]]
    b_ih = _torch_gate_rows(cell.bias.value[0][None], cell)[:, 0]  # (3U,)
    b_hh = _torch_gate_rows(cell.bias.value[1][None], cell)[:, 0]
    outputs, h = torch.gru(
        x, states[0][None], [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, True
    )
    return outputs, [h[0]]


def _icfo(matrix):
    """Keras's gate blocks (i, f, c, o) in BlockLSTM's order (i, c, f, o)."""
    import tensorflow as tf

    i, f, c, o = tf.split(matrix, 4, axis=-1)
    return tf.concat([i, c, f, o], axis=-1)


def _tensorflow_block_lstm(cell, sequences, states, reverse):
    import tensorflow as tf

    x = tf.transpose(sequences, (1, 0, 2))  # (T, B, D): time-major
    if reverse:
        x = tf.reverse(x, axis=[0])
    weights = tf.concat([cell.kernel.value, cell.recurrent_kernel.value], axis=0)  # (D+U, 4U)
    zeros = tf.zeros((cell.units,), dtype=x.dtype)
    peepholes = tf.unstack(cell.peephole_kernel.value) if cell.peephole else [zeros] * 3
    _, cs, _, _, _, _, h = tf.raw_ops.BlockLSTM(
        seq_len_max=tf.cast(tf.shape(x)[0], tf.int64),
        x=x,
        cs_prev=states[1],
        h_prev=states[0],
        w=_icfo(weights),
        wci=peepholes[0],
        wcf=peepholes[1],
        wco=peepholes[2],
        b=_icfo(cell.bias.value),
        forget_bias=0.0,  # the bias is in b already (unit_forget_bias)
        cell_clip=-1.0,  # no clipping of the cell state
        use_peephole=cell.peephole,
    )  # h, cs: (T, B, U)
    return tf.transpose(h, (1, 0, 2)), [h[-1], cs[-1]]


_KERNELS = {
    "torch.lstm": _torch_kernel,
    "torch.gru": _torch_kernel,
    "BlockLSTM": _tensorflow_block_lstm,
}

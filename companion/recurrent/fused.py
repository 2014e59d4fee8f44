"""The library's one backend hook: the fused recurrent kernels a backend offers.

Everything else in ``companion/`` is written once with ``keras.ops``. Speed
that only a backend's own kernel gives lives here, behind one function that
either computes the layer or raises ``NotImplementedError``, after which the
layer runs its readable loop (as ``keras.layers.LSTM`` calls
``keras.src.backend.lstm`` for cuDNN and falls back when it raises):

* **torch**: ``torch.lstm`` and ``torch.gru``, the fused CPU and GPU kernels
  behind ``torch.nn.LSTM`` and ``GRU`` (Keras uses them on CUDA only);
* **jax**: none; XLA already compiles the readable loop into one program;
* **tensorflow**: none used. Its ``BlockLSTM`` op computes the same LSTM but a
  training step with it measured slower than the readable loop in
  ``tf.function`` (96.7 against 83.7 ms, ``benchmarks/RESULTS.md``), and
  ``BlockLSTMV2``'s registered gradient disagrees with its own forward pass
  (TensorFlow 2.21); there is no fused GRU on the CPU.

A kernel is used only when the layer's configuration is the kernel's
equation exactly: standard ``tanh`` and ``sigmoid`` activations, biases, no
dropout in this call, float32, and no mask or a post-padded one (real steps
then padding, read forwards: torch's packed sequences); an LSTM without coupled gates (and
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
    if isinstance(cell, GRUCell) and cell.reset_after and backend == "torch":
        return "torch.gru"
    return None


def fused_recurrence(cell, sequences, states, reverse, mask=None, zero_output_for_mask=False):
    """Runs ``cell`` over ``sequences`` with the backend's fused kernel.

    Args:
        cell: a built :class:`~companion.recurrent.LSTMCell` or
            :class:`~companion.recurrent.GRUCell`.
        sequences: tensor ``(batch, time, features)``.
        states: list of initial states ``(batch, units)``.
        reverse: bool. Read from the last step to the first.
        mask: bool tensor ``(batch, time)`` or `None`. Only a mask of real
            steps followed by padding (post-padding, at least one real step
            per row) is computed by a kernel (torch's packed sequences), and
            only reading forwards.
        zero_output_for_mask: bool. Zeros as the output of masked steps
            (else the last real output, as in Keras).

    Returns:
        ``(outputs, final_states)`` as :func:`~companion.recurrent.run_recurrence`
        returns them (outputs in reading order).

    Raises:
        NotImplementedError: no fused kernel matches this backend, cell and mask.
    """
    name = kernel_name(cell)
    if name is None:
        raise NotImplementedError(
            f"no fused kernel on {keras.config.backend()} for {type(cell).__name__}"
        )
    return _KERNELS[name](cell, sequences, states, reverse, mask, zero_output_for_mask)


def _torch_gate_rows(matrix, cell):
    """Keras's column blocks as torch's row blocks: LSTM (i, f, c, o) stays; the GRU's
    (z, r, h) becomes torch's (r, z, n), with z negated (torch's z is the deck's 1 - z)."""
    import torch

    if isinstance(cell, LSTMCell):
        return matrix.T
    z, r, h = torch.chunk(matrix, 3, dim=-1)
    return torch.cat([r, -z, h], dim=-1).T


def _torch_weights(cell):
    """``[w_ih, w_hh, b_ih, b_hh]`` in torch's layout, from the cell's Keras weights."""
    import torch

    w_ih = _torch_gate_rows(cell.kernel.value, cell)  # (G*U, D)
    w_hh = _torch_gate_rows(cell.recurrent_kernel.value, cell)  # (G*U, U)
    if isinstance(cell, LSTMCell):
        return [w_ih, w_hh, cell.bias.value, torch.zeros_like(cell.bias.value)]
    b_ih = _torch_gate_rows(cell.bias.value[0][None], cell)[:, 0]  # (3U,)
    b_hh = _torch_gate_rows(cell.bias.value[1][None], cell)[:, 0]
    return [w_ih, w_hh, b_ih, b_hh]


def _post_padded_lengths(mask):
    """Each row's number of real steps, if the mask is real steps then padding; else raises."""
    import torch

    lengths = mask.sum(dim=1)  # (B,)
    steps = torch.arange(mask.shape[1], device=mask.device)
    if (lengths == 0).any() or not torch.equal(mask, steps[None, :] < lengths[:, None]):
        raise NotImplementedError("the fused kernels take post-padded masks only")
    return lengths


def _torch_kernel(cell, sequences, states, reverse, mask, zero_output_for_mask):
    import torch
    from torch.nn.utils import rnn

    lstm = isinstance(cell, LSTMCell)
    run, weights = (torch.lstm if lstm else torch.gru), _torch_weights(cell)
    hx = [state[None] for state in states]  # (1, B, U) each
    if mask is None:
        x = torch.flip(sequences, dims=[1]) if reverse else sequences  # (B, T, D)
        outputs, *final = run(x, hx if lstm else hx[0], weights, True, 1, 0.0, False, False, True)
        return outputs, [state[0] for state in final]
    if reverse:
        raise NotImplementedError("the fused kernels read a masked sequence forwards only")
    lengths = _post_padded_lengths(mask)
    packed = rnn.pack_padded_sequence(
        sequences, lengths.cpu(), batch_first=True, enforce_sorted=False
    )  # the real steps only, longest sequence first
    hx = [state[:, packed.sorted_indices] for state in hx]
    data, *final = run(
        packed.data, packed.batch_sizes, hx if lstm else hx[0], weights, True, 1, 0.0, False, False
    )
    final = [state[0, packed.unsorted_indices] for state in final]  # (B, U), batch order
    packed_outputs = rnn.PackedSequence(
        data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices
    )
    outputs, _ = rnn.pad_packed_sequence(
        packed_outputs, batch_first=True, total_length=sequences.shape[1]
    )  # (B, T, U), zeros at the padding
    if not zero_output_for_mask:  # as Keras: a masked step repeats the last real output
        outputs = torch.where(mask[..., None], outputs, final[0][:, None, :])
    return outputs, final


_KERNELS = {
    "torch.lstm": _torch_kernel,
    "torch.gru": _torch_kernel,
}

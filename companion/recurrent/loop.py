"""The loop over time: one recurrence step per time step, with masks.

:func:`run_recurrence` is the loop of every full-sequence layer: it takes the
inputs already projected for all steps and runs only the recurrence, inside
``keras.ops.scan`` (compiled by JAX and TensorFlow) or, with ``unroll``, as
plain Python steps.
"""

from keras import ops

from companion.checks import check_rank


def _masked(step, zero_output_for_mask):
    """Wraps ``step`` so that a masked step keeps every state (Keras's semantics)."""

    def masked_step(x_t, m_t, states):
        output, new_states = step(x_t, states)
        new_states = [ops.where(m_t, n, s) for n, s in zip(new_states, states, strict=True)]
        keep = ops.zeros_like(output) if zero_output_for_mask else states[0]
        return ops.where(m_t, output, keep), new_states

    return masked_step


def run_recurrence(
    step, projected, states, mask=None, reverse=False, zero_output_for_mask=False, unroll=False
):
    """Runs ``step`` over the time axis of ``projected``.

    Args:
        step: callable ``(x_t, states) -> (output, new_states)`` with ``x_t``
            of shape ``(batch, gates * units)``; the output is the first state
            (:math:`h_t`).
        projected: tensor ``(batch, time, gates * units)``: the projected
            inputs of every step.
        states: list of tensors ``(batch, units)``: the initial states.
        mask: bool tensor ``(batch, time)`` or `None`. A masked step keeps
            every state; its output is the previous :math:`h` (or zeros with
            ``zero_output_for_mask``).
        reverse: bool. Read from the last step to the first.
        zero_output_for_mask: bool. Zeros as the output of masked steps.
        unroll: bool. Python steps instead of ``ops.scan``; needs a known
            number of steps.

    Returns:
        ``(outputs, final_states)``: ``outputs`` of shape ``(batch, time,
        units)`` in reading order (with ``reverse``, index 0 holds the last
        time step, as Keras's ``go_backwards`` returns it), and the list of
        final states.
    """
    check_rank("projected", projected.shape, 3, "(batch, time, gates * units)")
    states = [ops.convert_to_tensor(state) for state in states]
    xs = ops.transpose(projected, (1, 0, 2))  # (T, B, G*U): time-major
    if mask is not None:
        # The mask rides along as one more column of xs: Keras 3.15's TensorFlow
        # scan fails on a second sequence input once the time length is unknown.
        mask_column = ops.cast(ops.transpose(mask, (1, 0)), xs.dtype)[..., None]  # (T, B, 1)
        xs = ops.concatenate([xs, mask_column], axis=-1)  # (T, B, G*U + 1)
        masked_step = _masked(step, zero_output_for_mask)

    def body(carry, x_t):
        carry = list(carry)
        if mask is None:
            output, new_states = step(x_t, carry)
        else:
            output, new_states = masked_step(x_t[:, :-1], x_t[:, -1:] > 0.5, carry)
        # scan's outputs mirror the carry's structure (TensorFlow needs that)
        return new_states, [output, *new_states[1:]]

    if unroll:
        if xs.shape[0] is None:
            raise ValueError(
                "unroll=True needs a known number of time steps (got inputs with time=None); "
                "give keras.Input a fixed length or use unroll=False"
            )
        carry, outputs = list(states), []
        steps = ops.unstack(xs, axis=0)
        for x_t in reversed(steps) if reverse else steps:
            carry, per_step = body(carry, x_t)
            outputs.append(per_step[0])
        outputs = ops.stack(outputs)  # (T, B, U), in reading order
        return ops.transpose(outputs, (1, 0, 2)), carry

    final_states, per_step = ops.scan(body, states, xs, reverse=reverse)
    outputs = per_step[0]  # (T, B, U); scan with reverse stores step t at index t
    if reverse:
        outputs = ops.flip(outputs, axis=0)  # reading order
    return ops.transpose(outputs, (1, 0, 2)), list(final_states)

r"""Looking inside a recurrence: the gradient reaching each hidden state.

How much does the loss at the end still feel the state :math:`h_t` of step
:math:`t`? :class:`ProbedRNN` adds a zero *probe* :math:`p_t` to each state
inside the recurrence, :math:`h_t \leftarrow h_t + p_t`. The outputs do not
change, and :math:`\partial L / \partial p_t = \partial L / \partial h_t`, so
the probe's gradient, which any optimizer step exposes without backend code
(:func:`companion.training.sgd_gradients`), is the gradient through time.
"""

import keras
import numpy as np
from keras import ops

from companion.checks import check_int, check_last_dim, check_rank
from companion.recurrent.cells import with_cell


@keras.saving.register_keras_serializable(package="companion")
class ProbedRNN(keras.layers.Layer):
    """Runs a cell over a sequence with a zero probe added to :math:`h_t` after each step.

    Args:
        cell: a :class:`~companion.recurrent.RecurrentCell`, usually shared
            with a trained model (its weights are used as they are).
        batch_size: int. The probe has one entry per sequence of the batch.
        steps: int. The sequence length :math:`T`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        inputs: tensor ``(batch_size, steps, features)``.

    Returns:
        The final state :math:`h_T`, ``(batch_size, units)``.

    Example:

    >>> from companion.recurrent import SimpleRNNCell
    >>> probed = ProbedRNN(SimpleRNNCell(3), batch_size=2, steps=4)
    >>> tuple(probed(np.zeros((2, 4, 1), "float32")).shape)
    (2, 3)
    """

    def __init__(self, cell, batch_size, steps, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        self.steps = check_int("steps", steps, minimum=1)
        self.probe = self.add_weight(
            shape=(self.batch_size, self.steps, cell.units), initializer="zeros", name="probe"
        )

    def build(self, input_shape):
        check_rank("inputs", input_shape, 3, f"({self.batch_size}, {self.steps}, features)")
        if not self.cell.built:
            self.cell.build((input_shape[0], input_shape[-1]))

    def call(self, inputs):
        check_last_dim("inputs", inputs.shape, self.cell.input_dim, "features")
        expected = (self.batch_size, self.steps)
        if any(s is not None and s != e for s, e in zip(inputs.shape[:2], expected, strict=True)):
            raise ValueError(
                f"inputs must have shape ({self.batch_size}, {self.steps}, features), the "
                f"probe's (got shape {tuple(inputs.shape)})"
            )
        projected = ops.transpose(self.cell.project_inputs(inputs), (1, 0, 2))  # (T, B, G*U)
        probes = ops.transpose(self.probe, (1, 0, 2))  # (T, B, U)
        sizes = self.cell.state_size
        sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]
        states = [ops.zeros((self.batch_size, size), dtype=self.compute_dtype) for size in sizes]

        def body(states, step_inputs):
            x_t, p_t = step_inputs
            _, new_states = self.cell.step(x_t, list(states))
            new_states = [new_states[0] + p_t, *new_states[1:]]  # h_t + p_t
            return new_states, new_states

        final_states, _ = ops.scan(body, states, (projected, probes))
        return final_states[0]  # (B, U)

    def compute_output_shape(self, input_shape):
        return (self.batch_size, self.cell.units)

    def state_gradient_norms(self, probe_gradient):
        """Mean over the batch of :math:`\\lVert \\partial L / \\partial h_t \\rVert`, t = 1..T.

        Args:
            probe_gradient: array ``(batch_size, steps, units)``, the gradient
                of the loss with respect to ``probe``.

        Returns:
            NumPy array ``(steps,)``.
        """
        gradient = np.asarray(probe_gradient)
        return np.linalg.norm(gradient, axis=-1).mean(axis=0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "cell": keras.saving.serialize_keras_object(self.cell),
                "batch_size": self.batch_size,
                "steps": self.steps,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**with_cell(config))


@keras.saving.register_keras_serializable(package="companion")
class Clock(keras.layers.Layer):
    """The inputs of a one-to-many decoder: the time :math:`t / T` at each step.

    Deck 003's one-to-many shape starts from a single input vector; the
    recurrent decoder then needs an input at every step. The clock gives it
    the only thing it has: where it is in the sequence.

    Args:
        steps: int >= 1. The sequence length :math:`T`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        vectors: tensor ``(batch, features)``: only its batch size is used.

    Returns:
        Tensor ``(batch, steps, 1)`` holding :math:`0, 1/T, \\dots, (T - 1)/T`.

    Example:

    >>> keras.ops.convert_to_numpy(Clock(4)(np.zeros((1, 3), "float32")))[0, :, 0]
    array([0.  , 0.25, 0.5 , 0.75], dtype=float32)
    """

    def __init__(self, steps, **kwargs):
        super().__init__(**kwargs)
        self.steps = check_int("steps", steps, minimum=1)

    def call(self, vectors):
        check_rank("vectors", vectors.shape, 2, "(batch, features)")
        ramp = ops.arange(self.steps, dtype=self.compute_dtype) / self.steps  # (T,)
        return ops.zeros_like(vectors[:, :1, None]) + ramp[None, :, None]  # (B, T, 1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.steps, 1)

    def get_config(self):
        config = super().get_config()
        config.update({"steps": self.steps})
        return config

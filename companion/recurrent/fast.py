"""The fast full-sequence path, and the SimpleRNN, LSTM and GRU layers built on it."""

import keras
from keras import ops

from companion.checks import check_bool, check_last_dim, check_rank
from companion.recurrent import fused
from companion.recurrent.cells import SimpleRNNCell, as_state_list, with_cell
from companion.recurrent.gru import GRUCell
from companion.recurrent.loop import run_recurrence
from companion.recurrent.lstm import LSTMCell


@keras.saving.register_keras_serializable(package="companion")
class FastRNN(keras.layers.Layer):
    """A recurrent layer whose input projections take one matrix product.

    ``keras.layers.RNN`` calls the whole cell at every step, input product
    included. Here the input part of every pre-activation, :math:`a^x_t =
    W_x^\\top x_t + b` for :math:`t = 1..T`, is one ``(B*T, D) @ (D, G*U)``
    product before the loop, and only the recurrence :math:`h_t =
    g(a^x_t + W_h^\\top h_{t-1})` runs in the loop
    (:func:`~companion.recurrent.loop.run_recurrence`). The results are those
    of ``keras.layers.RNN(cell)``.

    Masks follow Keras: at a masked step every state keeps its previous
    value, and the output is the previous :math:`h` (zeros with
    ``zero_output_for_mask=True``). A fully masked sequence therefore ends in
    its initial state. A zero-length sequence also returns the initial state
    (and an output of zeros, or an empty sequence).

    Dropout is the cell's (``dropout``, ``recurrent_dropout``): in training,
    one set of masks is drawn per batch and used at every step, as in Keras.

    Where the backend offers a fused kernel for exactly this cell (see
    :mod:`companion.recurrent.fused`: torch's LSTM and GRU) and the call has
    no dropout (and no mask, or a post-padded one), the kernel computes the
    same outputs faster; ``use_fused_kernel=False`` always runs the readable
    loop.

    Args:
        cell: a :class:`~companion.recurrent.SimpleRNNCell`,
            :class:`~companion.recurrent.LSTMCell` or
            :class:`~companion.recurrent.GRUCell` (any
            :class:`~companion.recurrent.RecurrentCell`).
        return_sequences: bool. Return the output at every step rather than
            the last one. Defaults to `False`.
        return_state: bool. Also return the final states. Defaults to `False`.
        go_backwards: bool. Read the sequence from the end; the output
            sequence is then in reading order, as in Keras. Defaults to
            `False`.
        zero_output_for_mask: bool. Output zeros at masked steps. Defaults
            to `False`.
        unroll: bool. Run the loop as Python steps over a sequence of known
            length instead of a compiled scan (as Keras: faster for short
            sequences, more memory). Defaults to `False`.
        stateful: bool. Must be `False`: carry states between batches by
            passing ``initial_state`` and keeping the returned states
            (``return_state=True``), which works on every backend and under
            ``jit``.
        use_fused_kernel: bool. Use the backend's fused kernel when one
            matches. Defaults to `True`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        sequences: tensor ``(batch, time, features)``.
        initial_state: list of tensors ``(batch, units)`` or `None` (zeros).
        mask: boolean tensor ``(batch, time)`` or `None`; `True` marks real
            steps.
        training: bool. Applies dropout when `True`.

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
        unroll=False,
        stateful=False,
        use_fused_kernel=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not (hasattr(cell, "project_inputs") and hasattr(cell, "step")):
            raise TypeError(
                "cell must be a companion recurrent cell with project_inputs() and step() "
                f"(got {type(cell).__name__})"
            )
        if stateful:
            raise ValueError(
                "stateful must be False (got stateful=True): pass initial_state= and keep the "
                "states returned with return_state=True to carry them from batch to batch"
            )
        self.cell = cell
        self.return_sequences = check_bool("return_sequences", return_sequences)
        self.return_state = check_bool("return_state", return_state)
        self.go_backwards = check_bool("go_backwards", go_backwards)
        self.zero_output_for_mask = check_bool("zero_output_for_mask", zero_output_for_mask)
        self.unroll = check_bool("unroll", unroll)
        self.use_fused_kernel = check_bool("use_fused_kernel", use_fused_kernel)
        self.stateful = False
        self.supports_masking = True

    @property
    def state_size(self):
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    def _check_sequences(self, shape):
        check_rank("inputs", shape, 3, "(batch, time, features)")
        check_last_dim(
            "inputs", shape, self.cell.input_dim, "features, as when the layer was built"
        )

    def build(self, sequences_shape, initial_state_shape=None):
        check_rank("inputs", sequences_shape, 3, "(batch, time, features)")
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
        initial_state = as_state_list(initial_state)
        if len(initial_state) != len(self.state_size):
            raise ValueError(
                f"initial_state must be a list of {len(self.state_size)} tensors for "
                f"{type(self.cell).__name__} (got {len(initial_state)})"
            )
        for index, (state, size) in enumerate(zip(initial_state, self.state_size, strict=True)):
            check_rank(f"initial_state[{index}]", state.shape, 2, f"(batch, {size})")
            check_last_dim(f"initial_state[{index}]", state.shape, size, "units, the state size")
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

        dropping = training and (self.cell.dropout or self.cell.recurrent_dropout)
        outputs = None
        if self.use_fused_kernel and not dropping:
            try:
                outputs, final_states = fused.fused_recurrence(
                    self.cell,
                    sequences,
                    states,
                    self.go_backwards,
                    mask=mask,
                    zero_output_for_mask=self.zero_output_for_mask,
                )  # (B, T, U), in reading order
            except NotImplementedError:
                pass  # no kernel for this backend and cell: the readable loop below
        if outputs is None:
            outputs, final_states = self._readable_loop(sequences, states, mask, dropping)
        output = outputs if self.return_sequences else outputs[:, -1]
        if self.return_state:
            return (output, *final_states)
        return output

    def _readable_loop(self, sequences, states, mask, dropping):
        """The course's equations: project every step at once, then loop over the steps."""
        input_masks = recurrent_masks = None
        if dropping:
            batch = ops.shape(sequences)[0]
            input_masks, recurrent_masks = self.cell.dropout_masks(batch, self.compute_dtype)
        projected = self.cell.project_inputs(sequences, input_masks)  # (B, T, G*U), all steps

        def step(x_t, step_states):
            return self.cell.step(x_t, step_states, recurrent_masks)

        return run_recurrence(
            step,
            projected,
            states,
            mask=mask,
            reverse=self.go_backwards,
            zero_output_for_mask=self.zero_output_for_mask,
            unroll=self.unroll or fused.loops_eagerly(),
        )  # outputs: (B, T, U), in reading order

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
                "unroll": self.unroll,
                "use_fused_kernel": self.use_fused_kernel,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**with_cell(config))


_LAYER_FLAGS = (
    "return_sequences",
    "return_state",
    "go_backwards",
    "zero_output_for_mask",
    "unroll",
    "stateful",
    "use_fused_kernel",
)
_BASE_CONFIG = ("name", "trainable", "dtype")


class CellLayer(FastRNN):
    """A :class:`FastRNN` that builds its own cell from Keras-style keyword arguments.

    The layer's arguments (``return_sequences``, ``return_state``,
    ``go_backwards``, ``zero_output_for_mask``, ``unroll``) go to
    :class:`FastRNN`; every other argument goes to the cell class
    ``cell_class`` that a subclass names, as ``keras.layers.LSTM`` passes
    ``dropout`` to its ``LSTMCell``.
    """

    cell_class = None

    def __init__(self, units, **kwargs):
        if self.cell_class is None:
            raise TypeError(
                f"{type(self).__name__} must set cell_class, the cell it builds (got None); "
                "use SimpleRNN, LSTM or GRU, or FastRNN with a cell"
            )
        layer_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in _LAYER_FLAGS}
        base_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in _BASE_CONFIG}
        cell = self.cell_class(units, dtype=base_kwargs.get("dtype"), name="cell", **kwargs)
        super().__init__(cell, **layer_kwargs, **base_kwargs)
        self.units = cell.units

    def get_config(self):
        config = keras.layers.Layer.get_config(self)
        config.update({flag: getattr(self, flag) for flag in _LAYER_FLAGS if flag != "stateful"})
        cell_config = self.cell.get_config()
        for key in _BASE_CONFIG:
            cell_config.pop(key, None)
        config.update(cell_config)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="companion")
class SimpleRNN(CellLayer):
    """:class:`~companion.recurrent.SimpleRNNCell` on the fast full-sequence path.

    .. math:: h_t = \\tanh(\\underbrace{W_{xh}^\\top x_t + b_h}_{\\text{all } t
        \\text{ at once}} + W_{hh}^\\top h_{t-1})

    Args:
        units: int. Size of the state.
        **kwargs: the arguments of the cell (``activation``, ``use_bias``,
            initializers, ``dropout``, ``recurrent_dropout``, ``seed``) and of
            :class:`FastRNN` (``return_sequences``, ``return_state``,
            ``go_backwards``, ``zero_output_for_mask``, ``unroll``), as in
            ``keras.layers.SimpleRNN``.

    Example:

    >>> tuple(SimpleRNN(4)(np.zeros((2, 5, 3), "float32")).shape)
    (2, 4)
    """

    cell_class = SimpleRNNCell


@keras.saving.register_keras_serializable(package="companion")
class LSTM(CellLayer):
    """:class:`~companion.recurrent.LSTMCell` on the fast full-sequence path.

    Args:
        units: int. Size of the state.
        **kwargs: the arguments of the cell (including ``peephole``,
            ``coupled``, ``dropout``, ``recurrent_dropout``) and of
            :class:`FastRNN`, as in ``keras.layers.LSTM``.

    Example:

    >>> output, h, c = LSTM(4, return_state=True)(np.zeros((2, 5, 3), "float32"))
    >>> tuple(c.shape)
    (2, 4)
    """

    cell_class = LSTMCell


@keras.saving.register_keras_serializable(package="companion")
class GRU(CellLayer):
    """:class:`~companion.recurrent.GRUCell` on the fast full-sequence path.

    Args:
        units: int. Size of the state.
        **kwargs: the arguments of the cell (including ``reset_after``,
            ``dropout``, ``recurrent_dropout``) and of :class:`FastRNN`. Note
            the update-gate convention
            (:func:`~companion.recurrent.convert_gru_weights`).

    Example:

    >>> tuple(GRU(4, return_sequences=True)(np.zeros((2, 5, 3), "float32")).shape)
    (2, 5, 4)
    """

    cell_class = GRUCell

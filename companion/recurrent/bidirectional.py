"""Reading a sequence both ways, with deck 003's merge modes (max included)."""

import keras
from keras import ops

from companion.recurrent.cells import with_cell

_MERGE_MODES = {
    "concat": "concat",
    "sum": "sum",
    "ave": "ave",
    "average": "ave",
    "mul": "mul",
    "product": "mul",
    "max": "max",
}


def _unshared(config):
    """A serialized config without Keras's object-sharing marks.

    While a model loads, Keras marks an object serialized twice as shared and
    deserializes it once; the two directions must be two objects, so the
    marks are dropped.
    """
    if isinstance(config, dict):
        return {k: _unshared(v) for k, v in config.items() if k != "shared_object_id"}
    if isinstance(config, list):
        return [_unshared(v) for v in config]
    return config


@keras.saving.register_keras_serializable(package="companion")
class Bidirectional(keras.layers.Layer):
    """Runs a recurrent layer forwards and backwards and merges the two (deck 003).

    .. math::

        \\overrightarrow{h}_t = f(x_t, \\overrightarrow{h}_{t-1}), \\quad
        \\overleftarrow{h}_t = f'(x_t, \\overleftarrow{h}_{t+1}), \\quad
        y_t = \\mathrm{merge}(\\overrightarrow{h}_t, \\overleftarrow{h}_t)

    Both directions are fresh copies of ``layer`` built from its config, each
    with its own weights (as in Keras, the weights of ``layer`` itself are not
    used). The backward layer has
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

    >>> from companion.recurrent import GRU
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
        # Only the wrapped layer's config is kept: keeping the layer itself would make
        # Keras track its weights (unused, yet trainable) and rebuild it on every call.
        self.layer_config = _unshared(keras.saving.serialize_keras_object(layer))
        self.forward_layer = self._direction(layer, "forward", layer.go_backwards)
        self.backward_layer = self._direction(layer, "backward", not layer.go_backwards)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def _direction(self, layer, direction, go_backwards):
        """A fresh copy of the wrapped layer (its own weights) reading in one direction."""
        config = _unshared(keras.saving.serialize_keras_object(layer))
        config["config"]["go_backwards"] = go_backwards
        config["config"]["name"] = f"{direction}_{layer.name}"
        copy = keras.saving.deserialize_keras_object(config)
        copy.zero_output_for_mask = copy.return_sequences  # as Keras: masked outputs are zeros
        return copy

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
        forward = self.forward_layer(
            sequences, initial_state=forward_state, mask=mask, training=training
        )
        backward = self.backward_layer(
            sequences, initial_state=backward_state, mask=mask, training=training
        )
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
                "layer": self.layer_config,
                "merge_mode": self.merge_mode,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**with_cell(config, key="layer"))

r"""The recurrent encoder: a source sentence read into states (deck 003, Seq2Seq).

.. math::

    h_j = \operatorname{RNN}(E x_j, h_{j-1}), \quad j = 1..S

The encoder returns every :math:`h_j` (what attention searches), the final
state :math:`h_S` (all that the bottleneck decoder sees) and the mask of real
source positions. Padding (id 0, at the end) is skipped: the final state is
the state after the last real token.
"""

import keras
from keras import ops

from companion import recurrent
from companion.checks import check_choice, check_int, check_rank

CELLS = {"gru": recurrent.GRU, "lstm": recurrent.LSTM}


def recurrent_layer(cell, units, name, dtype=None):
    """A companion GRU or LSTM that returns every output and its final states."""
    cell = check_choice("cell", cell, tuple(CELLS))
    return CELLS[cell](units, return_sequences=True, return_state=True, dtype=dtype, name=name)


@keras.saving.register_keras_serializable(package="companion")
class RecurrentEncoder(keras.layers.Layer):
    """Embeds source ids and reads them with a GRU or an LSTM.

    Args:
        vocabulary_size: int. Number of source ids; id 0 is padding.
        embedding_dim: int. Size of the token embeddings.
        units: int. Size of the recurrent state.
        cell: str. ``"gru"`` or ``"lstm"``. Defaults to ``"gru"``.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        source_ids: int tensor ``(batch, S)``, padded with 0 at the end.

    Returns:
        ``(outputs, states, source_mask)``: float ``(batch, S, units)``, a list
        of the final states ``(batch, units)`` (one for a GRU, ``[h, c]`` for an
        LSTM) and bool ``(batch, S)``.

    Example:

    >>> encoder = RecurrentEncoder(10, 4, 6)
    >>> outputs, states, mask = encoder(np.array([[5, 6, 0]]))
    >>> tuple(outputs.shape), len(states), keras.ops.convert_to_numpy(mask).tolist()
    ((1, 3, 6), 1, [[True, True, False]])
    """

    def __init__(self, vocabulary_size, embedding_dim, units, cell="gru", **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=2)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, minimum=1)
        self.units = check_int("units", units, minimum=1)
        self.cell = check_choice("cell", cell, tuple(CELLS))
        self.embedding = keras.layers.Embedding(
            vocabulary_size, embedding_dim, dtype=self.dtype_policy, name="embedding"
        )
        self.rnn = recurrent_layer(cell, units, "rnn", self.dtype_policy)

    def build(self, source_shape):
        check_rank("source_ids", source_shape, 2, "(batch, source time)")
        self.embedding.build(source_shape)
        self.rnn.build((*source_shape, self.embedding_dim))

    def call(self, source_ids):
        source_ids = ops.convert_to_tensor(source_ids)
        check_rank("source_ids", source_ids.shape, 2, "(batch, source time)")
        source_mask = ops.not_equal(source_ids, 0)  # (B, S)
        embedded = self.embedding(source_ids)  # (B, S, E)
        outputs, *states = self.rnn(embedded, mask=source_mask)  # (B, S, H), [(B, H)]
        return outputs, states, source_mask

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "units": self.units,
                "cell": self.cell,
            }
        )
        return config

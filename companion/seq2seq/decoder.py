r"""The recurrent decoder: a language model of the target, conditioned on the source.

Deck 004's conditioned language model :math:`p(T \mid S) = \prod_t p(y_t \mid
y_{<t}, S)`. Its state starts from the encoder's final state,
:math:`s_0 = h_S`, and reads the previous target token:

.. math::

    s_t = \operatorname{RNN}(E y_{t-1}, s_{t-1})

**Bottleneck** (``attention=None``): the source reaches the decoder only
through one vector however long the sentence, the encoder's final state
:math:`c = h_S`. As in Cho et al. (2014), :math:`c` is the initial state and
is also read again at every step, so it is not washed out along the way:

.. math::

    s_t = \operatorname{RNN}([E y_{t-1}; c], s_{t-1}), \qquad
    p(y_t \mid \cdot) = \operatorname{softmax}(W_o s_t).

**Attention** (Luong et al. 2015, global attention): at every step the state
searches the encoder outputs, :math:`c_t = \sum_j \alpha_{t,j} h_j`
(:mod:`~companion.seq2seq.attention`), and

.. math::

    \tilde s_t = \tanh(W_c [c_t; s_t]), \qquad
    p(y_t \mid \cdot) = \operatorname{softmax}(W_o \tilde s_t).

Attention here reads the state *after* the recurrent step, as Luong et al.
do, so teacher forcing runs the recurrence over the whole target at once
(Bahdanau et al. feed :math:`c_t` into the step instead, which forces a
step-by-step loop in training too). Any of the three score functions fits.

:meth:`RecurrentDecoder.call` is teacher forcing (every previous token is
the reference's); :meth:`RecurrentDecoder.step` is one step of free running
(the previous token is the model's own). For the same tokens they give the
same logits.
"""

import keras
from keras import ops

from companion.checks import check_int, check_rank
from companion.seq2seq.attention import make_attention
from companion.seq2seq.encoder import recurrent_layer


@keras.saving.register_keras_serializable(package="companion")
class RecurrentDecoder(keras.layers.Layer):
    """A GRU or LSTM decoder, with the vector bottleneck or with attention.

    Args:
        vocabulary_size: int. Number of target ids; id 0 is padding.
        embedding_dim: int. Size of the token embeddings.
        units: int. Size of the recurrent state (the encoder's).
        cell: str. ``"gru"`` or ``"lstm"`` (the encoder's). Defaults to ``"gru"``.
        attention: str or `None`. `None` for the bottleneck, or
            ``"bahdanau"``, ``"dot"``, ``"general"``. Defaults to `None`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        target_inputs: int tensor ``(batch, T)``: the start id, then the
            reference shifted right (teacher forcing).
        encoder_outputs: float tensor ``(batch, S, units)``.
        encoder_states: list of float tensors ``(batch, units)``.
        source_mask: bool tensor ``(batch, S)``.
        return_weights: bool. Also return the attention weights
            ``(batch, T, S)`` (attention decoders only).

    Returns:
        logits ``(batch, T, vocabulary_size)``, and the weights when asked.
    """

    def __init__(self, vocabulary_size, embedding_dim, units, cell="gru", attention=None, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=2)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, minimum=1)
        self.units = check_int("units", units, minimum=1)
        self.cell = cell
        policy = self.dtype_policy
        self.embedding = keras.layers.Embedding(
            vocabulary_size, embedding_dim, dtype=policy, name="embedding"
        )
        self.rnn = recurrent_layer(cell, units, "rnn", policy)
        self.attention_kind = attention
        if attention is not None:
            self.attention = make_attention(attention, units, policy)
            self.combine = keras.layers.Dense(
                units, activation="tanh", dtype=policy, name="combine"
            )  # W_c
        self.output_projection = keras.layers.Dense(
            vocabulary_size, dtype=policy, name="output_projection"
        )

    @property
    def has_attention(self):
        return self.attention_kind is not None

    def build(
        self,
        target_inputs_shape,
        encoder_outputs_shape=None,
        encoder_states_shape=None,
        source_mask_shape=None,
    ):
        check_rank("target_inputs", target_inputs_shape, 2, "(batch, target time)")
        batch = target_inputs_shape[0]
        self.embedding.build(target_inputs_shape)
        step_inputs = self.embedding_dim + (0 if self.has_attention else self.units)
        self.rnn.build((*target_inputs_shape, step_inputs))
        state_shape = (batch, None, self.units)
        if self.has_attention:
            self.attention.build(state_shape, state_shape)
            self.combine.build((batch, None, 2 * self.units))
        self.output_projection.build(state_shape)

    def _check_encoder(self, encoder_outputs, encoder_states):
        check_rank("encoder_outputs", encoder_outputs.shape, 3, "(batch, source time, units)")
        expected = 2 if self.cell == "lstm" else 1
        if len(encoder_states) != expected:
            raise ValueError(
                f"encoder_states must be a list of {expected} state(s) for a {self.cell} decoder "
                f"(got {len(encoder_states)}); the encoder and decoder must use the same cell"
            )

    def _step_inputs(self, embedded, encoder_outputs):
        """The embedded previous token, and for the bottleneck the summary :math:`c = h_S`."""
        if self.has_attention:
            return embedded  # (B, [T,] E)
        # Outputs at padding repeat the last real state, so the last output is h_S.
        summary = encoder_outputs[:, -1]  # (B, H)
        if len(embedded.shape) == 3:
            summary = ops.zeros_like(embedded[..., :1]) + summary[:, None, :]  # (B, T, H)
        return ops.concatenate([embedded, summary], axis=-1)  # (B, [T,] E + H)

    def _readout(self, states_sequence, encoder_outputs, source_mask):
        """Logits from the decoder states ``(B, T, H)``, through attention if any."""
        if not self.has_attention:
            return self.output_projection(states_sequence), None  # (B, T, V)
        context, weights = self.attention(
            states_sequence, encoder_outputs, value_mask=source_mask, return_weights=True
        )  # (B, T, H), (B, T, S)
        combined = self.combine(ops.concatenate([context, states_sequence], axis=-1))  # (B, T, H)
        return self.output_projection(combined), weights  # (B, T, V)

    def call(
        self, target_inputs, encoder_outputs, encoder_states, source_mask, return_weights=False
    ):
        self._check_encoder(encoder_outputs, encoder_states)
        embedded = self.embedding(target_inputs)  # (B, T, E)
        step_inputs = self._step_inputs(embedded, encoder_outputs)  # (B, T, E [+ H])
        states_sequence, *_ = self.rnn(step_inputs, initial_state=list(encoder_states))
        logits, weights = self._readout(states_sequence, encoder_outputs, source_mask)
        if return_weights:
            if weights is None:
                raise ValueError("return_weights=True needs an attention decoder (attention=None)")
            return logits, weights
        return logits

    def step(self, previous_ids, states, encoder_outputs, source_mask):
        """One step of free running: the previous token in, the next token's logits out.

        Args:
            previous_ids: int tensor ``(batch,)``.
            states: list of float tensors ``(batch, units)``.
            encoder_outputs: float tensor ``(batch, S, units)``.
            source_mask: bool tensor ``(batch, S)``.

        Returns:
            ``(logits, states, weights)``: ``(batch, V)``, the new states, and
            the attention weights ``(batch, S)`` (zeros without attention).
        """
        embedded = self.embedding(previous_ids)  # (B, E)
        step_inputs = self._step_inputs(embedded, encoder_outputs)  # (B, E [+ H])
        state, new_states = self.rnn.cell(step_inputs, list(states))  # (B, H)
        logits, weights = self._readout(
            ops.expand_dims(state, 1), encoder_outputs, source_mask
        )  # (B, 1, V), (B, 1, S)
        if weights is None:
            weights = ops.zeros_like(ops.cast(source_mask, logits.dtype))[:, None]  # (B, 1, S)
        return logits[:, 0], list(new_states), weights[:, 0]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "units": self.units,
                "cell": self.cell,
                "attention": self.attention_kind,
            }
        )
        return config

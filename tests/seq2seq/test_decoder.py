"""Tests of companion.seq2seq.decoder: free-running steps equal teacher forcing."""

import keras
import numpy as np
import pytest
from keras import ops
from support import to_numpy

from companion import seq2seq

SOURCE = np.array([[5, 6, 7, 0, 0], [8, 9, 5, 6, 4]])
TARGET_INPUTS = np.array([[2, 4, 5, 6], [2, 6, 5, 0]])


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("attention", [None, "bahdanau", "dot", "general"])
def test_steps_give_the_logits_of_teacher_forcing(cell, attention):
    keras.utils.set_random_seed(1)
    encoder = seq2seq.RecurrentEncoder(10, 4, 6, cell=cell)
    decoder = seq2seq.RecurrentDecoder(8, 4, 6, cell=cell, attention=attention)
    outputs, states, mask = encoder(SOURCE)
    forced = to_numpy(decoder(TARGET_INPUTS, outputs, states, mask))[0]  # (B, T, V)
    for t in range(TARGET_INPUTS.shape[1]):
        logits, states, weights = decoder.step(TARGET_INPUTS[:, t], states, outputs, mask)
        np.testing.assert_allclose(to_numpy(logits)[0], forced[:, t], atol=1e-5)
        weights = to_numpy(weights)[0]
        if attention is None:
            np.testing.assert_array_equal(weights, 0.0)
        else:
            np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
            np.testing.assert_array_equal(weights[0, 3:], 0.0)  # padding takes no weight


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_the_bottleneck_decoder_sees_the_source_only_through_the_final_state(cell):
    keras.utils.set_random_seed(2)
    encoder = seq2seq.RecurrentEncoder(10, 4, 6, cell=cell)
    decoder = seq2seq.RecurrentDecoder(8, 4, 6, cell=cell)
    outputs, states, mask = encoder(SOURCE)
    # the last output is the final state h_S, padding or not
    np.testing.assert_allclose(to_numpy(outputs)[0][:, -1], to_numpy(states)[0], atol=1e-6)
    logits = to_numpy(decoder(TARGET_INPUTS, outputs, states, mask))[0]
    earlier_changed = ops.concatenate([outputs[:, :-1] * 0.0 + 3.0, outputs[:, -1:]], axis=1)
    scrambled = to_numpy(decoder(TARGET_INPUTS, earlier_changed, states, mask))[0]
    np.testing.assert_array_equal(logits, scrambled)
    with pytest.raises(ValueError, match="return_weights=True needs an attention decoder"):
        decoder(TARGET_INPUTS, outputs, states, mask, return_weights=True)


def test_decoder_config_and_bad_arguments():
    decoder = seq2seq.RecurrentDecoder(8, 4, 6, cell="lstm", attention="general")
    restored = seq2seq.RecurrentDecoder.from_config(decoder.get_config())
    assert restored.get_config() == decoder.get_config()
    with pytest.raises(ValueError, match=r"attention must be one of .*'concat'"):
        seq2seq.RecurrentDecoder(8, 4, 6, attention="concat")
    encoder = seq2seq.RecurrentEncoder(10, 4, 6, cell="gru")
    outputs, states, mask = encoder(SOURCE)
    with pytest.raises(ValueError, match=r"encoder_states must be a list of 2 state\(s\).*got 1"):
        decoder(TARGET_INPUTS, outputs, states, mask)

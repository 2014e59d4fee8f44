"""Tests of companion.seq2seq.encoder: padding is skipped, the final state is the last real one."""

import keras
import numpy as np
import pytest
from support import to_numpy

from companion import seq2seq


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_final_state_is_the_state_after_the_last_real_token(cell):
    keras.utils.set_random_seed(0)
    encoder = seq2seq.RecurrentEncoder(10, 4, 6, cell=cell)
    padded = np.array([[5, 6, 7, 0, 0], [5, 6, 7, 8, 9]])
    outputs, states, mask = encoder(padded)
    _, alone_states, _ = encoder(padded[:1, :3])
    assert len(states) == (2 if cell == "lstm" else 1)
    for state, alone in zip(to_numpy(states), to_numpy(alone_states), strict=True):
        np.testing.assert_allclose(state[0], alone[0], atol=1e-6)
    np.testing.assert_array_equal(to_numpy(mask)[0], padded != 0)
    assert tuple(outputs.shape) == (2, 5, 6)


def test_encoder_config_round_trip_and_bad_arguments():
    encoder = seq2seq.RecurrentEncoder(10, 4, 6, cell="lstm", name="enc")
    restored = seq2seq.RecurrentEncoder.from_config(encoder.get_config())
    assert restored.get_config() == encoder.get_config()
    with pytest.raises(ValueError, match=r"cell must be one of 'gru', 'lstm'.*'rnn'"):
        seq2seq.RecurrentEncoder(10, 4, 6, cell="rnn")
    with pytest.raises(ValueError, match=r"source_ids must have shape \(batch, source time\)"):
        encoder(np.zeros((2, 3, 1), "int32"))

"""Tests of companion.transformer.models: masking, cached generation, greedy translation, saving.

Tolerance: outputs atol 1e-5.
"""

import numpy as np
import pytest
from layer_checks import check_loads_across_backends, check_save_and_load
from support import to_numpy

from companion import seq2seq, transformer
from companion.text import END_ID, START_ID

OUTPUT_ATOL = 1e-5
SIZES = {"hidden_dim": 8, "num_layers": 1, "num_heads": 2, "intermediate_dim": 16}


def test_mask_tokens_chooses_regular_tokens_and_corrupts_them_80_10_10(rng):
    ids = rng.integers(0, 50, size=(400, 50))  # 0 padding, 1..3 special ids, 4..49 regular
    seed = int(rng.integers(1_000))
    inputs, labels, weights = transformer.mask_tokens(ids, mask_id=1, vocabulary_size=50, seed=seed)
    assert inputs.dtype == labels.dtype == np.int32 and weights.dtype == np.float32
    np.testing.assert_array_equal(labels, ids)
    chosen = weights == 1.0
    assert set(np.unique(weights)) <= {0.0, 1.0}
    assert not chosen[ids < 4].any()  # padding and special ids are never chosen
    assert abs(chosen[ids >= 4].mean() - 0.15) < 0.02
    np.testing.assert_array_equal(inputs[~chosen], ids[~chosen])  # the rest is untouched
    masked = inputs[chosen] == 1
    kept = inputs[chosen] == ids[chosen]
    randomised = ~masked & ~kept
    assert abs(masked.mean() - 0.8) < 0.03
    assert abs(kept.mean() - 0.1) < 0.03  # 10% kept, plus random draws of the same id
    assert abs(randomised.mean() - 0.1) < 0.03
    assert np.all((inputs[chosen][randomised] >= 4) & (inputs[chosen][randomised] < 50))
    # the seed fixes the corruption
    again = transformer.mask_tokens(ids, mask_id=1, vocabulary_size=50, seed=seed)
    np.testing.assert_array_equal(again[0], inputs)
    other = transformer.mask_tokens(ids, mask_id=1, vocabulary_size=50, seed=seed + 1)
    assert not np.array_equal(other[2], weights)


def test_mask_tokens_refuses_bad_arguments():
    with pytest.raises(ValueError, match=r"ids must be \(N, T\) int ids \(got shape \(3,\)"):
        transformer.mask_tokens(np.arange(3), 1, 10)
    with pytest.raises(ValueError, match=r"vocabulary_size must be an int >= 5"):
        transformer.mask_tokens(np.ones((2, 3), int), 1, 4)
    with pytest.raises(ValueError, match=r"rate must be .*\(got rate=1.0"):
        transformer.mask_tokens(np.ones((2, 3), int), 1, 10, rate=1.0)


@pytest.mark.parametrize("normalize_first", [False, True], ids=["post-norm", "pre-norm"])
def test_language_model_next_step_by_step_equals_the_full_call(rng, normalize_first):
    model = transformer.TransformerLanguageModel(
        20, 8, normalize_first=normalize_first, positions="sinusoidal", **SIZES
    )
    ids = rng.integers(1, 20, size=(2, 6)).astype("int32")
    (full,) = to_numpy(model(ids))
    assert full.shape == (2, 6, 20)
    cache = model.empty_cache(2)
    steps = []
    for t in range(6):
        logits, hidden, cache = model.next(ids[:, t : t + 1], cache, t)
        assert tuple(hidden.shape) == (2, 1, 8)
        steps.append(to_numpy(logits)[0])
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, atol=OUTPUT_ATOL)
    message = r"(?s)cache_index must be in .*\[0, 7\].*got cache_index=8"
    with pytest.raises(ValueError, match=message):
        model.next(ids[:, :1], cache, 8)  # past the cache's 8 positions
    weights = to_numpy(model.attention_weights(ids))
    assert len(weights) == 1 and weights[0].shape == (2, 2, 6, 6)
    np.testing.assert_array_equal(weights[0][:, :, 0, 1:], 0.0)  # the first token sees itself


def _greedy_by_full_calls(model, source, steps):
    """Greedy decoding the slow way: the uncached model on the whole prefix at every step.

    The prefix sits in a buffer of ``steps`` positions (one shape, one compilation);
    the causal decoder never looks at the positions after the one it predicts from.
    """
    decoder_inputs = np.zeros((len(source), steps), "int32")
    decoder_inputs[:, 0] = START_ID
    for t in range(steps):
        (logits,) = to_numpy(model((source, decoder_inputs)))
        choice = logits[:, t].argmax(-1)
        if t + 1 < steps:
            decoder_inputs[:, t + 1] = choice
    tokens = np.concatenate([decoder_inputs[:, 1:], choice[:, None]], axis=1)
    ended = np.cumsum(tokens == END_ID, axis=1) - (tokens == END_ID) > 0  # after the first end
    return np.where(ended, 0, tokens), decoder_inputs, logits


def test_seq2seq_greedy_translation_equals_an_argmax_loop_over_full_calls(rng):
    model = transformer.TransformerSeq2Seq(20, 20, target_length=8, **SIZES)
    source = rng.integers(4, 20, size=(3, 5)).astype("int32")
    source[1, 3:] = 0
    source[2, 1:] = 0
    tokens, weights = seq2seq.greedy_translate(model, source, max_length=6)
    assert tokens.shape == (3, 6) and weights.shape == (3, 6, 5)
    expected, decoder_inputs, logits = _greedy_by_full_calls(model, source, 6)
    np.testing.assert_array_equal(tokens, expected)
    # the cross-attention weights: one distribution over the real source tokens per step
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(weights[1, :, 3:], 0.0)
    np.testing.assert_array_equal(weights[2, :, 1:], 0.0)
    assert model.max_decode_steps == 8
    cross = to_numpy(model.cross_attention_weights((source, decoder_inputs)))
    assert len(cross) == 1 and cross[0].shape == (3, 2, 6, 5)
    # chapter 4's sequence_log_probs, borrowed: the sum of the labels' log-probabilities
    totals, counts = model.sequence_log_probs(source, decoder_inputs, tokens)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_probs, tokens[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(totals, (picked * (tokens != 0)).sum(-1), atol=1e-4)
    np.testing.assert_array_equal(counts, (tokens != 0).sum(-1))


def test_seq2seq_refuses_more_steps_than_its_cache_and_bad_inputs():
    model = transformer.TransformerSeq2Seq(20, 20, target_length=4, **SIZES)
    source = np.full((2, 3), 5, "int32")
    model((source, source))
    with pytest.raises(ValueError, match=r"max_length must be <= the model's max_decode_steps=4"):
        seq2seq.greedy_translate(model, source, max_length=5)
    with pytest.raises(ValueError, match=r"inputs must be a pair \(source_ids, decoder_inputs\)"):
        model(source)
    with pytest.raises(ValueError, match=r"decoder_inputs must have shape \(batch, target time\)"):
        model((source, source[0]))


def test_forecaster_is_causal(rng):
    model = transformer.build_forecaster(hidden_dim=8, num_heads=2, num_layers=2)
    values = rng.standard_normal((2, 6, 1)).astype("float32")
    (outputs,) = to_numpy(model(values))
    assert outputs.shape == (2, 6, 1)
    changed = values.copy()
    changed[:, 3] += 1.0
    (new_outputs,) = to_numpy(model(changed))
    np.testing.assert_allclose(new_outputs[:, :3], outputs[:, :3], atol=OUTPUT_ATOL)
    assert not np.allclose(new_outputs[:, 3:], outputs[:, 3:], atol=1e-4)


def test_models_survive_a_keras_file(rng, tmp_path):
    ids = rng.integers(1, 20, size=(2, 6)).astype("int32")
    models = {
        "masked": (transformer.MaskedLanguageModel(20, 8, normalize_first=True, **SIZES), ids),
        "language": (transformer.TransformerLanguageModel(20, 8, **SIZES), ids),
        "seq2seq": (
            transformer.TransformerSeq2Seq(20, 20, target_length=6, **SIZES),
            (ids, ids[:, :4]),
        ),
        "forecaster": (
            transformer.build_forecaster(hidden_dim=8, num_heads=2, num_layers=1),
            rng.standard_normal((2, 6, 1)).astype("float32"),
        ),
    }
    for name, (model, inputs) in models.items():
        (tmp_path / name).mkdir()
        restored = check_save_and_load(model, inputs, tmp_path / name, atol=OUTPUT_ATOL)
        if name != "forecaster":
            assert restored.get_config() == model.get_config()
            assert type(model).from_config(model.get_config()).get_config() == model.get_config()


def test_the_language_models_load_under_another_backend(tmp_path):
    build = """
    from companion import transformer

    def build():
        sizes = {"hidden_dim": 8, "num_layers": 1, "num_heads": 2, "intermediate_dim": 16}
        ids = keras.Input((7,), dtype="int32")  # one tensor: source ids, then decoder inputs
        masked = transformer.MaskedLanguageModel(20, 8, **sizes)(ids)
        language = transformer.TransformerLanguageModel(20, 8, normalize_first=True, **sizes)(ids)
        translation = transformer.TransformerSeq2Seq(20, 20, target_length=4, **sizes)(
            (ids[:, :4], ids[:, 4:])
        )
        flat = [keras.layers.Flatten()(t) for t in (masked, language, translation)]
        rng = np.random.default_rng(0)
        inputs = rng.integers(1, 20, size=(2, 7)).astype("int32")
        return keras.Model(ids, keras.layers.Concatenate()(flat)), inputs
    """
    check_loads_across_backends(build, tmp_path, atol=OUTPUT_ATOL)

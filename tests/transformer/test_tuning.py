"""Tests of companion.transformer.tuning: LoRA equals Keras's, adapters, prefixes and prompts.

Tolerances: outputs atol 1e-5, gradients atol 1e-4 (float32 sums in another order).
"""

import keras
import numpy as np
import pytest
from keras import ops
from layer_checks import check_layer
from support import gradients, to_numpy

from companion import transformer

SIZES = {"hidden_dim": 8, "num_heads": 2, "num_layers": 2}


def _lora_with_random_weights(rng, units=3, rank=2, alpha=4.0, input_dim=5):
    layer = transformer.LoRADense(units, rank, alpha)
    layer.build((None, input_dim))
    for variable in layer.weights:  # B is zero at first: random here, so the update shows
        variable.assign(rng.normal(size=tuple(variable.shape)).astype("float32"))
    return layer


def test_lora_dense_equals_keras_enable_lora_outputs_and_gradients(rng):
    ours = _lora_with_random_weights(rng)
    theirs = keras.layers.Dense(3)
    theirs.build((None, 5))
    theirs.enable_lora(2, lora_alpha=4.0)
    theirs._kernel.assign(ours.kernel)
    theirs.bias.assign(ours.bias)
    theirs.lora_kernel_a.assign(ours.lora_a)
    theirs.lora_kernel_b.assign(ours.lora_b)
    x = rng.normal(size=(4, 5)).astype("float32")

    def loss_of(layer):
        return lambda: (ops.sum(ops.sin(layer(x))), layer(x))

    (our_out,), our_grads = gradients([ours.lora_a, ours.lora_b], loss_of(ours))
    (their_out,), their_grads = gradients(
        [theirs.lora_kernel_a, theirs.lora_kernel_b], loss_of(theirs)
    )
    np.testing.assert_allclose(our_out, their_out, atol=1e-5)
    for ours_grad, theirs_grad in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(ours_grad, theirs_grad, atol=1e-4)


def test_lora_merged_kernel_gives_a_plain_dense_layer_the_same_outputs(rng):
    layer = _lora_with_random_weights(rng)
    plain = keras.layers.Dense(3)
    plain.build((None, 5))
    plain.set_weights([ops.convert_to_numpy(layer.merged_kernel()), to_numpy(layer.bias)[0]])
    x = rng.normal(size=(4, 5)).astype("float32")
    np.testing.assert_allclose(to_numpy(layer(x))[0], to_numpy(plain(x))[0], atol=1e-5)


def test_lora_starts_equal_to_its_kernel_and_freezes_it(rng):
    layer = transformer.LoRADense(3, rank=2)
    x = rng.normal(size=(4, 5)).astype("float32")
    y = to_numpy(layer(x))[0]
    np.testing.assert_allclose(y, x @ to_numpy(layer.kernel)[0], atol=1e-5)  # B = 0, bias = 0
    assert [v.name for v in layer.trainable_weights] == ["lora_a", "lora_b"]
    assert transformer.is_tuning_variable(layer.lora_a)
    assert not transformer.is_tuning_variable(layer.kernel)


def test_adapter_starts_as_the_identity(rng):
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    np.testing.assert_allclose(to_numpy(transformer.BottleneckAdapter(2)(x))[0], x, atol=1e-6)


def test_prefix_attention_equals_attention_over_the_joined_keys(rng):
    layer = transformer.MultiHeadAttention(2, 3, prefix_length=2)
    x = rng.normal(size=(2, 4, 6)).astype("float32")
    mask = np.ones((2, 4, 4), bool)
    mask[1, :, 3] = False  # the last token of the second row is padding
    out, weights = to_numpy(layer(x, x, attention_mask=mask, return_weights=True))
    assert weights.shape == (2, 2, 4, 6)  # (B, H, Tq, P + Tk)
    np.testing.assert_array_equal(weights[1, :, :, 5], 0.0)  # padding: still no weight
    q = to_numpy(layer.query_dense(x))[0].reshape(2, 4, 2, 3)
    k = to_numpy(layer.key_dense(x))[0].reshape(2, 4, 2, 3)
    v = to_numpy(layer.value_dense(x))[0].reshape(2, 4, 2, 3)
    pk, pv = (np.broadcast_to(to_numpy(p)[0], (2, 2, 2, 3)) for p in layer.weights[:2])
    keys, values = np.concatenate([pk, k], 1), np.concatenate([pv, v], 1)  # (B, P + Tk, H, d)
    scores = np.einsum("bqhd,bkhd->bhqk", q, keys) / np.sqrt(3.0)
    scores = np.where(np.concatenate([np.ones((2, 4, 2), bool), mask], 2)[:, None], scores, -1e9)
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(weights, expected, atol=1e-5)
    heads = np.einsum("bhqk,bkhd->bqhd", expected, values).reshape(2, 4, 6)
    np.testing.assert_allclose(out, to_numpy(layer.output_dense(heads))[0], atol=1e-5)


def test_soft_prompt_goes_first_and_is_always_read(rng):
    prompt = transformer.SoftPrompt(3)
    x = rng.normal(size=(2, 4, 5)).astype("float32")
    joined, mask = to_numpy(prompt(x, np.array([[1, 1, 1, 0]] * 2, bool)))
    assert joined.shape == (2, 7, 5)
    np.testing.assert_array_equal(joined[:, 3:], x)
    np.testing.assert_array_equal(joined[0, :3], to_numpy(prompt.prompt)[0])
    np.testing.assert_array_equal(mask[0], [True] * 6 + [False])


@pytest.mark.parametrize(
    "options",
    [{"lora_rank": 2}, {"adapter_dim": 3}, {"prefix_length": 2}, {"prompt_length": 2}],
    ids=["lora", "adapter", "prefix", "prompt"],
)
def test_tuned_decoders_stay_causal_and_keep_their_shapes(rng, options):
    decoder = transformer.TransformerDecoder(20, 8, **SIZES, **options)
    ids = rng.integers(1, 20, (2, 6)).astype("int32")
    logits, hidden = to_numpy(decoder(ids))
    assert logits.shape == (2, 6, 20) and hidden.shape == (2, 6, 8)
    changed = ids.copy()
    changed[:, 4:] = 1  # the future must not change the past
    np.testing.assert_allclose(to_numpy(decoder(changed))[0][:, :4], logits[:, :4], atol=1e-5)


def test_a_cached_decoder_with_prefixes_equals_its_full_pass(rng):
    decoder = transformer.TransformerDecoder(20, 8, prefix_length=2, lora_rank=2, **SIZES)
    ids = rng.integers(1, 20, (2, 5)).astype("int32")
    full = to_numpy(decoder(ids))[0]
    cache = decoder.empty_cache(2)
    for t in range(5):
        step, _, cache = decoder(ids[:, t : t + 1], cache=cache, cache_index=t)
        np.testing.assert_allclose(to_numpy(step)[0][:, 0], full[:, t], atol=1e-5)


def test_a_prompted_decoder_refuses_a_cache(rng):
    decoder = transformer.TransformerDecoder(20, 8, prompt_length=2, **SIZES)
    decoder(np.ones((1, 2), "int32"))
    with pytest.raises(ValueError, match=r"prompt_length=2"):
        decoder(np.ones((1, 1), "int32"), cache=decoder.empty_cache(1), cache_index=0)


def test_tuning_layers_pass_the_shared_layer_checks(rng, tmp_path):
    x = rng.normal(size=(2, 3, 6)).astype("float32")
    for name in ("lora", "adapter", "prefix"):
        (tmp_path / name).mkdir()
    check_layer(lambda: transformer.LoRADense(4, rank=2, alpha=3.0), x, tmp_path / "lora")
    check_layer(lambda: transformer.BottleneckAdapter(3), x, tmp_path / "adapter")
    check_layer(
        lambda: transformer.TransformerEncoderBlock(12, 2, prefix_length=2, adapter_dim=2),
        x,
        tmp_path / "prefix",
        atol=1e-5,
    )


def test_tuning_layers_refuse_bad_sizes():
    with pytest.raises(ValueError, match=r"rank must be an int >= 1 \(got rank=0\)"):
        transformer.LoRADense(3, rank=0)
    with pytest.raises(ValueError, match=r"lora_alpha"):
        transformer.LoRADense(3, rank=2, alpha=-1.0)
    with pytest.raises(ValueError, match=r"bottleneck_dim"):
        transformer.BottleneckAdapter(0)
    with pytest.raises(ValueError, match=r"length"):
        transformer.SoftPrompt(0)
    with pytest.raises(ValueError, match=r"prefix_length"):
        transformer.MultiHeadAttention(2, 3, prefix_length=-1)
    with pytest.raises(ValueError, match=r"prompt_length"):
        transformer.TransformerEncoder(20, 8, prompt_length=-2)

"""Tests of companion.finetune.methods: what each method trains, frozen weights, LoRA merge.

Tolerances: outputs atol 1e-5.
"""

import keras
import numpy as np
import pytest
from support import to_numpy

from companion import finetune, transformer

SIZES = {"lora_rank": 2, "adapter_dim": 3, "prefix_length": 2, "prompt_length": 2}


@pytest.fixture
def encoder(rng):
    keras.utils.set_random_seed(int(rng.integers(2**31)))
    model = transformer.MaskedLanguageModel(30, 10, hidden_dim=8, num_heads=2, num_layers=1)
    model(np.ones((1, 10), "int32"))
    return model.encoder


@pytest.fixture
def reviews(rng):
    ids = rng.integers(4, 30, (32, 10)).astype("int32")
    ids[::2, 7:] = 0  # half the rows padded
    return ids, (ids[:, 0] > 16).astype("float32")


def _fit(model, reviews, epochs=2):
    model.compile(
        keras.optimizers.Adam(1e-2),
        keras.losses.BinaryCrossentropy(from_logits=True),
        jit_compile=False,  # a few steps: tracing would cost more than it saves
    )
    model.fit(*reviews, epochs=epochs, batch_size=16, verbose=0)


TRAINED = {
    "full": None,  # everything
    "linear_probe": set(),
    "adapter": {"kernel", "bias"},  # the adapters' dense layers
    "lora": {"lora_a", "lora_b"},
    "prefix": {"prefix_keys", "prefix_values"},
    "prompt": {"prompt"},
}


@pytest.mark.parametrize("method", finetune.METHODS)
def test_each_method_trains_its_own_weights_and_leaves_the_rest(encoder, reviews, method):
    model = finetune.tuned_classifier(encoder, method, **SIZES)
    trained = {v.path for v in model.trainable_weights}
    head = {v.path for v in model.head.weights}
    assert head <= trained
    if method == "full":
        assert not model.non_trainable_weights
    else:
        names = {v.name for v in model.trainable_weights if v.path not in head}
        assert names == TRAINED[method]
    before = finetune.frozen_values(model)
    moving = [np.array(v) for v in to_numpy(model.trainable_weights)]
    _fit(model, reviews)
    assert finetune.changed_frozen(model, before) == []
    after = to_numpy(model.trainable_weights)
    assert all(not np.array_equal(b, a) for b, a in zip(moving[-2:], after[-2:], strict=True))


def test_parameter_efficient_methods_train_few_numbers(encoder):
    full = finetune.count_parameters(finetune.tuned_classifier(encoder, "full"))
    for method in ("linear_probe", "lora", "prefix", "prompt", "adapter"):
        model = finetune.tuned_classifier(encoder, method, **SIZES)
        assert finetune.count_parameters(model) < full / 4, method
        assert finetune.count_parameters(model, trainable=False) == full - 9  # all but the head


@pytest.mark.parametrize("method", ["full", "lora", "adapter"])
def test_methods_that_start_as_the_identity_reproduce_the_pretrained_encoder(
    encoder, reviews, method
):
    model = finetune.tuned_classifier(encoder, method, **SIZES)
    ours = to_numpy(model.encoder(reviews[0]))[0]
    np.testing.assert_allclose(ours, to_numpy(encoder(reviews[0]))[0], atol=1e-5)


def test_merged_lora_gives_the_same_outputs_without_lora_layers(encoder, reviews):
    model = finetune.tuned_classifier(encoder, "lora", lora_rank=2, lora_alpha=4.0)
    _fit(model, reviews)
    merged = finetune.merge_lora(model)
    assert not any(transformer.is_tuning_variable(v) for v in merged.weights)
    assert len(merged.weights) == len(model.weights) - 2 * 2  # A and B, query and value
    np.testing.assert_allclose(
        to_numpy(merged(reviews[0]))[0], to_numpy(model(reviews[0]))[0], atol=1e-5
    )


def test_merge_lora_works_on_a_language_model(rng):
    model = transformer.TransformerLanguageModel(20, 6, hidden_dim=8, num_heads=2, lora_rank=2)
    ids = rng.integers(1, 20, (2, 6)).astype("int32")
    model(ids)
    for variable in model.weights:
        if variable.name == "lora_b":
            variable.assign(rng.normal(size=tuple(variable.shape)).astype("float32"))
    merged = finetune.merge_lora(model)
    np.testing.assert_allclose(to_numpy(merged(ids))[0], to_numpy(model(ids))[0], atol=1e-5)


def test_a_saved_lora_model_keeps_a_and_b_and_resumes_training(encoder, reviews, tmp_path):
    model = finetune.tuned_classifier(encoder, "lora", lora_rank=2)
    _fit(model, reviews)
    path = str(tmp_path / "lora.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    lora = [v for v in model.weights if v.name in ("lora_a", "lora_b")]
    lora_restored = [v for v in restored.weights if v.name in ("lora_a", "lora_b")]
    for saved, loaded in zip(to_numpy(lora), to_numpy(lora_restored), strict=True):
        np.testing.assert_array_equal(saved, loaded)
        assert np.abs(saved).max() > 0
    assert {v.path for v in restored.trainable_weights} == {v.path for v in model.trainable_weights}
    before = finetune.frozen_values(restored)
    b_before = to_numpy(lora_restored)[1]
    _fit(restored, reviews, epochs=1)
    assert finetune.changed_frozen(restored, before) == []
    assert not np.array_equal(to_numpy(lora_restored)[1], b_before)


def test_copy_pretrained_and_merge_refuse_mismatched_models(encoder):
    other = transformer.TransformerEncoder(30, 10, hidden_dim=16, num_heads=2, num_layers=1)
    other.build((None, 10))
    with pytest.raises(ValueError, match=r"no pre-trained counterpart.*shape"):
        finetune.copy_pretrained(encoder, other)
    with pytest.raises(ValueError, match=r"lora_rank=0"):
        finetune.merge_lora(finetune.tuned_classifier(encoder, "full"))
    with pytest.raises(ValueError, match=r"tuning must be one of"):
        finetune.tuned_classifier(encoder, "distillation")
    with pytest.raises(TypeError, match=r"encoder must be a built TransformerEncoder"):
        finetune.tuned_classifier("encoder", "full")

"""Tests of companion.finetune.classifier: the masked mean, the classifier, a tuned copy.

Tolerances: outputs atol 1e-5.
"""

import keras
import numpy as np
from layer_checks import check_loads_across_backends, check_save_and_load
from support import to_numpy

from companion import finetune, transformer


def test_masked_mean_skips_padding_and_gives_zeros_for_an_empty_row(rng):
    hidden = rng.normal(size=(3, 4, 2)).astype("float32")
    real = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]], bool)
    mean = to_numpy(finetune.masked_mean(hidden, real))[0]
    np.testing.assert_allclose(mean[0], hidden[0, :2].mean(0), atol=1e-6)
    np.testing.assert_allclose(mean[1], hidden[1].mean(0), atol=1e-6)
    np.testing.assert_array_equal(mean[2], 0.0)


def test_classifier_keeps_its_outputs_and_its_tuning_when_reloaded(rng, tmp_path):
    keras.utils.set_random_seed(int(rng.integers(2**31)))
    model = finetune.TextClassifier(
        20, 8, num_classes=3, tuning="adapter", hidden_dim=8, num_heads=2, adapter_dim=2
    )
    ids = rng.integers(4, 20, (2, 8)).astype("int32")
    ids[0, 5:] = 0
    logits = to_numpy(model(ids))[0]
    assert logits.shape == (2, 3)
    restored = check_save_and_load(model, ids, tmp_path, atol=1e-5)
    assert restored.tuning == "adapter"
    assert {v.path for v in restored.trainable_weights} == {v.path for v in model.trainable_weights}
    assert all("adapter" in v.path or "head" in v.path for v in restored.trainable_weights)


def test_tuned_classifier_copies_the_encoder_and_trains_a_new_head(rng):
    keras.utils.set_random_seed(int(rng.integers(2**31)))
    mlm = transformer.MaskedLanguageModel(20, 8, hidden_dim=8, num_heads=2, num_layers=1)
    ids = rng.integers(4, 20, (2, 8)).astype("int32")
    mlm(ids)
    model = finetune.tuned_classifier(mlm.encoder, "linear_probe")
    np.testing.assert_allclose(
        to_numpy(model.encoder(ids))[0], to_numpy(mlm.encoder(ids))[0], atol=1e-6
    )
    assert [v.name for v in model.trainable_weights] == ["kernel", "bias"]


BUILD_LORA_CLASSIFIER = """
from companion import finetune


def build():
    model = finetune.TextClassifier(
        20, 8, tuning="lora", hidden_dim=8, num_heads=2, num_layers=1, lora_rank=2
    )
    for variable in model.weights:
        if variable.name == "lora_b":  # B starts at zero: make the update show
            variable.assign(np.full(variable.shape, 0.1, "float32"))
    return model, np.arange(16, dtype="int32").reshape(2, 8) % 20
"""


def test_a_lora_classifier_saved_under_any_backend_loads_here(tmp_path):
    check_loads_across_backends(BUILD_LORA_CLASSIFIER, tmp_path)

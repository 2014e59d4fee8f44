"""Tests of companion.finetune.contrastive: InfoNCE, the sentence encoder, its trainer, recall@k.

InfoNCE is checked against a NumPy version of the formula (float64), its
gradients against central finite differences of that version; recall@k
against cases worked by hand; the encoder with the shared layer checks.

Tolerances: loss values atol 1e-5; gradients atol 2e-3 (float32 autodiff
against float64 differences with step 1e-4, losses of order 1); outputs atol 1e-5.
"""

import json

import keras
import numpy as np
import pytest
from layer_checks import check_layer, check_save_and_load
from support import gradients, to_numpy

from companion.finetune.contrastive import (
    ContrastiveTrainer,
    SentenceEncoder,
    bag_of_words_vectors,
    info_nce_loss,
    recall_at_k,
)

LOSS_ATOL = 1e-5
GRADIENT_ATOL = 2e-3
OUTPUT_ATOL = 1e-5
SIZES = {"hidden_dim": 8, "num_layers": 1, "num_heads": 2, "intermediate_dim": 16}
# Every test uses ids of these shapes (and LONGER): eager JAX compiles each op once per shape.
BATCH, LENGTH, LONGER = 4, 6, 8


@pytest.fixture(autouse=True)
def _seeded_keras(rng):
    keras.utils.set_random_seed(int(rng.integers(2**31)))


def numpy_info_nce(queries, keys, temperature):
    """The symmetric InfoNCE of the module docstring, written out in float64."""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    k = keys / np.linalg.norm(keys, axis=1, keepdims=True)
    s = q @ k.T / temperature  # (B, B)
    batch = len(s)
    total = 0.0
    for i in range(batch):
        total += np.log(np.sum(np.exp(s[i, :]))) - s[i, i]  # query i picks key i
        total += np.log(np.sum(np.exp(s[:, i]))) - s[i, i]  # key i picks query i
    return total / (2 * batch)


def _built_trainer():
    trainer = ContrastiveTrainer(SentenceEncoder(20, 6, **SIZES))
    ids = np.ones((BATCH, LENGTH), "int32")
    trainer({"first": ids, "second": ids})
    return trainer


def _ids(rng, length=None, low=1, high=20):
    return rng.integers(low, high, size=(BATCH, length or LENGTH)).astype("int32")


@pytest.mark.parametrize("temperature", [0.05, 0.5, 2.0])
def test_info_nce_equals_the_numpy_formula(rng, temperature):
    queries = rng.normal(size=(5, 3)).astype("float32") * 3.0  # not unit: normalised inside
    keys = rng.normal(size=(5, 3)).astype("float32")
    loss = float(keras.ops.convert_to_numpy(info_nce_loss(queries, keys, temperature)))
    expected = numpy_info_nce(queries.astype(float), keys.astype(float), temperature)
    np.testing.assert_allclose(loss, expected, atol=LOSS_ATOL, rtol=1e-5)
    swapped = float(keras.ops.convert_to_numpy(info_nce_loss(keys, queries, temperature)))
    np.testing.assert_allclose(swapped, loss, atol=LOSS_ATOL)  # symmetric in its two views


def test_info_nce_is_log_batch_when_nothing_tells_the_pairs_apart():
    same = np.ones((6, 4), "float32")  # every similarity equal: chance
    loss = float(keras.ops.convert_to_numpy(info_nce_loss(same, same, 0.1)))
    np.testing.assert_allclose(loss, np.log(6), atol=LOSS_ATOL)


def test_info_nce_gradients_match_finite_differences(rng):
    queries = rng.normal(size=(4, 3))
    keys = rng.normal(size=(4, 3))
    temperature = 0.5
    variables = [keras.Variable(queries.astype("float32")), keras.Variable(keys.astype("float32"))]
    _, (query_grad, key_grad) = gradients(
        variables, lambda: info_nce_loss(variables[0], variables[1], temperature)
    )
    step = 1e-4
    for array, grad, name in ((queries, query_grad, "queries"), (keys, key_grad, "keys")):
        expected = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            plus, minus = array.copy(), array.copy()
            plus[index] += step
            minus[index] -= step
            inputs_plus = (plus, keys) if name == "queries" else (queries, plus)
            inputs_minus = (minus, keys) if name == "queries" else (queries, minus)
            expected[index] = (
                numpy_info_nce(*inputs_plus, temperature)
                - numpy_info_nce(*inputs_minus, temperature)
            ) / (2 * step)
        np.testing.assert_allclose(grad, expected, atol=GRADIENT_ATOL, err_msg=name)


def test_recall_at_k_on_a_case_worked_by_hand():
    # cosines: query 0 -> keys (1, .98, .71): own first; query 1 -> (0, .20, .71): own
    # second; query 2 -> (.71, .83, 1): own first.
    queries = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    keys = np.array([[1.0, 0.0], [1.0, 0.2], [1.0, 1.0]])
    assert recall_at_k(queries, keys, k=1) == pytest.approx(2 / 3)
    assert recall_at_k(queries, keys, k=2) == pytest.approx(1.0)
    # a distractor key (row 3) equal to query 0's direction ties with its own key
    with_distractor = np.vstack([keys, [[2.0, 0.0]]])
    assert recall_at_k(queries, with_distractor, k=1) == pytest.approx((0.5 + 0 + 1) / 3)


def test_recall_at_k_gives_chance_when_every_key_ties():
    keys = np.zeros((8, 3))  # cosine 0 with every query: a random ranking
    queries = np.random.default_rng(0).normal(size=(8, 3))
    for k in (1, 3, 8):
        assert recall_at_k(queries, keys, k=k) == pytest.approx(k / 8)


def test_bag_of_words_vectors_are_tf_idf_with_unit_rows():
    corpus = np.array([[4, 5, 0], [4, 6, 6], [7, 0, 0]])
    ids = np.array([[4, 6, 6, 5], [0, 0, 0, 0]])
    vectors = bag_of_words_vectors(ids, 8, corpus_ids=corpus)
    # document frequencies over the 3 corpus rows: id 4 in 2, ids 5 and 6 in 1 each
    idf = {4: np.log(4 / 3) + 1, 5: np.log(4 / 2) + 1, 6: np.log(4 / 2) + 1}
    expected = np.zeros(8)
    expected[4], expected[5], expected[6] = idf[4], idf[5], 2 * idf[6]
    np.testing.assert_allclose(vectors[0], expected / np.linalg.norm(expected), atol=1e-6)
    np.testing.assert_array_equal(vectors[1], 0.0)  # padding only: zeros
    counts = bag_of_words_vectors(ids, 8, weighting="count")
    np.testing.assert_allclose(counts[0, 4:7], np.array([1, 1, 2]) / np.sqrt(6), atol=1e-6)
    assert recall_at_k(vectors[:1], vectors[:1]) == 1.0


def test_sentence_encoder_passes_the_shared_checks(rng, tmp_path):
    ids = _ids(rng)
    ids[1, 3:] = 0
    model = check_layer(lambda: SentenceEncoder(20, LENGTH, output_dim=5, **SIZES), ids, tmp_path)
    (vectors,) = to_numpy(model(ids))
    assert vectors.shape == (BATCH, 5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_mean_pooling_ignores_padding_and_empty_rows_give_zeros(rng):
    encoder = SentenceEncoder(20, LONGER, **SIZES)
    ids = _ids(rng)
    ids[1, 4:] = 0
    ids[2] = 0  # nothing but padding
    (vectors,) = to_numpy(encoder(ids))
    assert np.isfinite(vectors).all()
    np.testing.assert_array_equal(vectors[2], 0.0)
    np.testing.assert_allclose(np.linalg.norm(vectors[[0, 1, 3]], axis=1), 1.0, atol=1e-5)
    longer = np.pad(ids, ((0, 0), (0, LONGER - LENGTH)))  # more padding
    np.testing.assert_allclose(to_numpy(encoder(longer))[0], vectors, atol=OUTPUT_ATOL)


def test_one_fit_step_changes_the_weights_and_the_temperature(rng):
    encoder = SentenceEncoder(20, LONGER, **SIZES)
    trainer = ContrastiveTrainer(encoder, temperature=0.1, learn_temperature=True)
    inputs = {"first": _ids(rng), "second": _ids(rng, length=LONGER)}
    trainer(inputs)  # the two views may differ in length
    before = to_numpy(trainer.trainable_weights)
    trainer.compile(optimizer=keras.optimizers.SGD(0.5))
    history = trainer.fit(inputs, batch_size=BATCH, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    after = to_numpy(trainer.trainable_weights)
    changed = {
        w.path
        for w, b, a in zip(trainer.trainable_weights, before, after, strict=True)
        if (b != a).any()
    }
    assert {
        encoder.projection.kernel.path,
        encoder.encoder.embedding.token_embedding.embeddings.path,
        trainer.log_scale.path,
    } <= changed
    # compute_loss is InfoNCE of the two views at the current temperature
    temperature = float(keras.ops.convert_to_numpy(trainer.current_temperature()))
    assert temperature != pytest.approx(0.1)
    outputs = trainer(inputs)
    loss = float(keras.ops.convert_to_numpy(trainer.compute_loss(y_pred=outputs)))
    vectors = [v.astype(float) for v in to_numpy(outputs)]
    np.testing.assert_allclose(loss, numpy_info_nce(*vectors, temperature), atol=LOSS_ATOL)


def test_the_trainer_learns_to_match_pairs_and_survives_a_keras_file(rng, tmp_path):
    # the second view is the first with its words replaced one for one: a learnable match
    first = _ids(rng, high=10)
    inputs = {"first": first, "second": first + 10}
    trainer = ContrastiveTrainer(SentenceEncoder(20, LENGTH, **SIZES), temperature=0.1)

    def loss_and_recall():
        outputs = trainer(inputs)
        return float(keras.ops.convert_to_numpy(info_nce_loss(*outputs, 0.1))), recall_at_k(
            *to_numpy(outputs)
        )

    loss, recall = loss_and_recall()
    trainer.compile(optimizer=keras.optimizers.Adam(0.02))
    repeated = {name: np.tile(ids, (30, 1)) for name, ids in inputs.items()}
    trainer.fit(repeated, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)  # 30 steps
    trained_loss, trained_recall = loss_and_recall()
    assert trained_loss < 0.5 * loss
    assert trained_recall == 1.0 > recall
    restored = check_save_and_load(trainer, inputs, tmp_path, atol=OUTPUT_ATOL)
    assert json.loads(json.dumps(restored.get_config())) == json.loads(
        json.dumps(trainer.get_config())
    )


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (
            lambda: info_nce_loss(np.ones((3, 4)), np.ones((2, 4))),
            ValueError,
            r"keys must have the shape of queries.*\(got queries \(3, 4\), keys \(2, 4\)\)",
        ),
        (
            lambda: info_nce_loss(np.ones(4), np.ones(4)),
            ValueError,
            r"queries must have shape \(batch, features\) \(got rank 1",
        ),
        (
            lambda: info_nce_loss(np.ones((2, 4)), np.ones((2, 4)), temperature=0.0),
            ValueError,
            r"temperature must be a finite number in \(0, inf\) \(got temperature=0.0\)",
        ),
        (
            lambda: recall_at_k(np.ones((3, 2)), np.ones((2, 2))),
            ValueError,
            r"key_vectors must be \(M, features\) with M >= N.*\(got query_vectors \(3, 2\)",
        ),
        (
            lambda: recall_at_k(np.ones((3, 2)), np.ones((3, 2)), k=4),
            ValueError,
            r"k must be an int in \[1, 3\] \(got k=4\)",
        ),
        (
            lambda: recall_at_k(np.array([[np.nan, 1.0]]), np.ones((1, 2))),
            ValueError,
            r"query_vectors must be finite",
        ),
        (
            lambda: SentenceEncoder(20, 6, output_dim=0, **SIZES),
            ValueError,
            r"output_dim must be an int >= 1 \(got output_dim=0\)",
        ),
        (
            lambda: SentenceEncoder(20, 6, hidden_dim=6, num_heads=4),
            ValueError,
            r"hidden_dim must be a multiple of num_heads",
        ),
        (
            lambda: ContrastiveTrainer("encoder"),
            TypeError,
            r"encoder must be a Keras layer or model .*\(got 'encoder' of type str\)",
        ),
        (
            lambda: _built_trainer()({"a": np.ones((BATCH, LENGTH), "int32")}),
            ValueError,
            r"inputs must be a dict \{'first': ids, 'second': ids\}.*\(got \['a'\]\)",
        ),
        (
            lambda: bag_of_words_vectors(np.array([[1, 25]]), 20),
            ValueError,
            r"ids must be ids in \[0, 20\) \(got ids\[1\]=25\)",
        ),
        (
            lambda: bag_of_words_vectors(np.array([[1, 2]]), 20, weighting="bm25"),
            ValueError,
            r"weighting must be one of 'tf-idf', 'count' \(got weighting='bm25'\)",
        ),
    ],
    ids=[
        "loss-shapes",
        "loss-rank",
        "temperature",
        "recall-rows",
        "recall-k",
        "recall-nan",
        "output-dim",
        "heads",
        "encoder-type",
        "trainer-inputs",
        "bow-ids",
        "bow-weighting",
    ],
)
def test_bad_inputs_give_clear_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()

"""Tests of companion.sequences against the Keras utilities that do the same job."""

import doctest

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from companion import sequences
from companion.sequences import (
    StandardScaler,
    Vocabulary,
    char_tokens,
    chronological_split,
    one_hot,
    pad_sequences,
    sliding_windows,
    word_tokens,
)

# No example database: the runs leave no .hypothesis/ folder in the repository.
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_docstring_examples_run():
    result = doctest.testmod(sequences)
    assert result.attempted > 10
    assert result.failed == 0


# ---------------------------------------------------------------------------
# sliding_windows against keras.utils.timeseries_dataset_from_array
# ---------------------------------------------------------------------------


def _collect(dataset):
    """Concatenates the batches of a tf.data dataset into NumPy arrays."""
    inputs, targets = [], []
    for batch in dataset:
        if isinstance(batch, tuple):
            inputs.append(np.asarray(batch[0]))
            targets.append(np.asarray(batch[1]))
        else:
            inputs.append(np.asarray(batch))
    return np.concatenate(inputs), (np.concatenate(targets) if targets else None)


def keras_windows(series, window, horizon, stride):
    """The pairs of both kinds, from one keras.utils.timeseries_dataset_from_array call.

    ``data`` puts ``series[:T - h]`` (the inputs) and ``series[h:]`` (the
    many-to-many targets, shifted h steps) side by side on the feature axis;
    keras pairs the window starting at i with ``targets[i]``, so ``targets[i]``
    is the block of the h steps after that window (many-to-one). Arguments map
    as ``sequence_length=window``, ``sequence_stride=stride``.

    Returns:
        ``(inputs, many_to_one_targets, many_to_many_targets)``.
    """
    x = series if series.ndim == 2 else series[:, None]  # (T, F)
    length, features = x.shape
    both = np.concatenate([x[: length - horizon], x[horizon:]], axis=1)  # (T - h, 2F)
    blocks = np.stack(
        [x[i + window : i + window + horizon] for i in range(length - window - horizon + 1)]
    )  # (T - w - h + 1, h, F)
    windows, targets = _collect(
        keras.utils.timeseries_dataset_from_array(
            both,
            blocks,
            sequence_length=window,
            sequence_stride=stride,
            batch_size=8,
            shuffle=False,
        )
    )  # (N, w, 2F), (N, h, F)
    return windows[..., :features], targets, windows[..., features:]


@PROPERTY
@given(
    length=st.integers(2, 40),
    features=st.sampled_from([None, 1, 3]),
    window=st.integers(1, 12),
    horizon=st.integers(1, 4),
    stride=st.integers(1, 5),
    seed=st.integers(0, 1000),
)
def test_sliding_windows_match_keras(length, features, window, horizon, stride, seed):
    assume(window + horizon <= length)
    # keras refuses data no longer than sampling_rate (1) or sequence_stride; we accept both
    # (one window), which test_sliding_windows_index_formulas checks.
    assume(length - horizon > max(1, stride))
    shape = (length,) if features is None else (length, features)
    series = np.random.default_rng(seed).normal(size=shape).astype("float32")
    inputs, targets = sliding_windows(series, window, horizon, stride)
    inputs_m2m, targets_m2m = sliding_windows(series, window, horizon, stride, many_to_many=True)
    expected_inputs, expected_targets, expected_m2m = keras_windows(series, window, horizon, stride)
    np.testing.assert_array_equal(inputs, expected_inputs)
    np.testing.assert_array_equal(targets, expected_targets)
    np.testing.assert_array_equal(inputs_m2m, expected_inputs)
    np.testing.assert_array_equal(targets_m2m, expected_m2m)
    f = 1 if features is None else features
    count = (length - window - horizon) // stride + 1
    assert inputs.shape == (count, window, f)
    assert targets.shape == (count, horizon, f)
    assert targets_m2m.shape == (count, window, f)


@pytest.mark.parametrize(
    "window, horizon, stride", [(1, 1, 1), (5, 1, 1), (4, 3, 2), (7, 2, 3), (10, 10, 1), (4, 3, 50)]
)
def test_sliding_windows_index_formulas(window, horizon, stride):
    length = 20
    # Feature f of step t holds 100 t + f, so every value tells its own time index.
    series = 100.0 * np.arange(length)[:, None] + np.arange(2)[None, :]  # (T, 2)
    inputs, targets = sliding_windows(series, window, horizon, stride)
    _, shifted = sliding_windows(series, window, horizon, stride, many_to_many=True)
    for n in range(inputs.shape[0]):
        start = n * stride
        np.testing.assert_array_equal(inputs[n], series[start : start + window])
        np.testing.assert_array_equal(targets[n], series[start + window : start + window + horizon])
        np.testing.assert_array_equal(
            shifted[n], series[start + horizon : start + window + horizon]
        )
    # The last window's last target is the last step that fits.
    last = (inputs.shape[0] - 1) * stride + window + horizon - 1
    assert last <= length - 1 < last + stride
    assert inputs.flags["C_CONTIGUOUS"] and targets.flags["C_CONTIGUOUS"]


def test_sliding_windows_keeps_dtype_and_copies():
    series = np.arange(10, dtype="int32")
    inputs, targets = sliding_windows(series, 3)
    assert inputs.dtype == np.int32 and targets.dtype == np.int32
    inputs[0, 0, 0] = -1
    assert series[0] == 0  # the outputs are copies, not views of the series


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(window=30), ValueError, r"window \+ horizon must be <= len\(series\).*window=30"),
        (dict(window=20, horizon=1), ValueError, r"len\(series\)=20"),
        (dict(window=0), ValueError, r"window must be a positive int.*window=0"),
        (dict(window=-3), ValueError, r"window must be a positive int.*window=-3"),
        (dict(window=3, horizon=0), ValueError, r"horizon must be a positive int.*horizon=0"),
        (dict(window=3, horizon=-1), ValueError, r"horizon.*horizon=-1"),
        (dict(window=3, stride=0), ValueError, r"stride must be a positive int.*stride=0"),
        (dict(window=3, stride=-2), ValueError, r"stride.*stride=-2"),
        (dict(window=2.0), TypeError, r"window must be an int.*window=2.0"),
        (dict(window=True), TypeError, r"window must be an int.*window=True"),
    ],
)
def test_sliding_windows_rejects_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        sliding_windows(np.arange(20.0), **kwargs)


def test_sliding_windows_rejects_bad_series():
    with_nan = np.arange(10.0)
    with_nan[4] = np.nan
    with pytest.raises(ValueError, match=r"series must be finite.*index 4"):
        sliding_windows(with_nan, 3)
    with pytest.raises(ValueError, match=r"series must be finite"):
        sliding_windows(np.array([[0.0, 1.0], [np.inf, 2.0], [3.0, 4.0]]), 1)
    with pytest.raises(ValueError, match=r"series must be 1-D.*3-D.*\(4, 5, 2\)"):
        sliding_windows(np.zeros((4, 5, 2)), 2)
    with pytest.raises(ValueError, match=r"series must be 1-D.*0-D"):
        sliding_windows(np.float32(3.0), 1)
    with pytest.raises(TypeError, match=r"series must hold numbers.*'a'"):
        sliding_windows(["a", "b", "c"], 1)
    with pytest.raises(ValueError, match=r"series must be a rectangular array"):
        sliding_windows([[1.0, 2.0], [3.0]], 1)


# ---------------------------------------------------------------------------
# chronological_split
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "length, train, validation, gap",
    [(100, 0.7, 0.15, 0), (100, 0.7, 0.15, 5), (37, 0.5, 0.25, 2), (50, 0.8, 0.0, 3)],
)
def test_chronological_split_order_sizes_and_gaps(length, train, validation, gap):
    data = np.arange(length * 2).reshape(length, 2)  # (T, 2), row t starts with 2 t
    parts = chronological_split(data, train=train, validation=validation, gap=gap)
    tr, va, te = parts
    assert len(tr) == int(np.floor(train * length))
    assert len(va) == int(np.floor(validation * length))
    boundaries = 2 if validation > 0 else 1
    assert len(tr) + len(va) + len(te) + boundaries * gap == length
    times = [part[:, 0] // 2 for part in parts]  # the time index of every row
    for t in times:  # contiguous and in time order
        np.testing.assert_array_equal(t, np.arange(t[0], t[0] + len(t)) if len(t) else t)
    assert times[0][0] == 0 and times[2][-1] == length - 1  # test ends with the data
    nonempty = [t for t in times if len(t)]
    for before, after in zip(nonempty, nonempty[1:], strict=False):
        assert after[0] - before[-1] - 1 == gap  # exactly `gap` steps dropped, no overlap
    assert len(set(np.concatenate(times).tolist())) == length - boundaries * gap


def test_chronological_split_errors():
    data = np.arange(10)
    with pytest.raises(ValueError, match=r"train must be in \(0, 1\).*train=1.2"):
        chronological_split(data, train=1.2)
    with pytest.raises(ValueError, match=r"validation must be in \[0, 1\).*validation=-0.1"):
        chronological_split(data, validation=-0.1)
    with pytest.raises(ValueError, match=r"train \+ validation must be < 1.*train=0.8"):
        chronological_split(data, train=0.8, validation=0.2)
    with pytest.raises(ValueError, match=r"gap must be an int >= 0.*gap=-1"):
        chronological_split(data, gap=-1)
    with pytest.raises(ValueError, match=r"every part.*gap=4.*n_test=-6"):
        chronological_split(data, gap=4)
    with pytest.raises(ValueError, match=r"data must have a time axis.*0-D"):
        chronological_split(np.float64(1.0))


# ---------------------------------------------------------------------------
# StandardScaler
# ---------------------------------------------------------------------------


def test_standard_scaler_uses_training_statistics():
    rng = np.random.default_rng(0)
    series = rng.normal(loc=[5.0, -2.0, 0.0], scale=[2.0, 0.5, 1.0], size=(200, 3))
    series[150:] += 10.0  # the test part has drifted
    train, _, test = chronological_split(series, train=0.6, validation=0.2)
    scaler = StandardScaler().fit(train)
    np.testing.assert_allclose(scaler.mean_, train.mean(axis=0))
    np.testing.assert_allclose(scaler.std_, train.std(axis=0))
    scaled = scaler.transform(test)
    np.testing.assert_allclose(scaled, (test - train.mean(0)) / train.std(0), rtol=1e-5)
    assert scaled.mean() > 3.0  # the drift shows: the test part was not re-centred
    np.testing.assert_allclose(scaler.transform(train).mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(scaler.transform(train).std(0), 1.0, rtol=1e-4)
    np.testing.assert_allclose(scaler.inverse_transform(scaled), test, rtol=1e-5, atol=1e-5)
    # Windows (N, w, F) broadcast over the leading axes.
    windows, _ = sliding_windows(test, 4)
    np.testing.assert_allclose(
        scaler.transform(windows), sliding_windows(scaled, 4)[0], rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(StandardScaler().fit_transform(train), scaler.transform(train))


def test_standard_scaler_constant_feature_and_1d():
    data = np.stack([np.arange(6.0), np.full(6, 3.0)], axis=1)  # feature 1 is constant
    scaler = StandardScaler().fit(data)
    assert scaler.std_[1] == 1.0  # the divisor of a constant feature is 1
    scaled = scaler.transform(data)
    assert np.isfinite(scaled).all()
    np.testing.assert_array_equal(scaled[:, 1], 0.0)
    np.testing.assert_allclose(scaler.inverse_transform(scaled), data, atol=1e-6)
    one_d = StandardScaler().fit(np.arange(5.0))
    assert one_d.mean_.shape == () and one_d.mean_ == 2.0
    np.testing.assert_allclose(one_d.transform(np.array([2.0, 4.0])), [0.0, 2.0 / np.sqrt(2.0)])


def test_standard_scaler_errors():
    with pytest.raises(ValueError, match=r"must be fitted first"):
        StandardScaler().transform(np.zeros((3, 2)))
    scaler = StandardScaler().fit(np.random.default_rng(0).normal(size=(10, 2)))
    with pytest.raises(ValueError, match=r"x must have 2 features.*\(4, 3\)"):
        scaler.transform(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"train must be finite"):
        StandardScaler().fit(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match=r"train must be 1-D.*3-D"):
        StandardScaler().fit(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"len\(train\)=0"):
        StandardScaler().fit(np.zeros((0, 2)))


# ---------------------------------------------------------------------------
# pad_sequences against keras.utils.pad_sequences
# ---------------------------------------------------------------------------

MODES = ["pre", "post"]


@PROPERTY
@given(
    ids=st.lists(st.lists(st.integers(1, 50), max_size=9), min_size=1, max_size=6),
    maxlen=st.one_of(st.none(), st.integers(1, 12)),
    padding=st.sampled_from(MODES),
    truncating=st.sampled_from(MODES),
)
def test_pad_sequences_match_keras(ids, maxlen, padding, truncating):
    padded, mask = pad_sequences(ids, maxlen=maxlen, padding=padding, truncating=truncating)
    expected = keras.utils.pad_sequences(
        ids, maxlen=maxlen, padding=padding, truncating=truncating, value=0
    )
    assert padded.dtype == np.int32
    np.testing.assert_array_equal(padded, expected)
    np.testing.assert_array_equal(mask, expected != 0)  # ids never use the padding id
    kept = np.minimum([len(s) for s in ids], padded.shape[1])
    np.testing.assert_array_equal(mask.sum(axis=1), kept)


@pytest.mark.parametrize("padding", MODES)
@pytest.mark.parametrize("truncating", MODES)
@pytest.mark.parametrize("maxlen", [None, 2, 8])
def test_pad_feature_sequences_match_keras(padding, truncating, maxlen):
    rng = np.random.default_rng(1)
    features = [rng.normal(size=(length, 3)).astype("float32") for length in (4, 1, 6, 0)]
    padded, mask = pad_sequences(
        features, maxlen=maxlen, padding=padding, truncating=truncating, value=0.0
    )
    expected = keras.utils.pad_sequences(
        features, maxlen=maxlen, padding=padding, truncating=truncating, value=0.0, dtype="float32"
    )
    assert padded.dtype == np.float32
    assert padded.shape == (4, maxlen or 6, 3) and mask.shape == (4, maxlen or 6)
    np.testing.assert_array_equal(padded, expected)
    np.testing.assert_array_equal(mask, np.any(expected != 0.0, axis=-1))
    # keras.layers.Masking computes the same mask from the padded batch.
    keras_mask = keras.layers.Masking(mask_value=0.0).compute_mask(padded)
    np.testing.assert_array_equal(mask, keras.ops.convert_to_numpy(keras_mask))


def test_pad_sequences_value_and_dtype():
    padded, mask = pad_sequences([[1, 2, 3], [4]], value=-1, padding="pre")
    np.testing.assert_array_equal(
        padded, keras.utils.pad_sequences([[1, 2, 3], [4]], value=-1, padding="pre")
    )
    np.testing.assert_array_equal(mask, padded != -1)
    padded, _ = pad_sequences([[0.5, 1.5], [2.5]], value=0.0)
    assert padded.dtype == np.float32
    padded, _ = pad_sequences([[1, 2], [3]], dtype="int64")
    assert padded.dtype == np.int64


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match=r"sequences must hold at least one.*empty list"):
        pad_sequences([])
    with pytest.raises(ValueError, match=r"value=0 is the padding id.*sequences\[1\]\[2\]"):
        pad_sequences([[1, 2], [3, 4, 0]])
    with pytest.raises(ValueError, match=r"value=0.0 is the padding id.*sequences\[0\]\[1\]"):
        pad_sequences([np.array([[1.0, 2.0], [0.0, 0.0]])], value=0.0)
    pad_sequences([np.array([[1.0, 0.0], [0.0, 2.0]])], value=0.0)  # one zero feature is fine
    with pytest.raises(ValueError, match=r'padding must be "pre" or "post".*padding=\'left\''):
        pad_sequences([[1]], padding="left")
    with pytest.raises(ValueError, match=r'truncating must be "pre" or "post".*\'end\''):
        pad_sequences([[1]], truncating="end")
    with pytest.raises(ValueError, match=r"maxlen must be a positive int.*maxlen=0"):
        pad_sequences([[1]], maxlen=0)
    with pytest.raises(ValueError, match=r"sequences\[1\] must be 1-D.*\(1, 2, 2\)"):
        pad_sequences([[1], np.ones((1, 2, 2))])
    with pytest.raises(ValueError, match=r"sequences\[0\] must be 1-D.*\(\)"):
        pad_sequences([3])
    with pytest.raises(ValueError, match=r"same number of features F.*\[2, 3\]"):
        pad_sequences([np.ones((2, 2)), np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"must all be 1-D ids or all 2-D"):
        pad_sequences([[1, 2], np.ones((2, 3))])
    with pytest.raises(TypeError, match=r"sequences\[0\] must hold numbers.*'a'"):
        pad_sequences([["a", "b"]])
    with pytest.raises(ValueError, match=r"sequences\[0\] must be finite"):
        pad_sequences([[1.0, np.nan]])


# ---------------------------------------------------------------------------
# Tokens and Vocabulary
# ---------------------------------------------------------------------------


def test_tokenizers():
    assert char_tokens("ab c\n") == ["a", "b", " ", "c", "\n"]
    assert word_tokens("The cat's hat, isn't it?") == [
        "the", "cat's", "hat", ",", "isn't", "it", "?",
    ]  # fmt: skip
    assert word_tokens("The Cat", lowercase=False) == ["The", "Cat"]
    with pytest.raises(TypeError, match=r"text must be a str.*list"):
        word_tokens(["a"])
    with pytest.raises(TypeError, match=r"text must be a str.*int"):
        char_tokens(3)


def test_vocabulary_order_and_reserved_ids():
    tokens = word_tokens("b a c a b d a e e")  # a:3, b:2, e:2, c:1, d:1
    vocab = Vocabulary(tokens, reserved=("<pad>", "<unk>", "<s>", "</s>"))
    assert vocab.pad_id == 0 and vocab.oov_id == 1
    assert vocab.tokens[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    counts = vocab.counts
    corpus = vocab.tokens[4:]
    # Most frequent first, ties alphabetically: the order is a sort by (-count, token).
    assert corpus == sorted(set(tokens), key=lambda t: (-counts[t], t))
    assert len(vocab) == 4 + len(set(tokens))
    # The order does not depend on the order of the corpus.
    shuffled = list(np.random.default_rng(0).permutation(tokens))
    assert Vocabulary(shuffled, reserved=vocab.reserved).tokens == vocab.tokens
    for index, token in enumerate(vocab.tokens):
        assert vocab.token_to_id(token) == index and vocab.id_to_token(index) == token


def test_vocabulary_max_size_and_min_count():
    tokens = list("aaaabbbccd")  # a:4, b:3, c:2, d:1
    assert Vocabulary(tokens, max_size=4).tokens == ["<pad>", "<unk>", "a", "b"]
    assert Vocabulary(tokens, min_count=2).tokens == ["<pad>", "<unk>", "a", "b", "c"]
    assert Vocabulary(tokens, max_size=2).tokens == ["<pad>", "<unk>"]
    small = Vocabulary(tokens, max_size=4)
    assert small.encode(list("abcdz")) == [2, 3, 1, 1, 1]
    assert small.count_oov(list("abcdz")) == 3
    assert small.count_oov([]) == 0


def test_vocabulary_round_trip_and_oov():
    text = "I use recurrent neural networks everyday. I love neural networks!"
    vocab = Vocabulary(word_tokens(text), reserved=("<pad>", "<unk>", "<s>", "</s>"))
    sentence = ["<s>"] + word_tokens("I love recurrent networks") + ["</s>"]
    ids = vocab.encode(sentence)
    assert vocab.decode(ids) == sentence
    assert ids[0] == vocab.token_to_id("<s>") == 2 and ids[-1] == 3
    unseen = word_tokens("I love transformers and attention")
    encoded = vocab.encode(unseen)
    assert encoded[2:] == [vocab.oov_id] * 3
    assert vocab.decode(encoded)[2:] == ["<unk>"] * 3
    assert vocab.count_oov(unseen) == 3
    assert vocab.token_to_id("transformers") == vocab.oov_id
    assert "love" in vocab and "transformers" not in vocab
    # A padded batch decodes back once the padding is dropped.
    batch, _ = pad_sequences([vocab.encode(sentence), vocab.encode(["i"])])
    assert vocab.decode(batch[1], skip_padding=True) == ["i"]
    assert vocab.decode(np.array([], dtype=int)) == []


def test_character_vocabulary_round_trip():
    text = "to be or not to be"
    vocab = Vocabulary(char_tokens(text))
    assert "".join(vocab.decode(vocab.encode(char_tokens(text)))) == text
    assert vocab.tokens[2] == " "  # the most frequent character: 5 spaces
    assert vocab.count_oov(char_tokens("tax")) == 2


def test_vocabulary_encode_matches_keras_string_lookup():
    tokens = word_tokens("the cat sat on the mat and the dog sat too")
    vocab = Vocabulary(tokens, max_size=6)
    lookup = keras.layers.StringLookup(
        vocabulary=vocab.tokens[2:], mask_token="<pad>", num_oov_indices=1, oov_token="<unk>"
    )
    query = word_tokens("the dog ate the cat on a mat")
    expected = keras.ops.convert_to_numpy(lookup(np.array(query)))
    assert vocab.encode(query) == expected.tolist()
    assert lookup.get_vocabulary() == vocab.tokens


def test_vocabulary_errors():
    with pytest.raises(TypeError, match=r"tokens must hold only str tokens.*tokens\[1\]=3"):
        Vocabulary(["a", 3, "b"])
    with pytest.raises(TypeError, match=r"tokens must be an iterable of str tokens, not one str"):
        Vocabulary("hello")
    with pytest.raises(TypeError, match=r"tokens must be an iterable.*int"):
        Vocabulary(5)
    with pytest.raises(ValueError, match=r"padding token '<pad>'.*collide"):
        Vocabulary(["a", "<pad>"])
    with pytest.raises(ValueError, match=r"reserved must hold at least.*\['<pad>'\]"):
        Vocabulary(["a"], reserved=("<pad>",))
    with pytest.raises(ValueError, match=r"reserved tokens must be distinct"):
        Vocabulary(["a"], reserved=("<pad>", "<pad>"))
    with pytest.raises(ValueError, match=r"max_size must be >= len\(reserved\).*max_size=1"):
        Vocabulary(["a"], max_size=1)
    with pytest.raises(ValueError, match=r"min_count must be a positive int.*min_count=0"):
        Vocabulary(["a"], min_count=0)
    vocab = Vocabulary(["a", "b"])
    with pytest.raises(TypeError, match=r"tokens must hold only str.*None"):
        vocab.encode(["a", None])
    with pytest.raises(ValueError, match=r"ids must be in \[0, 4\).*ids\[1\]=4"):
        vocab.decode([2, 4])
    with pytest.raises(ValueError, match=r"ids must be in \[0, 4\).*ids\[0\]=-1"):
        vocab.decode([-1])
    with pytest.raises(TypeError, match=r"ids must be ints.*float"):
        vocab.decode([1.0])
    with pytest.raises(ValueError, match=r"id must be in \[0, 4\).*id=7"):
        vocab.id_to_token(7)
    with pytest.raises(TypeError, match=r"token must be a str.*5"):
        vocab.token_to_id(5)


# ---------------------------------------------------------------------------
# one_hot against keras.ops.one_hot and keras.utils.to_categorical
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7,), (3, 5)])
def test_one_hot_matches_keras(shape):
    ids = np.random.default_rng(0).integers(0, 6, size=shape)
    encoded = one_hot(ids, depth=6)
    assert encoded.dtype == np.float32 and encoded.shape == shape + (6,)
    np.testing.assert_array_equal(encoded, keras.ops.convert_to_numpy(keras.ops.one_hot(ids, 6)))
    np.testing.assert_array_equal(encoded, keras.utils.to_categorical(ids, num_classes=6))
    np.testing.assert_array_equal(np.argmax(encoded, axis=-1), ids)
    np.testing.assert_array_equal(encoded.sum(axis=-1), 1.0)


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"ids must be in \[0, depth=3\).*got 3 at index 1"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match=r"got -1 at index \(1, 0\)"):
        one_hot([[0], [-1]], 3)
    with pytest.raises(TypeError, match=r"ids must be integers.*float64"):
        one_hot([0.0, 1.0], 3)
    with pytest.raises(ValueError, match=r"depth must be a positive int.*depth=0"):
        one_hot([0], 0)

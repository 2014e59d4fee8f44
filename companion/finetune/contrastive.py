r"""Contrastive pre-training of a sentence encoder with in-batch negatives (deck ``003_…``).

Two views of one meaning, here the same verse in the King James Version and
in the Bible in Basic English, should get nearby vectors, and every other
sentence of the batch should not. For a batch of :math:`B` pairs with unit
vectors :math:`q_i` (first views) and :math:`k_j` (second views), the
similarities :math:`s_{ij} = q_i^\top k_j / \tau` form a :math:`B \times B`
matrix whose diagonal holds the positives; InfoNCE is the cross-entropy of
picking the diagonal, from the rows and from the columns (CLIP's symmetric
loss):

.. math::

    \mathcal{L} = -\frac{1}{2B} \sum_{i=1}^{B} \left[
        \log \frac{e^{s_{ii}}}{\sum_j e^{s_{ij}}} +
        \log \frac{e^{s_{ii}}}{\sum_j e^{s_{ji}}} \right]

* :func:`info_nce_loss`: the loss above, in ``keras.ops``;
* :class:`SentenceEncoder`: a :class:`~companion.transformer.TransformerEncoder`,
  mean pooling over the real tokens, a projection and L2 normalisation;
* :class:`ContrastiveTrainer`: wraps an encoder so that
  ``fit({"first": ids, "second": ids})`` trains with in-batch negatives;
* :func:`recall_at_k` and :func:`bag_of_words_vectors` (NumPy): the retrieval
  score and the TF-IDF baseline it is compared with.
"""

import math

import keras
import numpy as np
from keras import ops

from companion import transformer
from companion.checks import (
    as_numeric_array,
    check_bool,
    check_choice,
    check_finite,
    check_float,
    check_ids,
    check_int,
    check_rank,
)
from companion.finetune.classifier import masked_mean
from companion.text.encoding import bag_of_words

_EPSILON = 1e-12  # squared norms below this count as zero: a zero vector stays zero


def _unit_rows(x):
    r"""Each row divided by its Euclidean norm, :math:`x / \max(\lVert x \rVert, 10^{-6})`."""
    squared = ops.sum(ops.square(x), axis=-1, keepdims=True)  # (B, 1)
    return x * ops.rsqrt(ops.maximum(squared, _EPSILON))  # (B, d)


def info_nce_loss(queries, keys, temperature=0.05):
    r"""Symmetric InfoNCE over in-batch negatives: row ``i`` of ``keys`` is query ``i``'s positive.

    .. math::

        s_{ij} = \frac{\hat q_i^\top \hat k_j}{\tau}, \quad
        \mathcal{L} = \frac{1}{2B} \sum_{i=1}^{B} \left[
            \left(\log \sum_j e^{s_{ij}} - s_{ii}\right) +
            \left(\log \sum_j e^{s_{ji}} - s_{ii}\right) \right]

    with :math:`\hat x = x / \lVert x \rVert` (the inputs are L2-normalised
    here, so any encoder's outputs can be passed). The other :math:`B - 1`
    keys of the batch are the negatives; a loss of :math:`\log B` means the
    positives are not told apart at all.

    Args:
        queries: float tensor ``(batch, features)``.
        keys: float tensor ``(batch, features)``, the positives in the same rows.
        temperature: float > 0 or a scalar tensor. :math:`\tau`; smaller
            sharpens the softmax over the batch. Defaults to `0.05`.

    Returns:
        float scalar tensor.

    Example:

    >>> vectors = np.eye(4, dtype="float32")
    >>> round(float(info_nce_loss(vectors, vectors, temperature=1.0)), 4)
    0.7437

    References:
        A. van den Oord, Y. Li and O. Vinyals (2018), Representation learning with
        contrastive predictive coding, arXiv:1807.03748. A. Radford et al. (2021),
        Learning transferable visual models from natural language supervision (CLIP).
    """
    if not (ops.is_tensor(temperature) or isinstance(temperature, keras.Variable)):
        temperature = check_float("temperature", temperature, minimum=0.0, open_minimum=True)
    queries, keys = ops.convert_to_tensor(queries), ops.convert_to_tensor(keys)
    check_rank("queries", queries.shape, 2, "(batch, features)")
    check_rank("keys", keys.shape, 2, "(batch, features)")
    pairs = zip(queries.shape, keys.shape, strict=True)
    if any(a is not None and b is not None and a != b for a, b in pairs):
        raise ValueError(
            "keys must have the shape of queries, one positive per query "
            f"(got queries {tuple(queries.shape)}, keys {tuple(keys.shape)})"
        )
    queries, keys = ops.cast(queries, "float32"), ops.cast(keys, "float32")
    logits = ops.matmul(_unit_rows(queries), ops.transpose(_unit_rows(keys)))  # (B, B)
    logits = logits / ops.cast(temperature, "float32")  # s_ij
    rows = ops.diagonal(ops.log_softmax(logits, axis=1))  # (B,) log p(k_i | q_i)
    columns = ops.diagonal(ops.log_softmax(logits, axis=0))  # (B,) log p(q_i | k_i)
    return -0.5 * (ops.mean(rows) + ops.mean(columns))


@keras.saving.register_keras_serializable(package="companion")
class SentenceEncoder(keras.Model):
    r"""Ids -> one unit vector per sentence: Transformer encoder, mean pooling, projection.

    .. math::

        \bar h = \frac{\sum_t m_t h_t}{\max(1, \sum_t m_t)}, \qquad
        z = \frac{W \bar h}{\lVert W \bar h \rVert}

    where :math:`h_t` are the encoder's outputs and :math:`m_t = [w_t \ne 0]`
    marks the real tokens (Sentence-BERT's mean pooling). The projection has
    no bias, so a fully padded row gives the zero vector, not NaN.

    Args:
        vocabulary_size: int >= 2. Number of ids (0 is padding).
        sequence_length: int >= 1. Longest input.
        output_dim: int or `None`. Length of the sentence vectors; `None`
            gives ``hidden_dim``. Defaults to `None`.
        **options: ``hidden_dim``, ``num_layers``, ``num_heads``,
            ``intermediate_dim``, ``dropout``, ``normalize_first`` and
            ``positions``, as in :class:`~companion.transformer.TransformerEncoder`;
            the rest goes to ``keras.Model``.

    Call arguments:
        ids: int tensor ``(batch, time)``, padded with 0.
        training: bool.

    Returns:
        float tensor ``(batch, output_dim)``, rows of norm 1 (0 for empty rows).

    Example:

    >>> encoder = SentenceEncoder(20, 6, hidden_dim=8, num_heads=2, num_layers=1)
    >>> vectors = encoder(np.array([[5, 6, 0], [0, 0, 0]]))
    >>> np.round(np.linalg.norm(keras.ops.convert_to_numpy(vectors), axis=1), 4).tolist()
    [1.0, 0.0]

    References:
        N. Reimers and I. Gurevych (2019), Sentence-BERT: sentence embeddings using
        Siamese BERT-networks, EMNLP.
    """

    def __init__(self, vocabulary_size, sequence_length, output_dim=None, **options):
        encoder_options = {
            k: options.pop(k) for k in transformer.models._ARCHITECTURE_OPTIONS if k in options
        }
        super().__init__(**options)
        self.encoder = transformer.TransformerEncoder(
            vocabulary_size,
            sequence_length,
            dtype=self.dtype_policy,
            name="encoder",
            **encoder_options,
        )
        output_dim = self.encoder.hidden_dim if output_dim is None else output_dim
        self.output_dim = check_int("output_dim", output_dim, minimum=1)
        self.projection = keras.layers.Dense(
            self.output_dim, use_bias=False, dtype=self.dtype_policy, name="projection"
        )

    def call(self, ids, training=None):
        hidden, real = self.encoder(ids, training=training)  # (B, T, d), (B, T)
        pooled = masked_mean(hidden, real)  # (B, d), zeros when no real token
        return _unit_rows(self.projection(pooled))  # (B, output_dim)

    def compute_output_shape(self, ids_shape):
        return (ids_shape[0], self.output_dim)

    def get_config(self):
        config = super().get_config()
        encoder = self.encoder.get_config()
        config.update(
            {
                "vocabulary_size": self.encoder.vocabulary_size,
                "sequence_length": self.encoder.sequence_length,
                "output_dim": self.output_dim,
                **{key: encoder[key] for key in transformer.models._ARCHITECTURE_OPTIONS},
            }
        )
        return config


@keras.saving.register_keras_serializable(package="companion")
class ContrastiveTrainer(keras.Model):
    r"""A pair of views through one shared encoder, trained with :func:`info_nce_loss`.

    ``fit`` needs no labels: the batch is its own set of negatives. The
    temperature is fixed by default, at SimCSE's :math:`\tau = 0.05`: a small
    model trained for a few epochs has no time to tune it, and a fixed one
    keeps runs comparable. ``learn_temperature=True`` learns
    :math:`\log(1/\tau)` as CLIP does, with :math:`1/\tau` clipped to
    :math:`[1, 100]`.

    Args:
        encoder: a Keras layer or model mapping ids ``(batch, time)`` to
            vectors ``(batch, features)``, shared by both views (a
            :class:`SentenceEncoder`, say).
        temperature: float > 0. :math:`\tau`, or its starting value. Defaults to `0.05`.
        learn_temperature: bool. Defaults to `False`.
        **kwargs: passed to ``keras.Model``.

    Call arguments:
        inputs: dict ``{"first": ids, "second": ids}`` of int tensors
            ``(batch, time)`` (the two may differ in length); row ``i`` of each
            is the same sentence.
        training: bool.

    Returns:
        ``(first_vectors, second_vectors)``, each ``(batch, features)``.

    Example:

    >>> encoder = SentenceEncoder(20, 6, hidden_dim=8, num_heads=2, num_layers=1)
    >>> trainer = ContrastiveTrainer(encoder)
    >>> trainer.compile(optimizer="adam")
    >>> ids = np.random.default_rng(0).integers(1, 20, size=(8, 6))
    >>> history = trainer.fit({"first": ids, "second": ids}, batch_size=4, verbose=0)
    >>> len(history.history["loss"])
    1
    """

    def __init__(self, encoder, temperature=0.05, learn_temperature=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(encoder, keras.layers.Layer):
            raise TypeError(
                "encoder must be a Keras layer or model mapping ids to vectors "
                f"(got {encoder!r:.60} of type {type(encoder).__name__})"
            )
        self.encoder = encoder
        self.temperature = check_float("temperature", temperature, minimum=0.0, open_minimum=True)
        self.learn_temperature = check_bool("learn_temperature", learn_temperature)
        self.log_scale = None
        if self.learn_temperature:
            self.log_scale = self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(math.log(1.0 / self.temperature)),
                name="log_scale",
            )

    def current_temperature(self):
        r"""The temperature now: the fixed one, or :math:`1 / \operatorname{clip}(e^s, 1, 100)`."""
        if self.log_scale is None:
            return self.temperature
        return ops.exp(-ops.clip(self.log_scale, 0.0, math.log(100.0)))

    def call(self, inputs, training=None):
        if isinstance(inputs, dict) and set(inputs) == {"first", "second"}:
            first, second = inputs["first"], inputs["second"]
        elif isinstance(inputs, (tuple, list)) and len(inputs) == 2:
            first, second = inputs
        else:
            shown = sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__
            raise ValueError(
                "inputs must be a dict {'first': ids, 'second': ids} of the same sentences' "
                f"two views (got {shown})"
            )
        return self.encoder(first, training=training), self.encoder(second, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        first, second = y_pred  # (B, d), (B, d)
        loss = info_nce_loss(first, second, self.current_temperature())
        for extra in self.losses:  # regularisers of the encoder, if any
            loss = loss + ops.cast(extra, loss.dtype)
        return loss

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "temperature": self.temperature,
                "learn_temperature": self.learn_temperature,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        return cls(**config)


def _vectors(name, values):
    array = check_finite(name, as_numeric_array(name, values).astype(np.float64))
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty (N, features) array (got shape {array.shape})"
        )
    norms = np.linalg.norm(array, axis=1, keepdims=True)  # (N, 1)
    return array / np.maximum(norms, 1e-12)  # unit rows; zero rows stay zero


def recall_at_k(query_vectors, key_vectors, k=1):
    r"""Share of queries whose own key (the same row) is among the ``k`` most similar keys.

    Similarity is the cosine, :math:`c_{ij} = \hat q_i^\top \hat k_j`. With
    :math:`a_i` keys strictly more similar than the own key and :math:`e_i`
    other keys tied with it (within :math:`10^{-9}`), a query scores

    .. math::

        r_i = \operatorname{clip}\!\left(\frac{k - a_i}{e_i + 1}, 0, 1\right),

    the chance that the own key is in the top ``k`` when ties are ordered at
    random: deterministic, and :math:`k / N` for vectors that say nothing
    (all zero), as a random ranking scores.

    Args:
        query_vectors: float array ``(N, features)``.
        key_vectors: float array ``(M, features)``, ``M >= N``; row ``i < N`` is
            query ``i``'s key, the other rows are distractors.
        k: int in ``[1, M]``. Defaults to `1`.

    Returns:
        float in [0, 1], the mean of :math:`r_i`.

    Example:

    >>> queries = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> keys = np.array([[1.0, 0.0], [1.0, 0.2], [1.0, 1.0]])
    >>> recall_at_k(queries, keys, k=1)  # query 1's key is not its nearest
    0.6666666666666666
    """
    queries = _vectors("query_vectors", query_vectors)  # (N, d)
    keys = _vectors("key_vectors", key_vectors)  # (M, d)
    if keys.shape[1] != queries.shape[1] or keys.shape[0] < queries.shape[0]:
        raise ValueError(
            "key_vectors must be (M, features) with M >= N and the features of query_vectors "
            f"(got query_vectors {queries.shape}, key_vectors {keys.shape})"
        )
    k = check_int("k", k, minimum=1, maximum=keys.shape[0])
    rows = np.arange(queries.shape[0])
    similarity = queries @ keys.T  # (N, M)
    own = similarity[rows, rows][:, None]  # (N, 1)
    above = np.sum(similarity > own + 1e-9, axis=1)  # (N,) a_i
    tied = np.sum(np.abs(similarity - own) <= 1e-9, axis=1) - 1  # (N,) e_i
    return float(np.mean(np.clip((k - above) / (tied + 1), 0.0, 1.0)))


def bag_of_words_vectors(ids, vocabulary_size, corpus_ids=None, weighting="tf-idf"):
    r"""TF-IDF bags of words with rows of norm 1: the retrieval baseline that ignores word order.

    .. math::

        v_{nw} = \operatorname{tf}_{nw} \cdot \left(\log \frac{1 + D}{1 + \operatorname{df}_w}
        + 1\right), \qquad \hat v_n = v_n / \lVert v_n \rVert

    with :math:`\operatorname{tf}_{nw}` the count of id :math:`w` in row
    :math:`n` and :math:`\operatorname{df}_w` the number of the :math:`D`
    corpus rows that hold it (scikit-learn's smoothed IDF). Padding (id 0) is
    never counted; a row of padding only stays zero.

    Args:
        ids: int array ``(N, T)``, padded with 0.
        vocabulary_size: int >= 1. Length :math:`V` of each vector.
        corpus_ids: int array ``(D, T')`` or `None`. The rows the document
            frequencies come from (the training texts); `None` uses ``ids``.
            Defaults to `None`.
        weighting: ``"tf-idf"`` or ``"count"`` (plain counts, no IDF).
            Defaults to `"tf-idf"`.

    Returns:
        float32 array ``(N, V)``.

    Example:

    >>> vectors = bag_of_words_vectors(np.array([[4, 5, 0], [4, 4, 0]]), 6)
    >>> vectors[:, 4:].round(3)  # ids 0 to 3 never occur
    array([[0.58 , 0.815],
           [1.   , 0.   ]], dtype=float32)
    """
    check_choice("weighting", weighting, ("tf-idf", "count"))
    counts = bag_of_words(ids, vocabulary_size).astype(np.float64)  # (N, V)
    if weighting == "tf-idf":
        corpus = np.asarray(ids if corpus_ids is None else corpus_ids)
        if corpus.ndim != 2:
            raise ValueError(f"corpus_ids must be 2-D (D, T) (got shape {corpus.shape})")
        corpus = check_ids("corpus_ids", corpus, counts.shape[1])
        ordered = np.sort(corpus, axis=1)  # (D, T), each id's first occurrence counted once
        first = np.ones(ordered.shape, bool)
        first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        frequency = np.bincount(ordered[first & (ordered > 0)], minlength=counts.shape[1])  # (V,)
        counts *= np.log((1.0 + len(corpus)) / (1.0 + frequency)) + 1.0  # (N, V)
    norms = np.linalg.norm(counts, axis=1, keepdims=True)  # (N, 1)
    return (counts / np.maximum(norms, 1e-12)).astype(np.float32)

"""word2vec: skip-gram with negative sampling (Mikolov et al., 2013).

:func:`skipgram_examples` prepares the (centre, context, negatives) rows on the
host; :class:`SkipGram` scores them with two embedding tables.
"""

import keras
import numpy as np
from keras import ops

from companion.checks import check_ids, check_int
from companion.text.tokenizers import OOV_ID, PAD_ID


def skipgram_examples(
    ids, counts, window=4, negatives=5, subsample=1e-4, ignore=(PAD_ID, OOV_ID), seed=0
):
    r"""Training examples of skip-gram with negative sampling (Mikolov et al., 2013).

    1. **Subsampling**: each occurrence of word :math:`w`, of corpus frequency
       :math:`f(w)`, is kept with probability
       :math:`\min\big(1, (\sqrt{f/t} + 1)\, t / f\big)` (word2vec's code),
       which drops most "the" and "and" and widens the windows.
    2. **Dynamic window**: each centre word draws :math:`b \sim U\{1..\text{window}\}`
       and pairs with the words at distance :math:`1..b` on each side.
    3. **Negatives**: each (centre, context) pair gets ``negatives`` words
       drawn from the unigram distribution raised to the power 3/4.

    Args:
        ids: 1-D int array, the corpus as word ids.
        counts: 1-D array (V,), the corpus count of every id.
        window: int >= 1. Largest distance. Defaults to `4`.
        negatives: int >= 0. Negative words per pair. Defaults to `5`.
        subsample: float or `None`. The threshold :math:`t`; `None` keeps
            every word. Defaults to `1e-4`.
        ignore: ids never used (padding, out-of-vocabulary). Defaults to `(0, 1)`.
        seed: int. Defaults to `0`.

    Returns:
        ``(inputs, labels)``: int32 (N, 2 + K) rows ``[centre, context,
        negative_1..K]`` and float32 (N, 1 + K) rows ``[1, 0, ..., 0]``.
    """
    window = check_int("window", window, minimum=1)
    negatives = check_int("negatives", negatives, minimum=0)
    counts = np.asarray(counts, dtype=np.float64)
    ids = check_ids("ids", ids, counts.shape[0], ndim=1)
    rng = np.random.default_rng(seed)
    keep = ~np.isin(ids, np.asarray(ignore, dtype=np.int64))
    if subsample is not None:
        frequency = counts / counts.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            p_keep = np.minimum(1.0, (np.sqrt(frequency / subsample) + 1) * subsample / frequency)
        keep &= rng.random(ids.shape[0]) < np.nan_to_num(p_keep[ids], nan=0.0)
    stream = ids[keep]  # (T',)
    if stream.shape[0] < 2:
        raise ValueError(
            f"ids must keep at least 2 words after subsampling (got {stream.shape[0]} of "
            f"{ids.shape[0]}); use a larger corpus or subsample=None"
        )
    reach = rng.integers(1, window + 1, size=stream.shape[0])  # (T',) dynamic window b
    centres, contexts = [], []
    for distance in range(1, window + 1):
        for sign in (1, -1):
            index = np.arange(stream.shape[0])
            other = index + sign * distance
            valid = (other >= 0) & (other < stream.shape[0]) & (reach >= distance)
            centres.append(stream[index[valid]])
            contexts.append(stream[other[valid]])
    centres, contexts = np.concatenate(centres), np.concatenate(contexts)  # (N,)
    order = rng.permutation(centres.shape[0])
    centres, contexts = centres[order], contexts[order]
    noise = counts**0.75
    noise[list(ignore)] = 0.0
    drawn = rng.choice(counts.shape[0], size=(centres.shape[0], negatives), p=noise / noise.sum())
    inputs = np.concatenate([centres[:, None], contexts[:, None], drawn], axis=1).astype(np.int32)
    labels = np.zeros((centres.shape[0], 1 + negatives), dtype=np.float32)
    labels[:, 0] = 1.0
    return inputs, labels


@keras.saving.register_keras_serializable(package="companion")
class SkipGram(keras.layers.Layer):
    r"""The skip-gram scorer of word2vec: one dot product per (centre, context) pair.

    Two embedding tables, :math:`U` for centre words and :math:`V` for
    context words. For a centre :math:`c`, its true context :math:`o` and
    negatives :math:`n_1..n_K`, the logits are

    .. math::

        s_j = U_c^\top V_{o_j}, \qquad j = 0..K \;(o_0 = o,\ o_j = n_j),

    and training minimises the binary cross-entropy of
    :math:`\sigma(s_0)` against 1 and :math:`\sigma(s_j)` against 0, i.e.
    :math:`-\log\sigma(U_c^\top V_o) - \sum_j \log\sigma(-U_c^\top V_{n_j})`.
    The word vectors are the rows of :math:`U` (``embeddings``). As in
    word2vec's code, :math:`U` starts uniform in :math:`\pm 0.5 / d` and
    :math:`V` at zero (the first steps move :math:`V`, then :math:`U` follows),
    so the two tables never start equal.

    Args:
        vocabulary_size: int. Number of word ids.
        embedding_dim: int. Size :math:`d` of the vectors.
        seed: int or `None`. Seed of :math:`U`'s initialisation. Defaults to `None`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        inputs: int tensor (B, 2 + K): centre id, context id, K negative ids.

    Returns:
        float tensor (B, 1 + K) of logits.

    Example:

    >>> layer = SkipGram(10, 4)
    >>> tuple(layer(np.array([[1, 2, 3, 4]])).shape)
    (1, 3)

    References:
        Mikolov, Sutskever, Chen, Corrado and Dean, "Distributed
        Representations of Words and Phrases and their Compositionality",
        NeurIPS 2013.
    """

    def __init__(self, vocabulary_size, embedding_dim, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=1)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, minimum=1)
        self.seed = seed

    def build(self, input_shape):
        if len(input_shape) != 2 or (input_shape[-1] is not None and input_shape[-1] < 2):
            raise ValueError(
                "SkipGram takes ids of shape (batch, 2 + negatives) (got shape "
                f"{tuple(input_shape)})"
            )
        limit = 0.5 / self.embedding_dim  # word2vec's initialisation
        self.centre_embeddings = self.add_weight(
            name="centre_embeddings",
            shape=(self.vocabulary_size, self.embedding_dim),
            initializer=keras.initializers.RandomUniform(-limit, limit, seed=self.seed),
        )
        self.context_embeddings = self.add_weight(  # zeros, as word2vec's syn1neg
            name="context_embeddings",
            shape=(self.vocabulary_size, self.embedding_dim),
            initializer="zeros",
        )

    @property
    def embeddings(self):
        """NumPy array (V, d), the word vectors :math:`U`."""
        return np.asarray(ops.convert_to_numpy(self.centre_embeddings))

    def call(self, inputs):
        inputs = ops.cast(inputs, "int32")
        centre = ops.take(self.centre_embeddings, inputs[:, 0], axis=0)  # (B, d)
        context = ops.take(self.context_embeddings, inputs[:, 1:], axis=0)  # (B, 1+K, d)
        # s_j = U_c . V_j: multiply and sum (an einsum runs as many tiny matmuls on torch)
        return ops.sum(centre[:, None, :] * context, axis=-1)  # (B, 1+K)

    def compute_output_shape(self, input_shape):
        width = None if input_shape[-1] is None else input_shape[-1] - 1
        return (input_shape[0], width)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "seed": self.seed,
            }
        )
        return config

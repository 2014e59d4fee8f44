"""Embeddings: one-hot against learned vectors, word2vec, and reading the vectors.

* :mod:`~companion.embeddings.one_hot`: :class:`OneHotEmbedding`, deck 003's
  one-hot vector times a weight matrix, equal to ``keras.layers.Embedding``;
* :mod:`~companion.embeddings.word2vec`: :func:`skipgram_examples` and the
  :class:`SkipGram` layer (skip-gram with negative sampling);
* :mod:`~companion.embeddings.similarity`: :func:`nearest_neighbours`,
  :func:`analogy` (deck 004's roi - homme + femme) and :func:`pca_2d`.
"""

from companion.embeddings.one_hot import OneHotEmbedding
from companion.embeddings.similarity import analogy, nearest_neighbours, pca_2d
from companion.embeddings.word2vec import SkipGram, skipgram_examples

__all__ = [
    "OneHotEmbedding",
    "SkipGram",
    "analogy",
    "nearest_neighbours",
    "pca_2d",
    "skipgram_examples",
]

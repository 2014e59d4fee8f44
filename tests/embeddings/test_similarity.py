"""Tests of companion.embeddings.similarity: neighbours and analogies on planted vectors."""

import numpy as np

from companion import embeddings


def test_nearest_neighbours_and_analogy_on_planted_vectors():
    # king - man + woman = queen exactly, plus distractors
    vectors = np.array(
        [
            [0.0, 0.0, 0.0],  # pad
            [1.0, 1.0, 0.0],  # 1 king   = royal + male
            [0.0, 1.0, 0.0],  # 2 man    = male
            [0.0, 0.0, 1.0],  # 3 woman  = female
            [1.0, 0.0, 1.0],  # 4 queen  = royal + female
            [1.0, 1.0, 1.0],  # 5 distractor
            [-1.0, 0.2, 0.0],  # 6
        ]
    )
    ids, similarities = embeddings.analogy(vectors, a=2, b=1, c=3)
    assert ids[0] == 4 and {1, 2, 3}.isdisjoint(ids.tolist())
    assert similarities[0] >= similarities[1]
    ids, _ = embeddings.nearest_neighbours(vectors, 1, k=2)
    assert 1 not in ids.tolist() and ids[0] == 5
    projected = embeddings.pca_2d(vectors[1:])
    assert projected.shape == (6, 2) and np.allclose(projected.mean(axis=0), 0, atol=1e-9)

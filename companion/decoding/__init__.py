"""Decoding: turning a model's next-token distribution into a sequence.

* :mod:`~companion.decoding.greedy`: :func:`generate_greedy`, always the most
  probable next token.
"""

from companion.decoding.greedy import generate_greedy

__all__ = ["generate_greedy"]

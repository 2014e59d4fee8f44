"""Text into ids and back: vocabularies, tokenisers, byte-pair encoding, one-hot.

* :mod:`~companion.text.vocabulary`: :func:`char_tokens`, :func:`word_tokens`
  and :class:`Vocabulary` (ids with reserved padding and unknown tokens);
* :mod:`~companion.text.tokenizers`: :class:`CharTokenizer` and
  :class:`WordTokenizer`, with start and end ids and padded batches;
* :mod:`~companion.text.bpe`: :class:`BytePairTokenizer`, trained from
  scratch, identical to keras-hub's with the same merges;
* :mod:`~companion.text.encoding`: :func:`one_hot` and :func:`bag_of_words`.

NumPy and the standard library only: no Keras, no keras-hub.
"""

from companion.text.bpe import BytePairTokenizer, bytes_to_unicode, learn_bpe_merges, pretokenize
from companion.text.encoding import bag_of_words, one_hot
from companion.text.tokenizers import (
    END_ID,
    OOV_ID,
    PAD_ID,
    SPECIAL_TOKENS,
    START_ID,
    CharTokenizer,
    WordTokenizer,
    normalize_text,
)
from companion.text.vocabulary import Vocabulary, char_tokens, word_tokens

__all__ = [
    "END_ID",
    "OOV_ID",
    "PAD_ID",
    "SPECIAL_TOKENS",
    "START_ID",
    "BytePairTokenizer",
    "CharTokenizer",
    "Vocabulary",
    "WordTokenizer",
    "bag_of_words",
    "bytes_to_unicode",
    "char_tokens",
    "learn_bpe_merges",
    "normalize_text",
    "one_hot",
    "pretokenize",
    "word_tokens",
]

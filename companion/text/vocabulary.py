"""Tokens and vocabularies: a network understands numbers, not words (deck 003).

Text is split into tokens (:func:`char_tokens`, :func:`word_tokens`), and a
:class:`Vocabulary` gives each token an integer id, with reserved ids for
padding and for tokens never seen in training. The tests check
:meth:`Vocabulary.encode` equal to ``keras.layers.StringLookup``.
"""

import collections
import numbers
import re

import numpy as np

from companion.checks import check_int, check_tokens

_WORD_PATTERN = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


def char_tokens(text):
    """Splits a text into characters (every character, spaces and newlines included).

    Args:
        text: str.

    Returns:
        list[str], one token per character.

    Example:

    >>> char_tokens("to be")
    ['t', 'o', ' ', 'b', 'e']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (got {type(text).__name__}: {text!r:.60})")
    return list(text)


def word_tokens(text, lowercase=True):
    r"""Splits a text into words and punctuation marks.

    A word is a run of letters, digits and underscores, with inner apostrophes
    kept (``"don't"``); every other non-space character is a token of its
    own. The pattern is ``\w+(?:'\w+)*|[^\w\s]``.

    Args:
        text: str.
        lowercase: bool. Lower-case the text first. Defaults to `True`.

    Returns:
        list[str].

    Example:

    >>> word_tokens("I love neural networks. Don't you?")
    ['i', 'love', 'neural', 'networks', '.', "don't", 'you', '?']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (got {type(text).__name__}: {text!r:.60})")
    return _WORD_PATTERN.findall(text.lower() if lowercase else text)


class Vocabulary:
    r"""A token <-> id mapping with reserved padding and out-of-vocabulary ids.

    Ids are assigned as follows: the ``reserved`` tokens first (id 0 is
    padding, id 1 the out-of-vocabulary token, then any extra reserved tokens
    such as ``"<s>"`` and ``"</s>"``), then the corpus tokens by decreasing
    count, ties broken alphabetically (so the same corpus always gives the
    same ids). Tokens seen fewer than ``min_count`` times are left out, and the
    list stops at ``max_size`` entries in all; a left-out token encodes to
    ``oov_id``.

    Args:
        tokens: iterable of str. The training corpus, already split into
            tokens (see :func:`char_tokens` and :func:`word_tokens`). It must
            not contain the padding token.
        max_size: int or `None`. Largest vocabulary size, reserved tokens
            included (as ``max_tokens`` of ``keras.layers.StringLookup``).
            Defaults to `None` (no limit).
        min_count: int >= 1. Smallest count for a corpus token to get an id.
            Defaults to `1`.
        reserved: sequence of at least two distinct str: the padding token,
            the out-of-vocabulary token, then extra reserved tokens. Defaults
            to `("<pad>", "<unk>")`.

    Attributes:
        pad_id: int, `0`.
        oov_id: int, `1`.
        tokens: list[str], the token of every id in id order.
        counts: collections.Counter of the corpus tokens.

    Example:

    >>> vocab = Vocabulary(word_tokens("the cat saw the dog"), reserved=("<pad>", "<unk>", "<s>"))
    >>> vocab.tokens
    ['<pad>', '<unk>', '<s>', 'the', 'cat', 'dog', 'saw']
    >>> vocab.encode(["<s>", "the", "bird"])
    [2, 3, 1]
    >>> vocab.decode([2, 3, 1])
    ['<s>', 'the', '<unk>']
    """

    pad_id = 0
    oov_id = 1

    def __init__(self, tokens, max_size=None, min_count=1, reserved=("<pad>", "<unk>")):
        tokens = check_tokens("tokens", tokens)
        reserved = check_tokens("reserved", reserved)
        if len(reserved) < 2:
            raise ValueError(
                "reserved must hold at least the padding and the out-of-vocabulary tokens "
                f"(got reserved={reserved!r})"
            )
        if len(set(reserved)) != len(reserved):
            raise ValueError(f"reserved tokens must be distinct (got reserved={reserved!r})")
        if max_size is not None:
            max_size = check_int("max_size", max_size, minimum=1)
            if max_size < len(reserved):
                raise ValueError(
                    f"max_size must be >= len(reserved) = {len(reserved)} (got max_size={max_size})"
                )
        min_count = check_int("min_count", min_count, minimum=1)
        self.counts = collections.Counter(tokens)
        if reserved[0] in self.counts:
            raise ValueError(
                f"tokens must not contain the padding token {reserved[0]!r}: its id "
                f"{self.pad_id} would collide with a real token (found "
                f"{self.counts[reserved[0]]} times)"
            )
        corpus = [
            (token, count)
            for token, count in self.counts.items()
            if count >= min_count and token not in reserved
        ]
        corpus.sort(key=lambda item: (-item[1], item[0]))  # most frequent, then A-Z
        if max_size is not None:
            corpus = corpus[: max_size - len(reserved)]
        self.reserved = tuple(reserved)
        self.tokens = list(reserved) + [token for token, _ in corpus]
        self._ids = {token: index for index, token in enumerate(self.tokens)}

    def __len__(self):
        return len(self.tokens)

    def __contains__(self, token):
        return token in self._ids

    def __repr__(self):
        return f"Vocabulary(size={len(self)}, reserved={self.reserved!r})"

    @property
    def pad_token(self):
        """str, the padding token (id 0)."""
        return self.tokens[self.pad_id]

    @property
    def oov_token(self):
        """str, the out-of-vocabulary token (id 1)."""
        return self.tokens[self.oov_id]

    def token_to_id(self, token):
        """Returns the id of one token, ``oov_id`` if it is not in the vocabulary."""
        if not isinstance(token, str):
            raise TypeError(f"token must be a str (got {token!r} of type {type(token).__name__})")
        return self._ids.get(token, self.oov_id)

    def id_to_token(self, id):  # noqa: A002  (the keras-hub name)
        """Returns the token of one id in ``[0, len(self))``."""
        if isinstance(id, (bool, np.bool_)) or not isinstance(id, numbers.Integral):
            raise TypeError(f"id must be an int (got {id!r} of type {type(id).__name__})")
        if not 0 <= id < len(self):
            raise ValueError(f"id must be in [0, {len(self)}) (got id={id})")
        return self.tokens[id]

    def encode(self, tokens):
        """Maps tokens to ids; tokens not in the vocabulary become ``oov_id``.

        Args:
            tokens: iterable of str.

        Returns:
            list[int], one id per token.
        """
        tokens = check_tokens("tokens", tokens)
        return [self._ids.get(token, self.oov_id) for token in tokens]

    def count_oov(self, tokens):
        """Counts the tokens that :meth:`encode` would map to ``oov_id``.

        The out-of-vocabulary token itself, if present in ``tokens``, is
        counted too (it encodes to the same id).

        Args:
            tokens: iterable of str.

        Returns:
            int.
        """
        return sum(1 for index in self.encode(tokens) if index == self.oov_id)

    def decode(self, ids, skip_padding=False):
        """Maps ids back to tokens.

        Args:
            ids: iterable of ints (a list or a 1-D integer array) in ``[0, len(self))``.
            skip_padding: bool. Drop ``pad_id`` entries (padded batches).
                Defaults to `False`.

        Returns:
            list[str].
        """
        array = np.asarray(ids)
        if array.ndim != 1:
            raise ValueError(f"ids must be 1-D (got shape {array.shape})")
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise TypeError(f"ids must be ints (got dtype {array.dtype})")
        array = array.astype(np.int64)
        bad = (array < 0) | (array >= len(self))
        if bad.any():
            where = int(np.argmax(bad))
            raise ValueError(
                f"ids must be in [0, {len(self)}) for this vocabulary (got ids[{where}]="
                f"{int(array[where])})"
            )
        return [self.tokens[i] for i in array.tolist() if not (skip_padding and i == self.pad_id)]

r"""Tokens, embeddings and language models (decks 003 and 004).

Deck 003 turns a sentence into numbers in three steps: a **vocabulary**, an
**index** per token, then an **embedding**, either a one-hot vector "the size
of the vocabulary" with "no notion of meaning", or a learned vector that
"captures some meaning from the data". Deck 004 adds the embedding function
:math:`E : \text{Vocabulary} \to \mathbb{R}^d` with its famous example
:math:`E(\text{roi}) - E(\text{homme}) + E(\text{femme}) \approx E(\text{reine})`,
the bag-of-words representation (which "loses the order of the words"), and
the **language model**, a probability for a sequence of words written
auto-regressively,

.. math::

    p_\theta(w_0, \dots, w_n) = p_\theta(w_0)\, p_\theta(w_1 \mid w_0) \cdots
    p_\theta(w_n \mid w_{n-1}, \dots, w_0),

trained as a recurrent network whose targets are its inputs shifted by one.

This module holds the pieces, written from scratch:

* tokenisers: :class:`CharTokenizer` and :class:`WordTokenizer` (on
  :class:`companion.sequences.Vocabulary`, with padding, out-of-vocabulary,
  start and end ids) and :class:`BytePairTokenizer`, a byte-level BPE trainer
  and encoder with GPT-2's conventions so that keras-hub's
  ``BytePairTokenizer`` loaded with the same vocabulary and merges gives the
  same ids;
* :class:`OneHotEmbedding`, a one-hot vector times a weight matrix, equal to
  ``keras.layers.Embedding``; :func:`bag_of_words`;
* word2vec: :func:`skipgram_examples` (subsampling, dynamic window, negative
  sampling) and the :class:`SkipGram` layer; :func:`nearest_neighbours`,
  :func:`analogy`, :func:`pca_2d`;
* language models: :class:`NGramLanguageModel` (add-k or interpolated
  Kneser-Ney), :func:`build_language_model` (a recurrent character model on
  :mod:`companion.recurrent`), scoring (:func:`token_log_probs`,
  :func:`stream_log_probs`, :func:`sequence_log_probs`,
  :func:`perplexity`) and :func:`generate_greedy`;
* :func:`build_text_classifier`, the many-to-one sentiment models.

keras-hub is not imported here (it imports TensorFlow Text); the tests and
the chapter compare with it.
"""

import collections
import heapq
import math
import numbers
import re
import unicodedata

import keras
import numpy as np
from keras import ops

from companion import recurrent
from companion.sequences import Vocabulary, pad_sequences, sliding_windows, word_tokens

__all__ = [
    "SPECIAL_TOKENS",
    "BytePairTokenizer",
    "CharTokenizer",
    "NGramLanguageModel",
    "OneHotEmbedding",
    "SkipGram",
    "WordTokenizer",
    "analogy",
    "bag_of_words",
    "build_language_model",
    "build_text_classifier",
    "bytes_to_unicode",
    "generate_greedy",
    "learn_bpe_merges",
    "nearest_neighbours",
    "normalize_text",
    "pca_2d",
    "perplexity",
    "pretokenize",
    "sequence_log_probs",
    "shifted_pairs",
    "skipgram_examples",
    "stream_log_probs",
    "stream_windows",
    "token_log_probs",
]

#: Reserved tokens of the character and word tokenisers, ids 0 to 3.
SPECIAL_TOKENS = ("<pad>", "<unk>", "<s>", "</s>")
PAD_ID, OOV_ID, START_ID, END_ID = 0, 1, 2, 3


# ---------------------------------------------------------------------------
# Argument checks.
# ---------------------------------------------------------------------------


def _check_int(name, value, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an int (got {name}={value!r} of type {type(value).__name__})"
        )
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum} (got {name}={value})")
    return int(value)


def _check_text(name, text):
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str (got {type(text).__name__}: {text!r:.60})")
    return text


def _check_texts(name, texts):
    """Returns a non-empty corpus as a list of str (one str is a corpus of one text)."""
    if isinstance(texts, str):
        texts = [texts]
    elif isinstance(texts, bytes) or not hasattr(texts, "__iter__"):
        raise TypeError(
            f"{name} must be a str or an iterable of str (got {type(texts).__name__}: "
            f"{texts!r:.60})"
        )
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"{name} must hold only str (got {name}[{index}]={text!r:.60} of type "
                f"{type(text).__name__})"
            )
    if not any(texts):
        raise ValueError(
            f"{name} must hold at least one non-empty text to build a vocabulary (got an "
            f"empty corpus of {len(texts)} texts)"
        )
    return texts


def _check_ids(name, ids, size):
    """Returns ``ids`` as a 1-D int64 array with every id in ``[0, size)``."""
    array = np.asarray(ids)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (got shape {array.shape})")
    if array.dtype == np.bool_ or (array.size and not np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"{name} must hold int ids (got dtype {array.dtype})")
    array = array.astype(np.int64)
    bad = (array < 0) | (array >= size)
    if bad.any():
        where = int(np.argmax(bad))
        raise ValueError(
            f"{name} must be ids in [0, {size}) (got {name}[{where}]={int(array[where])})"
        )
    return array


# ---------------------------------------------------------------------------
# Character and word tokenisers.
# ---------------------------------------------------------------------------


def normalize_text(text, lowercase=True):
    """The stated normalisation of the tokenisers: Unicode NFKC, then lower case.

    NFKC folds compatibility characters into their plain forms (the ligature
    "ﬁ" becomes "fi", a non-breaking space a space, "é" written as "e" plus an
    accent becomes one character), so the same word always gives the same
    tokens.

    Args:
        text: str.
        lowercase: bool. Lower-case after NFKC. Defaults to `True`.

    Returns:
        str.

    Example:

    >>> normalize_text("The ﬁrst Day")
    'the first day'
    """
    text = unicodedata.normalize("NFKC", _check_text("text", text))
    return text.lower() if lowercase else text


class _Tokenizer:
    """Shared encode / decode / batch logic of the character and word tokenisers."""

    join = ""

    def __init__(self, texts, max_size, min_count, lowercase):
        texts = _check_texts("texts", texts)
        if max_size is not None:
            max_size = _check_int("max_size", max_size, 1)
            if max_size <= len(SPECIAL_TOKENS):
                raise ValueError(
                    f"max_size must be > {len(SPECIAL_TOKENS)}, the number of reserved ids "
                    f"{SPECIAL_TOKENS} (got max_size={max_size})"
                )
        self.lowercase = bool(lowercase)
        tokens = [token for text in texts for token in self.split(text)]
        self.vocabulary = Vocabulary(
            tokens, max_size=max_size, min_count=min_count, reserved=SPECIAL_TOKENS
        )

    pad_id, oov_id, start_id, end_id = PAD_ID, OOV_ID, START_ID, END_ID

    def split(self, text):  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def __len__(self):
        return len(self.vocabulary)

    @property
    def vocabulary_size(self):
        """int, the number of ids, reserved ones included."""
        return len(self.vocabulary)

    def encode(self, text, add_start=False, add_end=False):
        """Maps a text to ids; unseen tokens become ``oov_id``.

        Args:
            text: str.
            add_start: bool. Put ``start_id`` first. Defaults to `False`.
            add_end: bool. Put ``end_id`` last. Defaults to `False`.

        Returns:
            list[int].
        """
        ids = self.vocabulary.encode(self.split(_check_text("text", text)))
        return ([START_ID] if add_start else []) + ids + ([END_ID] if add_end else [])

    def count_oov(self, text):
        """Counts the tokens of ``text`` that encode to ``oov_id`` (unseen at training)."""
        return self.vocabulary.count_oov(self.split(_check_text("text", text)))

    def decode(self, ids, skip_special=True):
        """Maps ids back to a text.

        Args:
            ids: 1-D ints in ``[0, vocabulary_size)``.
            skip_special: bool. Drop padding, start and end ids (an unseen
                token still shows as the out-of-vocabulary token). Defaults to `True`.

        Returns:
            str.

        Raises:
            ValueError: an id out of range.
        """
        tokens = self.vocabulary.decode(_check_ids("ids", ids, len(self)))
        if skip_special:
            tokens = [t for t in tokens if t not in (SPECIAL_TOKENS[0], *SPECIAL_TOKENS[2:])]
        return self.join.join(tokens)

    def encode_batch(
        self, texts, maxlen=None, add_start=False, add_end=False, padding="post", truncating="post"
    ):
        """Encodes texts and pads them to one length, with the mask of real ids.

        A text longer than ``maxlen`` is truncated (``truncating`` says which
        end is cut), as a model with a fixed context must do.

        Returns:
            ``(ids, mask)``: int32 array (N, L) padded with ``pad_id`` and bool (N, L).
        """
        if isinstance(texts, str):
            raise TypeError("texts must be a list of str, not one str; use encode(text)")
        sequences = [self.encode(t, add_start=add_start, add_end=add_end) for t in texts]
        if maxlen is None and not any(sequences):
            maxlen = 1
        return pad_sequences(
            sequences, maxlen=maxlen, padding=padding, truncating=truncating, value=PAD_ID
        )


class CharTokenizer(_Tokenizer):
    r"""Characters to ids, on a :class:`~companion.sequences.Vocabulary`.

    Ids 0 to 3 are reserved: padding ``<pad>``, out-of-vocabulary ``<unk>``,
    start ``<s>`` and end ``</s>``; the corpus characters follow by decreasing
    count. Only Unicode NFC normalisation is applied by default (so an accent
    typed as a combining character is one character), and the case is kept
    unless ``lowercase=True``; every other character, spaces and newlines
    included, is a token. Hence ``decode(encode(text)) == text`` for every text
    whose characters were seen.

    Args:
        texts: str or iterable of str. The training corpus (not empty).
        max_size: int or `None`. Largest vocabulary, reserved ids included
            (must be > 4). Defaults to `None`.
        min_count: int >= 1. Smallest count for a character to get an id.
            Defaults to `1`.
        lowercase: bool. Lower-case every text. Defaults to `False`.

    Example:

    >>> tokenizer = CharTokenizer("abba")
    >>> tokenizer.encode("abc", add_start=True, add_end=True)
    [2, 4, 5, 1, 3]
    >>> tokenizer.decode([2, 4, 5, 3])
    'ab'
    """

    def __init__(self, texts, max_size=None, min_count=1, lowercase=False):
        super().__init__(texts, max_size, min_count, lowercase)

    def split(self, text):
        text = unicodedata.normalize("NFC", _check_text("text", text))
        return list(text.lower() if self.lowercase else text)


class WordTokenizer(_Tokenizer):
    r"""Words and punctuation marks to ids, on a :class:`~companion.sequences.Vocabulary`.

    Normalisation: :func:`normalize_text` (NFKC, lower case unless
    ``lowercase=False``), then :func:`companion.sequences.word_tokens` (pattern
    ``\w+(?:'\w+)*|[^\w\s]``). Spacing is not kept: ``decode`` joins the tokens
    with one space, so ``decode(encode(text))`` equals
    ``" ".join(word_tokens(normalize_text(text)))`` for in-vocabulary texts.
    Ids 0 to 3 are ``<pad>``, ``<unk>``, ``<s>``, ``</s>``.

    Args:
        texts: str or iterable of str. The training corpus (not empty).
        max_size: int or `None`. Largest vocabulary, reserved ids included
            (must be > 4); the most frequent words are kept. Defaults to `None`.
        min_count: int >= 1. Smallest count for a word to get an id. Defaults to `1`.
        lowercase: bool. Defaults to `True`.

    Example:

    >>> tokenizer = WordTokenizer("In the beginning God created the heaven")
    >>> tokenizer.encode("God created the earth")
    [7, 6, 4, 1]
    >>> tokenizer.decode([7, 6, 4, 1])
    'god created the <unk>'
    """

    join = " "

    def __init__(self, texts, max_size=None, min_count=1, lowercase=True):
        super().__init__(texts, max_size, min_count, lowercase)

    def split(self, text):
        return word_tokens(normalize_text(text, lowercase=self.lowercase), lowercase=False)


# ---------------------------------------------------------------------------
# Byte-pair encoding.
# ---------------------------------------------------------------------------


def bytes_to_unicode():
    """GPT-2's map from the 256 byte values to printable characters.

    Printable Latin-1 bytes map to themselves; the others (control characters,
    space, ...) to the characters from U+0100 up, so every byte is one visible
    symbol (a space becomes ``"Ġ"``, a newline ``"Ċ"``). The order is GPT-2's.

    Returns:
        dict int -> str, 256 entries.
    """
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return {byte: chr(code) for byte, code in zip(printable, codes, strict=True)}


# Llama 3's pre-tokenisation pattern, the one keras-hub's BytePairTokenizer uses, with the
# Unicode classes of the `regex` package written for Python's `re`: a letter \p{L} is
# [^\W\d_], a number \p{N} is \d (decimal digits: other numerals such as "½" count as letters
# here, the one known difference).
_LETTER = r"[^\W\d_]"
_NOT_LETTER_NUMBER = r"(?:[^\s\w]|_)"
_PRETOKENIZE = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)"
    rf"|(?:[^\r\n\w]|_)?{_LETTER}+"
    r"|\d{1,3}"
    rf"| ?{_NOT_LETTER_NUMBER}+[\r\n]*"
    r"|\s*[\r\n]+"
    r"|\s+(?!\S)"
    r"|\s+"
)


def pretokenize(text):
    r"""Splits a text into the pieces that byte-pair encoding works inside.

    The pattern is keras-hub's (from Llama 3): contractions, a word with the
    character before it (usually its space: ``" the"``), numbers by groups of
    up to three digits, runs of punctuation, runs of spaces. Merges never
    cross two pieces. Joining the pieces gives the text back.

    Args:
        text: str.

    Returns:
        list[str].

    Example:

    >>> pretokenize("And God said, Let there be light: 1611")
    ['And', ' God', ' said', ',', ' Let', ' there', ' be', ' light', ':', ' ', '161', '1']
    """
    return _PRETOKENIZE.findall(_check_text("text", text))


def learn_bpe_merges(word_counts, num_merges):
    r"""Learns byte-pair merges from counted words (Sennrich et al., 2016).

    Each word starts as its sequence of symbols. At every step the most
    frequent pair of adjacent symbols :math:`(a, b)`, counted over all words
    with their frequencies, becomes a new symbol :math:`ab` everywhere; ties
    go to the smaller pair in string order. The pair counts are updated only
    for the words that contain the merged pair (a heap with lazy deletion
    finds the next best pair).

    Args:
        word_counts: dict str -> int. Words (already in their symbol
            alphabet, e.g. byte characters) and their counts.
        num_merges: int >= 0. Most merges to learn; fewer if every word
            becomes one symbol first.

    Returns:
        list of (str, str) pairs, in the order learnt (their rank).

    Example (the corpus of the Hugging Face course, a classic worked example):

    >>> learn_bpe_merges({"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}, 3)
    [('u', 'g'), ('u', 'n'), ('h', 'ug')]

    References:
        Sennrich, Haddow and Birch, "Neural Machine Translation of Rare Words
        with Subword Units", ACL 2016.
    """
    num_merges = _check_int("num_merges", num_merges, 0)
    if not isinstance(word_counts, dict):
        raise TypeError(f"word_counts must be a dict str -> int (got {type(word_counts).__name__})")
    words = [list(word) for word in word_counts]
    counts = list(word_counts.values())
    pair_counts = collections.Counter()
    where = collections.defaultdict(set)  # pair -> indices of the words that contain it
    for index, (symbols, count) in enumerate(zip(words, counts, strict=True)):
        for pair in zip(symbols, symbols[1:], strict=False):
            pair_counts[pair] += count
            where[pair].add(index)

    def key(pair):  # heap order: highest count first, then the smaller pair
        return (-pair_counts[pair], pair)

    heap = [key(pair) for pair in pair_counts]
    heapq.heapify(heap)
    merges = []
    while len(merges) < num_merges and heap:
        negative, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negative or negative == 0:
            continue  # stale entry: the count changed after it was pushed
        merges.append(pair)
        merged = pair[0] + pair[1]
        changed = set()
        for index in where.pop(pair, ()):
            symbols, count = words[index], counts[index]
            for old in zip(symbols, symbols[1:], strict=False):
                pair_counts[old] -= count
                changed.add(old)
            new, i = [], 0
            while i < len(symbols):  # merge left to right, as GPT-2's encoder does
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
                    new.append(merged)
                    i += 2
                else:
                    new.append(symbols[i])
                    i += 1
            words[index] = new
            for fresh in zip(new, new[1:], strict=False):
                pair_counts[fresh] += count
                where[fresh].add(index)
                changed.add(fresh)
        pair_counts.pop(pair, None)
        for other in changed:
            if pair_counts.get(other, 0) > 0:
                heapq.heappush(heap, key(other))
            else:
                pair_counts.pop(other, None)
    return merges


class BytePairTokenizer:
    r"""Byte-level byte-pair encoding, trained from scratch (GPT-2 conventions).

    Training (:meth:`train`): :func:`pretokenize` the corpus, write each piece
    as its UTF-8 bytes mapped to characters by :func:`bytes_to_unicode`, count
    the pieces, then :func:`learn_bpe_merges` until the vocabulary (special
    tokens + 256 bytes + one symbol per merge) reaches ``vocabulary_size``.
    Encoding applies, inside each piece, the lowest-ranked merge present
    until none applies (GPT-2's ``bpe()``). Since every byte has an id there
    is no out-of-vocabulary token, and ``decode(encode(text)) == text`` for
    every text.

    The vocabulary (``token -> id``) and merges (``"a b"`` strings) are in the
    format of keras-hub's ``BytePairTokenizer``: loaded there, they give the
    same ids (the tests check it), up to the one difference of
    :func:`pretokenize` on non-decimal numerals.

    Args:
        vocabulary: dict str -> int. Special tokens, the 256 byte symbols and
            the merged symbols.
        merges: list of str ``"a b"``, in rank order.
        special_tokens: tuple of str. Tokens never produced by encoding text;
            the first is padding. Defaults to `("<pad>", "<s>", "</s>")`.

    Example:

    >>> tokenizer = BytePairTokenizer.train(["low lower lowest"] * 3, vocabulary_size=264)
    >>> tokenizer.merges
    ['l o', 'lo w', 'low e', 'Ġ lowe', 's t']
    >>> tokenizer.tokenize("lowest")
    ['lowe', 'st']
    >>> tokenizer.decode(tokenizer.encode("lowest slow"))
    'lowest slow'
    """

    def __init__(self, vocabulary, merges, special_tokens=("<pad>", "<s>", "</s>")):
        if not isinstance(vocabulary, dict):
            raise TypeError(f"vocabulary must be a dict str -> int (got {type(vocabulary)})")
        self.vocabulary = dict(vocabulary)
        self.merges = [str(m) for m in merges]
        self.special_tokens = tuple(special_tokens)
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {symbol: byte for byte, symbol in self.byte_encoder.items()}
        missing = [s for s in self.byte_encoder.values() if s not in self.vocabulary]
        if missing:
            raise ValueError(
                f"vocabulary must hold all 256 byte symbols (got {len(missing)} missing, "
                f"e.g. {missing[0]!r})"
            )
        self.ranks = {}
        for rank, merge in enumerate(self.merges):
            parts = merge.split(" ")
            if len(parts) != 2 or parts[0] + parts[1] not in self.vocabulary:
                raise ValueError(
                    f"merges[{rank}] must be 'a b' with 'ab' in the vocabulary (got {merge!r})"
                )
            self.ranks[tuple(parts)] = rank
        self.id_to_token = {index: token for token, index in self.vocabulary.items()}
        self.pad_id = self.vocabulary.get(self.special_tokens[0], 0) if special_tokens else 0
        self._cache = {}

    @classmethod
    def train(cls, texts, vocabulary_size, special_tokens=("<pad>", "<s>", "</s>")):
        """Learns a vocabulary of ``vocabulary_size`` ids from a corpus.

        Args:
            texts: str or iterable of str (not empty).
            vocabulary_size: int. Total ids: special tokens, 256 bytes, then
                merges; must be >= ``len(special_tokens) + 256``. The result is
                smaller when every piece of the corpus becomes one symbol first.
            special_tokens: tuple of str, given the first ids.

        Returns:
            A :class:`BytePairTokenizer`.
        """
        texts = _check_texts("texts", texts)
        special_tokens = tuple(special_tokens)
        base = len(special_tokens) + 256
        vocabulary_size = _check_int("vocabulary_size", vocabulary_size, 1)
        if vocabulary_size < base:
            raise ValueError(
                f"vocabulary_size must be >= {base} (the {len(special_tokens)} special tokens "
                f"and the 256 bytes) (got vocabulary_size={vocabulary_size})"
            )
        byte_encoder = bytes_to_unicode()
        pieces = collections.Counter(piece for text in texts for piece in pretokenize(text))
        word_counts = {
            "".join(byte_encoder[b] for b in piece.encode("utf-8")): count
            for piece, count in pieces.items()
        }
        merges = learn_bpe_merges(word_counts, vocabulary_size - base)
        vocabulary = {token: index for index, token in enumerate(special_tokens)}
        for symbol in byte_encoder.values():
            vocabulary[symbol] = len(vocabulary)
        for a, b in merges:
            vocabulary.setdefault(a + b, len(vocabulary))
        return cls(vocabulary, [f"{a} {b}" for a, b in merges], special_tokens)

    @property
    def vocabulary_size(self):
        """int, the number of ids."""
        return len(self.vocabulary)

    def _bpe(self, piece):
        """The symbols of one pre-tokenised piece (already in byte characters)."""
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        symbols = list(piece)
        while len(symbols) > 1:
            ranked = [
                (self.ranks.get(pair, math.inf), pair)
                for pair in zip(symbols, symbols[1:], strict=False)
            ]
            rank, best = min(ranked)
            if rank == math.inf:
                break
            merged, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        if len(self._cache) < 100_000:
            self._cache[piece] = symbols
        return symbols

    def tokenize(self, text):
        """Returns the subword strings of ``text`` (byte symbols, e.g. ``"Ġthe"``)."""
        symbols = []
        for piece in pretokenize(text):
            symbols.extend(self._bpe("".join(self.byte_encoder[b] for b in piece.encode("utf-8"))))
        return symbols

    def encode(self, text):
        """Returns the ids of ``text`` (list of int)."""
        return [self.vocabulary[symbol] for symbol in self.tokenize(text)]

    def decode(self, ids, skip_special=True):
        """Returns the text of ``ids``; special tokens are dropped (or kept as written)."""
        ids = _check_ids("ids", ids, max(self.id_to_token) + 1)
        special = set(self.special_tokens)
        parts = []
        for index in ids.tolist():
            token = self.id_to_token.get(index)
            if token is None:
                raise ValueError(f"ids must be ids of this vocabulary (got id {index})")
            if token in special:
                if not skip_special:
                    parts.append(token.encode("utf-8"))
                continue
            parts.append(bytes(self.byte_decoder[c] for c in token))
        return b"".join(parts).decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------
# One-hot versus learned embeddings, bag of words.
# ---------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="companion")
class OneHotEmbedding(keras.layers.Layer):
    r"""An embedding written as deck 003's one-hot vector times a weight matrix.

    .. math::

        e(k) = \text{one\_hot}(k)^\top W = W_{k,:}, \qquad W \in \mathbb{R}^{V \times d}

    The product picks row :math:`k` of :math:`W`: this is what
    ``keras.layers.Embedding`` computes with a lookup (``take``), at the cost
    of a :math:`V`-wide product per token; the tests check that outputs and
    gradients are equal. With ``mask_zero=True`` id 0 is padding and the
    layer returns the mask ``ids != 0``, as ``Embedding`` does.

    Args:
        input_dim: int. Vocabulary size :math:`V`.
        output_dim: int. Embedding size :math:`d`.
        embeddings_initializer: initializer of :math:`W`. Defaults to `"uniform"`
            (Keras's ``Embedding`` default).
        mask_zero: bool. Treat id 0 as padding. Defaults to `False`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        ids: int tensor (...), ids in ``[0, input_dim)``.

    Returns:
        float tensor (..., output_dim).

    Example:

    >>> layer = OneHotEmbedding(5, 2, embeddings_initializer="ones")
    >>> tuple(layer(np.array([[1, 4, 0]])).shape)
    (1, 3, 2)
    """

    def __init__(
        self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False, **kwargs
    ):
        super().__init__(**kwargs)
        self.input_dim = _check_int("input_dim", input_dim, 1)
        self.output_dim = _check_int("output_dim", output_dim, 1)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
        )

    def call(self, ids):
        one_hot = ops.one_hot(ops.cast(ids, "int32"), self.input_dim, dtype=self.compute_dtype)
        return ops.matmul(one_hot, self.embeddings)  # (..., V) @ (V, d) -> (..., d)

    def compute_mask(self, ids, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(ids, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
                "mask_zero": self.mask_zero,
            }
        )
        return config


def bag_of_words(ids, vocabulary_size, mode="count"):
    """Bag-of-words vectors of padded id sequences (deck 004): counts, order forgotten.

    Args:
        ids: int array (N, T), padded with id 0 (never counted).
        vocabulary_size: int. Length :math:`V` of each vector.
        mode: ``"count"`` (how often each id occurs) or ``"binary"`` (whether
            it occurs). Defaults to `"count"`.

    Returns:
        float32 array (N, V); column 0 (padding) is zero.

    Example:

    >>> bag_of_words(np.array([[4, 2, 4, 0]]), 5)
    array([[0., 0., 1., 0., 2.]], dtype=float32)
    """
    if mode not in ("count", "binary"):
        raise ValueError(f'mode must be "count" or "binary" (got mode={mode!r})')
    vocabulary_size = _check_int("vocabulary_size", vocabulary_size, 1)
    array = np.asarray(ids)
    if array.ndim != 2:
        raise ValueError(f"ids must be 2-D (N, T) (got shape {array.shape})")
    flat = _check_ids("ids", array.reshape(-1), vocabulary_size)
    rows = np.repeat(np.arange(array.shape[0]), array.shape[1])
    counts = np.zeros((array.shape[0], vocabulary_size), dtype=np.float32)
    np.add.at(counts, (rows, flat), 1.0)
    counts[:, 0] = 0.0  # padding
    return np.minimum(counts, 1.0) if mode == "binary" else counts


# ---------------------------------------------------------------------------
# word2vec: skip-gram with negative sampling.
# ---------------------------------------------------------------------------


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
    window = _check_int("window", window, 1)
    negatives = _check_int("negatives", negatives, 0)
    counts = np.asarray(counts, dtype=np.float64)
    ids = _check_ids("ids", ids, counts.shape[0])
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
    The word vectors are the rows of :math:`U` (``embeddings``).

    Args:
        vocabulary_size: int. Number of word ids.
        embedding_dim: int. Size :math:`d` of the vectors.
        seed: int or `None`. Seed of the initialisation. Defaults to `None`.
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
        self.vocabulary_size = _check_int("vocabulary_size", vocabulary_size, 1)
        self.embedding_dim = _check_int("embedding_dim", embedding_dim, 1)
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
        self.context_embeddings = self.add_weight(
            name="context_embeddings",
            shape=(self.vocabulary_size, self.embedding_dim),
            initializer=keras.initializers.RandomUniform(-limit, limit, seed=self.seed),
        )

    @property
    def embeddings(self):
        """NumPy array (V, d), the word vectors :math:`U`."""
        return np.asarray(ops.convert_to_numpy(self.centre_embeddings))

    def call(self, inputs):
        inputs = ops.cast(inputs, "int32")
        centre = ops.take(self.centre_embeddings, inputs[:, 0], axis=0)  # (B, d)
        context = ops.take(self.context_embeddings, inputs[:, 1:], axis=0)  # (B, 1+K, d)
        return ops.einsum("bd,bkd->bk", centre, context)  # (B, 1+K)

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


def _unit_rows(vectors):
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def nearest_neighbours(embeddings, query, k=5, exclude=()):
    r"""The ``k`` rows most similar to a query by cosine similarity.

    .. math:: \cos(u, v) = \frac{u^\top v}{\lVert u \rVert \lVert v \rVert}

    Args:
        embeddings: array (V, d).
        query: an id (int) or a vector (d,).
        k: int >= 1. Defaults to `5`.
        exclude: ids left out (the query id is always left out). Defaults to `()`.

    Returns:
        ``(ids, similarities)``: int array (k,) and float array (k,), most similar first.
    """
    unit = _unit_rows(embeddings)  # (V, d)
    k = _check_int("k", k, 1)
    exclude = set(int(e) for e in exclude)
    if isinstance(query, numbers.Integral):
        exclude.add(int(query))
        query = unit[int(query)]
    similarities = unit @ _unit_rows(query)  # (V,)
    similarities[list(exclude)] = -np.inf
    order = np.argsort(-similarities, kind="stable")[:k]
    return order, similarities[order]


def analogy(embeddings, a, b, c, k=None):
    r"""Ranks every word for the analogy "a is to b as c is to ?" (3CosAdd).

    Deck 004's :math:`E(\text{roi}) - E(\text{homme}) + E(\text{femme})
    \approx E(\text{reine})` is ``analogy(E, homme, roi, femme)``: the
    candidates are ranked by :math:`\cos(x, \hat b - \hat a + \hat c)` over
    unit vectors, the three query words left out (Mikolov et al., 2013).

    Args:
        embeddings: array (V, d).
        a, b, c: int ids.
        k: int or `None`. How many to return; `None` ranks all. Defaults to `None`.

    Returns:
        ``(ids, similarities)``, best first.
    """
    unit = _unit_rows(embeddings)
    target = unit[b] - unit[a] + unit[c]
    return nearest_neighbours(
        unit, target, k=k or unit.shape[0] - 3, exclude=(int(a), int(b), int(c))
    )


def pca_2d(vectors):
    """Projects rows onto their first two principal components (for a figure).

    Args:
        vectors: array (N, d), N >= 2.

    Returns:
        float array (N, 2), centred, signs fixed so each column's largest entry is positive.
    """
    x = np.asarray(vectors, dtype=np.float64)
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    projected = x @ vt[:2].T  # (N, 2)
    signs = np.sign(projected[np.abs(projected).argmax(axis=0), [0, 1]])
    return projected * np.where(signs == 0, 1.0, signs)


# ---------------------------------------------------------------------------
# Count-based n-gram language model.
# ---------------------------------------------------------------------------


class NGramLanguageModel:
    r"""A count-based n-gram language model: the baseline of the recurrent one.

    The Markov assumption keeps the last :math:`n - 1` tokens of the prefix,
    :math:`p(w_t \mid w_{<t}) \approx p(w_t \mid w_{t-n+1..t-1})`. Two
    smoothings give unseen n-grams a probability:

    * **add-k**: :math:`p(w \mid h) = \dfrac{c(hw) + k}{c(h) + kV}`;
    * **interpolated Kneser-Ney** (Chen and Goodman, 1998), with discount
      :math:`D_m = n_1 / (n_1 + 2 n_2)` per order (:math:`n_r` the number of
      n-grams seen :math:`r` times):

      .. math::

          p_m(w \mid h) = \frac{\max(c_m(hw) - D_m, 0)}{c_m(h\cdot)}
          + \frac{D_m\, N_{1+}(h\cdot)}{c_m(h\cdot)}\, p_{m-1}(w \mid h'),

      where :math:`h'` drops the oldest token of :math:`h`, :math:`c_n` are
      counts, lower orders use continuation counts :math:`c_m(hw) = N_{1+}(\cdot hw)`
      (in how many contexts the n-gram was seen), an unseen context backs
      off entirely, and the unigram level is interpolated with the uniform
      :math:`1/V`.

    Each sequence starts with a start token (given, not predicted); its
    missing context is filled with more start tokens. N-grams are stored as
    integers in base :math:`V` and looked up with ``searchsorted``, so
    fitting and scoring are vectorised NumPy.

    Args:
        order: int in 1..8. :math:`n`.
        vocabulary_size: int. :math:`V`; needs :math:`V^n < 2^{63}`.
        smoothing: ``"kneser_ney"`` or ``"add_k"``. Defaults to `"kneser_ney"`.
        k: float > 0. The add-k constant (can be changed after fitting).
            Defaults to `1.0`.
        start_id: int. The start token filling missing context. Defaults to `2`.

    Example:

    >>> model = NGramLanguageModel(2, vocabulary_size=6).fit([[2, 4, 5, 4, 5, 3]])
    >>> float(np.exp(model.log_probs(np.array([[4, 5]]))[0])) > 0.5
    True
    """

    def __init__(self, order, vocabulary_size, smoothing="kneser_ney", k=1.0, start_id=START_ID):
        self.order = _check_int("order", order, 1)
        if self.order > 8:
            raise ValueError(f"order must be <= 8 (got order={order})")
        self.vocabulary_size = _check_int("vocabulary_size", vocabulary_size, 2)
        if self.vocabulary_size**self.order >= 2**63:
            raise ValueError(
                "vocabulary_size ** order must be < 2**63 to store n-grams as int64 keys "
                f"(got vocabulary_size={vocabulary_size}, order={order})"
            )
        if smoothing not in ("kneser_ney", "add_k"):
            raise ValueError(
                f'smoothing must be "kneser_ney" or "add_k" (got smoothing={smoothing!r})'
            )
        self.smoothing = smoothing
        self.k = float(k)
        if not self.k > 0:
            raise ValueError(f"k must be > 0 (got k={k})")
        self.start_id = _check_int("start_id", start_id, 0)
        self.tables = None

    def set_k(self, k):
        """Sets the add-k constant (no refit: the counts do not depend on it); returns self."""
        if isinstance(k, bool) or not isinstance(k, numbers.Real) or not k > 0:
            raise ValueError(f"k must be a number > 0 (got k={k!r})")
        self.k = float(k)
        return self

    def windows(self, sequences):
        """The (context, token) windows of every predicted token, shape (N, order).

        Args:
            sequences: a list of 1-D id sequences, each starting with its start token.

        Returns:
            int64 array (N, order): ``[w_{t-n+1}, ..., w_{t-1}, w_t]`` for each
            token :math:`t \\ge 1` of each sequence.
        """
        if isinstance(sequences, np.ndarray) and sequences.ndim == 1:
            sequences = [sequences]
        rows = []
        for index, sequence in enumerate(sequences):
            sequence = _check_ids(f"sequences[{index}]", sequence, self.vocabulary_size)
            if sequence.shape[0] < 2:
                continue
            padded = np.concatenate(
                [np.full(self.order - 1, self.start_id, np.int64), sequence[:-1], sequence[-1:]]
            )
            view = np.lib.stride_tricks.sliding_window_view(padded, self.order)  # (T-1+..., n)
            rows.append(view[1:])  # the start token itself is given, not predicted
        if not rows:
            return np.zeros((0, self.order), np.int64)
        return np.concatenate(rows)

    def _keys(self, columns):
        keys = np.zeros(columns.shape[0], dtype=np.int64)
        for j in range(columns.shape[1]):
            keys = keys * self.vocabulary_size + columns[:, j]
        return keys

    def fit(self, sequences):
        """Counts the n-grams of every order in ``sequences`` (see :meth:`windows`).

        Returns:
            The model itself.
        """
        grams = self.windows(sequences)  # (N, n)
        if grams.shape[0] == 0:
            raise ValueError(
                "sequences must hold at least one token to predict (got no sequence of length >= 2)"
            )
        self.tables = []
        unique_higher = None
        for m in range(self.order, 0, -1):  # highest order first: lower ones count contexts
            columns = grams[:, self.order - m :]  # (N, m)
            if m == self.order or self.smoothing == "add_k":
                keys, counts = np.unique(self._keys(columns), return_counts=True)
            else:  # continuation counts: distinct left extensions of each lower n-gram
                suffix = unique_higher % (self.vocabulary_size**m)
                keys, counts = np.unique(suffix, return_counts=True)
            unique_higher = keys
            counts = counts.astype(np.float64)
            context = keys // self.vocabulary_size
            context_keys, first = np.unique(context, return_index=True)
            context_totals = np.add.reduceat(counts, first)  # keys are sorted by context
            context_types = np.diff(np.append(first, keys.shape[0])).astype(np.float64)
            n1, n2 = np.sum(counts == 1), np.sum(counts == 2)
            discount = n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5
            self.tables.insert(
                0,
                {
                    "keys": keys,
                    "counts": counts,
                    "context_keys": context_keys,
                    "context_totals": context_totals,
                    "context_types": context_types,
                    "discount": float(min(max(discount, 0.05), 0.95)),
                },
            )
        return self

    @staticmethod
    def _lookup(sorted_keys, values, queries):
        position = np.searchsorted(sorted_keys, queries)
        position = np.minimum(position, sorted_keys.shape[0] - 1)
        found = sorted_keys[position] == queries
        return np.where(found, values[position], 0.0)

    def window_log_probs(self, grams):
        """Natural-log probabilities of the last column of each window given the others.

        Args:
            grams: int array (N, order).

        Returns:
            float64 array (N,).
        """
        if self.tables is None:
            raise ValueError("the model must be fitted first: call fit(sequences)")
        grams = np.asarray(grams, dtype=np.int64)
        size = float(self.vocabulary_size)
        if self.smoothing == "add_k":
            table = self.tables[-1]
            counts = self._lookup(table["keys"], table["counts"], self._keys(grams))
            totals = self._lookup(
                table["context_keys"], table["context_totals"], self._keys(grams[:, :-1])
            )
            return np.log((counts + self.k) / (totals + self.k * size))
        probability = np.full(grams.shape[0], 1.0 / size)
        for m in range(1, self.order + 1):
            table = self.tables[m - 1]
            columns = grams[:, self.order - m :]
            counts = self._lookup(table["keys"], table["counts"], self._keys(columns))
            context = self._keys(columns[:, :-1])
            totals = self._lookup(table["context_keys"], table["context_totals"], context)
            types = self._lookup(table["context_keys"], table["context_types"], context)
            seen = totals > 0
            safe = np.where(seen, totals, 1.0)
            discount = table["discount"]
            mixed = (np.maximum(counts - discount, 0.0) + discount * types * probability) / safe
            probability = np.where(seen, mixed, probability)
        return np.log(probability)

    def log_probs(self, sequences):
        """Log-probability of every predicted token, concatenated (see :meth:`windows`)."""
        return self.window_log_probs(self.windows(sequences))

    def next_log_probs(self, context):
        """Log-probabilities (V,) of every next token after ``context`` (1-D ids)."""
        context = _check_ids("context", context, self.vocabulary_size)
        padded = np.concatenate([np.full(self.order, self.start_id, np.int64), context])
        history = padded[len(padded) - (self.order - 1) :] if self.order > 1 else padded[:0]
        candidates = np.arange(self.vocabulary_size)
        grams = np.concatenate(
            [np.repeat(history[None, :], self.vocabulary_size, axis=0), candidates[:, None]],
            axis=1,
        )
        return self.window_log_probs(grams)


def perplexity(log_probs):
    r"""Perplexity :math:`\exp\big(-\frac{1}{N}\sum_t \log p(w_t \mid w_{<t})\big)`.

    Args:
        log_probs: array of natural-log probabilities, one per predicted token.

    Returns:
        float.
    """
    log_probs = np.asarray(log_probs, dtype=np.float64).reshape(-1)
    if log_probs.size == 0:
        raise ValueError("log_probs must hold at least one value (got none)")
    return float(np.exp(-log_probs.mean()))


# ---------------------------------------------------------------------------
# Recurrent language models.
# ---------------------------------------------------------------------------


def stream_windows(ids, length, stride=None):
    """Cuts a long id stream into (input, target) windows shifted by one (deck 004).

    The input window is :math:`w_i .. w_{i+L-1}` and its target
    :math:`w_{i+1} .. w_{i+L}`: "the output is the input sequence shifted".

    Args:
        ids: 1-D int array.
        length: int >= 1. Window length :math:`L`.
        stride: int or `None`. Step between windows; `None` gives ``length``
            (no overlap). Defaults to `None`.

    Returns:
        ``(inputs, targets)``: int32 arrays (N, L).
    """
    ids = np.asarray(ids)
    length = _check_int("length", length, 1)
    inputs, targets = sliding_windows(
        ids, window=length, horizon=1, stride=stride or length, many_to_many=True
    )
    return inputs[..., 0].astype(np.int32), targets[..., 0].astype(np.int32)


def shifted_pairs(padded):
    """Inputs and targets of padded sequences: ``padded[:, :-1]`` and ``padded[:, 1:]``.

    Returns:
        ``(inputs, targets)``, int32 arrays (N, T - 1); a padded target sits
        under a padded input when the padding is at the end.
    """
    padded = np.asarray(padded)
    if padded.ndim != 2 or padded.shape[1] < 2:
        raise ValueError(f"padded must be (N, T) with T >= 2 (got shape {padded.shape})")
    return padded[:, :-1].astype(np.int32), padded[:, 1:].astype(np.int32)


def build_language_model(
    vocabulary_size,
    embedding_dim=32,
    units=256,
    cell="gru",
    num_layers=1,
    dropout=0.0,
    mask_zero=False,
    name=None,
):
    r"""A recurrent language model: ids (B, T) -> next-token logits (B, T, V).

    .. math::

        x_t = E[w_t], \quad h_t = \mathrm{RNN}(x_t, h_{t-1}), \quad
        p(w_{t+1} \mid w_{\le t}) = \mathrm{softmax}(W_o h_t + b_o)

    with the from-scratch recurrent layers of :mod:`companion.recurrent`. Id 0
    is padding. Batches padded at the end need no mask: the model is causal,
    so its output at a real step never depends on the padding after it; give
    the loss ``sample_weight = targets > 0`` so padded targets do not count
    (:func:`token_log_probs` leaves them out too). ``mask_zero=True`` masks
    them instead (needed for padding at the start). The default is `False`
    because, with Keras 3.15 on TensorFlow, a masked scan fails once the
    sequence length varies between calls.

    Args:
        vocabulary_size: int. :math:`V`.
        embedding_dim: int. Defaults to `32`.
        units: int. State size. Defaults to `256`.
        cell: ``"gru"``, ``"lstm"`` or ``"simple"``. Defaults to `"gru"`.
        num_layers: int >= 1. Stacked recurrent layers. Defaults to `1`.
        dropout: float in [0, 1). Dropout after the embedding and after each
            recurrent layer (training only). Defaults to `0.0`.
        mask_zero: bool. Mask padding id 0 in the embedding. Defaults to `False`.
        name: str or `None`. The model name.

    Returns:
        An uncompiled ``keras.Model``.
    """
    layers = {"gru": recurrent.GRU, "lstm": recurrent.LSTM, "simple": recurrent.SimpleRNN}
    if cell not in layers:
        raise ValueError(f"cell must be one of {sorted(layers)} (got cell={cell!r})")
    vocabulary_size = _check_int("vocabulary_size", vocabulary_size, 2)
    num_layers = _check_int("num_layers", num_layers, 1)
    inputs = keras.Input(shape=(None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(
        vocabulary_size, embedding_dim, mask_zero=bool(mask_zero), name="embedding"
    )(inputs)  # (B, T, E)
    if dropout:
        x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    for index in range(num_layers):
        x = layers[cell](units, return_sequences=True, name=f"{cell}_{index}")(x)  # (B, T, U)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{index}")(x)
    logits = keras.layers.Dense(vocabulary_size, name="logits")(x)  # (B, T, V)
    return keras.Model(inputs, logits, name=name or f"{cell}_language_model")


def token_log_probs(model, inputs, targets, batch_size=256):
    r"""Log-probability :math:`\log p(w_{t+1} \mid w_{\le t})` of each target under ``model``.

    Args:
        model: maps ids (B, T) to logits (B, T, V).
        inputs: int array (N, T).
        targets: int array (N, T); id 0 marks padding.
        batch_size: int. Defaults to `256`.

    Returns:
        float64 array (N, T), 0 at padded targets.
    """
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    if inputs.shape != targets.shape or inputs.ndim != 2:
        raise ValueError(
            f"inputs and targets must be (N, T) of the same shape (got {inputs.shape} and "
            f"{targets.shape})"
        )
    result = np.zeros(targets.shape, dtype=np.float64)
    for start in range(0, inputs.shape[0], batch_size):
        logits = model.predict_on_batch(inputs[start : start + batch_size])  # (b, T, V)
        log_softmax = ops.convert_to_numpy(ops.log_softmax(logits, axis=-1))
        chunk = targets[start : start + batch_size]
        picked = np.take_along_axis(log_softmax, chunk[..., None].astype(np.int64), axis=-1)
        result[start : start + batch_size] = np.where(chunk > 0, picked[..., 0], 0.0)
    return result


def stream_log_probs(model, ids, window=256, warmup=128, batch_size=64):
    """Scores every token of a long stream once, in overlapping windows.

    A text longer than what fits in one batch is cut into windows of
    ``window`` inputs; each window scores the tokens after its first
    ``warmup`` inputs, so every token ``ids[1:]`` is scored exactly once and,
    after the first window, with at least ``warmup`` tokens of context.
    With ``window >= len(ids) - 1`` this is one pass over the whole text.

    Args:
        model: maps ids (B, T) to logits (B, T, V).
        ids: 1-D int array (T,), no padding id.
        window: int. Inputs per window. Defaults to `256`.
        warmup: int in [0, window). Context inputs not scored. Defaults to `128`.
        batch_size: int. Defaults to `64`.

    Returns:
        float64 array (T - 1,): log-probabilities of ``ids[1:]``.
    """
    ids = np.asarray(ids, dtype=np.int64)
    window = _check_int("window", window, 1)
    warmup = _check_int("warmup", warmup, 0)
    if warmup >= window:
        raise ValueError(f"warmup must be < window (got warmup={warmup}, window={window})")
    if ids.ndim != 1 or ids.shape[0] < 2:
        raise ValueError(f"ids must be 1-D with at least 2 ids (got shape {ids.shape})")
    step = window - warmup
    total = ids.shape[0] - 1  # tokens to score: ids[1:]
    chunks, scored = [], []
    first = 0  # the first scored target position (index into ids[1:])
    while first < total:
        begin = max(0, first - warmup)  # input position of the window start
        end = min(total, begin + window)
        chunks.append((ids[begin:end], ids[begin + 1 : end + 1]))
        last = min(total, first + (step if begin > 0 else window))
        scored.append((first - begin, last - begin))
        first = last
    width = max(len(x) for x, _ in chunks)
    inputs = np.zeros((len(chunks), width), np.int32)
    targets = np.zeros((len(chunks), width), np.int32)
    for row, (x, y) in enumerate(chunks):
        inputs[row, : len(x)], targets[row, : len(y)] = x, y
    log_probs = token_log_probs(model, inputs, targets, batch_size=batch_size)
    return np.concatenate([log_probs[row, a:b] for row, (a, b) in enumerate(scored)])


def sequence_log_probs(model, sequences, batch_size=256):
    r"""Log-probability of whole sequences: :math:`\sum_t \log p(w_t \mid w_{<t})`.

    The first token of each sequence (its start token) is given, not scored.

    Args:
        model: maps ids (B, T) to logits (B, T, V).
        sequences: list of 1-D id sequences (any lengths; longer than the
            training windows is fine for a recurrent model).
        batch_size: int. Defaults to `256`.

    Returns:
        float64 array (N,).
    """
    padded, _ = pad_sequences([list(s) for s in sequences], value=PAD_ID)
    if padded.shape[1] < 2:
        raise ValueError("sequences must hold at least 2 ids each (a start token and one more)")
    inputs, targets = shifted_pairs(padded)
    return token_log_probs(model, inputs, targets, batch_size=batch_size).sum(axis=1)


def generate_greedy(next_log_probs, prompt, steps, end_id=END_ID):
    r"""Greedy decoding: append :math:`\arg\max_w p(w \mid \text{prefix})` ``steps`` times.

    Args:
        next_log_probs: callable ``(tokens, t) -> (B, V)`` log-probabilities
            of the token at position ``t``; ``tokens`` is the int buffer
            (B, T0 + steps), filled before ``t`` and 0 (padding) from ``t`` on,
            so a model can read it with one fixed shape.
        prompt: int array (B, T0) of prompts of equal length.
        steps: int >= 1. Tokens to add.
        end_id: int or `None`. A sequence stops growing after this id (it is
            padded with 0 afterwards). Defaults to `3`.

    Returns:
        int array (B, T0 + steps).
    """
    prompt = np.atleast_2d(np.asarray(prompt, dtype=np.int32))
    steps = _check_int("steps", steps, 1)
    tokens = np.zeros((prompt.shape[0], prompt.shape[1] + steps), np.int32)
    tokens[:, : prompt.shape[1]] = prompt
    done = np.zeros(prompt.shape[0], bool)
    for t in range(prompt.shape[1], tokens.shape[1]):
        choice = np.argmax(next_log_probs(tokens, t), axis=-1)  # (B,)
        tokens[:, t] = np.where(done, 0, choice)
        if end_id is not None:
            done |= choice == end_id
        if done.all():
            break
    return tokens


# ---------------------------------------------------------------------------
# Many-to-one text classifiers (sentiment).
# ---------------------------------------------------------------------------


def build_text_classifier(
    kind, vocabulary_size, embedding_dim=32, units=32, mask=True, bidirectional=False
):
    r"""The many-to-one sentiment models compared in chapter 3; they output one logit.

    * ``"bag_of_words"``: logistic regression on a bag-of-words vector
      (:func:`bag_of_words`), input (B, V);
    * ``"mean_embedding"``: the average of the word embeddings (over real
      words only when ``mask``), then a logistic layer;
    * ``"lstm"``: embeddings, then :class:`companion.recurrent.LSTM` (or
      :class:`~companion.recurrent.Bidirectional` when ``bidirectional``), its
      last state, a logistic layer. With ``mask`` padded steps are skipped;
      without it the LSTM also reads the padding.

    Args:
        kind: ``"bag_of_words"``, ``"mean_embedding"`` or ``"lstm"``.
        vocabulary_size: int.
        embedding_dim: int. Defaults to `32`.
        units: int. LSTM size. Defaults to `32`.
        mask: bool. Mask padding id 0. Defaults to `True`.
        bidirectional: bool. Read both ways (``"lstm"`` only). Defaults to `False`.

    Returns:
        An uncompiled ``keras.Model`` with a (B, 1) logit output.
    """
    vocabulary_size = _check_int("vocabulary_size", vocabulary_size, 2)
    if kind == "bag_of_words":
        inputs = keras.Input(shape=(vocabulary_size,), name="bag")
        logit = keras.layers.Dense(1, name="logit")(inputs)  # (B, 1)
        return keras.Model(inputs, logit, name="bag_of_words")
    if kind not in ("mean_embedding", "lstm"):
        raise ValueError(
            f'kind must be "bag_of_words", "mean_embedding" or "lstm" (got kind={kind!r})'
        )
    inputs = keras.Input(shape=(None,), dtype="int32", name="ids")
    embedding = keras.layers.Embedding(
        vocabulary_size, embedding_dim, mask_zero=bool(mask), name="embedding"
    )
    x = embedding(inputs)  # (B, T, E), with the mask ids != 0 when `mask`
    if kind == "mean_embedding":
        x = keras.layers.GlobalAveragePooling1D(name="mean")(x)  # (B, E), masked steps left out
    else:
        layer = recurrent.LSTM(units, name="lstm")
        if bidirectional:
            layer = recurrent.Bidirectional(layer, name="bidirectional")
        x = layer(x)  # (B, U) or (B, 2U): the last state
    logit = keras.layers.Dense(1, name="logit")(x)  # (B, 1)
    suffix = "" if mask else "_unmasked"
    name = ("bi" if bidirectional and kind == "lstm" else "") + kind + suffix
    return keras.Model(inputs, logit, name=name)

"""Byte-level byte-pair encoding, trained from scratch with GPT-2's conventions.

The vocabulary and merges load into keras-hub's ``BytePairTokenizer`` and give
the same ids (the tests check it).
"""

import collections
import heapq
import math
import re

from companion.checks import check_ids, check_int, check_text, check_texts


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
    return _PRETOKENIZE.findall(check_text("text", text))


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
    num_merges = check_int("num_merges", num_merges, minimum=0)
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
        texts = check_texts("texts", texts)
        special_tokens = tuple(special_tokens)
        base = len(special_tokens) + 256
        vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=1)
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
        ids = check_ids("ids", ids, max(self.id_to_token) + 1, ndim=1)
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

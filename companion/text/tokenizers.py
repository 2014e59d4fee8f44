"""Character and word tokenisers with reserved padding, unknown, start and end ids.

Both build a :class:`~companion.text.vocabulary.Vocabulary` from a corpus,
encode a text to ids (unseen tokens become the out-of-vocabulary id) and a
batch of texts to a padded id matrix with its mask.
"""

import unicodedata

from companion.checks import check_ids, check_int, check_text, check_texts
from companion.sequences import pad_sequences
from companion.text.vocabulary import Vocabulary, word_tokens

#: Reserved tokens of the character and word tokenisers, ids 0 to 3.
SPECIAL_TOKENS = ("<pad>", "<unk>", "<s>", "</s>")
PAD_ID, OOV_ID, START_ID, END_ID = 0, 1, 2, 3


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
    text = unicodedata.normalize("NFKC", check_text("text", text))
    return text.lower() if lowercase else text


class _Tokenizer:
    """Shared encode / decode / batch logic of the character and word tokenisers."""

    join = ""

    def __init__(self, texts, max_size, min_count, lowercase):
        texts = check_texts("texts", texts)
        if max_size is not None:
            max_size = check_int("max_size", max_size, minimum=1)
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
        ids = self.vocabulary.encode(self.split(check_text("text", text)))
        return ([START_ID] if add_start else []) + ids + ([END_ID] if add_end else [])

    def count_oov(self, text):
        """Counts the tokens of ``text`` that encode to ``oov_id`` (unseen at training)."""
        return self.vocabulary.count_oov(self.split(check_text("text", text)))

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
        tokens = self.vocabulary.decode(check_ids("ids", ids, len(self), ndim=1))
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
        text = unicodedata.normalize("NFC", check_text("text", text))
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

"""A count-based n-gram language model, the baseline of the recurrent one."""

import numbers

import numpy as np

from companion.checks import check_ids, check_int
from companion.text.tokenizers import START_ID


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
        self.order = check_int("order", order, minimum=1)
        if self.order > 8:
            raise ValueError(f"order must be <= 8 (got order={order})")
        self.vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=2)
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
        self.start_id = check_int("start_id", start_id, minimum=0)
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
            sequence = check_ids(f"sequences[{index}]", sequence, self.vocabulary_size, ndim=1)
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
        context = check_ids("context", context, self.vocabulary_size, ndim=1)
        padded = np.concatenate([np.full(self.order, self.start_id, np.int64), context])
        history = padded[len(padded) - (self.order - 1) :] if self.order > 1 else padded[:0]
        candidates = np.arange(self.vocabulary_size)
        grams = np.concatenate(
            [np.repeat(history[None, :], self.vocabulary_size, axis=0), candidates[:, None]],
            axis=1,
        )
        return self.window_log_probs(grams)

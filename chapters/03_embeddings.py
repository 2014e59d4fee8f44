"""
Chapter 3: Tokens, embeddings and language models
=================================================

A network understands numbers, not words (deck ``003_fe2b7e6d6f382baa``). This
chapter follows the course from text to numbers and back: vocabularies and
indices for characters and words, a byte-pair-encoding tokeniser trained from
scratch and checked against keras-hub's, one-hot vectors against learned
embeddings, word2vec embeddings of the King James Bible with deck
``004_e643fd63115496ec``'s analogy :math:`E(\\text{roi}) - E(\\text{homme}) +
E(\\text{femme}) \\approx E(\\text{reine})` asked in English, then language
models: a count-based n-gram baseline against a recurrent character model on
two corpora, sentence probabilities, greedy samples, and many-to-one sentiment
classifiers, among them one LSTM trained with and without a padding mask.
"""

# %%
# Setup
# -----
#
# The backend is chosen before Keras is imported (``KERAS_BACKEND`` or
# ``--backend``). Hyper-parameters sit here, read from the scale of the run:
# ``--quick`` runs every section at toy size (a smoke test), the default fits
# the book's time budget, ``--full`` trains longer.

from companion import runtime

args = runtime.parse_args(__doc__)  # sets KERAS_BACKEND before keras loads

import time

import keras  # after the backend is chosen
import numpy as np
from keras import ops

from companion import (
    classifiers,
    data,
    decoding,
    embeddings,
    lm,
    plotting,
    sequences,
    text,
)

runtime.set_seed(args.seed)
rng = np.random.default_rng(args.seed)

BLOCK = 10_000  # KJV split into blocks: in every ten, the 9th validates, the 10th tests
BPE_CORPUS = 200_000  # characters of KJV training text for the BPE trainer
BPE_VOCABULARY = 1_000  # 3 special tokens + 256 bytes + 741 merges
HELD_OUT = 100_000  # characters of KJV test text: BPE speed, language-model perplexity
W2V_DIM = 64
W2V_WINDOW = 4
W2V_NEGATIVES = 5
W2V_TEXT = args.pick(quick=300_000, default=None)  # KJV training characters (None: all)
W2V_EPOCHS = args.pick(quick=1, default=2, full=5)
LM_SUBSET = args.pick(quick=20_000, default=300_000, full=1_000_000)  # KJV characters
LM_UNITS = 256
LM_LENGTH = 32  # characters per training window
LM_EPOCHS = args.pick(quick=1, default=4, full=10)
LM_TEST = args.pick(quick=10_000, default=HELD_OUT)  # KJV test characters, perplexity
NAMES_UNITS = 128  # an LSTM with dropout: a few thousand training names are little data
NAMES_DROPOUT = 0.3
NAMES_EPOCHS = args.pick(quick=1, default=20, full=40)
SAMPLE_STEPS = args.pick(quick=30, default=120)  # characters of the greedy KJV sample
SENTIMENT_VOCABULARY = 10_000
SENTIMENT_MAXLEN = 120  # words: most reviews are shorter (the share is printed)
SENTIMENT_TRAIN = args.pick(quick=1_024, default=None)  # training reviews (None: all)
SENTIMENT_EPOCHS = args.pick(quick=1, default=4, full=8)


def timed(function, *arguments, **options):
    """Runs ``function`` and returns its result and the seconds it took."""
    start = time.perf_counter()
    result = function(*arguments, **options)
    return result, time.perf_counter() - start


# %%
# 1. Vocabulary, indexing, one-hot vectors
# ----------------------------------------
#
# Deck 003 builds the numbers in three steps: a **vocabulary** ("college,
# campus, teacher, ..."), an **index** per word ("college → 0, campus → 1,
# ..."), then an **embedding**. Our tokenisers reserve four ids first:
# padding (0), out-of-vocabulary (1), start (2) and end (3); the words follow
# by decreasing count. The word tokeniser's stated normalisation is Unicode
# NFKC, then lower case, then the pattern ``\w+(?:'\w+)*|[^\w\s]``.

deck_words = "college campus teacher degree learning student university school diploma"
deck_tokenizer = text.WordTokenizer(deck_words)
for token in deck_tokenizer.vocabulary.tokens:
    print(f"{token:>10} -> {deck_tokenizer.vocabulary.token_to_id(token)}")
one_hot = keras.ops.one_hot(
    deck_tokenizer.encode("college campus"), len(deck_tokenizer)
)
print("one-hot of 'college campus' (deck 003: as long as the vocabulary):")
print(ops.convert_to_numpy(one_hot).astype(int))

# %%
# The King James Bible is the book's offline text corpus (its size is
# printed below). It is cut into blocks of 10,000 characters: every tenth block
# is held out for testing, the ninth for validation, the rest is training
# text, so the held-out text comes from the whole book, never seen in
# training.

kjv = data.load("kjv")
kjv_train, kjv_valid, kjv_test = data.interleaved_split(kjv, BLOCK)
print(
    f"KJV: {len(kjv):,} characters -> train {len(kjv_train):,}, validation "
    f"{len(kjv_valid):,}, test {len(kjv_test):,}"
)

chars = text.CharTokenizer(kjv_train)
words = text.WordTokenizer(kjv_train, min_count=5)
verse = "And God said, Let there be light: and there was light."
print(f"{len(chars)} character ids, {len(words)} word ids (words seen >= 5 times)")
print("characters:", chars.encode(verse, add_start=True, add_end=True)[:16], "...")
print("words:     ", words.encode(verse, add_start=True, add_end=True))
unseen = "And the Lord spake unto Moses, saying, Build thee a spaceship."
print(
    f"unseen words in {unseen!r}: {words.count_oov(unseen)} -> "
    f"{words.decode(words.encode(unseen))!r}"
)
batch, mask = words.encode_batch([verse, "Jesus wept."], add_start=True, add_end=True)
print("a padded batch and its mask (True at real tokens):")
print(batch)
print(mask.astype(int))

# %%
# 2. Byte-pair encoding from scratch
# ----------------------------------
#
# A word vocabulary cannot spell an unseen word, and characters make long
# sequences. Byte-pair encoding (Sennrich et al., 2016) sits between: start
# from the 256 bytes and repeatedly merge the most frequent adjacent pair. The
# Hugging Face course's worked example: five words and their counts, the first
# three merges, and the count of each merged pair just before its merge (each
# merge changes the counts of its neighbours):

worked = {"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}
spelled = {word: list(word) for word in worked}  # each word as its current symbols
for first, second in text.learn_bpe_merges(worked, 3):
    pair_count = 0
    for word, symbols in spelled.items():
        merged = []
        for symbol in symbols:  # merge every (first, second) of the word, left to right
            if merged and merged[-1] == first and symbol == second:
                merged[-1] = first + second
                pair_count += worked[word]
            else:
                merged.append(symbol)
        spelled[word] = merged
    print(f"merge {first!r} + {second!r} (count {pair_count}): {spelled}")

# %%
# The trainer follows GPT-2's byte-level conventions, which keras-hub's
# ``BytePairTokenizer`` uses: text is cut into pieces by the same
# pre-tokenisation pattern (a word keeps the space before it), each byte is
# written as one printable character (a space is ``Ġ``), and merges never
# cross pieces. We train on ``BPE_CORPUS`` characters of KJV text, then load *our*
# vocabulary and merges into keras-hub and compare on held-out text.

import keras_hub  # noqa: E402  (imports TensorFlow Text; companion/ never imports it)

bpe, bpe_seconds = timed(
    text.BytePairTokenizer.train, kjv_train[:BPE_CORPUS], vocabulary_size=BPE_VOCABULARY
)
print(f"trained {len(bpe.merges)} merges in {bpe_seconds:.1f} s")
print("first ten:", bpe.merges[:10])
print("pieces of the verse:", bpe.tokenize(verse))
hub_bpe = keras_hub.tokenizers.BytePairTokenizer(
    vocabulary=bpe.vocabulary, merges=bpe.merges
)
held_out = kjv_test[:HELD_OUT]
ours_ids, ours_seconds = timed(bpe.encode, held_out)
hub_ids, hub_seconds = timed(
    lambda text: np.asarray(hub_bpe.tokenize(text)).tolist(), held_out
)
same = float(ours_ids == hub_ids)
print(
    f"held-out text: {len(ours_ids):,} ids from scratch, {len(hub_ids):,} by keras-hub"
)
runtime.check_bar(
    "BPE ids identical to keras-hub's with our merges (1 = yes)", same, ">=", 1.0
)
round_trip = bpe.decode(ours_ids) == held_out
hub_round_trip = hub_bpe.detokenize(np.asarray([hub_ids]))[0] == held_out
print(f"round trip: ours {round_trip}, keras-hub {hub_round_trip}")
print(
    f"speed on {len(held_out):,} characters, in characters/s: ours "
    f"{len(held_out) / ours_seconds:,.0f}, keras-hub (Rust tokenizers) "
    f"{len(held_out) / hub_seconds:,.0f}"
)

# %%
# The character tokeniser against keras-hub's ``UnicodeCodepointTokenizer``
# (ids are code points there, vocabulary ranks here): both give the same
# characters. And the three granularities on the same held-out text:

codepoints = keras_hub.tokenizers.UnicodeCodepointTokenizer(lowercase=False)(verse)
same_chars = [chr(c) for c in np.asarray(codepoints)] == list(verse)
print(f"character tokeniser and UnicodeCodepointTokenizer agree: {same_chars}")
sample = kjv_test[:20_000]
print(f"{'tokeniser':>10} | {'vocabulary':>10} | {'ids per 1000 characters':>23}")
for name, tokenizer in (("character", chars), ("BPE", bpe), ("word", words)):
    size = tokenizer.vocabulary_size
    per_1000 = 1000 * len(tokenizer.encode(sample)) / len(sample)
    print(f"{name:>10} | {size:>10,} | {per_1000:>23.0f}")

# %%
# 3. One-hot vectors versus learned embeddings
# --------------------------------------------
#
# Deck 003's one-hot vector :math:`e_k` times a weight matrix
# :math:`W \in \mathbb{R}^{V \times d}` picks row :math:`k`:
# :math:`e_k^\top W = W_{k,:}`. ``OneHotEmbedding`` computes that product;
# ``keras.layers.Embedding`` looks the row up. Same weights, same outputs
# (the tests also check the gradients), and the lookup never builds the
# :math:`V`-wide vector.

ids = np.array(words.encode_batch([verse, "Jesus wept."])[0])
product = embeddings.OneHotEmbedding(len(words), 8, mask_zero=True)
lookup = keras.layers.Embedding(len(words), 8, mask_zero=True)
product.build(ids.shape)
lookup.build(ids.shape)
lookup.set_weights(product.get_weights())
difference = np.abs(
    ops.convert_to_numpy(product(ids)) - ops.convert_to_numpy(lookup(ids))
).max()
print(f"largest difference one-hot @ W vs Embedding lookup: {difference:.1e}")
print("padding mask of the batch (id 0 is masked):")
print(ops.convert_to_numpy(product.compute_mask(ids)).astype(int))

# %%
# 4. Word embeddings: skip-gram with negative sampling
# ----------------------------------------------------
#
# word2vec (Mikolov et al., 2013) learns :math:`E` by asking, for a centre
# word :math:`c` and a word :math:`o` near it, whether :math:`o` really
# occurred there or was drawn at random:
#
# .. math::
#
#    \mathcal{L} = -\log\sigma(U_c^\top V_o)
#    - \sum_{j=1}^{K} \log\sigma(-U_c^\top V_{n_j}).
#
# Frequent words are subsampled, each centre word gets a random window of 1 to
# 4 words, and 5 negatives come from the unigram distribution to the power
# 3/4. The model is two ``Embedding``-like tables, a dot product and a binary
# cross-entropy on the logits.

word_ids = np.array(words.encode(kjv_train[:W2V_TEXT]))
counts = np.bincount(word_ids, minlength=len(words)).astype(float)
(w2v_inputs, w2v_labels), prep_seconds = timed(
    embeddings.skipgram_examples,
    word_ids,
    counts,
    window=W2V_WINDOW,
    negatives=W2V_NEGATIVES,
    subsample=1e-4,
    seed=args.seed,
)
print(
    f"{len(word_ids):,} training words -> {len(w2v_inputs):,} (centre, context) pairs "
    f"with {W2V_NEGATIVES} negatives each ({prep_seconds:.1f} s)"
)
skipgram = embeddings.SkipGram(len(words), W2V_DIM, seed=args.seed)
w2v = keras.Sequential([keras.Input((2 + W2V_NEGATIVES,), dtype="int32"), skipgram])
w2v.compile(
    keras.optimizers.Adam(0.005), keras.losses.BinaryCrossentropy(from_logits=True)
)
history, w2v_seconds = timed(
    w2v.fit,
    w2v_inputs,
    w2v_labels,
    batch_size=2048,
    epochs=W2V_EPOCHS,
    verbose=args.verbose,
)
epoch_losses = np.round(history.history["loss"], 3)
print(f"trained in {w2v_seconds:.0f} s; loss per epoch {epoch_losses}")
vectors = skipgram.embeddings

for word in ("god", "king", "water", "gold", "jerusalem", "sword"):
    ids, similarities = embeddings.nearest_neighbours(
        vectors, words.vocabulary.token_to_id(word)
    )
    neighbours = ", ".join(
        f"{words.vocabulary.id_to_token(int(i))} ({s:.2f})"
        for i, s in zip(ids, similarities, strict=True)
    )
    print(f"{word:>10}: {neighbours}")

# %%
# Deck 004's analogy in English: king - man + woman. The candidates are
# ranked by cosine similarity to :math:`\hat e_\text{king} - \hat e_\text{man}
# + \hat e_\text{woman}` (unit vectors), the three query words left out.
# "queen" is a rare word of the KJV (its count is printed), so its vector is noisy: the
# rank is printed as it comes.

token_id = words.vocabulary.token_to_id
ranking, scores = embeddings.analogy(
    vectors, token_id("man"), token_id("king"), token_id("woman")
)
queen_rank = int(np.nonzero(ranking == token_id("queen"))[0][0]) + 1
print(
    "king - man + woman ->",
    ", ".join(words.vocabulary.id_to_token(int(i)) for i in ranking[:8]),
)
print(
    f'"queen" ({words.vocabulary.counts["queen"]} times in the training text) ranks '
    f"{queen_rank} of {len(ranking):,} candidates"
)

# %%
# A 2-D projection (principal components) of chosen words: people, places,
# metals, animals.

chosen = [
    "king",
    "queen",
    "prince",
    "servant",
    "man",
    "woman",
    "son",
    "daughter",
    "jerusalem",
    "egypt",
    "babylon",
    "gold",
    "silver",
    "brass",
    "iron",
    "sheep",
    "goats",
    "oxen",
    "camels",
    "bread",
    "wine",
    "water",
]
chosen = [w for w in chosen if w in words.vocabulary]
points = embeddings.pca_2d(vectors[[token_id(w) for w in chosen]])


def label_points(axes, points, labels):
    """Writes each label beside its point, at a corner free of the earlier labels."""
    axes.figure.canvas.draw()  # settle the layout: data -> typographic points is final
    anchors = axes.transData.transform(points) * 72 / axes.figure.dpi  # (N, 2) points
    boxes = []  # (left, bottom, right, top) of the labels placed so far
    for label, point, (x, y) in zip(labels, points, anchors, strict=True):
        width, height = 4.8 * len(label), 9.0  # a label at font size 8
        for dx, dy in ((3, 3), (3, -12), (-3 - width, 3), (-3 - width, -12)):
            box = (x + dx, y + dy, x + dx + width, y + dy + height)
            if all(
                box[2] <= b[0] or b[2] <= box[0] or box[3] <= b[1] or b[3] <= box[1]
                for b in boxes
            ):
                break  # this corner covers no earlier label
        boxes.append(box)
        axes.annotate(
            label, point, fontsize=8, xytext=(dx, dy), textcoords="offset points"
        )


figure, axes = plotting.new_axes(width=7.0, height=5.0)
axes.scatter(points[:, 0], points[:, 1], s=12)
axes.margins(0.12)  # room for the labels at the edges
plotting.label(
    axes,
    "word2vec on the KJV: a 2-D projection",
    "first principal component",
    "second principal component",
)
label_points(axes, points, chosen)
runtime.show(figure, "word2vec_pca")

# %%
# 5. Language models
# ------------------
#
# Deck 004: a language model gives a probability to a sequence of words,
# written auto-regressively,
#
# .. math::
#
#    p_\theta(w_0, \dots, w_n) = p_\theta(w_0)\, p_\theta(w_1 \mid w_0) \cdots
#    p_\theta(w_n \mid w_{n-1}, \dots, w_0),
#
# and judged on held-out text by its perplexity
# :math:`\exp(-\frac{1}{N}\sum_t \log p(w_t \mid w_{<t}))`, the number of
# equally likely choices it is as unsure as. Two corpora at the character
# level: US Census first names (one name is one sequence, between start and
# end tokens) and the KJV (one long stream).
#
# The baseline counts n-grams (the Markov assumption: only the last
# :math:`n - 1` characters matter), with add-k smoothing (k chosen on the
# validation part) or interpolated Kneser-Ney, for n = 1 to 5.

names = data.load("census_names")
order = rng.permutation(len(names))
cut_1, cut_2 = int(0.8 * len(names)), int(0.9 * len(names))
names_train = [names[i] for i in order[:cut_1]]
names_valid = [names[i] for i in order[cut_1:cut_2]]
names_test = [names[i] for i in order[cut_2:]]
name_chars = text.CharTokenizer(names_train)


def name_ids(batch):
    return [name_chars.encode(n, add_start=True, add_end=True) for n in batch]


pick = np.sort(rng.choice(len(kjv_train) // BLOCK, LM_SUBSET // BLOCK, replace=False))
lm_train_text = "".join(kjv_train[i * BLOCK : (i + 1) * BLOCK] for i in pick)
corpora = {
    "census names": (
        name_chars,
        name_ids(names_train),
        name_ids(names_valid),
        name_ids(names_test),
    ),
    "KJV": (
        chars,
        [np.array(chars.encode(lm_train_text, add_start=True))],
        [np.array(chars.encode(kjv_valid[:50_000], add_start=True))],
        [np.array(chars.encode(kjv_test[:LM_TEST], add_start=True))],
    ),
}
print(
    f"names: {len(names_train)} train, {len(names_valid)} validation, "
    f"{len(names_test)} test; KJV language-model subset: {len(lm_train_text):,} "
    f"characters from {len(pick)} blocks"
)

results = {}  # corpus -> list of (model, n, validation ppl, test ppl)
for corpus, (tokenizer, train, valid, test) in corpora.items():
    rows = []
    for n in range(1, 6):
        kn = lm.NGramLanguageModel(n, len(tokenizer)).fit(train)
        rows.append(
            (
                "Kneser-Ney",
                n,
                lm.perplexity(kn.log_probs(valid)),
                lm.perplexity(kn.log_probs(test)),
            )
        )
        add_k = lm.NGramLanguageModel(n, len(tokenizer), smoothing="add_k").fit(train)
        best_k = min(
            (lm.perplexity(add_k.set_k(k).log_probs(valid)), k)
            for k in (1.0, 0.3, 0.1, 0.03, 0.01, 0.003)
        )
        add_k.set_k(best_k[1])
        rows.append(
            (
                f"add-k (k={best_k[1]:g})",
                n,
                best_k[0],
                lm.perplexity(add_k.log_probs(test)),
            )
        )
    results[corpus] = rows
    best = min(rows, key=lambda row: row[3])
    print(
        f"{corpus}: best n-gram on test: {best[0]} n={best[1]}, "
        f"perplexity {best[3]:.3f}"
    )

# %%
# The recurrent model reads characters one at a time and keeps a state
# (chapter 2's cells, from scratch): :math:`x_t = E[w_t]`,
# :math:`h_t = \mathrm{RNN}(x_t, h_{t-1})`,
# :math:`p(w_{t+1} \mid w_{\le t}) = \mathrm{softmax}(W_o h_t + b_o)`. Deck
# 004's training: the input is the sequence :math:`w_0..w_t`, the target the
# same sequence **shifted** by one, :math:`w_1..w_{t+1}`, and the loss sums
# the cross-entropies of every step. On the KJV, a GRU of 256 units reads
# windows of 32 characters; the names corpus is small (a few thousand names),
# so an LSTM of 128 units with dropout 0.3 is trained with early stopping on
# the validation names. Names are padded at the end: the model is causal, so
# its outputs at real steps never see the padding after them, and the loss
# gives padded targets a weight of 0.


def train_language_model(
    size, inputs, targets, cell, units, epochs, batch, dropout=0.0, validation=None
):
    """Adam, cosine-decayed learning rate; early stopping when given validation data."""
    model = lm.build_language_model(
        size, embedding_dim=32, units=units, cell=cell, dropout=dropout
    )
    steps = epochs * int(np.ceil(len(inputs) / batch))
    schedule = keras.optimizers.schedules.CosineDecay(1e-2, steps, alpha=0.1)
    model.compile(
        keras.optimizers.Adam(schedule, clipnorm=1.0),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    callbacks = []
    if validation is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(patience=4, restore_best_weights=True)
        )
    history = model.fit(
        inputs,
        targets,
        sample_weight=(targets > 0).astype("float32"),  # padded targets do not count
        batch_size=batch,
        epochs=epochs,
        verbose=args.verbose,
        validation_data=validation,
        validation_batch_size=None if validation is None else len(validation[0]),
        callbacks=callbacks,
    )
    return model, history


recurrent_models = {}
for corpus, (tokenizer, train, valid, test) in corpora.items():
    start = time.perf_counter()
    if corpus == "KJV":
        inputs, targets = lm.stream_windows(train[0], LM_LENGTH)
        model, history = train_language_model(
            len(tokenizer), inputs, targets, "gru", LM_UNITS, LM_EPOCHS, 32
        )
        test_log_probs = lm.stream_log_probs(model, test[0], window=512, warmup=128)
    else:
        inputs, targets = lm.shifted_pairs(sequences.pad_sequences(train)[0])
        valid_inputs, valid_targets = lm.shifted_pairs(
            sequences.pad_sequences(valid)[0]
        )
        validation = (
            valid_inputs,
            valid_targets,
            (valid_targets > 0).astype("float32"),
        )
        model, history = train_language_model(
            len(tokenizer),
            inputs,
            targets,
            "lstm",
            NAMES_UNITS,
            NAMES_EPOCHS,
            64,
            dropout=NAMES_DROPOUT,
            validation=validation,
        )
        test_inputs, test_targets = lm.shifted_pairs(sequences.pad_sequences(test)[0])
        test_log_probs = lm.token_log_probs(  # one batch: one shape to compile
            model, test_inputs, test_targets, batch_size=len(test_inputs)
        )
        test_log_probs = test_log_probs[test_targets > 0]
    seconds = time.perf_counter() - start
    recurrent_models[corpus] = model
    label = f"GRU {LM_UNITS}" if corpus == "KJV" else f"LSTM {NAMES_UNITS}"
    results[corpus].append(
        (f"{label} (ours)", "-", None, lm.perplexity(test_log_probs))
    )
    print(
        f"{corpus}: {label} trained in {seconds:.0f} s ({len(history.epoch)} epochs), "
        f"{model.count_params():,} parameters"
    )

# %%
# The perplexity table (held-out test text; n-gram settings chosen on the
# validation part):

print(f"{'corpus':>13} | {'model':>22} | {'n':>2} | {'valid ppl':>9} | {'test ppl':>8}")
for corpus, rows in results.items():
    for model_name, n, valid_ppl, test_ppl in rows:
        valid_text = "-" if valid_ppl is None else f"{valid_ppl:.3f}"
        columns = f"{model_name:>22} | {n:>2} | {valid_text:>9} | {test_ppl:>8.3f}"
        print(f"{corpus:>13} | {columns}")
for corpus, rows in results.items():
    best_ngram = min(row[3] for row in rows if row[1] != "-")
    runtime.check_bar(
        f"{corpus}: test perplexity, recurrent model / best n-gram (n <= 5)",
        rows[-1][3] / best_ngram,
        "<",
        1.0,
        needs_training=True,
    )

# %%
# Deck 004's example, Prob("La voiture **est** bleue") > Prob("La voiture
# **mange** bleue"), made concrete on the KJV model: in each pair one word of
# a KJV-style sentence is swapped for an implausible one, and the sentence
# log-probability :math:`\sum_t \log p(w_t \mid w_{<t})` should be higher for
# the plausible one. Every word of the plausible sentences is in the KJV word
# vocabulary (a bar checks it).

pairs = [
    ("And God said, Let there be light.", "And God said, Let there be pizza."),
    (
        "In the beginning God created the heaven and the earth.",
        "In the beginning God created the heaven and the robot.",
    ),
    (
        "The Lord is my shepherd; I shall not want.",
        "The Lord is my shepherd; I shall not swim.",
    ),
    (
        "And the king said unto the prophet, Go in peace.",
        "And the king said unto the prophet, Go in cheese.",
    ),
    (
        "Blessed are the meek: for they shall inherit the earth.",
        "Blessed are the meek: for they shall inherit the spoon.",
    ),
    (
        "And he went up into the mountain to pray.",
        "And he went up into the mountain to sneeze.",
    ),
    (
        "Thou shalt love thy neighbour as thyself.",
        "Thou shalt love thy umbrella as thyself.",
    ),
    (
        "And Moses stretched out his hand over the sea.",
        "And Moses stretched out his hand over the soup.",
    ),
    (
        "The children of Israel did eat manna forty years.",
        "The children of Israel did eat manna forty minutes.",
    ),
    (
        "And the waters prevailed upon the earth.",
        "And the waters prevailed upon the pencil.",
    ),
    ("Give us this day our daily bread.", "Give us this day our daily plastic."),
    (
        "And David took an harp, and played with his hand.",
        "And David took an harp, and played with his radio.",
    ),
    (
        "For God so loved the world, that he gave his only begotten Son.",
        "For God so loved the world, that he gave his only begotten bicycle.",
    ),
    (
        "And the angel of the Lord appeared unto him in a flame of fire.",
        "And the angel of the Lord appeared unto him in a flame of ice.",
    ),
    (
        "He maketh me to lie down in green pastures.",
        "He maketh me to lie down in green computers.",
    ),
    (
        "And Noah builded an altar unto the Lord.",
        "And Noah builded an engine unto the Lord.",
    ),
    (
        "The fear of the Lord is the beginning of wisdom.",
        "The fear of the Lord is the beginning of football.",
    ),
    (
        "And they parted his garments, casting lots.",
        "And they parted his telephones, casting lots.",
    ),
    ("Jesus wept.", "Jesus sneezed."),
    ("Honour thy father and thy mother.", "Honour thy father and thy kettle."),
    (
        "And all the people gathered themselves together unto the king.",
        "And all the people gathered themselves together unto the carrot.",
    ),
    (
        "Ask, and it shall be given you; seek, and ye shall find.",
        "Ask, and it shall be given you; seek, and ye shall melt.",
    ),
    (
        "And the LORD hardened the heart of Pharaoh.",
        "And the LORD painted the heart of Pharaoh.",
    ),
    ("The heavens declare the glory of God.", "The heavens declare the glory of tea."),
    ("And he took bread, and gave thanks.", "And he took bread, and gave socks."),
]
unseen_plausible = sum(words.count_oov(good) for good, _ in pairs)
print(f"{len(pairs)} pairs")
runtime.check_bar(
    "words of the plausible sentences outside the KJV word vocabulary",
    unseen_plausible,
    "<=",
    0,
)


def sentence_ids(sentence):
    return chars.encode("\n" + sentence)  # "\n" starts a paragraph: given, not scored


kjv_model = recurrent_models["KJV"]
good_scores = lm.sequence_log_probs(kjv_model, [sentence_ids(g) for g, _ in pairs])
bad_scores = lm.sequence_log_probs(kjv_model, [sentence_ids(b) for _, b in pairs])
kjv_5gram = lm.NGramLanguageModel(5, len(chars)).fit(corpora["KJV"][1])
ngram_good = [kjv_5gram.log_probs([sentence_ids(g)]).sum() for g, _ in pairs]
ngram_bad = [kjv_5gram.log_probs([sentence_ids(b)]).sum() for _, b in pairs]
for (good, bad), g, b in list(zip(pairs, good_scores, bad_scores, strict=True))[:5]:
    print(f"log p = {g:7.1f} {good!r}\nlog p = {b:7.1f} {bad!r}")
gru_share = float(np.mean(good_scores > bad_scores))
ngram_share = float(np.mean(np.array(ngram_good) > np.array(ngram_bad)))
print(
    f"plausible sentence more probable: GRU {gru_share:.0%}, "
    f"Kneser-Ney 5-gram {ngram_share:.0%}"
)
runtime.check_bar(
    "share of pairs where the GRU prefers the plausible sentence",
    gru_share,
    ">=",
    0.9,
    needs_training=True,
)

# %%
# Samples, decoded greedily (always the most probable next character; chapter
# 6 samples). Greedy decoding is deterministic: a prompt always gets the same
# continuation, made of the most probable next characters, so it strings
# together the corpus's common phrases.


def next_log_probs_of(model):
    """Next-character log-probabilities from the whole (B, T) buffer, read at t - 1.

    The buffer keeps one shape (so the model compiles once); the steps after t
    are padding, masked, and a recurrent model's output at t - 1 never depends
    on them.
    """

    def next_log_probs(tokens, t):
        logits = model.predict_on_batch(tokens)  # (B, T, V)
        return ops.convert_to_numpy(ops.log_softmax(logits[:, t - 1], axis=-1))

    return next_log_probs


prompts = np.array([name_chars.encode(letter, add_start=True) for letter in "abcdjmst"])
generated = decoding.generate_greedy(
    next_log_probs_of(recurrent_models["census names"]), prompts, steps=12
)
print("names:", ", ".join(name_chars.decode(row) for row in generated))
prompt = np.array([chars.encode("And God said")])
generated = decoding.generate_greedy(
    next_log_probs_of(kjv_model), prompt, steps=SAMPLE_STEPS
)
print("KJV:", repr(chars.decode(generated[0])))

# %%
# 6. Sentiment, many-to-one
# -------------------------
#
# Amazon fine-food reviews (sizes printed below), labelled 1 when
# the reviewer gave five stars. Four readings of a review: a bag of words
# (deck 004: "we lose the order of the words"), the mean of its word
# embeddings, an LSTM's last state, and a bidirectional LSTM. Reviews are
# padded at the end to ``SENTIMENT_MAXLEN`` words; the same LSTM is also
# trained **without** masking, so it reads the padding as words and its last
# state comes after every padding step.

(train_texts, y_train), (test_texts, y_test) = data.load("amazon_reviews")
train_texts, y_train = train_texts[:SENTIMENT_TRAIN], y_train[:SENTIMENT_TRAIN]
print(f"{len(train_texts):,} training and {len(test_texts):,} test reviews")
review_words = text.WordTokenizer(train_texts, max_size=SENTIMENT_VOCABULARY)
x_train, train_mask = review_words.encode_batch(train_texts, maxlen=SENTIMENT_MAXLEN)
x_test, _ = review_words.encode_batch(test_texts, maxlen=SENTIMENT_MAXLEN)
print(f"vocabulary {len(review_words):,} words; 'great' in test: {y_test.mean():.1%}")
padding_steps = SENTIMENT_MAXLEN - train_mask.sum(1)  # (N,)
padded = padding_steps > 0
print(
    f"{padded.mean():.0%} of training reviews are padded, by "
    f"{padding_steps[padded].mean():.0f} steps on average"
)
unseen_test = sum(review_words.count_oov(t) for t in test_texts)
print(f"unseen words in the test reviews: {unseen_test:,} (id {review_words.oov_id})")

variants = [
    ("bag of words", dict(kind="bag_of_words")),
    ("mean of embeddings", dict(kind="mean_embedding")),
    ("LSTM, masked", dict(kind="lstm")),
    ("LSTM, not masked", dict(kind="lstm", mask=False)),
    ("BiLSTM, masked", dict(kind="lstm", bidirectional=True)),
]
if args.quick:  # a smoke run trains the bag of words and the two LSTMs of the bar
    compared = ("bag of words", "LSTM, masked", "LSTM, not masked")
    variants = [(label, options) for label, options in variants if label in compared]
sentiment_rows = []
for label, options in variants:
    runtime.set_seed(args.seed)
    model = classifiers.build_text_classifier(
        vocabulary_size=len(review_words), embedding_dim=32, units=32, **options
    )
    bag = options["kind"] == "bag_of_words"
    train_x = (
        text.bag_of_words(x_train, len(review_words), "binary") if bag else x_train
    )
    test_x = text.bag_of_words(x_test, len(review_words), "binary") if bag else x_test
    model.compile(
        keras.optimizers.Adam(5e-3 if bag else 3e-3),
        keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)],
    )
    _, seconds = timed(
        model.fit,
        train_x,
        y_train,
        batch_size=64,
        epochs=SENTIMENT_EPOCHS,
        verbose=args.verbose,
    )
    _, accuracy = model.evaluate(  # one batch: one shape to compile
        test_x, y_test, batch_size=len(y_test), verbose=0
    )
    sentiment_rows.append((label, accuracy, model.count_params(), seconds))

print(f"{'model':>20} | {'test accuracy':>13} | {'parameters':>10} | {'train s':>7}")
majority = max(y_test.mean(), 1 - y_test.mean())  # always predicting the commoner label
print(f"{'always great':>20} | {majority:>13.3f} | {0:>10} | {0:>7}")
for label, accuracy, parameters, seconds in sentiment_rows:
    print(f"{label:>20} | {accuracy:>13.3f} | {parameters:>10,} | {seconds:>7.1f}")

# %%
# **What the mask changes.** The two LSTMs differ only in the mask. The one
# without it reads the padding (id 0, a "word" with its own learned
# embedding) and classifies from its state after the last padding step, so
# what a padded review said must outlast all its padding steps (their mean is
# printed above). The bar checks that the masked LSTM scores higher on the
# test reviews; compare the unmasked one with always answering "great". The
# mask does not decide whether word order pays off at this data size (a few
# thousand training reviews): for that, compare the LSTMs with the bag of
# words in the table.

test_accuracy = {label: accuracy for label, accuracy, _, _ in sentiment_rows}
runtime.check_bar(
    "sentiment test accuracy: LSTM masked - LSTM not masked",
    test_accuracy["LSTM, masked"] - test_accuracy["LSTM, not masked"],
    ">",
    0.03,
    needs_training=True,
)

# %%
# At full scale, IMDB (25,000 reviews per split) loads through
# ``data.load("imdb")`` with ``keras.datasets.imdb``'s file and id
# conventions; it needs the network once, so the book's default run only
# describes it.

info = data.describe("imdb")
print(f"{info.title}: {info.size}; offline alternative: {info.alternative}")
if args.full:
    try:
        (imdb_x, imdb_y), _ = data.load("imdb", num_words=SENTIMENT_VOCABULARY)
        print(f"IMDB loaded: {len(imdb_x):,} training reviews")
    except data.DatasetUnavailableError as error:
        print(f"IMDB unavailable here: {error}")

# %%
# Closing cell
# ------------

runtime.report()

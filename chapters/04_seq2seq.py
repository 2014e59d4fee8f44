"""
Chapter 4: Seq2Seq with attention
=================================

The second half of the course starts with the encoder-decoder (decks
``001_…``, ``003_…`` part 2 and ``004_…``): an encoder reads a source
sentence into states, a decoder writes the target one token at a time, a
language model of the target *conditioned* on the source, :math:`p(T \\mid
S)`. Squeezing a whole sentence into the encoder's last state is a
bottleneck; attention, a soft search of every encoder state with the
decoder's state as the query, removes it. This chapter builds both from
scratch, proves the attention layers equal to Keras's, measures the
bottleneck on a synthetic date-normalisation laboratory, and then rewrites
King James verses in the Bible in Basic English, a real style-transfer task
with a held-out split by books and the copy baseline any honest report of it
must show.
"""

# %%
# Setup
# -----
#
# The backend is chosen before Keras is imported (``KERAS_BACKEND`` or
# ``--backend``). ``--quick`` runs every section at toy size, the default fits
# the book's time budget, ``--full`` trains the verse model longer, on more and
# longer verses.

from companion import runtime

args = runtime.parse_args(__doc__)  # sets KERAS_BACKEND before keras loads

import dataclasses
import time

import keras  # after the backend is chosen
import numpy as np
from keras import ops

from companion import data, metrics, plotting, seq2seq, text

runtime.set_seed(args.seed)
rng = np.random.default_rng(args.seed)

DATES_TRAIN = args.pick(quick=1_024, default=12_032)  # whole batches of 128
DATES_TEST = args.pick(quick=300, default=1_500)
DATES_EPOCHS = args.pick(quick=1, default=12)
DATES_UNITS = 64
DATES_ATTENTION = "dot"  # Luong's dot score: the cheapest of the three here
DATES_LEARNING_RATE = 0.01  # the start of a cosine decay
VERSE_WORDS = args.pick(quick=12, default=12, full=16)  # longest verse kept, words
VERSE_TRAIN = args.pick(quick=600, default=None)  # training pairs (None: all kept)
VERSE_UNITS = args.pick(quick=64, default=96, full=128)
VERSE_EPOCHS = args.pick(quick=1, default=10, full=14)
VERSE_BATCH = 32  # more, smaller steps: attention must first learn to align
VERSE_ATTENTION = "general"
VERSE_LEARNING_RATE = 0.005
EMBEDDING_DIM = 64
BATCH = 128
# Padded widths are multiples of these: few shapes, few compilations (one in --quick).
WIDTH_STEP = args.pick(quick=72, default=24)
VERSE_WIDTH_STEP = args.pick(quick=96, default=32)


def timed(function, *arguments, **options):
    """Runs ``function`` and returns its result and the seconds it took."""
    start = time.perf_counter()
    result = function(*arguments, **options)
    return result, time.perf_counter() - start


def compile_seq2seq(model, learning_rate, steps):
    """Adam with a cosine decay over ``steps``; padding labels (0) carry no loss."""
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.05)
    model.compile(
        keras.optimizers.Adam(schedule),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    )
    return model


# %%
# The data
# --------
#
# **Dates**, the controlled laboratory: a seeded generator writes one date in
# many surface forms, English and French, numeric and spelled out, and the
# target is always the ISO form. Sources range from a few characters to long
# sentences, which is what the bottleneck needs to be measured against.

dates_train = data.load("dates", n=DATES_TRAIN, seed=args.seed)
dates_test = data.load("dates", n=DATES_TEST, seed=args.seed + 1)
examples = {}
for source, target, form in zip(
    dates_test.sources, dates_test.targets, dates_test.formats, strict=True
):
    examples.setdefault(form, (source, target))
print(f"{'target':<10} | example source ({len(examples)} forms, shortest first)")
for source, target in sorted(examples.values(), key=lambda pair: len(pair[0])):
    print(f"{target:<10} | {source}")
lengths = [len(s) for s in dates_train.sources]
sizes = f"{len(dates_train.sources):,} training, {len(dates_test.sources):,} test"
print(f"\n{sizes} dates")
print(f"source lengths: {min(lengths)} to {max(lengths)} characters")

# %%
# **Verses**: the King James Version and the Bible in Basic English, aligned
# verse by verse and split by *books* as Carlson, Riddell & Rockmore (2018)
# did, so no verse of a test book is seen in training. The loader undoes
# BBE's renumbering and drops placeholder verses; here only verses of at most
# ``VERSE_WORDS`` words on both sides are kept (the count of the rest is in
# ``dropped``).

verses = {
    split: data.load("bible_pairs", split=split, max_words=VERSE_WORDS)
    for split in ("train", "validation", "test")
}
if VERSE_TRAIN is not None:  # --quick: the first verses only
    verses["train"] = dataclasses.replace(
        verses["train"],
        sources=verses["train"].sources[:VERSE_TRAIN],
        targets=verses["train"].targets[:VERSE_TRAIN],
        verse_ids=verses["train"].verse_ids[:VERSE_TRAIN],
    )
for split, pairs in verses.items():
    books = sorted({data.BOOKS[b - 1] for b in data.book_of(pairs.verse_ids)})
    shown = ", ".join(books) if len(books) < 6 else f"{len(books)} books"
    print(f"{split:>10}: {len(pairs.sources):>6,} pairs from {shown}")
dropped = {reason: n for reason, n in verses["test"].dropped.items() if n}
print("dropped from the test books:", dropped)
first = verses["test"]
print(f"\n{data.verse_name(int(first.verse_ids[0]))}")
print(f"  KJV: {first.sources[0]}\n  BBE: {first.targets[0]}")

# %%
# Attention, from scratch and in Keras
# ------------------------------------
#
# For a decoder state :math:`s_t` (the query) and encoder outputs
# :math:`h_1 .. h_S` (keys and values), attention scores every position,
# normalises the scores with a softmax and returns the weighted sum
# :math:`c_t = \sum_j \alpha_{t,j} h_j`. The score is additive
# :math:`v^\top \tanh(W_q s_t + W_k h_j)` (Bahdanau), dot
# :math:`s_t^\top h_j` or general :math:`s_t^\top W_a h_j` (Luong). Keras's
# ``AdditiveAttention`` computes the additive score without the projections
# :math:`W_q, W_k`, and ``Attention`` the dot score; given the projections
# and the same weights, ours and theirs agree, padding mask included. Neither
# divides by :math:`\sqrt{d}` as the Transformer will (chapter 5): our
# ``LuongAttention(scaled=True)`` does, and Keras's layer matches it only
# with its learned ``scale`` set to :math:`1/\sqrt{d}`.

query = rng.standard_normal((4, 3, 16)).astype("float32")
values = rng.standard_normal((4, 7, 16)).astype("float32")
value_mask = np.arange(7)[None, :] < np.array([[7], [5], [3], [1]])
print(f"{'score':>9} | {'Keras layer':<35} | max |ours - Keras|")
for kind in seq2seq.ATTENTION_KINDS:
    ours = seq2seq.make_attention(kind, 16)
    context = ops.convert_to_numpy(ours(query, values, value_mask=value_mask))
    if kind == "bahdanau":
        reference = keras.layers.AdditiveAttention(use_scale=True)
        inputs = [ours.query_projection(query), values, ours.key_projection(values)]
        reference.build([tuple(x.shape) for x in inputs])
        reference.scale.assign(ours.score_vector)
    else:
        reference = keras.layers.Attention(score_mode="dot")
        inputs = [query, values, ours.keys(values)]
    expected = ops.convert_to_numpy(reference(inputs, mask=[None, value_mask]))
    difference = np.abs(context - expected).max()
    layer_name = f"{type(reference).__name__} + our projections"
    print(f"{kind:>9} | {layer_name:<35} | {difference:.1e}")
    runtime.check_bar(f"{kind} attention equals Keras's layer", difference, "<", 1e-5)

# %%
# The date laboratory: does the bottleneck hurt?
# ----------------------------------------------
#
# Two character-level models with states of ``DATES_UNITS`` numbers, trained
# the same way. The bottleneck model's decoder starts from the encoder's
# final state and reads that same vector again at every step (Cho et al.,
# 2014), so its only view of the source is one fixed-size summary, however
# long the date is written. The attention model's decoder searches every
# encoder state instead. A date holds little information (eight digits), so
# the state is kept small here: with a large one, a summary of a date fits
# and the bottleneck barely shows. Batches group dates of similar length and
# are trimmed to their own padding (:class:`~companion.seq2seq.LengthBuckets`).

source_tokenizer = text.CharTokenizer(dates_train.sources)
target_tokenizer = text.CharTokenizer(dates_train.targets)
date_width = max(len(s) for s in dates_train.sources + dates_test.sources)
train_source, _ = source_tokenizer.encode_batch(dates_train.sources, maxlen=date_width)
train_target, _ = target_tokenizer.encode_batch(
    dates_train.targets, add_start=True, add_end=True
)
date_inputs, date_labels = seq2seq.teacher_forcing_pairs(train_target)
test_source, _ = source_tokenizer.encode_batch(dates_test.sources, maxlen=date_width)
test_target, _ = target_tokenizer.encode_batch(
    dates_test.targets, add_start=True, add_end=True
)
test_inputs, test_labels = seq2seq.teacher_forcing_pairs(test_target)
date_batches = seq2seq.LengthBuckets(
    train_source, date_inputs, date_labels, BATCH, width_step=WIDTH_STEP, seed=args.seed
)

date_models, date_outputs, date_seconds = {}, {}, {}
for name, attention in (("bottleneck", None), ("attention", DATES_ATTENTION)):
    model = seq2seq.Seq2Seq(
        len(source_tokenizer),
        len(target_tokenizer),
        embedding_dim=EMBEDDING_DIM,
        units=DATES_UNITS,
        attention=attention,
    )
    compile_seq2seq(model, DATES_LEARNING_RATE, DATES_EPOCHS * len(date_batches))
    history, seconds = timed(model.fit, date_batches, epochs=DATES_EPOCHS, verbose=0)
    translator = seq2seq.GreedyTranslator(model, max_length=test_labels.shape[1])
    tokens, weights = translator.predict(test_source, batch_size=500, verbose=0)
    date_models[name], date_seconds[name] = model, seconds
    date_outputs[name] = (tokens, weights)
    print(
        f"{name:>10}: {model.count_params():,} parameters, trained in {seconds:.0f} s, "
        f"final loss {history.history['loss'][-1]:.4f}"
    )

# %%
# Exact match (the whole ISO date right) on the test dates, by quarter of
# source length. The bars check that attention reaches 98% and that the
# bottleneck model does worse on the longest quarter than attention does and
# than it does itself on its best quarter. At this size both margins are
# small (a point or two, as printed) and the shortest dates, numeric with
# two-digit years, are hard for both models: the bottleneck is measurable on
# dates, not dramatic.

predictions = {
    name: [target_tokenizer.decode(row) for row in tokens]
    for name, (tokens, _) in date_outputs.items()
}
correct = {
    name: np.array([p == t for p, t in zip(rows, dates_test.targets, strict=True)])
    for name, rows in predictions.items()
}
source_lengths = np.array([len(s) for s in dates_test.sources])
edges = np.quantile(source_lengths, [0, 0.25, 0.5, 0.75, 1.0]).astype(int)
edges[-1] += 1
bins = list(zip(edges[:-1], edges[1:], strict=True))
print(f"{'characters':>12} | {'dates':>5} | {'bottleneck':>10} | {'attention':>9}")
by_length = {name: [] for name in correct}
for low, high in bins:
    inside = (source_lengths >= low) & (source_lengths < high)
    for name in correct:
        by_length[name].append(correct[name][inside].mean())
    row = f"{by_length['bottleneck'][-1]:>10.3f} | {by_length['attention'][-1]:>9.3f}"
    print(f"{f'{low}-{high - 1}':>12} | {inside.sum():>5} | {row}")
print(
    f"{'all':>12} | {len(source_lengths):>5} | {correct['bottleneck'].mean():>10.3f} | "
    f"{correct['attention'].mean():>9.3f}"
)

figure, axes = plotting.new_axes()
centres = [f"{low}-{high - 1}" for low, high in bins]
for name, marker in (("bottleneck", "o"), ("attention", "s")):
    axes.plot(centres, by_length[name], marker=marker, label=name)
lowest = min(min(values) for values in by_length.values())
axes.set_ylim(max(0.0, lowest - 0.05), 1.005)  # zoomed: the differences are small
plotting.label(
    axes,
    "Dates: exact match by source length (test set)",
    "source length (characters, quartiles)",
    "exact match",
    legend=True,
)
runtime.show(figure, "bottleneck_by_length")

runtime.check_bar(
    "dates: exact match with attention",
    correct["attention"].mean(),
    ">=",
    0.98,
    needs_training=True,
)
runtime.check_bar(
    "dates, longest quarter: exact match, attention - bottleneck",
    by_length["attention"][-1] - by_length["bottleneck"][-1],
    ">",
    0.0,
    needs_training=True,
)
runtime.check_bar(
    "dates, bottleneck: exact match, best quarter - longest quarter",
    max(by_length["bottleneck"]) - by_length["bottleneck"][-1],
    ">",
    0.0,
    needs_training=True,
)

# %%
# Where the attention model looks: each row is one output character, each
# column one source character, and the weights of a row sum to one. Look for
# the source characters each output digit reads: once the model is trained,
# the month's digits read the month's name and the year's digits the year.

longest = int(np.argmax(source_lengths))
attention_tokens, attention_weights = date_outputs["attention"]
output_characters = [
    target_tokenizer.decode([t], skip_special=False) for t in attention_tokens[longest]
]
shown_steps = (
    output_characters.index("</s>") + 1 if "</s>" in output_characters else None
)
source_characters = list(dates_test.sources[longest])
figure, axes = plotting.new_axes(width=9, height=3.2)
matrix = attention_weights[longest, :shown_steps, : len(source_characters)]
axes.imshow(matrix, cmap="viridis", aspect="auto", vmin=0, vmax=1)
axes.set_xticks(range(len(source_characters)), source_characters, fontsize=7)
axes.set_yticks(range(len(matrix)), output_characters[: len(matrix)])
plotting.label(axes, "Attention weights on a long date", "source character", "output")
runtime.show(figure, "date_attention")
print(f"source: {dates_test.sources[longest]}")
print(f"output: {predictions['attention'][longest]}")
print(f"reference: {dates_test.targets[longest]}")

# %%
# Teacher forcing against free running
# ------------------------------------
#
# In training, the decoder always reads the *reference's* previous token
# (teacher forcing). At test time it reads its own (free running), so one
# early mistake changes everything that follows. Per-character accuracy under
# teacher forcing is therefore an optimistic number; the honest one is the
# free-running output.


def token_accuracy(predicted, labels):
    """Share of the non-padding label positions where ``predicted`` is right."""
    real = labels != 0
    return float((predicted[real] == labels[real]).mean())


print(f"{'model':>10} | {'teacher forcing':>15} | {'free running':>12} | exact match")
for name, model in date_models.items():
    logits = model.predict((test_source, test_inputs), batch_size=500, verbose=0)
    forced = token_accuracy(logits.argmax(-1), test_labels)
    free = token_accuracy(date_outputs[name][0], test_labels)
    print(f"{name:>10} | {forced:>15.3f} | {free:>12.3f} | {correct[name].mean():.3f}")

# %%
# From King James to Basic English
# --------------------------------
#
# A character-level model with attention (general score) learns to rewrite
# KJV verses in Basic English. Characters rather than words: with a few
# thousand training verses, most words of the test books are rare or unseen,
# while every character is known, and copying a word through attention is
# easy to learn. Case is kept, since the published scores are
# case-sensitive.

kjv_tokenizer = text.CharTokenizer(verses["train"].sources)
bbe_tokenizer = text.CharTokenizer(verses["train"].targets)


def encode_pairs(pairs):
    """Source ids, decoder inputs and labels of a split."""
    source, _ = kjv_tokenizer.encode_batch(pairs.sources)
    target, _ = bbe_tokenizer.encode_batch(pairs.targets, add_start=True, add_end=True)
    return (source, *seq2seq.teacher_forcing_pairs(target))


def verse_seq2seq():
    """The verse model: KJV characters in, BBE characters out, general attention."""
    return seq2seq.Seq2Seq(
        len(kjv_tokenizer),
        len(bbe_tokenizer),
        embedding_dim=EMBEDDING_DIM,
        units=VERSE_UNITS,
        attention=VERSE_ATTENTION,
    )


verse_data = {split: encode_pairs(pairs) for split, pairs in verses.items()}
verse_model = verse_seq2seq()
verse_batches = seq2seq.LengthBuckets(
    *verse_data["train"], VERSE_BATCH, width_step=VERSE_WIDTH_STEP, seed=args.seed
)
compile_seq2seq(verse_model, VERSE_LEARNING_RATE, VERSE_EPOCHS * len(verse_batches))
_, verse_seconds = timed(verse_model.fit, verse_batches, epochs=VERSE_EPOCHS, verbose=0)
train_tokens = int((verse_data["train"][2] != 0).sum())
print(
    f"verse model: {verse_model.count_params():,} parameters, {VERSE_EPOCHS} epochs in "
    f"{verse_seconds:.0f} s ({VERSE_EPOCHS * train_tokens / verse_seconds:,.0f} "
    "target characters per second)"
)

# %%
# The conditioned language model
# ------------------------------
#
# Deck ``004_…``: a translation model is a language model of the target that
# also reads the source, :math:`p(T \mid S)`. The same model trained with an
# *empty* source (every source id is padding, so the encoder's state is zero
# and attention has nothing to look at) is an ordinary language model of
# Basic English with exactly as many weights. If reading the KJV verse helps,
# the held-out per-token perplexity of the BBE verse given the KJV verse is
# lower than without it.

unconditioned = verse_seq2seq()  # the same model, to be given no source
compile_seq2seq(unconditioned, VERSE_LEARNING_RATE, VERSE_EPOCHS * len(verse_batches))
empty = np.zeros_like(verse_data["train"][0][:, :1])
empty_batches = seq2seq.LengthBuckets(
    empty,
    *verse_data["train"][1:],
    VERSE_BATCH,
    width_step=VERSE_WIDTH_STEP,
    seed=args.seed,
)
unconditioned.fit(empty_batches, epochs=VERSE_EPOCHS, verbose=0)


def held_out_perplexity(model, source, inputs, labels):
    """Per-token perplexity of the labels, :math:`\\exp(-\\sum \\log p / N)`."""
    totals, counts = [], []
    for start in range(0, len(source), 256):
        rows = slice(start, start + 256)
        total, count = model.sequence_log_probs(
            source[rows], inputs[rows], labels[rows]
        )
        totals.append(total.sum())
        counts.append(count.sum())
    return float(np.exp(-np.sum(totals) / np.sum(counts)))


test_source_ids, test_decoder_inputs, test_verse_labels = verse_data["test"]
conditioned_ppl = held_out_perplexity(verse_model, *verse_data["test"])
unconditioned_ppl = held_out_perplexity(
    unconditioned,
    np.zeros_like(test_source_ids[:, :1]),
    test_decoder_inputs,
    test_verse_labels,
)
print(f"{'test books, per-token perplexity of BBE':<42} | value")
print(f"{'p(BBE | KJV), the translation model':<42} | {conditioned_ppl:.2f}")
print(f"{'p(BBE), the same model with no source':<42} | {unconditioned_ppl:.2f}")
runtime.check_bar(
    "verses: perplexity p(T|S) / perplexity p(T)",
    conditioned_ppl / unconditioned_ppl,
    "<",
    1.0,
    needs_training=True,
)

# %%
# Translations of held-out verses, BLEU and PINC
# ----------------------------------------------
#
# BLEU compares an output with the reference (case-sensitive, sacreBLEU's
# ``13a`` tokens, no smoothing: one n-gram order with no match gives 0);
# PINC counts how much of the output is *new* with respect to the source
# (0: a copy). Between two English translations of one text,
# copying the source is a strong baseline (many words are shared), so it is
# reported first; the reference's own PINC shows how much a perfect rewrite
# changes.

verse_tokens, verse_weights = seq2seq.greedy_translate(
    verse_model, test_source_ids, max_length=test_verse_labels.shape[1] + 4
)
outputs = [bbe_tokenizer.decode(row) for row in verse_tokens]
test_pairs = verses["test"]
rows = [
    ("copy the KJV source", test_pairs.sources),
    ("our model (greedy)", outputs),
]
print(f"{len(outputs)} test verses of at most {VERSE_WORDS} words")
print(f"{'system':<20} | {'BLEU':>5} | {'1-4-gram precisions (%)':<23} | {'PINC':>5}")
for system, hypotheses in rows:
    bleu = metrics.corpus_bleu(hypotheses, test_pairs.targets)
    precisions = " ".join(f"{p:5.1f}" for p in bleu.precisions)
    novelty = metrics.pinc(test_pairs.sources, hypotheses)
    print(f"{system:<20} | {bleu.score:>5.1f} | {precisions:<23} | {novelty:>5.1f}")
reference_pinc = metrics.pinc(test_pairs.sources, test_pairs.targets)
print(f"{'the BBE reference':<20} | {100.0:>5.1f} | {'':<23} | {reference_pinc:>5.1f}")
copy_bleu = metrics.corpus_bleu(test_pairs.sources, test_pairs.targets).score
model_bleu = metrics.corpus_bleu(outputs, test_pairs.targets).score
verdict = "beats" if model_bleu > copy_bleu else "does not beat"
print(f"\nAt this scale the model {verdict} the copy baseline on BLEU.")

# %%
# Five held-out verses: the source, the Basic English reference and the
# model's greedy output. A small model decoded greedily often falls into a
# loop, repeating a phrase until the length limit: the decoding chapter
# (chapter 6) returns to this with sampling and beam search.

for index in np.linspace(0, len(outputs) - 1, 5).astype(int):
    print(f"{data.verse_name(int(test_pairs.verse_ids[index]))}")
    print(f"  KJV:   {test_pairs.sources[index]}")
    print(f"  BBE:   {test_pairs.targets[index]}")
    print(f"  model: {outputs[index]}\n")

# %%
# Attention on a held-out verse: where the output copies the source, the
# weights run along a diagonal; where Basic English reorders or replaces
# words, they jump or spread.

example = int(np.argmin([abs(len(s) - 40) for s in test_pairs.sources]))
source_characters = list(test_pairs.sources[example])
output_characters = list(outputs[example])
matrix = verse_weights[example, : len(output_characters), : len(source_characters)]
figure, axes = plotting.new_axes(width=8, height=7)
axes.imshow(matrix, cmap="viridis", aspect="auto", vmin=0, vmax=1)
axes.set_xticks(range(len(source_characters)), source_characters, fontsize=6)
axes.set_yticks(range(len(output_characters)), output_characters, fontsize=6)
plotting.label(
    axes, "Attention on a held-out verse", "KJV character", "output character"
)
runtime.show(figure, "verse_attention")
print(f"KJV:   {test_pairs.sources[example]}\nmodel: {outputs[example]}")

# %%
# Closing cell
# ------------

runtime.report()

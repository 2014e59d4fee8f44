"""
Chapter 6: decoding
===================

A language model gives a distribution over the next token; *decoding* turns
those distributions into a text (deck ``001_…``, "decoding", and deck
``004_…``'s output layer). This chapter decodes two trained models every way:
chapter 5's character GPT and chapter 4's verse model (King James to Basic
English). Greedy decoding takes the argmax; sampling draws from the softmax,
sharpened or flattened by a temperature and cut to the ``k`` most probable
tokens (top-k) or to the smallest set holding mass ``p`` (top-p, nucleus);
beam search keeps the ``W`` best partial outputs, with a length penalty. All
of them run through one interface, ``next(tokens, cache, index)``, in one
compiled loop, with the key/value cache of chapter 5, and the chapter
measures what each costs and what it gives: diversity against quality,
BLEU against beam width, and the repetition loops of greedy decoding.
"""

# %%
# Setup
# -----
#
# The backend is chosen before Keras is imported (``KERAS_BACKEND`` or
# ``--backend``). ``--quick`` runs every section at toy size, the default
# fits the book's time budget, ``--full`` trains both models at chapter 5's
# and chapter 4's full scale.

from companion import runtime

args = runtime.parse_args(__doc__)  # sets KERAS_BACKEND before keras loads

import time

import keras  # after the backend is chosen
import numpy as np
from keras import ops

from companion import (
    data,
    decoding,
    lm,
    metrics,
    plotting,
    seq2seq,
    text,
    training,
    transformer,
)

runtime.set_seed(args.seed)
rng = np.random.default_rng(args.seed)

BLOCK = 10_000  # KJV blocks: in every ten, the 9th validates, the 10th tests (ch. 3)
CONTEXT = 64  # characters the GPT reads; a buffer holds CONTEXT + 1
GPT_WIDTH = args.pick(quick=32, default=64, full=128)  # chapter 5's GPT
GPT_LAYERS = args.pick(quick=1, default=2, full=4)
GPT_STEPS = args.pick(quick=20, default=450, full=2_000)
GPT_BATCH = 16
LM_TRAIN = args.pick(quick=200_000, default=1_000_000, full=None)  # KJV characters
PROMPTS = args.pick(quick=16, default=128)  # held-out prompts for the GPT
PROMPT_LENGTH = 16  # characters; the rest of the buffer is generated
VERSE_WORDS = 12  # chapter 4's verse model
VERSE_TRAIN = args.pick(quick=600, default=None)  # training pairs (None: all)
VERSE_EPOCHS = args.pick(quick=1, default=6, full=14)
VERSE_UNITS = args.pick(quick=64, default=96, full=128)
BEAM_WIDTHS = args.pick(quick=[4], default=[2, 4, 8])  # and greedy, width 1
LENGTH_PENALTIES = [0.0, 1.0]  # GNMT's alpha: none, and its upper end
DATES_TRAIN = args.pick(quick=1_024, default=12_032)  # chapter 4's date model
DATES_TEST = args.pick(quick=200, default=1_000)
DATES_EPOCHS = args.pick(quick=1, default=4, full=12)
BAR_BEAM = (4, 1.0)  # the beam checked against greedy: width 4, alpha 1 (GNMT)


def to_numpy(tensor):
    return np.asarray(ops.convert_to_numpy(tensor))


def timed(function, *arguments, **options):
    """Runs ``function``; returns its result and the seconds it took."""
    start = time.perf_counter()
    result = function(*arguments, **options)
    return result, time.perf_counter() - start


def decode_twice(model, inputs, strategy="greedy", **settings):
    """Decodes ``inputs`` in one batch; returns the outputs and the seconds of the
    second call, which runs the already compiled loop."""
    generator = decoding.Generator(model, strategy, **settings)
    generator.predict(inputs, batch_size=len(inputs), verbose=0)  # compiles
    return timed(generator.predict, inputs, batch_size=len(inputs), verbose=0)


# %%
# The two models
# --------------
#
# **The character GPT** of chapter 5: KJV text cut into blocks of 10,000
# characters (in every ten, the ninth validates and the tenth tests), windows
# of ``CONTEXT`` characters, pre-norm decoder blocks, trained for a fixed
# number of steps.

kjv = data.load("kjv")
kjv_train, _, kjv_test = data.interleaved_split(kjv, BLOCK)
chars = text.CharTokenizer(kjv_train)
train_ids = np.array(chars.encode(kjv_train[:LM_TRAIN]), "int32")
inputs, targets = lm.stream_windows(train_ids, CONTEXT)
gpt = transformer.TransformerLanguageModel(
    len(chars),
    CONTEXT,
    hidden_dim=GPT_WIDTH,
    num_layers=GPT_LAYERS,
    num_heads=4,
    normalize_first=True,
)
gpt.compile(
    keras.optimizers.Adam(3e-3, clipnorm=1.0),
    keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)
clock = training.TimeBudget(max_steps=GPT_STEPS)
gpt.fit(inputs, targets, batch_size=GPT_BATCH, epochs=100, verbose=0, callbacks=[clock])
print(
    f"char-GPT: {gpt.count_params():,} parameters, {clock.steps} steps "
    f"in {clock.elapsed:.0f} s"
)

# %%
# **The verse model** of chapter 4: a GRU encoder-decoder with attention,
# KJV characters in, Basic English characters out, trained on the verses of
# the training books.

verses = {
    split: data.load("bible_pairs", split=split, max_words=VERSE_WORDS)
    for split in ("train", "test")
}
kjv_chars = text.CharTokenizer(verses["train"].sources)
bbe_chars = text.CharTokenizer(verses["train"].targets)
train_pairs = verses["train"]
train_source, _ = kjv_chars.encode_batch(train_pairs.sources[:VERSE_TRAIN])
train_target, _ = bbe_chars.encode_batch(
    train_pairs.targets[:VERSE_TRAIN], add_start=True, add_end=True
)
test_pairs = verses["test"]
test_source, _ = kjv_chars.encode_batch(test_pairs.sources)
verse_steps = max(len(t) for t in train_pairs.targets + test_pairs.targets) + 2
verse_model = seq2seq.Seq2Seq(
    len(kjv_chars),
    len(bbe_chars),
    embedding_dim=64,
    units=VERSE_UNITS,
    attention="general",
)
verse_batches = seq2seq.LengthBuckets(
    train_source,
    *seq2seq.teacher_forcing_pairs(train_target),
    32,
    width_step=32,
    seed=args.seed,
)
schedule = keras.optimizers.schedules.CosineDecay(
    0.005, VERSE_EPOCHS * len(verse_batches), alpha=0.05
)
verse_model.compile(
    keras.optimizers.Adam(schedule),
    keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
)
_, seconds = timed(verse_model.fit, verse_batches, epochs=VERSE_EPOCHS, verbose=0)
print(
    f"verse model: {verse_model.count_params():,} parameters, "
    f"{VERSE_EPOCHS} epochs in {seconds:.0f} s; {len(test_pairs.sources)} test verses"
)

# %%
# One distribution, five ways
# ---------------------------
#
# The GPT's next-character distribution after a prompt, and what each
# strategy draws from. With logits :math:`z` and temperature :math:`T`,
# :math:`p_i \propto e^{z_i / T}`: :math:`T < 1` sharpens the distribution
# (:math:`T \to 0` is greedy), :math:`T > 1` flattens it. Top-k keeps the
# :math:`k` most probable tokens, top-p the fewest whose mass reaches
# :math:`p`; both renormalise. Each panel prints its entropy in bits and how
# many characters keep a probability above 0.1%.

prompt = "And God said, Let there be l"
prompt_ids = np.array([chars.encode(prompt)[-CONTEXT:]], "int32")
logits = to_numpy(gpt.predict_on_batch(prompt_ids))[0, -1]  # (V,)
settings = {
    "softmax (T = 1)": {},
    "T = 0.5": {"temperature": 0.5},
    "T = 1.5": {"temperature": 1.5},
    "top-k, k = 5": {"top_k": 5},
    "top-p, p = 0.9": {"top_p": 0.9},
}
shown = np.argsort(-logits)[:12]  # the 12 most probable characters
labels = [repr(chars.decode([int(i)], skip_special=False))[1:-1] for i in shown]
figure, axes = plotting.new_axes(ncols=len(settings), width=3.2, height=3.2)
print(f"prompt: {prompt!r}")
print(f"{'distribution':<16} | entropy (bits) | characters > 0.1%")
for ax, (name, options) in zip(axes, settings.items(), strict=True):
    probabilities = to_numpy(decoding.filtered_probabilities(logits, **options))
    kept = probabilities[probabilities > 0]
    entropy = float(-(kept * np.log2(kept)).sum())
    print(f"{name:<16} | {entropy:>14.2f} | {int((probabilities > 1e-3).sum())}")
    ax.bar(range(len(shown)), probabilities[shown])
    ax.set_xticks(range(len(shown)), labels, fontsize=7)
    ax.set_ylim(0, 1)
    plotting.label(ax, name, "next character", "probability" if ax is axes[0] else "")
runtime.show(figure, "next_character_distributions")

# %%
# Cached and uncached decoding give the same tokens
# -------------------------------------------------
#
# Without a cache, every step runs the model over the whole buffer again:
# step :math:`t` costs :math:`O(t)` positions, :math:`O(L^2)` in all. With
# chapter 5's key/value cache, each step feeds one token and appends its
# keys and values: :math:`O(L)` positions in all. The two must choose the
# same tokens (greedy, so nothing random differs), for the GPT and for the
# verse model, whose "cache" is the GRU's state and the encoder's outputs.

test_text = kjv_test[: PROMPTS * 200]
starts = rng.choice(len(test_text) - CONTEXT - 1, size=PROMPTS, replace=False)
prompt_texts = [test_text[s : s + PROMPT_LENGTH] for s in starts]
references = [test_text[s + PROMPT_LENGTH : s + CONTEXT + 1] for s in starts]
prompt_buffers = np.zeros((PROMPTS, CONTEXT + 1), "int32")  # 0: to be generated
for row, prompt_text in enumerate(prompt_texts):
    prompt_buffers[row, :PROMPT_LENGTH] = chars.encode(prompt_text)

differences = 0
print(f"{'greedy':<12} | {'cache':<8} | time (all prompts)")
for name, model, source, length in (
    ("char-GPT", gpt, prompt_buffers, None),
    ("verse model", verse_model, test_source, verse_steps),
):
    outputs = {}
    for cached in (True, False):
        outputs[cached], seconds = decode_twice(
            model, source, max_length=length, cached=cached
        )
        print(f"{name:<12} | {'with' if cached else 'without':<8} | {seconds:.3f} s")
    differences += int((to_numpy(outputs[True]) != to_numpy(outputs[False])).sum())
runtime.check_bar(
    "tokens that differ between cached and uncached greedy decoding",
    differences,
    "<=",
    0,
)

# %%
# Every strategy on the same prompts
# ----------------------------------
#
# ``PROMPTS`` held-out prompts of ``PROMPT_LENGTH`` characters, each
# continued to ``CONTEXT + 1`` characters by every strategy. **Diversity**:
# distinct-n, the share of distinct character n-grams over all
# continuations (Li et al., 2016). **Quality**: the perplexity of the
# continuations under the model itself (low: the model finds its own
# output likely) and under an independent judge, a Kneser-Ney 5-gram model
# counted on the training text. The held-out text's own continuations are
# the reference row: human text is neither the most probable nor the most
# varied.

judge = lm.NGramLanguageModel(5, len(chars)).fit([train_ids])
strategies = {
    "greedy": ("greedy", {}),
    "sample, T = 1": ("sample", {"temperature": 1.0}),
    "sample, T = 0.7": ("sample", {"temperature": 0.7}),
    "top-k, k = 10": ("top_k", {"k": 10}),
    "top-p, p = 0.9": ("top_p", {"p": 0.9}),
    "beam, W = 4": ("beam", {"beam_width": 4}),
}


def continuation_scores(buffers):
    """Per-character perplexity of the generated part under the GPT and the judge."""
    log_probs = ops.log_softmax(gpt.predict_on_batch(buffers[:, :-1]), axis=-1)
    picked = np.take_along_axis(to_numpy(log_probs), buffers[:, 1:, None], axis=-1)
    own = picked[:, PROMPT_LENGTH - 1 :, 0]  # (N, generated), log p of each new char
    judged = judge.log_probs(list(buffers)).reshape(len(buffers), -1)  # tokens 1 ..
    new = buffers.shape[1] - PROMPT_LENGTH
    return lm.perplexity(own.ravel()), lm.perplexity(judged[:, -new:].ravel())


continuations, strategy_ms = {}, {}
reference_buffers = np.array(
    [chars.encode(p + r) for p, r in zip(prompt_texts, references, strict=True)],
    "int32",
)
continuations["held-out text"] = (
    reference_buffers,
    *continuation_scores(reference_buffers),
)
for name, (strategy, options) in strategies.items():
    outputs, seconds = decode_twice(
        gpt, prompt_buffers, strategy, seed=args.seed, options=options
    )
    buffers = to_numpy(outputs[0] if strategy == "beam" else outputs)  # beam: + scores
    continuations[name] = (buffers, *continuation_scores(buffers))
    strategy_ms[name] = 1000 * seconds
new_characters = CONTEXT + 1 - PROMPT_LENGTH
print(f"{PROMPTS} prompts of {PROMPT_LENGTH} characters, {new_characters} new")
print(
    f"{'strategy':<16} | distinct-2 | distinct-4 | ppl (GPT) | ppl (5-gram) | ms (all)"
)
generated_texts = {}
for name, (buffers, own_ppl, judge_ppl) in continuations.items():
    texts = [chars.decode(row[PROMPT_LENGTH:]) for row in buffers]
    generated_texts[name] = texts
    d2, d4 = (metrics.distinct_n(texts, n) for n in (2, 4))
    ms = f"{strategy_ms[name]:>8.0f}" if name in strategy_ms else f"{'-':>8}"
    scores = f"{own_ppl:>9.2f} | {judge_ppl:>12.2f}"
    print(f"{name:<16} | {d2:>10.3f} | {d4:>10.3f} | {scores} | {ms}")

# %%
# The same prompt, continued by each strategy:

example = int(np.argmax([p.startswith(" ") or p[0].isupper() for p in prompt_texts]))
print(f"prompt: {prompt_texts[example]!r}")
for name, texts in generated_texts.items():
    print(f"  {name:<16} {texts[example]!r}")

# %%
# Greedy decoding's repetition loops
# ----------------------------------
#
# Greedy decoding is a deterministic function of the last ``CONTEXT``
# characters. Once a phrase comes back, for instance "of the LORD, and the
# LORD", the context that produced it comes back too, and so does the same
# continuation: the output enters a cycle it can never leave, and every pass
# through the loop makes the loop's own text more likely under the model
# (the low perplexity of greedy output above). Sampling escapes by chance,
# beam search does not (it maximises the same probability), which is why
# generation from a language model samples. The share of continuations
# whose last 24 characters repeat a cycle of at most 12:


def ends_in_a_loop(continuation, tail=24, longest=12):
    """True when the last ``tail`` characters repeat one period of <= ``longest``."""
    end = continuation[-tail:]
    return len(end) == tail and any(
        end == (end[:period] * tail)[:tail] for period in range(1, longest + 1)
    )


print(f"{'strategy':<16} | continuations ending in a loop")
for name, texts in generated_texts.items():
    print(f"{name:<16} | {np.mean([ends_in_a_loop(t) for t in texts]):.2f}")
looping = [t for t in generated_texts["greedy"] if ends_in_a_loop(t)]
print(f"a greedy loop: {(looping or generated_texts['greedy'])[0]!r}")

# %%
# Beam search on the verses: width, length and the length penalty
# ----------------------------------------------------------------
#
# Beam search keeps the :math:`W` partial outputs with the highest
# :math:`\log p(Y \mid X) = \sum_t \log p(y_t \mid y_{<t}, X)`. Every token
# adds a negative term, so without a penalty a wider beam finds *shorter*
# outputs (an early end-of-sequence wins). GNMT (Wu et al., 2016) ranks by
# :math:`\log p(Y \mid X) / \mathrm{lp}(Y)` with
# :math:`\mathrm{lp}(Y) = ((5 + |Y|) / 6)^\alpha`; :math:`\alpha = 0` is no
# penalty. BLEU and the mean output length (in characters) on the held-out
# verses, greedy decoding (plotted at width 1) and each width with and
# without the penalty. Copying the KJV source is chapter 4's baseline.


def decoded_texts(model, sources, tokenizer, steps, strategy="greedy", **options):
    """Decodes every source in one compiled batch; returns the output strings."""
    outputs = decoding.generate(
        model, sources, strategy, max_length=steps, end_id=text.END_ID, **options
    )
    tokens = outputs[0] if strategy == "beam" else outputs  # beam: (tokens, scores)
    return [tokenizer.decode(row) for row in tokens]


def search_table(model, sources, references, tokenizer, steps, beams):
    """BLEU, exact match and mean length of greedy decoding and of each beam
    ``(width, alpha)`` in ``beams``."""
    rows = {"greedy": decoded_texts(model, sources, tokenizer, steps)}
    for width, alpha in beams:
        rows[width, alpha] = decoded_texts(
            model,
            sources,
            tokenizer,
            steps,
            "beam",
            beam_width=width,
            length_penalty=alpha,
        )
    table = {}
    print(f"{'search':<18} | {'BLEU':>5} | exact match | mean length")
    for key, outputs in rows.items():
        bleu = metrics.corpus_bleu(outputs, references).score
        exact = np.mean([o == r for o, r in zip(outputs, references, strict=True)])
        length = np.mean([len(o) for o in outputs])
        table[key] = (bleu, length, outputs)
        name = key if key == "greedy" else f"beam {key[0]}, alpha {key[1]}"
        print(f"{name:<18} | {bleu:>5.1f} | {exact:>11.3f} | {length:>6.1f}")
    return table


copy_bleu = metrics.corpus_bleu(test_pairs.sources, test_pairs.targets).score
reference_length = np.mean([len(t) for t in test_pairs.targets])
print(f"copy the KJV source: BLEU {copy_bleu:.1f}; references: {reference_length:.0f}")
sweep = [(width, alpha) for alpha in LENGTH_PENALTIES for width in BEAM_WIDTHS]
verse_table = search_table(
    verse_model, test_source, test_pairs.targets, bbe_chars, verse_steps, sweep
)
figure, axes = plotting.new_axes(ncols=2, width=5, height=3.4)
for alpha in LENGTH_PENALTIES:
    widths = [1, *BEAM_WIDTHS]  # greedy at width 1
    bleus = [verse_table["greedy"][0]] + [verse_table[w, alpha][0] for w in BEAM_WIDTHS]
    lengths = [verse_table["greedy"][1]] + [
        verse_table[w, alpha][1] for w in BEAM_WIDTHS
    ]
    axes[0].plot(widths, bleus, marker="o", label=f"alpha = {alpha}")
    axes[1].plot(widths, lengths, marker="o", label=f"alpha = {alpha}")
axes[1].axhline(reference_length, color="gray", linestyle="--", label="references")
plotting.label(axes[0], "BLEU on held-out verses", "beam width W", "BLEU", legend=True)
plotting.label(axes[1], "Output length", "beam width W", "characters", legend=True)
runtime.show(figure, "beam_width")
print(f"source:    {test_pairs.sources[0]}")
print(f"reference: {test_pairs.targets[0]}")
print(f"greedy:    {verse_table['greedy'][2][0]}")
widest = max(BEAM_WIDTHS)
for alpha in LENGTH_PENALTIES:
    print(f"beam {widest}, alpha {alpha}: {verse_table[widest, alpha][2][0]}")

# %%
# The bar on the verses: beam search with ``BAR_BEAM`` (width 4, GNMT's
# :math:`\alpha = 1`, fixed before the run) scores at least greedy decoding's
# BLEU. **What it can show at this budget is limited**: chapter 4's verse
# model, trained for seconds, stays far below the copy baseline, and when
# greedy and beam BLEU are both near 0 the bar holds without telling much.
# The dates below are the test with a model that has learned its task.

runtime.check_bar(
    f"verses: BLEU of beam (W, alpha) = {BAR_BEAM} - greedy BLEU",
    verse_table[BAR_BEAM][0] - verse_table["greedy"][0],
    ">=",
    0.0,
    needs_training=True,
)

# %%
# Beam search where the model is good: dates
# ------------------------------------------
#
# Chapter 4's date model (a GRU of 64 with dot attention, spelled-out and
# numeric dates in English and French to ISO form) learns its task within
# seconds. Every output has the same length, so the length penalty matters
# little here; what beam search can do is recover from a first choice that
# greedy decoding cannot take back.

dates_train = data.load("dates", n=DATES_TRAIN, seed=args.seed)
dates_test = data.load("dates", n=DATES_TEST, seed=args.seed + 1)
date_source = text.CharTokenizer(dates_train.sources)
date_target = text.CharTokenizer(dates_train.targets)
width = max(len(s) for s in dates_train.sources + dates_test.sources)
date_sources, _ = date_source.encode_batch(dates_train.sources, maxlen=width)
date_targets, _ = date_target.encode_batch(
    dates_train.targets, add_start=True, add_end=True
)
date_model = seq2seq.Seq2Seq(
    len(date_source), len(date_target), embedding_dim=64, units=64, attention="dot"
)
date_batches = seq2seq.LengthBuckets(
    date_sources,
    *seq2seq.teacher_forcing_pairs(date_targets),
    128,
    width_step=24,
    seed=args.seed,
)
date_model.compile(
    keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(
            0.01, DATES_EPOCHS * len(date_batches), alpha=0.05
        )
    ),
    keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
)
_, seconds = timed(date_model.fit, date_batches, epochs=DATES_EPOCHS, verbose=0)
print(f"date model: {DATES_EPOCHS} epochs in {seconds:.0f} s; {DATES_TEST} test dates")
test_dates, _ = date_source.encode_batch(dates_test.sources, maxlen=width)
date_steps = max(len(t) for t in dates_test.targets) + 2
date_table = search_table(
    date_model, test_dates, dates_test.targets, date_target, date_steps, [BAR_BEAM]
)
runtime.check_bar(
    f"dates: BLEU of beam (W, alpha) = {BAR_BEAM} - greedy BLEU",
    date_table[BAR_BEAM][0] - date_table["greedy"][0],
    ">=",
    0.0,
    needs_training=True,
)

# %%
# Closing cell
# ------------

runtime.report()

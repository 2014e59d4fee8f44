"""
Chapter 1: Sequential data — windows, honest splits, baselines, padding and tokens
==================================================================================

Sequential data are ordered: the position of an element carries meaning. This
chapter follows the course's opening sections on sequences (decks
``001_64181fd6b758a9d6``, ``003_fe2b7e6d6f382baa`` and ``004_e643fd63115496ec``):
it shows the decks' examples (a table of asset prices, a sentence as vectors,
DNA, text, speech, weather and stock series) as arrays, cuts a series into
training windows, makes the deck-001 warning about splitting sequential data
concrete by scoring the same model after a random and after a chronological
split of a real stock index, compares a small learned forecaster with the naive
and seasonal-naive baselines, and prepares text for a network: padding and
masking a batch of sentences, character and word tokens, indices and one-hot
vectors.
"""

# %%
# Setup
# -----
#
# The backend (JAX, TensorFlow or PyTorch) is chosen before Keras is imported,
# from ``KERAS_BACKEND`` or ``--backend``. The hyper-parameters sit here, read
# from the scale of the run: ``--quick`` runs every section at toy size (a
# smoke test), the default fits the book's time budget, ``--full`` trains
# longer (more epochs and more patience).

from companion import runtime

args = runtime.parse_args(__doc__)  # sets KERAS_BACKEND before keras loads

import keras  # after the backend is chosen
import numpy as np
from keras import ops

from companion import data, plotting, sequences, text

runtime.set_seed(args.seed)

SPLIT_WINDOW = 20  # section 4: 20 trading days (four weeks) of DAX closes per window
SPLIT_HORIZON = 1  # forecast the next day's close
SPLIT_UNITS = 32  # hidden units of the small MLP used in sections 4 and 5
TRAIN_SHARE, VALIDATION_SHARE = 0.7, 0.15  # sections 4 and 5; the rest is the test set
CO2_WINDOW = 52  # section 5: one year of weekly CO2 changes per input window
CO2_UNITS = 16
CO2_SEASON = 52  # weeks: the seasonal-naive forecast repeats the value of a year ago
CLOSE_UP_WEEKS = 26  # the last half-year of the CO2 test set, drawn up close
EPOCHS = args.pick(quick=1, default=150, full=400)
PATIENCE = args.pick(quick=1, default=15, full=30)  # early stopping on validation loss
LEARNING_RATE = 3e-3  # Adam's initial rate, halved whenever the validation loss stalls
BATCH_SIZE = 32
KJV_CHARACTERS = args.pick(quick=1_000_000, default=None)  # section 7; None: all of it
HELD_OUT_SHARE = 0.1  # section 7: the last 10 % of the KJV words are "new" text
CAPPED_VOCABULARY = 10_000  # section 8: the word vocabulary whose one-hot cost is shown

# %%
# 1. What makes data sequential
# -----------------------------
#
# Deck ``001_64181fd6b758a9d6`` (slide "Sequential Data") defines sequential
# data as "ordered sequences of objects with relationships between these
# objects": audio, text, video, physical quantities. Its first illustration is
# a table of five assets priced on three days. Typed from the slide:

asset_prices = np.array(
    [
        [9.77, 79.94, 64.13],
        [47.66, 74.07, 70.90],
        [94.25, 76.34, 99.95],
        [41.19, 9.99, 89.50],
        [65.44, 63.79, 67.14],
    ],
    dtype="float32",
)  # (assets, days) = (5, 3), the deck's table
print("asset x day table (deck 001):")
print(asset_prices)

# %%
# The same numbers can be read in two ways, and a sequence model needs to know
# which axis is time. Read row by row, each asset is a univariate series of
# three steps, and the table is a batch of five sequences, shape
# :math:`(B, T, F) = (5, 3, 1)`. Read column by column, the market is one
# multivariate series: at each day :math:`t` a vector :math:`x_t \in
# \mathbb{R}^5` of five prices, shape :math:`(T, F) = (3, 5)`. Shuffling the
# rows changes nothing (the assets are not ordered); shuffling the columns
# destroys the series.

as_batch_of_series = asset_prices[:, :, None]  # (B, T, F) = (5, 3, 1)
as_multivariate_series = asset_prices.T  # (T, F) = (3, 5)
print(f"five univariate series, (B, T, F) = {as_batch_of_series.shape}")
print(f"one multivariate series, (T, F) = {as_multivariate_series.shape}")
print(f"day 2 as a vector x_2 = {as_multivariate_series[1]}")

# %%
# The deck's second illustration is the sentence "I am learning ." written as
# four vectors of ten numbers, one per word. The numbers are the slide's
# illustration of what an embedding might give, not the output of a trained
# model; here they are typed in as printed.

sentence = ["I", "am", "learning", "."]
sentence_vectors = np.array(
    [
        [0.83, -0.53, 0.24, -0.31, -0.53, -0.34, -0.79, -0.23, 0.95, -0.60],
        [0.65, 0.81, -0.14, 0.32, 0.50, -0.85, 0.53, -0.13, 0.53, 0.04],
        [-0.90, -0.61, 0.58, 0.37, -0.96, 0.19, -0.31, 0.33, 0.74, -0.96],
        [-0.04, -0.12, 0.66, -0.11, 0.48, -0.78, -0.28, 0.45, -0.24, -0.96],
    ],
    dtype="float32",
)  # (T, F) = (4, 10), the deck's illustration
for word, vector in zip(sentence, sentence_vectors, strict=True):
    print(f"{word:>9} -> {vector}")
print(f"the sentence as a sequence of vectors: (T, F) = {sentence_vectors.shape}")

# %%
# Order carries meaning: "learning am I ." uses the same four vectors. A model
# that ignores order, for example one that averages the word vectors, cannot
# tell the two apart; a sequence model, which reads
# :math:`x_1, x_2, \dots, x_T` in turn (deck 001's recurrent neuron,
# :math:`Y_t = f(W_x X_t + W_y Y_{t-1} + b)`), can.

reordered = sentence_vectors[[2, 1, 0, 3]]  # "learning am I ."
same_average = np.allclose(sentence_vectors.mean(axis=0), reordered.mean(axis=0))
same_sequence = np.array_equal(sentence_vectors, reordered)
print(f"average of the word vectors unchanged by reordering: {same_average}")
print(f"the two sequences are equal: {same_sequence}")

# %%
# 2. Kinds of sequential data
# ---------------------------
#
# Deck ``003_fe2b7e6d6f382baa`` lists audio, text (characters or words),
# medical signals (ECG), financial markets, DNA and climate patterns; deck
# ``004_e643fd63115496ec`` ("Données séquentielles") shows DNA, text, audio,
# ECG classification and forecasting. Each becomes an array with a time axis.
#
# **DNA.** Deck 004 opens with strands of bases. The first one, typed from the
# slide (an illustration, not an annotated gene), becomes a sequence of
# one-hot vectors over the alphabet A, C, G, T: shape :math:`(T, 4)`. One line
# of the slide contains an ``N``, the code for an unknown base: in a
# vocabulary, such a symbol needs an entry of its own, like the
# out-of-vocabulary token of section 7.

dna = "GACGGGGGAGATAATCTTAATGTTGCGTGTGAA"  # deck 004, first strand (illustrative)
bases = "ACGT"
dna_ids = [bases.index(base) for base in dna]
dna_one_hot = text.one_hot(dna_ids, depth=len(bases))  # (T, 4)
print(f"DNA strand of {len(dna)} bases -> one-hot array {dna_one_hot.shape}")
print("first 8 bases (rows) over A C G T (columns):")
for base, row in zip(dna[:8], dna_one_hot[:8].astype(int), strict=True):
    print(f"  {base}  {row}")

# %%
# **Text.** A sentence is a sequence of characters, or of words. The King James
# Bible (``data.load("kjv")``, public-domain text) opens:

kjv = data.load("kjv")
first_sentence = kjv[: kjv.index(".") + 1]
print(repr(first_sentence))
print(f"{len(text.char_tokens(first_sentence))} characters:")
print(text.char_tokens(first_sentence))
print(f"{len(text.word_tokens(first_sentence))} words and punctuation marks:")
print(text.word_tokens(first_sentence))

# %%
# **Audio.** Speech becomes a sequence of short frames, each summarised by a
# vector of coefficients. The Japanese Vowels set (``japanese_vowels``, UCI,
# Kudo et al. 1999) holds utterances of the vowels /ae/ by several speakers,
# each a sequence of frames of linear-prediction cepstral coefficients (the
# counts are printed below). The utterances have different lengths, the first
# reason for padding (section 6).
#
# ECG classification ("healthy / not healthy", deck 004) has no real data set
# that installs offline with this book, so it is not shown; the speech set
# plays the same role (classify a whole variable-length multichannel signal).

(vowel_train, speaker_train), (vowel_test, speaker_test) = data.load("japanese_vowels")
vowel_lengths = np.array([len(u) for u in vowel_train + vowel_test])
speakers = np.unique(np.concatenate([speaker_train, speaker_test]))
print(
    f"{len(vowel_train)} training and {len(vowel_test)} test utterances by "
    f"{len(speakers)} speakers, {vowel_train[0].shape[1]} channels, lengths "
    f"{vowel_lengths.min()} to {vowel_lengths.max()} frames "
    f"(median {np.median(vowel_lengths):.0f})"
)

figure, all_axes = plotting.new_axes(ncols=2, width=5.2, height=3.4)
utterance = vowel_train[0]  # (T, 12)
for channel in range(utterance.shape[1]):
    all_axes[0].plot(utterance[:, channel], linewidth=1.0)
plotting.label(
    all_axes[0],
    f"One utterance (speaker {speaker_train[0] + 1}): {utterance.shape[1]} LPC cepstra",
    "frame",
    "coefficient value",
)
all_axes[1].hist(
    vowel_lengths, bins=np.arange(vowel_lengths.min(), vowel_lengths.max() + 2)
)
plotting.label(
    all_axes[1],
    "Japanese Vowels: utterance lengths differ",
    "length (frames)",
    "utterances",
)
runtime.show(figure, "japanese_vowels")

# %%
# **Series.** Physical quantities and markets are measured at regular times:
# yearly sunspot numbers (univariate), daily Seattle weather (multivariate:
# several variables per day), monthly prices of a few stocks, and daily closes
# of European stock indices; their shapes and columns are printed below. Deck
# 001 notes that "stock market prices can be considered as sequential data
# because usually stocks follow trends over time".

sunspots = data.load("sunspots")
weather = data.load("seattle_weather")
stocks = data.load("stocks")
markets = data.load("eu_stock_markets")
for series in (sunspots, weather, stocks, markets):
    print(f"{series.name}: {data.describe(series.name).title}")
    print(f"    values {series.values.shape}, {series.frequency}: {series.columns}")


figure, all_axes = plotting.new_axes(ncols=2, nrows=2, width=5.4, height=3.2)
plotting.plot_series(
    all_axes[0, 0],
    sunspots.times,
    sunspots.values,
    ["sunspot number"],
    "Sunspots, yearly (univariate)",
    "year",
    "sunspot number",
)
plotting.plot_series(
    all_axes[0, 1],
    weather.times,
    np.stack([weather.column("temp_max"), weather.column("temp_min")], axis=1),
    ["daily max", "daily min"],
    f"Seattle weather, daily (2 of {len(weather.columns)} variables)",
    "date",
    "temperature (°C)",
)
plotting.plot_series(
    all_axes[1, 0],
    stocks.times,
    stocks.values,
    stocks.columns,
    f"Monthly closes of {len(stocks.columns)} stocks",
    "month",
    "price (USD)",
)
plotting.plot_series(
    all_axes[1, 1],
    np.arange(len(markets)),
    markets.values,
    markets.columns,
    "European indices, daily closes (no dates)",
    "trading day",
    "index level (points)",
)
runtime.show(figure, "series")

# %%
# 3. Windows: from one long series to many training examples
# ----------------------------------------------------------
#
# A forecaster learns from (input, target) pairs cut from a series
# :math:`x_0, \dots, x_{T-1}`. With window length :math:`w`, horizon
# :math:`h` and stride :math:`s`, window :math:`n` starts at :math:`i_n = n s`:
#
# .. math::
#
#    \text{input}_n = (x_{i_n}, \dots, x_{i_n + w - 1}), \qquad
#    \text{target}_n = (x_{i_n + w}, \dots, x_{i_n + w + h - 1}),
#
# and there are :math:`N = \lfloor (T - w - h) / s \rfloor + 1` windows. On a
# tiny series whose values are their own time indices, the windows show which
# steps they use:

tiny = np.arange(10, dtype="float32")  # x_t = t
window, horizon, stride = 4, 2, 2
tiny_inputs, tiny_targets = sequences.sliding_windows(tiny, window, horizon, stride)
print(
    f"T = {len(tiny)}, window w = {window}, horizon h = {horizon}, stride s = {stride}"
)
print(f"N = (T - w - h) // s + 1 = {(len(tiny) - window - horizon) // stride + 1}")
for n, (inputs, targets) in enumerate(zip(tiny_inputs, tiny_targets, strict=True)):
    print(
        f"  window {n}: input steps {inputs[:, 0].astype(int)} -> target steps "
        f"{targets[:, 0].astype(int)}"
    )
print(
    f"inputs {tiny_inputs.shape} = (N, w, F), targets {tiny_targets.shape} = (N, h, F)"
)

# %%
# That is the **many-to-one** shape (deck 003's "many-to-one"): a whole window
# in, one answer (here :math:`h` future values) out. In the **many-to-many**
# shape, the target is the input shifted :math:`h` steps ahead, one target per
# input step; a recurrent network trained this way predicts the next value at
# every step (the "RNN with shifted targets" of deck 004).

m2m_inputs, m2m_targets = sequences.sliding_windows(
    tiny, window, horizon=1, stride=stride, many_to_many=True
)
for n, (inputs, targets) in enumerate(zip(m2m_inputs, m2m_targets, strict=True)):
    print(
        f"  window {n}: input steps {inputs[:, 0].astype(int)} -> target steps "
        f"{targets[:, 0].astype(int)}"
    )
print(
    f"many-to-many: inputs {m2m_inputs.shape}, targets {m2m_targets.shape} = (N, w, F)"
)
weather_inputs, weather_targets = sequences.sliding_windows(weather.values, window=14)
print(
    f"Seattle weather, 14-day windows of all {len(weather.columns)} variables: "
    f"inputs {weather_inputs.shape}, next-day targets {weather_targets.shape}"
)

# %%
# With stride 1, consecutive windows overlap in :math:`w - 1` of their
# :math:`w` steps, and the target of one window is inside the inputs of the
# next ones. That overlap is harmless for training and a trap for evaluation,
# as the next section shows.

# %%
# 4. The deck-001 warning: a random split flatters a forecaster
# -------------------------------------------------------------
#
# Deck 001 warns that with sequential data "the generation of training,
# validation and test sets [...] imposes a well thought-out separation because
# the sequences cannot be mixed without constraint". Here is what goes wrong
# otherwise. We take the daily closes of the German DAX index (from
# ``eu_stock_markets`` above), cut windows of ``SPLIT_WINDOW`` days with the
# next day's close as the target, and train the **same** small model (a
# multi-layer perceptron on the flattened window, standardised with statistics
# of its own training part) twice:
#
# * **random split**: the windows are shuffled, then a share ``TRAIN_SHARE``
#   trains, ``VALIDATION_SHARE`` validates (early stopping) and the rest
#   tests, as one would split images;
# * **chronological split**: the first ``TRAIN_SHARE`` of the windows train,
#   the next ``VALIDATION_SHARE`` validate, the last ones test, with a gap of
#   :math:`w + h - 1` windows dropped at each boundary so no time step is
#   shared between parts.
#
# Each model is scored, in index points, on its own test part, which is what a
# practitioner would report.

dax = markets.column("DAX")  # (T,)
dax_inputs, dax_targets = sequences.sliding_windows(
    dax, SPLIT_WINDOW, SPLIT_HORIZON
)  # (N, w, 1), (N, 1, 1)
dax_targets = dax_targets[:, 0]  # (N, 1)
window_count = len(dax_inputs)
print(f"DAX: {len(dax)} trading days, {window_count} windows")
n_train = int(TRAIN_SHARE * window_count)
n_val = int(VALIDATION_SHARE * window_count)
shuffled = np.random.default_rng(args.seed).permutation(window_count)
random_parts = {
    "train": shuffled[:n_train],
    "validation": shuffled[n_train : n_train + n_val],
    "test": shuffled[n_train + n_val :],
}
chronological_parts = dict(
    zip(
        ["train", "validation", "test"],
        sequences.chronological_split(
            np.arange(window_count),
            train=TRAIN_SHARE,
            validation=VALIDATION_SHARE,
            gap=SPLIT_WINDOW + SPLIT_HORIZON - 1,
        ),
        strict=True,
    )
)
for name, parts in [("random", random_parts), ("chronological", chronological_parts)]:
    print(
        f"{name:>13} split, windows: "
        + ", ".join(f"{k} {len(v)}" for k, v in parts.items())
    )


def make_mlp(window, features, units, name):
    """A small multi-layer perceptron on a flattened window: (B, w, F) -> (B, 1)."""
    return keras.Sequential(
        [
            keras.Input(shape=(window, features)),
            keras.layers.Flatten(),  # (B, w * F)
            keras.layers.Dense(units, activation="relu"),  # (B, units)
            keras.layers.Dense(1),  # (B, 1)
        ],
        name=name,
    )


def train(model, train_xy, validation_xy):
    """Adam on the mean squared error, early-stopped on the validation loss.

    The errors that matter are small next to the spread of the standardised
    series, so the learning rate is halved whenever the validation loss stalls
    for 5 epochs: a fixed rate leaves the weights jittering at that scale.
    """
    runtime.set_seed(args.seed)  # the same initial weights and batches
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE), loss="mse"
    )
    history = model.fit(
        *train_xy,
        validation_data=validation_xy,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        verbose=args.verbose,
        callbacks=[
            keras.callbacks.EarlyStopping(patience=PATIENCE, restore_best_weights=True),
            keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=5, min_lr=1e-5),
        ],
    )
    return history


def mae(predictions, truth):
    return float(np.mean(np.abs(predictions - truth)))


def rmse(predictions, truth):
    return float(np.sqrt(np.mean((predictions - truth) ** 2)))


def fit_and_score_dax(parts, name):
    """Trains the MLP on one split of the DAX windows; returns its test scores."""
    scaler = sequences.StandardScaler().fit(dax_inputs[parts["train"]].reshape(-1, 1))
    x = scaler.transform(dax_inputs)  # (N, w, 1)
    y = scaler.transform(dax_targets)  # (N, 1)
    model = make_mlp(SPLIT_WINDOW, 1, SPLIT_UNITS, name)
    history = train(
        model,
        (x[parts["train"]], y[parts["train"]]),
        (x[parts["validation"]], y[parts["validation"]]),
    )
    test = parts["test"]
    predictions = model.predict(x[test], verbose=0)  # (N_test, 1), standardised
    predictions = scaler.inverse_transform(predictions)  # (N_test, 1), points
    truth = dax_targets[test]
    last_value = dax_inputs[test, -1]  # the naive forecast: tomorrow = today
    return {
        "epochs": len(history.history["loss"]),
        "predictions": predictions,
        "model MAE": mae(predictions, truth),
        "model RMSE": rmse(predictions, truth),
        "naive MAE": mae(last_value, truth),
    }


dax_scores = {
    "random": fit_and_score_dax(random_parts, "dax_random_split"),
    "chronological": fit_and_score_dax(chronological_parts, "dax_chronological_split"),
}
print(f"{'split':>13} | epochs | model MAE | model RMSE | naive MAE (same test set)")
for name, score in dax_scores.items():
    print(
        f"{name:>13} | {score['epochs']:>6} | {score['model MAE']:>9.1f} | "
        f"{score['model RMSE']:>10.1f} | {score['naive MAE']:>9.1f}"
    )
inflation = dax_scores["chronological"]["model MAE"] / dax_scores["random"]["model MAE"]
print(
    f"inflation: chronological MAE / random MAE = {inflation:.2f} "
    "(the random split promises an error this many times too small)"
)
runtime.check_bar(
    "DAX: chronological-split MAE / random-split MAE",
    inflation,
    ">",
    1.5,
    needs_training=True,
)

# %%
# The random split reports an error a fraction of what the model makes on the
# future. Three effects stack up.
#
# **Overlapping windows leak the test answers.** With shuffled windows, the
# neighbours of a test window (which share :math:`w - 1` of its days, and
# whose inputs contain its target) are in the training set. We count, for each
# test target, whether that day appears anywhere in a training window:


def share_seen_in_training(parts):
    """Share of test targets whose day is in some training window (input or target)."""
    seen = np.zeros(len(dax), dtype=bool)  # (T,)
    for start in parts["train"]:
        seen[start : start + SPLIT_WINDOW + 1] = True
    return float(seen[parts["test"] + SPLIT_WINDOW].mean())


for name, parts in [("random", random_parts), ("chronological", chronological_parts)]:
    print(
        f"{name:>13} split: {share_seen_in_training(parts):.1%} of test targets "
        "were seen during training"
    )

# %%
# **A random test set looks like the training set; the future does not.** The
# naive forecast ("tomorrow's close is today's") learns nothing, so nothing can
# leak into it, yet the table shows a gap for it too:

naive_inflation = (
    dax_scores["chronological"]["naive MAE"] / dax_scores["random"]["naive MAE"]
)
print(f"naive forecast: chronological MAE / random MAE = {naive_inflation:.2f}")
train_windows = dax_inputs[chronological_parts["train"]]  # (N_train, w, 1)
test_windows = dax_inputs[chronological_parts["test"]]  # (N_test, w, 1)
chronological_train_days = train_windows[:, :, 0]  # (N_train, w)
chronological_test_days = test_windows[:, :, 0]  # (N_test, w)
for name, days_in_part in [
    ("training", chronological_train_days),
    ("test", chronological_test_days),
]:
    daily_changes = np.diff(days_in_part, axis=1)  # (N, w - 1)
    print(
        f"chronological {name:>8} windows: DAX from {days_in_part.min():.0f} to "
        f"{days_in_part.max():.0f} points, typical daily move "
        f"{np.mean(np.abs(daily_changes)):.1f} points"
    )

# %%
# The end of the series (the chronological test windows) is a higher and more
# volatile market than anything in the training years, as the two lines above
# show: the series is not stationary, its level and its day-to-day variability
# drift. A random test set is drawn from the same years as the training set,
# so it measures interpolation among familiar days; the chronological test set
# measures forecasting, which is the task.
#
# **Levels outside the training range.** Standardised with the training
# statistics, the future's levels lie beyond what the model saw, so a model
# fed raw levels must extrapolate (section 5 avoids this by forecasting
# changes).
#
# The honest comparison is with the naive forecast on the same test set:

for name, score in dax_scores.items():
    relative = score["model MAE"] / score["naive MAE"]
    verdict = "beats" if relative < 1.0 else "does not beat"
    print(
        f"{name:>13} split: model MAE / naive MAE = {relative:.2f} "
        f"({verdict} tomorrow = today)"
    )

# %%
# Daily stock closes are close to a random walk, for which "tomorrow = today"
# is hard to beat, and a small model on ``SPLIT_WINDOW`` closes has little to
# add. What the random split gets most wrong is the size of the error to
# expect. The figure shows where each split puts its test set.

figure, all_axes = plotting.new_axes(nrows=2, width=10.0, height=3.0)
days = np.arange(len(dax))
for axes, (name, parts) in zip(
    all_axes,
    [("random", random_parts), ("chronological", chronological_parts)],
    strict=True,
):
    axes.plot(days, dax, color="0.6", linewidth=0.8, label="DAX close")
    part_colours = [
        ("train", "tab:blue"),
        ("validation", "tab:orange"),
        ("test", "tab:red"),
    ]
    for part, colour in part_colours:
        target_days = parts[part] + SPLIT_WINDOW
        axes.scatter(
            target_days, dax[target_days], s=2, color=colour, label=f"{part} targets"
        )
    plotting.label(
        axes,
        f"{name} split: test MAE {dax_scores[name]['model MAE']:.0f} points",
        "trading day",
        "DAX (points)",
        legend=True,
    )
runtime.show(figure, "dax_splits")

# %%
# 5. Baselines first: naive, seasonal-naive and a small learned model
# -------------------------------------------------------------------
#
# A forecast is only good compared with something simpler. Two baselines cost
# nothing:
#
# .. math::
#
#    \text{naive:}\ \hat x_{t+1} = x_t, \qquad
#    \text{seasonal naive:}\ \hat x_{t+1} = x_{t+1-m},
#
# with :math:`m` the length of a season. We use the weekly CO2 concentration at
# Mauna Loa (``co2``; its missing weeks are filled by linear interpolation): it
# has a real season, the yearly cycle of plant growth, so :math:`m` =
# ``CO2_SEASON`` weeks (a year is :math:`365.25 / 7 \approx 52.18` weeks, close
# enough), and a rising trend.
#
# The trend is the problem of section 4 again: the test years have higher
# concentrations than any training year. So the learned model forecasts the
# weekly **change** :math:`d_t = x_t - x_{t-1}`, a series without the trend,
# from the last ``CO2_WINDOW`` changes, and adds it to the last value:
# :math:`\hat x_{t+1} = x_t + \hat d_{t+1}`. It is the same small MLP as before,
# trained on the first ``TRAIN_SHARE`` of the windows, early-stopped on the next
# ``VALIDATION_SHARE``, with a ``StandardScaler`` fitted on the training part
# only, and scored on the rest (the chronological test set), in ppm.

co2 = data.load("co2")
co2_levels = co2.values.astype("float64")  # (T,) ppm
# d_t = x_t - x_{t-1}, stored at index t - 1.
co2_changes = np.diff(co2_levels)  # (T - 1,)
change_inputs, change_targets = sequences.sliding_windows(co2_changes, CO2_WINDOW)
# Window n holds d at levels' steps n+1 .. n+w; its target d_{n+w+1} gives x_{n+w+1}.
co2_parts = dict(
    zip(
        ["train", "validation", "test"],
        sequences.chronological_split(
            np.arange(len(change_inputs)),
            train=TRAIN_SHARE,
            validation=VALIDATION_SHARE,
            gap=CO2_WINDOW,
        ),
        strict=True,
    )
)
print(f"{data.describe('co2').title}: {len(co2)} weeks")
print(f"missing weeks filled by interpolation: {int(co2.extras['missing'].sum())}")
# The level index of the last training target, and of the first test target.
last_training_level = co2_parts["train"][-1] + CO2_WINDOW + 1
first_test_level = co2_parts["test"][0] + CO2_WINDOW + 1
print(
    f"highest training level {co2_levels[: last_training_level + 1].max():.1f} ppm, "
    f"lowest test level {co2_levels[first_test_level:].min():.1f} ppm"
)
print("windows: " + ", ".join(f"{k} {len(v)}" for k, v in co2_parts.items()))

# Fitted on the changes that the training windows use, inputs and targets.
change_scaler = sequences.StandardScaler().fit(co2_changes[:last_training_level])
x_changes = change_scaler.transform(change_inputs)  # (N, w, 1)
y_changes = change_scaler.transform(change_targets[:, 0])  # (N, 1)
co2_model = make_mlp(CO2_WINDOW, 1, CO2_UNITS, "co2_change_mlp")
co2_history = train(
    co2_model,
    (x_changes[co2_parts["train"]], y_changes[co2_parts["train"]]),
    (x_changes[co2_parts["validation"]], y_changes[co2_parts["validation"]]),
)

test_steps = co2_parts["test"] + CO2_WINDOW + 1  # level index of each test target
truth = co2_levels[test_steps]
predicted_change = change_scaler.inverse_transform(
    co2_model.predict(x_changes[co2_parts["test"]], verbose=0)
)[:, 0]
co2_forecasts = {
    "naive (last week)": co2_levels[test_steps - 1],
    f"seasonal naive (m = {CO2_SEASON})": co2_levels[test_steps - CO2_SEASON],
    "learned MLP on changes": co2_levels[test_steps - 1] + predicted_change,
}
test_times = co2.times[test_steps]
print(
    f"chronological test set: {len(test_steps)} weeks, "
    f"{test_times[0]} to {test_times[-1]}; "
    f"training stopped after {len(co2_history.history['loss'])} epochs"
)
print(f"{'model':>28} | MAE (ppm) | RMSE (ppm)")
co2_mae = {}
for name, forecast in co2_forecasts.items():
    co2_mae[name] = mae(forecast, truth)
    print(f"{name:>28} | {co2_mae[name]:>9.3f} | {rmse(forecast, truth):>10.3f}")

learned, naive, seasonal = (
    co2_mae["learned MLP on changes"],
    co2_mae["naive (last week)"],
    co2_mae[f"seasonal naive (m = {CO2_SEASON})"],
)
runtime.check_bar(
    "CO2 test: learned MAE / naive MAE", learned / naive, "<", 0.95, needs_training=True
)
runtime.check_bar(
    "CO2 test: learned MAE / seasonal-naive MAE",
    learned / seasonal,
    "<",
    0.5,
    needs_training=True,
)

# %%
# The naive forecast is hard to beat week to week, because CO2 changes slowly.
# The seasonal-naive forecast is poor here: it repeats last year's value and so
# misses a whole year of growth. Its mean signed error on the test set, beside
# the mean yearly rise:

yearly_rise = co2_levels[CO2_SEASON:] - co2_levels[:-CO2_SEASON]  # x_t - x_{t-m}
seasonal_bias = np.mean(truth - co2_forecasts[f"seasonal naive (m = {CO2_SEASON})"])
print(
    f"mean rise over {CO2_SEASON} weeks: training years "
    f"{yearly_rise[: last_training_level + 1 - CO2_SEASON].mean():.2f} ppm, test years "
    f"{yearly_rise[first_test_level - CO2_SEASON :].mean():.2f} ppm"
)
print(
    f"seasonal naive, mean (truth - forecast) on the test set: {seasonal_bias:.2f} ppm"
)

# %%
# The seasonal-naive error is that missing year of growth. The learned model
# beats both baselines because the weekly change follows the season (CO2 falls
# in the northern summer and rises in winter), which a year of past changes
# lets it see. The figure shows the test set, and its last ``CLOSE_UP_WEEKS``
# weeks up close.

figure, all_axes = plotting.new_axes(ncols=2, width=6.0, height=3.4)
titles = {
    len(test_steps): "CO2 test set, one-week-ahead forecasts",
    CLOSE_UP_WEEKS: f"last {CLOSE_UP_WEEKS} test weeks",
}
for axes, (last, title) in zip(all_axes, titles.items(), strict=True):
    axes.plot(
        test_times[-last:], truth[-last:], color="black", linewidth=1.6, label="truth"
    )
    for name, forecast in co2_forecasts.items():
        axes.plot(test_times[-last:], forecast[-last:], linewidth=1.0, label=name)
    plotting.concise_dates(axes)
    plotting.label(axes, title, "date", "CO2 (ppm)", legend=last == CLOSE_UP_WEEKS)
runtime.show(figure, "co2_forecasts")

# %%
# 6. Padding and masking a batch of sentences
# -------------------------------------------
#
# "Neural networks understand numbers, not words" and "we need the sequences
# to be of fixed size" (deck 003, "Length of sequences and Language"). Deck
# 003's example has two sentences of different lengths:

sentence_1 = ["I", "love", "neural", "networks"]
sentence_2 = ["I", "use", "recurrent", "neural", "networks", "everyday"]

# %%
# The deck pads the shorter one's numbers with zeros to the longer length:
# ``Embedding_1 = [0.2, 0.5, 0.35, 0.4]`` becomes ``[0.2, 0.5, 0.35, 0.4, 0.0,
# 0.0]``. The deck's numbers, padded by ``sequences.pad_sequences``:

deck_numbers = [[0.2, 0.5, 0.35, 0.4], [0.2, 0.9, 0.65, 0.35, 0.4, 0.8]]
padded_numbers, _ = sequences.pad_sequences(deck_numbers, value=0.0)
print(padded_numbers)

# %%
# In practice the words first get integer ids from a **vocabulary** (deck 003:
# "1. Vocabulary, 2. Indexing"). Id 0 is kept for padding and id 1 for words
# not in the vocabulary, so a real word never collides with the padding:

toy_vocabulary = text.Vocabulary(sentence_1 + sentence_2)
print(f"vocabulary ({len(toy_vocabulary)} entries): {toy_vocabulary.tokens}")
id_lists = [toy_vocabulary.encode(sentence_1), toy_vocabulary.encode(sentence_2)]
print(f"sentence 1 -> {id_lists[0]}")
print(f"sentence 2 -> {id_lists[1]}")
print(f"an unseen word: {toy_vocabulary.encode(['transformers'])} (the <unk> id)")

padded_post, mask_post = sequences.pad_sequences(id_lists, padding="post")
padded_pre, mask_pre = sequences.pad_sequences(id_lists, padding="pre")
print("padding='post' (real steps first):")
print(padded_post)
print(mask_post.astype(int))
print("padding='pre' (real steps last):")
print(padded_pre)
print(mask_pre.astype(int))

# %%
# The mask is True at real steps. Keras's own ``keras.utils.pad_sequences``
# gives the same ids (its default is ``padding="pre"``; ours is ``"post"``):

for padding, ours in [("post", padded_post), ("pre", padded_pre)]:
    theirs = keras.utils.pad_sequences(id_lists, padding=padding)
    print(f"keras.utils.pad_sequences(padding={padding!r}):")
    print(theirs)
    print(f"  equal to ours: {np.array_equal(theirs, ours)}")

# %%
# Layers must then ignore the padding. A ``keras.layers.Embedding`` with
# ``mask_zero=True`` maps each id to a learned vector and computes the same
# mask from the zeros (``compute_mask``); later layers that support masking
# (recurrent layers, pooling, attention) receive it. A **masked mean** over
# time,
#
# .. math::
#
#    \bar e = \frac{\sum_t m_t e_t}{\sum_t m_t},
#
# equals the mean over the real words only, while a plain mean also averages
# in the padding vectors.

embedding = keras.layers.Embedding(len(toy_vocabulary), 3, mask_zero=True)
embedded = embedding(padded_post)  # (B, T, 3)
keras_mask = ops.convert_to_numpy(embedding.compute_mask(padded_post))  # (B, T)
print(
    f"Embedding(mask_zero=True).compute_mask equals our mask: "
    f"{np.array_equal(keras_mask, mask_post)}"
)

weights = ops.cast(ops.expand_dims(keras_mask, -1), embedded.dtype)  # (B, T, 1)
masked_mean = ops.sum(embedded * weights, axis=1) / ops.sum(weights, axis=1)  # (B, 3)
plain_mean = ops.mean(embedded, axis=1)  # (B, 3), padding included
pooled = keras.layers.GlobalAveragePooling1D()(embedded, mask=keras_mask)  # (B, 3)
unpadded_mean = ops.mean(embedding(np.array([id_lists[0]])), axis=1)  # (1, 3)
means = {
    f"sentence 1, mean over its {len(sentence_1)} real words": unpadded_mean,
    "sentence 1, masked mean of the padded row": masked_mean,
    "sentence 1, plain mean of the padded row": plain_mean,
    "GlobalAveragePooling1D with the mask": pooled,
}
for name, mean in means.items():
    print(f"{name + ':':<43} {ops.convert_to_numpy(mean)[0]}")
masked_error = ops.convert_to_numpy(masked_mean[0] - unpadded_mean[0])  # (3,)
masked_error = float(np.abs(masked_error).max())
runtime.check_bar(
    "|masked mean - mean of the unpadded sentence|", masked_error, "<", 1e-6
)

# %%
# Deck 003 adds that padding can go "to fixed size (with truncation) or max
# size". With ``maxlen=5`` the longer sentence is cut:

padded_short, mask_short = sequences.pad_sequences(
    id_lists, maxlen=5, truncating="post"
)
print(padded_short)
print(toy_vocabulary.decode(padded_short[1]))

# %%
# 7. Characters or words: tokens and vocabularies
# -----------------------------------------------
#
# A text can be split into characters or into words (deck 003: "Text
# (sequence of characters or words)"). Characters give a tiny vocabulary and
# long sequences; words give short sequences and a large vocabulary, and new
# text brings words the vocabulary has never seen. On the King James Bible,
# with the last ``HELD_OUT_SHARE`` of the words held out as "new" text:

kjv_chars = text.char_tokens(kjv[:KJV_CHARACTERS])
kjv_words = text.word_tokens(kjv[:KJV_CHARACTERS])
char_split = int((1.0 - HELD_OUT_SHARE) * len(kjv_chars))
seen_chars, new_chars = kjv_chars[:char_split], kjv_chars[char_split:]
split_at = int((1.0 - HELD_OUT_SHARE) * len(kjv_words))
seen_words, new_words = kjv_words[:split_at], kjv_words[split_at:]
char_vocabulary = text.Vocabulary(seen_chars)
word_vocabulary = text.Vocabulary(seen_words)
print(
    f"characters: {len(kjv_chars):,} tokens, vocabulary of {len(char_vocabulary)} "
    f"(2 reserved + distinct characters) from the first {1 - HELD_OUT_SHARE:.0%}; "
    f"held-out characters not in it: {char_vocabulary.count_oov(new_chars)} "
    f"of {len(new_chars):,}"
)
print(
    f"words: {len(kjv_words):,} tokens, vocabulary of {len(word_vocabulary):,} "
    f"from the first {1 - HELD_OUT_SHARE:.0%}"
)
print(f"character tokens per word token: {len(kjv_chars) / len(kjv_words):.2f}")
print(
    f"tokens per sentence, first verse: {len(text.char_tokens(first_sentence))} "
    f"characters vs {len(text.word_tokens(first_sentence))} words"
)

# %%
# A word vocabulary is usually capped to the most frequent words
# (``max_size``); the rest become ``<unk>``. The share of held-out words that
# fall outside the vocabulary (the out-of-vocabulary, OOV, rate):

print(f"{'max_size':>9} | OOV rate on the held-out {HELD_OUT_SHARE:.0%}")
oov_rates = {}
for max_size in [1_000, 5_000, CAPPED_VOCABULARY, None]:
    capped = text.Vocabulary(seen_words, max_size=max_size)
    oov_rates[max_size] = capped.count_oov(new_words) / len(new_words)
    size_name = "all" if max_size is None else f"{max_size:,}"
    print(f"{size_name:>9} | {oov_rates[max_size]:.2%} (vocabulary of {len(capped):,})")
new_types = sorted({w for w in new_words if w not in word_vocabulary})
print(f"examples of held-out words never seen before: {new_types[:8]}")

# %%
# Even the full word vocabulary misses some new words (names, rare forms);
# the character vocabulary has almost nothing left to miss (the count printed
# above), at the price of sequences several times longer (the ratio of tokens
# printed above). Subword tokenisers (byte-pair encoding, WordPiece) sit
# between the two.

# %%
# 8. One-hot vectors or indices
# -----------------------------
#
# Deck 003 shows the one-hot encoding, ``college = [1, 0, 0, ..., 0]``: "vectors
# [the] size of the vocabulary", with "no notion of meaning". Deck 004 adds that
# with one-hot vectors "all words are at the same distance" ("tous les mots ont
# la même distance"). Deck 004's example words are Rome, Paris, Italy and
# France. Not all of them occur in the KJV (the counts are printed below), so
# we keep the deck's words that do and add two places the text names often:

deck_words = ["rome", "paris", "italy", "france"]
deck_word_counts = {w: word_vocabulary.counts[w] for w in deck_words}
print(f"counts in the KJV training words: {deck_word_counts}")
place_words = [w for w in deck_words if w in word_vocabulary] + ["egypt", "jerusalem"]
place_ids = word_vocabulary.encode(place_words)
place_one_hot = text.one_hot(place_ids, depth=len(word_vocabulary))  # (P, V)
differences = place_one_hot[:, None] - place_one_hot[None, :]  # (P, P, V)
distances = np.linalg.norm(differences, axis=-1)  # (P, P)
print(f"ids {dict(zip(place_words, place_ids, strict=True))}")
print("pairwise Euclidean distances of the one-hot vectors:")
print(np.round(distances, 3))

# %%
# One-hot vectors are also wasteful: a sequence of :math:`T` ids takes
# :math:`T` integers, its one-hot version :math:`T \times V` floats. For the
# held-out text with a vocabulary capped at ``CAPPED_VOCABULARY`` words:

capped_vocabulary = text.Vocabulary(seen_words, max_size=CAPPED_VOCABULARY)
verse_ids = capped_vocabulary.encode(text.word_tokens(first_sentence))
verse_ids = np.array(verse_ids, "int32")  # (T,)
verse_one_hot = text.one_hot(verse_ids, depth=len(capped_vocabulary))  # (T, V)
print(
    f"first verse: ids {verse_ids.nbytes} bytes, one-hot {verse_one_hot.nbytes:,} bytes"
)
bytes_per_id = verse_ids.itemsize
bytes_per_one_hot = verse_one_hot.nbytes // len(verse_ids)
print(
    f"held-out text ({len(new_words):,} words): "
    f"ids {len(new_words) * bytes_per_id / 1e6:.2f} MB, "
    f"one-hot {len(new_words) * bytes_per_one_hot / 1e9:.1f} GB (float32)"
)

# %%
# Nothing is lost by keeping indices: multiplying a one-hot vector by a matrix
# :math:`W \in \mathbb{R}^{V \times d}` picks one row, :math:`e_k^\top W =
# W_{k,:}`. So an embedding layer, which looks up row :math:`k` for id
# :math:`k`, computes exactly ``one_hot(ids) @ W`` without building the
# one-hot matrix:

verse_embedding = keras.layers.Embedding(len(capped_vocabulary), 8)
looked_up = ops.convert_to_numpy(verse_embedding(verse_ids[None]))[0]  # (T, 8)
table = ops.convert_to_numpy(verse_embedding.embeddings)  # W: (V, 8)
via_one_hot = verse_one_hot @ table  # (T, V) @ (V, 8) -> (T, 8)
lookup_error = float(np.abs(looked_up - via_one_hot).max())
print(f"W[ids] has shape {looked_up.shape}")
print(f"max |one_hot(ids) @ W - W[ids]| = {lookup_error:.1e}")
keras_one_hot = ops.one_hot(verse_ids, len(capped_vocabulary))  # (T, V)
same_one_hot = np.array_equal(ops.convert_to_numpy(keras_one_hot), verse_one_hot)
print(f"our one_hot equals keras.ops.one_hot: {same_one_hot}")
runtime.check_bar("max |one_hot(ids) @ W - Embedding(ids)|", lookup_error, "<", 1e-6)

# %%
# Deck 004 turns to learned embeddings next, :math:`E: \text{Vocabulary} \to
# \mathbb{R}^d` with :math:`d` in the hundreds, far below :math:`V`, where
# distances can carry meaning. The next chapters train them.

# %%
# Run report
# ----------

runtime.report()

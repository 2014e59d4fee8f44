"""
Chapter 2: Recurrent networks from scratch — RNN, LSTM, GRU, BPTT, bidirectional
=================================================================================

Deck ``003_fe2b7e6d6f382baa`` builds the recurrent network from one relation,
:math:`h_t = f_W(x_t, h_{t-1})`, then meets the vanishing gradient and answers
it with ReLU and identity initialisation, with gated cells (LSTM, its peephole
and coupled variants, the GRU) and with bidirectional reading; deck
``004_e643fd63115496ec`` derives backpropagation through time and counts the
parameters. This chapter writes every one of these pieces with ``keras.ops``
(``companion.recurrent``), proves them equal to Keras's layers, runs BPTT by
hand in NumPy against autodiff, measures how the gradient fades with the
distance to the loss, and trains the task shapes of the course: many-to-one
(speaker identification), many-to-many (sunspot forecasting), one-to-many (a
sequence from one vector) and a long-memory task (the adding problem).
"""

# %%
# Setup
# -----
#
# The backend is chosen before Keras is imported (``KERAS_BACKEND`` or
# ``--backend``). The hyper-parameters sit here, read from the scale of the run:
# ``--quick`` runs every section at toy size (a smoke test), the default fits
# the book's time budget, ``--full`` trains longer.

from companion import runtime

args = runtime.parse_args(__doc__)  # sets KERAS_BACKEND before keras loads

import inspect
import time

import keras  # after the backend is chosen
import numpy as np
from keras import ops

from companion import data, plotting, recurrent, sequences, text, training

runtime.set_seed(args.seed)

VOWEL_UNITS = 32  # many-to-one: speaker identification
VOWEL_TRAIN = args.pick(quick=256, default=None)  # training utterances (None: all)
VOWEL_EPOCHS = args.pick(quick=1, default=30, full=60)
SUNSPOT_WINDOW = 32  # many-to-many: 32 years read, 32 next-year forecasts
SUNSPOT_UNITS = 32
SUNSPOT_ROUNDS = args.pick(quick=1, default=6, full=30)  # of 10 epochs each
ONE_TO_MANY_STEPS = 40
ONE_TO_MANY_EPOCHS = args.pick(quick=1, default=20, full=60)
ONE_TO_MANY_TRAIN = args.pick(quick=256, default=2000, full=8000)
ADDING_STEPS = 100  # the adding problem at T = 100
ADDING_TRAIN = args.pick(quick=512, default=6000, full=20000)
ADDING_UNITS = 32
ADDING_MAX_EPOCHS = args.pick(quick=1, default=14, full=40)  # LSTM, GRU stop early
ADDING_BASELINE_EPOCHS = args.pick(quick=1, default=4, full=20)  # tanh RNN and IRNN
CLIPPING_TRAIN = args.pick(quick=512, default=2048)  # one epoch of SGD, section 11
BATCH_SIZE = 32


def summed_product(y_true, y_pred):
    """A loss that reaches every output: :math:`\\sum_j c_j\\, y_j` per sample."""
    return ops.sum(y_true * y_pred, axis=-1)


# %%
# 1. The recurrence of deck 003 as running code
# ---------------------------------------------
#
# Deck 003 gives the recurrent network as a loop: the same function, with the
# same weights, reads one word at a time and carries a hidden state,
#
# .. math::
#
#    h_t = \tanh(w_{hh}^\top h_{t-1} + w_{xh}^\top x_t).
#
# Its pseudo-code, with an actual cell (``recurrent.SimpleRNNCell``) and
# one-hot words, runs as written:

sentence = ["I", "love", "recurrent", "neural"]
words = sorted(set(sentence))
one_hot_words = {
    w: text.one_hot(np.array([i]), len(words)) for i, w in enumerate(words)
}

rnn = recurrent.SimpleRNNCell(4)  # rnn = RNN()
readout = keras.layers.Dense(len(words))  # the prediction y_t = f(h_t)
hidden_states = [np.zeros((1, 4), "float32")]  # hidden_states = [0, 0, 0, 0]
for word in sentence:  # for word in sentence:
    output, hidden_states = rnn(one_hot_words[word], hidden_states)
    prediction = readout(output)  # prediction, hidden_states = rnn(word, hidden_states)
    print(f"{word:>10s}: h_t = {np.round(ops.convert_to_numpy(output)[0], 3)}")

# %%
# Keras's loop (``keras.layers.RNN``) runs the same cell over the whole
# sentence at once; the final state is the same.

sentence_tensor = np.concatenate([one_hot_words[w] for w in sentence])  # (T, V)
sentence_tensor = sentence_tensor[None]  # (1, T, V): a batch of one
loop_final = ops.convert_to_numpy(hidden_states[0])
keras_final = ops.convert_to_numpy(keras.layers.RNN(rnn)(sentence_tensor))
print(
    f"max |hand loop - keras.layers.RNN| = {np.abs(loop_final - keras_final).max():.1e}"
)

# %%
# 2. The cells, equation beside code
# ----------------------------------
#
# **Vanilla cell.** :math:`h_t = \tanh(W_{xh}^\top x_t + W_{hh}^\top h_{t-1}
# + b_h)`. Every cell splits its step into the input projection
# :math:`W_{xh}^\top x_t + b_h` (``project_inputs``, which needs no past) and
# the recurrence (``step``):

print(inspect.getsource(recurrent.SimpleRNNCell.step))

# %%
# **LSTM** (deck 003, "LSTM, forget gate" to "output filtered version"):
#
# .. math::
#
#    f_t &= \sigma(W_f \cdot [h_{t-1}, x_t] + b_f), \qquad
#    i_t = \sigma(W_i \cdot [h_{t-1}, x_t] + b_i) \\
#    \tilde C_t &= \tanh(W_C \cdot [h_{t-1}, x_t] + b_C) \\
#    C_t &= f_t * C_{t-1} + i_t * \tilde C_t \\
#    o_t &= \sigma(W_o [h_{t-1}, x_t] + b_o), \qquad h_t = o_t * \tanh(C_t)
#
# and the two variants of the deck: peephole connections (Gers & Schmidhuber,
# 2000: the gates also see :math:`C_{t-1}`, the output gate :math:`C_t`) and
# coupled gates, :math:`C_t = f_t * C_{t-1} + (1 - f_t) * \tilde C_t`. One
# ``step`` implements all three:

print(inspect.getsource(recurrent.LSTMCell.step))

# %%
# **GRU** (Cho et al., 2014; deck 003):
#
# .. math::
#
#    z_t &= \sigma(W_z \cdot [h_{t-1}, x_t]), \qquad
#    r_t = \sigma(W_r \cdot [h_{t-1}, x_t]) \\
#    \tilde h_t &= \tanh(W \cdot [r_t * h_{t-1}, x_t]), \qquad
#    h_t = (1 - z_t) * h_{t-1} + z_t * \tilde h_t
#
# Keras's ``GRU`` writes :math:`h_t = z'_t h_{t-1} + (1 - z'_t) \tilde h_t`:
# its :math:`z'` is the deck's :math:`1 - z`. Since :math:`\sigma(-a) = 1 -
# \sigma(a)`, negating the update gate's weights maps one to the other
# (``recurrent.convert_gru_weights``). ``reset_after=True`` is Keras's default
# variant, with the reset gate applied after the matrix product.

print(inspect.getsource(recurrent.GRUCell.step))

# %%
# **Proof of equality.** With the same weights (random, biases included), the
# cells inside ``keras.layers.RNN`` and the fast layers (section 3) give the
# outputs, final states and weight gradients of ``keras.layers.SimpleRNN``,
# ``LSTM`` and ``GRU``. Here, reading backwards with a mask (ragged batch);
# the test suite covers both directions, with and without masks, on the three
# backends. Gradients come from :func:`sgd_gradients` on the loss
# :math:`\sum_j c_j y_j` over every output and state.

rng = np.random.default_rng(args.seed)
check_inputs = rng.normal(size=(3, 7, 4)).astype("float32")  # (B, T, F)
check_mask = np.ones((3, 7), bool)
check_mask[1, 5:] = False  # a shorter sequence
check_mask[2, 2:] = False  # a very short one


def equality_model(layer):
    """Wraps a recurrent layer so all its outputs and states form one vector."""
    x = keras.Input((7, 4))
    m = keras.Input((7,), dtype="bool")
    return keras.Model([x, m], training.FlattenAll()(list(layer(x, mask=m))))


equality_rows = []
for name, make_keras, make_cell, make_fast, is_gru in [
    (
        "SimpleRNN",
        keras.layers.SimpleRNN,
        recurrent.SimpleRNNCell,
        recurrent.SimpleRNN,
        False,
    ),
    ("LSTM", keras.layers.LSTM, recurrent.LSTMCell, recurrent.LSTM, False),
    (
        "GRU",
        lambda u, **k: keras.layers.GRU(u, reset_after=True, **k),
        lambda u: recurrent.GRUCell(u, reset_after=True),
        lambda u, **k: recurrent.GRU(u, reset_after=True, **k),
        True,
    ),
]:
    flags = dict(return_sequences=True, return_state=True, go_backwards=True)
    models = {
        "keras": equality_model(make_keras(5, **flags)),
        "cell in keras.layers.RNN": equality_model(
            keras.layers.RNN(make_cell(5), **flags)
        ),
        "fast path": equality_model(make_fast(5, **flags)),
    }
    weights = [
        w + 0.3 * rng.normal(size=w.shape).astype("float32")
        for w in models["fast path"].get_weights()
    ]
    models["keras"].set_weights(
        recurrent.convert_gru_weights(weights) if is_gru else weights
    )
    models["cell in keras.layers.RNN"].set_weights(weights)
    models["fast path"].set_weights(weights)
    reference = ops.convert_to_numpy(models["keras"]([check_inputs, check_mask]))
    coefficients = rng.normal(size=reference.shape).astype("float32")
    reference_grads = training.sgd_gradients(
        models["keras"], [check_inputs, check_mask], coefficients, summed_product
    )
    if is_gru:
        reference_grads = recurrent.convert_gru_weights(reference_grads)
    for variant in ("cell in keras.layers.RNN", "fast path"):
        values = ops.convert_to_numpy(models[variant]([check_inputs, check_mask]))
        grad_error = np.nan  # the page checks the fast path's gradients, the tests both
        if variant == "fast path":
            grads = training.sgd_gradients(
                models[variant],
                [check_inputs, check_mask],
                coefficients,
                summed_product,
            )
            grad_error = max(
                float(np.abs(g - r).max())
                for g, r in zip(grads, reference_grads, strict=True)
            )
        equality_rows.append(
            (name, variant, float(np.abs(values - reference).max()), grad_error)
        )

print(f"{'layer':10s} {'ours':26s} {'max |output diff|':>18s} {'max |grad diff|':>16s}")
for name, variant, output_error, grad_error in equality_rows:
    grad_text = "(in the tests)" if np.isnan(grad_error) else f"{grad_error:.1e}"
    print(f"{name:10s} {variant:26s} {output_error:18.1e} {grad_text:>16s}")
runtime.check_bar(
    "max output difference to Keras", max(r[2] for r in equality_rows), "<", 1e-5
)
runtime.check_bar(
    "max gradient difference to Keras",
    np.nanmax([r[3] for r in equality_rows]),
    "<",
    1e-5,
)

# %%
# 3. The fast full-sequence path
# ------------------------------
#
# The input projection :math:`W_x^\top x_t + b` does not depend on the past,
# so ``recurrent.FastRNN`` (behind ``recurrent.SimpleRNN``, ``LSTM``,
# ``GRU``) computes it for all :math:`T` steps in one ``(B*T, D) @ (D, 4U)``
# product and runs only :math:`W_h^\top h_{t-1}` and the gates inside
# ``keras.ops.scan``. A masked step keeps the previous states:

print(inspect.getsource(recurrent.FastRNN.call))

# %%
# Its results were in the table above ("fast path"). The benchmark
# ``benchmarks/bench_recurrent.py`` times it against Keras's layers.
#
# 4. Parameter counts (deck 004)
# ------------------------------
#
# A vanilla layer has :math:`U(D + U + 1)` parameters; the LSTM has four such
# blocks (:math:`f, i, \tilde C, o`), the GRU three (:math:`z, r, \tilde h`).
# The counts of built layers, ours and Keras's:

count_units, count_inputs = 64, 12
count_rows = []
for kind, ours, theirs in [
    (
        "simple_rnn",
        recurrent.SimpleRNN(count_units),
        keras.layers.SimpleRNN(count_units),
    ),
    ("lstm", recurrent.LSTM(count_units), keras.layers.LSTM(count_units)),
    (
        "gru",
        recurrent.GRU(count_units),
        keras.layers.GRU(count_units, reset_after=False),
    ),
]:
    ours.build((None, None, count_inputs))
    theirs.build((None, None, count_inputs))
    formula = recurrent.parameter_count(kind, count_units, count_inputs)
    count_rows.append((kind, formula, ours.count_params(), theirs.count_params()))
simple_count = count_rows[0][1]
print(f"U = {count_units}, D = {count_inputs}")
print(f"{'layer':12s} {'formula':>8s} {'ours':>8s} {'keras':>8s} {'/ SimpleRNN':>12s}")
for kind, formula, ours_count, keras_count in count_rows:
    ratio = formula / simple_count
    print(f"{kind:12s} {formula:8d} {ours_count:8d} {keras_count:8d} {ratio:12.2f}")
runtime.check_bar(
    "|LSTM parameters / SimpleRNN parameters - 4|",
    abs(count_rows[1][2] / simple_count - 4),
    "<",
    1e-12,
)
runtime.check_bar(
    "|GRU parameters / SimpleRNN parameters - 3|",
    abs(count_rows[2][2] / simple_count - 3),
    "<",
    1e-12,
)
print(
    f"GRU with reset_after=True (Keras's default): "
    f"{recurrent.parameter_count('gru', count_units, count_inputs, reset_after=True)} "
    "(one more bias row)"
)

# %%
# 5. Backpropagation through time by hand
# ---------------------------------------
#
# Deck 004 writes the gradient of the summed loss :math:`L = \sum_t l_t` with
# respect to :math:`W_{hh}` as a sum over time of products of Jacobians,
#
# .. math::
#
#    \frac{\partial L}{\partial W_{hh}} = \sum_{i=0}^{t}
#    \frac{\partial L}{\partial y_{t-i}} \frac{\partial y_{t-i}}{\partial h_{t-i}}
#    \Big(\prod_{j} \frac{\partial h_{k+1}}{\partial h_k}\Big)
#    \frac{\partial h_{t-i-1}}{\partial W_{hh}},
#    \qquad \frac{\partial h_{k+1}}{\partial h_k}
#    = \mathrm{diag}(1 - h_{k+1}^2) W_{hh}^\top.
#
# ``recurrent.rnn_bptt_numpy`` computes it right to left in NumPy, carrying
# :math:`\partial L / \partial h_t` backwards one step at a time:

print(inspect.getsource(recurrent.rnn_bptt_numpy).split('"""')[-1])

# %%
# The same network in Keras (``SimpleRNN`` + ``Dense``), the same loss, and
# autodiff's gradients (:func:`sgd_gradients`):

BPTT_STEPS, BPTT_HIDDEN = 30, 16
bptt_inputs = rng.normal(size=(8, BPTT_STEPS, 3)).astype("float32")
bptt_targets = rng.normal(size=(8, BPTT_STEPS, 2)).astype("float32")
bptt_model = keras.Sequential(
    [
        keras.Input((BPTT_STEPS, 3)),
        keras.layers.SimpleRNN(BPTT_HIDDEN, return_sequences=True),
        keras.layers.Dense(2),
    ]
)
bptt_weights = bptt_model.get_weights()


def per_sequence_loss(y_true, y_pred):
    """sum_t 0.5 ||y_t - target_t||^2 per sequence (Keras takes the batch mean)."""
    return 0.5 * ops.sum(ops.square(y_pred - y_true), axis=(1, 2))


autodiff = training.sgd_gradients(
    bptt_model, bptt_inputs, bptt_targets, per_sequence_loss
)
by_hand = recurrent.rnn_bptt_numpy(bptt_inputs, bptt_targets, *bptt_weights)
names = ["w_xh", "w_hh", "b_h", "w_hy", "b_y"]
bptt_error = max(
    float(np.abs(by_hand.gradients[n] - g).max())
    for n, g in zip(names, autodiff, strict=True)
)
print(f"loss {by_hand.loss:.4f}")
print(f"max |BPTT by hand - autodiff| over the 5 weights: {bptt_error:.1e}")
runtime.check_bar("max |BPTT by hand - autodiff|", bptt_error, "<", 1e-5)

# %%
# Each use of :math:`W_{hh}` at step :math:`t` adds one term
# :math:`h_{t-1} \delta_t^\top` to :math:`\partial L / \partial W_{hh}`. With
# the loss on the last step only, the term from step :math:`t` carries the
# product of :math:`T - t` Jacobians :math:`\mathrm{diag}(1 - h^2)
# W_{hh}^\top`. The left panel scales Keras's initial (orthogonal)
# :math:`W_{hh}`: at :math:`0.5\,W_{hh}` the far terms vanish geometrically,
# at :math:`1 \times` they still shrink (the tanh derivative is below 1), at
# :math:`3\,W_{hh}` they grow backwards: exploding gradients. The right panel
# splits the full gradient (default weights) by loss term :math:`l_s` and step
# of use :math:`t \le s`. Step 1's term is zero, as :math:`h_0 = 0`, so the
# left panel starts at step 2.

last_only = np.zeros(BPTT_STEPS)
last_only[-1] = 1.0
figure, all_axes = plotting.new_axes(ncols=2, width=5.6, height=3.6)
for scale in (0.5, 1.0, 3.0):
    scaled = list(bptt_weights)
    scaled[1] = scale * bptt_weights[1]
    result = recurrent.rnn_bptt_numpy(
        bptt_inputs, bptt_targets, *scaled, loss_weights=last_only
    )
    term_norms = np.linalg.norm(result.w_hh_terms, axis=(1, 2))  # (T,)
    all_axes[0].semilogy(
        np.arange(2, BPTT_STEPS + 1),
        term_norms[1:],
        marker=".",
        label=f"W_hh x {scale:g}",
    )
plotting.label(
    all_axes[0],
    "Step t's term of dL_T/dW_hh (loss at t = T)",
    "step t",
    "Frobenius norm",
    legend=True,
)
contribution = np.zeros((BPTT_STEPS, BPTT_STEPS))  # [loss step s, use step t]
for s in range(BPTT_STEPS):
    weights_s = np.eye(BPTT_STEPS)[s]
    result = recurrent.rnn_bptt_numpy(
        bptt_inputs, bptt_targets, *bptt_weights, loss_weights=weights_s
    )
    contribution[s] = np.linalg.norm(result.w_hh_terms, axis=(1, 2))
image = all_axes[1].imshow(
    np.log10(contribution + 1e-12), vmin=-8, origin="lower", cmap="viridis"
)
figure.colorbar(image, ax=all_axes[1], label="log10 norm")
plotting.label(
    all_axes[1], "Term of dl_s/dW_hh from step t", "step of use t", "loss step s"
)
runtime.show(figure, "bptt_terms")

# %%
# 6. Many-to-one: who is speaking?
# --------------------------------
#
# The Japanese Vowels set (nine speakers, 12 cepstral coefficients per frame,
# utterances of different lengths: the range is printed below) is padded to one
# length; the mask tells the recurrent layer which steps are real, so a masked
# step leaves the state alone and the last real state classifies the utterance.

(vowel_train, speaker_train), (vowel_test, speaker_test) = data.load("japanese_vowels")
vowel_train, speaker_train = vowel_train[:VOWEL_TRAIN], speaker_train[:VOWEL_TRAIN]
vowel_lengths = [len(u) for u in vowel_train + vowel_test]
vowel_length = max(vowel_lengths)
train_padded, train_mask = sequences.pad_sequences(vowel_train, maxlen=vowel_length)
test_padded, test_mask = sequences.pad_sequences(vowel_test, maxlen=vowel_length)
vowel_scaler = sequences.StandardScaler().fit(np.concatenate(vowel_train))
train_padded = np.where(
    train_mask[..., None], vowel_scaler.transform(train_padded), 0.0
)
test_padded = np.where(test_mask[..., None], vowel_scaler.transform(test_padded), 0.0)
train_padded, test_padded = (
    train_padded.astype("float32"),
    test_padded.astype("float32"),
)
print(
    f"utterances of {min(vowel_lengths)} to {vowel_length} frames; padded: "
    f"train {train_padded.shape}, test {test_padded.shape}, "
    f"{int(train_mask.sum())} real of {train_mask.size} training steps"
)


def speaker_model(make_recurrent):
    """Padded utterances and their mask in, nine speaker logits out."""
    frames = keras.Input((vowel_length, 12))
    mask = keras.Input((vowel_length,), dtype="bool")
    x = make_recurrent(frames, mask)
    return keras.Model([frames, mask], keras.layers.Dense(9)(x))


def train_speakers(model, epochs=VOWEL_EPOCHS):
    runtime.set_seed(args.seed)
    model.compile(
        keras.optimizers.Adam(3e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    training.build_for_fit(model, [train_padded, train_mask])  # TensorFlow: one trace
    start = time.perf_counter()
    model.fit(
        [train_padded, train_mask],
        speaker_train,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        verbose=args.verbose,
    )
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(  # the test set as one batch: one shape to compile
        [test_padded, test_mask], speaker_test, batch_size=len(speaker_test), verbose=0
    )
    return accuracy, seconds


runtime.set_seed(args.seed)
gru_speaker = speaker_model(lambda x, m: recurrent.GRU(VOWEL_UNITS)(x, mask=m))
gru_accuracy, gru_seconds = train_speakers(gru_speaker)
print(
    f"GRU ({VOWEL_UNITS} units): test accuracy {gru_accuracy:.3f} on {len(vowel_test)} "
    f"utterances, trained in {gru_seconds:.1f} s"
)
runtime.check_bar(
    "Japanese Vowels test accuracy (GRU, many-to-one)",
    gru_accuracy,
    ">=",
    0.95,
    needs_training=True,
)

# %%
# 7. Stacked and bidirectional variants
# -------------------------------------
#
# Stacking feeds the sequence of states of one layer to the next
# (``return_sequences=True``). The bidirectional layer of deck 003 runs a
# second copy backwards and merges the two readings at each step: concatenate,
# sum, average or **max** (deck 003's list; Keras's ``Bidirectional`` has no
# max, ``recurrent.Bidirectional`` does). The same task, one row per variant:

U = VOWEL_UNITS
variants = {
    "SimpleRNN": lambda x, m: recurrent.SimpleRNN(U)(x, mask=m),
    "LSTM": lambda x, m: recurrent.LSTM(U)(x, mask=m),
    "GRU": None,
    "stacked GRU x2": lambda x, m: recurrent.GRU(U)(
        recurrent.GRU(U, return_sequences=True)(x, mask=m), mask=m
    ),
    "bidirectional GRU, concat": lambda x, m: recurrent.Bidirectional(
        recurrent.GRU(U), merge_mode="concat"
    )(x, mask=m),
    "bidirectional GRU, max": lambda x, m: recurrent.Bidirectional(
        recurrent.GRU(U), merge_mode="max"
    )(x, mask=m),
}
if args.quick:  # a smoke run trains two variants: a stacked one and a bidirectional one
    variants = {
        k: variants[k] for k in ("GRU", "stacked GRU x2", "bidirectional GRU, max")
    }
variant_rows = []
for name, make in variants.items():
    if make is None:
        model, (accuracy, seconds) = gru_speaker, (gru_accuracy, gru_seconds)
    else:
        runtime.set_seed(args.seed)
        model = speaker_model(make)
        accuracy, seconds = train_speakers(model)
    variant_rows.append((name, accuracy, model.count_params(), seconds))
print(f"{'variant':28s} {'test accuracy':>14s} {'parameters':>11s} {'train time':>11s}")
for name, accuracy, count, seconds in variant_rows:
    print(f"{name:28s} {accuracy:14.3f} {count:11d} {seconds:10.1f}s")

# %%
# 8. Many-to-many: forecasting the sunspot cycle
# ----------------------------------------------
#
# The yearly sunspot numbers of chapter 1 (1700-2008) are split in time
# (70 / 15 / 15 %), scaled on the training years, and cut into windows whose
# target is the window shifted one year ahead: at every step the network
# predicts next year's number. The recurrence is causal, so on the test years
# it reads the whole past and each forecast uses only years before it; the
# naive forecast repeats the last value.

sunspots = data.load("sunspots")
spots = sunspots.values.astype("float32")  # (T,)
spots_train, spots_val, spots_test = sequences.chronological_split(spots, 0.7, 0.15)
spot_scaler = sequences.StandardScaler().fit(spots_train)
scaled_spots = spot_scaler.transform(spots)  # (T,)
n_train, n_val = len(spots_train), len(spots_val)
train_x, train_y = sequences.sliding_windows(
    scaled_spots[:n_train], SUNSPOT_WINDOW, many_to_many=True
)
print(
    f"{len(spots)} years: {n_train} train, {n_val} validation, {len(spots_test)} test; "
    f"{len(train_x)} training windows of {SUNSPOT_WINDOW} years"
)

runtime.set_seed(args.seed)
forecaster = keras.Sequential(
    [
        keras.Input((None, 1)),
        recurrent.GRU(SUNSPOT_UNITS, return_sequences=True),
        keras.layers.Dense(1),
    ]
)
forecaster.compile(keras.optimizers.Adam(3e-3), "mae")


def one_step_forecasts(model):
    """Next-year forecasts for every year from the whole scaled series (causal)."""
    scaled = ops.convert_to_numpy(model.predict_on_batch(scaled_spots[None, :, None]))
    scaled = scaled[0, :, 0]  # (T,)
    return spot_scaler.inverse_transform(scaled)  # year t + 1's, made at year t


training.build_for_fit(forecaster, train_x)
best_val, best_weights = np.inf, None
for _round in range(SUNSPOT_ROUNDS):  # keep the weights with the best validation MAE
    forecaster.fit(
        train_x, train_y, batch_size=BATCH_SIZE, epochs=10, verbose=args.verbose
    )
    forecasts = one_step_forecasts(forecaster)
    val_mae = np.abs(
        forecasts[n_train - 1 : n_train + n_val - 1] - spots[n_train : n_train + n_val]
    ).mean()
    if val_mae < best_val:
        best_val, best_weights = val_mae, forecaster.get_weights()
forecaster.set_weights(best_weights)
forecasts = one_step_forecasts(forecaster)
test_start = n_train + n_val
learned_mae = np.abs(forecasts[test_start - 1 : -1] - spots[test_start:]).mean()
naive_mae = np.abs(spots[test_start - 1 : -1] - spots[test_start:]).mean()
print(
    f"test years {sunspots.times[test_start]}-{sunspots.times[-1]}: "
    f"GRU MAE {learned_mae:.2f}, naive MAE {naive_mae:.2f}, "
    f"ratio {learned_mae / naive_mae:.3f}"
)
runtime.check_bar(
    "sunspots test MAE: GRU / naive",
    learned_mae / naive_mae,
    "<=",
    0.9,
    needs_training=True,
)

figure, axes = plotting.new_axes(width=10.0, height=3.2)
years = sunspots.times
axes.plot(
    years[test_start - 40 :], spots[test_start - 40 :], label="observed", color="black"
)
axes.plot(
    years[test_start:], forecasts[test_start - 1 : -1], label="GRU, one year ahead"
)
axes.plot(years[test_start:], spots[test_start - 1 : -1], label="naive", linestyle="--")
axes.axvline(years[test_start], color="grey", linewidth=0.8)
plotting.label(
    axes,
    "Sunspots: one-year-ahead forecasts on the test years",
    "year",
    "sunspot number",
    legend=True,
)
runtime.show(figure, "sunspot_forecasts")

# %%
# 9. One-to-many: a sequence from one vector
# ------------------------------------------
#
# Deck 003's one-to-many shape (image captioning) starts from a single input.
# Here the input is a vector :math:`v = (a, \omega, \varphi)` and the target
# the sequence :math:`y_t = a \sin(\omega t + \varphi)`, :math:`t = 0..39`:
# the vector sets the initial state :math:`h_0 = \tanh(W v + b)`, and the
# network then runs on its own: its only inputs are the clock :math:`t / T`
# (``recurrent.Clock``).


def sine_family(n, seed):
    params_rng = np.random.default_rng(seed)
    amplitude = params_rng.uniform(0.5, 1.5, n)
    frequency = params_rng.uniform(0.15, 0.45, n)
    phase = params_rng.uniform(0.0, np.pi, n)
    steps = np.arange(ONE_TO_MANY_STEPS)
    curves = amplitude[:, None] * np.sin(frequency[:, None] * steps + phase[:, None])
    vectors = np.stack([amplitude, frequency, phase], axis=1)
    return vectors.astype("float32"), curves[..., None].astype("float32")


vectors_train, curves_train = sine_family(ONE_TO_MANY_TRAIN, seed=1)
vectors_test, curves_test = sine_family(500, seed=2)
runtime.set_seed(args.seed)
vector = keras.Input((3,))
initial = keras.layers.Dense(48, activation="tanh")(vector)  # h_0 = tanh(W v + b)
decoded = recurrent.GRU(48, return_sequences=True)(
    recurrent.Clock(ONE_TO_MANY_STEPS)(vector), initial_state=[initial]
)
generator = keras.Model(vector, keras.layers.Dense(1)(decoded))
generator.compile(keras.optimizers.Adam(3e-3), "mse")
training.build_for_fit(generator, vectors_train)
generator.fit(
    vectors_train,
    curves_train,
    batch_size=64,
    epochs=ONE_TO_MANY_EPOCHS,
    verbose=args.verbose,
)
generated = ops.convert_to_numpy(generator(vectors_test))
one_to_many_mse = float(np.mean((generated - curves_test) ** 2))
print(
    f"one-to-many test MSE {one_to_many_mse:.4f} "
    f"(variance of the targets {curves_test.var():.3f})"
)

figure, all_axes = plotting.new_axes(ncols=3, width=3.8, height=2.8)
for axes, k in zip(all_axes, range(3), strict=True):
    axes.plot(curves_test[k, :, 0], color="black", label="target")
    axes.plot(generated[k, :, 0], label="generated")
    a, w, p = vectors_test[k]
    plotting.label(axes, f"v = ({a:.2f}, {w:.2f}, {p:.2f})", "t", "y_t", legend=k == 0)
runtime.show(figure, "one_to_many_sines")

# %%
# 10. Long memory: the adding problem
# -----------------------------------
#
# Hochreiter & Schmidhuber's (1997) adding problem: 100 steps of two features,
# a random value and a marker that is 1 at two steps; the target is the sum of
# the two marked values. The markers can be 99 steps before the end, so the
# network must hold a value that long. In theory, predicting the mean scores
# the variance of the sum of two uniform values, :math:`2 \times 1/12 = 1/6`;
# the MSE measured on this test set is printed below. LSTM and GRU stop
# training once their validation MSE is below 0.005 (half the bar), or after a
# maximum number of epochs; the tanh RNN and the IRNN get a fixed, shorter
# budget (the figure of section 11 shows why more epochs would not help the
# tanh RNN).

adding_x, adding_y = data.load(
    "adding_problem", n=ADDING_TRAIN, length=ADDING_STEPS, seed=args.seed
)
adding_test_x, adding_test_y = data.load(
    "adding_problem", n=1000, length=ADDING_STEPS, seed=args.seed + 1
)
trivial_mse = float(np.mean((adding_test_y - adding_y.mean()) ** 2))
print(f"predicting the training mean: test MSE {trivial_mse:.3f}")


adding_cells = {
    "tanh RNN": lambda: recurrent.SimpleRNNCell(ADDING_UNITS),
    "IRNN": lambda: recurrent.irnn_cell(ADDING_UNITS),
    "LSTM": lambda: recurrent.LSTMCell(ADDING_UNITS),
    "GRU": lambda: recurrent.GRUCell(ADDING_UNITS),
}
adding_models, adding_initial_weights, adding_results = {}, {}, {}
for name, make_cell in adding_cells.items():
    runtime.set_seed(args.seed)
    model = keras.Sequential(
        [
            keras.Input((ADDING_STEPS, 2)),
            recurrent.FastRNN(make_cell()),
            keras.layers.Dense(1),
        ]
    )
    adding_initial_weights[name] = model.get_weights()
    gated = name in ("LSTM", "GRU")
    learning_rate = 1e-2 if gated else 1e-3  # the ungated nets diverge at 1e-2
    model.compile(keras.optimizers.Adam(learning_rate, clipnorm=1.0), "mse")
    training.build_for_fit(model, adding_x)
    start = time.perf_counter()
    history = model.fit(
        adding_x,
        adding_y,
        batch_size=BATCH_SIZE,
        epochs=ADDING_MAX_EPOCHS if gated else ADDING_BASELINE_EPOCHS,
        validation_data=(adding_test_x[:500], adding_test_y[:500]),
        validation_batch_size=500,
        callbacks=[training.StopBelow(0.005)] if gated else [],
        verbose=args.verbose,
    )
    test_mse = float(
        model.evaluate(
            adding_test_x[500:], adding_test_y[500:], batch_size=500, verbose=0
        )
    )
    adding_models[name] = model
    adding_results[name] = (
        test_mse,
        len(history.history["loss"]),
        time.perf_counter() - start,
    )
print(f"{'cell':10s} {'test MSE':>9s} {'epochs':>7s} {'time':>7s}")
for name, (mse, epochs, seconds) in adding_results.items():
    print(f"{name:10s} {mse:9.4f} {epochs:7d} {seconds:6.1f}s")
for name, comparison, bar in [
    ("LSTM", "<", 0.01),
    ("GRU", "<", 0.01),
    ("tanh RNN", ">", 0.1),
]:
    runtime.check_bar(
        f"adding problem T={ADDING_STEPS}: {name} test MSE",
        adding_results[name][0],
        comparison,
        bar,
        needs_training=True,
    )

# %%
# 11. Vanishing and exploding gradients
# -------------------------------------
#
# How much does the loss at the end still feel the state :math:`h_t` of step
# :math:`t`? :math:`\partial L / \partial h_t` is a product of :math:`T - t`
# Jacobians. To measure it without backend-specific code, a zero "probe"
# :math:`p_t` is added to each state inside the recurrence,
# :math:`h_t \leftarrow h_t + p_t`; then :math:`\partial L / \partial p_t =
# \partial L / \partial h_t`, and one SGD step with learning rate 1 writes it
# into :math:`p`. ``recurrent.ProbedRNN`` runs a trained cell this way:

print(inspect.getsource(recurrent.ProbedRNN.call))

# %%
# Each trained model of section 10, and the same model at its initial
# weights, is probed on a batch of test sequences:

PROBE_BATCH = 64
probe_x, probe_y = adding_test_x[:PROBE_BATCH], adding_test_y[:PROBE_BATCH]


def per_sequence_squared_error(y_true, y_pred):
    """L_b = (y_b - target_b)^2 per sequence: Keras's batch mean is undone."""
    return ops.sum(ops.square(y_pred - y_true), axis=-1) * PROBE_BATCH


def state_gradient_norms(probed):
    """Mean over the batch of ||dL_b/dh_t||, t = 1..T, with the probed model."""
    grads = training.sgd_gradients(probed, probe_x, probe_y, per_sequence_squared_error)
    probe_index = [
        i for i, w in enumerate(probed.trainable_weights) if w.name == "probe"
    ][0]
    return probed.layers[0].state_gradient_norms(grads[probe_index])  # (T,)


trained_weights = {name: m.get_weights() for name, m in adding_models.items()}
norms = {}
for name, model in adding_models.items():
    cell, head = model.layers[0].cell, model.layers[1]  # shared with the trained model
    probed = keras.Sequential(
        [
            keras.Input((ADDING_STEPS, 2), batch_size=PROBE_BATCH),
            recurrent.ProbedRNN(cell, PROBE_BATCH, ADDING_STEPS),
            head,
        ]
    )
    model.set_weights(adding_initial_weights[name])
    norms[name, "initialisation"] = state_gradient_norms(probed)
    model.set_weights(trained_weights[name])
    norms[name, "trained"] = state_gradient_norms(probed)
share_at_start = {  # ||dL/dh_1|| / ||dL/dh_T||: how much of the gradient reaches step 1
    key: gradient_norms[0] / gradient_norms[-1] for key, gradient_norms in norms.items()
}

figure, all_axes = plotting.new_axes(ncols=2, width=5.4, height=3.6, sharey=True)
distance = ADDING_STEPS - np.arange(1, ADDING_STEPS + 1)  # T - t
moment_titles = {"initialisation": "at initialisation", "trained": "after training"}
for axes, moment in zip(all_axes, moment_titles, strict=True):
    for name in adding_models:
        axes.semilogy(distance, norms[name, moment] + 1e-30, label=name)
    plotting.label(
        axes,
        f"||dL/dh_t|| {moment_titles[moment]}",
        "distance to the loss T - t",
        "mean norm",
        legend=True,
    )
runtime.show(figure, "state_gradients")
print(f"{'||dL/dh_1|| / ||dL/dh_T||':26s} {'at initialisation':>18s} {'trained':>9s}")
for name in adding_models:
    initial_share = share_at_start[name, "initialisation"]
    print(f"{name:26s} {initial_share:18.1e} {share_at_start[name, 'trained']:9.1e}")

# %%
# At initialisation the gated cells' gradients fade as well: a forget gate
# near :math:`\sigma(1) \approx 0.73`, multiplied over 100 steps, leaves
# little. Training on a task that needs step 1 opens the path: the trained
# LSTM and GRU keep a far larger share of the gradient at the start of the
# sequence, while the tanh RNN's share shrinks further. The IRNN keeps its
# gradient from the start, the point of deck 003's identity initialisation.
# The bars check each of these claims:

for name, comparison, bar in [
    ("LSTM", ">", 100.0),
    ("GRU", ">", 100.0),
    ("tanh RNN", "<", 1.0),
]:
    runtime.check_bar(
        f"{name}: ||dL/dh_1|| / ||dL/dh_T||, trained / at initialisation",
        share_at_start[name, "trained"] / share_at_start[name, "initialisation"],
        comparison,
        bar,
        needs_training=True,
    )
runtime.check_bar(
    "IRNN at initialisation: ||dL/dh_1|| / ||dL/dh_T||",
    share_at_start["IRNN", "initialisation"],
    ">",
    0.1,
)

# %%
# **Exploding gradients and clipping.** The IRNN is the exploding case: with
# :math:`W_{hh} = I` and ReLU its state adds up the inputs and nothing damps
# the backward product, so single gradients can be very large (the norm on the
# first batch is printed below). Plain SGD then jumps out of any sensible
# region; clipping bounds each step, either by the norm of the whole gradient
# (``global_clipnorm``, :math:`g \leftarrow g \cdot \min(1, c / \lVert g
# \rVert)`) or element by element (``clipvalue``, :math:`g_i \leftarrow
# \max(-c, \min(c, g_i))`). Same initial weights, same batches, one epoch of
# SGD with learning rate 0.05 (its number of steps is in the table's header):

exploding_rows = []
for label, options in [
    ("no clipping", {}),
    ("clip by norm (global, c = 1)", {"global_clipnorm": 1.0}),
    ("clip by value (c = 0.1)", {"clipvalue": 0.1}),
]:
    runtime.set_seed(args.seed)
    model = keras.Sequential(
        [
            keras.Input((ADDING_STEPS, 2)),
            recurrent.FastRNN(recurrent.irnn_cell(ADDING_UNITS)),
            keras.layers.Dense(1),
        ]
    )
    if not exploding_rows:
        first_grads = training.sgd_gradients(
            model, adding_x[:BATCH_SIZE], adding_y[:BATCH_SIZE], "mse"
        )
        first_norm = float(
            np.sqrt(sum(np.sum(g.astype("float64") ** 2) for g in first_grads))
        )
    model.compile(keras.optimizers.SGD(0.05, **options), "mse")
    start_mse = float(
        model.evaluate(adding_test_x, adding_test_y, batch_size=1000, verbose=0)
    )
    model.fit(
        adding_x[:CLIPPING_TRAIN],
        adding_y[:CLIPPING_TRAIN],
        batch_size=BATCH_SIZE,
        epochs=1,
        verbose=args.verbose,
    )
    final = float(
        model.evaluate(adding_test_x, adding_test_y, batch_size=1000, verbose=0)
    )
    exploding_rows.append((label, start_mse, final))
clipping_steps = int(np.ceil(CLIPPING_TRAIN / BATCH_SIZE))
print(f"gradient norm on the first batch: {first_norm:.3g}")
after_header = f"after {clipping_steps} SGD steps"
print(f"{'training':30s} {'test MSE before':>16s} {after_header:>19s}")
for label, start_mse, final in exploding_rows:
    print(f"{label:30s} {start_mse:16.4g} {final:19.4g}")
runtime.check_bar(
    "IRNN + SGD with clipping by norm: test MSE",
    exploding_rows[1][2],
    "<",
    1.0,
    needs_training=True,
)

# %%
# Run report
# ----------

runtime.report()

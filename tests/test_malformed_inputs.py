"""Every public function and layer meets one malformed input with a clear error.

One row per public name of every package (``__all__``): a call with a bad
argument, the exception type, and a pattern that must name the argument and
show what was received. ``test_every_public_name_has_a_row`` keeps the table
complete: a new public name fails it until its row is written.
"""

import importlib

import keras
import numpy as np
import pytest

import companion
from companion import (
    checks,
    classifiers,
    data,
    decoding,
    embeddings,
    finetune,
    lm,
    metrics,
    plotting,
    recurrent,
    runtime,
    scaling,
    seq2seq,
    sequences,
    text,
    training,
    transformer,
    vision,
)

INTS = np.array([[1, 2]])
SEQUENCES = np.zeros((2, 3, 4), "float32")


def _model():
    return keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(5, 5)])


# (callable with a malformed input, exception type, pattern naming the argument and the value)
ROWS = {
    # checks
    "checks.check_int": (lambda: checks.check_int("n", "3"), TypeError, r"n must be an int.*'3'"),
    "checks.check_float": (lambda: checks.check_float("x", None), TypeError, "x must be a number"),
    "checks.check_bool": (
        lambda: checks.check_bool("b", "yes"),
        TypeError,
        r"b must be a bool.*'yes'",
    ),
    "checks.check_choice": (
        lambda: checks.check_choice("m", "x", ("a",)),
        ValueError,
        r"m must be one of 'a' \(got m='x'\)",
    ),
    "checks.check_text": (lambda: checks.check_text("t", 3), TypeError, "t must be a str"),
    "checks.check_texts": (lambda: checks.check_texts("t", 3), TypeError, "t must be a str or"),
    "checks.check_tokens": (lambda: checks.check_tokens("t", [1]), TypeError, r"t\[0\]=1"),
    "checks.check_ids": (lambda: checks.check_ids("i", [5], 3), ValueError, r"i\[0\]=5"),
    "checks.is_numeric": (
        lambda: checks.is_numeric("float"),
        TypeError,
        "dtype must be a NumPy dtype",
    ),
    "checks.as_numeric_array": (
        lambda: checks.as_numeric_array("a", ["x"]),
        TypeError,
        "a must hold numbers",
    ),
    "checks.check_finite": (
        lambda: checks.check_finite("a", np.array([np.nan])),
        ValueError,
        "a must be finite",
    ),
    "checks.check_rank": (
        lambda: checks.check_rank("a", (1,), 2, "(b, f)"),
        ValueError,
        r"a must have shape \(b, f\)",
    ),
    "checks.check_last_dim": (
        lambda: checks.check_last_dim("a", (1, 2), 3, "f"),
        ValueError,
        "a must have 3 f",
    ),
    "checks.check_activation": (
        lambda: checks.check_activation("act", "nope"),
        ValueError,
        "act must be the name",
    ),
    "checks.concrete_values": (
        lambda: checks.concrete_values("x"),
        TypeError,
        "tensor must be a tensor",
    ),
    # runtime
    "runtime.available_cores": None,  # no arguments
    "runtime.check_backend": (
        lambda: runtime.check_backend("mxnet"),
        ValueError,
        "backend must be one of",
    ),
    "runtime.check_bar": (
        lambda: runtime.check_bar("q", 1.0, "=", 1.0),
        ValueError,
        "comparison must be one of",
    ),
    "runtime.configure_threads": None,  # no arguments; COMPANION_THREADS: see thread_budget
    "runtime.in_book_build": None,  # no arguments
    "runtime.parse_args": (
        lambda: runtime.parse_args("T.", argv=["--backend", "x"]),
        ValueError,
        "backend must be one of",
    ),
    "runtime.report": (
        lambda: runtime.report(start_time="now"),
        TypeError,
        "start_time must be a number",
    ),
    "runtime.run_report": (
        lambda: runtime.run_report(start_time="now"),
        TypeError,
        "start_time must be a number",
    ),
    "runtime.select_backend": (
        lambda: runtime.select_backend("x"),
        ValueError,
        "backend must be one of",
    ),
    "runtime.set_seed": (lambda: runtime.set_seed(-1), ValueError, "seed must be an int >= 0"),
    "runtime.show": (
        lambda: runtime.show("figure", "name"),
        TypeError,
        "figure must be a matplotlib Figure",
    ),
    "runtime.thread_budget": None,  # no arguments; tested with a bad COMPANION_THREADS
    "runtime.ChapterArgs": (
        lambda: runtime.parse_args("T.", argv=[]).pick(quick=1),
        TypeError,
        "default",
    ),
    # data
    "data.TimeSeries": (
        lambda: data.load("sunspots").column("spots"),
        ValueError,
        "column must be one of",
    ),
    "data.datasets_table_rst": None,  # no arguments
    "data.default_cache_dir": None,  # no arguments
    "data.describe": (lambda: data.describe("sunspot"), ValueError, "got name='sunspot'"),
    "data.fetch": (lambda: data.fetch("sunspots"), ValueError, "name must be an online dataset"),
    "data.list_datasets": (
        lambda: data.list_datasets(offline="yes"),
        TypeError,
        "offline must be a bool",
    ),
    "data.load": (lambda: data.load("sine", length=0), ValueError, r"length must be an int >= 1"),
    "data.parse_imdb_npz": (
        lambda: data.parse_imdb_npz("missing.npz"),
        FileNotFoundError,
        "missing.npz",
    ),
    "data.parse_jena_climate": (
        lambda: data.parse_jena_climate("missing.csv"),
        FileNotFoundError,
        "missing.csv",
    ),
    "data.parse_text": (lambda: data.parse_text("missing.txt"), FileNotFoundError, "missing.txt"),
    "data.read_ts": (lambda: data.read_ts("missing.ts"), FileNotFoundError, "missing.ts"),
    # sequences
    "sequences.StandardScaler": (
        lambda: sequences.StandardScaler().transform([1.0]),
        ValueError,
        "must be fitted first",
    ),
    "sequences.chronological_split": (
        lambda: sequences.chronological_split(np.arange(10), train=1.5),
        ValueError,
        r"train must be in \(0, 1\)",
    ),
    "sequences.pad_sequences": (
        lambda: sequences.pad_sequences([[1]], maxlen=0),
        ValueError,
        "maxlen=0",
    ),
    "sequences.sliding_windows": (
        lambda: sequences.sliding_windows([1.0, np.nan, 2.0], 1),
        ValueError,
        "series must be finite",
    ),
    # text
    "text.BytePairTokenizer": (
        lambda: text.BytePairTokenizer({}, []),
        ValueError,
        "vocabulary must hold all 256 byte symbols",
    ),
    "text.CharTokenizer": (
        lambda: text.CharTokenizer("ab").decode([99]),
        ValueError,
        r"ids\[0\]=99",
    ),
    "text.Vocabulary": (lambda: text.Vocabulary(["a"]).id_to_token(5), ValueError, "got id=5"),
    "text.WordTokenizer": (
        lambda: text.WordTokenizer(["a"], min_count=0),
        ValueError,
        "min_count=0",
    ),
    "text.bag_of_words": (lambda: text.bag_of_words([1, 2], 5), ValueError, r"ids must be 2-D"),
    "text.bytes_to_unicode": None,  # no arguments
    "text.char_tokens": (lambda: text.char_tokens(["a"]), TypeError, "text must be a str"),
    "text.learn_bpe_merges": (
        lambda: text.learn_bpe_merges({"ab": 1}, -1),
        ValueError,
        "num_merges=-1",
    ),
    "text.normalize_text": (lambda: text.normalize_text(None), TypeError, "text must be a str"),
    "text.one_hot": (lambda: text.one_hot([3], 3), ValueError, r"ids must be ids in \[0, 3\)"),
    "text.pretokenize": (lambda: text.pretokenize(b"x"), TypeError, "text must be a str"),
    "text.word_tokens": (lambda: text.word_tokens(1), TypeError, "text must be a str"),
    # recurrent
    "recurrent.BPTTResult": None,  # a result record, built by rnn_bptt_numpy
    "recurrent.Bidirectional": (
        lambda: recurrent.Bidirectional(keras.layers.Dense(2)),
        TypeError,
        "layer must be a recurrent",
    ),
    "recurrent.CellLayer": (lambda: recurrent.CellLayer(4), TypeError, "cell_class"),
    "recurrent.Clock": (lambda: recurrent.Clock(0), ValueError, "steps must be an int >= 1"),
    "recurrent.FastRNN": (
        lambda: recurrent.FastRNN(recurrent.GRUCell(2))(np.zeros((2, 3), "float32")),
        ValueError,
        "inputs must have shape",
    ),
    "recurrent.GRU": (
        lambda: recurrent.GRU(2, reset_after="yes"),
        TypeError,
        "reset_after must be a bool",
    ),
    "recurrent.GRUCell": (lambda: recurrent.GRUCell(2.5), TypeError, r"units must be an int.*2.5"),
    "recurrent.LSTM": (lambda: recurrent.LSTM(-1), ValueError, "units=-1"),
    "recurrent.LSTMCell": (
        lambda: recurrent.LSTMCell(2, peephole=1),
        TypeError,
        "peephole must be a bool",
    ),
    "recurrent.ProbedRNN": (
        lambda: recurrent.ProbedRNN(recurrent.GRUCell(2), 0, 3),
        ValueError,
        "batch_size=0",
    ),
    "recurrent.RecurrentCell": (
        lambda: recurrent.RecurrentCell(2).step(None, []),
        NotImplementedError,
        "RecurrentCell must implement step",
    ),
    "recurrent.SimpleRNN": (
        lambda: recurrent.SimpleRNN(3, dropout=1.0),
        ValueError,
        "dropout must be",
    ),
    "recurrent.SimpleRNNCell": (
        lambda: recurrent.SimpleRNNCell(3, activation=3),
        ValueError,
        "activation must be",
    ),
    "recurrent.convert_gru_weights": (
        lambda: recurrent.convert_gru_weights([]),
        ValueError,
        "got a list of 0",
    ),
    "recurrent.irnn_cell": (lambda: recurrent.irnn_cell(0), ValueError, "units=0"),
    "recurrent.parameter_count": (
        lambda: recurrent.parameter_count("gru", 2, 0),
        ValueError,
        "input_dim=0",
    ),
    "recurrent.rnn_bptt_numpy": (
        lambda: recurrent.rnn_bptt_numpy(SEQUENCES[0], None, *[None] * 5),
        ValueError,
        r"inputs must have shape \(batch, time, features\)",
    ),
    "recurrent.rnn_forward_numpy": (
        lambda: recurrent.rnn_forward_numpy(SEQUENCES[0], *[None] * 5),
        ValueError,
        r"inputs must have shape \(batch, time, features\)",
    ),
    "recurrent.run_recurrence": (
        lambda: recurrent.run_recurrence(None, SEQUENCES[0], []),
        ValueError,
        r"projected must have shape \(batch, time",
    ),
    # embeddings
    "embeddings.OneHotEmbedding": (
        lambda: embeddings.OneHotEmbedding(4, 2)(np.array([[4]])),
        ValueError,
        r"ids\[\(0, 0\)\]=4",
    ),
    "embeddings.SkipGram": (lambda: embeddings.SkipGram(0, 2), ValueError, "vocabulary_size=0"),
    "embeddings.analogy": (
        lambda: embeddings.analogy(np.eye(4), 0, 1, 9),
        ValueError,
        r"c must be an int in \[0, 3\]",
    ),
    "embeddings.nearest_neighbours": (
        lambda: embeddings.nearest_neighbours(np.eye(8), np.ones(3)),
        ValueError,
        "query must have 8 values",
    ),
    "embeddings.pca_2d": (
        lambda: embeddings.pca_2d(np.ones((1, 3))),
        ValueError,
        r"vectors must be \(N, d\) with N >= 2",
    ),
    "embeddings.skipgram_examples": (
        lambda: embeddings.skipgram_examples([1, 2], [1.0], 2),
        ValueError,
        r"ids\[0\]=1",
    ),
    # lm
    "lm.NGramLanguageModel": (
        lambda: lm.NGramLanguageModel(9, 5),
        ValueError,
        "order must be <= 8",
    ),
    "lm.build_language_model": (
        lambda: lm.build_language_model(10, cell="transformer"),
        ValueError,
        "cell must be one of",
    ),
    "lm.perplexity": (
        lambda: lm.perplexity([0.5]),
        ValueError,
        "log_probs must be natural-log probabilities",
    ),
    "lm.sequence_log_probs": (
        lambda: lm.sequence_log_probs(_model(), [[2]]),
        ValueError,
        "at least 2 ids",
    ),
    "lm.shifted_pairs": (
        lambda: lm.shifted_pairs([[1]]),
        ValueError,
        r"padded must be \(N, T\) with T >= 2",
    ),
    "lm.stream_log_probs": (
        lambda: lm.stream_log_probs(_model(), [1, 2], warmup=300),
        ValueError,
        "warmup must be < window",
    ),
    "lm.stream_windows": (lambda: lm.stream_windows([[1, 2, 3]], 2), ValueError, "ids must be 1-D"),
    "lm.token_log_probs": (
        lambda: lm.token_log_probs(_model(), INTS, INTS[:, :1]),
        ValueError,
        "same shape",
    ),
    # classifiers, decoding, training, plotting
    "classifiers.build_text_classifier": (
        lambda: classifiers.build_text_classifier("gru", 10),
        ValueError,
        "kind must be",
    ),
    "decoding.generate_greedy": (
        lambda: decoding.generate_greedy(None, INTS, 0),
        ValueError,
        "steps=0",
    ),
    "decoding.greedy": (
        lambda: decoding.greedy(lambda t, c, i: None, np.array([1, 2])),
        ValueError,
        r"prompt must have shape \(batch, length\), int ids \(got rank 1, shape \(2,\)\)",
    ),
    "decoding.sample": (
        lambda: decoding.sample(lambda t, c, i: None, INTS, temperature=0),
        ValueError,
        r"temperature must be a finite number in \(0, inf\) \(got temperature=0.0\)",
    ),
    "decoding.top_k": (
        lambda: decoding.top_k(lambda t, c, i: None, INTS, k=0),
        ValueError,
        r"k must be an int >= 1 \(got k=0\)",
    ),
    "decoding.top_p": (
        lambda: decoding.top_p(lambda t, c, i: None, INTS, p=0.0),
        ValueError,
        r"p must be a finite number in \(0, 1\] \(got p=0.0\)",
    ),
    "decoding.beam_search": (
        lambda: decoding.beam_search("next", INTS),
        TypeError,
        r"next must be a callable next\(tokens, cache, index\).*\(got str\)",
    ),
    "decoding.filtered_probabilities": (
        lambda: decoding.filtered_probabilities(np.zeros((1, 3)), top_p=1.5),
        ValueError,
        r"top_p must be a finite number in \(0, 1\] \(got top_p=1.5\)",
    ),
    "decoding.gnmt_length_penalty": (
        lambda: decoding.gnmt_length_penalty([1, 2], -1.0),
        ValueError,
        r"alpha must be a finite number in \[0, inf\) \(got alpha=-1.0\)",
    ),
    "decoding.language_model_step": (
        lambda: decoding.language_model_step(keras.layers.Dense(2), INTS),
        TypeError,
        r"model must be a language model with next.*\(got Dense\)",
    ),
    "decoding.seq2seq_step": (
        lambda: decoding.seq2seq_step(seq2seq.Seq2Seq(10, 9), INTS, 0),
        ValueError,
        r"max_length must be an int >= 1 \(got max_length=0\)",
    ),
    "decoding.Generator": (
        lambda: decoding.Generator(seq2seq.Seq2Seq(10, 9), "nucleus", 4),
        ValueError,
        r"strategy must be one of .* \(got strategy='nucleus'\)",
    ),
    "decoding.generate": (
        lambda: decoding.generate(seq2seq.Seq2Seq(10, 9), np.zeros(3, "int32"), max_length=4),
        ValueError,
        r"inputs must be \(N, L\) int ids with N >= 1 \(got shape \(3,\), dtype int32\)",
    ),
    "training.FlattenAll": (
        lambda: training.FlattenAll()([]),
        ValueError,
        "tensors must hold at least one tensor",
    ),
    "training.StopBelow": (
        lambda: training.StopBelow(None),
        TypeError,
        "threshold must be a number",
    ),
    "training.TimeBudget": (
        lambda: training.TimeBudget(0),
        ValueError,
        r"seconds must be a finite number in \(0, inf\) \(got seconds=0.0\)",
    ),
    "training.build_for_fit": (
        lambda: training.build_for_fit(keras.Sequential([keras.layers.Dense(1)]), INTS),
        ValueError,
        r"model must be compiled before build_for_fit, .* call compile\(\) first",
    ),
    "training.sgd_gradients": (
        lambda: training.sgd_gradients("model", INTS, INTS, "mse"),
        TypeError,
        "model must be a keras.Model",
    ),
    "plotting.concise_dates": (
        lambda: plotting.concise_dates(None),
        TypeError,
        "axes must be matplotlib Axes",
    ),
    "plotting.label": (
        lambda: plotting.label("axes", "t", "x", "y"),
        TypeError,
        "axes must be matplotlib Axes",
    ),
    "plotting.new_axes": (lambda: plotting.new_axes(ncols=0), ValueError, "ncols=0"),
    "plotting.plot_history": (
        lambda: plotting.plot_history(None, {"loss": [1]}, metric="acc"),
        ValueError,
        "metric must be one of",
    ),
    "plotting.plot_matrix": (
        lambda: plotting.plot_matrix(None, np.ones(3), "t", "x", "y"),
        ValueError,
        "matrix must have rank 2",
    ),
    "plotting.plot_series": (
        lambda: plotting.plot_series(None, [0], [1.0], ["a", "b"], "t", "x", "y"),
        ValueError,
        "labels must have one entry",
    ),
    # data: chapter 4
    "data.DatePairs": (
        lambda: data.load("dates", n=0),
        ValueError,
        r"n must be an int >= 1 \(got n=0\)",
    ),
    "data.ParallelText": (
        lambda: data.load("bible_pairs", split="dev"),
        ValueError,
        r"split must be one of .* \(got split='dev'\)",
    ),
    "data.book_of": (
        lambda: data.book_of([67001001]),
        ValueError,
        r"verse_ids must be .* \(got 67001001\)",
    ),
    "data.date_formats": (
        lambda: data.date_formats("es"),
        ValueError,
        r"language must be one of 'en', 'fr' \(got language='es'\)",
    ),
    "data.format_date": (
        lambda: data.format_date("2000-01-01", "M/D/YYYY", "en"),
        TypeError,
        r"date must be a datetime.date \(got date='2000-01-01'\)",
    ),
    "data.parse_bible_source": (
        lambda: data.parse_bible_source(3),
        TypeError,
        r"source must be a str \(got int: 3\)",
    ),
    "data.read_bible": (
        lambda: data.read_bible("niv"),
        ValueError,
        r"version must be one of .* \(got version='niv'\)",
    ),
    "data.verse_name": (
        lambda: data.verse_name(1),
        ValueError,
        r"verse_id must be an int >= 1000000 \(got verse_id=1\)",
    ),
    # metrics
    "metrics.Perplexity": (
        lambda: metrics.Perplexity(mask_token_id=-1),
        ValueError,
        r"mask_token_id must be an int >= 0 \(got mask_token_id=-1\)",
    ),
    "metrics.bleu_tokens": (
        lambda: metrics.bleu_tokens("a", tokenize="intl"),
        ValueError,
        r"tokenize must be one of '13a', 'none' \(got tokenize='intl'\)",
    ),
    "metrics.corpus_bleu": (
        lambda: metrics.corpus_bleu(["a"], ["a", "b"]),
        ValueError,
        r"references must hold one item per hypothesis \(got 2 references for 1",
    ),
    "metrics.distinct_n": (
        lambda: metrics.distinct_n(["abc"], 0),
        ValueError,
        r"n must be an int >= 1 \(got n=0\)",
    ),
    "metrics.pinc": (
        lambda: metrics.pinc(["a"], ["a", "b"]),
        ValueError,
        r"outputs must hold one output per source \(got 2 outputs for 1",
    ),
    "metrics.sentence_bleu": (
        lambda: metrics.sentence_bleu(["a"], "a"),
        TypeError,
        r"hypothesis must be a str \(got list",
    ),
    "metrics.sentence_pinc": (
        lambda: metrics.sentence_pinc("a", "a", max_order=0),
        ValueError,
        r"max_order must be an int >= 1 \(got max_order=0\)",
    ),
    "metrics.token_perplexity": (
        lambda: metrics.token_perplexity(np.zeros((1, 2, 3)), INTS, np.zeros((1, 2))),
        ValueError,
        r"mask must keep at least one token \(got a mask summing to 0.0",
    ),
    # seq2seq
    "seq2seq.BahdanauAttention": (
        lambda: seq2seq.BahdanauAttention(0),
        ValueError,
        r"units must be an int >= 1 \(got units=0\)",
    ),
    "seq2seq.LuongAttention": (
        lambda: seq2seq.LuongAttention("cosine"),
        ValueError,
        r"score must be one of .*\(got score='cosine'\)",
    ),
    "seq2seq.make_attention": (
        lambda: seq2seq.make_attention("luong", 4),
        ValueError,
        r"attention must be one of .*\(got attention='luong'\)",
    ),
    "seq2seq.masked_softmax": (
        lambda: seq2seq.masked_softmax(np.zeros((1, 2, 3)), np.ones((1, 2, 4), bool)),
        ValueError,
        r"mask must have shape .*\(got .*shape \(1, 2, 4\)",
    ),
    "seq2seq.RecurrentEncoder": (
        lambda: seq2seq.RecurrentEncoder(10, 4, 6, cell="rnn"),
        ValueError,
        r"cell must be one of 'gru', 'lstm' \(got cell='rnn'\)",
    ),
    "seq2seq.RecurrentDecoder": (
        lambda: seq2seq.RecurrentDecoder(10, 4, 6, attention="concat"),
        ValueError,
        r"attention must be one of .*\(got attention='concat'\)",
    ),
    "seq2seq.Seq2Seq": (
        lambda: seq2seq.Seq2Seq(10, 9)(INTS),
        ValueError,
        r"inputs must be a tuple \(source_ids, decoder_inputs\).*got",
    ),
    "seq2seq.LengthBuckets": (
        lambda: seq2seq.LengthBuckets(INTS, INTS, np.ones((3, 2), int), batch_size=2),
        ValueError,
        r"labels must have one row per source sentence, 1 \(got 3 rows\)",
    ),
    "seq2seq.GreedyTranslator": (
        lambda: seq2seq.GreedyTranslator(keras.layers.Dense(2), 3),
        TypeError,
        r"seq2seq must be a companion encoder-decoder model .*\(got Dense\)",
    ),
    "seq2seq.greedy_translate": (
        lambda: seq2seq.greedy_translate(seq2seq.Seq2Seq(10, 9), np.zeros(3), 4),
        ValueError,
        r"source_ids must be \(N, S\) ids \(got shape \(3,\)\)",
    ),
    "seq2seq.teacher_forcing_pairs": (
        lambda: seq2seq.teacher_forcing_pairs(np.zeros((2, 1))),
        ValueError,
        r"target_ids must be \(N, T\) ids with T >= 2.*\(got shape \(2, 1\)\)",
    ),
    # transformer
    "transformer.padding_mask": (
        lambda: transformer.padding_mask(np.array([5, 6, 0])),
        ValueError,
        r"ids must have shape \(batch, time\) \(got rank 1, shape \(3,\)\)",
    ),
    "transformer.causal_mask": (
        lambda: transformer.causal_mask(0),
        ValueError,
        r"query_length must be an int >= 1 \(got query_length=0\)",
    ),
    "transformer.attention_mask": (
        lambda: transformer.attention_mask(None),
        ValueError,
        r"attention_mask needs key_padding_mask or query_length .*\(got both None\)",
    ),
    "transformer.mask_table": (
        lambda: transformer.mask_table(np.ones((3, 3), bool), ["a", "b"]),
        ValueError,
        r"mask must have shape .* = \(2, 2\) \(got shape \(3, 3\)\)",
    ),
    "transformer.scaled_dot_product_attention": (
        lambda: transformer.scaled_dot_product_attention(SEQUENCES, SEQUENCES, SEQUENCES),
        ValueError,
        r"query must have shape \(batch, time, heads, features\) \(got rank 3",
    ),
    "transformer.masked_attention_softmax": (
        lambda: transformer.masked_attention_softmax(SEQUENCES, np.ones((1, 2, 3, 4), bool)),
        ValueError,
        r"mask must be broadcastable .*\(got mask of shape \(1, 2, 3, 4\)\)",
    ),
    "transformer.MultiHeadAttention": (
        lambda: transformer.MultiHeadAttention(0, 4),
        ValueError,
        r"num_heads must be an int >= 1 \(got num_heads=0\)",
    ),
    "transformer.SinusoidalPositionEncoding": (
        lambda: transformer.SinusoidalPositionEncoding(max_wavelength="long"),
        TypeError,
        r"max_wavelength must be a number \(got max_wavelength='long'",
    ),
    "transformer.PositionEmbedding": (
        lambda: transformer.PositionEmbedding(2)(SEQUENCES),
        ValueError,
        r"inputs must have at most sequence_length=2 steps \(got shape \(2, 3, 4\)\)",
    ),
    "transformer.TokenAndPositionEmbedding": (
        lambda: transformer.TokenAndPositionEmbedding(10, 4, 8, positions="rotary"),
        ValueError,
        r"positions must be one of 'learned', 'sinusoidal' \(got positions='rotary'\)",
    ),
    "transformer.TransformerEncoderBlock": (
        lambda: transformer.TransformerEncoderBlock(0, 2),
        ValueError,
        r"intermediate_dim must be an int >= 1 \(got intermediate_dim=0\)",
    ),
    "transformer.TransformerDecoderBlock": (
        lambda: transformer.TransformerDecoderBlock(8, 2, cross_attention="yes"),
        TypeError,
        r"cross_attention must be a bool \(got cross_attention='yes'",
    ),
    "transformer.TransformerEncoder": (
        lambda: transformer.TransformerEncoder(10, 8, hidden_dim=6, num_heads=4),
        ValueError,
        r"hidden_dim must be a multiple of num_heads.*\(got hidden_dim=6, num_heads=4\)",
    ),
    "transformer.TransformerDecoder": (
        lambda: transformer.TransformerDecoder(10, 0),
        ValueError,
        r"sequence_length must be an int >= 1 \(got sequence_length=0\)",
    ),
    "transformer.MaskedLanguageModel": (
        lambda: transformer.MaskedLanguageModel(1, 8),
        ValueError,
        r"vocabulary_size must be an int >= 2 \(got vocabulary_size=1\)",
    ),
    "transformer.TransformerLanguageModel": (
        lambda: transformer.TransformerLanguageModel(10, 8, num_layers=0),
        ValueError,
        r"num_layers must be an int >= 1 \(got num_layers=0\)",
    ),
    "transformer.TransformerSeq2Seq": (
        lambda: transformer.TransformerSeq2Seq(10, 9, 4)(INTS),
        ValueError,
        r"inputs must be a pair \(source_ids, decoder_inputs\) \(got ",
    ),
    "transformer.mask_tokens": (
        lambda: transformer.mask_tokens(np.arange(3), 1, 10),
        ValueError,
        r"ids must be \(N, T\) int ids \(got shape \(3,\)",
    ),
    "transformer.build_forecaster": (
        lambda: transformer.build_forecaster(features=0),
        ValueError,
        r"features must be an int >= 1 \(got features=0\)",
    ),
    "transformer.mha_weights_from_keras": (
        lambda: transformer.mha_weights_from_keras(keras.layers.Dense(2), None),
        TypeError,
        r"ours must be a built companion MultiHeadAttention \(got <Dense",
    ),
    "transformer.block_weights_from_keras_hub": (
        lambda: transformer.block_weights_from_keras_hub("block", None),
        TypeError,
        r"ours must be a built companion Transformer block \(got 'block'\)",
    ),
    "data.ImageSet": (
        lambda: data.ImageSet(np.zeros((2, 4, 4)), [0, 1], ("a", "b"), "toy"),
        ValueError,
        r"images must be a uint8 array \(N, H, W, C\) \(got shape \(2, 4, 4\)",
    ),
    "data.load_digits_8x8": None,  # no arguments
    "data.load_mnist_5k": None,  # no arguments
    "data.parse_cifar10": (
        lambda: data.parse_cifar10("no_such_archive.tar.gz"),
        FileNotFoundError,
        "no_such_archive.tar.gz",
    ),
    "vision.ClassToken": (
        lambda: vision.ClassToken()(np.zeros((2, 3), "float32")),
        ValueError,
        r"tokens must have shape \(batch, patches, features\) \(got rank 2",
    ),
    "vision.GridPositionEmbedding": (
        lambda: vision.GridPositionEmbedding(0),
        ValueError,
        r"grid_size must be an int >= 1 \(got grid_size=0\)",
    ),
    "vision.PatchEmbedding": (
        lambda: vision.PatchEmbedding(4, 8, method="linear"),
        ValueError,
        r"method must be one of .* \(got method='linear'\)",
    ),
    "vision.VisionTransformer": (
        lambda: vision.VisionTransformer((8, 8, 1), 4, 3, hidden_dim=10, num_heads=4),
        ValueError,
        r"hidden_dim must be a multiple of num_heads \(got hidden_dim=10, num_heads=4\)",
    ),
    "vision.attention_rollout": (
        lambda: vision.attention_rollout([np.ones((2, 5, 5))]),
        ValueError,
        r"weights must be .* one per block \(got shapes \[\(2, 5, 5\)\]\)",
    ),
    "vision.augmented_epochs": (
        lambda: vision.augmented_epochs(np.zeros((2, 4, 4, 1)), [0, 1], 0, 1),
        ValueError,
        r"epochs must be an int >= 1 \(got epochs=0\)",
    ),
    "vision.build_cnn": (
        lambda: vision.build_cnn((28, 28), 10),
        ValueError,
        r"image_shape must be \(height, width, channels\) \(got \(28, 28\)\)",
    ),
    "vision.build_mlp": (
        lambda: vision.build_mlp((28, 28, 1), 1),
        ValueError,
        r"num_classes must be an int >= 2 \(got num_classes=1\)",
    ),
    "vision.class_token_attention": (
        lambda: vision.class_token_attention(np.full((1, 1, 6, 6), 1 / 6)),
        ValueError,
        r"weights must have the class token then a square grid .*\(got 5 patches\)",
    ),
    "vision.extract_patches": (
        lambda: vision.extract_patches(np.zeros((1, 10, 10, 1), "float32"), 4),
        ValueError,
        r"multiples of patch_size=4 \(got images of shape \(1, 10, 10, 1\)\)",
    ),
    "vision.interpolate_positions": (
        lambda: vision.interpolate_positions(np.zeros((5, 4), "float32"), 3, 6),
        ValueError,
        r"positions must be a \(10, D\) table for grid_size=3 .*\(got shape \(5, 4\)\)",
    ),
    "vision.mass_inside_box": (
        lambda: vision.mass_inside_box(np.ones((2, 2)), np.zeros((2, 4, 4))),
        ValueError,
        r"maps must be \(batch, g, g\) .* \(got maps \(2, 2\)",
    ),
    "vision.position_similarity": (
        lambda: vision.position_similarity(np.ones((16, 4))),
        ValueError,
        r"positions must hold a square grid of patches \(got 15 patch rows\)",
    ),
    "vision.random_shifts": (
        lambda: vision.random_shifts(np.zeros((4, 4, 1)), 1),
        ValueError,
        r"images must have shape \(N, height, width, channels\) \(got shape \(4, 4, 1\)\)",
    ),
    # finetune (tuning methods)
    "finetune.TextClassifier": (
        lambda: finetune.TextClassifier(20, 8, tuning="distil"),
        ValueError,
        r"tuning must be one of 'full'.*\(got tuning='distil'\)",
    ),
    "finetune.tuned_classifier": (
        lambda: finetune.tuned_classifier("encoder", "full"),
        TypeError,
        r"encoder must be a built TransformerEncoder \(got str\)",
    ),
    "finetune.masked_mean": (
        lambda: finetune.masked_mean(np.zeros((2, 3), "float32"), INTS),
        ValueError,
        r"hidden must have shape \(batch, time, features\) \(got rank 2, shape \(2, 3\)\)",
    ),
    "finetune.method_options": (
        lambda: finetune.method_options("lora", lora_rank=0),
        ValueError,
        r"lora_rank must be an int >= 1 \(got lora_rank=0\)",
    ),
    "finetune.freeze": (
        lambda: finetune.freeze(_model(), "everything"),
        ValueError,
        r"tuning must be one of.*\(got tuning='everything'\)",
    ),
    "finetune.count_parameters": (
        lambda: finetune.count_parameters("model"),
        TypeError,
        r"model must be a Keras model or layer \(got str\)",
    ),
    "finetune.frozen_values": (
        lambda: finetune.frozen_values(None),
        TypeError,
        r"model must be a Keras model or layer \(got NoneType\)",
    ),
    "finetune.changed_frozen": (
        lambda: finetune.changed_frozen(_model(), {"nowhere/kernel": INTS}),
        KeyError,
        r"nowhere/kernel",
    ),
    "finetune.copy_pretrained": (
        lambda: finetune.copy_pretrained(_model(), keras.Sequential([keras.layers.Dense(2)])),
        ValueError,
        r"target must be built, with weights to fill \(got 'sequential.*' unbuilt\)",
    ),
    "finetune.merge_lora": (
        lambda: finetune.merge_lora(finetune.TextClassifier(20, 8)),
        ValueError,
        r"model must have LoRA layers to merge \(got lora_rank=0",
    ),
    # finetune (contrastive)
    "finetune.info_nce_loss": (
        lambda: finetune.info_nce_loss(np.ones((3, 4)), np.ones((2, 4))),
        ValueError,
        r"keys must have the shape of queries.*\(got queries \(3, 4\), keys \(2, 4\)\)",
    ),
    "finetune.SentenceEncoder": (
        lambda: finetune.SentenceEncoder(20, 6, output_dim=0),
        ValueError,
        r"output_dim must be an int >= 1 \(got output_dim=0\)",
    ),
    "finetune.ContrastiveTrainer": (
        lambda: finetune.ContrastiveTrainer("encoder"),
        TypeError,
        r"encoder must be a Keras layer or model .*\(got 'encoder' of type str\)",
    ),
    "finetune.recall_at_k": (
        lambda: finetune.recall_at_k(np.ones((3, 2)), np.ones((3, 2)), k=4),
        ValueError,
        r"k must be an int in \[1, 3\] \(got k=4\)",
    ),
    "finetune.bag_of_words_vectors": (
        lambda: finetune.bag_of_words_vectors(INTS, 20, weighting="bm25"),
        ValueError,
        r"weighting must be one of 'tf-idf', 'count' \(got weighting='bm25'\)",
    ),
    # finetune (preference tuning)
    "finetune.token_log_probs": (
        lambda: finetune.token_log_probs(np.zeros((1, 3, 4)), [[1, 2]]),
        ValueError,
        r"targets must have the shape of logits \(1, 3\)",
    ),
    "finetune.sequence_log_probs": (
        lambda: finetune.sequence_log_probs(np.zeros((1, 3, 4)), [[1, 2, 3]], [[1.0]]),
        ValueError,
        r"weights must have the shape of targets \(1, 3\) \(got shape \(1, 1\)\)",
    ),
    "finetune.dpo_loss": (
        lambda: finetune.dpo_loss([0.0], [0.0], [0.0], [0.0], beta=0.0),
        ValueError,
        r"beta must be a finite number in \(0, inf\) \(got beta=0.0\)",
    ),
    "finetune.ppo_clipped_loss": (
        lambda: finetune.ppo_clipped_loss(*np.zeros((4, 1, 2)), clip=1.5),
        ValueError,
        r"clip must be a finite number in \(0, 1\) \(got clip=1.5\)",
    ),
    "finetune.kl_to_reference": (
        lambda: finetune.kl_to_reference(np.zeros((2, 3)), np.zeros((2, 4)), np.ones((2, 3))),
        ValueError,
        r"reference_log_probs must have the shape of log_probs \(2, 3\)",
    ),
    "finetune.ppo_advantages": (
        lambda: finetune.ppo_advantages([1.0], np.zeros((1, 3)), np.ones((1, 3)), np.zeros(3)),
        ValueError,
        r"kl_penalties must have shape \(1, 3\).*\(got shape \(3,\)\)",
    ),
    "finetune.modern_wording_reward": (
        lambda: finetune.modern_wording_reward("thou art"),
        TypeError,
        r"texts must be a list of str \(got str: 'thou art'\)",
    ),
    "finetune.frozen_copy": (
        lambda: finetune.frozen_copy("gpt"),
        TypeError,
        r"model must be a keras.Model \(got str\)",
    ),
    "finetune.DPOTrainer": (
        lambda: finetune.DPOTrainer(keras.layers.Dense(2)),
        TypeError,
        r"policy must be a TransformerLanguageModel.*\(got Dense\)",
    ),
    "finetune.PPOTrainer": (
        lambda: finetune.PPOTrainer(transformer.TransformerLanguageModel(12, 8), clip=0.0),
        ValueError,
        r"clip must be a finite number in \(0, 1\) \(got clip=0.0\)",
    ),
    "finetune.sample_rollouts": (
        lambda: finetune.sample_rollouts("gpt", None, INTS, len),
        TypeError,
        r"sampler must be a companion.decoding.Generator .*\(got str\)",
    ),
    "finetune.preference_pairs": (
        lambda: finetune.preference_pairs({"ids": INTS}),
        ValueError,
        r"rollouts must be a dict with keys \['ids', 'weights'.*\(got \['ids'\]\)",
    ),
    "finetune.ppo_batch": (
        lambda: finetune.ppo_batch("trainer", {}),
        TypeError,
        r"trainer must be a PPOTrainer \(got str\)",
    ),
    # transformer (tuning layers)
    "transformer.LoRADense": (
        lambda: transformer.LoRADense(3, rank=0),
        ValueError,
        r"rank must be an int >= 1 \(got rank=0\)",
    ),
    "transformer.BottleneckAdapter": (
        lambda: transformer.BottleneckAdapter(0),
        ValueError,
        r"bottleneck_dim must be an int >= 1 \(got bottleneck_dim=0\)",
    ),
    "transformer.SoftPrompt": (
        lambda: transformer.SoftPrompt(2)(np.zeros((2, 3), "float32")),
        ValueError,
        r"embedded must have shape \(batch, time, features\) \(got rank 2, shape \(2, 3\)\)",
    ),
    "transformer.is_tuning_variable": (
        lambda: transformer.is_tuning_variable("lora_a"),
        AttributeError,
        r"path",
    ),
    "transformer.prepend_prefix": (
        lambda: transformer.prepend_prefix(SEQUENCES, SEQUENCES, SEQUENCES, SEQUENCES),
        ValueError,
        r"keys must have shape \(batch, time, heads, depth\) \(got rank 3, shape \(2, 3, 4\)\)",
    ),
    "vision.vit_weights_from_keras_hub": (
        lambda: vision.vit_weights_from_keras_hub("vit", None),
        TypeError,
        r"ours must be a built companion VisionTransformer \(got 'vit'\)",
    ),
    "data.interleaved_split": (
        lambda: data.interleaved_split("text", block=0),
        ValueError,
        r"block must be an int >= 1 \(got block=0\)",
    ),
    "scaling.check_distribution_backend": (
        lambda: scaling.check_distribution_backend("torch"),
        ValueError,
        r"need the JAX backend.*\(got backend='torch'\)",
    ),
    "scaling.check_model_parallel_sizes": (
        lambda: scaling.check_model_parallel_sizes(
            2, num_heads=3, hidden_dim=4, intermediate_dim=8
        ),
        ValueError,
        r"num_heads must be a multiple of model_parallel=2 .*\(got num_heads=3\)",
    ),
    "scaling.check_parallelism": (
        lambda: scaling.check_parallelism(4, 3),
        ValueError,
        r"model_parallel must divide devices=4 .*\(got model_parallel=3\)",
    ),
    "scaling.device_mesh": (
        lambda: scaling.device_mesh(0),
        ValueError,
        r"devices must be an int >= 1 \(got devices=0\)",
    ),
    "scaling.make_distribution": (
        lambda: scaling.make_distribution(2, 0),
        ValueError,
        r"model_parallel must be an int >= 1 \(got model_parallel=0\)",
    ),
    "scaling.proof_tolerance": (
        lambda: scaling.proof_tolerance("small"),
        TypeError,
        r"float32_tolerance must be a (float|number).*'small'",
    ),
    "scaling.request_devices": (
        lambda: scaling.request_devices("4", "jax"),
        TypeError,
        r"devices must be an int \(got devices='4' of type str\)",
    ),
    "scaling.run_simulated": (
        lambda: scaling.run_simulated([(0, 1)]),
        ValueError,
        r"devices must be an int >= 1 \(got devices=0\)",
    ),
    "scaling.set_precision": (
        lambda: scaling.set_precision("float64"),
        ValueError,
        r"precision must be one of 'float32', .* \(got precision='float64'\)",
    ),
    "scaling.shardings": (
        lambda: scaling.shardings("model"),
        TypeError,
        r"model must be a built Keras model \(got 'model'\)",
    ),
    "scaling.simulated_device_flags": (
        lambda: scaling.simulated_device_flags("", 0),
        ValueError,
        r"devices must be an int >= 1 \(got devices=0\)",
    ),
    "scaling.train_step_agreement": (
        lambda: scaling.train_step_agreement(
            None, np.zeros((3, 4), "int32"), None, [type("Mesh", (), {"num_model_replicas": 2})]
        ),
        ValueError,
        r"inputs must have a batch that is a multiple of the 2 data-parallel devices "
        r"\(got a batch of 3\)",
    ),
    "scaling.transformer_layout_map": (
        lambda: scaling.transformer_layout_map("mesh"),
        TypeError,
        r"device_mesh must be a keras.distribution.DeviceMesh \(got 'mesh'\)",
    ),
}

# Names with no input to get wrong: exception classes, data records, constants.
NO_INPUT = {
    "runtime.BACKENDS",
    "runtime.SCALES",
    "runtime.QualityBarError",
    "data.BOOKS",
    "data.TEST_BOOKS",
    "data.VALIDATION_BOOKS",
    "metrics.BleuScore",
    "seq2seq.ATTENTION_KINDS",
    "decoding.STRATEGIES",
    "transformer.POSITION_KINDS",
    "transformer.TUNING_VARIABLES",
    "training.PeakMemory",
    "finetune.METHODS",
    "scaling.PRECISIONS",
    "scaling.SIMULATED_GPT",
    "scaling.TOLERANCE",
    "scaling.TRANSFORMER_LAYOUT",
    "finetune.ARCHAIC_WORDS",
    "finetune.NOT_ARCHAIC_ETH",
    "vision.EMBEDDING_METHODS",
    "data.DatasetInfo",
    "data.DatasetUnavailableError",
    "text.END_ID",
    "text.OOV_ID",
    "text.PAD_ID",
    "text.SPECIAL_TOKENS",
    "text.START_ID",
}


def _public_names():
    names = []
    for package in companion._SUBPACKAGES:
        module = importlib.import_module(f"companion.{package}")
        public = getattr(module, "__all__", None)
        if public is None:  # a single-module topic: its public functions and classes
            public = [
                n
                for n, obj in vars(module).items()
                if not n.startswith("_")
                and callable(obj)
                and getattr(obj, "__module__", None) == module.__name__
            ]
        names += [f"{package}.{name}" for name in public]
    return names


def test_every_public_name_has_a_row():
    missing = sorted(set(_public_names()) - set(ROWS) - NO_INPUT)
    assert not missing, f"write a malformed-input row for {missing}"


@pytest.mark.parametrize("name", sorted(k for k, v in ROWS.items() if v is not None))
def test_malformed_input_gets_a_clear_error(name):
    call, error, pattern = ROWS[name]
    with pytest.raises(error, match=pattern):
        call()

"""Tests of companion.metrics.bleu: equal to sacreBLEU, and to keras-hub where they should agree."""

import numpy as np
import pytest
import sacrebleu
from hypothesis import given
from hypothesis import strategies as st
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
from support import property_settings

from companion import metrics

# King James Version (the source) and Bible in Basic English (the target) of a few verses,
# plus lines that exercise the 13a rules: numbers, entities, apostrophes, a final "3."
KJV = [
    "In the beginning God created the heaven and the earth.",
    "And the earth was without form, and void; and darkness was upon the face of the deep.",
    "And God said, Let there be light: and there was light.",
    "And God saw the light, that it was good: and God divided the light from the darkness.",
    "Thou shalt not kill.",
    "The LORD's word came unto Abram in a vision, saying, Fear not, Abram: I am thy shield.",
    "And Noah was 600 years old when the flood of waters was upon the earth, 40 days & nights.",
]
BBE = [
    "At the first God made the heaven and the earth.",
    "And the earth was waste and without form; and it was dark on the face of the deep: and the "
    "Spirit of God was moving on the face of the waters.",
    "And God said, Let there be light: and there was light.",
    "And God, looking on the light, saw that it was good: and God made a division between the "
    "light and the dark,",
    "Do not put anyone to death.",
    "After these things the word of the Lord came to Abram in a vision, saying, Have no fear, "
    "Abram: I am your safe cover, and great will be your reward.",
    "Noah was six hundred years old when the waters came over the earth for 40 days &amp; 3.",
]
# A second reference for each verse (for multiple references): a looser paraphrase
OTHER = [
    "In the start God made heaven and earth.",
    "The earth had no form and was empty, and it was dark over the deep.",
    "God said, let light be: and light was.",
    "God saw that the light was good, and he put the light apart from the dark.",
    "You are not to kill.",
    "The word of the lord came to abram in a vision: do not fear, I am your shield.",
    'Noah was 600 years old when the flood came, "forty" days and nights, 1,000.5 times.',
]


def _sacrebleu(hypotheses, references, smooth=False, **options):
    """sacreBLEU on the per-hypothesis layout (it takes reference streams: the transpose)."""
    references = [[r] if isinstance(r, str) else r for r in references]
    streams = [list(stream) for stream in zip(*references, strict=True)]
    method = "exp" if smooth else "none"
    return sacrebleu.corpus_bleu(hypotheses, streams, smooth_method=method, force=True, **options)


def _assert_equal_to_sacrebleu(ours, theirs):
    assert ours.score == pytest.approx(theirs.score, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(ours.precisions, theirs.precisions, rtol=1e-12)
    assert ours.brevity_penalty == pytest.approx(theirs.bp, rel=1e-12)
    assert (ours.hypothesis_length, ours.reference_length) == (theirs.sys_len, theirs.ref_len)
    assert list(ours.matches) == list(theirs.counts)
    assert list(ours.totals) == list(theirs.totals)


TRICKY = [
    "It costs 3.",
    ".5 of it, or 1,000.50 dollars.",
    "don't 'quote' \"me\" -- (please)!",
    "3-4 well-known e-mails; a/b {c} [d] ~e~ `f` ^g^ |h| <i>",
    "&quot;hi&quot; &amp; &lt;b&gt; <skipped> joined-\nline\nnext",
    "  spaces   and\ttabs  ",
    "",
    "Ünïcode — “curly” quotes… and 5,",
]


@pytest.mark.parametrize("text", TRICKY)
def test_bleu_tokens_are_sacrebleus_13a_tokens(text):
    assert metrics.bleu_tokens(text) == Tokenizer13a()(text.rstrip()).split()
    assert metrics.bleu_tokens(text, tokenize="none") == text.split()
    assert metrics.bleu_tokens(text, lowercase=True) == Tokenizer13a()(text.lower()).split()


@property_settings(max_examples=200)
@given(st.text(alphabet="ab1 9.,-'\"&;:<>/\\()[]{}~`^_|!?$%#@*+=\n\t", max_size=30))
def test_bleu_tokens_equal_sacrebleus_13a_on_any_punctuation(text):
    assert metrics.bleu_tokens(text) == Tokenizer13a()(text.rstrip()).split()


CASES = {
    "copy baseline": (KJV, BBE, {}),
    "perfect": (BBE, BBE, {}),
    "smoothed": (KJV, BBE, {"smooth": True}),
    "lowercase": (KJV, BBE, {"lowercase": True}),
    "no tokeniser": (KJV, BBE, {"tokenize": "none"}),
    "bigrams": (KJV, BBE, {"max_order": 2}),
    "multiple references": (KJV, list(zip(BBE, OTHER, strict=True)), {}),
    "hypotheses longer": (BBE, KJV, {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_corpus_bleu_equals_sacrebleu(case):
    hypotheses, references, options = CASES[case]
    ours = metrics.corpus_bleu(hypotheses, references, **options)
    order = options.pop("max_order", 4)
    if order != 4:  # sacrebleu.corpus_bleu has no max_order: the class has
        bleu = sacrebleu.BLEU(smooth_method="none", max_ngram_order=order, force=True, **options)
        theirs = bleu.corpus_score(hypotheses, [list(references)])
    else:
        theirs = _sacrebleu(hypotheses, references, **options)
    _assert_equal_to_sacrebleu(ours, theirs)
    assert 0 < ours.score <= 100 + 1e-9


def test_brevity_penalty_of_short_hypotheses_equals_sacrebleu():
    short = ["In the beginning God", "And the earth was", "And God said, Let there be light"]
    ours = metrics.corpus_bleu(short, BBE[:3])
    c, r = ours.hypothesis_length, ours.reference_length
    assert c < r and ours.brevity_penalty == pytest.approx(np.exp(1 - r / c))
    _assert_equal_to_sacrebleu(ours, _sacrebleu(short, BBE[:3]))


def test_zero_matches_score_zero_and_smoothing_as_sacrebleu():
    # no match at all: 0 with or without smoothing
    for smooth in (False, True):
        ours = metrics.corpus_bleu(["xyz uvw"], ["abc def"], smooth=smooth)
        assert ours.score == 0.0
        _assert_equal_to_sacrebleu(ours, _sacrebleu(["xyz uvw"], ["abc def"], smooth=smooth))
    # unigram matches only: 0 unsmoothed, the 2^-k precisions with smoothing
    hypotheses, references = ["God made the earth light"], ["the light God made earth"]
    plain = metrics.corpus_bleu(hypotheses, references)
    smoothed = metrics.corpus_bleu(hypotheses, references, smooth=True)
    assert plain.score == 0.0 and plain.matches == (5, 1, 0, 0)
    expected = 100 * np.exp(np.mean(np.log([5 / 5, 1 / 4, 1 / (2 * 3), 1 / (4 * 2)])))
    assert smoothed.score == pytest.approx(expected, rel=1e-12)
    _assert_equal_to_sacrebleu(smoothed, _sacrebleu(hypotheses, references, smooth=True))
    # hypotheses shorter than max_order, and an empty hypothesis (c = 0: BP = 0)
    for hypotheses in (["God made"], [""], ["", "the light"]):
        references = ["the light God made earth"] * len(hypotheses)
        for smooth in (False, True):
            ours = metrics.corpus_bleu(hypotheses, references, smooth=smooth)
            _assert_equal_to_sacrebleu(ours, _sacrebleu(hypotheses, references, smooth=smooth))


def test_closest_reference_length_and_max_counts_over_references():
    # the closest of 3 and 9 tokens to a 4-token hypothesis is 3; ties go to the shorter one
    hypothesis = ["the the the light"]
    references = [["the light is", "the light was made on the first day here"]]
    ours = metrics.corpus_bleu(hypothesis, references, max_order=1)
    assert ours.reference_length == 3
    assert ours.matches == (3,)  # "the" clipped at 2, its count in the 2nd reference
    tie = metrics.corpus_bleu(["a b c d"], [["a b c", "a b c d e"]])
    assert tie.reference_length == 3
    for hyps, refs in ((hypothesis, references), (["a b c d"], [["a b c", "a b c d e"]])):
        _assert_equal_to_sacrebleu(metrics.corpus_bleu(hyps, refs), _sacrebleu(hyps, refs))


@pytest.mark.parametrize("smooth", [True, False])
def test_sentence_bleu_equals_sacrebleu(smooth):
    method = "exp" if smooth else "none"
    pairs = list(zip(KJV, BBE, strict=True)) + [("Let there be light", "Let there be light.")]
    pairs += [("God", "God made"), ("xyz", "God made")]
    for hypothesis, reference in pairs:
        ours = metrics.sentence_bleu(hypothesis, reference, smooth=smooth)
        theirs = sacrebleu.sentence_bleu(hypothesis, [reference], smooth_method=method)
        _assert_equal_to_sacrebleu(ours, theirs)
    ours = metrics.sentence_bleu(KJV[2], [BBE[2], OTHER[2]], smooth=smooth)
    _assert_equal_to_sacrebleu(
        ours, sacrebleu.sentence_bleu(KJV[2], [BBE[2], OTHER[2]], smooth_method=method)
    )


def _keras_hub_bleu(hypotheses, references, **options):
    pytest.importorskip("tensorflow")  # keras-hub's Bleu tokenises with tf.strings
    import keras_hub

    metric = keras_hub.metrics.Bleu(**options)  # float32: equal to ~1e-7 relative
    references = [[r] if isinstance(r, str) else list(r) for r in references]
    metric.update_state(references, hypotheses)
    return float(np.asarray(metric.result()))


def test_corpus_bleu_equals_keras_hub_bleu_where_they_should_agree():
    # one reference each, no "3." at a line's end nor ".5" at its start, no smoothing:
    # keras-hub's score is ours on a 0..1 scale
    for hypotheses, references in ((KJV[:6], BBE[:6]), (BBE[:6], KJV[:6]), (KJV[:3], KJV[:3])):
        ours = metrics.corpus_bleu(hypotheses, references)
        assert _keras_hub_bleu(hypotheses, references) == pytest.approx(ours.score / 100, 1e-6)
    # several references where the shortest is also the closest
    hypotheses = [KJV[i] for i in (1, 3, 4, 5)]
    references = [[BBE[i], OTHER[i]] for i in (1, 3, 4, 5)]
    shortest = [min(r, key=lambda x: len(metrics.bleu_tokens(x))) for r in references]
    ours = metrics.corpus_bleu(hypotheses, references)
    assert ours.reference_length == sum(len(metrics.bleu_tokens(s)) for s in shortest)
    assert _keras_hub_bleu(hypotheses, references) == pytest.approx(ours.score / 100, 1e-6)


def test_documented_differences_from_keras_hub_bleu():
    # 1. keras-hub's tokeniser keeps a line's final "3." (and a first ".5") as one token
    hypothesis, reference = ["Noah was 600 years old in 3."], ["Noah was 600 years old in 3 ."]
    assert metrics.bleu_tokens(hypothesis[0])[-2:] == ["3", "."]
    assert metrics.corpus_bleu(hypothesis, reference).score == pytest.approx(100)
    assert _keras_hub_bleu(hypothesis, reference) < 0.9
    # 2. the shortest reference (keras-hub) is not the closest one (sacreBLEU and ours)
    hypotheses, references = ["a b c d e f"], [["a b c", "a b c d e f"]]
    assert metrics.corpus_bleu(hypotheses, references).brevity_penalty == 1.0
    assert _keras_hub_bleu(hypotheses, references) == pytest.approx(1.0)  # BP 1 either way
    hypotheses = ["a b c d e"]  # 5 tokens: closest 6 (BP < 1), shortest 3 (BP 1)
    ours = metrics.corpus_bleu(hypotheses, references)
    assert ours.brevity_penalty == pytest.approx(np.exp(1 - 6 / 5))
    assert _keras_hub_bleu(hypotheses, references) == pytest.approx(1.0)
    # 3. keras-hub's smooth adds 1 to every order's counts; ours (sacreBLEU's "exp") does not
    hypotheses, references = ["God made the earth light"], ["the light God made earth"]
    lin_och = np.exp(np.mean(np.log([6 / 6, 2 / 5, 1 / 4, 1 / 3])))
    assert _keras_hub_bleu(hypotheses, references, smooth=True) == pytest.approx(lin_och, 1e-6)
    smoothed = metrics.corpus_bleu(hypotheses, references, smooth=True).score / 100
    assert abs(smoothed - lin_och) > 0.05


def test_bad_inputs_get_errors_naming_the_argument():
    with pytest.raises(ValueError, match=r"references must hold one item per hypothesis.*2 ref"):
        metrics.corpus_bleu(["a"], ["a", "b"])
    with pytest.raises(TypeError, match=r"hypotheses must be a list of str.*one str"):
        metrics.corpus_bleu("a b", ["a b"])
    with pytest.raises(TypeError, match=r"hypotheses\[1\] must be a str \(got int"):
        metrics.corpus_bleu(["a", 3], ["a", "b"])
    with pytest.raises(TypeError, match=r"references\[0\] must be a str or a non-empty list"):
        metrics.corpus_bleu(["a"], [[]])
    with pytest.raises(TypeError, match=r"references\[0\]\[1\] must be a str"):
        metrics.corpus_bleu(["a"], [["a", None]])
    with pytest.raises(ValueError, match="hypotheses must hold at least one sentence"):
        metrics.corpus_bleu([], [])
    with pytest.raises(ValueError, match=r"max_order must be an int >= 1 \(got max_order=0\)"):
        metrics.corpus_bleu(["a"], ["a"], max_order=0)
    with pytest.raises(ValueError, match=r"tokenize must be one of '13a', 'none'.*'intl'"):
        metrics.corpus_bleu(["a"], ["a"], tokenize="intl")
    with pytest.raises(TypeError, match="smooth must be a bool"):
        metrics.corpus_bleu(["a"], ["a"], smooth="exp")
    with pytest.raises(TypeError, match="hypothesis must be a str"):
        metrics.sentence_bleu(["a"], "a")
    with pytest.raises(TypeError, match="text must be a str"):
        metrics.bleu_tokens(None)


def test_bleu_score_prints_like_sacrebleu():
    ours = metrics.corpus_bleu(KJV, BBE)
    theirs = _sacrebleu(KJV, BBE)
    assert str(ours).startswith(f"BLEU = {theirs.score:.2f} {theirs.prec_str}")

"""Tests of companion.metrics.pinc: copies, disjoint outputs, hand-computed sets, short outputs."""

import pytest

from companion import metrics


def _reference_pinc(source, output, max_order):
    """PINC of whitespace tokens, written out with zip (independent of the library's loop)."""
    source, output = source.split(), output.split()
    terms = []
    for n in range(1, max_order + 1):
        output_ngrams = set(zip(*(output[i:] for i in range(n)), strict=False))
        if output_ngrams:
            source_ngrams = set(zip(*(source[i:] for i in range(n)), strict=False))
            terms.append(1 - len(output_ngrams & source_ngrams) / len(output_ngrams))
    return 100 * sum(terms) / len(terms) if terms else 0.0


KJV = [
    "In the beginning God created the heaven and the earth.",
    "And God said, Let there be light: and there was light.",
    "Thou shalt not kill.",
]
BBE = [
    "At the first God made the heaven and the earth.",
    "And God said, Let there be light: and there was light.",
    "Do not put anyone to death.",
]


def test_a_copy_scores_0_and_a_disjoint_output_100():
    assert metrics.pinc(KJV, KJV) == 0.0
    assert metrics.pinc(KJV, ["Lo Lo Lo", "Behold a dove", "Whither goest ye"]) == 100.0
    assert metrics.sentence_pinc(KJV[0], KJV[0]) == 0.0
    assert metrics.sentence_pinc("a b c", "d e f g h") == 100.0


def test_pinc_of_a_hand_computed_example():
    # output n-grams (sets) and those shared with the source, order by order:
    # 1: {the, cat, lay, on, mat}: 4 of 5 shared            -> 1 - 4/5 = 0.2
    # 2: {the cat, cat lay, lay on, on the, the mat}: 3 of 5 -> 1 - 3/5 = 0.4
    # 3: {the cat lay, cat lay on, lay on the, on the mat}: 1 of 4 -> 0.75
    # 4: {the cat lay on, cat lay on the, lay on the mat}: 0 of 3  -> 1.0
    source, output = "the cat sat on the mat", "the cat lay on the mat"
    expected = 100 * (0.2 + 0.4 + 0.75 + 1.0) / 4
    assert metrics.sentence_pinc(source, output, tokenize="none") == pytest.approx(expected)
    assert expected == pytest.approx(_reference_pinc(source, output, 4))
    # n-gram *sets*: a repeated word counts once ("the" is shared: 0; "the the", "the the the"
    # are new: 1 and 1), where clipped counts would give 1 - 1/3 for the unigrams
    assert metrics.sentence_pinc("the", "the the the") == pytest.approx(100 * 2 / 3)


def test_short_outputs_average_over_the_orders_they_have():
    # "light be" has unigrams (both in the source: 0) and one bigram (new: 1), no trigram:
    # the mean runs over 2 orders, not 4
    assert metrics.sentence_pinc("Let there be light", "light be") == pytest.approx(50.0)
    assert metrics.sentence_pinc("Let there be light", "be light") == 0.0
    assert metrics.sentence_pinc("Let there be light", "darkness") == 100.0
    # an empty output has no order at all: 0, it says nothing new
    assert metrics.sentence_pinc("Let there be light", "") == 0.0
    assert metrics.sentence_pinc("", "Let there be light") == 100.0


def test_corpus_pinc_is_the_mean_of_sentence_pinc_and_matches_the_reference():
    outputs = ["At the first God made the heaven and earth", "light be", "Thou shalt not kill ."]
    tokens = [" ".join(metrics.bleu_tokens(s)) for s in KJV]  # "earth." -> "earth ."
    expected = [_reference_pinc(s, o, 4) for s, o in zip(tokens, outputs, strict=True)]
    sentences = [metrics.sentence_pinc(s, o) for s, o in zip(KJV, outputs, strict=True)]
    assert sentences == pytest.approx(expected)
    assert sentences[1:] == [50.0, 0.0]
    assert metrics.pinc(KJV, outputs) == pytest.approx(sum(expected) / 3)
    assert 0 < metrics.pinc(KJV, BBE, max_order=2) < metrics.pinc(KJV, BBE) < 100


def test_tokenisation_and_case_options():
    # 13a splits the period off "kill.": the copy with a space before it is still a copy
    assert metrics.sentence_pinc("Thou shalt not kill.", "Thou shalt not kill .") == 0.0
    assert metrics.sentence_pinc("Thou shalt not kill.", "Thou shalt not kill .", tokenize="none")
    assert metrics.sentence_pinc("The LORD", "the lord") == 100.0
    assert metrics.sentence_pinc("The LORD", "the lord", lowercase=True) == 0.0


def test_bad_inputs_get_errors_naming_the_argument():
    with pytest.raises(ValueError, match=r"outputs must hold one output per source \(got 1 "):
        metrics.pinc(KJV, ["a"])
    with pytest.raises(TypeError, match=r"outputs\[1\] must be a str \(got int"):
        metrics.pinc(["a", "b"], ["a", 2])
    with pytest.raises(TypeError, match="sources must be a list of str, one per sentence"):
        metrics.pinc("a b", "a b")
    with pytest.raises(ValueError, match=r"max_order must be an int >= 1 \(got max_order=0\)"):
        metrics.pinc(["a"], ["a"], max_order=0)
    with pytest.raises(ValueError, match="tokenize must be one of"):
        metrics.sentence_pinc("a", "a", tokenize="spm")
    with pytest.raises(TypeError, match="output must be a str"):
        metrics.sentence_pinc("a", ["a"])

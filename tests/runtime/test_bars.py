"""Tests of companion.runtime.bars: quality bars are checked, printed and recorded."""

import json

import pytest

from companion import runtime
from companion.runtime.chapter import RUN


@pytest.fixture
def fresh_run(monkeypatch, tmp_path):
    """A chapter run of its own, saving its numbers into a temporary folder."""
    monkeypatch.setattr(RUN, "bars", [])
    monkeypatch.setattr(RUN, "outdir", tmp_path)
    monkeypatch.setattr(RUN, "name", "99_test")
    monkeypatch.setattr(RUN, "scale", "default")
    return RUN


def test_check_bar_passes_prints_and_returns_nothing(capsys, fresh_run):
    assert runtime.check_bar("accuracy", 0.97, ">=", 0.95) is None  # no stray repr on a page
    assert "[bar PASS] accuracy: 0.97 (required >= 0.95)" in capsys.readouterr().out


def test_check_bar_raises_on_a_missed_bar(fresh_run):
    with pytest.raises(runtime.QualityBarError, match="MAE = 2, required < 1"):
        runtime.check_bar("MAE", 2.0, "<", 1.0)


def test_check_bar_rejects_an_unknown_comparison(fresh_run):
    with pytest.raises(ValueError, match="comparison must be one of"):
        runtime.check_bar("MAE", 2.0, "=<", 1.0)


def test_training_bars_are_reported_not_enforced_in_a_quick_run(capsys, fresh_run):
    fresh_run.scale = "quick"
    runtime.check_bar("accuracy after training", 0.4, ">", 0.9, needs_training=True)
    assert "[bar MISSED, not enforced in --quick]" in capsys.readouterr().out
    with pytest.raises(runtime.QualityBarError):  # a proof is enforced at any size
        runtime.check_bar("max difference to Keras", 1.0, "<", 1e-5)


def test_bars_are_saved_as_json_in_the_outdir(fresh_run, tmp_path):
    runtime.check_bar("accuracy", 0.97, ">=", 0.95)
    record = json.loads((tmp_path / "99_test.json").read_text())
    assert record["chapter"] == "99_test" and record["scale"] == "default"
    assert record["bars"] == [
        {
            "description": "accuracy",
            "value": 0.97,
            "comparison": ">=",
            "threshold": 0.95,
            "passed": True,
            "enforced": True,
        }
    ]

"""Tests of companion.runtime: backend choice, quality bars, run report."""

import glob
import os
import subprocess
import sys

import keras
import pytest

from companion import runtime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAPTERS = sorted(glob.glob(os.path.join(ROOT, "chapters", "[0-9][0-9]_*.py")))


def test_parse_args_keeps_the_current_backend():
    args = runtime.parse_args("Title.\n\nMore.", argv=["--seed", "3", "--full"])
    assert args.backend == keras.config.backend()
    assert args.seed == 3 and args.full


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(
        ValueError, match=r"backend must be one of tensorflow, jax, torch .*'theano'"
    ):
        runtime.parse_args("Title.", argv=["--backend", "theano"])


def test_switching_backend_after_keras_import_is_refused():
    other = next(b for b in runtime.BACKENDS if b != keras.config.backend())
    with pytest.raises(ValueError, match="already imported"):
        runtime.select_backend(other)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=os.path.basename)
def test_chapter_scripts_reject_an_unknown_backend(chapter):
    result = subprocess.run(
        [sys.executable, chapter, "--backend", "theano"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode != 0
    assert "backend must be one of tensorflow, jax, torch (got backend='theano')" in result.stderr


def test_check_bar_passes_and_prints(capsys):
    assert runtime.check_bar("accuracy", 0.97, ">=", 0.95) == pytest.approx(0.97)
    assert "[bar PASS] accuracy: 0.97 (required >= 0.95)" in capsys.readouterr().out


def test_check_bar_raises_on_a_missed_bar():
    with pytest.raises(runtime.QualityBarError, match="MAE = 2, required < 1"):
        runtime.check_bar("MAE", 2.0, "<", 1.0)


def test_check_bar_rejects_an_unknown_comparison():
    with pytest.raises(ValueError, match="comparison must be one of"):
        runtime.check_bar("MAE", 2.0, "=<", 1.0)


def test_run_report_names_backend_versions_and_time():
    text = runtime.run_report()
    assert f"backend {keras.config.backend()}" in text
    assert f"keras {keras.__version__}" in text
    assert "wall time" in text

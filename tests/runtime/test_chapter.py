"""Tests of companion.runtime.chapter: the command line of a chapter."""

import glob
import os
import subprocess
import sys

import keras
import matplotlib.pyplot as plt
import pytest

from companion import runtime
from companion.runtime.chapter import RUN

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHAPTERS = sorted(glob.glob(os.path.join(ROOT, "chapters", "[0-9][0-9]_*.py")))


@pytest.fixture(autouse=True)
def _restore_run(monkeypatch):
    for field in ("name", "scale", "outdir", "bars", "start"):
        monkeypatch.setattr(RUN, field, getattr(RUN, field))


def test_parse_args_keeps_the_current_backend_and_reads_the_scale(tmp_path):
    args = runtime.parse_args("Title.\n\nMore.", argv=["--seed", "3", "--full"])
    assert args.backend == keras.config.backend()
    assert args.seed == 3 and args.full and args.scale == "full"
    assert args.pick(quick=1, default=10, full=100) == 100
    assert args.pick(quick=1, default=10) == 10  # no full value: the default's
    assert args.pick(quick=1, default=10, full=None) is None  # None is "all", not "unset"
    args = runtime.parse_args("Title.", argv=["--quick", "--outdir", str(tmp_path / "out")])
    assert args.scale == "quick" and args.pick(quick=1, default=10) == 1
    assert (tmp_path / "out").is_dir() and RUN.outdir == tmp_path / "out"
    args = runtime.parse_args("Title.", argv=[])
    assert args.scale == "default" and args.pick(quick=1, default=10) == 10
    assert args.verbose in (1, 2)  # a terminal shows progress; the book passes 0


def test_quick_and_full_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        runtime.parse_args("Title.", argv=["--quick", "--full"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_show_saves_a_png_named_after_the_chapter_and_closes_the_figure(tmp_path):
    runtime.parse_args("Title.", argv=["--outdir", str(tmp_path)])
    figure, axes = plt.subplots()
    axes.plot([0, 1], [1, 0])
    assert runtime.show(figure, "a_line") is None  # no stray value on the page
    path = tmp_path / f"{RUN.name}-a_line.png"
    assert path.read_bytes().startswith(b"\x89PNG")
    assert not plt.fignum_exists(figure.number)


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

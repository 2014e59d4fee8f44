"""Tests of companion.runtime.summary: the closing run report."""

import json

import keras

from companion import runtime
from companion.runtime.chapter import RUN


def test_run_report_names_backend_versions_threads_load_and_time():
    text = runtime.run_report()
    assert f"backend {keras.config.backend()}" in text
    assert f"keras {keras.__version__}" in text
    assert "threads" in text and "load average" in text
    assert f"scale {RUN.scale}" in text and "wall time" in text


def test_report_prints_and_saves_the_numbers(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(RUN, "outdir", tmp_path)
    monkeypatch.setattr(RUN, "name", "99_test")
    runtime.report()
    assert "wall time" in capsys.readouterr().out
    record = json.loads((tmp_path / "99_test.json").read_text())
    assert record["backend"] == keras.config.backend() and record["seconds"] >= 0

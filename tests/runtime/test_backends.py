"""Tests of companion.runtime.backends: backend choice and the thread policy."""

import keras
import pytest

from companion import runtime

THREAD_VARIABLES = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(
        ValueError, match=r"backend must be one of tensorflow, jax, torch .*'theano'"
    ):
        runtime.select_backend("theano")


def test_switching_backend_after_keras_import_is_refused():
    other = next(b for b in runtime.BACKENDS if b != keras.config.backend())
    with pytest.raises(ValueError, match="already imported"):
        runtime.select_backend(other)


def test_each_pytest_worker_gets_its_share_of_the_cores(monkeypatch):
    monkeypatch.delenv("COMPANION_THREADS", raising=False)
    monkeypatch.setattr(runtime.backends, "available_cores", lambda: 8)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    assert runtime.thread_budget() == 4
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "16")
    assert runtime.thread_budget() == 1  # never zero
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT")
    assert runtime.thread_budget() == 8  # a lone run keeps every core


def test_companion_threads_overrides_and_is_checked(monkeypatch):
    monkeypatch.setenv("COMPANION_THREADS", "3")
    assert runtime.thread_budget() == 3
    monkeypatch.setenv("COMPANION_THREADS", "many")
    with pytest.raises(ValueError, match="COMPANION_THREADS must be a positive int.*'many'"):
        runtime.thread_budget()


def test_configure_threads_sets_the_backend_variables_but_never_overrides(monkeypatch):
    for variable in THREAD_VARIABLES + ("XLA_FLAGS",):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(runtime.backends, "available_cores", lambda: 4)
    monkeypatch.setenv("COMPANION_THREADS", "2")
    monkeypatch.setenv("OMP_NUM_THREADS", "7")  # the user's own choice stays
    assert runtime.configure_threads() == 2
    import os

    assert os.environ["OMP_NUM_THREADS"] == "7"
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "2"
    assert os.environ["TF_NUM_INTEROP_THREADS"] == "1"
    assert "intra_op_parallelism_threads=2" in os.environ["XLA_FLAGS"]

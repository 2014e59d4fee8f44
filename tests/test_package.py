"""Tests of companion/__init__.py: importing companion never picks a backend, and
registers every layer so that ``.keras`` files load, whatever was imported first."""

import os
import subprocess
import sys
import textwrap

import keras
import pytest

import companion

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SAVE = """
import keras
import numpy as np
from companion import embeddings, recurrent, training

inputs = keras.Input((None,), dtype="int32")
x = embeddings.OneHotEmbedding(7, 3, mask_zero=True)(inputs)
x = recurrent.Bidirectional(recurrent.GRU(4, return_sequences=True), merge_mode="max")(x)
x = recurrent.LSTM(4, dropout=0.1)(x)
outputs = training.FlattenAll()([x])
keras.Model(inputs, outputs).save({path!r})
"""

LOAD = """
{first_import}
import keras
import numpy as np

model = keras.saving.load_model({path!r})
print(tuple(model(np.array([[1, 2, 0]])).shape))
"""


def _run(source):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_import_companion_does_not_import_keras():
    result = _run("import sys, companion; print('keras' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("saved") / "model.keras")
    result = _run(SAVE.format(path=path))
    assert result.returncode == 0, result.stderr[-3000:]
    return path


@pytest.mark.parametrize(
    "first_import",
    [
        "import companion",  # before keras: registered right after `import keras`
        "import keras\nimport companion",  # after keras: registered at once
        "import companion.lm",  # a layer package imported first
        "from companion import runtime\nruntime.select_backend(None)",  # as a chapter starts
    ],
    ids=["companion_first", "keras_first", "lm_first", "runtime_first"],
)
def test_import_companion_is_enough_to_load_a_saved_model(saved_model, first_import):
    result = _run(LOAD.format(first_import=first_import, path=saved_model))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "(1, 4)"


def test_without_companion_keras_says_what_is_missing(saved_model):
    result = _run(LOAD.format(first_import="", path=saved_model))
    assert result.returncode != 0
    assert "companion>" in result.stderr


def test_packages_are_attributes_and_unknown_names_are_errors():
    assert companion.recurrent.LSTM.__module__ == "companion.recurrent.fast"
    assert keras.saving.get_registered_object("companion>LSTM") is companion.recurrent.LSTM
    with pytest.raises(AttributeError, match="no attribute 'transformers'"):
        companion.transformers  # noqa: B018

"""Checks that every public layer and model of the companion must pass.

``check_layer`` runs, for one layer and one batch of inputs:

1. a JSON round trip of ``get_config()`` through ``from_config()``, and the
   rebuilt layer computes the same outputs with the same weights;
2. a symbolic call on ``keras.Input`` and an eager call, with the same output
   shape (and ``compute_output_shape`` where the layer defines it);
3. one training step inside a ``keras.Model``, with a finite loss that moves
   the trainable weights;
4. a ``.keras`` save and load that gives the same outputs.

``check_loads_across_backends`` saves a model in a subprocess running another
backend and loads it here, comparing outputs.

Usage::

    from layer_checks import check_layer

    def test_my_layer_passes_the_shared_checks(tmp_path):
        check_layer(lambda: MyLayer(units=4), np.ones((2, 5, 3), "float32"), tmp_path)
"""

import functools
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np

from companion.runtime import BACKENDS


def _to_numpy(tree):
    return keras.tree.map_structure(lambda t: np.asarray(keras.ops.convert_to_numpy(t)), tree)


def _first_tensor(outputs):
    return keras.tree.flatten(outputs)[0]


def check_config_round_trip(layer):
    """``get_config`` survives JSON and rebuilds an equal config."""
    config = layer.get_config()
    restored = layer.__class__.from_config(json.loads(json.dumps(config)))
    restored_config = restored.get_config()
    assert json.loads(json.dumps(restored_config)) == json.loads(json.dumps(config)), (
        f"{layer.__class__.__name__}: config changed in the round trip"
    )
    return restored


def check_same_outputs_from_config(layer, inputs, atol=1e-6):
    """A layer rebuilt from its config, given the same weights, computes the same outputs.

    This catches a constructor argument that ``get_config`` forgets: the
    rebuilt layer would silently use the argument's default.
    """
    restored = layer.__class__.from_config(json.loads(json.dumps(layer.get_config())))
    restored(inputs)  # builds the weights
    restored.set_weights(layer.get_weights())
    expected, actual = _to_numpy(layer(inputs)), _to_numpy(restored(inputs))
    for e, a in zip(keras.tree.flatten(expected), keras.tree.flatten(actual), strict=True):
        np.testing.assert_allclose(
            a,
            e,
            atol=atol,
            rtol=1e-5,
            err_msg=f"{layer.__class__.__name__} rebuilt from its config computes other "
            "outputs: get_config() misses an argument",
        )


def check_symbolic_and_eager(layer, inputs):
    """A symbolic and an eager call give outputs of the same shape."""
    symbolic_inputs = keras.Input(shape=inputs.shape[1:], dtype=str(inputs.dtype))
    symbolic_outputs = layer(symbolic_inputs)
    eager_outputs = layer(inputs)
    symbolic_shapes = [tuple(t.shape[1:]) for t in keras.tree.flatten(symbolic_outputs)]
    eager_shapes = [tuple(t.shape[1:]) for t in keras.tree.flatten(eager_outputs)]
    for symbolic, eager in zip(symbolic_shapes, eager_shapes, strict=True):
        assert all(s is None or s == e for s, e in zip(symbolic, eager, strict=True)), (
            f"symbolic shape {symbolic} != eager shape {eager}"
        )
    if type(layer).compute_output_shape is not keras.layers.Layer.compute_output_shape:
        declared = layer.compute_output_shape(tuple(inputs.shape))
        declared = declared if isinstance(declared, list) else [declared]
        if isinstance(declared[0], int) or declared[0] is None:
            declared = [tuple(declared)]
        for shape, eager in zip(declared, eager_shapes, strict=False):
            assert tuple(shape)[1:] == eager, f"compute_output_shape {shape} != {eager}"
    return symbolic_inputs, symbolic_outputs


def check_training_step(model, inputs):
    """One ``fit`` step gives a finite loss and changes the trainable weights."""
    outputs = _first_tensor(model(inputs))
    targets = np.random.default_rng(0).normal(size=tuple(outputs.shape)).astype("float32")
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = [np.array(w) for w in _to_numpy(model.trainable_weights)]
    history = model.fit(inputs, targets, epochs=1, batch_size=len(inputs), verbose=0)
    loss = history.history["loss"][-1]
    assert np.isfinite(loss), f"training loss is not finite: {loss}"
    after = _to_numpy(model.trainable_weights)
    if before:
        assert any(not np.allclose(b, a) for b, a in zip(before, after, strict=True)), (
            "one training step left every trainable weight unchanged"
        )


def check_save_and_load(model, inputs, path, atol=1e-6):
    """A ``.keras`` file loads back with the same outputs."""
    expected = _to_numpy(model(inputs))
    filename = os.path.join(str(path), "model.keras")
    model.save(filename)
    restored = keras.saving.load_model(filename)
    actual = _to_numpy(restored(inputs))
    for e, a in zip(keras.tree.flatten(expected), keras.tree.flatten(actual), strict=True):
        np.testing.assert_allclose(a, e, atol=atol, rtol=1e-5)
    return restored


def check_layer(make_layer, inputs, path, train=True, atol=1e-6):
    """Runs every shared check on the layer that ``make_layer()`` returns.

    Args:
        make_layer: callable returning a fresh, unbuilt layer.
        inputs: NumPy array. A batch of inputs (first axis is the batch).
        path: a temporary folder (pytest's ``tmp_path``) for the ``.keras`` file.
        train: bool. Whether to run the training step (off for layers with no
            differentiable path, e.g. integer outputs).
        atol: float. Tolerance for outputs after saving and loading.

    Returns:
        The functional model wrapping the layer, after the checks.
    """
    layer = make_layer()
    check_config_round_trip(layer)
    symbolic_inputs, symbolic_outputs = check_symbolic_and_eager(layer, inputs)
    check_same_outputs_from_config(layer, inputs, atol=atol)
    model = keras.Model(symbolic_inputs, symbolic_outputs)
    if train:
        check_training_step(model, inputs)
    check_save_and_load(model, inputs, path, atol=atol)
    return model


_SAVE_SCRIPT = """
import os
import numpy as np
import keras
{imports}
keras.utils.set_random_seed(0)
model, inputs = build()
model.save({model_path!r} + ".part.keras")
outputs = keras.ops.convert_to_numpy(keras.tree.flatten(model(inputs))[0])
np.savez({arrays_path!r} + ".part.npz", inputs=inputs, outputs=outputs)
os.replace({arrays_path!r} + ".part.npz", {arrays_path!r})  # the arrays last: they say done
os.replace({model_path!r} + ".part.keras", {model_path!r})
"""

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@functools.lru_cache(maxsize=1)
def _library_digest():
    """A digest of keras's version and every source file of the library."""
    digest = hashlib.sha256(keras.__version__.encode())
    for source in sorted(pathlib.Path(_ROOT, "companion").rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _saved_files_folder(build_source):
    """Where the files saved by ``build_source`` under each backend are kept between runs.

    The README's test command runs the backends one after the other; a file
    saved under TensorFlow in its run is loaded again in the JAX and torch
    runs instead of being saved anew by a subprocess (a fresh Python that
    imports TensorFlow costs seconds). The key covers the build source, the
    library's sources and keras's version, so a changed model is saved again.
    """
    key = hashlib.sha256((build_source + _library_digest()).encode()).hexdigest()[:24]
    root = os.environ.get("COMPANION_SAVED_MODELS") or os.path.join(
        _ROOT, ".pytest_cache", "saved_under_each_backend"
    )
    folder = os.path.join(root, key)
    os.makedirs(folder, exist_ok=True)
    return folder


def _save_under(backend, build_source, folder):
    """Saves ``build()``'s model and its outputs under ``backend``, once.

    Under this process's backend the script runs here; under another, in a subprocess.
    """
    model_path = os.path.join(folder, f"saved_under_{backend}.keras")
    arrays_path = os.path.join(folder, f"saved_under_{backend}.npz")
    if os.path.exists(model_path) and os.path.exists(arrays_path):
        return model_path, arrays_path
    script = _SAVE_SCRIPT.format(
        imports=textwrap.dedent(build_source), model_path=model_path, arrays_path=arrays_path
    )
    if backend == keras.config.backend():
        exec(compile(script, "<build_source>", "exec"), {})
        return model_path, arrays_path
    env = dict(os.environ, KERAS_BACKEND=backend)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"saving under {backend} failed:\n{result.stderr[-3000:]}"
    return model_path, arrays_path


def check_loads_across_backends(build_source, path, atol=1e-5):
    """Loads, under this backend, the model saved under every other backend: same outputs.

    Each backend's file is saved once, by a subprocess running that backend,
    and kept for the other backends' runs (:func:`_saved_files_folder`).

    Args:
        build_source: str. Python source defining ``build()``, which returns
            ``(model, inputs)`` with ``inputs`` a NumPy array. It runs in a
            subprocess, so it must import what it uses.
        path: a temporary folder (unused but kept for the callers' symmetry).
        atol: float. Tolerance on the outputs.
    """
    here = keras.config.backend()
    folder = _saved_files_folder(build_source)
    _save_under(here, build_source, folder)  # for the other backends' runs
    for other in BACKENDS:
        if other == here:
            continue
        model_path, arrays_path = _save_under(other, build_source, folder)
        arrays = np.load(arrays_path)
        restored = keras.saving.load_model(model_path)
        outputs = keras.ops.convert_to_numpy(keras.tree.flatten(restored(arrays["inputs"]))[0])
        np.testing.assert_allclose(outputs, arrays["outputs"], atol=atol, rtol=1e-5)

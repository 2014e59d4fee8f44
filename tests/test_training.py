"""Tests of companion.training: SGD-step gradients, FlattenAll, StopBelow, TimeBudget,
build_for_fit."""

import keras
import numpy as np
import pytest
from keras import ops
from layer_checks import check_layer
from support import gradients

from companion import training


def test_sgd_gradients_equal_autodiff_and_leave_the_weights_unchanged(rng):
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(2)]
    )
    inputs = rng.normal(size=(5, 3)).astype("float32")
    targets = rng.normal(size=(5, 2)).astype("float32")
    before = [np.array(w) for w in model.get_weights()]
    by_sgd = training.sgd_gradients(model, inputs, targets, "mse")
    _, by_autodiff = gradients(
        model.trainable_weights,
        lambda: ops.mean(ops.square(model(inputs) - ops.convert_to_tensor(targets))),
    )
    for a, e in zip(by_sgd, by_autodiff, strict=True):
        np.testing.assert_allclose(a, e, atol=1e-5, rtol=1e-4)
    for a, e in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, e)


def test_flatten_all_concatenates_and_drops_the_mask(tmp_path, rng):
    tensors = [rng.normal(size=(2, 3, 4)).astype("float32"), np.ones((2, 5), "float32")]
    flat = ops.convert_to_numpy(training.FlattenAll()(tensors))
    np.testing.assert_array_equal(flat[:, :12], tensors[0].reshape(2, 12))
    np.testing.assert_array_equal(flat[:, 12:], tensors[1])
    assert training.FlattenAll().compute_mask(tensors, [None, None]) is None
    check_layer(training.FlattenAll, np.ones((2, 3, 4), "float32"), tmp_path, train=False)


def test_stop_below_stops_at_the_first_good_epoch_and_names_a_missing_quantity(rng):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x = rng.normal(size=(64, 1)).astype("float32")
    history = model.fit(
        x,
        2 * x,
        validation_data=(x, 2 * x),
        epochs=50,
        verbose=0,
        callbacks=[training.StopBelow(1e9)],
    )
    assert len(history.epoch) == 1  # any loss is below 1e9: stop after the first epoch
    with pytest.raises(ValueError, match="monitor must be a logged quantity.*validation_data"):
        model.fit(x, 2 * x, epochs=1, verbose=0, callbacks=[training.StopBelow(0.1)])
    with pytest.raises(TypeError, match="threshold must be a number"):
        training.StopBelow("low")


def test_time_budget_stops_fit_once_the_seconds_have_passed(rng):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = rng.standard_normal((64, 3)).astype("float32")
    budget = training.TimeBudget(1e-9)  # the clock starts after batch 1, spent after batch 2
    history = model.fit(x, x[:, :1], batch_size=8, epochs=5, verbose=0, callbacks=[budget])
    assert budget.steps == 2 and len(history.epoch) == 1
    assert budget.elapsed > 0
    roomy = training.TimeBudget(600.0)
    model.fit(x, x[:, :1], batch_size=8, epochs=2, verbose=0, callbacks=[roomy])
    assert roomy.steps == 16  # 2 epochs of 8 batches: the budget never ran out


def test_time_budget_stops_after_max_steps_and_clocks_without_limits(rng):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = rng.standard_normal((64, 3)).astype("float32")
    steps = training.TimeBudget(max_steps=11)  # 11 batches: one epoch of 8, then 3 more
    history = model.fit(x, x[:, :1], batch_size=8, epochs=5, verbose=0, callbacks=[steps])
    assert steps.steps == 11 and len(history.epoch) == 2 and steps.elapsed > 0
    clock = training.TimeBudget()  # no limit: fit's epochs decide
    model.fit(x, x[:, :1], batch_size=8, epochs=3, verbose=0, callbacks=[clock])
    assert clock.steps == 24 and clock.elapsed > 0
    with pytest.raises(ValueError, match=r"max_steps must be an int >= 1 \(got max_steps=0\)"):
        training.TimeBudget(max_steps=0)


def _all_variables(model):
    return {id(v) for v in model.variables + model.optimizer.variables + model.metrics_variables}


def test_build_for_fit_leaves_fit_no_variable_to_create(rng):
    model = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    x = rng.standard_normal((32, 3)).astype("float32")
    assert training.build_for_fit(model, x) is model
    built = _all_variables(model)
    assert len(model.optimizer.variables) > 2  # moments and iterations exist before fit
    model.fit(x, x[:, :1], batch_size=8, epochs=1, verbose=0)
    # nothing created during the first step: TensorFlow traces it once, not twice
    assert _all_variables(model) == built
    with pytest.raises(TypeError, match=r"model must be a keras.Model, compiled \(got str\)"):
        training.build_for_fit("model", x)


def test_build_for_fit_builds_a_model_of_several_inputs(rng):
    first, second = keras.Input((3,)), keras.Input((2,))
    joined = keras.layers.Concatenate()([first, second])
    model = keras.Model((first, second), keras.layers.Dense(1)(joined))
    model.compile("sgd", "mse")
    inputs = (rng.standard_normal((5, 3)), rng.standard_normal((5, 2)))
    training.build_for_fit(model, inputs)
    assert model.optimizer.built


def test_build_for_fit_without_inputs_builds_only_the_optimizer():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])  # built already
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    weights = [id(v) for v in model.weights]
    training.build_for_fit(model)
    assert model.optimizer.built and [id(v) for v in model.weights] == weights


def test_peak_memory_sees_a_block_that_holds_memory():
    with training.PeakMemory() as memory:
        held = np.ones((64, 1024, 1024), np.uint8)  # 64 MiB, touched
        held[:] = 1
    if memory.peak_mib is None:  # no /proc here: nothing to measure
        pytest.skip("/proc/self/status is not available")
    assert memory.added_mib >= 60
    assert memory.peak_mib >= memory.start_mib + memory.added_mib - 1e-6

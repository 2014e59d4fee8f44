"""Proof that a distribution changes where the numbers are computed, not the numbers.

:func:`train_step_agreement` takes one training step twice from the same
weights and the same batch, once on one device and once under a
``keras.distribution`` (data or model parallel), and returns how far the
losses and the updated weights differ. Only the order of floating-point
sums changes (a mean over the batch becomes a mean of the devices' means,
a matrix product is summed across the model axis), so the differences are
rounding errors, some 1e-7 relative in float32.
"""

import numpy as np

from companion.checks import check_int

TOLERANCE = 1e-5  # float32: a reordered sum, never a different computation


def _compiled(model, learning_rate):
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _step(build_model, weights, inputs, targets, learning_rate):
    model = build_model()
    model(inputs)  # (B, T, V): creates the variables where the distribution says
    model.set_weights(weights)
    _compiled(model, learning_rate)
    loss = float(model.train_on_batch(inputs, targets))
    return model, loss


def _largest_difference(first, second):
    return max(
        float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        for a, b in zip(first, second, strict=True)
    )


def _check_batch(inputs, distribution):
    replicas = distribution.num_model_replicas
    if inputs.shape[0] % replicas:
        raise ValueError(
            f"inputs must have a batch that is a multiple of the {replicas} data-parallel "
            f"devices (got a batch of {inputs.shape[0]})"
        )


def train_step_agreement(build_model, inputs, targets, distributions, learning_rate=1e-3):
    """One Adam step on one device, then under each distribution, from the same weights.

    Args:
        build_model: callable with no arguments returning a new, unbuilt
            Keras model that maps ``inputs`` to logits over the ids of ``targets``.
        inputs: int array ``(batch, time)``; ``batch`` must be a multiple
            of every distribution's data-parallel devices.
        targets: int array ``(batch, time)``.
        distributions: list of ``keras.distribution.Distribution``.
        learning_rate: float. Defaults to 1e-3.

    Returns:
        list of dict, one per distribution, with ``loss_single`` and
        ``loss_distributed`` (float), ``weight_difference`` (the largest
        absolute difference between the two models' weights after the
        step), ``weight_change`` (the largest change the step made on one
        device, to show that it did something), ``model`` (the distributed
        model) and ``single_model`` (the one-device model, the same for
        every distribution); both are compiled and can train on.
    """
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    check_int("batch", inputs.shape[0], minimum=1)
    for distribution in distributions:
        _check_batch(inputs, distribution)
    initial = build_model()
    initial(inputs)  # (B, T, V): creates the weights every run starts from
    start = [np.asarray(w) for w in initial.get_weights()]
    single, loss_single = _step(build_model, start, inputs, targets, learning_rate)
    after_single = single.get_weights()
    reports = []
    for distribution in distributions:
        with distribution.scope():
            model, loss = _step(build_model, start, inputs, targets, learning_rate)
        reports.append(
            {
                "loss_single": loss_single,
                "loss_distributed": loss,
                "weight_difference": _largest_difference(after_single, model.get_weights()),
                "weight_change": _largest_difference(after_single, start),
                "model": model,
                "single_model": single,
            }
        )
    return reports

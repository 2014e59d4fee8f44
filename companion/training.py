r"""Training helpers the chapters share: gradients without backend code, a stopping rule.

* :func:`sgd_gradients`: the gradient of a loss with respect to every
  trainable weight, read off one plain SGD step with learning rate 1
  (:math:`w \leftarrow w - 1 \cdot \partial L / \partial w`, so the change of
  each weight is its gradient). It runs through ``model.train_on_batch``, so
  it is the same code on every backend.
* :class:`FlattenAll`: concatenates a layer's outputs and states into one
  vector per sample, so one loss reaches all of them.
* :class:`StopBelow`: stops ``fit`` once the validation loss is below a bar.
* :class:`TimeBudget`: stops ``fit`` after a number of seconds, so two models
  can be compared at the same wall-clock budget.
* :class:`PeakMemory`: the peak resident memory while a block runs.
* :func:`build_for_fit`: creates a compiled model's weights and optimizer
  state before ``fit``, so that TensorFlow traces the training step once.
"""

import time

import keras
import numpy as np
from keras import ops

from companion.checks import check_float, check_int


def sgd_gradients(model, inputs, targets, loss):
    """Gradients of ``loss`` with respect to the trainable weights, by one SGD step.

    The weights are restored afterwards. The model is compiled with plain SGD
    (learning rate 1) the first time it is given this ``loss``.

    Args:
        model: a ``keras.Model``.
        inputs, targets: one batch, as ``train_on_batch`` takes them.
        loss: a Keras loss (name, object or function ``(y_true, y_pred)``).

    Returns:
        list of NumPy arrays, one per trainable weight, in
        ``model.trainable_weights`` order.

    Example:

    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    >>> model.set_weights([np.array([[2.0]], "float32")])
    >>> grads = sgd_gradients(model, np.array([[3.0]]), np.array([[0.0]]), "mse")
    >>> float(grads[0][0, 0])  # d/dw (3w - 0)^2 = 18 w at w = 2
    36.0
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model (got {type(model).__name__})")
    if getattr(model, "gradient_loss", None) is not loss:
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss=loss)
        model.gradient_loss = loss
    before = [np.array(w) for w in model.get_weights()]
    model.train_on_batch(inputs, targets)
    after = model.get_weights()
    model.set_weights(before)
    trainable = {id(w) for w in model.trainable_weights}
    return [
        b - a for b, a, w in zip(before, after, model.weights, strict=True) if id(w) in trainable
    ]


@keras.saving.register_keras_serializable(package="companion")
class FlattenAll(keras.layers.Layer):
    """Concatenates tensors, each flattened to ``(batch, -1)``; drops any mask.

    Call arguments:
        tensors: a tensor or a list of tensors with the same batch size.

    Returns:
        Tensor ``(batch, sum of the flattened sizes)``.

    Example:

    >>> tensors = [np.zeros((2, 3, 4), "float32"), np.zeros((2, 5), "float32")]
    >>> tuple(FlattenAll()(tensors).shape)
    (2, 17)
    """

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, tensors, mask=None):
        tensors = keras.tree.flatten(tensors)
        if not tensors:
            raise ValueError("tensors must hold at least one tensor (got an empty list)")
        flat = [ops.reshape(t, (ops.shape(t)[0], -1)) for t in tensors]
        return ops.concatenate(flat, axis=-1)  # (B, sum of sizes)

    def compute_output_shape(self, shapes):
        shapes = [shapes] if isinstance(shapes[0], (int, type(None))) else shapes
        sizes = [int(np.prod(shape[1:])) for shape in shapes]
        return (shapes[0][0], sum(sizes))


class StopBelow(keras.callbacks.Callback):
    """Stops training at the end of the first epoch whose validation loss is below ``threshold``.

    Args:
        threshold: float. The validation loss to reach.
        monitor: str. The logged quantity. Defaults to ``"val_loss"``.
    """

    def __init__(self, threshold, monitor="val_loss"):
        super().__init__()
        self.threshold = check_float("threshold", threshold)
        self.monitor = monitor

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(
                f"monitor must be a logged quantity, one of {sorted(logs)} "
                f"(got monitor={self.monitor!r}); pass validation_data to fit for val_loss"
            )
        if logs[self.monitor] < self.threshold:
            self.model.stop_training = True


def build_for_fit(model, inputs=None):
    """Creates a compiled model's weights and its optimizer's state before ``fit``.

    Keras builds an unbuilt model, and its optimizer, when ``fit`` first runs
    the training step. On TensorFlow (without a distribution strategy) that
    happens while the step is being traced into a graph, and a
    ``tf.function`` that creates variables is traced a second time: for a
    Transformer each trace costs seconds (thousands of graph operations).
    Built beforehand, the step is traced once. On JAX and torch only the
    order changes.

    Args:
        model: a compiled ``keras.Model``.
        inputs: the inputs ``fit`` will get (an array, or a tuple, list or
            dict of arrays); the model is called on symbolic tensors of their
            shapes and dtypes (``keras.KerasTensor``, any batch size), which
            creates the weights without computing anything. `None` when the
            model's weights exist already (a trainer around a built model):
            only the optimizer is built. Defaults to `None`.

    Returns:
        the model.

    Example:

    >>> model = keras.Sequential([keras.layers.Dense(1)])
    >>> model.compile("adam", "mse")
    >>> x = np.ones((4, 3), "float32")
    >>> len(build_for_fit(model, x).optimizer.variables) > 0
    True
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, compiled (got {type(model).__name__})")
    if getattr(model, "optimizer", None) is None:  # set by compile()
        raise ValueError(
            "model must be compiled before build_for_fit, which builds its optimizer "
            "(got a model without an optimizer: call compile() first)"
        )
    if inputs is not None:
        model(keras.tree.map_structure(_symbolic_batch, inputs))  # weights, nothing computed
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)  # moments, iterations
    return model


def _symbolic_batch(array):
    """A ``keras.KerasTensor`` like ``array``, of any batch size."""
    return keras.KerasTensor(
        (None, *array.shape[1:]), dtype=keras.backend.standardize_dtype(array.dtype)
    )


class TimeBudget(keras.callbacks.Callback):
    """Stops ``fit`` after ``seconds`` of wall-clock time or ``max_steps`` batches, and clocks it.

    The clock starts when the first batch has finished, so the compilation
    that the first step triggers on JAX and TensorFlow is not counted: two
    models get the same time to learn, whatever their compilers cost. The
    check runs after every batch; the batch under way finishes. With neither
    limit it only measures: a fixed amount of training (``max_steps``) whose
    result does not move with the machine's load, and its time, which a
    second model can then get as its ``seconds``.

    Args:
        seconds: float > 0 or `None`. The time budget. Defaults to `None`
            (no limit).
        max_steps: int >= 1 or `None`. The most batches, the first included.
            Defaults to `None` (no limit: ``fit``'s epochs decide).

    Attributes:
        steps: int. Batches trained, the first included.
        elapsed: float. Seconds from the first batch's end to the last's.

    Example:

    >>> budget = TimeBudget(30.0)
    >>> budget.seconds
    30.0
    >>> TimeBudget(max_steps=500).max_steps
    500
    """

    def __init__(self, seconds=None, max_steps=None):
        super().__init__()
        if seconds is not None:
            seconds = check_float("seconds", seconds, minimum=0.0, open_minimum=True)
        if max_steps is not None:
            max_steps = check_int("max_steps", max_steps, minimum=1)
        self.seconds = seconds
        self.max_steps = max_steps
        self.steps = 0
        self.elapsed = 0.0
        self._start = None

    def on_train_begin(self, logs=None):
        self._start = None
        self.steps = 0
        self.elapsed = 0.0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self._start is None:  # the first batch, compiled: the clock starts now
            self._start = time.perf_counter()
        else:
            self.elapsed = time.perf_counter() - self._start
        out_of_time = self.seconds is not None and self.elapsed >= self.seconds
        out_of_steps = self.max_steps is not None and self.steps >= self.max_steps
        if out_of_time or out_of_steps:
            self.model.stop_training = True


def _read_status_kib(field):
    """A ``VmRSS`` / ``VmHWM`` line of ``/proc/self/status``, in KiB, or `None` off Linux."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class PeakMemory:
    """Measures the peak resident memory of this process while a block runs (Linux).

    On entry the kernel's high-water mark is reset (``5`` written to
    ``/proc/self/clear_refs``); on exit it is read back (``VmHWM`` in
    ``/proc/self/status``). :attr:`peak_mib` is that peak, :attr:`added_mib`
    the peak less the memory held on entry: what the block needed on top.
    It measures the whole process (the backend's allocator caches
    included), so compare blocks that run the same way, one after the other.
    Where ``/proc`` is missing (macOS, Windows) both are `None`.

    Example:

    >>> with PeakMemory() as memory:
    ...     block = np.ones((1024, 1024))
    >>> memory.peak_mib is None or memory.peak_mib >= memory.start_mib
    True
    """

    def __init__(self):
        self.start_mib = self.peak_mib = self.added_mib = None

    def __enter__(self):
        try:
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")  # resets VmHWM to the current resident size
        except OSError:
            return self
        start = _read_status_kib("VmRSS")
        self.start_mib = None if start is None else start / 1024
        return self

    def __exit__(self, *exc_info):
        peak = _read_status_kib("VmHWM")
        if self.start_mib is not None and peak is not None:
            self.peak_mib = peak / 1024
            self.added_mib = self.peak_mib - self.start_mib
        return False

r"""Tuning methods: which weights of a pre-trained model train, and what each adds (deck ``003_…``).

=================  ====================================  ===============================
method             adds                                  trains
=================  ====================================  ===============================
``full``           nothing                               every weight
``linear_probe``   nothing                               the head only
``adapter``        bottleneck adapters in every block    adapters and head
``lora``           :math:`A, B` on the query and value   :math:`A, B` and head
``prefix``         prefix keys and values per layer      prefixes and head
``prompt``         soft prompt vectors before the input  prompt and head
=================  ====================================  ===============================

Everything else stays as pre-trained (frozen: ``variable.trainable =
False``); :func:`frozen_values` and :func:`changed_frozen` check it after
training. :func:`copy_pretrained` copies a pre-trained stack's weights into
a tuned one by their paths; :func:`merge_lora` folds LoRA's update into the
kernels for inference.
"""

import keras
import numpy as np
from keras import ops

from companion import transformer
from companion.checks import check_choice, check_int

METHODS = ("full", "linear_probe", "adapter", "lora", "prefix", "prompt")
"""The tuning methods, from most to fewest trained weights (roughly)."""

_ADDED = {
    "full": (),
    "linear_probe": (),
    "adapter": ("adapter",),
    "lora": ("lora_a", "lora_b"),
    "prefix": ("prefix_keys", "prefix_values"),
    "prompt": ("prompt",),
}


def check_method(method):
    """``method`` checked against :data:`METHODS`."""
    return check_choice("tuning", method, METHODS)


def method_options(
    method, lora_rank=4, lora_alpha=8.0, adapter_dim=16, prefix_length=8, prompt_length=8
):
    """The encoder options that add ``method``'s layers (none for full tuning and the probe).

    Example:

    >>> method_options("lora", lora_rank=2)
    {'lora_rank': 2, 'lora_alpha': 8.0}
    """
    check_method(method)
    options = {
        "adapter": {"adapter_dim": check_int("adapter_dim", adapter_dim, minimum=1)},
        "lora": {
            "lora_rank": check_int("lora_rank", lora_rank, minimum=1),
            "lora_alpha": lora_alpha,
        },
        "prefix": {"prefix_length": check_int("prefix_length", prefix_length, minimum=1)},
        "prompt": {"prompt_length": check_int("prompt_length", prompt_length, minimum=1)},
    }
    return options.get(method, {})


def _trains(method, variable, head_ids):
    if method == "full" or id(variable) in head_ids:
        return True
    return any(word in variable.path for word in _ADDED[method])


def freeze(model, method):
    """Makes trainable exactly the variables ``method`` trains (the head: ``model.head``).

    Args:
        model: a Keras model or layer, built.
        method: str, one of :data:`METHODS`.

    Returns:
        ``model``, with each variable's ``trainable`` set.
    """
    method = check_method(method)
    head = getattr(model, "head", None)
    head_ids = {id(v) for v in head.weights} if head is not None else set()
    for variable in model.weights:
        variable.trainable = _trains(method, variable, head_ids)
    return model


def _check_model(model):
    if not isinstance(model, (keras.layers.Layer, keras.Model)):
        raise TypeError(f"model must be a Keras model or layer (got {type(model).__name__})")


def count_parameters(model, trainable=True):
    """The number of trainable (or frozen) numbers in ``model``."""
    _check_model(model)
    chosen = model.trainable_weights if trainable else model.non_trainable_weights
    return int(sum(np.prod(v.shape) for v in chosen))


def frozen_values(model):
    """``{path: array}`` of every frozen variable, to compare after training."""
    _check_model(model)
    return {v.path: np.array(ops.convert_to_numpy(v)) for v in model.non_trainable_weights}


def changed_frozen(model, before):
    """Paths of frozen variables whose values differ from ``before`` (empty when none moved)."""
    now = frozen_values(model)
    return sorted(path for path, value in before.items() if not np.array_equal(now[path], value))


def _relative_paths(layer, skip_tuning):
    """``{path below layer: variable}`` for every variable of ``layer``."""
    found = {}
    for variable in layer.weights:
        if skip_tuning and transformer.is_tuning_variable(variable):
            continue
        parts = variable.path.split("/")
        below = parts[parts.index(layer.name) + 1 :] if layer.name in parts else parts
        found["/".join(below)] = variable
    return found


def copy_pretrained(source, target):
    """Copies every pre-trained weight of ``source`` into ``target``, matched by path.

    ``target`` may have tuning variables ``source`` lacks (LoRA, adapters,
    prefixes, prompts, see :func:`~companion.transformer.is_tuning_variable`);
    they keep their initial values. Every other variable of ``target`` must
    have a counterpart of the same path and shape in ``source``.

    Args:
        source: a built layer or model (for example ``mlm.encoder``).
        target: a built layer or model of the same architecture.

    Returns:
        int, the number of variables copied.
    """
    _check_model(source)
    _check_model(target)
    if not target.weights:
        raise ValueError(
            f"target must be built, with weights to fill (got {target.name!r} unbuilt)"
        )
    pretrained = _relative_paths(source, skip_tuning=True)
    copied = 0
    for path, variable in _relative_paths(target, skip_tuning=True).items():
        if path not in pretrained or tuple(pretrained[path].shape) != tuple(variable.shape):
            raise ValueError(
                f"target's variable {path!r} of shape {tuple(variable.shape)} has no "
                f"pre-trained counterpart of that path and shape in source {source.name!r} "
                f"(got {tuple(pretrained[path].shape) if path in pretrained else 'no such path'})"
            )
        variable.assign(ops.convert_to_numpy(pretrained[path]))  # a copy: JAX may donate buffers
        copied += 1
    return copied


def merge_lora(model):
    r"""A copy of ``model`` without LoRA layers: each kernel becomes :math:`W + \frac{\alpha}{r}AB`.

    The merged model computes the same outputs at the cost of the original
    architecture: LoRA adds nothing at inference.

    Args:
        model: a built companion model whose configuration has ``lora_rank``
            (the Transformer models and :class:`~companion.finetune.TextClassifier`).

    Returns:
        a new model of the same class with ``lora_rank=0``, built, with every
        variable trainable for a ``tuning`` configuration set to ``"full"``.
    """
    config = model.get_config()
    if not config.get("lora_rank"):
        raise ValueError(
            f"model must have LoRA layers to merge (got lora_rank={config.get('lora_rank')!r} "
            f"in {model.name!r}'s configuration)"
        )
    config.update(lora_rank=0, lora_alpha=None)
    if "tuning" in config:
        config["tuning"] = "full"
    merged = model.__class__.from_config(config)
    merged(ops.ones((1, min(2, config["sequence_length"])), "int32"))  # builds lazy models
    kernels = {
        id(layer.kernel): layer.merged_kernel()
        for layer in model._flatten_layers()
        if isinstance(layer, transformer.LoRADense)
    }
    source = _relative_paths(model, skip_tuning=True)
    for path, variable in _relative_paths(merged, skip_tuning=True).items():
        value = source[path]
        variable.assign(ops.convert_to_numpy(kernels.get(id(value), value)))
    return merged

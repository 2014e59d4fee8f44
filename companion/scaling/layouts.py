r"""Where each weight of a Transformer block lives on a device mesh (Megatron-style).

A mesh of ``devices = data × model`` devices has two axes: ``"batch"``
(each row holds a whole copy of the model and a slice of the batch) and
``"model"`` (the devices of a row share one copy, each holding a slice of
the big matrices). In a block, with :math:`M` devices on the model axis:

* the query, key and value projections :math:`W_Q, W_K, W_V \in
  \mathbb{R}^{d \times d}` are split by *columns*, so each device computes
  :math:`h / M` whole heads: ``(None, "model")``;
* the output projection :math:`W_O` is split by *rows*, matching the heads
  each device holds: ``("model", None)``; the partial products are summed
  across the model axis (one all-reduce);
* the MLP likewise: :math:`W_1 \in \mathbb{R}^{d \times d_{ff}}` by columns,
  :math:`W_2 \in \mathbb{R}^{d_{ff} \times d}` by rows.

Everything else (embeddings, layer norms, output biases, the output layer)
is replicated. Keras matches a variable's path (``variable.path``, e.g.
``gpt/decoder/block_0/self_attention/query/kernel``; an encoder block's
attention is ``self_attention_layer``, as in keras-hub) against each key with
``re.fullmatch``, so every key below starts with ``.*`` and names the whole
tail of the path. This module does not import Keras at import time.
"""

from companion.checks import check_int

MODEL_AXIS = "model"
BATCH_AXIS = "batch"

# variable path (regex, matched whole) -> sharded axes of the variable, one entry per dimension
TRANSFORMER_LAYOUT = {
    r".*attention(_layer)?/(query|key|value)/kernel": (None, MODEL_AXIS),  # (d, d): heads split
    r".*attention(_layer)?/(query|key|value)/bias": (MODEL_AXIS,),  # (d,)
    r".*attention(_layer)?/attention_output/kernel": (MODEL_AXIS, None),  # (d, d): rows split
    r".*feedforward_intermediate_dense/kernel": (None, MODEL_AXIS),  # (d, d_ff)
    r".*feedforward_intermediate_dense/bias": (MODEL_AXIS,),  # (d_ff,)
    r".*feedforward_output_dense/kernel": (MODEL_AXIS, None),  # (d_ff, d)
}


def transformer_layout_map(device_mesh):
    """A ``keras.distribution.LayoutMap`` of :data:`TRANSFORMER_LAYOUT` on ``device_mesh``.

    Args:
        device_mesh: a ``keras.distribution.DeviceMesh`` with the axes
            ``("batch", "model")``.

    Returns:
        ``keras.distribution.LayoutMap``.
    """
    import keras

    if not isinstance(device_mesh, keras.distribution.DeviceMesh):
        raise TypeError(
            f"device_mesh must be a keras.distribution.DeviceMesh (got {device_mesh!r})"
        )
    if tuple(device_mesh.axis_names) != (BATCH_AXIS, MODEL_AXIS):
        raise ValueError(
            f"device_mesh must have the axes {(BATCH_AXIS, MODEL_AXIS)} "
            f"(got axis_names={tuple(device_mesh.axis_names)})"
        )
    layout_map = keras.distribution.LayoutMap(device_mesh)
    for pattern, axes in TRANSFORMER_LAYOUT.items():
        layout_map[pattern] = axes
    return layout_map


def check_model_parallel_sizes(model_parallel, num_heads, hidden_dim, intermediate_dim):
    """Checks that ``model_parallel`` devices can split the heads and the MLP evenly.

    JAX needs every sharded dimension to be a multiple of the devices it is
    split over; this says which one is not, before any variable is made.

    Args:
        model_parallel: int >= 1. Devices on the model axis.
        num_heads: int. Attention heads per block.
        hidden_dim: int. Width :math:`d`.
        intermediate_dim: int. MLP width :math:`d_{ff}`.

    Raises:
        ValueError: if ``num_heads``, ``hidden_dim`` or ``intermediate_dim``
            is not a multiple of ``model_parallel``.
    """
    model_parallel = check_int("model_parallel", model_parallel, minimum=1)
    for name, size in (
        ("num_heads", num_heads),
        ("hidden_dim", hidden_dim),
        ("intermediate_dim", intermediate_dim),
    ):
        if check_int(name, size, minimum=1) % model_parallel:
            raise ValueError(
                f"{name} must be a multiple of model_parallel={model_parallel} to be split "
                f"across the model axis (got {name}={size})"
            )

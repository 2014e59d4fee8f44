"""keras-hub's ``ViTBackbone`` weights into our :class:`VisionTransformer`, for the proofs.

keras-hub names: ``vit_patching_and_embedding`` (``patch_embedding`` a
``Conv2D``, ``class_token`` ``(1, 1, D)``, ``position_embedding`` an
``Embedding`` of ``N + 1`` rows), then ``vit_encoder`` with blocks
``transformer_block_i`` (``ln_1``, ``mha``, ``ln_2``, ``mlp.dense_1``,
``mlp.dense_2``) and a final ``ln``. Ours have the same shapes up to the
attention kernels' reshape (:func:`companion.transformer.mha_weights_from_keras`).
"""

import numpy as np
from keras import ops

from companion import transformer
from companion.vision.vit import VisionTransformer


def _copy(ours, theirs):
    """Sets ``ours`` (a list of variables) from ``theirs`` (tensors), reshaping, sizes checked."""
    for variable, value in zip(ours, theirs, strict=True):
        value = np.asarray(ops.convert_to_numpy(value))
        if value.size != np.prod(variable.shape):
            raise ValueError(
                f"the models' sizes differ: our {variable.path} {tuple(variable.shape)} "
                f"against {value.shape}"
            )
        variable.assign(value.reshape(variable.shape))


def vit_weights_from_keras_hub(ours, backbone):
    """Copies a built ``keras_hub.models.ViTBackbone``'s weights into our built ViT's encoder.

    Our head has no counterpart in the backbone and is left as it is.

    Args:
        ours: a built :class:`VisionTransformer` (either ``patch_method``).
        backbone: a ``ViTBackbone`` with the same image shape, patch size,
            width, depth, heads and MLP width, a class token and biases.

    Returns:
        ``ours``, for chaining.
    """
    if not isinstance(ours, VisionTransformer) or not ours.built:
        raise TypeError(f"ours must be a built companion VisionTransformer (got {ours!r:.80})")
    try:
        embedding = backbone.get_layer("vit_patching_and_embedding")
        encoder = backbone.get_layer("vit_encoder")
    except (AttributeError, ValueError) as error:
        raise TypeError(
            f"backbone must be a keras_hub ViTBackbone (got {backbone!r:.80})"
        ) from error
    sizes = (ours.num_layers, ours.num_heads, ours.hidden_dim, ours.mlp_dim, ours.patch_size)
    their_patch = tuple(np.broadcast_to(backbone.patch_size, 2))
    their_sizes = (encoder.num_layers, encoder.num_heads, encoder.hidden_dim, encoder.mlp_dim)
    if sizes != (*their_sizes, their_patch[0]) or their_patch[0] != their_patch[1]:
        raise ValueError(
            "the models differ: (num_layers, num_heads, hidden_dim, mlp_dim, patch_size) = "
            f"{sizes} for ours against {(*their_sizes, their_patch)} for the backbone"
        )
    patches = ours.patch_embedding.projection
    _copy([patches.kernel, patches.bias], embedding.patch_embedding.weights)
    _copy([ours.class_token.token], [embedding.class_token])
    _copy([ours.position_embedding.positions], [embedding.position_embedding.embeddings])
    for block, theirs in zip(ours.blocks, encoder.encoder_layers, strict=True):
        transformer.mha_weights_from_keras(block.self_attention, theirs.mha)
        _copy(block.self_attention_norm.weights, theirs.layer_norm_1.weights)
        _copy(block.feedforward_norm.weights, theirs.layer_norm_2.weights)
        _copy(block.feedforward_intermediate.weights, theirs.mlp.dense_1.weights)
        _copy(block.feedforward_output.weights, theirs.mlp.dense_2.weights)
    _copy(ours.final_norm.weights, encoder.layer_norm.weights)
    return ours

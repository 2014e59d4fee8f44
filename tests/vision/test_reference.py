"""Tests of companion.vision.reference: our ViT equals keras-hub's ViTBackbone.

Tolerances: outputs atol 1e-5, gradients atol 1e-4.
"""

import keras_hub
import numpy as np
import pytest
from keras import ops
from support import gradients

from companion import vision

SHAPE, PATCH, HIDDEN, LAYERS, HEADS, MLP = (8, 8, 3), 4, 8, 2, 2, 16


def _backbone(rng):
    backbone = keras_hub.models.ViTBackbone(
        image_shape=SHAPE,
        patch_size=PATCH,
        num_layers=LAYERS,
        num_heads=HEADS,
        hidden_dim=HIDDEN,
        mlp_dim=MLP,
    )
    for weight in backbone.weights:  # every weight random, biases and norms included
        weight.assign(0.3 * rng.standard_normal(tuple(weight.shape)).astype("float32"))
    return backbone


def _same_shape_pairs(ours, backbone):
    """Our weights that equal a backbone weight with no reshape: all but the attention kernels."""
    theirs = {tuple(w.shape): [] for w in backbone.weights}
    for weight in backbone.weights:
        theirs[tuple(weight.shape)].append(weight)
    pairs = [(ours.class_token.token, backbone.get_layer("vit_patching_and_embedding").class_token)]
    embedding = backbone.get_layer("vit_patching_and_embedding")
    pairs.append((ours.position_embedding.positions, embedding.position_embedding.embeddings))
    pairs.append((ours.patch_embedding.projection.kernel, embedding.patch_embedding.kernel))
    encoder = backbone.get_layer("vit_encoder")
    for block, their_block in zip(ours.blocks, encoder.encoder_layers, strict=True):
        pairs.append((block.feedforward_intermediate.kernel, their_block.mlp.dense_1.kernel))
        pairs.append((block.self_attention_norm.gamma, their_block.layer_norm_1.gamma))
    pairs.append((ours.final_norm.beta, encoder.layer_norm.beta))
    return pairs


def test_vit_encoder_equals_keras_hub_vit_backbone_outputs_and_gradients(rng, small_vit):
    images = rng.normal(size=(2, *SHAPE)).astype("float32")
    backbone = _backbone(rng)
    ours = vision.vit_weights_from_keras_hub(small_vit(), backbone)
    pairs = _same_shape_pairs(ours, backbone)

    def loss_of(model):
        return lambda: (ops.sum(ops.sin(model(images))), model(images))

    (our_out,), our_grads = gradients([a for a, _ in pairs], loss_of(ours.encode))
    (their_out,), their_grads = gradients([b for _, b in pairs], loss_of(backbone))
    assert our_out.shape == (2, (8 // PATCH) ** 2 + 1, HIDDEN)
    np.testing.assert_allclose(our_out, their_out, atol=1e-5)
    for ours_grad, theirs_grad in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(ours_grad, theirs_grad.reshape(ours_grad.shape), atol=1e-4)
    head = HIDDEN * 5 + 5
    assert ours.count_params() - head == backbone.count_params()


def test_the_dense_patch_method_gives_the_same_model(rng, small_vit):
    images = rng.normal(size=(2, *SHAPE)).astype("float32")
    backbone = _backbone(rng)
    convolution = vision.vit_weights_from_keras_hub(small_vit(), backbone)
    dense = vision.vit_weights_from_keras_hub(small_vit(patch_method="dense"), backbone)
    np.testing.assert_allclose(
        ops.convert_to_numpy(dense.encode(images)),
        ops.convert_to_numpy(convolution.encode(images)),
        atol=1e-5,
    )


def test_models_of_different_sizes_are_refused(rng):
    one_block = vision.VisionTransformer(SHAPE, PATCH, 5, hidden_dim=HIDDEN, num_layers=1)
    one_block.build((None, *SHAPE))
    with pytest.raises(
        ValueError, match=r"the models differ: \(num_layers, .* \(1, 4, 8, 128, 4\)"
    ):
        vision.vit_weights_from_keras_hub(one_block, _backbone(rng))

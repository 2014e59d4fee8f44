r"""The Vision Transformer, from scratch (decks 001 and 003; Dosovitskiy et al., 2020).

* :mod:`~companion.vision.patches`: :func:`extract_patches` (equal to
  ``keras.ops.image.extract_patches``) and :class:`PatchEmbedding`, as a
  strided convolution or a dense layer on flattened patches;
* :mod:`~companion.vision.tokens`: :class:`ClassToken`,
  :class:`GridPositionEmbedding`, :func:`interpolate_positions` and
  :func:`position_similarity`;
* :mod:`~companion.vision.vit`: :class:`VisionTransformer`, from chapter 5's
  pre-norm encoder blocks;
* :mod:`~companion.vision.rollout`: :func:`class_token_attention`,
  :func:`attention_rollout` and :func:`mass_inside_box`;
* :mod:`~companion.vision.augment`: :func:`random_shifts` and
  :func:`augmented_epochs`;
* :mod:`~companion.vision.baselines`: :func:`build_cnn` and :func:`build_mlp`;
* :mod:`~companion.vision.reference`: :func:`vit_weights_from_keras_hub`, for
  the proof against ``keras_hub.models.ViTBackbone``.
"""

from companion.vision.augment import augmented_epochs, random_shifts
from companion.vision.baselines import build_cnn, build_mlp
from companion.vision.patches import EMBEDDING_METHODS, PatchEmbedding, extract_patches
from companion.vision.reference import vit_weights_from_keras_hub
from companion.vision.rollout import attention_rollout, class_token_attention, mass_inside_box
from companion.vision.tokens import (
    ClassToken,
    GridPositionEmbedding,
    interpolate_positions,
    position_similarity,
)
from companion.vision.vit import VisionTransformer

__all__ = [
    "EMBEDDING_METHODS",
    "ClassToken",
    "GridPositionEmbedding",
    "PatchEmbedding",
    "VisionTransformer",
    "attention_rollout",
    "augmented_epochs",
    "build_cnn",
    "build_mlp",
    "class_token_attention",
    "extract_patches",
    "interpolate_positions",
    "mass_inside_box",
    "position_similarity",
    "random_shifts",
    "vit_weights_from_keras_hub",
]

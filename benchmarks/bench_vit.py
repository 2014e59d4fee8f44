"""Benchmarks of companion.vision: the ViT's training speed, against keras-hub's, and the CNN's.

Every row is one training step (``train_on_batch``, AdamW at the chapter's
2e-3 and weight decay 0.05, a constant rate, sparse categorical
cross-entropy from logits, float32) on the same batch of 64 random 28 x 28 x 1
images in [0, 1) with random labels of 10 classes; the models have seeded
random weights (speed does not depend on them). Images per second are 64 /
the median step time (the timer's warm-up calls absorb the compiled first
step).

* Chapter 7's ViT, ``vision.VisionTransformer((28, 28, 1), patch_size=7,
  num_classes=10, hidden_dim=64, num_layers=4, num_heads=4, mlp_dim=128)``:
  a 4 x 4 grid of 7 x 7 patches, 16 tokens and the class token. Goal: within
  3x across backends.
* Its baseline: ``keras_hub.models.ViTBackbone`` in the same configuration
  (``image_shape=(28, 28, 1), patch_size=7, num_layers=4, num_heads=4,
  hidden_dim=64, mlp_dim=128``) with ``keras.layers.Dense(10)`` on its class
  token (``output[:, 0]``), one functional ``keras.Model``: the same
  computation as ours (:func:`~companion.vision.vit_weights_from_keras_hub`
  proves the encoders equal). Goal: our step at most 1.2x the baseline's on
  every backend.
* The chapter's CNN, ``vision.build_cnn((28, 28, 1), 10)`` (two 3 x 3
  convolution and pooling stages of 16 and 32 filters, a dense layer of 64,
  dropout 0.25), in the same group so that its cost stands next to the
  ViT's: its ratio column is its step time over keras-hub's ViT's. Reported
  only, no goal.
"""

import numpy as np

from benchmarks.core import Benchmark, Goal

MATCH_KERAS_HUB = Goal("ratio", 1.2)
SPREAD = Goal("spread", 3.0)

# Chapter 7's ViT on MNIST's 28 x 28 digits, and its training batch.
IMAGE_SHAPE, CLASSES, PATCH = (28, 28, 1), 10, 7
WIDTH, LAYERS, HEADS, MLP = 64, 4, 4, 128
BATCH = 64
LEARNING_RATE, WEIGHT_DECAY = 2e-3, 0.05  # the chapter's AdamW, without its schedule
GROUP = (
    f"image classifier train step, ViT {LAYERS} layers of {WIDTH}, {HEADS} heads, "
    f"MLP {MLP}, {PATCH}x{PATCH} patches, B={BATCH} x 28x28x1 "
    f"(images/s = {BATCH} / median)"
)


def _train_step(build):
    """A training step of the model ``build()`` returns, compiled as chapter 7 compiles it."""
    import keras

    from companion import runtime

    runtime.set_seed(0)
    model = build()
    model.compile(
        optimizer=keras.optimizers.AdamW(LEARNING_RATE, weight_decay=WEIGHT_DECAY),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(0)
    images = rng.random((BATCH, *IMAGE_SHAPE)).astype("float32")
    labels = rng.integers(0, CLASSES, size=BATCH).astype("int32")
    return lambda: model.train_on_batch(images, labels)


def build_keras_hub_vit():
    """keras-hub's ``ViTBackbone``, the chapter's configuration, a ``Dense`` on its class token."""
    import keras
    import keras_hub

    backbone = keras_hub.models.ViTBackbone(
        image_shape=IMAGE_SHAPE,
        patch_size=PATCH,
        num_layers=LAYERS,
        num_heads=HEADS,
        hidden_dim=WIDTH,
        mlp_dim=MLP,
    )
    images = keras.Input(IMAGE_SHAPE)
    tokens = backbone(images)  # (B, N + 1, D), token 0 the class token
    return keras.Model(images, keras.layers.Dense(CLASSES)(tokens[:, 0]))


def build_vit():
    """Chapter 7's ViT: 4 x 4 patches of 7 x 7 pixels, 4 pre-norm blocks of 64."""
    from companion import vision

    return vision.VisionTransformer(
        IMAGE_SHAPE,
        patch_size=PATCH,
        num_classes=CLASSES,
        hidden_dim=WIDTH,
        num_layers=LAYERS,
        num_heads=HEADS,
        mlp_dim=MLP,
    )


def build_cnn():
    """Chapter 7's CNN baseline."""
    from companion import vision

    return vision.build_cnn(IMAGE_SHAPE, CLASSES)


def make_keras_hub_vit():
    return _train_step(build_keras_hub_vit)


def make_vit():
    return _train_step(build_vit)


def make_cnn():
    return _train_step(build_cnn)


BENCHMARKS = [
    Benchmark(
        GROUP,
        "keras_hub.models.ViTBackbone + Dense(10) on the class token",
        make_keras_hub_vit,
        baseline=True,
    ),
    Benchmark(GROUP, "vision.VisionTransformer", make_vit, goals=(MATCH_KERAS_HUB, SPREAD)),
    Benchmark(GROUP, "vision.build_cnn (reported only)", make_cnn),
]

"""The baselines a critic asks for next to a ViT: a small convolutional network and an MLP.

A convolution shares one small kernel over every position (translation
equivariance) and sees only a neighbourhood (locality); pooling then buys
some invariance to small shifts. A ViT must learn both from data: its
patches meet only through attention, which starts out knowing nothing of
the grid. That inductive bias is why the CNN wins on a few thousand images.
"""

import keras

from companion.checks import check_float, check_int
from companion.vision.patches import check_image_shape


def build_cnn(image_shape, num_classes, filters=(16, 32), dense_units=64, dropout=0.25):
    r"""A LeNet-style CNN: ``[conv 3x3, ReLU, 2x2 max-pool]`` per entry of ``filters``, then dense.

    Args:
        image_shape: tuple ``(height, width, channels)``.
        num_classes: int >= 2.
        filters: tuple of int. Filters of each convolution stage. Defaults to `(16, 32)`.
        dense_units: int >= 1. Hidden units before the output. Defaults to `64`.
        dropout: float in [0, 1). Before the output layer. Defaults to `0.25`.

    Returns:
        An uncompiled ``keras.Model`` with logits ``(batch, num_classes)``.

    Example:

    >>> model = build_cnn((28, 28, 1), 10)
    >>> model.output_shape
    (None, 10)
    """
    shape = check_image_shape(image_shape)
    num_classes = check_int("num_classes", num_classes, minimum=2)
    dropout = check_float("dropout", dropout, 0.0, 1.0, open_maximum=True)
    images = keras.Input(shape=shape, name="images")
    x = images
    for stage, width in enumerate(filters):
        width = check_int("filters", width, minimum=1)
        x = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv_{stage}")(
            x
        )  # (B, h, w, f): one shared 3x3 kernel per filter
        x = keras.layers.MaxPooling2D(name=f"pool_{stage}")(x)  # (B, h / 2, w / 2, f)
    x = keras.layers.Flatten(name="flatten")(x)  # (B, h w f)
    x = keras.layers.Dense(check_int("dense_units", dense_units, minimum=1), activation="relu")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)  # (B, classes)
    return keras.Model(images, logits, name="cnn")


def build_mlp(image_shape, num_classes, units=(128,), dropout=0.25):
    """A multilayer perceptron on the flattened pixels: no locality, no weight sharing.

    Args:
        image_shape: tuple ``(height, width, channels)``.
        num_classes: int >= 2.
        units: tuple of int. Widths of the hidden ReLU layers. Defaults to `(128,)`.
        dropout: float in [0, 1). After each hidden layer. Defaults to `0.25`.

    Returns:
        An uncompiled ``keras.Model`` with logits ``(batch, num_classes)``.

    Example:

    >>> build_mlp((28, 28, 1), 10).count_params()
    101770
    """
    shape = check_image_shape(image_shape)
    num_classes = check_int("num_classes", num_classes, minimum=2)
    dropout = check_float("dropout", dropout, 0.0, 1.0, open_maximum=True)
    images = keras.Input(shape=shape, name="images")
    x = keras.layers.Flatten(name="flatten")(images)  # (B, H W C)
    for index, width in enumerate(units):
        x = keras.layers.Dense(
            check_int("units", width, minimum=1), activation="relu", name=f"hidden_{index}"
        )(x)
        x = keras.layers.Dropout(dropout, name=f"dropout_{index}")(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)  # (B, classes)
    return keras.Model(images, logits, name="mlp")

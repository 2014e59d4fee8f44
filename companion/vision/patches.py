r"""An image as a sequence: patches and their embedding (Dosovitskiy et al., 2020).

An image :math:`x \in \mathbb{R}^{H \times W \times C}` is cut into
:math:`N = (H / P)(W / P)` non-overlapping :math:`P \times P` patches; each
is flattened to a vector of :math:`P^2 C` numbers (rows, then columns, then
channels) and mapped by one shared linear layer to the model's width
:math:`D`:

.. math::

    z_i = E\, \operatorname{vec}(x_{p,i}) + b, \qquad
    E \in \mathbb{R}^{D \times P^2 C}.

The same map is a convolution with a :math:`P \times P` kernel and stride
:math:`P`: each output pixel sees exactly one patch, and the kernel
``(P, P, C, D)`` reshaped to ``(P^2 C, D)`` is :math:`E^\top`.
:class:`PatchEmbedding` computes it either way; the tests prove the two
equal.
"""

import keras
from keras import ops

from companion.checks import check_int, check_rank

EMBEDDING_METHODS = ("convolution", "dense")


def check_image_shape(image_shape):
    """Returns ``image_shape`` as a tuple of three positive ints ``(height, width, channels)``."""
    shape = tuple(image_shape)
    if len(shape) != 3 or not all(isinstance(s, int) and s >= 1 for s in shape):
        raise ValueError(f"image_shape must be (height, width, channels) (got {image_shape!r})")
    return shape


def _check_patch_size(patch_size, image_shape):
    patch_size = check_int("patch_size", patch_size, minimum=1)
    height, width = image_shape[-3], image_shape[-2]
    if height is None or width is None or height % patch_size or width % patch_size:
        raise ValueError(
            f"the image's height and width must be multiples of patch_size={patch_size} "
            f"(got images of shape {tuple(image_shape)})"
        )
    return patch_size


def extract_patches(images, patch_size):
    """Cuts images into non-overlapping square patches, each flattened (rows, columns, channels).

    Equal to ``keras.ops.image.extract_patches(images, patch_size)`` for
    channels-last images: a reshape and a transpose, no arithmetic.

    Args:
        images: float tensor ``(batch, height, width, channels)``; height and
            width multiples of ``patch_size``.
        patch_size: int >= 1. Side of a patch, in pixels.

    Returns:
        tensor ``(batch, height / P, width / P, P * P * channels)``.

    Example:

    >>> images = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> patches = keras.ops.convert_to_numpy(extract_patches(images, 2))
    >>> patches.shape, patches[0, 0, 1].tolist()
    ((1, 2, 2, 4), [2.0, 3.0, 6.0, 7.0])
    """
    check_rank("images", images.shape, 4, "(batch, height, width, channels)")
    size = _check_patch_size(patch_size, images.shape)
    _, height, width, channels = images.shape
    rows, columns = height // size, width // size
    x = ops.reshape(images, (-1, rows, size, columns, size, channels))  # (B, gh, P, gw, P, C)
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))  # (B, gh, gw, P, P, C): one patch per (gh, gw)
    return ops.reshape(x, (-1, rows, columns, size * size * channels))  # (B, gh, gw, P*P*C)


@keras.saving.register_keras_serializable(package="companion")
class PatchEmbedding(keras.layers.Layer):
    r"""Maps each :math:`P \times P` patch to a :math:`D`-vector: :math:`z_i = E x_{p,i} + b`.

    Args:
        patch_size: int >= 1. Side of a patch, in pixels.
        hidden_dim: int >= 1. :math:`D`, the width of each patch token.
        method: ``"convolution"`` (a ``Conv2D`` with kernel and stride
            ``patch_size``, as keras-hub's ``ViTBackbone``) or ``"dense"``
            (:func:`extract_patches` then a ``Dense`` layer). Same numbers given
            the same weights. Defaults to `"convolution"`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        images: float tensor ``(batch, height, width, channels)``.

    Returns:
        float tensor ``(batch, N, hidden_dim)``, patches in reading order
        (left to right, top to bottom).

    Example:

    >>> layer = PatchEmbedding(patch_size=7, hidden_dim=16)
    >>> keras.ops.convert_to_numpy(layer(np.zeros((2, 28, 28, 1), "float32"))).shape
    (2, 16, 16)
    """

    def __init__(self, patch_size, hidden_dim, method="convolution", **kwargs):
        super().__init__(**kwargs)
        self.patch_size = check_int("patch_size", patch_size, minimum=1)
        self.hidden_dim = check_int("hidden_dim", hidden_dim, minimum=1)
        if method not in EMBEDDING_METHODS:
            raise ValueError(f"method must be one of {EMBEDDING_METHODS} (got method={method!r})")
        self.method = method

    def build(self, images_shape):
        check_rank("images", images_shape, 4, "(batch, height, width, channels)")
        _check_patch_size(self.patch_size, images_shape)
        channels = images_shape[-1]
        if self.method == "convolution":
            self.projection = keras.layers.Conv2D(
                self.hidden_dim,
                self.patch_size,
                strides=self.patch_size,
                padding="valid",
                data_format="channels_last",
                dtype=self.dtype_policy,
                name="projection",
            )
            self.projection.build(tuple(images_shape))
        else:
            self.projection = keras.layers.Dense(
                self.hidden_dim, dtype=self.dtype_policy, name="projection"
            )
            self.projection.build((None, None, self.patch_size**2 * channels))

    def call(self, images):
        check_rank("images", images.shape, 4, "(batch, height, width, channels)")
        if self.method == "convolution":
            grid = self.projection(images)  # (B, gh, gw, D): one output pixel per patch
        else:
            grid = self.projection(extract_patches(images, self.patch_size))  # (B, gh, gw, D)
        return ops.reshape(grid, (-1, grid.shape[1] * grid.shape[2], self.hidden_dim))  # (B, N, D)

    def compute_output_shape(self, images_shape):
        _check_patch_size(self.patch_size, images_shape)
        patches = (images_shape[1] // self.patch_size) * (images_shape[2] // self.patch_size)
        return (images_shape[0], patches, self.hidden_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"patch_size": self.patch_size, "hidden_dim": self.hidden_dim, "method": self.method}
        )
        return config

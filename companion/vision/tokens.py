r"""The class token and the learned position embeddings of the Vision Transformer.

ViT prepends a learned vector :math:`x_\text{class}` to the :math:`N` patch
tokens and adds a learned position vector to every token:

.. math::

    z_0 = [x_\text{class};\, x_p^1 E;\, \dots;\, x_p^N E] + E_\text{pos},
    \qquad E_\text{pos} \in \mathbb{R}^{(N + 1) \times D}.

After the encoder, the class token's output :math:`z_L^0` alone feeds the
classifier: through attention it has gathered what it needs from the
patches. The positions are learned, not sinusoidal, and know nothing of the
2-D grid; that they still come out arranged by row and column is one of the
paper's figures (:func:`position_similarity`). To use a trained model on
larger images, the paper resizes the :math:`\sqrt{N} \times \sqrt{N}` grid
of position vectors by interpolation (:func:`interpolate_positions`).
"""

import keras
from keras import ops

from companion.checks import check_int, check_rank


@keras.saving.register_keras_serializable(package="companion")
class ClassToken(keras.layers.Layer):
    r"""Prepends one learned vector, :math:`x_\text{class}`, to every sequence of patch tokens.

    Call arguments:
        tokens: float tensor ``(batch, N, D)``.

    Returns:
        float tensor ``(batch, N + 1, D)``; position 0 is the class token.

    Example:

    >>> layer = ClassToken()
    >>> keras.ops.convert_to_numpy(layer(np.ones((2, 16, 8), "float32"))).shape
    (2, 17, 8)
    """

    def build(self, tokens_shape):
        check_rank("tokens", tokens_shape, 3, "(batch, patches, features)")
        self.token = self.add_weight(
            shape=(1, 1, tokens_shape[-1]), initializer="random_normal", name="token"
        )

    def call(self, tokens):
        check_rank("tokens", tokens.shape, 3, "(batch, patches, features)")
        batch = ops.shape(tokens)[0]
        token = ops.tile(ops.cast(self.token, tokens.dtype), (batch, 1, 1))  # (B, 1, D)
        return ops.concatenate([token, tokens], axis=1)  # (B, N + 1, D)

    def compute_output_shape(self, tokens_shape):
        patches = None if tokens_shape[1] is None else tokens_shape[1] + 1
        return (tokens_shape[0], patches, tokens_shape[2])


@keras.saving.register_keras_serializable(package="companion")
class GridPositionEmbedding(keras.layers.Layer):
    r"""Adds :math:`E_\text{pos}`: one learned vector per patch of a grid, and one for the class.

    Args:
        grid_size: int >= 1. Patches per side; the image is cut into
            ``grid_size ** 2`` patches.
        class_token: bool. Whether position 0 is a class token. Defaults to `True`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        tokens: float tensor ``(batch, grid_size ** 2 (+ 1), D)``.

    Returns:
        ``tokens + E_pos``, same shape.

    Example:

    >>> layer = GridPositionEmbedding(grid_size=4)
    >>> keras.ops.convert_to_numpy(layer(np.zeros((2, 17, 8), "float32"))).shape
    (2, 17, 8)
    """

    def __init__(self, grid_size, class_token=True, **kwargs):
        super().__init__(**kwargs)
        self.grid_size = check_int("grid_size", grid_size, minimum=1)
        self.class_token = bool(class_token)
        self.num_positions = self.grid_size**2 + int(self.class_token)

    def _check(self, tokens_shape):
        check_rank("tokens", tokens_shape, 3, "(batch, tokens, features)")
        if tokens_shape[1] is not None and tokens_shape[1] != self.num_positions:
            raise ValueError(
                f"tokens must hold grid_size**2 = {self.grid_size**2} patch tokens"
                f"{' plus the class token' if self.class_token else ''}, "
                f"{self.num_positions} in all (got shape {tuple(tokens_shape)})"
            )

    def build(self, tokens_shape):
        self._check(tokens_shape)
        self.positions = self.add_weight(
            shape=(self.num_positions, tokens_shape[-1]),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="positions",
        )

    def call(self, tokens):
        self._check(tokens.shape)
        return tokens + ops.cast(self.positions, tokens.dtype)[None]  # (B, T, D)

    def compute_output_shape(self, tokens_shape):
        return tuple(tokens_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"grid_size": self.grid_size, "class_token": self.class_token})
        return config


def interpolate_positions(positions, grid_size, new_grid_size, class_token=True):
    r"""Resizes a table of learned positions to a new grid, bilinearly (ViT's fine-tuning trick).

    The class token's vector is kept; the :math:`g \times g` patch vectors are
    treated as a :math:`D`-channel image and resized to :math:`g' \times g'`.

    Args:
        positions: float tensor ``(grid_size ** 2 (+ 1), D)``.
        grid_size: int. The table's grid side :math:`g`.
        new_grid_size: int. The new side :math:`g'`.
        class_token: bool. Whether row 0 is the class token's. Defaults to `True`.

    Returns:
        tensor ``(new_grid_size ** 2 (+ 1), D)``.

    Example:

    >>> table = np.random.default_rng(0).normal(size=(17, 8)).astype("float32")
    >>> bigger = interpolate_positions(table, 4, 8)
    >>> keras.ops.convert_to_numpy(bigger).shape
    (65, 8)
    """
    grid_size = check_int("grid_size", grid_size, minimum=1)
    new_grid_size = check_int("new_grid_size", new_grid_size, minimum=1)
    positions = ops.convert_to_tensor(positions)
    first = int(bool(class_token))
    if len(positions.shape) != 2 or positions.shape[0] != grid_size**2 + first:
        raise ValueError(
            f"positions must be a ({grid_size**2 + first}, D) table for grid_size={grid_size}"
            f"{' and a class token' if class_token else ''} (got shape {tuple(positions.shape)})"
        )
    dim = positions.shape[1]
    grid = ops.reshape(positions[first:], (1, grid_size, grid_size, dim))  # (1, g, g, D)
    resized = ops.image.resize(
        grid, (new_grid_size, new_grid_size), interpolation="bilinear", antialias=False
    )  # (1, g', g', D)
    patches = ops.reshape(resized, (new_grid_size**2, dim))  # (g'^2, D)
    return ops.concatenate([positions[:first], patches], axis=0) if first else patches


def position_similarity(positions, class_token=True):
    r"""Cosine similarity of each patch's position vector with every other's (ViT, figure 7).

    Args:
        positions: float array ``(N (+ 1), D)``, a learned position table.
        class_token: bool. Whether row 0 is the class token's (it is dropped).
            Defaults to `True`.

    Returns:
        NumPy array ``(g, g, g, g)``: entry ``[r, c]`` is the ``g x g`` map of
        the similarity between the patch at row r, column c and every patch.
    """
    table = ops.convert_to_numpy(positions)[int(bool(class_token)) :]  # (N, D)
    side = int(round(table.shape[0] ** 0.5))
    if side * side != table.shape[0]:
        raise ValueError(
            f"positions must hold a square grid of patches (got {table.shape[0]} patch rows)"
        )
    unit = table / ((table**2).sum(axis=1, keepdims=True) ** 0.5 + 1e-12)  # (N, D)
    return (unit @ unit.T).reshape(side, side, side, side)  # (g, g, g, g)

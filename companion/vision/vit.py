r"""The Vision Transformer (ViT) classifier, from chapter 5's encoder blocks.

.. math::

    z_0 &= [x_\text{class};\, x_p^1 E;\, \dots;\, x_p^N E] + E_\text{pos} \\
    z'_\ell &= z_{\ell-1} + \operatorname{MSA}(\operatorname{LN}(z_{\ell-1})) \\
    z_\ell &= z'_\ell + \operatorname{MLP}(\operatorname{LN}(z'_\ell)),
        \qquad \ell = 1 \dots L \\
    y &= W_\text{head}\, \operatorname{LN}(z_L^0) + b_\text{head}

(Dosovitskiy et al., 2020, equations 1 to 4). Each block is
:class:`companion.transformer.TransformerEncoderBlock` with
``normalize_first=True`` (pre-norm), a GELU MLP and the paper's
:math:`\epsilon = 10^{-6}`; the tokens are :class:`PatchEmbedding`,
:class:`ClassToken` and :class:`GridPositionEmbedding`. With the same
configuration and weights, :meth:`VisionTransformer.encode` equals
keras-hub's ``ViTBackbone`` (:func:`vit_weights_from_keras_hub`).
"""

import keras

from companion import transformer
from companion.checks import check_float, check_int, check_rank
from companion.vision.patches import PatchEmbedding, check_image_shape
from companion.vision.tokens import ClassToken, GridPositionEmbedding

LAYER_NORM_EPSILON = 1e-6  # the paper's, and keras-hub's


def _check_image_shape(image_shape, patch_size):
    shape = check_image_shape(image_shape)
    height, width, _ = shape
    if height != width or height % patch_size:
        raise ValueError(
            f"image_shape must be square with a side that is a multiple of "
            f"patch_size={patch_size} (got image_shape={shape})"
        )
    return shape


@keras.saving.register_keras_serializable(package="companion")
class VisionTransformer(keras.Model):
    r"""ViT: patches, a class token, positions, :math:`L` pre-norm encoder blocks, a linear head.

    Args:
        image_shape: tuple ``(height, width, channels)``, square, the side a
            multiple of ``patch_size``.
        patch_size: int >= 1. Side :math:`P` of a patch.
        num_classes: int >= 2. Outputs of the head.
        hidden_dim: int >= 1. Token width :math:`D`. Defaults to `64`.
        num_layers: int >= 1. Encoder blocks :math:`L`. Defaults to `4`.
        num_heads: int >= 1. Attention heads; ``hidden_dim`` must divide
            between them. Defaults to `4`.
        mlp_dim: int >= 1. Hidden width of each block's MLP. Defaults to `128`.
        dropout: float in [0, 1). On the tokens, the attention weights and
            each residual branch. Defaults to `0.0`.
        patch_method: ``"convolution"`` or ``"dense"``, as in
            :class:`PatchEmbedding`. Defaults to `"convolution"`.
        **kwargs: passed to ``keras.Model``.

    Call arguments:
        images: float tensor ``(batch, height, width, channels)``.

    Returns:
        logits ``(batch, num_classes)``.

    Example:

    >>> model = VisionTransformer((28, 28, 1), patch_size=7, num_classes=10, num_layers=1)
    >>> keras.ops.convert_to_numpy(model(np.zeros((2, 28, 28, 1), "float32"))).shape
    (2, 10)

    References:
        Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for
        Image Recognition at Scale", ICLR 2021.
    """

    def __init__(
        self,
        image_shape,
        patch_size,
        num_classes,
        hidden_dim=64,
        num_layers=4,
        num_heads=4,
        mlp_dim=128,
        dropout=0.0,
        patch_method="convolution",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.patch_size = check_int("patch_size", patch_size, minimum=1)
        self.image_shape = _check_image_shape(image_shape, self.patch_size)
        self.num_classes = check_int("num_classes", num_classes, minimum=2)
        self.hidden_dim = check_int("hidden_dim", hidden_dim, minimum=1)
        self.num_layers = check_int("num_layers", num_layers, minimum=1)
        self.num_heads = check_int("num_heads", num_heads, minimum=1)
        if self.hidden_dim % self.num_heads:
            raise ValueError(
                f"hidden_dim must be a multiple of num_heads (got hidden_dim={hidden_dim}, "
                f"num_heads={num_heads})"
            )
        self.mlp_dim = check_int("mlp_dim", mlp_dim, minimum=1)
        self.dropout = check_float("dropout", dropout, 0.0, 1.0, open_maximum=True)
        self.patch_method = patch_method
        self.grid_size = self.image_shape[0] // self.patch_size
        policy = self.dtype_policy
        self.patch_embedding = PatchEmbedding(
            self.patch_size, self.hidden_dim, patch_method, dtype=policy, name="patch_embedding"
        )
        self.class_token = ClassToken(dtype=policy, name="class_token")
        self.position_embedding = GridPositionEmbedding(
            self.grid_size, dtype=policy, name="position_embedding"
        )
        self.token_dropout = keras.layers.Dropout(self.dropout, dtype=policy, name="dropout")
        self.blocks = [
            transformer.TransformerEncoderBlock(
                self.mlp_dim,
                self.num_heads,
                dropout=self.dropout,
                activation="gelu",
                layer_norm_epsilon=LAYER_NORM_EPSILON,
                normalize_first=True,
                dtype=policy,
                name=f"block_{index}",
            )
            for index in range(self.num_layers)
        ]
        self.final_norm = keras.layers.LayerNormalization(
            epsilon=LAYER_NORM_EPSILON, dtype=policy, name="final_norm"
        )
        self.head = keras.layers.Dense(self.num_classes, dtype=policy, name="head")

    def build(self, images_shape):
        images_shape = (None, *self.image_shape)
        self.patch_embedding.build(images_shape)
        tokens_shape = (None, self.grid_size**2, self.hidden_dim)
        self.class_token.build(tokens_shape)
        tokens_shape = (None, self.grid_size**2 + 1, self.hidden_dim)
        self.position_embedding.build(tokens_shape)
        for block in self.blocks:
            block.build(tokens_shape)
        self.final_norm.build(tokens_shape)
        self.head.build((None, self.hidden_dim))

    def _check_images(self, images):
        check_rank("images", images.shape, 4, "(batch, height, width, channels)")
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"images must have shape (batch, {', '.join(map(str, self.image_shape))}), "
                f"the model's image_shape (got shape {tuple(images.shape)})"
            )

    def encode(self, images, return_weights=False, training=None):
        """The normalised tokens :math:`\\operatorname{LN}(z_L)`, as ``ViTBackbone`` returns them.

        Args:
            images: float tensor ``(batch, height, width, channels)``.
            return_weights: bool. Also return each block's attention weights.
            training: bool.

        Returns:
            tensor ``(batch, N + 1, hidden_dim)`` (token 0 is the class token),
            and with ``return_weights`` a list of ``(batch, heads, N + 1, N + 1)``.
        """
        self._check_images(images)
        x = self.patch_embedding(images)  # (B, N, D)
        x = self.position_embedding(self.class_token(x))  # (B, N + 1, D)
        x = self.token_dropout(x, training=training)
        weights = []
        for block in self.blocks:
            x, block_weights = block(x, return_weights=True, training=training)  # (B, N+1, D)
            weights.append(block_weights)  # (B, heads, N + 1, N + 1)
        x = self.final_norm(x)  # (B, N + 1, D)
        return (x, weights) if return_weights else x

    def call(self, images, training=None):
        tokens = self.encode(images, training=training)  # (B, N + 1, D)
        return self.head(tokens[:, 0])  # (B, classes): from the class token alone

    def attention_weights(self, images):
        """Every block's attention weights, a list of ``(batch, heads, N + 1, N + 1)`` tensors."""
        return self.encode(images, return_weights=True)[1]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_shape": list(self.image_shape),
                "patch_size": self.patch_size,
                "num_classes": self.num_classes,
                "hidden_dim": self.hidden_dim,
                "num_layers": self.num_layers,
                "num_heads": self.num_heads,
                "mlp_dim": self.mlp_dim,
                "dropout": self.dropout,
                "patch_method": self.patch_method,
            }
        )
        return config

r"""Where does the class token look? Its attention per head, and attention rollout.

One block's weights :math:`A_\ell` say how each token mixes the others in
that block only. Attention rollout (Abnar & Zuidema, 2020) follows the flow
through all blocks: average the heads, add the identity for the residual
connection, renormalise the rows, and multiply the blocks' matrices:

.. math::

    \hat A_\ell = \tfrac12 \bar A_\ell + \tfrac12 I, \qquad
    \tilde A_\ell = \hat A_\ell / \hat A_\ell \mathbf{1}, \qquad
    R = \tilde A_L \tilde A_{L-1} \cdots \tilde A_1 .

Row 0 of :math:`R` without its first entry is how much each patch
contributed to the class token, shown as a :math:`g \times g` map.
"""

import numpy as np
from keras import ops


def _as_numpy_layers(weights):
    layers = [np.asarray(ops.convert_to_numpy(w), dtype=np.float64) for w in weights]
    if not layers or any(w.ndim != 4 or w.shape[-1] != w.shape[-2] for w in layers):
        shapes = [w.shape for w in layers]
        raise ValueError(
            "weights must be a non-empty list of (batch, heads, tokens, tokens) attention "
            f"weights, one per block (got shapes {shapes})"
        )
    return layers


def _grid(row):
    """(..., N) patch values -> (..., g, g) maps."""
    side = int(round(row.shape[-1] ** 0.5))
    if side * side != row.shape[-1]:
        raise ValueError(
            "weights must have the class token then a square grid of patches as tokens "
            f"(got {row.shape[-1]} patches)"
        )
    return row.reshape(*row.shape[:-1], side, side)


def class_token_attention(weights):
    """The class token's attention to each patch, per head, in one block.

    Args:
        weights: float array ``(batch, heads, N + 1, N + 1)``, token 0 the class token.

    Returns:
        NumPy array ``(batch, heads, g, g)``; each head's map sums to at most 1
        (the rest is attention to the class token itself).
    """
    (layer,) = _as_numpy_layers([weights])
    return _grid(layer[:, :, 0, 1:])  # (B, heads, g, g): row 0 is the class token's query


def attention_rollout(weights, residual=0.5):
    r"""Attention rollout: the class token's attention to each patch through every block.

    Args:
        weights: list of float arrays ``(batch, heads, N + 1, N + 1)``, one per
            block, first block first.
        residual: float in [0, 1]. The identity's share in
            :math:`\hat A = (1 - r) \bar A + r I`. Defaults to the paper's `0.5`.

    Returns:
        NumPy array ``(batch, g, g)``, each map normalised to sum to 1 (all
        zeros where no patch reached the class token).

    Example:

    >>> uniform = np.full((1, 2, 5, 5), 0.2)
    >>> attention_rollout([uniform, uniform])[0].round(2).tolist()
    [[0.25, 0.25], [0.25, 0.25]]
    """
    layers = _as_numpy_layers(weights)
    if not 0.0 <= residual <= 1.0:
        raise ValueError(f"residual must be in [0, 1] (got residual={residual})")
    tokens = layers[0].shape[-1]
    flow = np.eye(tokens)[None]  # (1, T, T)
    for layer in layers:
        mixed = (1.0 - residual) * layer.mean(axis=1) + residual * np.eye(tokens)  # (B, T, T)
        mixed = mixed / mixed.sum(axis=-1, keepdims=True)
        flow = mixed @ flow  # (B, T, T): block l's mixing after all earlier blocks'
    row = flow[:, 0, 1:]  # (B, N): what reached the class token from each patch
    total = row.sum(axis=-1, keepdims=True)  # 0 only if the class token saw itself alone
    return _grid(np.divide(row, total, out=np.zeros_like(row), where=total > 0))


def mass_inside_box(maps, images, threshold=0.0):
    """Share of each attention map's mass that falls inside the object's bounding box.

    Each patch's attention is spread evenly over its pixels; the box is the
    smallest rectangle holding every pixel above ``threshold``. A map that
    ignored the image would put ``box_share`` (the box's share of the image)
    inside.

    Args:
        maps: float array ``(batch, g, g)``, non-negative (for example from
            :func:`attention_rollout`).
        images: array ``(batch, height, width[, channels])`` with sides that are
            multiples of ``g``.
        threshold: float. Pixel values above it are the object. Defaults to `0.0`.

    Returns:
        ``(inside, box_share)``: two NumPy arrays ``(batch,)``.
    """
    maps = np.asarray(ops.convert_to_numpy(maps), dtype=np.float64)
    pixels = np.asarray(ops.convert_to_numpy(images))
    if pixels.ndim == 4:
        pixels = pixels.max(axis=-1)  # (B, H, W)
    if maps.ndim != 3 or pixels.ndim != 3 or len(maps) != len(pixels):
        raise ValueError(
            f"maps must be (batch, g, g) and images (batch, height, width[, channels]) with the "
            f"same batch (got maps {maps.shape}, images {np.shape(images)})"
        )
    side, (height, width) = maps.shape[1], pixels.shape[1:]
    if height % side or width % side:
        raise ValueError(
            f"the images' sides must be multiples of the maps' side {side} "
            f"(got images {np.shape(images)})"
        )
    spread = np.ones((height // side, width // side)) / (height * width / side**2)
    pixel_maps = np.stack([np.kron(m, spread) for m in maps])  # (B, H, W), same mass
    rows = _box(pixels.max(axis=2) > threshold)  # (B, H): rows of the box
    columns = _box(pixels.max(axis=1) > threshold)  # (B, W)
    box = rows[:, :, None] & columns[:, None, :]  # (B, H, W)
    inside = (pixel_maps * box).sum(axis=(1, 2)) / pixel_maps.sum(axis=(1, 2))
    return inside, box.mean(axis=(1, 2))


def _box(on):
    """Per row of ``on`` (B, L): True from its first True to its last (all False if none)."""
    index = np.arange(on.shape[1])
    first = np.where(on.any(axis=1), on.argmax(axis=1), on.shape[1])
    last = on.shape[1] - 1 - on[:, ::-1].argmax(axis=1)
    return (index >= first[:, None]) & (index <= last[:, None])

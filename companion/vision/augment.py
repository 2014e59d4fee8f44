"""Data augmentation for small image sets: random shifts, drawn afresh for every epoch.

A CNN is built to shrug off a shift by a pixel or two (shared kernels, then
pooling); a ViT is not, its patch grid moves under the digit. Showing it
shifted copies teaches the invariance from data instead. The shifts are done
in NumPy before training (Keras's ``RandomTranslation`` resamples each image
with an affine transform inside the model and costs more than the ViT's own
step on a CPU).
"""

import numpy as np

from companion.checks import check_int


def random_shifts(images, max_shift, seed=0):
    """Shifts each image by a random whole number of pixels in each direction, zero-filled.

    Args:
        images: array ``(N, height, width, channels)``.
        max_shift: int >= 0. Largest shift, in pixels, along each axis; each
            image gets its own shifts, uniform in ``[-max_shift, max_shift]``.
        seed: int. Seed of the shifts. Defaults to `0`.

    Returns:
        array like ``images``, each image moved and its uncovered border zero.

    Example:

    >>> image = np.zeros((1, 3, 3, 1)); image[0, 1, 1, 0] = 1.0
    >>> moved = random_shifts(image, 1, seed=3)
    >>> float(moved.sum()), moved.shape
    (1.0, (1, 3, 3, 1))
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"images must have shape (N, height, width, channels) (got shape {images.shape})"
        )
    shift = check_int("max_shift", max_shift, minimum=0)
    if shift == 0:
        return images.copy()
    height, width = images.shape[1:3]
    padded = np.pad(images, ((0, 0), (shift, shift), (shift, shift), (0, 0)))
    rows, columns = np.random.default_rng(seed).integers(0, 2 * shift + 1, size=(2, len(images)))
    moved = np.empty_like(images)
    for index, (top, left) in enumerate(zip(rows, columns, strict=True)):
        moved[index] = padded[index, top : top + height, left : left + width]  # a window
    return moved


def augmented_epochs(images, labels, epochs, max_shift, seed=0):
    """``epochs`` shifted copies of a training set, one after the other, for one ``fit`` pass.

    Each copy has its own shifts; ``model.fit(x, y, epochs=1, shuffle=True)``
    on the result trains for ``epochs`` epochs with fresh augmentation, and one
    compiled step.

    Args:
        images: array ``(N, height, width, channels)``.
        labels: array ``(N, ...)``.
        epochs: int >= 1.
        max_shift: int >= 0. As in :func:`random_shifts`.
        seed: int. Defaults to `0`.

    Returns:
        ``(images, labels)`` with ``epochs * N`` rows.
    """
    epochs = check_int("epochs", epochs, minimum=1)
    copies = [random_shifts(images, max_shift, seed=seed + epoch) for epoch in range(epochs)]
    return np.concatenate(copies), np.concatenate([np.asarray(labels)] * epochs)

"""Recurrent language models: shifted (input, target) pairs and the model itself."""

import keras
import numpy as np

from companion import recurrent
from companion.checks import as_numeric_array, check_int
from companion.sequences import sliding_windows


def stream_windows(ids, length, stride=None):
    """Cuts a long id stream into (input, target) windows shifted by one (deck 004).

    The input window is :math:`w_i .. w_{i+L-1}` and its target
    :math:`w_{i+1} .. w_{i+L}`: "the output is the input sequence shifted".

    Args:
        ids: 1-D int array.
        length: int >= 1. Window length :math:`L`.
        stride: int or `None`. Step between windows; `None` gives ``length``
            (no overlap). Defaults to `None`.

    Returns:
        ``(inputs, targets)``: int32 arrays (N, L).
    """
    ids = as_numeric_array("ids", ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be 1-D int ids (got shape {ids.shape}, dtype {ids.dtype})")
    length = check_int("length", length, minimum=1)
    stride = length if stride is None else check_int("stride", stride, minimum=1)
    inputs, targets = sliding_windows(
        ids, window=length, horizon=1, stride=stride, many_to_many=True
    )
    return inputs[..., 0].astype(np.int32), targets[..., 0].astype(np.int32)


def shifted_pairs(padded):
    """Inputs and targets of padded sequences: ``padded[:, :-1]`` and ``padded[:, 1:]``.

    Returns:
        ``(inputs, targets)``, int32 arrays (N, T - 1); a padded target sits
        under a padded input when the padding is at the end.
    """
    padded = np.asarray(padded)
    if padded.ndim != 2 or padded.shape[1] < 2:
        raise ValueError(f"padded must be (N, T) with T >= 2 (got shape {padded.shape})")
    return padded[:, :-1].astype(np.int32), padded[:, 1:].astype(np.int32)


def build_language_model(
    vocabulary_size,
    embedding_dim=32,
    units=256,
    cell="gru",
    num_layers=1,
    dropout=0.0,
    mask_zero=False,
    name=None,
):
    r"""A recurrent language model: ids (B, T) -> next-token logits (B, T, V).

    .. math::

        x_t = E[w_t], \quad h_t = \mathrm{RNN}(x_t, h_{t-1}), \quad
        p(w_{t+1} \mid w_{\le t}) = \mathrm{softmax}(W_o h_t + b_o)

    with the from-scratch recurrent layers of :mod:`companion.recurrent`. Id 0
    is padding. Batches padded at the end need no mask: the model is causal,
    so its output at a real step never depends on the padding after it; give
    the loss ``sample_weight = targets > 0`` so padded targets do not count
    (:func:`token_log_probs` leaves them out too). ``mask_zero=True`` masks
    them instead (needed for padding at the start). The default is `False`
    because, with Keras 3.15 on TensorFlow, a masked scan fails once the
    sequence length varies between calls.

    Args:
        vocabulary_size: int. :math:`V`.
        embedding_dim: int. Defaults to `32`.
        units: int. State size. Defaults to `256`.
        cell: ``"gru"``, ``"lstm"`` or ``"simple"``. Defaults to `"gru"`.
        num_layers: int >= 1. Stacked recurrent layers. Defaults to `1`.
        dropout: float in [0, 1). Dropout after the embedding and after each
            recurrent layer (training only). Defaults to `0.0`.
        mask_zero: bool. Mask padding id 0 in the embedding. Defaults to `False`.
        name: str or `None`. The model name.

    Returns:
        An uncompiled ``keras.Model``.
    """
    layers = {"gru": recurrent.GRU, "lstm": recurrent.LSTM, "simple": recurrent.SimpleRNN}
    if cell not in layers:
        raise ValueError(f"cell must be one of {sorted(layers)} (got cell={cell!r})")
    vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=2)
    num_layers = check_int("num_layers", num_layers, minimum=1)
    inputs = keras.Input(shape=(None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(
        vocabulary_size, embedding_dim, mask_zero=bool(mask_zero), name="embedding"
    )(inputs)  # (B, T, E)
    if dropout:
        x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    for index in range(num_layers):
        x = layers[cell](units, return_sequences=True, name=f"{cell}_{index}")(x)  # (B, T, U)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{index}")(x)
    logits = keras.layers.Dense(vocabulary_size, name="logits")(x)  # (B, T, V)
    return keras.Model(inputs, logits, name=name or f"{cell}_language_model")

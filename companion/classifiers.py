"""Many-to-one text classifiers: the sentiment models compared in chapter 3."""

import keras

from companion import recurrent
from companion.checks import check_int


def build_text_classifier(
    kind, vocabulary_size, embedding_dim=32, units=32, mask=True, bidirectional=False
):
    r"""The many-to-one sentiment models compared in chapter 3; they output one logit.

    * ``"bag_of_words"``: logistic regression on a bag-of-words vector
      (:func:`bag_of_words`), input (B, V);
    * ``"mean_embedding"``: the average of the word embeddings (over real
      words only when ``mask``), then a logistic layer;
    * ``"lstm"``: embeddings, then :class:`companion.recurrent.LSTM` (or
      :class:`~companion.recurrent.Bidirectional` when ``bidirectional``), its
      last state, a logistic layer. With ``mask`` padded steps are skipped;
      without it the LSTM also reads the padding.

    Args:
        kind: ``"bag_of_words"``, ``"mean_embedding"`` or ``"lstm"``.
        vocabulary_size: int.
        embedding_dim: int. Defaults to `32`.
        units: int. LSTM size. Defaults to `32`.
        mask: bool. Mask padding id 0. Defaults to `True`.
        bidirectional: bool. Read both ways (``"lstm"`` only). Defaults to `False`.

    Returns:
        An uncompiled ``keras.Model`` with a (B, 1) logit output.
    """
    vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=2)
    if kind == "bag_of_words":
        inputs = keras.Input(shape=(vocabulary_size,), name="bag")
        logit = keras.layers.Dense(1, name="logit")(inputs)  # (B, 1)
        return keras.Model(inputs, logit, name="bag_of_words")
    if kind not in ("mean_embedding", "lstm"):
        raise ValueError(
            f'kind must be "bag_of_words", "mean_embedding" or "lstm" (got kind={kind!r})'
        )
    inputs = keras.Input(shape=(None,), dtype="int32", name="ids")
    embedding = keras.layers.Embedding(
        vocabulary_size, embedding_dim, mask_zero=bool(mask), name="embedding"
    )
    x = embedding(inputs)  # (B, T, E), with the mask ids != 0 when `mask`
    if kind == "mean_embedding":
        x = keras.layers.GlobalAveragePooling1D(name="mean")(x)  # (B, E), masked steps left out
    else:
        layer = recurrent.LSTM(units, name="lstm")
        if bidirectional:
            layer = recurrent.Bidirectional(layer, name="bidirectional")
        x = layer(x)  # (B, U) or (B, 2U): the last state
    logit = keras.layers.Dense(1, name="logit")(x)  # (B, 1)
    suffix = "" if mask else "_unmasked"
    name = ("bi" if bidirectional and kind == "lstm" else "") + kind + suffix
    return keras.Model(inputs, logit, name=name)

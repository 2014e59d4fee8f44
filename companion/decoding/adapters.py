r"""Our models seen through the ``next(tokens, cache, index)`` interface.

* :func:`language_model_step`: chapter 5's GPT,
  :class:`~companion.transformer.TransformerLanguageModel`. *Cached*, one
  step feeds only the previous token :math:`w_{t-1}` and reads the keys and
  values of the earlier ones from the cache (prefilled by one pass over the
  prompt): :math:`O(t)` work for step :math:`t`. *Uncached*, every step runs
  the whole buffer again, :math:`O(t^2)`: slower, and the proof that the
  cache changes nothing.
* :func:`seq2seq_step`: an encoder-decoder with ``encode`` and
  ``decode_step``, chapter 4's recurrent :class:`~companion.seq2seq.Seq2Seq`
  or chapter 5's :class:`~companion.transformer.TransformerSeq2Seq`. The
  encoder runs once; its outputs and the source mask go *into the cache*,
  batch first, with the decoder's states, so beam search reorders them with
  the beams. A state that is a position (the Transformer's scalar cache
  index) is not kept: the loop's ``index`` gives it, so every leaf of the
  cache is batch first.

The buffer of an encoder-decoder starts with the start id; the model is fed
``tokens[:, :L-1]`` at most (the last token is never fed back), so a buffer
may be one longer than the model's context or cache.
"""

import keras
from keras import ops

from companion.checks import check_bool, check_int, check_rank
from companion.text.tokenizers import START_ID


def _ids(name, ids):
    ids = ops.convert_to_tensor(ids)
    dtype = keras.backend.standardize_dtype(ids.dtype)
    if "int" not in dtype:
        raise TypeError(f"{name} must hold int ids (got dtype {dtype})")
    ids = ops.cast(ids, "int32")
    check_rank(name, ids.shape, 2, "(batch, length), int ids")
    return ids


def build_model(model, seq2seq=False):
    """Creates a fresh model's weights by one symbolic call (shapes only, nothing computed),
    so none is created inside a compiled loop, which cannot create variables. A model with
    weights is left as it is: it has been called, trained or loaded."""
    if not model.weights:
        ids = keras.KerasTensor((1, 2), "int32")
        model((ids, ids) if seq2seq else ids)


def _previous(tokens, index):
    return ops.take(tokens, index - 1, axis=1)  # (B,), w_{t-1}


def language_model_step(model, prompt, cached=True):
    r"""``(next, cache)`` for a decoder-only Transformer, cached or not.

    .. math:: \text{logits}_t = W_o h_{t-1} + b_o, \qquad
        h_{t-1} = \operatorname{Decoder}(w_{t-1};\ K_{<t-1}, V_{<t-1})

    Args:
        model: a :class:`~companion.transformer.TransformerLanguageModel`
            (cached: anything with ``next(ids, cache, index)`` and
            ``empty_cache(batch)``; uncached: any ``ids -> (B, T, V)`` model).
        prompt: int ``(batch, L)``, the buffer the strategy will fill;
            ``L - 1`` must not exceed the model's context.
        cached: bool. Use the key/value cache. Defaults to `True`.

    Returns:
        ``(next, cache)``: the callable and its initial cache (the prompt's
        keys and values, or ``()`` uncached).

    Example:

    >>> from companion.transformer import TransformerLanguageModel
    >>> gpt = TransformerLanguageModel(12, 8, hidden_dim=8, num_heads=2, num_layers=1)
    >>> next, cache = language_model_step(gpt, np.array([[2, 5, 0, 0]]))
    >>> tuple(cache.shape)  # (B, N, 2, L, H, d_k): the prompt's keys and values
    (1, 1, 2, 8, 2, 4)
    """
    cached = check_bool("cached", cached)
    if cached and not (hasattr(model, "next") and hasattr(model, "empty_cache")):
        raise TypeError(
            "model must be a language model with next(ids, cache, index) and "
            f"empty_cache(batch) when cached=True (got {type(model).__name__})"
        )
    if not callable(model):
        raise TypeError(f"model must be a Keras model ids -> logits (got {type(model).__name__})")
    prompt = _ids("prompt", prompt)
    length = prompt.shape[1]
    if length is None or length < 2:
        raise ValueError(
            "prompt must have length >= 2, a first token and room for one more "
            f"(got shape {tuple(prompt.shape)})"
        )
    config = model.get_config() if hasattr(model, "get_config") else {}
    context = config.get("sequence_length")
    if context is not None and length - 1 > context:
        raise ValueError(
            f"prompt must have length <= sequence_length + 1 = {context + 1}, as the model "
            f"reads {context} tokens at most (got shape {tuple(prompt.shape)})"
        )
    fed = prompt[:, : length - 1]  # (B, L - 1), the last token is never fed back
    build_model(model)

    if not cached:

        def step(tokens, cache, index):
            logits = model(tokens[:, : length - 1])  # (B, L - 1, V), the whole buffer again
            return ops.take(logits, index - 1, axis=1), None, cache  # (B, V)

        return step, ()

    _, _, cache = model.next(fed, model.empty_cache(ops.shape(prompt)[0]), 0)  # prefill

    def step(tokens, cache, index):
        previous = _previous(tokens, index)[:, None]  # (B, 1)
        logits, hidden, cache = model.next(previous, cache, index - 1)  # (B, 1, V), (B, 1, d)
        return logits[:, 0], hidden[:, 0], cache

    return step, cache


def seq2seq_step(model, source_ids, max_length, cached=True, start_id=START_ID):
    r"""``(next, cache, prompt)`` for an encoder-decoder: the encoder once, then decoder steps.

    .. math:: p(y_t \mid y_{<t}, S) = \operatorname{decode\_step}(y_{t-1}, s_{t-1}, H_S)

    The cache is ``{"encoder_outputs": (B, S, d), "source_mask": (B, S),
    "states": [...]}`` (cached) or ``{"source_ids": (B, S)}`` (uncached: the
    whole model runs on the buffer at every step).

    Args:
        model: a model with ``encode(source_ids)`` and ``decode_step(previous,
            states, encoder_outputs, source_mask)``, called as ``model((source_ids,
            decoder_inputs))`` when uncached.
        source_ids: int ``(batch, S)``, padded with 0.
        max_length: int >= 1. Decoder steps: the buffer is ``1 + max_length`` long.
        cached: bool. Use the decoder's states (for a Transformer, its
            key/value cache). Defaults to `True`.
        start_id: int >= 0. The buffer's first token. Defaults to `2`.

    Returns:
        ``(next, cache, prompt)``; ``prompt`` is int32 ``(batch, 1 +
        max_length)``, the start id then zeros.

    Example: see :func:`~companion.decoding.generate`, which calls it.
    """
    if not (hasattr(model, "encode") and hasattr(model, "decode_step")):
        raise TypeError(
            "model must be a companion encoder-decoder model with encode and decode_step "
            f"(got {type(model).__name__})"
        )
    cached = check_bool("cached", cached)
    max_length = check_int("max_length", max_length, minimum=1)
    start_id = check_int("start_id", start_id, minimum=0)
    limit = getattr(model, "max_decode_steps", None)  # a Transformer's cache length
    if limit is not None and max_length > limit:
        raise ValueError(
            f"max_length must be <= the model's max_decode_steps={limit}, the length of its "
            f"key/value cache (got max_length={max_length})"
        )
    source_ids = _ids("source_ids", source_ids)
    start = ops.full_like(source_ids[:, :1], start_id)  # (B, 1)
    prompt = ops.pad(start, [(0, 0), (0, max_length)])  # (B, 1 + max_length)
    build_model(model, seq2seq=True)

    if not cached:

        def step(tokens, cache, index):
            logits = model((cache["source_ids"], tokens[:, :max_length]))  # (B, max_length, V)
            return ops.take(logits, index - 1, axis=1), None, cache  # (B, V)

        return step, {"source_ids": source_ids}, prompt

    encoder_outputs, states, source_mask = model.encode(source_ids)  # (B, S, d), [...], (B, S)
    states = list(states)
    is_position = [len(state.shape) == 0 for state in states]  # a scalar: the cache index
    cache = {
        "encoder_outputs": encoder_outputs,
        "source_mask": source_mask,
        "states": [s for s, position in zip(states, is_position, strict=True) if not position],
    }

    def step(tokens, cache, index):
        kept = iter(cache["states"])
        position = ops.cast(index - 1, "int32")  # where y_{t-1} sits in the decoder's input
        full = [position if p else next(kept) for p in is_position]
        logits, new_states, _ = model.decode_step(
            _previous(tokens, index), full, cache["encoder_outputs"], cache["source_mask"]
        )  # (B, V), [...], (B, S)
        new_states = [s for s, p in zip(new_states, is_position, strict=True) if not p]
        return logits, None, {**cache, "states": new_states}

    return step, cache, prompt

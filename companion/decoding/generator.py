r"""One compiled call that decodes many prompts: a model and a strategy as a ``keras.Model``.

:class:`Generator` wraps a model and a strategy; its ``predict`` compiles
the whole decoding loop, as chapter 4's
:class:`~companion.seq2seq.GreedyTranslator` does: ``jax.jit`` on JAX and
``tf.function`` on TensorFlow (torch runs the loop as Python steps). Keras
tracks the wrapped model's weights and the sampling seed's state, so no
backend code is needed, and a ``keras.random.SeedGenerator`` moves on from
batch to batch. :func:`generate` pads the inputs to whole batches, so one
shape is compiled once, and returns NumPy arrays.

What goes in and comes out:

* a language model: the prompt buffer ``(N, L)``, 0 after each prompt,
  widened with zeros to ``max_length`` columns; out: the full buffer
  ``(N, max_length)``, prompt included;
* an encoder-decoder: source ids ``(N, S)``; out: ``(N, max_length)``
  decoder tokens, the start id left out (as ``greedy_translate`` does).

Beam search also returns the scores; with ``return_all_beams``, every beam.
"""

import inspect

import keras
import numpy as np
from keras import ops

from companion.checks import check_bool, check_choice, check_int
from companion.decoding.adapters import build_model, language_model_step, seq2seq_step
from companion.decoding.beam import beam_search
from companion.decoding.greedy import greedy
from companion.decoding.sampling import sample, top_k, top_p

#: The strategies by name; a strategy's options are its own keyword arguments.
STRATEGIES = {
    "greedy": greedy,
    "sample": sample,
    "top_k": top_k,
    "top_p": top_p,
    "beam": beam_search,
}
_SHARED = ("next", "prompt", "cache", "index", "prompt_mask", "end_id", "seed")


def _is_seq2seq(model):
    return hasattr(model, "encode") and hasattr(model, "decode_step")


@keras.saving.register_keras_serializable(package="companion")
class Generator(keras.Model):
    """A model and a decoding strategy, compiled together by ``predict``.

    Args:
        model: a :class:`~companion.transformer.TransformerLanguageModel`, or
            an encoder-decoder with ``encode`` and ``decode_step``
            (:class:`~companion.seq2seq.Seq2Seq`,
            :class:`~companion.transformer.TransformerSeq2Seq`).
        strategy: str. One of ``"greedy"``, ``"sample"``, ``"top_k"``,
            ``"top_p"``, ``"beam"``. Defaults to `"greedy"`.
        max_length: int or `None`. Output width: a language model's buffer
            (`None`: the input's width), an encoder-decoder's decoder steps
            (required).
        cached: bool. Use the key/value cache (or recurrent state). Defaults
            to `True`.
        end_id: int or `None`. Stop token. Defaults to `None`.
        seed: int or `None`. Seeds the sampling strategies' generator.
            Defaults to `None`.
        options: dict or `None`. The strategy's own options, e.g.
            ``{"k": 5, "temperature": 0.8}`` or ``{"beam_width": 4,
            "length_penalty": 0.6}``. Defaults to `None`.
        **kwargs: passed to ``keras.Model``.

    Call arguments:
        inputs: int tensor: the prompt buffer ``(batch, L)`` or the source
            ids ``(batch, S)``.

    Returns:
        int32 tokens ``(batch, max_length)``; with ``"beam"``, ``(tokens,
        scores)``.

    Example:

    >>> from companion.transformer import TransformerLanguageModel
    >>> gpt = TransformerLanguageModel(12, 8, hidden_dim=8, num_heads=2, num_layers=1)
    >>> generator = Generator(gpt, "top_k", max_length=6, seed=1, options={"k": 3})
    >>> generator.get_config()["options"]  # then generator.predict(prompts)
    {'k': 3}
    """

    def __init__(
        self,
        model,
        strategy="greedy",
        max_length=None,
        cached=True,
        end_id=None,
        seed=None,
        options=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.strategy = check_choice("strategy", strategy, tuple(STRATEGIES))
        self.seq2seq = _is_seq2seq(model)
        if not self.seq2seq and not hasattr(model, "next"):
            raise TypeError(
                "model must be a language model with next and empty_cache, or an "
                f"encoder-decoder with encode and decode_step (got {type(model).__name__})"
            )
        self.network = model
        if max_length is None and self.seq2seq:
            raise ValueError(
                "max_length must be given for an encoder-decoder: the number of decoder "
                "steps (got max_length=None)"
            )
        self.max_length = None if max_length is None else check_int("max_length", max_length, 1)
        self.cached = check_bool("cached", cached)
        self.end_id = None if end_id is None else check_int("end_id", end_id, minimum=0)
        self.options = dict(options or {})
        accepted = [
            name
            for name in inspect.signature(STRATEGIES[strategy]).parameters
            if name not in _SHARED
        ]
        unknown = sorted(set(self.options) - set(accepted))
        if unknown:
            raise ValueError(
                f"options must be among {accepted} for strategy={strategy!r} (got {unknown})"
            )
        self.seed = None if seed is None else check_int("seed", seed, minimum=0)
        self.random = "seed" in inspect.signature(STRATEGIES[strategy]).parameters
        if self.random:
            self.seed_generator = keras.random.SeedGenerator(self.seed, name="sampling_seed")
        build_model(model, self.seq2seq)
        # Built: otherwise predict on JAX first runs the whole loop eagerly, to build it.
        self.built = True

    def call(self, inputs):
        if self.seq2seq:
            next, cache, prompt = seq2seq_step(
                self.network, inputs, self.max_length, cached=self.cached
            )
        else:
            prompt = ops.cast(ops.convert_to_tensor(inputs), "int32")  # (B, L0)
            width = prompt.shape[1]
            if self.max_length is not None:
                if width > self.max_length:
                    raise ValueError(
                        f"max_length must be >= the prompts' width {width} "
                        f"(got max_length={self.max_length})"
                    )
                prompt = ops.pad(prompt, [(0, 0), (0, self.max_length - width)])  # (B, L)
            next, cache = language_model_step(self.network, prompt, cached=self.cached)
        options = dict(self.options)
        if self.random:
            options["seed"] = self.seed_generator
        outputs = STRATEGIES[self.strategy](next, prompt, cache, end_id=self.end_id, **options)
        if not self.seq2seq:
            return outputs
        if self.strategy == "beam":
            tokens, scores = outputs
            return tokens[..., 1:], scores  # the start id left out
        return outputs[:, 1:]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "model": keras.saving.serialize_keras_object(self.network),
                "strategy": self.strategy,
                "max_length": self.max_length,
                "cached": self.cached,
                "end_id": self.end_id,
                "seed": self.seed,
                "options": self.options,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["model"] = keras.saving.deserialize_keras_object(config["model"])
        return cls(**config)


def generate(
    model,
    inputs,
    strategy="greedy",
    max_length=None,
    batch_size=128,
    cached=True,
    end_id=None,
    seed=None,
    **options,
):
    """Decodes every row of ``inputs`` with one compiled :class:`Generator`, in whole batches.

    The last batch is filled up with copies of the first row (and the
    extra rows dropped), so every batch has one shape and the loop
    compiles once.

    Args:
        model, strategy, max_length, cached, end_id, seed: as in :class:`Generator`.
        inputs: int array: prompt buffers ``(N, L)`` or source ids ``(N, S)``.
        batch_size: int >= 1. Rows per compiled call. Defaults to `128`.
        **options: the strategy's options (``k``, ``p``, ``temperature``,
            ``beam_width``, ``length_penalty``, ``return_all_beams``).

    Returns:
        NumPy int32 tokens ``(N, max_length)``; with ``"beam"``, ``(tokens,
        scores)``.

    Example:

    >>> from companion.transformer import TransformerLanguageModel
    >>> gpt = TransformerLanguageModel(12, 8, hidden_dim=8, num_heads=2, num_layers=1)
    >>> tokens = generate(gpt, np.array([[2, 5, 0], [2, 7, 6]]), max_length=8)
    >>> tokens.shape, tokens[0, :2].tolist(), tokens[1, :3].tolist()  # the prompts are kept
    ((2, 8), [2, 5], [2, 7, 6])
    """
    inputs = np.asarray(inputs)
    if inputs.ndim != 2 or not len(inputs) or not np.issubdtype(inputs.dtype, np.integer):
        raise ValueError(
            "inputs must be (N, L) int ids with N >= 1 "
            f"(got shape {inputs.shape}, dtype {inputs.dtype})"
        )
    batch_size = check_int("batch_size", batch_size, minimum=1)
    generator = Generator(model, strategy, max_length, cached, end_id, seed, options)
    count = len(inputs)
    batch_size = min(batch_size, max(count, 1))
    filler = -count % batch_size
    padded = np.concatenate([inputs, np.repeat(inputs[:1], filler, axis=0)]).astype(np.int32)
    outputs = generator.predict(padded, batch_size=batch_size, verbose=0)
    return keras.tree.map_structure(lambda x: np.asarray(x)[:count], outputs)

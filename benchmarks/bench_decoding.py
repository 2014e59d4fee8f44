"""Benchmarks of companion.decoding: the key/value cache, the strategies, and keras-hub's samplers.

Every row decodes the same batch with the same model: chapter 5's GPT in
nanoGPT's small CPU configuration, ``TransformerLanguageModel(65, 320,
hidden_dim=128, num_layers=4, num_heads=4, normalize_first=True)`` with
random weights (speed does not depend on training), 8 prompts of 64
character ids followed by room for the new tokens (256 unless the group's
name says fewer). Each call is one compiled ``predict_on_batch`` of a
``keras.Model`` whose ``call`` prefills the cache and runs the whole loop
(``jax.jit`` on JAX, ``tf.function`` on TensorFlow, Python steps on torch),
with no stop token, so every row runs to the end of the buffer.

* The key/value cache: greedy decoding with
  :class:`~companion.decoding.Generator`, recomputing (``cached=False``,
  every step runs the model over the whole buffer again; the baseline)
  against the cache (``cached=True``). Goal: the cache at least 5x faster,
  a ratio of at most 0.2. Measured at 128 new tokens, not the goal's 256:
  recomputing 256 tokens takes 20 to 50 s a call on 2 cores, and the timer
  makes ten calls. The speed-up only grows with the length: a cached step
  costs the same at every position (it attends over the whole fixed-size
  cache), a recomputed one grows with the buffer, so a goal met at 128 is
  met at 256 (one missed at 128 may still be met at 256).
* Sampling against greedy decoding, all cached: greedy (baseline), top-k
  (k = 10) and top-p (p = 0.9). Goals: within 1.2x of greedy; each within
  3x across backends.
* Beam search (width 4) against greedy decoding, cached, at 128 new tokens
  (256 take 13 to 30 s a call on JAX and TensorFlow). Goals: within 5x of
  greedy; within 3x across backends.
* Against keras-hub: the same model and the same ``next`` callable
  (:func:`~companion.decoding.language_model_step`, which also prefills the
  cache) handed to ``keras_hub.samplers.GreedySampler`` and
  ``BeamSampler(num_beams=4)`` (the baselines), each wrapped in a
  ``keras.Model`` whose ``call`` runs the sampler, as :class:`Generator`
  wraps ours, with ``index`` at the end of the prompts, the prompts' mask,
  and ``model`` (so that on JAX the sampler reads the weights from Keras's
  stateless scope, as keras-hub's ``generate`` does). Goal: our greedy
  decoding and beam search no slower than keras-hub's. Beam search at 32
  new tokens: keras-hub's ``BeamSampler`` takes 0.5 to 0.6 s a step on
  TensorFlow, up to 160 s a call at 256 tokens: it reorders the cache with
  ``take_along_axis`` over the beams, which Keras's TensorFlow backend runs
  by broadcasting the indices to the whole 7-D cache, transposing it and
  gathering element by element.
"""

import numpy as np

from benchmarks.core import Benchmark, Goal

NO_SLOWER = Goal("ratio", 1.0)
SPREAD = Goal("spread", 3.0)
CACHE_FASTER = Goal("ratio", 0.2)  # at least 5x faster than recomputing
SAMPLING_COST = Goal("ratio", 1.2)  # top-k and top-p: at most 1.2x greedy
BEAM_COST = Goal("ratio", 5.0)  # beam search, width 4: at most 5x greedy

# nanoGPT's small CPU configuration, on characters; random weights.
VOCABULARY, CONTEXT, WIDTH, LAYERS, HEADS = 65, 320, 128, 4, 4
BATCH, PROMPT, NEW_TOKENS = 8, 64, 256
CACHE_NEW_TOKENS = 128  # recomputing 256 tokens takes 20 to 50 s a call on 2 cores
BEAM_NEW_TOKENS = 128  # beam search over 256 tokens: 13 to 30 s a call on JAX and TensorFlow
KERAS_HUB_BEAM_NEW_TOKENS = 32  # keras-hub's BeamSampler: about 0.6 s a step on TensorFlow
TOP_K, TOP_P, BEAM_WIDTH = 10, 0.9, 4
SETTING = (
    f"GPT {LAYERS} layers of {WIDTH}, {HEADS} heads, V={VOCABULARY}, "
    f"B={BATCH} x {PROMPT}-token prompts + {{}} new tokens"
)
CACHE_GROUP = "key/value cache, greedy, " + SETTING
SAMPLING_GROUP = "sampling against greedy decoding, cached, " + SETTING
BEAM_GROUP = f"beam search (width {BEAM_WIDTH}) against greedy decoding, cached, " + SETTING
GREEDY_GROUP = "greedy decoding against keras-hub, cached, " + SETTING
KERAS_HUB_BEAM_GROUP = f"beam search (width {BEAM_WIDTH}) against keras-hub, cached, " + SETTING


def build_gpt():
    """The GPT, seeded, with its weights created."""
    from companion import runtime, transformer

    runtime.set_seed(0)
    model = transformer.TransformerLanguageModel(
        VOCABULARY,
        CONTEXT,
        hidden_dim=WIDTH,
        num_layers=LAYERS,
        num_heads=HEADS,
        normalize_first=True,
    )
    model(np.ones((1, 2), "int32"))
    return model


def prompts(new_tokens=NEW_TOKENS):
    """The buffer: 8 prompts of 64 ids (never 0, the padding id), then ``new_tokens`` zeros."""
    rng = np.random.default_rng(0)
    buffer = np.zeros((BATCH, PROMPT + new_tokens), "int32")
    buffer[:, :PROMPT] = rng.integers(4, VOCABULARY, size=(BATCH, PROMPT))
    return buffer


def _make_ours(strategy, cached=True, new_tokens=NEW_TOKENS, **options):
    def make():
        from companion import decoding

        generator = decoding.Generator(
            build_gpt(), strategy, cached=cached, seed=0, options=options
        )
        buffer = prompts(new_tokens)
        return lambda: generator.predict_on_batch(buffer)

    return make


def _keras_hub_generator(model, sampler):
    """keras-hub's ``sampler`` on our ``next``, in a ``keras.Model`` that ``predict`` compiles."""
    import keras

    from companion import decoding

    class KerasHubGenerator(keras.Model):
        def __init__(self, network, sampler):
            super().__init__()
            self.network = network
            self.sampler = sampler

        def call(self, buffer):
            buffer = keras.ops.cast(buffer, "int32")
            next, cache = decoding.language_model_step(self.network, buffer, cached=True)
            mask = keras.ops.not_equal(buffer, 0)  # the prompts' tokens
            return self.sampler(next, buffer, cache, index=PROMPT, mask=mask, model=self.network)

    return KerasHubGenerator(model, sampler)


def make_keras_hub_greedy():
    import keras_hub

    generator = _keras_hub_generator(build_gpt(), keras_hub.samplers.GreedySampler())
    buffer = prompts()
    return lambda: generator.predict_on_batch(buffer)


def make_keras_hub_beam():
    import keras_hub

    sampler = keras_hub.samplers.BeamSampler(num_beams=BEAM_WIDTH)
    generator = _keras_hub_generator(build_gpt(), sampler)
    buffer = prompts(KERAS_HUB_BEAM_NEW_TOKENS)
    return lambda: generator.predict_on_batch(buffer)


BENCHMARKS = [
    Benchmark(
        CACHE_GROUP.format(CACHE_NEW_TOKENS),
        "Generator, recomputing (cached=False)",
        _make_ours("greedy", cached=False, new_tokens=CACHE_NEW_TOKENS),
        baseline=True,
        goals=(SPREAD,),
    ),
    Benchmark(
        CACHE_GROUP.format(CACHE_NEW_TOKENS),
        "Generator, key/value cache (cached=True)",
        _make_ours("greedy", new_tokens=CACHE_NEW_TOKENS),
        goals=(CACHE_FASTER,),
    ),
    Benchmark(
        SAMPLING_GROUP.format(NEW_TOKENS),
        "greedy",
        _make_ours("greedy"),
        baseline=True,
        goals=(SPREAD,),
    ),
    Benchmark(
        SAMPLING_GROUP.format(NEW_TOKENS),
        f"top_k, k={TOP_K}",
        _make_ours("top_k", k=TOP_K),
        goals=(SAMPLING_COST, SPREAD),
    ),
    Benchmark(
        SAMPLING_GROUP.format(NEW_TOKENS),
        f"top_p, p={TOP_P}",
        _make_ours("top_p", p=TOP_P),
        goals=(SAMPLING_COST, SPREAD),
    ),
    Benchmark(
        BEAM_GROUP.format(BEAM_NEW_TOKENS),
        "greedy",
        _make_ours("greedy", new_tokens=BEAM_NEW_TOKENS),
        baseline=True,
    ),
    Benchmark(
        BEAM_GROUP.format(BEAM_NEW_TOKENS),
        f"beam_search, beam_width={BEAM_WIDTH}",
        _make_ours("beam", new_tokens=BEAM_NEW_TOKENS, beam_width=BEAM_WIDTH),
        goals=(BEAM_COST, SPREAD),
    ),
    Benchmark(
        GREEDY_GROUP.format(NEW_TOKENS),
        "keras_hub.samplers.GreedySampler",
        make_keras_hub_greedy,
        baseline=True,
    ),
    Benchmark(
        GREEDY_GROUP.format(NEW_TOKENS),
        "decoding.greedy (Generator)",
        _make_ours("greedy"),
        goals=(NO_SLOWER,),
    ),
    Benchmark(
        KERAS_HUB_BEAM_GROUP.format(KERAS_HUB_BEAM_NEW_TOKENS),
        f"keras_hub.samplers.BeamSampler(num_beams={BEAM_WIDTH})",
        make_keras_hub_beam,
        baseline=True,
    ),
    Benchmark(
        KERAS_HUB_BEAM_GROUP.format(KERAS_HUB_BEAM_NEW_TOKENS),
        "decoding.beam_search (Generator)",
        _make_ours("beam", new_tokens=KERAS_HUB_BEAM_NEW_TOKENS, beam_width=BEAM_WIDTH),
        goals=(NO_SLOWER,),
    ),
]

"""companion: the Keras 3 companion to a course on sequence models.

One sub-package per chapter topic, one module per idea. Data flows one way,
from the top of this list to the bottom; nothing lower imports from higher.

Host-side (NumPy only, usable before a backend is chosen):

- :mod:`companion.checks`: the argument checks every module uses.
- :mod:`companion.runtime`: a chapter as a program: backend and threads,
  command line, quality bars, run report.
- :mod:`companion.data`: the registry of offline and online datasets.
- :mod:`companion.sequences`: windows, chronological splits, scaling, padding.
- :mod:`companion.text`: vocabularies, tokenisers, byte-pair encoding, one-hot.

Layers and models (Keras, every backend):

- :mod:`companion.recurrent`: SimpleRNN, LSTM and GRU cells, the fast path,
  bidirectional, BPTT by hand (chapter 2).
- :mod:`companion.embeddings`: one-hot against learned embeddings, word2vec,
  analogies (chapter 3).
- :mod:`companion.lm`: n-gram and recurrent language models, perplexity,
  sentence scoring (chapter 3).
- :mod:`companion.classifiers`: many-to-one text classifiers (chapter 3).
- :mod:`companion.metrics`: corpus BLEU, PINC and per-token perplexity
  (chapter 4).
- :mod:`companion.seq2seq`: the recurrent encoder-decoder, the vector
  bottleneck, Bahdanau and Luong attention, compiled greedy translation
  (chapter 4).
- :mod:`companion.transformer`: scaled dot-product and multi-head
  attention, positions, masks, encoder and decoder blocks with a key/value
  cache, and the three Transformer types (chapter 5).
- :mod:`companion.decoding`: turning next-token distributions into text (chapter 6):
  greedy, sampling with temperature, top-k, top-p and beam search in one compiled loop.
- :mod:`companion.vision`: the Vision Transformer (patches, class token, grid
  positions, attention rollout) and its CNN and MLP baselines (chapter 7).
- :mod:`companion.finetune`: pre-training and tuning (chapter 8): full,
  linear probe, adapters, LoRA, prefix and prompt tuning; contrastive
  pre-training; DPO and PPO.
- :mod:`companion.scaling`: data and model parallel training with
  ``keras.distribution`` (JAX), simulated devices, the Transformer layout,
  mixed precision (chapter 9).
- :mod:`companion.training`: gradients without backend code, a stopping rule.
- :mod:`companion.plotting`: small matplotlib helpers for the chapters.

**Loading saved models.** A ``.keras`` file names our layers as
``companion>LSTM``; Keras finds them once they are registered, which happens
when their package is imported. ``import companion`` is enough: it registers
every layer at once if Keras is already imported, and otherwise right after
the first ``import keras`` (which is when the backend is chosen, so importing
:mod:`companion` never picks a backend by itself)::

    import companion
    import keras

    model = keras.saving.load_model("language_model.keras")

Sub-packages are also reachable as attributes (``companion.recurrent``).
"""

import importlib
import importlib.abc
import importlib.util
import sys

__version__ = "0.1.0"

_SUBPACKAGES = (
    "checks",
    "runtime",
    "data",
    "sequences",
    "text",
    "recurrent",
    "embeddings",
    "lm",
    "classifiers",
    "metrics",
    "seq2seq",
    "transformer",
    "decoding",
    "vision",
    "finetune",
    "scaling",
    "training",
    "plotting",
)
# The packages that define Keras layers and models, in the order they depend on each other.
# Across packages, layer modules import packages (`from companion import recurrent`), not names,
# so any of them can be imported first (tests/test_repository.py checks every order).
_LAYER_PACKAGES = (
    "recurrent",
    "embeddings",
    "lm",
    "classifiers",
    "metrics",
    "seq2seq",
    "transformer",
    "decoding",
    "vision",
    "finetune",
    "training",
)


def register_layers():
    """Imports every package that defines layers, so ``.keras`` files load. Imports Keras."""
    for name in _LAYER_PACKAGES:
        importlib.import_module(f"companion.{name}")


class _AfterKerasImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Runs :func:`register_layers` as soon as the first ``import keras`` has finished."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)  # once, and never for the import below
        spec = importlib.util.find_spec("keras")
        self.keras_loader, spec.loader = spec.loader, self
        return spec

    def create_module(self, spec):
        return self.keras_loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.keras_loader  # Keras's own, again
        self.keras_loader.exec_module(module)
        register_layers()


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"companion.{name}")
    raise AttributeError(f"module 'companion' has no attribute {name!r}")


if "keras" in sys.modules:
    register_layers()
elif not any(isinstance(finder, _AfterKerasImport) for finder in sys.meta_path):
    sys.meta_path.insert(0, _AfterKerasImport())

"""companion: the Keras 3 companion to a course on sequence models.

Modules are named after the chapter topics they serve:

- :mod:`companion.runtime`: choosing the backend for a chapter script, quality
  bars, and the run report printed at the end of every page. It does not
  import Keras, so a script can pick its backend first.
- :mod:`companion.datasets`: the registry of offline and online datasets.
- :mod:`companion.sequences`: preparing sequential data (windows, splits,
  scaling, padding and masks, vocabularies, one-hot encoding).
- :mod:`companion.plotting`: small matplotlib helpers used by the chapters.

Submodules are imported explicitly (``from companion import sequences``) so
that importing :mod:`companion` alone never imports Keras.
"""

__version__ = "0.1.0"

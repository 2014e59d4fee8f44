"""A chapter as a command-line program: its arguments, its scale, its figures.

Every chapter script starts with::

    from companion import runtime

    args = runtime.parse_args(__doc__)  # sets KERAS_BACKEND before keras loads
    import keras

and reads its sizes from the chosen scale, for example
``EPOCHS = args.pick(quick=1, default=30, full=60)``. The command line is::

    python chapters/NN_name.py [--backend B] [--quick | --full] [--outdir DIR] [--seed S]
        [--devices N [--model-parallel M]] [--precision P]

* ``--quick`` runs the whole chapter at toy size (a smoke test: quality bars
  that need real training are reported, not enforced; XLA compiles with its
  cheapest optimisation);
* ``--full`` trains at real scale;
* ``--devices N --model-parallel M`` trains on ``N`` devices with
  ``keras.distribution`` (JAX only; ``M > 1`` splits the Transformer blocks,
  see :mod:`companion.scaling`); ``--precision mixed_bfloat16`` computes in
  half precision;
* ``--outdir DIR`` saves every figure as ``DIR/NN_name-<figure>.png`` and the
  chapter's checked numbers as ``DIR/NN_name.json``.

In a terminal, ``fit`` shows Keras's progress bar (``verbose=args.verbose``);
in the book build (sphinx-gallery) the runs stay quiet.

This module does not import Keras at import time.
"""

import argparse
import dataclasses
import json
import os
import pathlib
import sys
import time

from companion.runtime.backends import BACKENDS, compile_cheaply, select_backend

SCALES = ("quick", "default", "full")


@dataclasses.dataclass
class ChapterRun:
    """What the running chapter was asked for, shared by :mod:`companion.runtime`.

    Attributes:
        name: str. The chapter's file stem, e.g. ``"02_recurrent"``.
        scale: str. ``"quick"``, ``"default"`` or ``"full"``.
        outdir: pathlib.Path or None. Where figures and numbers are saved.
        start: float. ``time.perf_counter()`` at the start of the run.
        bars: list of dict. Every quality bar checked so far.
    """

    name: str = "chapter"
    scale: str = "default"
    outdir: pathlib.Path | None = None
    start: float = dataclasses.field(default_factory=time.perf_counter)
    bars: list = dataclasses.field(default_factory=list)

    @property
    def quick(self):
        return self.scale == "quick"

    def save_numbers(self):
        """Writes the checked bars to ``<outdir>/<name>.json`` (no-op without ``--outdir``)."""
        if self.outdir is None:
            return None
        path = self.outdir / f"{self.name}.json"
        record = {
            "chapter": self.name,
            "backend": os.environ.get("KERAS_BACKEND"),
            "scale": self.scale,
            "seconds": round(time.perf_counter() - self.start, 1),
            "bars": self.bars,
        }
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        return path


RUN = ChapterRun()


def in_book_build():
    """Whether the chapter runs inside the book build (sphinx-gallery executes it)."""
    return "sphinx_gallery" in sys.modules


_AS_DEFAULT = object()  # ``pick``'s "no full value given", unlike ``full=None``


class ChapterArgs(argparse.Namespace):
    """The parsed command line, with the helper a chapter reads its sizes from."""

    def pick(self, *, quick, default, full=_AS_DEFAULT):
        """The value for the chosen scale: ``quick``, ``default`` or ``full``.

        Leaving ``full`` out makes ``--full`` use ``default``; any value given,
        ``None`` included (a chapter's "all of the data"), is used as it is.
        """
        values = {
            "quick": quick,
            "default": default,
            "full": default if full is _AS_DEFAULT else full,
        }
        return values[self.scale]


def _parser(description):
    from companion.scaling.precision import PRECISIONS  # scaling builds on runtime, not back

    lines = (description or "").strip().splitlines()
    parser = argparse.ArgumentParser(description=lines[0] if lines else None)
    parser.add_argument(
        "--backend",
        default=None,
        help=f"Keras backend: one of {', '.join(BACKENDS)}. Defaults to $KERAS_BACKEND.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", action="store_true", help="run everything at toy size (a smoke test, seconds)"
    )
    size.add_argument(
        "--full", action="store_true", help="train at full scale instead of the book's budget"
    )
    parser.add_argument(
        "--outdir", default=None, help="save every figure (PNG) and the checked numbers (JSON) here"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed. Defaults to 0.")
    scaling = parser.add_argument_group("scaling out (chapter 9)")
    scaling.add_argument(
        "--devices",
        type=int,
        default=1,
        help="train on N devices with keras.distribution (JAX only; on a CPU, N simulated ones)",
    )
    scaling.add_argument(
        "--model-parallel",
        type=int,
        default=1,
        metavar="M",
        help="split each Transformer block over M of the devices (ModelParallel). Defaults to 1.",
    )
    scaling.add_argument(
        "--precision",
        default="float32",
        choices=PRECISIONS,
        help="Keras dtype policy for every layer. Defaults to float32.",
    )
    return parser


def _scale_out(parser, namespace):
    """Applies ``--devices``, ``--model-parallel`` and ``--precision`` (imports Keras if used)."""
    from companion import scaling

    distributed = namespace.devices != 1 or namespace.model_parallel != 1
    if not distributed and namespace.precision == "float32":
        return
    try:
        if distributed:
            scaling.check_parallelism(namespace.devices, namespace.model_parallel)
            scaling.request_devices(namespace.devices, namespace.backend)
        import keras

        if distributed:
            distribution = scaling.make_distribution(namespace.devices, namespace.model_parallel)
            keras.distribution.set_distribution(distribution)
        scaling.set_precision(namespace.precision)
    except (TypeError, ValueError) as error:
        parser.error(str(error))


def parse_args(description, argv=None):
    """Parses a chapter script's command line and selects the backend.

    Args:
        description: str. The chapter's docstring, shown by ``--help``.
        argv: list of str or None. The arguments; `None` reads ``sys.argv``.
            Under sphinx-gallery the script gets no arguments and the
            environment's ``KERAS_BACKEND`` is used.

    Returns:
        A :class:`ChapterArgs` with ``backend`` (str), ``scale`` (``"quick"``,
        ``"default"`` or ``"full"``, also as the flags ``quick`` and
        ``full``), ``outdir`` (pathlib.Path or None), ``seed`` (int),
        ``devices`` and ``model_parallel`` (int; more than one device sets a
        ``keras.distribution``, JAX only), ``precision`` (the dtype policy)
        and
        ``verbose`` (the ``verbose`` to give ``fit``: 0 in the book, a
        progress bar in a terminal, one line per epoch otherwise).
    """
    parser = _parser(description)
    namespace = parser.parse_args(sys.argv[1:] if argv is None else argv, namespace=ChapterArgs())
    namespace.scale = "quick" if namespace.quick else ("full" if namespace.full else "default")
    if namespace.quick and "keras" not in sys.modules:
        compile_cheaply()  # toy models: compiling costs more than running
    namespace.backend = select_backend(namespace.backend)
    _scale_out(parser, namespace)
    if namespace.outdir is not None:
        namespace.outdir = pathlib.Path(namespace.outdir)
        namespace.outdir.mkdir(parents=True, exist_ok=True)
    if in_book_build():
        namespace.verbose = 0
    else:
        namespace.verbose = 1 if sys.stdout.isatty() else 2
        os.environ.setdefault("MPLBACKEND", "Agg")  # figures go to --outdir, not to windows
    RUN.__init__(
        name=pathlib.Path(sys.argv[0]).stem or "chapter",
        scale=namespace.scale,
        outdir=namespace.outdir,
    )
    return namespace


def show(figure, name):
    """Shows a finished figure: on the book page, in a window, or saved with ``--outdir``.

    Args:
        figure: a matplotlib ``Figure``.
        name: str. A short file-name-safe title, e.g. ``"sunspot_forecasts"``;
            the PNG is ``<outdir>/<chapter>-<name>.png``.

    Returns:
        `None`, so a cell that ends with this call shows no stray value.
    """
    import matplotlib.figure
    import matplotlib.pyplot as plt

    if not isinstance(figure, matplotlib.figure.Figure):
        raise TypeError(f"figure must be a matplotlib Figure (got {type(figure).__name__})")
    if RUN.outdir is not None:
        figure.savefig(RUN.outdir / f"{RUN.name}-{name}.png", dpi=100)
    if in_book_build():
        return  # sphinx-gallery's scraper collects the open figure after the cell
    if plt.get_backend().lower() != "agg":
        plt.show()
    plt.close(figure)

"""Running a chapter: backend and threads, command line, quality bars, run report.

A chapter script is both a program and a book page (see
:mod:`companion.runtime.chapter` for its command line). Nothing here imports
Keras at import time: the backend can only be chosen before the first
``import keras``.
"""

from companion.runtime.backends import (
    BACKENDS,
    available_cores,
    check_backend,
    configure_threads,
    select_backend,
    thread_budget,
)
from companion.runtime.bars import QualityBarError, check_bar
from companion.runtime.chapter import SCALES, ChapterArgs, in_book_build, parse_args, show
from companion.runtime.seeds import set_seed
from companion.runtime.summary import report, run_report

__all__ = [
    "BACKENDS",
    "SCALES",
    "ChapterArgs",
    "QualityBarError",
    "available_cores",
    "check_backend",
    "check_bar",
    "configure_threads",
    "in_book_build",
    "parse_args",
    "report",
    "run_report",
    "select_backend",
    "set_seed",
    "show",
    "thread_budget",
]

"""pytest's root configuration: thread policy first, then names for the docstring examples.

The backends size their thread pools when they are imported, so the policy of
:func:`companion.runtime.configure_threads` is applied before anything imports
Keras, and so is XLA's cheapest optimisation level (as in a chapter's
``--quick`` run): compiling a test's toy model costs more than running it.
The docstring examples of ``companion/`` (run with ``--doctest-modules``)
assume ``np`` and ``keras`` are imported, as Keras's own examples do.
"""

from companion.runtime import configure_threads
from companion.runtime.backends import compile_cheaply

configure_threads()  # before the first `import keras`
compile_cheaply()  # the tests' models are toys: XLA's compiling costs more than their running

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace.update(np=np, keras=keras)

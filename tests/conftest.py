"""Shared pytest configuration: threads, a seeded RNG per test, and no network.

* The backends' thread pools are sized before Keras is imported (in the
  root ``conftest.py``): each ``pytest -n N`` worker gets its share of the
  cores, so the workers do not oversubscribe them.
* The ``rng`` fixture gives every test its own NumPy generator, seeded from
  the test's name: a test's random data do not depend on which tests ran
  before it, nor on the worker it ran on.
* Every socket connection to an address outside the loopback range fails, so a
  test that tries to download something fails loudly instead of passing on a
  connected laptop. CI also runs the suite inside a network namespace with no
  network at all (see ``.ci/run``).
"""

import os
import socket
import sys
import zlib

import numpy as np
import pytest

sys.path.insert(
    0, os.path.dirname(__file__)
)  # makes tests/support.py and layer_checks.py importable

_LOOPBACK_PREFIXES = ("127.", "::1", "localhost")
_real_connect = socket.socket.connect


def _guarded_connect(sock, address, *args, **kwargs):
    host = address[0] if isinstance(address, tuple) else str(address)
    if sock.family == socket.AF_UNIX or str(host).startswith(_LOOPBACK_PREFIXES):
        return _real_connect(sock, address, *args, **kwargs)
    raise OSError(f"network access is disabled in the tests (tried to connect to {address!r})")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture
def rng(request):
    """A NumPy generator seeded from the test's own name (stable across runs and workers)."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture
def fixtures_dir():
    """The folder of small data files that the tests ship."""
    return os.path.join(os.path.dirname(__file__), "fixtures")


def pytest_report_header(config):
    import keras

    from companion.runtime import thread_budget

    return f"keras {keras.__version__}, backend {keras.config.backend()}, {thread_budget()} threads"

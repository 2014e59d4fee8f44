"""Shared pytest configuration: the tests never touch the network.

Every socket connection to an address outside the loopback range fails, so a
test that tries to download something fails loudly instead of passing on a
connected laptop. CI also runs the suite inside a network namespace with no
network at all (see ``.ci/run``).
"""

import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # makes tests/layer_checks.py importable

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
def fixtures_dir():
    """The folder of small data files that the tests ship."""
    return os.path.join(os.path.dirname(__file__), "fixtures")


def pytest_report_header(config):
    import keras

    return f"keras {keras.__version__}, backend {keras.config.backend()}"

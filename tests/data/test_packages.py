"""Tests of companion.data.packages: a missing data package says what to install."""

import pytest

from companion import data
from companion.data import packages


def test_missing_package_says_what_to_install(monkeypatch):
    real_find_spec = packages.importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "statsmodels" else real_find_spec(name, *args)

    monkeypatch.setattr(packages.importlib.util, "find_spec", find_spec)
    with pytest.raises(ModuleNotFoundError, match="pip install statsmodels") as err:
        data.load("sunspots")
    assert "companion[data]" in str(err.value)

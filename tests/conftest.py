"""Shared fixtures. Tests marked ``data`` read the real databases; in CI their absence is a failure."""

from __future__ import annotations

import os

import numpy as np
import pytest

from cardiowatch.data.databases import DataUnavailable, database_dir


def _require_database(name: str) -> None:
    try:
        database_dir(name)
    except DataUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the real database: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def mitdb() -> str:
    _require_database("mitdb")
    return "mitdb"


@pytest.fixture(scope="session")
def bidmc() -> str:
    _require_database("bidmc")
    return "bidmc"


@pytest.fixture(scope="session")
def ltafdb() -> str:
    _require_database("ltafdb")
    return "ltafdb"


@pytest.fixture(scope="session")
def nsr2db() -> str:
    _require_database("nsr2db")
    return "nsr2db"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261125)

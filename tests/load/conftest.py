from __future__ import annotations

from pathlib import Path

import pytest

from glutemed.core.load import LoadParams
from glutemed.services.load import load_params

ACT = Path(__file__).resolve().parents[1] / "data" / "activities"


@pytest.fixture(scope="session")
def act_dir() -> Path:
    return ACT


@pytest.fixture(scope="session")
def params() -> LoadParams:
    """The thresholds of the bundled rules, as the load command uses them."""
    return load_params()

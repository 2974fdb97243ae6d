from __future__ import annotations

from pathlib import Path

import pytest

ACT = Path(__file__).resolve().parents[1] / "data" / "activities"


@pytest.fixture(scope="session")
def act_dir() -> Path:
    return ACT

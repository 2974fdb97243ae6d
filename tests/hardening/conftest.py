from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
EXAMPLES = ROOT / "examples" / "runners"


def session_doc(date: str = "2025-03-03", reps: int = 12) -> dict[str, object]:
    return {
        "date": date,
        "exercises": [
            {
                "exercise": "single-leg-romanian-deadlift",
                "sets": [{"reps": reps, "support": "rail", "pain_during_0_10": 1}] * 3,
                "pain_next_morning_0_10": 0,
            }
        ],
    }


@pytest.fixture
def session_file(tmp_path: Path) -> Path:
    path = tmp_path / "session.json"
    path.write_text(json.dumps(session_doc()), encoding="utf-8")
    return path


@pytest.fixture
def intake_file() -> Path:
    return EXAMPLES / "female-lateral-hip-pain.yaml"

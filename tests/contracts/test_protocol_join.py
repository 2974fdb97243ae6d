"""The dynamometry protocol reaches the scoring: a norm is used only for a test done the same way."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .conftest import EXAMPLES, run_cli


def _intake(tmp_path: Path, protocol: dict[str, str] | None) -> Path:
    data = yaml.safe_load((EXAMPLES / "female-lateral-hip-pain.yaml").read_text(encoding="utf-8"))
    if protocol is not None:
        data["tests"]["dynamometry"]["protocol"] = protocol
    path = tmp_path / "intake.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _hhd(tmp_path: Path, protocol: dict[str, str] | None) -> list[dict[str, object]]:
    out = json.loads(run_cli("assess", str(_intake(tmp_path, protocol)), "--json"))
    return [t for t in out["tests"] if t["test_id"] == "hip-abduction-dynamometry"]


def test_the_norms_own_protocol_gets_a_z_score(tmp_path: Path) -> None:
    scores = _hhd(tmp_path, None)
    assert scores
    assert all(t["details"].get("z") is not None for t in scores)  # type: ignore[union-attr]
    assert all("same protocol as the norm" in str(t["interpretation"]) for t in scores)


def test_another_protocol_is_not_held_against_the_norm(tmp_path: Path) -> None:
    scores = _hhd(tmp_path, {"contraction": "make", "position": "side-lying", "device": "hand-held"})
    assert scores
    for t in scores:
        assert t["details"].get("z") is None  # type: ignore[union-attr]
        assert t["positive"] is False
        assert "protocol" in str(t["interpretation"]) or "measured" in str(t["interpretation"])

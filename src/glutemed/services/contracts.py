"""Every file one command writes and another reads, with the model that is its contract.

The pydantic models are the single source of truth; their JSON Schemas are published in
``glutemed/contracts/schemas/`` (``glutemed schema --write``) and a test fails when they drift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from glutemed.contracts.gait_result import GaitResult
from glutemed.contracts.load_result import LoadResult
from glutemed.io.atomic import atomic_write_text
from glutemed.services.intake_schema import IntakeIn, LogbookIn, SessionIn, TestsIn

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "contracts" / "schemas"


@dataclass(frozen=True)
class Contract:
    name: str
    model: type[BaseModel]
    written_by: str
    read_by: str

    def json_schema(self) -> dict[str, Any]:
        schema = self.model.model_json_schema(by_alias=True)
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"glutemed/{self.name}.schema.json",
            "description": f"Written by {self.written_by}; read by {self.read_by}.",
            **schema,
        }

    def schema_text(self) -> str:
        return json.dumps(self.json_schema(), indent=2, sort_keys=True) + "\n"


CONTRACTS: dict[str, Contract] = {
    c.name: c
    for c in (
        Contract(
            "gait-result",
            GaitResult,
            "glutemed analyze --out (result.json)",
            "glutemed assess/program --gait",
        ),
        Contract("load-result", LoadResult, "glutemed load --json", "glutemed assess/program --load"),
        Contract("intake", IntakeIn, "glutemed intake new, or by hand", "glutemed assess/program/progress"),
        Contract("tests", TestsIn, "by hand (or inside the intake)", "glutemed assess/program --tests"),
        Contract("session", SessionIn, "by hand (glutemed log --template)", "glutemed log"),
        Contract("logbook", LogbookIn, "glutemed log --logbook", "glutemed progress"),
    )
}


def register(contract: Contract) -> None:
    """Add a contract defined elsewhere (kept here so that one table lists every join)."""
    CONTRACTS[contract.name] = contract


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for contract in CONTRACTS.values():
        path = directory / f"{contract.name}.schema.json"
        atomic_write_text(path, contract.schema_text())
        written.append(path)
    return written

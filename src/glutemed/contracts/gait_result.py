"""The gait result (``glutemed.gait/v1``) written by ``glutemed analyze`` and read by ``assess``/``program``.

The analyzer owns every fault verdict: readers take ``faults[*].verdict`` as it is and never re-judge a
metric. A fault the recording could not judge stays ``not-enough-data`` with its reason: it is a gap, not a
"no".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SCHEMA = "glutemed.gait/v1"
M = TypeVar("M", bound=BaseModel)

Side = Literal["left", "right", "both"]
VerdictName = Literal["within", "borderline", "flagged", "information", "not-enough-data"]
JudgedBy = Literal["absolute", "other-side", "information"]


class ContractError(ValueError):
    """A file breaks its contract; the message names the file and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultVerdictOut(_Model):
    """One fault on one leg (``both`` for recording-level metrics such as cadence)."""

    fault_id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: str
    metric: str
    side: Side
    verdict: VerdictName
    value: float | None = Field(description="the leg's median of the metric; null when not measured")
    judged_by: JudgedBy
    judged_value: float | None = Field(
        description="what was held against the numbers (a difference for other-side)"
    )
    borderline: float
    flagged: float
    direction: Literal["above", "below"]
    unit: str
    sdd: float | None
    ref: str
    verification: Literal["verified", "secondary", "unverified"]
    own_default: bool
    n_stances: int = Field(ge=0)
    quality: float = Field(ge=0, le=1)
    reason: str
    baseline_value: float | None = Field(default=None, description="the leg's value in the --baseline result")
    change_from_baseline: float | None = Field(
        default=None, description="value minus baseline, signed so that positive means more of the fault"
    )


class RecordingOut(BaseModel):
    """One analysed input. Only the fields readers rely on are typed; the rest is documented in docs."""

    model_config = ConfigDict(extra="allow", frozen=True)

    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    keypoint_source: str
    view: Literal["rear", "front", "side"]
    fps_hz: float = Field(gt=0)
    n_frames: int = Field(ge=0)
    duration_s: float = Field(ge=0)
    cadence_spm: float | None
    n_stances: dict[Literal["left", "right"], int]
    summary: list[dict[str, Any]]


class GaitResult(_Model):
    schema_: Literal["glutemed.gait/v1"] = Field(alias="schema")
    glutemed_version: str
    created_utc: str
    config: dict[str, Any]
    recordings: list[RecordingOut] = Field(min_length=1)
    faults: list[FaultVerdictOut]
    missing_views: list[str]
    baseline: dict[str, str] | None = Field(
        default=None,
        description="the earlier result the verdicts were compared with (path, sha256, created_utc)",
    )

    def verdicts_of(self, fault_id: str) -> list[FaultVerdictOut]:
        return [f for f in self.faults if f.fault_id == fault_id]

    @property
    def cadence_spm(self) -> float | None:
        values = [r.cadence_spm for r in self.recordings if r.cadence_spm is not None]
        return sorted(values)[len(values) // 2] if values else None


def describe_errors(exc: ValidationError, *, limit: int = 5) -> str:
    """Short, bounded field paths and messages (never the input itself, which may be huge)."""
    problems = []
    for err in exc.errors()[:limit]:
        field = ".".join(str(part) for part in err["loc"]) or "(top level)"
        problems.append(f"{field}: {err['msg']}")
    more = len(exc.errors()) - limit
    return "; ".join(problems) + (f"; and {more} more" if more > 0 else "")


def require_schema(data: Any, source: str, *, schema: str, what: str, how: str) -> Mapping[str, Any]:
    """``data`` as a mapping that names ``schema``; otherwise a ContractError naming ``source`` and how to make
    the right file (shared by every contract reader)."""
    if not isinstance(data, Mapping):
        raise ContractError(f"{source}: not a glutemed {what} (expected a JSON object)")
    found = data.get("schema")
    if found != schema:
        shown = repr(found)[:60] if isinstance(found, str) else "missing"
        raise ContractError(f"{source}: not a glutemed {what} (schema {shown}, expected {schema!r}); {how}")
    return data


def validate_contract(model: type[M], data: Mapping[str, Any], source: str, schema: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContractError(f"{source}: breaks the {schema} contract: {describe_errors(exc)}") from exc


def read_gait_result(data: Any, source: str) -> GaitResult:
    """Validate a parsed gait result; a wrong shape is a :class:`ContractError` naming ``source``."""
    checked = require_schema(
        data,
        source,
        schema=SCHEMA,
        what="gait result",
        how="make one with `glutemed analyze VIDEO --out DIR`",
    )
    return validate_contract(GaitResult, checked, source, SCHEMA)


def baseline_values(result: GaitResult) -> dict[tuple[str, str], float]:
    """Each measured leg's value, for comparing a later recording with this one."""
    return {
        (f.fault_id, f.side): f.value
        for f in result.faults
        if f.value is not None and f.verdict != "not-enough-data"
    }

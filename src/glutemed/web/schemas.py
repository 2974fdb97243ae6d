"""The JSON API's schemas, one family per resource (``Create`` / ``Update`` / ``Read``).

Pages render the same ``Read`` objects that ``/api/v1`` returns, so the API mirrors every page's data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MeRead(_Read):
    id: int
    email: str
    display_name: str
    role: str
    clinic_id: int | None
    runner_id: int | None


class RunnerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(
        default=None, max_length=320, description="the runner's email for the invitation"
    )
    clinic_id: int | None = Field(default=None, description="admins only: the clinic (clinicians: their own)")


class RunnerRead(_Read):
    id: int
    clinic_id: int
    name: str
    created_at: dt.datetime


class InvitationRead(BaseModel):
    runner_id: int
    link: str
    expires_at: dt.datetime


class RunnerCreated(BaseModel):
    runner: RunnerRead
    invitation: InvitationRead


class LegVerdict(BaseModel):
    fault_id: str
    name: str
    side: str
    verdict: str


class RunnerSummary(BaseModel):
    """One row of the clinician dashboard."""

    runner: RunnerRead
    latest_assessment_id: int | None
    verdicts: list[LegVerdict]
    red_flags: list[str]
    open_jobs: int
    load_spike_this_week: bool


class DashboardRead(BaseModel):
    clinic_ids: list[int]
    runners: list[RunnerSummary]


class IntakeRead(_Read):
    id: int
    runner_id: int
    data: dict[str, Any]
    created_at: dt.datetime
    red_flags: list[str] = []


class TestResultRead(_Read):
    id: int
    runner_id: int
    data: dict[str, Any]
    created_at: dt.datetime


class UploadRead(_Read):
    id: int
    runner_id: int
    original_name: str
    kind: str
    size_bytes: int
    sha256: str
    view: str | None
    created_at: dt.datetime


class JobProgress(BaseModel):
    stage: str | None = None
    frames_done: int | None = None
    frames_total: int | None = None
    fps: float | None = None


class JobRead(_Read):
    id: int
    kind: str
    runner_id: int
    state: str
    attempts: int
    progress: JobProgress | None
    error: str | None
    result: dict[str, Any] | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class AssessmentRead(_Read):
    id: int
    runner_id: int
    job_id: int | None
    created_at: dt.datetime
    assessment: dict[str, Any] | None  # None: analysed before the runner had an intake
    gait_result: dict[str, Any] | None
    verdicts: list[LegVerdict]
    files: list[str]
    program_ids: list[int]


class ProgramRead(_Read):
    id: int
    runner_id: int
    assessment_id: int | None
    state: str
    data: dict[str, Any]
    edits: list[Any]
    files: list[str]
    created_at: dt.datetime
    published_at: dt.datetime | None


class ProgramUpdate(BaseModel):
    """A clinician's change to a draft: remove an exercise, swap it for another allowed one, or publish."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["remove", "swap", "publish"]
    phase_id: str | None = None
    exercise_id: str | None = None
    replacement_id: str | None = None


class LoadReportRead(_Read):
    id: int
    runner_id: int
    job_id: int | None
    created_at: dt.datetime
    data: dict[str, Any]
    spikes: list[dict[str, Any]]
    cautions: list[dict[str, Any]]
    files: list[str]


class RunnerDetail(BaseModel):
    """Everything the runner page shows."""

    runner: RunnerRead
    can_change: bool
    intakes: list[IntakeRead]
    tests: list[TestResultRead]
    uploads: list[UploadRead]
    jobs: list[JobRead]
    assessments: list[AssessmentRead]
    programs: list[ProgramRead]
    load_reports: list[LoadReportRead]

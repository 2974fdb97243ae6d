"""Progress monitoring: a runner's progress charts, the list of runners needing attention, and the clinician's
override of a progression decision (with a note), each with a JSON mirror under ``/api/v1``.

- ``GET /runners/{id}/progress``: the runner's clinic clinician or an admin; the runner themself sees their own
  charts without the override forms. Anyone else: 404.
- ``GET /attention``: clinicians (their clinic's runners) and admins (every clinic).
- ``POST /decisions/{id}/override``: action (progress, hold or regress) and a note, both required; only a
  clinician of the runner's clinic or an admin. The decision keeps the rule's action beside the override; the
  runner side reads the effective action (the override when there is one) for the next dose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from glutemed.db.models import ACTIONS, ProgressDecision, utcnow
from glutemed.reports import monitoring_charts as charts
from glutemed.services import attention, monitoring
from glutemed.web import authz
from glutemed.web.deps import Csrf, CurrentUser, Db, Principal
from glutemed.web.templating import page

router = APIRouter(tags=["monitoring"])
api = APIRouter(tags=["monitoring"])

Action = Literal["progress", "hold", "regress"]
NOTE_MAX = 2000


class OverrideIn(BaseModel):
    action: Action
    note: str = Field(min_length=1, max_length=NOTE_MAX)


class OverrideRead(BaseModel):
    id: int
    runner_id: int
    exercise_id: str
    action: str
    override_action: str | None
    override_note: str | None
    overridden_by: int | None
    overridden_at: dt.datetime | None
    effective_action: str


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _progress(db: Db, user: Principal, runner_id: int) -> tuple[monitoring.RunnerProgress, bool]:
    with db.session() as s:
        runner = authz.visible_runner(s, user, runner_id)
        return monitoring.runner_progress(s, runner, _today()), authz.can_change_runner(user, runner)


def progress_charts(p: monitoring.RunnerProgress, *, for_runner: bool = False) -> dict[str, Any]:
    """The page's charts from a runner's series (None where there is nothing to draw). A runner's own page
    leaves the citation keys out of the pictures; the clinician's names them."""
    refs = "" if for_runner else ", ".join(p.pain_limit_refs) or "progression rules"
    gait = []
    for g in p.gait:
        leg = charts.GaitLeg(g.side, [pt.day for pt in g.points], [pt.value for pt in g.points])
        name = f"gait-{g.metric}-{g.side}"
        chart = charts.gait_chart(g.label, g.unit, g.sdd, [leg], name=name, plain=for_runner)
        if chart is not None:
            gait.append((g, chart))
    return {
        "pain": charts.pain_chart(
            [pt.day for pt in p.pain],
            [pt.during for pt in p.pain],
            [pt.morning_pain for pt in p.pain],
            [pt.morning_stiffness for pt in p.pain],
            limit=p.pain_limit,
            limit_source=refs,
            name="pain",
        ),
        "adherence": charts.adherence_chart(
            [w.first_day for w in p.adherence],
            [w.planned for w in p.adherence],
            [w.done for w in p.adherence],
            name="adherence",
        ),
        "dose": charts.dose_chart(
            [
                charts.DoseLine(d.name, d.unit, [pt.day for pt in d.points], [pt.value for pt in d.points])
                for d in p.doses
            ],
            name="dose",
        ),
        "load": charts.load_chart(
            [w.week_start for w in p.load_weeks],
            [w.distance_km for w in p.load_weeks],
            [w.spikes for w in p.load_weeks],
            [w.caution for w in p.load_weeks],
            name="load",
        ),
        "portal_runs": charts.load_chart(
            [w.week_start for w in p.portal_run_weeks],
            [w.distance_km for w in p.portal_run_weeks],
            [w.spikes for w in p.portal_run_weeks],
            [w.caution for w in p.portal_run_weeks],
            name="portal-runs",
            title="Runs logged in the portal, distance per week",
        ),
        "gait": gait,
    }


@router.get("/runners/{runner_id}/progress", include_in_schema=False)
def progress_page(request: Request, runner_id: int, user: CurrentUser, db: Db) -> Response:
    progress, can_change = _progress(db, user, runner_id)
    return page(
        request,
        "monitoring_progress.html.j2",
        p=progress,
        charts=progress_charts(progress, for_runner=user.role == "runner"),
        can_change=can_change,
        actions=ACTIONS,
        adherence_low=attention.ADHERENCE_LOW_BELOW,
    )


@api.get("/runners/{runner_id}/progress")
def progress_json(runner_id: int, user: CurrentUser, db: Db) -> dict[str, Any]:
    progress, _ = _progress(db, user, runner_id)
    data = asdict(progress)
    for week, row in zip(progress.adherence, data["adherence"], strict=True):
        row["fraction"] = week.fraction
    for decision, row in zip(progress.decisions, data["decisions"], strict=True):
        row["effective_action"] = decision.effective_action
    return data


def _attention(db: Db, user: Principal) -> list[attention.AttentionItem]:
    authz.require_staff(user)
    with db.session() as s:
        return attention.attention_list(s, None if user.is_admin else user.clinic_id, _today())


@router.get("/attention", include_in_schema=False)
def attention_page(request: Request, user: CurrentUser, db: Db) -> Response:
    items = _attention(db, user)
    return page(
        request,
        "monitoring_attention.html.j2",
        items=items,
        adherence_low=attention.ADHERENCE_LOW_BELOW,
        adherence_weeks=attention.ADHERENCE_WEEKS,
    )


@api.get("/attention")
def attention_json(user: CurrentUser, db: Db) -> list[dict[str, Any]]:
    return [asdict(item) for item in _attention(db, user)]


def override_decision(db: Db, user: Principal, decision_id: int, action: str, note: str) -> OverrideRead:
    """Store the clinician's action and note on a decision (the rule's own action is kept beside it)."""
    note = note.strip()
    with db.write() as s:
        decision = authz.changeable_row(s, user, ProgressDecision, decision_id, "decision")
        if action not in ACTIONS:
            raise HTTPException(422, f"action: choose one of {', '.join(ACTIONS)}")
        if not note:
            raise HTTPException(422, "note: say why the decision is overridden")
        if len(note) > NOTE_MAX:
            raise HTTPException(422, f"note: at most {NOTE_MAX} characters")
        decision.override_action = action
        decision.override_note = note
        decision.overridden_by = user.id
        decision.overridden_at = utcnow()
        s.flush()
        return OverrideRead(
            id=decision.id,
            runner_id=decision.runner_id,
            exercise_id=decision.exercise_id,
            action=decision.action,
            override_action=decision.override_action,
            override_note=decision.override_note,
            overridden_by=decision.overridden_by,
            overridden_at=decision.overridden_at,
            effective_action=action,
        )


@router.post("/decisions/{decision_id}/override", include_in_schema=False, dependencies=[Csrf])
def override_form(
    decision_id: int,
    user: CurrentUser,
    db: Db,
    action: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=NOTE_MAX + 100)] = "",
) -> Response:
    done = override_decision(db, user, decision_id, action, note)
    return RedirectResponse(f"/runners/{done.runner_id}/progress#decision-{done.id}", status_code=303)


@api.post("/decisions/{decision_id}/override", dependencies=[Csrf])
def override_json(decision_id: int, body: OverrideIn, user: CurrentUser, db: Db) -> OverrideRead:
    return override_decision(db, user, decision_id, body.action, body.note)

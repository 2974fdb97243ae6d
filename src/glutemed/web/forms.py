"""The intake and clinical-test forms: posted fields -> the intake/tests contract, with errors per field.

The questions, their wording and the red-flag list are the questionnaire's own (``services/intake_form``,
shared with ``glutemed intake new``), and
the answers are validated by the same pydantic models as a YAML intake (``services/intake_schema``), so the web
form accepts and refuses exactly what the file and the questionnaire do. The message above the form is the one
``validate`` gives for a file; each problem is also shown next to its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from glutemed.core.intake import AGGRAVATORS
from glutemed.knowledge.models import Equipment, PainRegion
from glutemed.services.intake_form import (
    CHANGE_KINDS,
    CHANGE_QUESTIONS,
    FEMALE_ONLY,
    QUESTIONS,
    RED_FLAGS,
    name_of,
    raw_answer,
)
from glutemed.services.intake_schema import InputFileError, IntakeIn, TestsIn, offending_input, validate

SIDES = ("left", "right")
MULTI_CHOICES: dict[str, tuple[str, ...]] = {
    "symptoms.regions": tuple(r.value for r in PainRegion),
    "symptoms.aggravators": AGGRAVATORS,
    "availability.equipment": tuple(e.value for e in Equipment),
}
SELECT_CHOICES: dict[str, tuple[str, ...]] = {
    "runner.sex": ("female", "male"),
    "symptoms.side": ("", "left", "right", "both"),
    "context.footwear_change": ("no", "yes"),
    "context.hills_or_stairs": ("no", "yes"),
    "lifestyle.stands_hung_on_one_hip": ("no", "yes"),
}


@dataclass
class FormResult:
    """What a posted form gave: the validated model, or the message and the problems per field name."""

    model: BaseModel | None = None
    data: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _put(data: dict[str, Any], name: str, value: Any) -> None:
    section, _, key = name.rpartition(".")
    (data.setdefault(section, {}) if section else data)[key] = value


def intake_data(form: Any) -> tuple[dict[str, Any], dict[tuple[Any, ...], str]]:
    """The intake dict the YAML file would hold, and where each list entry came from (for the errors)."""
    data: dict[str, Any] = {}
    origins: dict[tuple[Any, ...], str] = {}
    for q in QUESTIONS:
        name = name_of(q)
        if name in MULTI_CHOICES:
            value: Any = [v for v in form.getlist(name) if isinstance(v, str) and v]
        else:
            text = _text(form, name)
            value = raw_answer(q, text if text or q.default is None else q.default)
        if value is None or value == []:
            continue
        _put(data, name, value)
    changes: list[dict[str, Any]] = []
    for kind in CHANGE_KINDS:
        answers = {q.field: _text(form, f"recent_changes.{kind}.{q.field}") for q in CHANGE_QUESTIONS}
        if not any(answers.values()):
            continue
        origins[("recent_changes", len(changes))] = f"recent_changes.{kind}"
        changes.append({"kind": kind, **{k: v for k, v in answers.items() if v}})
    data["recent_changes"] = changes
    female = data.get("runner", {}).get("sex") == "female"
    data["red_flags"] = {
        key: form.get(f"red_flags.{key}") == "yes" for key, _ in RED_FLAGS if female or key not in FEMALE_ONLY
    }
    return data, origins


def _tests_rows(form: Any, data: dict[str, Any], origins: dict[tuple[Any, ...], str]) -> None:
    rows: dict[str, tuple[str, ...]] = {
        "single_leg_stance": ("lateral_hip_pain_0_10", "pelvic_drop_seen"),
        "trendelenburg": ("positive",),
        "single_leg_squat": ("fppa_deg", "rating"),
    }
    for test, fields in rows.items():
        items: list[dict[str, Any]] = []
        for side in SIDES:
            answers = {f: _text(form, f"{test}.{side}.{f}") for f in fields}
            if any(answers.values()):
                origins[(test, len(items))] = f"{test}.{side}"
                items.append({"side": side, **{k: v for k, v in answers.items() if v}})
        if items:
            data[test] = items
    provocation: list[dict[str, Any]] = []
    for test in ("greater-trochanter-palpation", "resisted-external-derotation"):
        for side in SIDES:
            answer = _text(form, f"provocation.{test}.{side}.painful")
            if answer:
                origins[("provocation", len(provocation))] = f"provocation.{test}.{side}"
                provocation.append({"test": test, "side": side, "painful": answer})
    if provocation:
        data["provocation"] = provocation


def tests_data(form: Any) -> tuple[dict[str, Any], dict[tuple[Any, ...], str]]:
    """The clinical-tests dict the YAML file would hold; a test left blank is not recorded."""
    data: dict[str, Any] = {}
    origins: dict[tuple[Any, ...], str] = {}
    _tests_rows(form, data, origins)
    bridge = {f: _text(form, f"side_bridge.{f}") for f in ("left_s", "right_s")}
    if any(bridge.values()):
        data["side_bridge"] = bridge
    dyn = {f: _text(form, f"dynamometry.{f}") for f in ("left_n", "right_n", "lever_arm_m")}
    if any(dyn.values()):
        protocol = {
            f: _text(form, f"dynamometry.protocol.{f}") for f in ("contraction", "position", "device")
        }
        data["dynamometry"] = {
            **{k: v for k, v in dyn.items() if v},
            "protocol": {k: v for k, v in protocol.items() if v},
        }
    return data, origins


def _field_name(loc: tuple[Any, ...], origins: dict[tuple[Any, ...], str]) -> str:
    """The form field a pydantic error location belongs to (a list entry maps back to its row)."""
    parts = [str(p) for p in loc]
    for size in (2,):
        key = tuple(loc[:size])
        if key in origins:
            return ".".join([origins[key], *parts[size:]])
    if len(loc) >= 2 and isinstance(loc[-1], int):  # one item of a multi-choice list
        return ".".join(parts[:-1])
    return ".".join(parts)


def check(
    model: type[BaseModel], data: dict[str, Any], origins: dict[tuple[Any, ...], str], source: str
) -> FormResult:
    """Validate ``data`` as the file would be validated; on failure the same message, and one per field."""
    try:
        return FormResult(model=validate(model, data, source), data=data)
    except InputFileError as exc:
        message = str(exc)
    errors: dict[str, str] = {}
    try:
        model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            errors.setdefault(_field_name(tuple(err["loc"]), origins), f"{err['msg']}{offending_input(err)}")
    return FormResult(data=data, message=message, errors=errors)


def check_intake(form: Any) -> FormResult:
    data, origins = intake_data(form)
    return check(IntakeIn, data, origins, "intake form")


def check_tests(form: Any) -> FormResult:
    data, origins = tests_data(form)
    return check(TestsIn, data, origins, "clinical tests form")

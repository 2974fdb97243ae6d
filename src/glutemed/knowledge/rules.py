"""Assessment, programming and progression rules kept as validated data.

``data/rules/findings.yaml`` holds the clinical thresholds, the finding rules and the programming rules;
``data/rules/progression.yaml`` holds the pain-monitoring and load rules, the exercise ladders and the phase-exit
criteria. Every rule cites references that must exist in the knowledge base. :meth:`Rules.to_core` turns them into
the plain dataclasses that :mod:`glutemed.core` works on.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from glutemed.core.clinical_scoring import ScoringThresholds
from glutemed.core.findings import GAIT_FAULTS, SIGNS, FindingRule, SignParams
from glutemed.core.pain_trend import TrendRules
from glutemed.core.programming import AvoidRule, CueConflict, CueRule, ProgrammingRules
from glutemed.core.progression import LadderStep, ProgressionRules
from glutemed.knowledge.models import EvidenceStrength, Id, LoadTag, RefKey, Text, Verification

if TYPE_CHECKING:
    from glutemed.knowledge.loader import KnowledgeBase

SignName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]


class RulesError(ValueError):
    """A rules file is missing, malformed, or cites something the knowledge base does not hold."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CitedNumber(_Strict):
    value: float
    refs: list[RefKey] = Field(min_length=1)
    verification: Verification
    note: str | None = None


class GlutemedDefault(_Strict):
    """A number glutemed chose itself: no study holds it. ``why`` gives the reasoning; ``refs`` the papers behind
    the reasoning (they do not contain the number)."""

    value: float
    basis: Literal["glutemed-default"]
    refs: list[RefKey] = []
    why: Text


class ClinicalThresholds(_Strict):
    stance_pain_positive_0_10: CitedNumber
    fppa_flag_deg_female: CitedNumber
    fppa_flag_deg_male: CitedNumber
    side_bridge_ratio_tolerance: CitedNumber
    hhd_deficit_flag_pct: CitedNumber
    hhd_below_norm_sd: CitedNumber
    weekly_increase_flag_pct: CitedNumber
    session_spike_flag_pct: CitedNumber
    weekly_change_min_previous_km: GlutemedDefault
    session_spike_min_longest_km: GlutemedDefault
    acwr_layoff_days: GlutemedDefault
    acwr_min_weeks_with_running: GlutemedDefault
    test_refs: dict[Id, list[RefKey]] = {}


class FindingRuleModel(_Strict):
    id: Id
    name: Text
    evidence_level: EvidenceStrength
    reasoning: Text
    any_of: list[SignName] = Field(min_length=1)
    min_signs: int = Field(default=1, ge=1)
    required: list[SignName] = []
    points_to: list[Id] = []
    weak_evidence: str | None = None
    refs: list[RefKey] = Field(min_length=1)
    verification: Verification


class AvoidRuleModel(_Strict):
    finding: Id
    load_tags: list[LoadTag] = Field(min_length=1)
    reason: Text
    refs: list[RefKey] = Field(min_length=1)
    verification: Verification


class CueRuleModel(_Strict):
    id: Id
    faults: list[Id] = Field(min_length=1)
    cue: Text
    cadence_increase_pct: tuple[float, float] | None = None
    drills: list[Id] = []  # running drills (exercise ids) that practise the cue
    exercises: list[Id] = []  # exercise ids that train what the fault lacks
    answer: Text | None = None  # what the program does about the fault, in plain words
    refs: list[RefKey] = Field(min_length=1)
    verification: Verification


class CueConflictModel(_Strict):
    """Two cues that pull against each other when their faults come together: one wins or a combined cue."""

    cues: tuple[Id, Id]
    keep: Id | None = None
    combined_cue: Text | None = None
    reason: Text
    refs: list[RefKey] = Field(min_length=1)
    verification: Verification

    @model_validator(mode="after")
    def _one_resolution(self) -> CueConflictModel:
        if (self.keep is None) == (self.combined_cue is None):
            raise ValueError(f"cue conflict {self.cues}: give exactly one of keep or combined_cue")
        if self.keep is not None and self.keep not in self.cues:
            raise ValueError(f"cue conflict {self.cues}: keep '{self.keep}' is not one of the two cues")
        return self


class NotRuledOutModel(_Strict):
    """Findings whose avoid rules and isometric start apply while they are undetermined, not only present."""

    findings: list[Id] = Field(min_length=1)
    note: Text
    refs: list[RefKey] = Field(min_length=1)
    verification: Verification


class RangeRule(_Strict):
    low: int = Field(ge=1)
    high: int = Field(ge=1)
    refs: list[RefKey] = Field(min_length=1)
    verification: Verification
    note: str | None = None


class ProgramRulesModel(_Strict):
    avoid: list[AvoidRuleModel]
    cues: list[CueRuleModel]
    isometric_first_findings: list[Id]
    isometric_first_reason: Text
    isometric_first_refs: list[RefKey] = Field(min_length=1)
    strength_reps: RangeRule
    strength_sessions_per_week: RangeRule
    activation_refs: list[RefKey] = Field(min_length=1)
    stage_order_refs: list[RefKey] = Field(min_length=1)
    max_exercises_per_phase: int = Field(ge=1, le=8)
    seconds_per_rep_planning: float = Field(gt=0, le=10)  # a planning estimate, not evidence
    not_ruled_out: NotRuledOutModel | None = None
    cue_conflicts: list[CueConflictModel] = []


class FindingsFile(_Strict):
    clinical_thresholds: ClinicalThresholds
    findings: list[FindingRuleModel] = Field(min_length=1)
    program: ProgramRulesModel


class LadderStepModel(_Strict):
    supported: bool
    added_load_kg: float = Field(ge=0, le=50)
    label: Text


class LadderModel(_Strict):
    exercise: Id
    steps: list[LadderStepModel] = Field(min_length=2)
    refs: list[RefKey] = Field(min_length=1)
    verification: Verification
    note: str | None = None


class PhaseExit(_Strict):
    phase: Id
    criteria: list[Text] = Field(min_length=1)
    retest: list[Id] = []
    refs: list[RefKey] = Field(min_length=1)


class PainTrendRule(_Strict):
    """Week-on-week next-morning pain rule; ``note`` must say which parts are the paper's and which ours."""

    margin_0_10: float = Field(ge=0, le=5)
    min_days_per_week: int = Field(ge=1, le=7)
    regress_after_rising_weeks: int = Field(ge=2, le=8)
    include_stiffness: bool
    refs: list[RefKey] = Field(min_length=1)
    verification: Verification
    note: Text


class ProgressionFile(_Strict):
    progress_max_pain_0_10: CitedNumber
    regress_above_pain_0_10: CitedNumber
    load_increase_pct: RangeRule
    weekly_pain_trend: PainTrendRule
    ladders: list[LadderModel] = []
    phase_exit: list[PhaseExit] = []


class Rules(_Strict):
    findings: FindingsFile
    progression: ProgressionFile

    def thresholds(self) -> ScoringThresholds:
        t = self.findings.clinical_thresholds
        return ScoringThresholds(
            stance_pain_positive_0_10=t.stance_pain_positive_0_10.value,
            fppa_flag_deg_female=t.fppa_flag_deg_female.value,
            fppa_flag_deg_male=t.fppa_flag_deg_male.value,
            side_bridge_ratio_tolerance=t.side_bridge_ratio_tolerance.value,
            hhd_deficit_flag_pct=t.hhd_deficit_flag_pct.value,
            hhd_below_norm_sd=t.hhd_below_norm_sd.value,
            refs={key: tuple(refs) for key, refs in t.test_refs.items()},
        )

    def sign_params(self) -> SignParams:
        t = self.findings.clinical_thresholds
        return SignParams(
            weekly_increase_flag_pct=t.weekly_increase_flag_pct.value,
            session_spike_flag_pct=t.session_spike_flag_pct.value,
        )

    def finding_rules(self) -> tuple[FindingRule, ...]:
        return tuple(
            FindingRule(
                id=r.id,
                name=r.name,
                evidence_level=r.evidence_level.value,
                refs=tuple(r.refs),
                reasoning=r.reasoning,
                any_of=tuple(r.any_of),
                min_signs=r.min_signs,
                required=tuple(r.required),
                points_to=tuple(r.points_to),
                weak_evidence=r.weak_evidence,
            )
            for r in self.findings.findings
        )

    def programming(self) -> ProgrammingRules:
        p = self.findings.program
        return ProgrammingRules(
            avoid=tuple(
                AvoidRule(a.finding, tuple(t.value for t in a.load_tags), a.reason, tuple(a.refs))
                for a in p.avoid
            ),
            cues=tuple(
                CueRule(
                    c.id,
                    tuple(c.faults),
                    c.cue,
                    tuple(c.refs),
                    c.cadence_increase_pct,
                    drills=tuple(c.drills),
                    exercises=tuple(c.exercises),
                    answer=c.answer or "",
                )
                for c in p.cues
            ),
            isometric_first_findings=tuple(p.isometric_first_findings),
            isometric_first_reason=p.isometric_first_reason,
            isometric_first_refs=tuple(p.isometric_first_refs),
            strength_reps=(p.strength_reps.low, p.strength_reps.high),
            strength_sessions_per_week=(p.strength_sessions_per_week.low, p.strength_sessions_per_week.high),
            strength_refs=tuple(dict.fromkeys([*p.strength_reps.refs, *p.strength_sessions_per_week.refs])),
            activation_refs=tuple(p.activation_refs),
            stage_order_refs=tuple(p.stage_order_refs),
            max_exercises_per_phase=p.max_exercises_per_phase,
            seconds_per_rep=p.seconds_per_rep_planning,
            not_ruled_out=tuple(p.not_ruled_out.findings) if p.not_ruled_out else (),
            not_ruled_out_note=p.not_ruled_out.note if p.not_ruled_out else "",
            not_ruled_out_refs=tuple(p.not_ruled_out.refs) if p.not_ruled_out else (),
            cue_conflicts=tuple(
                CueConflict(c.cues, c.reason, tuple(c.refs), c.keep, c.combined_cue) for c in p.cue_conflicts
            ),
        )

    def progression_rules(self) -> ProgressionRules:
        p = self.progression
        return ProgressionRules(
            progress_max_pain_0_10=p.progress_max_pain_0_10.value,
            regress_above_pain_0_10=p.regress_above_pain_0_10.value,
            load_increase_pct=(float(p.load_increase_pct.low), float(p.load_increase_pct.high)),
            pain_refs=tuple(dict.fromkeys([*p.progress_max_pain_0_10.refs, *p.regress_above_pain_0_10.refs])),
            load_refs=tuple(p.load_increase_pct.refs),
            ladders={
                lad.exercise: tuple(LadderStep(s.supported, s.added_load_kg, s.label) for s in lad.steps)
                for lad in p.ladders
            },
            ladder_refs={lad.exercise: tuple(lad.refs) for lad in p.ladders},
        )

    def pain_trend_rules(self) -> TrendRules:
        t = self.progression.weekly_pain_trend
        return TrendRules(
            margin_0_10=t.margin_0_10,
            min_days_per_week=t.min_days_per_week,
            regress_after_rising_weeks=t.regress_after_rising_weeks,
            include_stiffness=t.include_stiffness,
            refs=tuple(t.refs),
        )


def _walk_refs(node: Any) -> list[str]:
    if isinstance(node, BaseModel):
        out: list[str] = []
        for name in type(node).model_fields:
            value = getattr(node, name)
            if name == "refs":
                out.extend(value)
            elif name == "test_refs":
                out.extend(key for keys in value.values() for key in keys)
            else:
                out.extend(_walk_refs(value))
        return out
    if isinstance(node, list | tuple):
        return [key for item in node for key in _walk_refs(item)]
    return []


def check_rules(rules: Rules, kb: KnowledgeBase | None = None) -> list[str]:
    """Problems a schema alone cannot see: unknown signs, references, conditions, faults, exercises."""
    problems: list[str] = []
    finding_ids = {r.id for r in rules.findings.findings}
    for rule in rules.findings.findings:
        for sign in [*rule.any_of, *rule.required]:
            if sign not in SIGNS:
                problems.append(f"findings/{rule.id}: unknown sign '{sign}'")
        if rule.min_signs > len(rule.any_of):
            problems.append(
                f"findings/{rule.id}: min_signs {rule.min_signs} exceeds its {len(rule.any_of)} signs"
            )
    program = rules.findings.program
    for ident in [*(a.finding for a in program.avoid), *program.isometric_first_findings]:
        if ident not in finding_ids:
            problems.append(f"program: unknown finding '{ident}'")
    for cue in program.cues:
        problems.extend(
            f"program/cues/{cue.id}: unknown gait fault '{f}'" for f in cue.faults if f not in GAIT_FAULTS
        )
    cue_ids = {cue.id for cue in program.cues}
    for conflict in program.cue_conflicts:
        problems.extend(
            f"program/cue_conflicts: unknown cue '{c}'" for c in conflict.cues if c not in cue_ids
        )
    if program.not_ruled_out is not None:
        problems.extend(
            f"program/not_ruled_out: unknown finding '{f}'"
            for f in program.not_ruled_out.findings
            if f not in finding_ids
        )
    if kb is None:
        return problems
    problems.extend(
        f"rules: unknown reference '{key}'"
        for key in sorted(set(_walk_refs(rules)))
        if key not in kb.references
    )
    for rule in rules.findings.findings:
        problems.extend(
            f"findings/{rule.id}: unknown condition '{c}'" for c in rule.points_to if c not in kb.conditions
        )
    for cue in program.cues:
        problems.extend(
            f"program/cues/{cue.id}: unknown exercise '{e}'"
            for e in (*cue.drills, *cue.exercises)
            if e not in kb.exercises
        )
    for ladder in rules.progression.ladders:
        if ladder.exercise not in kb.exercises:
            problems.append(f"progression/ladders: unknown exercise '{ladder.exercise}'")
    return problems


def default_rules_dir() -> Path:
    return Path(str(resources.files("glutemed.knowledge") / "data" / "rules"))


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesError(f"{path}: rules file is missing") from exc
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML: {exc}") from exc


def _validate(model: type[_Strict], path: Path) -> Any:
    try:
        return model.model_validate(_read(path))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}" for err in exc.errors()
        )
        raise RulesError(f"{path}: {problems}") from exc


def load_rules(directory: Path | None = None, *, kb: KnowledgeBase | None = None) -> Rules:
    """Parse both rules files; with a knowledge base also check every reference and id against it."""
    folder = directory or default_rules_dir()
    rules = Rules(
        findings=_validate(FindingsFile, folder / "findings.yaml"),
        progression=_validate(ProgressionFile, folder / "progression.yaml"),
    )
    problems = check_rules(rules, kb)
    if problems:
        raise RulesError(
            f"{folder}: the rules break {len(problems)} check(s):\n  - " + "\n  - ".join(problems)
        )
    return rules


@cache
def bundled_rules() -> Rules:
    """The bundled rules, checked against the bundled knowledge base."""
    from glutemed.knowledge.loader import knowledge_base

    return load_rules(kb=knowledge_base())

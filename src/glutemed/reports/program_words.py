"""Runner words for the program handout: names instead of ids, and a "why" for each exercise that says something.

Knowledge-base ids (conditions, exercises, gait faults, tests, muscles, findings, stages, load tags) never reach the
runner: :class:`Words` maps each to its name (load tags to their plain label) and rewrites free text that the
program's notes build from ids. The "why" of an exercise comes from what is known about it: the measured gluteus
medius activity with its source when a study measured it, otherwise the stage it belongs to and the muscles it
trains; stretches and releases say which muscle they free and why that helps the gluteus medius.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from glutemed.core.program_types import Avoided, Prescription
from glutemed.core.programming import PHASES
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.models import (
    LOAD_TAG_LABELS,
    Exercise,
    MuscleRelationKind,
    Reference,
    Stage,
)

STAGE_WORDS: dict[str, str] = {
    "release": "release",
    "stretch": "stretch",
    "activation": "activation",
    "isolated-strength": "isolated strength",
    "compound-stabiliser": "compound stabiliser",
    "motor-control": "motor control",
    "running-integration": "running integration",
}
PROPER_NAMES = frozenset(
    {"Trendelenburg", "Copenhagen", "Nordic", "Ober", "Thomas", "Pallof"}
)  # keep capitals
# The rules' finding names are clinicians' shorthand ("Gait-fault-driven overload"); the runner reads these.
FINDING_WORDS: dict[str, str] = {
    "gluteal-tendinopathy-like": "Signs that fit gluteal tendinopathy (pain at the side of the hip)",
    "training-load-spike": "One run much longer than your recent longest (a load spike)",
    "gait-fault-driven-overload": "Overload from the way you run",
    "itb-syndrome-like": "Signs that fit iliotibial band syndrome (pain at the outside of the knee)",
    "patellofemoral-pain-like": "Signs that fit pain at the front of the knee, with signs at the hip",
}
STAGE_PURPOSE: dict[str, str] = {stage: goal for _, _, stages, goal in PHASES for stage in stages}
STRENGTH_PHASES = frozenset({"isolated-strength", "compound-stabiliser", "maintenance"})


def short_citation(ref: Reference | None, key: str) -> str:
    """'Selkowitz et al. 2013' — enough to find the full entry in the sources."""
    if ref is None:
        return key
    surname = ref.citation().split(" (", 1)[0]
    return f"{surname} {ref.year}"


@dataclass
class Words:
    """Names for every id the handout could meet, and a rewriter for text built from ids."""

    kb: KnowledgeBase
    extra: Mapping[str, str] = field(default_factory=dict)  # e.g. finding ids -> names from the assessment

    def __post_init__(self) -> None:
        names: dict[str, str] = {}
        for table in (
            self.kb.muscles,
            self.kb.clinical_tests,
            self.kb.conditions,
            self.kb.risk_factors,
            self.kb.red_flags,
            self.kb.routines,
            self.kb.exercises,
        ):
            names.update({key: item.name for key, item in table.items()})
        names.update({key: fault.name for key, fault in self.kb.gait_faults.items()})
        names.update({tag.value: label for tag, label in LOAD_TAG_LABELS.items()})
        names.update({k: v for k, v in STAGE_WORDS.items() if "-" in k})
        names.update(self.extra)
        self.names = names
        # Hyphenated ids only (one-word ids such as "piriformis" are ordinary words), and gait-fault ids.
        faults = set(self.kb.gait_faults)
        hyphenated = sorted((k for k in names if "-" in k or k in faults), key=len, reverse=True)
        self._pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, hyphenated)) + r")(?![\w-])")

    def name(self, ident: str) -> str:
        return self.names.get(ident, ident.replace("-", " "))

    def names_of(self, idents: Iterable[str]) -> str:
        return ", ".join(self.name(i) for i in idents)

    def plain(self, text: str) -> str:
        """``text`` with every known id replaced by its name; a name inside a sentence starts in lower case
        ("The gait shows overstriding and stiff landing"), one that opens a sentence keeps its capital."""

        def name(match: re.Match[str]) -> str:
            found = self.names[match.group(1)]
            before = text[: match.start()].rstrip()
            opens = not before or before.endswith((".", ":", "!", "?", "(", "'", '"'))
            if (
                opens or not found[1:2].islower() or found.split()[0] in PROPER_NAMES
            ):  # "TFL", "Trendelenburg"
                return found
            return found[:1].lower() + found[1:]

        return self._pattern.sub(name, text)

    def cite(self, key: str) -> str:
        return short_citation(self.kb.references.get(key), key)


def avoided_reason(a: Avoided, words: Words) -> str:
    """Why an exercise is left out, in runner words: the condition it is not advised with, or what it does."""
    if a.conditions:
        return f"not advised with {words.names_of(a.conditions).lower()}"
    if a.load_tags:
        reason = "it " + "; it ".join(words.name(t) for t in a.load_tags)
        if a.rule_reasons:
            reason += ". " + " ".join(words.plain(r) for r in a.rule_reasons)
        return reason
    return words.plain(a.reason)


# ------------------------------------------------------------------------------------------- why


def _muscles(ex: Exercise, words: Words) -> str:
    names = [words.name(m) for m in ex.primary_muscles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _soft_tissue_why(ex: Exercise, words: Words) -> str:
    verb = "Stretches" if ex.tool is None else f"Loosens (self-release with {_tool(ex.tool.value)})"
    inhibitors = [
        m
        for m in ex.primary_muscles
        if m in words.kb.muscles
        and any(r.kind is MuscleRelationKind.INHIBITOR for r in words.kb.muscles[m].relations)
    ]
    source = words.cite(ex.sources[0])
    if inhibitors:
        return (
            f"{verb} the {_muscles(ex, words).lower()}. When short and overactive, the "
            f"{words.names_of(inhibitors).lower()} can damp the gluteus medius, so they are freed first and the "
            f"activation work follows straight after ({source})."
        )
    return (
        f"{verb} the {_muscles(ex, words).lower()}, for a muscle that feels tight or tender. A gluteus medius "
        f"that is long and weak is not stretched ({source})."
    )


def _tool(value: str) -> str:
    return "your hands" if value == "none" else "a " + value.replace("-", " ")


def _measured(ex: Exercise, words: Words) -> str:
    emg = ex.best_gmed_emg
    if emg is None:
        return ""
    text = (
        f"Measured: the gluteus medius works at {emg.pct_mvic:g}% of its maximal voluntary contraction in this "
        f"exercise ({words.cite(emg.ref)})"
    )
    tfl = ex.best_tfl_index
    if tfl is not None:
        text += (
            f", with a gluteal-to-TFL index of {tfl.value:g} (higher means more gluteal and less TFL work; "
            f"{words.cite(tfl.ref)})"
        )
    return text + "."


def _dose_source(p: Prescription, phase_id: str, ex: Exercise, words: Words) -> str:
    if phase_id == "activation" and p.reps is not None:
        return "Dose: light resistance, the top of the rep range, to switch the muscle on."
    if phase_id in STRENGTH_PHASES and p.reps is not None:
        return "Dose: 8-12 repetitions taken close to fatigue, 2-3 times a week (ACSM, Ratamess 2009)."
    if ex.dose.basis is not None:
        return f"Dose from {words.cite(ex.dose.basis.ref)}."
    return "Dose: a glutemed default (no source prescribes one for this exercise)."


def exercise_why(
    p: Prescription, phase_id: str, ex: Exercise, words: Words, answers: Iterable[str] = ()
) -> str:
    """A true, useful reason for this exercise, for this runner (see the module docstring)."""
    if ex.stage in (Stage.STRETCH, Stage.RELEASE):
        parts = [_soft_tissue_why(ex, words)]
    else:
        stage = ex.stage.value
        purpose = STAGE_PURPOSE.get(stage, "")
        parts = [
            f"{STAGE_WORDS[stage].capitalize()} stage: {purpose}. It trains the {_muscles(ex, words).lower()}.",
        ]
        measured = _measured(ex, words)
        if measured:
            parts.append(measured)
    answered = list(answers)
    if answered:
        parts.append(f"It answers what your running video showed: {', '.join(answered)}.")
    parts.append(_dose_source(p, phase_id, ex, words))
    return " ".join(parts)

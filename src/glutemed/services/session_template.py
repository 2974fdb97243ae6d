"""The example session file that ``glutemed log --template`` writes: commented YAML a runner fills in.

Its exercises are those of a real program: the bundled demo runner's (``glutemed/demo/runner.yaml``, assessed
without the video), first phase with repetitions, so every id in it is one ``glutemed log`` and
``glutemed progress`` know. The date is fixed, so the example in ``examples/sessions/`` does not drift.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from glutemed.core.program_types import Prescription
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.rules import Rules
from glutemed.services.assessment import assess
from glutemed.services.intake_schema import load_intake
from glutemed.services.program import make_program

EXAMPLE_DATE = "2025-03-03"

_HEADER = """\
# One training session, for `glutemed log SESSION.yaml --logbook logbook.json`
# (then `glutemed progress logbook.json` says, per exercise, whether to progress, hold or regress).
# Written by `glutemed log --template` from the program of glutemed's demo runner, phase "{phase}":
# put in the exercises of your own program instead (their ids: `glutemed program INTAKE --json`,
# phases -> exercises -> exercise_id).
#
# date: the day of the session, YYYY-MM-DD, with or without quotes.
date: {date}
exercises:
"""

_FIRST_SET = """\
      - {work:<20}  # {what}
        load_kg: 0            # added weight in kg (0 for body weight)
        rpe: 6                # how hard the set felt, 0-10 (optional)
        pain_during_0_10: 1   # worst pain during the set, 0-10
"""
_OTHER_SET = """\
      - {{{work}, load_kg: 0, rpe: 7, pain_during_0_10: 1}}
"""
_FIRST_AFTER = """\
    pain_next_morning_0_10: 1   # pain the morning after, 0-10; leave out until you know it
    baseline_pain_0_10: 1       # your usual pain before training, 0-10
"""
_OTHER_AFTER = """\
    pain_next_morning_0_10: 1
    baseline_pain_0_10: 1
"""


def _work(p: Prescription) -> tuple[str, str]:
    """The set's amount as YAML and as words (repetitions or seconds held)."""
    if p.reps is not None:
        return f"reps: {p.reps}", "repetitions done" + (" on each side" if p.per_side else "")
    return f"hold_s: {p.hold_s}", "seconds held" + (" on each side" if p.per_side else "")


def _exercise(p: Prescription, first: bool) -> str:
    work, what = _work(p)
    side = " on each side" if p.per_side else ""
    amount = f"{p.reps} reps" if p.reps is not None else f"{p.hold_s} s hold"
    lines = [f"  - exercise: {p.exercise_id}   # {p.name}: {p.sets} x {amount}{side}\n", "    sets:\n"]
    for index in range(p.sets):
        if index == 0 and first:
            lines.append(_FIRST_SET.format(work=work, what=what))
        else:
            lines.append(_OTHER_SET.format(work=work))
    lines.append(_FIRST_AFTER if first else _OTHER_AFTER)
    return "".join(lines)


def session_template(kb: KnowledgeBase, rules: Rules) -> str:
    """The commented example session (YAML text) for the demo runner's first phase with repetitions."""
    # glutemed.services.demo names the same file, but importing it loads the video stack
    intake = load_intake(Path(str(resources.files("glutemed.demo"))) / "runner.yaml")
    result = assess(
        intake.to_core(), kb=kb, rules=rules, tests=intake.tests.to_core() if intake.tests else None
    )
    program = make_program(result, kb, rules)
    if program is None or not program.phases:  # the demo runner has no red flags: not reached
        raise RuntimeError("the demo runner's program is empty; the bundled knowledge base is broken")
    phase = next(
        (ph for ph in program.phases if any(p.reps is not None for p in ph.exercises)), program.phases[0]
    )
    text = _HEADER.format(phase=phase.name, date=EXAMPLE_DATE)
    return text + "".join(_exercise(p, index == 0) for index, p in enumerate(phase.exercises))

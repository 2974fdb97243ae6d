"""What the issue asks the knowledge base to hold, checked against the bundled data."""

from __future__ import annotations

from collections import Counter

import pytest

from glutemed.knowledge.gait_fault_models import Threshold
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.knowledge.models import (
    SOFT_TISSUE_STAGES,
    Dose,
    Family,
    MuscleRelationKind,
    NormEquation,
    Reference,
    Stage,
    Verification,
)

SEED_EXERCISES = [
    "single-leg-bridge",
    "single-leg-wall-squat",
    "crab-monster-walk-box",
    "single-leg-romanian-deadlift",
    "side-plank-top-leg-raise",
    "band-clamshell",
    "side-lying-hip-abduction",
    "side-bridge-hold",
    "lateral-band-walk",
    "single-leg-squat",
    "mini-band-squat",
    "single-leg-stance",
]
ARTICLE_PAPERS = ["semciw2016", "willson2012", "mucha2017", "barton2015", "kim2016"]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return knowledge_base()


def test_catalogue_size_and_families(kb: KnowledgeBase) -> None:
    training = [ex for ex in kb.exercises.values() if ex.stage not in SOFT_TISSUE_STAGES]
    assert len(training) >= 45
    families = Counter(ex.family for ex in training)
    assert all(families[f] >= 3 for f in Family if f is not Family.SOFT_TISSUE), families


def test_every_seed_exercise_is_present(kb: KnowledgeBase) -> None:
    missing = [ident for ident in SEED_EXERCISES if ident not in kb.exercises]
    assert missing == []


def test_every_stage_is_populated(kb: KnowledgeBase) -> None:
    stages = Counter(ex.stage for ex in kb.exercises.values())
    assert all(stages[s] >= 1 for s in Stage), stages


def test_soft_tissue_covers_the_inhibitors(kb: KnowledgeBase) -> None:
    soft = [ex for ex in kb.exercises.values() if ex.stage in SOFT_TISSUE_STAGES]
    targets = {m for ex in soft for m in ex.primary_muscles}
    for muscle in ("tensor-fasciae-latae", "piriformis", "hip-adductors", "gluteus-medius"):
        assert muscle in targets, f"no stretch or release for {muscle}"
    assert any(ex.tool and ex.trigger_point_regions for ex in soft)


def test_gluteus_medius_anatomy_is_complete(kb: KnowledgeBase) -> None:
    gmed = kb.muscles["gluteus-medius"]
    assert {r.kind for r in gmed.relations} == {MuscleRelationKind.SELF}
    assert "superior gluteal" in gmed.nerve.name.lower()
    assert {"L5", "S1"} <= set(gmed.nerve.roots)
    assert len(gmed.parts) >= 2
    text = " ".join(f"{a.action} {a.fibres or ''} {a.condition or ''}".lower() for a in gmed.actions)
    for word in ("abduction", "internal rotation", "external rotation", "pelvi"):
        assert word in text
    inhibitors = {m.id for m in kb.muscles.values() if any(r.kind == "inhibitor" for r in m.relations)}
    assert {"tensor-fasciae-latae", "piriformis", "hip-adductors"} <= inhibitors


def test_emg_values_match_the_evidence_table(kb: KnowledgeBase) -> None:
    """Spot-check values against EVIDENCE.md §3 (Boren 2011, Selkowitz 2013)."""
    plank = kb.exercises["side-plank-top-leg-raise"]
    assert any(e.ref == "boren2011" and e.pct_mvic in (89, 103) for e in plank.emg)
    clam = kb.exercises["band-clamshell"]
    assert any(t.ref == "selkowitz2013" and t.value == 115 for t in clam.tfl_index)


def test_papers_the_article_cites_are_in_the_bibliography(kb: KnowledgeBase) -> None:
    assert [key for key in ARTICLE_PAPERS if key not in kb.references] == []


def test_hip_abduction_norm_equation_matches_ramskov(kb: KnowledgeBase) -> None:
    eq = kb.clinical_tests["hip-abduction-dynamometry"].norm_equation
    assert eq is not None
    assert eq.ref == "ramskov2014"
    # Ramskov 2014: 1.600 - 0.005 * age + 0.215 * male, SD 0.354 Nm/kg
    assert eq.predict(age_years=30, male=True) == pytest.approx(1.665)
    assert eq.predict(age_years=40, male=False) == pytest.approx(1.400)
    assert eq.sd == pytest.approx(0.354)


def test_weak_evidence_is_said_plainly(kb: KnowledgeBase) -> None:
    q_angle = next(r for r in kb.risk_factors.values() if "q-angle" in r.id)
    assert q_angle.evidence_strength.value in {"weak", "none", "conflicting", "limited"}
    assert len(kb.red_flags) >= 6


def test_every_gait_fault_names_a_threshold_source_and_a_view(kb: KnowledgeBase) -> None:
    expected = {
        "contralateral-pelvic-drop",
        "cross-over-gait",
        "reduced-stiffness",
        "dynamic-knee-valgus",
        "excess-hip-adduction",
        "overstride",
        "low-cadence",
    }
    assert expected <= set(kb.gait_faults)
    cpd = kb.gait_faults["contralateral-pelvic-drop"]
    assert cpd.sdd is not None
    assert cpd.sdd.ref == "dingenen2018a"


def test_safe_for_tendinopathy_leaves_out_compressive_positions(kb: KnowledgeBase) -> None:
    avoid = set(kb.conditions["gluteal-tendinopathy"].avoid_load_tags)
    assert {"lateral-hip-compression", "sustained-hip-adduction"} <= {tag.value for tag in avoid}
    kept = [ex for ex in kb.exercises.values() if kb.safe_for(ex, "gluteal-tendinopathy")]
    dropped = [ex for ex in kb.exercises.values() if not kb.safe_for(ex, "gluteal-tendinopathy")]
    assert all(not set(ex.load_tags) & avoid for ex in kept)
    assert "side-bridge-hold" in {ex.id for ex in dropped}
    assert any(ex.stage is Stage.STRETCH for ex in dropped), "no stretch into adduction was left out"


def test_dose_rules() -> None:
    base = {"sets": 3, "sets_range": (2, 4), "per_side": True, "rest_s": 60, "sessions_per_week": 3}
    base["sessions_per_week_range"] = (2, 3)
    Dose.model_validate({**base, "reps": 10, "reps_range": (8, 15)})
    with pytest.raises(ValueError, match="exactly one of reps or hold_s"):
        Dose.model_validate(
            {**base, "reps": 10, "reps_range": (8, 15), "hold_s": 30, "hold_s_range": (20, 45)}
        )
    with pytest.raises(ValueError, match="outside reps_range"):
        Dose.model_validate({**base, "reps": 20, "reps_range": (8, 15)})


def test_threshold_and_reference_rules() -> None:
    common = {"unit": "deg", "derivation": "test only", "ref": "bramah2018", "verification": "verified"}
    Threshold.model_validate({**common, "direction": "above", "borderline": 5, "flagged": 7})
    with pytest.raises(ValueError, match="borderline must come before flagged"):
        Threshold.model_validate({**common, "direction": "below", "borderline": 5, "flagged": 7})
    with pytest.raises(ValueError, match="does not look like"):
        Reference.model_validate(
            {
                "key": "x2000",
                "authors": ["A B"],
                "year": 2000,
                "title": "T t t",
                "journal": "J j",
                "doi": "bad",
            }
        )


def test_norm_equation_predict_is_linear() -> None:
    eq = NormEquation(
        intercept=1.0,
        age_coef=-0.01,
        male_coef=0.2,
        sd=0.3,
        unit="Nm/kg",
        population="test",
        ref="ramskov2014",
        verification=Verification.VERIFIED,
    )
    assert eq.predict(age_years=10, male=False) == pytest.approx(0.9)
    assert eq.predict(age_years=10, male=True) == pytest.approx(1.1)


def test_citations_name_the_first_author(kb: KnowledgeBase) -> None:
    assert (
        kb.references["bramah2018"]
        .citation()
        .startswith("Bramah et al. (2018). Is There a Pathological Gait")
    )
    assert kb.references["teng2014"].citation().startswith("Teng & Powers (2014).")
    assert "?." not in kb.references["bramah2018"].citation()


def test_published_mean_plus_minus_one_sd_is_within_every_band(kb: KnowledgeBase) -> None:
    """Issue 10: a healthy runner at the reference mean +/- 1 SD must not be marked."""
    for fault in kb.gait_faults.values():
        pop = fault.reference_population
        if pop is None:
            continue
        th = fault.threshold
        assert th.relative_to == "absolute", fault.id
        for value in (pop.mean - pop.sd, pop.mean, pop.mean + pop.sd):
            if th.direction == "above":
                assert value < th.borderline, (fault.id, value)
            else:
                assert value > th.borderline, (fault.id, value)


def test_knee_flexion_is_one_band_with_two_directions(kb: KnowledgeBase) -> None:
    sinking = kb.gait_faults["reduced-stiffness"]
    stiff = kb.gait_faults["stiff-landing"]
    assert sinking.metric == stiff.metric == "knee_flexion_peak_stance_deg"
    assert {sinking.threshold.direction.value, stiff.threshold.direction.value} == {"above", "below"}
    assert sinking.reference_population == stiff.reference_population is not None
    assert stiff.threshold.flagged < stiff.threshold.borderline < sinking.threshold.borderline
    assert sinking.threshold.borderline < sinking.threshold.flagged


def test_pelvic_drop_by_side_difference_and_knee_valgus_for_information(kb: KnowledgeBase) -> None:
    cpd = kb.gait_faults["contralateral-pelvic-drop"].threshold
    assert cpd.relative_to == "other-side"
    assert cpd.flagged == pytest.approx(2.8)  # Dingenen 2018a SDD, upper bound
    assert cpd.borderline < cpd.flagged
    assert cpd.own_default
    assert kb.gait_faults["dynamic-knee-valgus"].threshold.relative_to == "information"


def test_every_gait_threshold_names_a_source_or_says_it_is_our_default(kb: KnowledgeBase) -> None:
    for fault in kb.gait_faults.values():
        th = fault.threshold
        assert th.ref in kb.references, fault.id
        if th.own_default:
            assert "default" in th.derivation, fault.id


def test_every_strength_norm_says_how_it_was_measured(kb: KnowledgeBase) -> None:
    """Issue 10: a strength value is only comparable with a norm measured the same way."""
    hhd = kb.clinical_tests["hip-abduction-dynamometry"]
    assert hhd.norm_equation is not None
    protocol = hhd.norm_equation.protocol
    assert protocol is not None
    assert (protocol.contraction.value, protocol.device.value) == ("eccentric", "hand-held")  # Ramskov 2014
    for norm in hhd.norms:
        if norm.unit.startswith("Nm/kg"):
            assert norm.protocol is not None, norm.population

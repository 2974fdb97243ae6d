"""Score the clinical tests of the gluteus medius. Thresholds and norms come in as arguments.

Each scorer returns :class:`TestScore` objects (one per side where the test is per side). A test that was not
done is simply absent; the findings say what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

SideName = Literal["left", "right"]
Rating = Literal["good", "fair", "poor"]
SIDES: tuple[SideName, SideName] = ("left", "right")
Contraction = Literal["isometric", "eccentric"]  # isometric = "make" test, eccentric = "break" test
DynamometryPosition = Literal["side-lying", "supine", "standing"]
Dynamometer = Literal["hand-held", "fixed"]


@dataclass(frozen=True)
class DynamometryProtocol:
    """How hip abduction strength was measured. Torques from different protocols are not interchangeable
    (side-lying force ran about 30% above standing and 27% above supine in Cerda Vega 2018), so a value is held
    against a norm only when both were measured the same way."""

    contraction: Contraction
    position: DynamometryPosition
    device: Dynamometer

    def describe(self) -> str:
        test = "make" if self.contraction == "isometric" else "break"
        return f"{self.contraction} ({test} test), {self.position}, {self.device} dynamometer"

    def differences(self, other: DynamometryProtocol) -> list[str]:
        """The parts of the protocol that differ, in words ("position: side-lying, the norm supine")."""
        return [
            f"{name}: {mine}, the norm {theirs}"
            for name, mine, theirs in (
                ("contraction", self.contraction, other.contraction),
                ("position", self.position, other.position),
                ("dynamometer", self.device, other.device),
            )
            if mine != theirs
        ]


# ------------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class StanceResult:
    """30-second single-leg stance on one side."""

    side: SideName
    lateral_hip_pain_0_10: float
    pelvic_drop_seen: bool | None = None


@dataclass(frozen=True)
class TrendelenburgResult:
    side: SideName  # the stance side
    positive: bool


@dataclass(frozen=True)
class SquatResult:
    side: SideName
    fppa_deg: float | None = None
    rating: Rating | None = None


@dataclass(frozen=True)
class SideBridgeResult:
    left_s: float
    right_s: float


@dataclass(frozen=True)
class DynamometryResult:
    """Hip abduction force (N) per side, measured with the pad at lever_arm_m from the hip joint centre.

    ``protocol`` is how both legs were tested; None when the tester did not say.
    """

    left_n: float
    right_n: float
    lever_arm_m: float
    protocol: DynamometryProtocol | None = None


@dataclass(frozen=True)
class PainProvocation:
    """A yes/no provocation test (greater-trochanter palpation, resisted external derotation)."""

    test_id: str
    side: SideName
    painful: bool


@dataclass(frozen=True)
class TestResults:
    __test__: ClassVar[bool] = False  # not a pytest test class
    single_leg_stance: tuple[StanceResult, ...] = ()
    trendelenburg: tuple[TrendelenburgResult, ...] = ()
    single_leg_squat: tuple[SquatResult, ...] = ()
    side_bridge: SideBridgeResult | None = None
    dynamometry: DynamometryResult | None = None
    provocation: tuple[PainProvocation, ...] = ()


# ------------------------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class NormEquationView:
    """norm = intercept + age_coef * age + male_coef * male, residual sd (all Nm/kg), and how it was measured
    (``protocol``; None when the knowledge base does not record it)."""

    intercept: float
    age_coef: float
    male_coef: float
    sd: float
    ref: str
    protocol: DynamometryProtocol | None = None

    def predict(self, *, age_years: float, male: bool) -> float:
        return self.intercept + self.age_coef * age_years + (self.male_coef if male else 0.0)


@dataclass(frozen=True)
class ScoringThresholds:
    stance_pain_positive_0_10: float
    fppa_flag_deg_female: float
    fppa_flag_deg_male: float
    side_bridge_ratio_tolerance: float
    hhd_deficit_flag_pct: float
    hhd_below_norm_sd: float
    refs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # test id -> reference keys


# ------------------------------------------------------------------------------------------------ outputs


@dataclass(frozen=True)
class TestScore:
    __test__: ClassVar[bool] = False  # not a pytest test class
    test_id: str
    side: str | None  # "left", "right" or None for a bilateral measure
    positive: bool
    value: float | None
    unit: str | None
    interpretation: str
    refs: tuple[str, ...] = ()
    details: dict[str, float] = field(default_factory=dict)


def _refs(thresholds: ScoringThresholds, test_id: str) -> tuple[str, ...]:
    return thresholds.refs.get(test_id, ())


def score_stance(result: StanceResult, thresholds: ScoringThresholds) -> TestScore:
    limit = thresholds.stance_pain_positive_0_10
    painful = result.lateral_hip_pain_0_10 >= limit
    drop = bool(result.pelvic_drop_seen)
    text = (
        f"lateral hip pain {result.lateral_hip_pain_0_10:g}/10 within 30 s "
        f"({'at or above' if painful else 'below'} the {limit:g}/10 cut-off)"
    )
    if result.pelvic_drop_seen is not None:
        text += "; pelvic drop seen" if drop else "; pelvis held level"
    return TestScore(
        test_id="single-leg-stance-30s",
        side=result.side,
        positive=painful,
        value=result.lateral_hip_pain_0_10,
        unit="NPRS 0-10",
        interpretation=text,
        refs=_refs(thresholds, "single-leg-stance-30s"),
        details={"pelvic_drop_seen": 1.0 if drop else 0.0},
    )


def score_trendelenburg(result: TrendelenburgResult, thresholds: ScoringThresholds) -> TestScore:
    text = "pelvis dropped on the lifted side" if result.positive else "pelvis held level"
    return TestScore(
        test_id="trendelenburg-test",
        side=result.side,
        positive=result.positive,
        value=None,
        unit=None,
        interpretation=f"standing on the {result.side} leg: {text}",
        refs=_refs(thresholds, "trendelenburg-test"),
    )


def score_squat(result: SquatResult, *, male: bool, thresholds: ScoringThresholds) -> TestScore:
    limit = thresholds.fppa_flag_deg_male if male else thresholds.fppa_flag_deg_female
    parts: list[str] = []
    positive = False
    if result.fppa_deg is not None:
        high = result.fppa_deg >= limit
        positive = positive or high
        parts.append(
            f"knee FPPA {result.fppa_deg:g}° ({'at or above' if high else 'below'} the {limit:g}° flag)"
        )
    if result.rating is not None:
        positive = positive or result.rating == "poor"
        parts.append(f"observational rating {result.rating}")
    return TestScore(
        test_id="single-leg-squat",
        side=result.side,
        positive=positive,
        value=result.fppa_deg,
        unit="deg" if result.fppa_deg is not None else None,
        interpretation="; ".join(parts) or "no measure recorded",
        refs=_refs(thresholds, "single-leg-squat"),
        details={"flag_deg": limit},
    )


def side_ratio(left: float, right: float) -> float:
    """Weaker over stronger side, in (0, 1]; 1 means symmetric."""
    high = max(left, right)
    return 1.0 if high <= 0 else min(left, right) / high


def score_side_bridge(result: SideBridgeResult, thresholds: ScoringThresholds) -> TestScore:
    ratio = side_ratio(result.left_s, result.right_s)
    asymmetric = 1.0 - ratio > thresholds.side_bridge_ratio_tolerance
    weaker = "left" if result.left_s < result.right_s else "right"
    text = f"left {result.left_s:g} s, right {result.right_s:g} s, ratio {ratio:.2f}"
    text += f"; the {weaker} side is shorter" if asymmetric else "; within the symmetry target"
    return TestScore(
        test_id="side-bridge-endurance",
        side=weaker if asymmetric else None,
        positive=asymmetric,
        value=ratio,
        unit="ratio",
        interpretation=text,
        refs=_refs(thresholds, "side-bridge-endurance"),
        details={"left_s": result.left_s, "right_s": result.right_s},
    )


def abduction_torque_nm_per_kg(force_n: float, lever_arm_m: float, mass_kg: float) -> float:
    """Hip abduction torque normalised to body mass: force x lever arm / mass."""
    if lever_arm_m <= 0 or mass_kg <= 0:
        raise ValueError("lever arm and body mass must be positive")
    return force_n * lever_arm_m / mass_kg


def deficit_pct(left: float, right: float) -> float:
    """Side-to-side deficit of the weaker side, in % of the stronger side."""
    return 100.0 * (1.0 - side_ratio(left, right))


def norm_comparison(result: DynamometryResult, norm: NormEquationView) -> tuple[bool, str]:
    """Whether the result may be held against the norm, and a sentence on the protocols.

    Different protocols (contraction, position or dynamometer): no comparison. Unknown on either side: the
    comparison is made, and the sentence says what it assumes.
    """
    mine, theirs = result.protocol, norm.protocol
    if mine is not None and theirs is not None:
        diffs = mine.differences(theirs)
        if diffs:
            return False, (
                f"not compared with the {norm.ref} norm, which was measured as {theirs.describe()}; this test "
                f"differs ({'; '.join(diffs)}), and strength from one protocol does not transfer to another"
            )
        return True, f"same protocol as the norm: {theirs.describe()}"
    if theirs is not None:
        return (
            True,
            f"test protocol not given; compared on the assumption it was the norm's ({theirs.describe()})",
        )
    if mine is not None:
        return True, f"the norm's protocol is not recorded; this test was {mine.describe()}"
    return True, "neither the test's nor the norm's protocol is recorded"


def score_dynamometry(
    result: DynamometryResult,
    *,
    age_years: float,
    male: bool,
    mass_kg: float,
    norm: NormEquationView,
    thresholds: ScoringThresholds,
) -> list[TestScore]:
    """One score per side against the age-and-sex norm, plus one for the side-to-side deficit.

    A side is held against the norm only when the test used the norm's protocol; otherwise it gets no z-score, is
    never positive, and the interpretation says why. The deficit compares the two legs with each other, so it is
    computed whatever the protocol.
    """
    comparable, protocol_text = norm_comparison(result, norm)
    predicted = norm.predict(age_years=age_years, male=male)
    refs = tuple(dict.fromkeys((*_refs(thresholds, "hip-abduction-dynamometry"), norm.ref)))
    values = {
        side: abduction_torque_nm_per_kg(force, result.lever_arm_m, mass_kg)
        for side, force in (("left", result.left_n), ("right", result.right_n))
    }
    scores: list[TestScore] = []
    for side, value in values.items():
        if not comparable:
            scores.append(
                TestScore(
                    test_id="hip-abduction-dynamometry",
                    side=side,
                    positive=False,
                    value=value,
                    unit="Nm/kg",
                    interpretation=f"{value:.2f} Nm/kg; {protocol_text}",
                    refs=refs,
                    details={"compared_with_norm": 0.0},
                )
            )
            continue
        z = (value - predicted) / norm.sd
        low = z < -thresholds.hhd_below_norm_sd
        scores.append(
            TestScore(
                test_id="hip-abduction-dynamometry",
                side=side,
                positive=low,
                value=value,
                unit="Nm/kg",
                interpretation=(
                    f"{value:.2f} Nm/kg against a norm of {predicted:.2f} ± {norm.sd:.3f} Nm/kg "
                    f"(z = {z:+.2f}; {'below' if low else 'within'} -{thresholds.hhd_below_norm_sd:g} SD); "
                    f"{protocol_text}"
                ),
                refs=refs,
                details={"norm_nm_per_kg": predicted, "z": z, "compared_with_norm": 1.0},
            )
        )
    deficit = deficit_pct(values["left"], values["right"])
    marked = deficit > thresholds.hhd_deficit_flag_pct
    weaker = "left" if values["left"] < values["right"] else "right"
    scores.append(
        TestScore(
            test_id="hip-abduction-deficit",
            side=weaker,
            positive=marked,
            value=deficit,
            unit="%",
            interpretation=(
                f"the {weaker} side is {deficit:.0f}% weaker "
                f"({'above' if marked else 'within'} the {thresholds.hhd_deficit_flag_pct:g}% flag)"
            ),
            refs=refs,
        )
    )
    return scores


def score_provocation(result: PainProvocation) -> TestScore:
    return TestScore(
        test_id=result.test_id,
        side=result.side,
        positive=result.painful,
        value=None,
        unit=None,
        interpretation=f"{result.side}: {'reproduces the pain' if result.painful else 'pain-free'}",
    )


def score_all(
    results: TestResults,
    *,
    age_years: float,
    male: bool,
    mass_kg: float,
    thresholds: ScoringThresholds,
    norm: NormEquationView | None,
) -> list[TestScore]:
    """Score every test that was done. Dynamometry needs the norm equation; without it it is skipped."""
    scores: list[TestScore] = [score_stance(r, thresholds) for r in results.single_leg_stance]
    scores += [score_trendelenburg(r, thresholds) for r in results.trendelenburg]
    scores += [score_squat(r, male=male, thresholds=thresholds) for r in results.single_leg_squat]
    if results.side_bridge is not None:
        scores.append(score_side_bridge(results.side_bridge, thresholds))
    if results.dynamometry is not None and norm is not None:
        scores += score_dynamometry(
            results.dynamometry,
            age_years=age_years,
            male=male,
            mass_kg=mass_kg,
            norm=norm,
            thresholds=thresholds,
        )
    scores += [score_provocation(r) for r in results.provocation]
    return scores

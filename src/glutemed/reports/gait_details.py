"""The clinician part of the gait report as plain data for the template: tables, pictures, curves and plots.

Every verdict, value and band comes from the ``glutemed.gait/v1`` result (``contracts/gait_views``); figures are
inline SVG from :mod:`glutemed.reports.plots` and reach the template as ``Markup`` (matplotlib's own output, no
user text inside). Sources are numbered once and listed at the end, so table cells stay short.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from markupsafe import Markup

from glutemed.contracts.gait_result import FaultVerdictOut, GaitResult
from glutemed.contracts.gait_views import metric_label, normal_band, one_row_per_metric
from glutemed.core.engine import GaitEngine
from glutemed.core.faults import FaultVerdict, Verdict
from glutemed.core.quality import CONF_FULL, FULL_STANCES, TILT_OK_DEG
from glutemed.core.view import View
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.reports import plots
from glutemed.reports.gait_summary import VERDICT_WORDS, unit_text
from glutemed.reports.overlay import Still

STANCE_SOURCE = "dingenen2018a"
STABLE_MEAN_STEPS = 6.3  # Dingenen 2018a (EVIDENCE.md [V]): steps needed for a stable mean of 2-D angles
# Another uninjured cohort's peaks, quoted beside the curves as context (Heiderscheit 2011, Table 3, preferred
# step rate, 45 recreational runners, 3-D, loading response; read at PMC3022995)
HEIDERSCHEIT_PEAKS = {"knee_flexion": (46.3, 4.5), "hip_adduction": (10.4, 3.3)}
HEIDERSCHEIT = "heiderscheit2011"
# the fault whose reference population gives each curve's band (the same numbers the verdicts use)
CURVE_POPULATION = {"knee_flexion": "reduced-stiffness", "hip_adduction": "excess-hip-adduction"}


class RecordingLike(Protocol):
    @property
    def path(self) -> Path: ...

    @property
    def engine(self) -> GaitEngine: ...

    @property
    def verdicts(self) -> list[FaultVerdict]: ...


@dataclass
class Sources:
    """References in order of first use, numbered from 1."""

    kb: KnowledgeBase
    keys: list[str] = field(default_factory=list)

    def number(self, key: str) -> int:
        if key not in self.keys:
            self.keys.append(key)
        return self.keys.index(key) + 1

    def short(self, key: str) -> str:
        ref = self.kb.references.get(key)
        text = ref.citation().split(").", 1)[0] + ")" if ref else key
        return f"{text} [{self.number(key)}]"

    def listing(self) -> list[dict[str, Any]]:
        out = []
        for i, key in enumerate(self.keys, start=1):
            ref = self.kb.references.get(key)
            out.append({"n": i, "text": ref.citation() if ref else key})
        return out


def verification_words(level: str) -> str:
    return {"verified": "verified", "unverified": "unverified threshold"}.get(level, f"{level} source")


@dataclass(frozen=True)
class MetricRow:
    label: str
    metric: str
    side: str
    value: str
    other_side: str
    baseline: str
    band: str
    own_default: bool
    verdict: str
    verdict_words: str
    reason: str
    n_stances: int
    quality: float
    sdd: str
    sdd_source: str
    source: str
    verification: str
    unverified: bool


def metric_rows(result: GaitResult, kb: KnowledgeBase, sources: Sources) -> list[MetricRow]:
    rows = []
    for f in one_row_per_metric(result.faults):
        if f.verdict == "not-enough-data":
            continue  # listed in the verdict-per-leg table and under "What we could not see"
        fault = kb.gait_faults.get(f.fault_id)
        sdd = fault.sdd if fault else None
        other = ""
        if f.judged_by == "other-side" and f.judged_value is not None:
            other = f"{f.judged_value:+.1f} {f.unit} vs the other leg"
        baseline = ""
        if f.change_from_baseline is not None:
            baseline = f"{f.change_from_baseline:+.1f} {f.unit} vs baseline"
        rows.append(
            MetricRow(
                label=metric_label(f, kb),
                metric=f.metric,
                side=f.side,
                value=unit_text(f.value, f.unit, runner=False),
                other_side=other,
                baseline=baseline,
                band=normal_band(f, kb, result.faults),
                own_default=f.own_default,
                verdict=f.verdict,
                verdict_words=VERDICT_WORDS.get(f.verdict, f.verdict),
                reason="",
                n_stances=f.n_stances,
                quality=f.quality,
                sdd=f"{sdd.value:g} {sdd.unit}" if sdd else "–",
                sdd_source=sources.short(sdd.ref) + f", {verification_words(sdd.verification.value)}"
                if sdd
                else "",
                source=sources.short(f.ref),
                verification=verification_words(f.verification),
                unverified=f.verification != "verified",
            )
        )
    return rows


def per_leg_rows(result: GaitResult, kb: KnowledgeBase) -> list[dict[str, Any]]:
    """One row per metric with each leg's verdict (or one cell for both legs)."""
    by_metric: dict[str, dict[str, FaultVerdictOut]] = {}
    for f in one_row_per_metric(result.faults):
        by_metric.setdefault(f.metric, {})[f.side] = f

    def cell(f: FaultVerdictOut | None) -> dict[str, Any] | None:
        if f is None:
            return None
        return {
            "verdict": f.verdict,
            "words": VERDICT_WORDS.get(f.verdict, f.verdict),
            "quality": f.quality if f.verdict != "not-enough-data" else None,
            "reason": f.reason if f.verdict == "not-enough-data" else "",
        }

    rows = []
    for metric, sides in by_metric.items():
        first = next(iter(sides.values()))
        names = " / ".join(f.name for f in kb.gait_faults.values() if f.metric == metric) or first.name
        rows.append(
            {
                "name": names,
                "both": cell(sides.get("both")),
                "left": cell(sides.get("left")),
                "right": cell(sides.get("right")),
            }
        )
    return rows


def still_views(
    stills: Sequence[Still], result: GaitResult, kb: KnowledgeBase, *, runner: bool
) -> list[dict[str, Any]]:
    """Stills grouped per fault and leg, each group with the worst stance first and its caption."""
    rows: dict[tuple[str, str], FaultVerdictOut] = {
        (f.metric, f.side): f for f in one_row_per_metric(result.faults)
    }
    groups: dict[tuple[str | None, str, str], dict[str, Any]] = {}
    for still in stills:
        if not still.uri.startswith("data:image/"):
            continue
        row = rows.get((still.metric, still.side))
        label = metric_label(row, kb) if row else still.metric
        band = normal_band(row, kb, result.faults) if row else still.stance.target.band
        if runner:
            band = band.split(" (", 1)[0].replace(" deg", "°")
        group = groups.setdefault(
            (still.fault_id, still.metric, still.side),
            {
                "label": label,
                "side": still.side,
                "verdict": row.verdict if row else "",
                "band": band,
                "flagged": still.fault_id is not None,
                "figures": [],
            },
        )
        what = (
            "Typical step" if still.kind == "typical" else still.stance.title.split(": ", 1)[1].capitalize()
        )
        value = f"{still.stance.value:.1f}{'°' if runner else ' ' + (row.unit if row else 'deg')}"
        caption = f"{what}, {still.side} leg (step {still.stance.step} of {still.stance.n_steps}): {value}."
        if not runner:
            how = (
                "the stance closest to the leg's median"
                if still.kind == "typical"
                else f"the stance furthest in the fault's direction ({still.stance.target.direction} the band)"
            )
            caption += f" Chosen as {how}; frame at t = {still.stance.frame_time_s:.2f} s."
            if still.angle_text:
                caption += f" Drawn: {still.angle_text}."
        group["figures"].append({"uri": still.uri, "alt": f"{what}, {still.side} leg", "caption": caption})
    return list(groups.values())


def _norm_band(angle: str, kb: KnowledgeBase, sources: Sources) -> plots.NormBand | None:
    fault = kb.gait_faults.get(CURVE_POPULATION.get(angle, ""))
    population = fault.reference_population if fault else None
    if population is None:
        return None
    return plots.NormBand(
        population.mean,
        population.sd,
        f"uninjured runners' peak, mean ± 1 SD ({population.mean:g} ± {population.sd:g} deg) "
        f"[{sources.number(population.ref)}]",
    )


def curve_figures(
    recordings: Sequence[RecordingLike], kb: KnowledgeBase, sources: Sources
) -> list[dict[str, Any]]:
    """Per recording, the view's joint angles over normalised stance, each leg against the published peak."""
    out = []
    for i, rec in enumerate(recordings):
        angles = ["knee_flexion"] if rec.engine.view_ is View.SIDE else ["pelvic_drop", "hip_adduction"]
        for angle in angles:
            curves = plots.angle_over_stance(rec.engine, angle)
            norm = _norm_band(angle, kb, sources)
            svg = plots.stance_curve_svg(curves, angle, norm, f"curve-{i}-{angle}")
            if svg is None:
                continue
            peaks = ", ".join(f"{side} leg {curve.peak:.1f} deg" for side, curve in curves.items())
            caption = f"{rec.path.name}: highest point of the median curve: {peaks}. "
            if norm is None:
                caption += (
                    "No verified curve or peak of uninjured runners exists for this 2-D angle, so no band is drawn; "
                    "the verdict compares the two legs instead."
                )
            else:
                mean, sd = HEIDERSCHEIT_PEAKS[angle]
                caption += (
                    "The grey band is a published peak (mean ± 1 SD), not a curve: no normative curve over stance "
                    "was found, so compare it with the highest point of each line. Another uninjured group "
                    f"peaked at {mean:g} ± {sd:g} deg (45 recreational runners at their preferred step rate, "
                    f"{sources.short(HEIDERSCHEIT)}): peaks differ between labs, speeds and between 3-D and 2-D."
                )
            out.append({"svg": Markup(svg), "caption": caption})
    return out


def _best_recording(recordings: Sequence[RecordingLike], fault_id: str) -> RecordingLike | None:
    measured = [
        r
        for r in recordings
        if any(v.fault_id == fault_id and v.verdict is not Verdict.NOT_ENOUGH_DATA for v in r.verdicts)
    ]
    return max(measured, key=lambda r: r.engine.quality_.overall, default=None)


def plot_figures(
    result: GaitResult, recordings: Sequence[RecordingLike], kb: KnowledgeBase
) -> list[dict[str, Any]]:
    """Time series per recording, every stance per judged metric, and the left-right asymmetry."""
    out = []
    for i, rec in enumerate(recordings):
        caption = (
            f"{rec.path.name}: knee flexion of both legs; shaded: stances (foot strike to toe off)."
            if rec.engine.view_ is View.SIDE
            else f"{rec.path.name}: hip line against the horizontal; shaded: stances. Pelvic drop is the rise from "
            "foot strike to the peak within each stance, so a constant camera roll does not change it."
        )
        svg = plots.time_series_svg(rec.engine, f"time-{i}")
        if svg:
            out.append({"svg": Markup(svg), "caption": caption})
    asym: list[plots.Asymmetry] = []
    judged = [
        f
        for f in one_row_per_metric(result.faults)
        if f.side in ("left", "right") and f.verdict not in ("not-enough-data",)
    ]
    for metric in dict.fromkeys(f.metric for f in judged):
        legs = {f.side: f for f in judged if f.metric == metric}
        first = next(iter(legs.values()))
        best = _best_recording(recordings, first.fault_id)
        if best is None:
            continue
        sharing = [g for g in kb.gait_faults.values() if g.metric == metric]
        label = metric_label(first, kb)
        bands = [
            (g.short_name or g.name, plots.Band(g.threshold.borderline, g.threshold.flagged, first.unit))
            for g in sharing
            if g.threshold.relative_to == "absolute"
        ]
        svg = plots.per_stance_svg(best.engine, metric, label, bands, f"stance-{len(out)}")
        if svg:
            caption = f"{label}, from {best.path.name}"
            caption += (
                ": broken lines mark the borderline (amber) and flagged (red) thresholds."
                if bands
                else ": judged by the difference between the legs, so no absolute threshold is drawn."
            )
            out.append({"svg": Markup(svg), "caption": caption})
        if (
            "left" in legs
            and "right" in legs
            and legs["left"].value is not None
            and legs["right"].value is not None
        ):
            asym.append(plots.Asymmetry(label, legs["left"].value, legs["right"].value, first.unit))
    svg = plots.asymmetry_svg(asym, "asymmetry")
    if svg:
        out.append(
            {
                "svg": Markup(svg),
                "caption": "Difference between the legs' medians for each measured metric; compare it with the "
                "metric's SDD before reading much into it.",
            }
        )
    return out


def filming_advice(result: GaitResult, sources: Sources) -> list[dict[str, Any]]:
    """Per recording, what lowered its quality score and how to film better."""
    cfg = result.config["quality"]
    blocks = []
    for rec in result.recordings:
        q = (rec.model_extra or {}).get("quality", {})
        tips = []
        if q.get("confidence_factor", 1) < 1:
            tips.append(
                f"The pose model's median keypoint confidence was {q['median_confidence']:.2f} (the quality score "
                f"gives full credit from {CONF_FULL:g}, a choice of this project). Film in even light, wear fitted "
                "clothes that stand out from the background, keep the whole body from head to feet in the frame "
                "and nothing between the camera and the runner."
            )
        if q.get("fps_factor", 1) < 1 or rec.fps_hz < cfg["good_fps_hz"]:
            good = cfg["good_fps_hz"]
            tips.append(
                f"Filmed at {rec.fps_hz:.1f} fps. glutemed's settings recommend at least {good:g} fps (often "
                "cited as the practical minimum for running video, Souza 2016, unverified) and give no verdict "
                f"below {cfg['min_fps_hz']:g} fps. Choose a {good:g} fps or slow-motion setting on the phone."
            )
        fewest = min(rec.n_stances.get(s, 0) for s in ("left", "right"))
        if fewest < FULL_STANCES:
            need = cfg["min_stances_per_side"]
            tips.append(
                f"The leg with fewer stances had {fewest}. At least {need} per leg are needed for any verdict: "
                f"about {STABLE_MEAN_STEPS} steps were needed for a stable mean of 2-D running angles "
                f"({sources.short(STANCE_SOURCE)}). More stances raise the score up to {FULL_STANCES} per leg "
                "(a choice of this project): film a longer stretch of steady running."
            )
        roll = (rec.model_extra or {}).get("camera_roll_deg")
        if q.get("tilt_factor", 1) < 1 and roll is not None:
            tips.append(
                f"The camera looked rolled by about {abs(roll):.1f} deg (estimated from the body); the quality "
                f"score starts to fall beyond {TILT_OK_DEG:g} deg (a choice of this project). Level the phone on "
                "a tripod and face the runner squarely."
            )
        if tips:
            blocks.append({"name": Path(rec.path).name, "tips": tips})
    return blocks


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def pose_notes(result: dict[str, Any]) -> list[dict[str, str]]:
    """The pose stage's quality notes (e.g. how many people were seen and whom the pose followed), each a
    sentence: capital first, full stop last (the result stores them as clauses)."""
    return [
        {"name": Path(rec["path"]).name, "note": _sentence(note)}
        for rec in result["recordings"]
        for note in str(rec.get("pose", {}).get("quality_notes", "")).split(" | ")
        if note
    ]


def meanings(result: GaitResult, kb: KnowledgeBase, sources: Sources) -> list[dict[str, Any]]:
    """Each fault in the result: verdict per leg, what it is, the evidence, cues and references."""
    present = list(dict.fromkeys(f.fault_id for f in result.faults))
    order = [k for k in kb.gait_faults if k in present] + [k for k in present if k not in kb.gait_faults]
    out = []
    for fid in order:
        fault = kb.gait_faults.get(fid)
        if fault is None:
            continue
        verdicts = [
            {"side": f.side, "verdict": f.verdict, "words": VERDICT_WORDS.get(f.verdict, f.verdict)}
            for f in result.faults
            if f.fault_id == fid
        ]
        out.append(
            {
                "id": fid,
                "name": fault.name,
                "verdicts": verdicts,
                "definition": fault.definition,
                "evidence": fault.evidence,
                "cues": fault.cues,
                "refs": [sources.short(k) for k in fault.refs],
            }
        )
    return out


def recordings_table(result: GaitResult) -> list[dict[str, Any]]:
    rows = []
    for rec in result.recordings:
        extra = rec.model_extra or {}
        detected, confidence = extra.get("view_detected"), extra.get("view_confidence")
        how = f"detected (confidence {confidence:.2f})" if detected and confidence is not None else "given"
        rows.append(
            {
                "name": Path(rec.path).name,
                "view": f"{rec.view}, {how}",
                "fps": f"{rec.fps_hz:.1f} fps",
                "duration": f"{rec.duration_s:.1f} s",
                "stances": f"L {rec.n_stances.get('left', 0)} / R {rec.n_stances.get('right', 0)}",
                "cadence": f"{rec.cadence_spm:.1f} steps/min" if rec.cadence_spm is not None else "–",
                "quality": f"{extra.get('quality', {}).get('overall', 0.0):.2f}",
            }
        )
    return rows

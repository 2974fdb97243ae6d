"""Second runner for issue 3 ("Accuracy"): the Running Injury Clinic (Calgary) treadmill trial, no force.

200 Hz segment clusters (tests/data/mocap/ric_calgary, CC BY 4.0): hip centres by the clinic's own rule, knee
and ankle from the static trial's epicondyle and malleolus markers (glutemed.io.c3d_mocap). Without force the
contacts come from the kinematics (glutemed.core.mocap_truth.treadmill_contacts: Zeni et al. 2008 foot-forward
instant moved to where the foot reaches half the belt speed; toe off at peak knee extension, Fellin et al.
2010); that method is checked here against the force of the Fukuchi trial first. The same virtual cameras as
test_validation_mocap.py film the runner at 30 and 60 fps, clean and in the two field conditions.
Targets (issue 3): pelvic drop <= 1.0 deg, hip adduction <= 2, knee flexion <= 3 (median absolute error),
cadence within 0.5 %, all met at the table's noise seeds. With pixel noise this runner's pelvic drop is the
hard case (docs/validation.md: its obliquity rises steeply after strike and stays up until toe off): the noisy
stances are pooled towards the leg's usual drop (glutemed.core.stance_template), 0.64-0.91 deg here, but other
noise seeds reach 1.31 deg at 2 px. Knee FPPA and step width: measured bounds.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from validation_harness import (
    CADENCE_TARGET_PCT,
    CONDITIONS,
    MIN_MATCHED_FRACTION,
    TARGET_DEG,
    Result,
    Setup,
    Trial,
    fukuchi,
    ric,
    score,
)

from glutemed.core.mocap_truth import stance_truth, treadmill_contacts
from glutemed.core.view import View

FPS_HZ = (30.0, 60.0)
CASES = [(v, c, f) for v in (View.REAR, View.SIDE) for c in CONDITIONS for f in FPS_HZ]
MEASURED_FRONTAL = {  # knee FPPA (deg), step width (cm, true scale at the feet), step width / pelvis width
    ("clean", 30.0): (0.25, 0.60, 0.050),
    ("clean", 60.0): (0.40, 0.60, 0.050),
    ("field-1.5px", 30.0): (0.80, 0.85, 0.065),
    ("field-1.5px", 60.0): (0.95, 0.85, 0.070),
    ("field-2px", 30.0): (1.15, 0.90, 0.070),
    ("field-2px", 60.0): (1.15, 1.00, 0.075),
}


@pytest.fixture(scope="module")
def trial() -> Trial:
    return ric()


@pytest.fixture(scope="module")
def results(trial: Trial) -> dict[tuple[View, str, float], Result]:
    return {(v, c, f): score(trial, Setup(v, f, seed=int(f), **CONDITIONS[c])) for v, c, f in CASES}


def test_kinematic_contacts_match_the_force_of_the_fukuchi_trial() -> None:
    """The event method used for this runner, checked on the runner that has force (RBDS001, 3.5 m/s belt)."""
    force = fukuchi()
    contacts = treadmill_contacts(force.keypoints)
    assert contacts.belt_speed_m_s == pytest.approx(3.5, abs=0.05)
    strike_err, off_err = [], []
    for t, side in zip(contacts.strikes_s, contacts.sides, strict=True):
        same = [s for s in force.truth.stances if s.side == side]
        nearest = min(same, key=lambda s: abs(s.strike_s - t))
        strike_err.append(t - nearest.strike_s)
        off_err.append(contacts.toe_offs_s[list(contacts.strikes_s).index(t)] - nearest.toe_off_s)
    assert len(strike_err) >= 83
    assert abs(np.median(strike_err)) <= 1 / 150  # within one 150 Hz frame (measured -4.5 ms)
    assert np.percentile(np.abs(strike_err), 90) <= 0.012
    assert 0.0 <= np.median(off_err) <= 0.03  # peak knee extension comes after toe off (measured +22 ms)
    # ground truth from these events against the force truth, per stance
    kin = stance_truth(force.keypoints, contacts.strikes_s, contacts.toe_offs_s, contacts.sides)
    diffs = [
        abs(k.pelvic_drop_peak_deg - f.pelvic_drop_peak_deg)
        for f in force.truth.stances
        for k in kin.stances
        if k.side == f.side and abs(k.strike_s - f.strike_s) < 0.05
    ]
    assert len(diffs) >= 83
    assert np.median(diffs) <= 0.2  # measured 0.15 deg; Zeni's instant alone gives 0.75
    assert kin.cadence_spm == pytest.approx(force.truth.cadence_spm, rel=0.001)


def test_ground_truth_is_plausible(trial: Trial) -> None:
    truth = trial.truth
    assert trial.events_from == "kinematic"
    assert len(truth.stances) >= 70
    assert all(a.side != b.side for a, b in itertools.pairwise(truth.stances))
    assert truth.cadence_spm == pytest.approx(183.8, abs=0.5)  # ORIGIN.md: ~185 from foot-marker minima
    assert 2.5 < trial.belt_speed_m_s < 3.2  # not recorded with the data; 2.85 m/s measured from the feet
    contact_s = np.median([s.contact_time_s for s in truth.stances])
    assert 0.2 < contact_s < 0.3
    for metric in TARGET_DEG:
        assert np.isfinite(truth.values(metric)).all()


@pytest.mark.parametrize(("view", "condition", "fps_hz"), CASES, ids=lambda x: getattr(x, "value", x))
def test_angles_and_cadence(
    results: dict[tuple[View, str, float], Result], view: View, condition: str, fps_hz: float
) -> None:
    res = results[(view, condition, fps_hz)]
    assert res.n_matched >= MIN_MATCHED_FRACTION * res.n_truth
    for metric in TARGET_DEG.keys() & res.errors.keys():
        bound = TARGET_DEG[metric]
        assert res.median_abs(metric) <= bound, metric
    assert res.cadence_error_pct <= CADENCE_TARGET_PCT


@pytest.mark.parametrize(("condition", "fps_hz"), MEASURED_FRONTAL, ids=lambda x: getattr(x, "value", x))
def test_knee_fppa_and_step_width(
    results: dict[tuple[View, str, float], Result], condition: str, fps_hz: float
) -> None:
    res = results[(View.REAR, condition, fps_hz)]
    fppa_deg, width_cm, width_ratio = MEASURED_FRONTAL[(condition, fps_hz)]
    assert res.median_abs("knee_fppa_peak_deg") <= fppa_deg
    assert res.median_abs("step_width_cm") <= width_cm
    assert res.median_abs("step_width_pelvis_ratio") <= width_ratio


def test_pelvic_drop_is_read_on_clean_tracks(results: dict[tuple[View, str, float], Result]) -> None:
    """Without pixel noise the engine reads this runner within 0.37 and 0.32 deg (30, 60 fps), so what the
    noise adds (0.64-0.91 deg at the table's seeds) is the noise, not the projection, events or truth."""
    for fps_hz in FPS_HZ:
        res = results[(View.REAR, "clean", fps_hz)]
        assert res.method == "pelvis"
        assert res.median_abs("pelvic_drop_peak_deg") <= 0.4

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from glutemed.core.mocap_truth import foot_excursion_contacts, stance_truth
from glutemed.io import InputFileError
from glutemed.io.c3d_joints import carry, force_contacts, harrington_hips
from glutemed.io.c3d_mocap import MocapTrial, load_mocap, read_c3d


@pytest.fixture(scope="module")
def fukuchi(data_dir: Path) -> MocapTrial:
    d = data_dir / "mocap" / "fukuchi_rbds"
    return load_mocap(d / "RBDS001runT35.c3d", d / "RBDS001static.c3d")


@pytest.fixture(scope="module")
def ric(data_dir: Path) -> MocapTrial:
    d = data_dir / "mocap" / "ric_calgary"
    return load_mocap(d / "20140515T133244_run.c3d", d / "20140515T133244_static.c3d")


def test_fukuchi_frame_units_and_keypoints(fukuchi: MocapTrial) -> None:
    kp = fukuchi.keypoints
    assert kp.units == "m"
    assert kp.n_frames == 4500
    assert kp.fps_hz == pytest.approx(150.0)
    assert not np.isnan(kp.positions).any()  # the two zeroed frames are filled
    hips, heels = kp.xyz("left_hip"), kp.xyz("left_heel")
    assert np.median(hips[:, 2] - heels[:, 2]) > 0.5  # z up
    assert np.median(kp.xyz("left_hip")[:, 1] - kp.xyz("right_hip")[:, 1]) > 0.1  # y left
    assert np.median(kp.xyz("left_toe")[:, 0] - heels[:, 0]) > 0.05  # x forward
    for side in ("left", "right"):
        thigh = np.linalg.norm(kp.xyz(f"{side}_hip") - kp.xyz(f"{side}_knee"), axis=1)
        assert 0.35 < np.median(thigh) < 0.5
        assert np.std(thigh) < 0.01  # rigid-body carrying keeps segment length


def test_fukuchi_force_strikes_alternate_and_give_cadence(fukuchi: MocapTrial) -> None:
    strikes, sides = fukuchi.strike_times_s, fukuchi.strike_sides
    assert 80 <= strikes.size <= 90  # 30 s at ~171 steps/min
    assert all(a != b for a, b in itertools.pairwise(sides))
    cadence = 60 * (strikes.size - 1) / (strikes[-1] - strikes[0])
    assert cadence == pytest.approx(171, abs=2)
    contact = np.median(fukuchi.toe_off_times_s - strikes)
    assert 0.15 < contact < 0.3


def test_fukuchi_pelvic_obliquity_matches_origin_note(fukuchi: MocapTrial) -> None:
    m = fukuchi.markers
    d = (m["L.ASIS"] + m["L.PSIS"]) / 2 - (m["R.ASIS"] + m["R.PSIS"]) / 2
    obliquity = np.degrees(np.arctan2(d[:, 2], np.hypot(d[:, 0], d[:, 1])))
    assert np.nanmean(obliquity) == pytest.approx(2.3, abs=0.2)
    lo, hi = np.nanpercentile(obliquity, [1, 99])
    assert lo == pytest.approx(-3.1, abs=0.3)
    assert hi == pytest.approx(7.7, abs=0.3)


def test_fukuchi_ground_truth(fukuchi: MocapTrial) -> None:
    truth = stance_truth(
        fukuchi.keypoints, fukuchi.strike_times_s, fukuchi.toe_off_times_s, fukuchi.strike_sides
    )
    assert truth.cadence_spm == pytest.approx(171, abs=2)
    assert truth.pelvic_obliquity_mean_deg == pytest.approx(2.3, abs=0.6)
    for side in ("left", "right"):
        assert 0.0 <= truth.median("pelvic_drop_peak_deg", side) < 10
        assert 25 < truth.median("knee_flexion_peak_stance_deg", side) < 55
        assert truth.median("knee_flexion_strike_deg", side) < truth.median(
            "knee_flexion_peak_stance_deg", side
        )
        assert -5 < truth.median("hip_adduction_peak_deg", side) < 20
    # signed (negative = crossover); RBDS001 lands close to the midline, within 3.5 cm either way
    widths = truth.values("step_width_cm")[1:]
    assert -5 < truth.median("step_width_cm") < 15
    assert np.all(np.abs(widths[np.isfinite(widths)]) < 5)
    assert np.all(np.abs(truth.values("knee_fppa_peak_deg")) < 10)


def test_ric_clusters_and_kinematic_cadence(ric: MocapTrial) -> None:
    kp = ric.keypoints
    assert ric.strike_times_s.size == 0  # no force in this trial
    assert "left_toe" not in kp.names
    for side in ("left", "right"):
        thigh = np.linalg.norm(kp.xyz(f"{side}_hip") - kp.xyz(f"{side}_knee"), axis=1)
        assert 0.35 < np.median(thigh) < 0.5
    strikes, offs, sides = foot_excursion_contacts(kp)
    truth = stance_truth(kp, strikes, offs, sides)
    assert truth.cadence_spm == pytest.approx(185, abs=3)  # ORIGIN.md: ~185 from foot-marker minima


def test_force_contacts_on_synthetic_force() -> None:
    rate = 1000.0
    t = np.arange(0, 2, 1 / rate)
    force = np.where((t % 0.35) < 0.2, 1500 * np.sin(np.pi * (t % 0.35) / 0.2), 0.0)
    force[500] = 80.0  # a one-sample spike is not a contact
    strikes, offs = force_contacts(force, rate, threshold_n=50.0)
    assert strikes.size == offs.size == 6
    np.testing.assert_allclose(np.diff(strikes), 0.35, atol=2e-3)


def test_harrington_and_carry_geometry() -> None:
    l_asis, r_asis = np.array([[0.0, 0.12, 1.0]]), np.array([[0.0, -0.12, 1.0]])
    l_psis, r_psis = np.array([[-0.15, 0.04, 1.0]]), np.array([[-0.15, -0.04, 1.0]])
    left, right = harrington_hips(l_asis, r_asis, l_psis, r_psis)
    # PW 240 mm, PD 150 mm: x = -45.9, y(up) = -82.9, lateral = 86.5 mm
    np.testing.assert_allclose(left[0], [-0.0459, 0.0865, 1 - 0.0829], atol=1e-9)
    np.testing.assert_allclose(right[0], [-0.0459, -0.0865, 1 - 0.0829], atol=1e-9)
    cluster = np.array([[0.0, 0, 0], [0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]])
    angle = np.radians(30)
    rot = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    moved = cluster @ rot.T + [1.0, 2.0, 3.0]
    moved_frames = np.stack([moved, moved])
    moved_frames[1, 0] = np.nan  # three markers are still enough
    point = np.array([0.05, 0.02, -0.3])
    out = carry(cluster, point, moved_frames)
    np.testing.assert_allclose(out, np.stack([rot @ point + [1, 2, 3]] * 2), atol=1e-12)


@pytest.mark.parametrize(("content", "message"), [(b"", "file is empty"), (b"hello" * 200, "not a C3D file")])
def test_broken_c3d(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.c3d"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message) as err:
        read_c3d(path)
    assert "bad.c3d" in str(err.value)


def test_truncated_c3d(tmp_path: Path, data_dir: Path) -> None:
    raw = (data_dir / "mocap" / "fukuchi_rbds" / "RBDS001runT35.c3d").read_bytes()
    path = tmp_path / "cut.c3d"
    path.write_bytes(raw[:100_000])
    with pytest.raises(InputFileError, match=r"cut\.c3d: file is truncated"):
        read_c3d(path)


def test_unknown_marker_set_and_missing_static(data_dir: Path) -> None:
    d = data_dir / "mocap" / "fukuchi_rbds"
    with pytest.raises(InputFileError, match="need the static trial"):
        load_mocap(d / "RBDS001runT35.c3d")
    with pytest.raises(InputFileError, match="static trial lacks marker"):
        load_mocap(d / "RBDS001runT35.c3d", data_dir / "mocap" / "ric_calgary" / "20140515T133244_static.c3d")


def test_ric_hip_centres_sit_a_quarter_in_from_the_trochanters(ric: MocapTrial, data_dir: Path) -> None:
    """RIC pipeline rule: hip centre = trochanter marker + 1/4 of the way to the other one, so the hip centres
    are half the static inter-trochanter distance apart, midway between the trochanters."""
    static = read_c3d(data_dir / "mocap" / "ric_calgary" / "20140515T133244_static.c3d")
    trochanters_m = np.linalg.norm(static.marker("L_hip")[0] - static.marker("R_hip")[0])
    kp = ric.keypoints
    hip_width = np.linalg.norm(kp.xyz("left_hip") - kp.xyz("right_hip"), axis=1)
    assert np.median(hip_width) == pytest.approx(0.5 * trochanters_m, rel=0.01)
    assert 0.15 < np.median(hip_width) < 0.22  # adult inter-hip-centre distances
    assert "RIC 3D gait pipeline" in ric.meta["hip_method"]

"""Joint and segment angles in degrees, vectorised over frames.

Every function takes arrays of shape (frames, dims) in an *upright* frame, where the LAST coordinate points
up: (x, y_up) for 2-D images after ``upright_positions`` has flipped pixel y, or (x, y, z) with z up for 3-D lab
data. Frontal-plane angles (rear or front view) take the image x as the lateral axis; sagittal angles (side
view) take the image x as fore-aft and need ``forward_sign`` (+1 when the runner faces +x, -1 when facing -x;
decided by ``glutemed.core.facing``).
Left/right and medial/lateral are decided from the keypoint labels, never from the image side, so the same
formula serves rear and front (mirrored) views.
"""

from __future__ import annotations

import numpy as np

from glutemed.core.series import FloatArray, KeypointSeries

_EPS = 1e-12


def upright_positions(series: KeypointSeries, /) -> FloatArray:
    """Positions with the last axis pointing up: pixel y is negated, other units are returned as they are."""
    pos = series.positions.copy()
    if series.units == "pixel" and series.dims == 2:
        pos[..., 1] *= -1.0
    return pos


def _unit(v: FloatArray) -> FloatArray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.asarray(v / np.where(n > _EPS, n, np.nan), dtype=np.float64)


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    return np.asarray(np.sum(a * b, axis=-1), dtype=np.float64)


def included_angle_deg(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Angle at ``b`` between the segments b->a and b->c, 0..180, any number of dimensions."""
    cos = np.clip(_dot(_unit(a - b), _unit(c - b)), -1.0, 1.0)
    return np.asarray(np.degrees(np.arccos(cos)), dtype=np.float64)


# -------------------------------------------------------------------------------------------- frontal plane


def pelvic_obliquity_deg(stance_hip: FloatArray, contra_hip: FloatArray) -> FloatArray:
    """Tilt of the hip line against the horizontal; positive when the contralateral (swing-side) hip is lower.

    2-D or 3-D: the last coordinate is the height, the others give the horizontal distance, so a pelvis
    tilted by exactly 5 degrees reads 5 degrees in a rear view, a front view or the lab frame.
    """
    d = stance_hip - contra_hip
    horizontal = np.linalg.norm(d[..., :-1], axis=-1)
    return np.asarray(np.degrees(np.arctan2(d[..., -1], horizontal)), dtype=np.float64)


def _medial_and_down(stance_hip: FloatArray, contra_hip: FloatArray) -> tuple[FloatArray, FloatArray]:
    """2-D unit vectors along the pelvis towards the other hip (medial) and perpendicular to it, pointing down."""
    medial = _unit(contra_hip - stance_hip)
    perp = np.stack([medial[..., 1], -medial[..., 0]], axis=-1)
    down = np.where((perp[..., 1] <= 0)[..., None], perp, -perp)
    return medial, np.asarray(down, dtype=np.float64)


def hip_adduction_deg(stance_hip: FloatArray, contra_hip: FloatArray, knee: FloatArray) -> FloatArray:
    """Frontal-plane hip adduction (2-D): femur (hip->knee) against the perpendicular to the pelvis line.

    Positive when the knee lies medial of that perpendicular (adduction), negative for abduction. Pelvic drop
    therefore adds to the angle, as in the 3-D definition of hip adduction relative to the pelvis.
    """
    medial, down = _medial_and_down(stance_hip, contra_hip)
    femur = knee - stance_hip
    return np.asarray(np.degrees(np.arctan2(_dot(femur, medial), _dot(femur, down))), dtype=np.float64)


def knee_fppa_deg(
    stance_hip: FloatArray, contra_hip: FloatArray, knee: FloatArray, ankle: FloatArray
) -> FloatArray:
    """Knee frontal-plane projection angle (2-D): 180 minus the hip-knee-ankle angle, signed.

    Positive (valgus) when the knee lies medial of the straight line from hip to ankle, negative (varus) when
    lateral. Medial is the direction of the other hip.
    """
    deviation = 180.0 - included_angle_deg(stance_hip, knee, ankle)
    axis = _unit(ankle - stance_hip)
    rel = knee - stance_hip
    off_line = rel - _dot(rel, axis)[..., None] * axis
    medial = _unit(contra_hip - stance_hip)
    return np.asarray(np.sign(_dot(off_line, medial)) * deviation, dtype=np.float64)


def trunk_lean_lateral_deg(
    mid_shoulder: FloatArray, mid_hip: FloatArray, stance_hip: FloatArray, contra_hip: FloatArray
) -> FloatArray:
    """Lateral trunk lean (2-D): the hip-to-shoulder midline against vertical, positive towards the stance leg."""
    towards_stance = np.sign(stance_hip[..., 0] - contra_hip[..., 0])
    trunk = mid_shoulder - mid_hip
    return np.asarray(
        np.degrees(np.arctan2(towards_stance * trunk[..., 0], trunk[..., -1])), dtype=np.float64
    )


# ------------------------------------------------------------------------------------------- sagittal plane


def knee_flexion_deg(hip: FloatArray, knee: FloatArray, ankle: FloatArray) -> FloatArray:
    """Knee flexion: 180 minus the hip-knee-ankle angle (0 = straight), 2-D or 3-D."""
    return np.asarray(180.0 - included_angle_deg(hip, knee, ankle), dtype=np.float64)


def shank_angle_deg(knee: FloatArray, ankle: FloatArray, forward_sign: float) -> FloatArray:
    """Shank (knee->ankle) against vertical (2-D side view); positive when the ankle is ahead of the knee."""
    shank = ankle - knee
    return np.asarray(np.degrees(np.arctan2(forward_sign * shank[..., 0], -shank[..., -1])), dtype=np.float64)


def trunk_lean_forward_deg(mid_shoulder: FloatArray, mid_hip: FloatArray, forward_sign: float) -> FloatArray:
    """Forward trunk lean (2-D side view): hip-to-shoulder line against vertical, positive leaning forward."""
    trunk = mid_shoulder - mid_hip
    return np.asarray(np.degrees(np.arctan2(forward_sign * trunk[..., 0], trunk[..., -1])), dtype=np.float64)

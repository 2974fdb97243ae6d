"""Joint centres from markers, and contacts from force (numpy only; used by ``c3d_mocap``).

- ``harrington_hips``: hip joint centres from the ASIS and PSIS (Harrington et al. 2007, J Biomech 40:595).
  In the pelvis frame (origin mid-ASIS, x anterior, y superior, z to the right, millimetres) with PW the
  inter-ASIS distance and PD the distance between the ASIS and PSIS midpoints:
  x = -0.24 PD - 9.9, y = -0.30 PW - 10.9, z = +/-(0.33 PW + 7.3).
- ``carry``: a static-trial landmark moved onto every dynamic frame by a marker cluster, with the
  least-squares rigid transform (Kabsch / SVD) of the cluster from the static to each dynamic frame.
- ``force_contacts``: contact starts (foot strikes) and ends (toe offs) where the vertical force crosses a
  threshold; contacts shorter than ``min_contact_s`` are dropped as noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from glutemed.core.series import KEYPOINTS, KeypointSeries
from glutemed.io.errors import InputFileError

FloatArray = NDArray[np.float64]
SIDES = (("L", "left"), ("R", "right"))


@dataclass(frozen=True)
class MarkerSet:
    """Where each landmark comes from in one lab's marker set; ``{S}`` stands for L or R."""

    name: str
    thigh: str  # cluster label prefix
    shank: str
    knee: tuple[str, str]  # lateral, medial (static trial)
    ankle: tuple[str, str]
    asis: str | None = None  # Harrington hips when present
    psis: str | None = None
    pelvis: str | None = None  # pelvis cluster prefix, with static hip markers
    hip_static: str | None = None
    heel: str | None = None  # heel marker, or
    heel_cluster: str | None = None  # foot cluster on the heel counter
    toe: str | None = None


FUKUCHI = MarkerSet(
    "fukuchi-rbds", "{S}.Thigh.", "{S}.Shank.", ("{S}.Knee", "{S}.Knee.Medial"),
    ("{S}.Ankle", "{S}.Ankle.Medial"), asis="{S}.ASIS", psis="{S}.PSIS", heel="{S}.Heel.Bottom", toe="{S}.MT1",
)  # fmt: skip
RIC = MarkerSet(
    "ric-calgary", "{S}_thigh_", "{S}_shank_", ("{S}_lat_knee", "{S}_med_knee"),
    ("{S}_lat_ankle", "{S}_med_ankle"), pelvis="pelvis_", hip_static="{S}_hip", heel_cluster="{S}_foot_",
)  # fmt: skip


def harrington_hips(
    l_asis: FloatArray, r_asis: FloatArray, l_psis: FloatArray, r_psis: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Left and right hip joint centres (metres in, metres out), per frame."""
    mid_asis = (l_asis + r_asis) / 2
    mid_psis = (l_psis + r_psis) / 2
    pw_mm = np.linalg.norm(r_asis - l_asis, axis=-1, keepdims=True) * 1e3
    pd_mm = np.linalg.norm(mid_asis - mid_psis, axis=-1, keepdims=True) * 1e3
    z = (r_asis - l_asis) / (pw_mm * 1e-3)
    x = mid_asis - mid_psis
    x = x - np.sum(x * z, axis=-1, keepdims=True) * z
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.cross(z, x)
    ax = (-0.24 * pd_mm - 9.9) * 1e-3
    ay = (-0.30 * pw_mm - 10.9) * 1e-3
    az = (0.33 * pw_mm + 7.3) * 1e-3
    base = mid_asis + ax * x + ay * y
    return base - az * z, base + az * z


def carry(static_cluster: FloatArray, static_point: FloatArray, dynamic_cluster: FloatArray) -> FloatArray:
    """Move a static landmark with a cluster: (k,3) + (3,) + (frames,k,3) -> (frames,3); NaN below 3 markers."""
    w = np.all(np.isfinite(dynamic_cluster), axis=2) & np.all(np.isfinite(static_cluster), axis=1)
    wf = w.astype(np.float64)[:, :, None]
    n = wf.sum(axis=1)  # (frames,1)
    dyn = np.nan_to_num(dynamic_cluster)
    sta = np.nan_to_num(np.broadcast_to(static_cluster, dynamic_cluster.shape))
    with np.errstate(invalid="ignore", divide="ignore"):
        c_dyn = (wf * dyn).sum(axis=1) / n
        c_sta = (wf * sta).sum(axis=1) / n
    a = (sta - c_sta[:, None, :]) * wf
    b = (dyn - c_dyn[:, None, :]) * wf
    h = np.einsum("fki,fkj->fij", a, b)
    h[~np.isfinite(h)] = 0.0
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.einsum("fji,fkj->fik", vt, u)))
    d[d == 0] = 1.0
    fix = np.ones((h.shape[0], 3))
    fix[:, 2] = d
    rot = np.einsum("fji,fj,fkj->fik", vt, fix, u)  # V diag(1,1,d) U^T
    out = np.einsum("fij,fj->fi", rot, static_point - c_sta) + c_dyn
    out[w.sum(axis=1) < 3] = np.nan
    return np.asarray(out)


def fill_gaps(track: FloatArray, max_gap_frames: int) -> FloatArray:
    """Linearly interpolate NaN runs no longer than ``max_gap_frames`` inside a (frames, 3) track."""
    out = track.copy()
    bad = ~np.all(np.isfinite(out), axis=1)
    if not bad.any() or bad.all():
        return out
    idx = np.arange(len(out))
    run_start = None
    for i in range(len(out) + 1):
        if i < len(out) and bad[i]:
            run_start = i if run_start is None else run_start
        elif run_start is not None:
            if run_start > 0 and i < len(out) and i - run_start <= max_gap_frames:
                for c in range(out.shape[1]):
                    out[run_start:i, c] = np.interp(idx[run_start:i], idx[~bad], out[~bad, c])
            run_start = None
    return out


def force_contacts(
    vertical_force_n: FloatArray, rate_hz: float, *, threshold_n: float = 50.0, min_contact_s: float = 0.05
) -> tuple[FloatArray, FloatArray]:
    """Times (s) where the force rises above and falls below ``threshold_n``, interpolated between samples."""
    f = np.nan_to_num(np.asarray(vertical_force_n, dtype=np.float64))
    above = f > threshold_n
    ups = np.flatnonzero(~above[:-1] & above[1:])
    downs = np.flatnonzero(above[:-1] & ~above[1:])
    downs = downs[downs > ups[0]] if ups.size else downs[:0]
    strikes: list[float] = []
    offs: list[float] = []
    for up in ups:
        later = downs[downs > up]
        if not later.size:
            break
        down = int(later[0])
        t_up = (up + (threshold_n - f[up]) / (f[up + 1] - f[up])) / rate_hz
        t_down = (down + (f[down] - threshold_n) / (f[down] - f[down + 1])) / rate_hz
        if t_down - t_up >= min_contact_s and (not offs or t_up > offs[-1]):
            strikes.append(t_up)
            offs.append(t_down)
    return np.asarray(strikes), np.asarray(offs)


def _cluster(path: Path, markers: dict[str, FloatArray], prefix: str) -> tuple[list[str], FloatArray]:
    names = sorted(n for n in markers if n.startswith(prefix))
    if len(names) < 3:
        raise InputFileError(path, f"cluster {prefix!r} needs at least 3 markers, found {len(names)}")
    return names, np.stack([markers[n] for n in names], axis=1)


def _static(path: Path, static: dict[str, FloatArray], name: str) -> FloatArray:
    if name not in static:
        raise InputFileError(path, f"static trial lacks marker {name!r}")
    return static[name]


def _carried(
    path: Path, ms: str, dyn: dict[str, FloatArray], static: dict[str, FloatArray], point: FloatArray
) -> FloatArray:
    names, cluster = _cluster(path, dyn, ms)
    static_cluster = np.stack([_static(path, static, n) for n in names])
    return carry(static_cluster, point, cluster)


def _side_points(
    path: Path, ms: MarkerSet, s: str, dyn: dict[str, FloatArray], st: dict[str, FloatArray]
) -> dict[str, FloatArray]:
    pts: dict[str, FloatArray] = {}
    for joint, (lat, med), seg in (("knee", ms.knee, ms.thigh), ("ankle", ms.ankle, ms.shank)):
        mid = (_static(path, st, lat.format(S=s)) + _static(path, st, med.format(S=s))) / 2
        pts[joint] = _carried(path, seg.format(S=s), dyn, st, mid)
    if ms.hip_static and ms.pelvis:
        pts["hip"] = _carried(path, ms.pelvis, dyn, st, _static(path, st, ms.hip_static.format(S=s)))
    if ms.heel:
        pts["heel"] = dyn[ms.heel.format(S=s)]
    elif ms.heel_cluster:
        pts["heel"] = np.nanmean(_cluster(path, dyn, ms.heel_cluster.format(S=s))[1], axis=1)
    if ms.toe:
        pts["toe"] = dyn[ms.toe.format(S=s)]
    return pts


def build_keypoints(
    path: Path,
    dyn: dict[str, FloatArray],
    static: dict[str, FloatArray] | None,
    rate_hz: float,
    max_gap_frames: int,
) -> tuple[KeypointSeries, dict[str, str]]:
    """Canonical keypoints (metres, lab frame of the markers) from a known marker set."""
    ms = FUKUCHI if "L.ASIS" in dyn else RIC if "pelvis_1" in dyn else None
    if ms is None:
        raise InputFileError(
            path, "unknown marker set (supported: Fukuchi RBDS with L.ASIS..., RIC with pelvis_1...)"
        )
    if static is None:
        raise InputFileError(path, f"{ms.name}: knee and ankle centres need the static trial")
    tracks: dict[str, FloatArray] = {}
    for s, side in SIDES:
        for joint, xyz in _side_points(path, ms, s, dyn, static).items():
            tracks[f"{side}_{joint}"] = xyz
    if ms.asis and ms.psis:
        a, p = ms.asis, ms.psis
        tracks["left_hip"], tracks["right_hip"] = harrington_hips(
            dyn[a.format(S="L")], dyn[a.format(S="R")], dyn[p.format(S="L")], dyn[p.format(S="R")]
        )
    names = tuple(k for k in KEYPOINTS if k in tracks)
    pos = np.stack([fill_gaps(tracks[n], max_gap_frames) for n in names], axis=1)
    meta = {
        "marker_set": ms.name,
        "hip_method": "harrington2007 (ASIS/PSIS)"
        if ms.asis
        else "static hip markers carried by pelvis cluster",
        "knee_ankle_method": "static lateral/medial midpoints carried by thigh/shank clusters (Kabsch)",
        "gaps_filled_up_to_frames": str(max_gap_frames),
    }
    series = KeypointSeries.from_arrays(pos, names, fps_hz=rate_hz, units="m", source=str(path))
    return series, meta

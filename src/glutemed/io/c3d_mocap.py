"""Motion capture (C3D) in: markers, force, joint centres and canonical keypoints for validation.

Reading uses ezc3d. Marker coordinates leave this module in metres in the project's lab frame: z UP, x
FORWARD (the runner's direction of travel, the treadmill's long axis), y LEFT. Labs store other frames
(Fukuchi 2017 and the Running Injury Clinic: Y vertical, mm), so the vertical axis is found from the data (the
axis along which pelvis markers sit farthest from foot markers) and the forward axis from the left-right marker
pairs (forward = left x up).

Joint centres (see ``joint_keypoints``):
- hip: Harrington et al. 2007 regression from ASIS/PSIS (pelvis width and depth) when the trial has those
  markers (Fukuchi); otherwise (RIC) the static trial's ``L_hip``/``R_hip`` markers, which sit over the greater
  trochanters, carried by the pelvis cluster and then moved a quarter of the inter-trochanter distance
  towards each other (``RIC_HIP_INSET``), the hip joint centre of the Running Injury Clinic's own 3D gait
  pipeline. Both points are rigid with the pelvis, so pelvic obliquity is the same either way.
- knee and ankle: midpoint of the lateral and medial markers of the static trial, carried onto every dynamic
  frame by the thigh (knee) and shank (ankle) cluster with a least-squares rigid fit (Kabsch / SVD).
- heel: the heel marker (Fukuchi ``Heel.Bottom``) or the heel-counter foot cluster centroid (RIC).
- toe: the first metatarsal head marker (Fukuchi ``MT1``); RIC has none, so no toe keypoint there.
Foot strikes come from the treadmill vertical force (see ``force_contacts``); for a trial without force (RIC)
see ``glutemed.core.mocap_truth.treadmill_contacts``.
"""

from __future__ import annotations

import os
import pickle
import re
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glutemed.core.series import KeypointSeries
from glutemed.io.c3d_joints import build_keypoints, force_contacts
from glutemed.io.errors import InputFileError
from glutemed.io.safe_read import check_regular, limit_bytes

FloatArray = NDArray[np.float64]
_UP_WORDS = ("asis", "psis", "pelvis", "iliac", "hip", "sacr")
_DOWN_WORDS = ("heel", "foot", "mt1", "mt5", "toe", "ankle")
# Running Injury Clinic (Calgary) 3D gait pipeline: each hip joint centre lies on the line between the two
# trochanter markers, a quarter of their distance in from its own side (its joint-kinematics step, published
# with the BMC-RIC running data, github.com/regifukuchi/BMC-RIC-running-biomechanics, functions/).
RIC_HIP_INSET = 0.25


@dataclass(frozen=True)
class C3DTrial:
    """One C3D file, markers in the file's own frame (metres), zeros turned into NaN."""

    path: Path
    labels: tuple[str, ...]
    points_m: FloatArray  # (frames, markers, 3)
    rate_hz: float
    force_n: FloatArray | None = None  # (samples, 3) summed over plates, file frame
    force_rate_hz: float | None = None
    meta: dict[str, str] = field(default_factory=dict)

    def marker(self, name: str) -> FloatArray:
        return self.points_m[:, self.labels.index(name), :]


@dataclass(frozen=True)
class MocapTrial:
    """A dynamic trial in the z-up lab frame with its canonical keypoints and force contacts."""

    keypoints: KeypointSeries  # metres, z up
    markers: dict[str, FloatArray]  # dynamic markers, metres, z up
    strike_times_s: FloatArray  # force-based foot strikes (empty without force)
    toe_off_times_s: FloatArray
    strike_sides: tuple[str, ...]  # "left" / "right" per strike
    vertical_force_n: FloatArray | None
    force_rate_hz: float | None
    meta: dict[str, str] = field(default_factory=dict)


def _check_size(path: Path) -> None:
    """Check a C3D file's header and parameter section against its size before ezc3d allocates anything.

    Refuses a device, FIFO or folder, a file over the ``c3d`` size cap, a header or parameter that points
    past the end of the file, a parameter whose dimensions ask for more bytes than the section holds, and a
    truncated file (which ezc3d would read silently with fewer frames).
    """
    size = check_regular(path, "C3D file").st_size
    if size == 0:
        raise InputFileError(path, "file is empty")
    cap = limit_bytes("c3d")
    if size > cap:
        raise InputFileError(path, f"{size} bytes is over the {cap} byte limit for a C3D file")
    with path.open("rb") as handle:
        head = handle.read(512)
        if len(head) < 512 or head[1] != 0x50:
            raise InputFileError(path, "not a C3D file (header key byte is not 0x50)")
        if head[0] < 2:
            raise InputFileError(
                path, f"corrupt header: parameter section at block {head[0]} (must be 2 or more)"
            )
        param_at = (head[0] - 1) * 512
        handle.seek(param_at)
        section = handle.read(4)
        if len(section) < 4:
            raise InputFileError(path, "file is truncated: the header points past the end to its parameters")
        n_blocks = section[2]
        proc = section[3] - 83
        if proc not in (1, 2, 3):
            raise InputFileError(path, f"corrupt parameter section (processor type byte {section[3]})")
        if n_blocks == 0 or param_at + 512 * n_blocks > size:
            raise InputFileError(
                path, f"corrupt or truncated: {n_blocks} parameter blocks at byte {param_at}, file has {size}"
            )
        section += handle.read(512 * n_blocks - 4)
    end = ">" if proc == 3 else "<"
    params = c3d_parameters(path, section, end)
    n_points, n_analog, first, last = struct.unpack(end + "4H", head[2:10])
    data_block = struct.unpack(end + "H", head[16:18])[0]
    scale_sign_byte = head[12] if end == ">" else head[15] if proc == 1 else head[13]
    word = 4 if scale_sign_byte & 0x80 else 2
    frames = last - first + 1
    if last == 65535 and "POINT:FRAMES" in params:  # long trials store the frame count as a parameter
        frames = params["POINT:FRAMES"]
    n_points = max(n_points, params.get("POINT:USED", 0))
    if frames <= 0:
        raise InputFileError(path, f"corrupt header: frame range {first}..{last} holds no frame")
    if data_block < 2 or (data_block - 1) * 512 > size:
        raise InputFileError(
            path, f"corrupt header: data section at block {data_block}, past the end of the file"
        )
    expected = (data_block - 1) * 512 + frames * (4 * n_points + n_analog) * word
    if size < expected:
        raise InputFileError(path, f"file is truncated: {size} bytes, header needs {expected}")


_PARAM_TYPES = {-1: 1, 1: 1, 2: 2, 4: 4}
_NAME = re.compile(
    rb"[A-Za-z0-9_ ]+"
)  # the C3D standard allows A-Z, 0-9 and _ in names  # C3D parameter type -> bytes per element


def c3d_parameters(path: Path, section: bytes, end: str) -> dict[str, int]:
    """Walk the parameter records of a C3D parameter ``section``; refuse any that points past its end.

    Returns the scalar integer parameters POINT:USED, POINT:FRAMES and ANALOG:USED when present.
    """
    groups: dict[int, str] = {}
    used: set[int] = set()
    found: dict[str, int] = {}
    pos, limit = 4, len(section)
    for _ in range(limit // 5 + 1):
        if pos + 2 > limit:
            break
        n_chars = abs(struct.unpack("b", section[pos : pos + 1])[0])
        ident = struct.unpack("b", section[pos + 1 : pos + 2])[0]
        if n_chars == 0 or ident == 0:
            break
        raw_name = section[pos + 2 : pos + 2 + n_chars]
        if not _NAME.fullmatch(raw_name):
            raise InputFileError(
                path, f"corrupt parameter section: record name {raw_name[:20]!r} at byte {pos}"
            )
        name = raw_name.decode("ascii").strip().upper()
        at = pos + 2 + n_chars
        if at + 2 > limit:
            raise InputFileError(path, f"corrupt parameter section: record {name!r} runs past its end")
        offset = struct.unpack(end + "h", section[at : at + 2])[0]
        body = at + 2
        if ident < 0:
            if -ident in groups:
                raise InputFileError(path, f"corrupt parameter section: group id {-ident} defined twice")
            groups[-ident] = name
        else:
            if body + 2 > limit:
                raise InputFileError(path, f"corrupt parameter {name!r}: runs past the parameter section")
            kind = struct.unpack("b", section[body : body + 1])[0]
            n_dims = section[body + 1]
            if kind not in _PARAM_TYPES or n_dims > 7:
                raise InputFileError(path, f"corrupt parameter {name!r} (type {kind}, {n_dims} dimensions)")
            dims = section[body + 2 : body + 2 + n_dims]
            n_bytes = _PARAM_TYPES[kind]
            for d in dims:
                n_bytes *= d
            data_at = body + 2 + n_dims
            if len(dims) < n_dims or data_at + n_bytes > limit:
                raise InputFileError(
                    path,
                    f"corrupt parameter {name!r}: its dimensions {tuple(dims)} ask for {n_bytes} bytes, "
                    f"the parameter section holds {max(0, limit - data_at)} more",
                )
            used.add(ident)
            key = f"{groups.get(ident, '?')}:{name}"
            if key in ("POINT:USED", "POINT:FRAMES", "ANALOG:USED") and n_dims == 0 and kind == 2:
                found[key] = struct.unpack(end + "H", section[data_at : data_at + 2])[0]
        if offset <= 0:
            break
        pos = at + offset
    orphans = sorted(used - set(groups))
    if orphans:
        raise InputFileError(
            path, f"corrupt parameter section: parameters of undefined group ids {orphans[:5]}"
        )
    return found


def _extract(path: Path) -> dict[str, Any]:
    """What glutemed uses of a C3D file, read by ezc3d: labels, points, unit, rates, plate forces."""
    import ezc3d  # adapter dependency, imported where used

    try:
        c3d = ezc3d.c3d(str(path), extract_forceplat_data=True)
        params = c3d["parameters"]["POINT"]
        plates = c3d["data"].get("platform", [])
        return {
            "labels": tuple(str(s).strip() for s in params["LABELS"]["value"]),
            "points": np.asarray(c3d["data"]["points"][:3], dtype=np.float64),
            "unit": str((params.get("UNITS", {}).get("value") or [""])[0]).strip().lower(),
            "rate": float(params["RATE"]["value"][0]),
            "forces": [np.asarray(p["force"], dtype=np.float64) for p in plates],
            "force_rate": float(c3d["header"]["analogs"]["frame_rate"]) if plates else None,
        }
    except OSError as exc:
        return {"error": f"cannot read C3D ({exc})"}
    except (RuntimeError, KeyError, IndexError, ValueError, TypeError) as exc:
        return {"error": f"not a readable C3D file ({type(exc).__name__}: {str(exc)[:200]})"}


def _extract_isolated(path: Path) -> dict[str, Any]:
    """:func:`_extract` in a forked child, so a crash inside the C library is an error, not a dead program."""
    if not hasattr(os, "fork"):  # pragma: no cover - no fork on Windows: read in-process
        return _extract(path)
    import ezc3d  # noqa: F401 - imported before the fork, so the child does not import it again

    with tempfile.TemporaryFile() as out:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; coverage does not follow it
            try:
                pickle.dump(_extract(path), out)
                out.flush()
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            raise InputFileError(
                path, f"the C3D reader crashed on it (signal {os.WTERMSIG(status)}): the file is damaged"
            )
        out.seek(0)
        try:
            payload: dict[str, Any] = pickle.load(out)
        except (EOFError, pickle.UnpicklingError):
            raise InputFileError(path, "the C3D reader stopped without an answer (out of memory?)") from None
    return payload


def read_c3d(path: str | Path) -> C3DTrial:
    """Read markers (to metres, zeros as NaN) and the summed force-platform force of a C3D file."""
    path = Path(path)
    _check_size(path)
    got = _extract_isolated(path)
    if "error" in got:
        raise InputFileError(path, got["error"])
    labels = got["labels"]
    pts = np.transpose(got["points"], (2, 1, 0))
    if pts.ndim != 3 or pts.shape[0] < 1 or not labels or pts.shape[1] != len(labels):
        raise InputFileError(path, "C3D file holds no marker frames (or fewer labels than markers)")
    pts[np.all(pts == 0.0, axis=2)] = np.nan
    unit = got["unit"]
    scale, unit_note = _unit_scale(pts, unit)
    meta = {"format": "c3d", "units_in_file": unit or "(empty)", "units_used": unit_note}
    force: FloatArray | None = None
    f_rate = got["force_rate"]
    if got["forces"]:
        try:
            force = np.sum([f.T for f in got["forces"]], axis=0)
        except ValueError:
            raise InputFileError(path, "force plates of different lengths") from None
        meta["force_plates"] = str(len(got["forces"]))
    rate = got["rate"]
    if not np.isfinite(rate) or rate <= 0:
        raise InputFileError(path, f"POINT:RATE must be a positive number, got {rate}")
    return C3DTrial(path, labels, pts * scale, rate, force, f_rate, meta)


def _unit_scale(pts: FloatArray, unit: str) -> tuple[float, str]:
    if unit == "mm":
        return 1e-3, "mm"
    if unit == "m":
        return 1.0, "m"
    extent = float(np.nanmedian(np.nanmax(pts, axis=1) - np.nanmin(pts, axis=1)))
    return (1e-3, "mm (guessed from a body extent of hundreds)") if extent > 10 else (1.0, "m (guessed)")


def lab_rotation(trial: C3DTrial, vertical_axis: str = "auto") -> FloatArray:
    """Rotation R (rows: forward, left, up in file coordinates); lab = file @ R.T."""
    axes = {"x": 0, "y": 1, "z": 2}
    centre = np.nanmedian(trial.points_m, axis=0)  # (markers, 3)
    low = [i for i, n in enumerate(trial.labels) if any(w in n.lower() for w in _DOWN_WORDS)]
    high = [i for i, n in enumerate(trial.labels) if any(w in n.lower() for w in _UP_WORDS)]
    if not low or not high:
        raise InputFileError(trial.path, "cannot find pelvis and foot markers to orient the lab frame")
    diff = np.nanmean(centre[high], axis=0) - np.nanmean(centre[low], axis=0)
    k = int(np.argmax(np.abs(diff))) if vertical_axis == "auto" else axes[vertical_axis.lstrip("+-")]
    up = np.zeros(3)
    up[k] = np.sign(diff[k]) or 1.0
    left = _left_direction(trial, centre)
    left = left - left.dot(up) * up
    left /= np.linalg.norm(left)
    forward = np.cross(left, up)
    return np.vstack([forward, left, up])


def _left_direction(trial: C3DTrial, centre: FloatArray) -> FloatArray:
    pairs = []
    for i, name in enumerate(trial.labels):
        if name[:2] in ("L.", "L_") and (mate := "R" + name[1:]) in trial.labels:
            pairs.append(centre[i] - centre[trial.labels.index(mate)])
    if not pairs:
        raise InputFileError(
            trial.path, "no left/right marker pairs (L.x/R.x or L_x/R_x) to find the lab's left"
        )
    vec = np.nanmean(np.asarray(pairs), axis=0)
    return np.asarray(vec / np.linalg.norm(vec))


def load_mocap(
    dynamic_path: str | Path,
    static_path: str | Path | None = None,
    *,
    vertical_axis: str = "auto",
    force_threshold_n: float = 50.0,
    max_gap_frames: int = 10,
) -> MocapTrial:
    """Read a dynamic (and static) trial and build z-up canonical keypoints and force-based contacts."""
    dyn = read_c3d(dynamic_path)
    rot = lab_rotation(dyn, vertical_axis)
    markers = {n: dyn.points_m[:, i, :] @ rot.T for i, n in enumerate(dyn.labels)}
    static = None
    if static_path is not None:
        st = read_c3d(static_path)
        static = {n: np.nanmean(st.points_m[:, i, :], axis=0) @ rot.T for i, n in enumerate(st.labels)}
    keypoints, kp_meta = build_keypoints(dyn.path, markers, static, dyn.rate_hz, max_gap_frames)
    if kp_meta.get("marker_set") == "ric-calgary":
        keypoints = _trochanters_to_hip_centres(keypoints)
        kp_meta["hip_method"] = (
            f"static trochanter markers carried by the pelvis cluster, moved {RIC_HIP_INSET:g} of the "
            "inter-trochanter distance medially (RIC 3D gait pipeline)"
        )
    meta = {
        **dyn.meta,
        **kp_meta,
        "frame": "x forward, y left, z up (m)",
        "rotation": str(rot.round(6).tolist()),
    }
    strikes = toe_offs = np.zeros(0)
    sides: tuple[str, ...] = ()
    f_up = None
    if dyn.force_n is not None and dyn.force_rate_hz:
        f_up = dyn.force_n @ rot[2]
        f_up = f_up if np.nanmedian(np.abs(f_up)) == 0 or np.nanmax(f_up) > -np.nanmin(f_up) else -f_up
        strikes, toe_offs = force_contacts(f_up, dyn.force_rate_hz, threshold_n=force_threshold_n)
        sides = _strike_sides(keypoints, strikes)
        meta["strike_source"] = f"vertical force crossing {force_threshold_n:g} N"
    return MocapTrial(
        keypoints.__class__(
            keypoints.times_s, keypoints.positions, keypoints.confidence, keypoints.names, "m",
            str(dyn.path), meta,
        ),
        markers, strikes, toe_offs, sides, f_up, dyn.force_rate_hz, meta,
    )  # fmt: skip


def _trochanters_to_hip_centres(kp: KeypointSeries) -> KeypointSeries:
    """Move the trochanter "hip" keypoints ``RIC_HIP_INSET`` of the way towards each other."""
    pos = kp.positions.copy()
    left, right = kp.index("left_hip"), kp.index("right_hip")
    across = pos[:, right] - pos[:, left]
    pos[:, left] = kp.positions[:, left] + RIC_HIP_INSET * across
    pos[:, right] = kp.positions[:, right] - RIC_HIP_INSET * across
    return kp.with_positions(pos)


def _strike_sides(kp: KeypointSeries, strike_times_s: FloatArray) -> tuple[str, ...]:
    """Side of each force strike: the heel that is lower at the strike (the other foot is in swing)."""
    left = np.interp(strike_times_s, kp.times_s, kp.xyz("left_heel")[:, 2])
    right = np.interp(strike_times_s, kp.times_s, kp.xyz("right_heel")[:, 2])
    return tuple("left" if lz < rz else "right" for lz, rz in zip(left, right, strict=True))

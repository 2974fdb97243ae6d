"""MediaPipe's native log lines stay off stderr (issue 12): they broke the progress bar."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glutemed.pose.quiet import native_stderr_silenced

from .conftest import clip_frames, write_video

NATIVE_LINES = (
    "Created TensorFlow Lite XNNPACK delegate",
    "All log messages before absl::InitializeLog()",
    "inference_feedback_manager.cc",
    "landmark_projection_calculator.cc",
    "W0000",
    "I0000",
)


def test_native_writes_are_dropped_but_python_stderr_shows(capfd: pytest.CaptureFixture[str]) -> None:
    with native_stderr_silenced():
        os.write(2, b"native line\n")
        with native_stderr_silenced():  # reentrant
            os.write(2, b"nested native line\n")
        print("python line", file=sys.stderr, flush=True)
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "native line" not in err
    assert "python line" in err
    assert "after" in err


def test_python_warnings_still_reach_the_terminal() -> None:
    script = (
        "import os, warnings\n"
        "from glutemed.pose.quiet import native_stderr_silenced\n"
        "with native_stderr_silenced():\n"
        "    os.write(2, b'native line\\n')\n"
        "    warnings.warn('a python warning')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "a python warning" in done.stderr
    assert "native line" not in done.stderr


@pytest.mark.slow
def test_analyze_video_prints_no_native_log_lines(tmp_path: Path) -> None:
    clip = write_video(tmp_path / "short.mp4", clip_frames(90), 30.0)
    env = {k: v for k, v in os.environ.items() if k not in ("GLOG_minloglevel", "TF_CPP_MIN_LOG_LEVEL")}
    env.pop("GLUTEMED_NATIVE_LOGS", None)
    done = subprocess.run(
        [sys.executable, "-m", "glutemed", "analyze", str(clip), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    leaked = [line for line in done.stderr.splitlines() if any(marker in line for marker in NATIVE_LINES)]
    assert leaked == [], leaked

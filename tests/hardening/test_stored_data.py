"""Issue 11, cases 2 and 7: a full disk never damages the logbook or leaves empty outputs; concurrent `log` runs
lose no entry; output paths are checked before the work; the questionnaire rescues its answers.

The full disk is ``RLIMIT_FSIZE`` in the child process: a write past the limit fails with EFBIG, exactly as a
write onto a full disk fails with ENOSPC, at the moment the new file grows past it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.hardening.conftest import EXAMPLES, ROOT, session_doc
from tests.hardening.harness import _BATCH as BATCH_SCRIPT
from tests.hardening.harness import assert_clean_failure, glutemed

from glutemed.services.intake_schema import LogbookIn, SessionIn

INTAKE = EXAMPLES / "female-lateral-hip-pain.yaml"


def _logbook(path: Path, n: int) -> bytes:
    book = LogbookIn(
        sessions=[SessionIn.model_validate(session_doc(f"2025-01-{i + 1:02d}")) for i in range(n)]
    )
    path.write_text(json.dumps(book.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    return path.read_bytes()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".part", ".part.png")))


def test_full_disk_leaves_the_logbook_untouched(tmp_path: Path) -> None:
    book = tmp_path / "logbook.json"
    before = _logbook(book, 12)
    session = tmp_path / "session.json"
    session.write_text(json.dumps(session_doc("2025-02-01")), encoding="utf-8")
    run = glutemed("log", session, "--logbook", book, cwd=tmp_path, fsize_bytes=len(before) + 100)
    assert_clean_failure(run, 1, "logbook.json", "could not be written", "the old file is untouched")
    assert book.read_bytes() == before
    assert len(json.loads(before)["sessions"]) == 12
    assert _leftovers(tmp_path) == []
    # With room on the disk the same command appends the thirteenth session.
    ok = glutemed("log", session, "--logbook", book, cwd=tmp_path)
    assert ok.code == 0, ok.stderr
    assert len(json.loads(book.read_text(encoding="utf-8"))["sessions"]) == 13


def test_concurrent_writers_lose_no_entry(tmp_path: Path) -> None:
    """Four real processes each run `glutemed log` 15 times on one logbook at once; every entry is kept."""
    book = tmp_path / "logbook.json"
    _logbook(book, 2)
    procs, expected = [], ["2025-01-01", "2025-01-02"]
    ready = tmp_path / "ready"  # all four start logging at the same moment, once imported (see harness)
    ready.mkdir()
    for p in range(4):
        cases = {}
        for i in range(15):
            date = f"2024-{p + 1:02d}-{i + 1:02d}"
            session = tmp_path / f"s{p}_{i}.json"
            session.write_text(json.dumps(session_doc(date)), encoding="utf-8")
            cases[date] = [str(tmp_path), ["log", str(session), "--logbook", str(book)]]
            expected.append(date)
        payload = tmp_path / f"cases{p}.json"
        payload.write_text(json.dumps(cases), encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-c", BATCH_SCRIPT, str(2**30)],
            stdin=payload.open("rb"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "READY_DIR": str(ready), "READY_COUNT": "4"},
        )
        procs.append(proc)
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert all(code == 0 for code, *_ in json.loads(out).values()), out[-2000:]
    dates = sorted(s["date"] for s in json.loads(book.read_text(encoding="utf-8"))["sessions"])
    assert dates == sorted(expected)


def test_full_disk_leaves_no_empty_calendar(tmp_path: Path) -> None:
    old = tmp_path / "plan.ics"
    old.write_text("BEGIN:VCALENDAR\nOLD\nEND:VCALENDAR\n", encoding="utf-8")
    run = glutemed(
        "program", INTAKE, "--ics", old, "--html", tmp_path / "h.html", cwd=tmp_path, fsize_bytes=200
    )
    assert_clean_failure(run, 1, "plan.ics", "the old file is untouched")
    assert old.read_text(encoding="utf-8") == "BEGIN:VCALENDAR\nOLD\nEND:VCALENDAR\n"
    assert not (tmp_path / "h.html").exists()
    assert _leftovers(tmp_path) == []


def test_full_disk_load_report(tmp_path: Path) -> None:
    fit = ROOT / "tests" / "data" / "activities" / "fitparse__garmin-fenix-5-run.fit"
    report = tmp_path / "load.html"
    run = glutemed("load", fit, "--report", report, cwd=tmp_path, fsize_bytes=1000)
    assert_clean_failure(run, 1, "load.html", "no file was written")
    assert not report.exists()
    assert _leftovers(tmp_path) == []


def test_out_is_checked_before_the_work(tmp_path: Path) -> None:
    """`--out` naming a file fails at once (the input does not even exist, so no work was started)."""
    existing = tmp_path / "result"
    existing.write_text("keep me", encoding="utf-8")
    run = glutemed("analyze", tmp_path / "missing.mp4", "--out", existing, cwd=tmp_path)
    assert_clean_failure(run, 2, "result", "not a folder")
    assert existing.read_text(encoding="utf-8") == "keep me"
    report = glutemed("analyze", tmp_path / "missing.trc", "--report", tmp_path, cwd=tmp_path)
    assert_clean_failure(report, 2, "is a folder")


def test_level_out_folder(tmp_path: Path) -> None:
    folder = tmp_path / "pics"
    folder.mkdir()
    run = glutemed("level", tmp_path / "missing.png", "--out", f"{folder}/", cwd=tmp_path)
    assert_clean_failure(run, 2, "pics", "is a folder")
    assert _leftovers(folder) == []
    assert _leftovers(tmp_path) == []


ANSWERS = "\n40\nfemale\n170\n60\n20\n3\n120\n" + "\n" * 120


def test_intake_onto_a_folder_fails_before_the_questions(tmp_path: Path) -> None:
    run = glutemed("intake", "new", tmp_path, "--force", cwd=tmp_path, stdin=ANSWERS)
    assert_clean_failure(run, 2, "is a folder")
    assert "Age" not in run.stdout


def test_questionnaire_rescues_answers_when_the_write_fails(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    good = glutemed(
        "intake", "new", tmp_path / "ok.yaml", cwd=tmp_path, stdin=ANSWERS, env={"HOME": str(home)}
    )
    assert good.code == 0, good.stderr
    size = (tmp_path / "ok.yaml").stat().st_size
    # The intake file (a comment line and the answers) no longer fits; the rescue copy (answers only) does.
    run = glutemed(
        "intake", "new", tmp_path / "lost.yaml", cwd=tmp_path, stdin=ANSWERS, fsize_bytes=size - 1,
        env={"HOME": str(home)},
    )  # fmt: skip
    assert_clean_failure(run, 1, "lost.yaml", "your answers are saved in")
    assert not (tmp_path / "lost.yaml").exists()
    rescued = list(home.glob("glutemed-intake-*.yaml"))
    assert len(rescued) == 1
    assert str(rescued[0]) in run.stderr.replace("\n", "")
    from glutemed.services.intake_schema import load_intake

    assert load_intake(rescued[0]).runner.mass_kg == 60


@pytest.mark.parametrize("target", ["/dev/full", "/dev/null"])
def test_logbook_device_refused(tmp_path: Path, target: str) -> None:
    session = tmp_path / "s.json"
    session.write_text(json.dumps(session_doc()), encoding="utf-8")
    run = glutemed("log", session, "--logbook", target, cwd=tmp_path, timeout_s=60)
    assert_clean_failure(run, 2, target, "not a regular file")

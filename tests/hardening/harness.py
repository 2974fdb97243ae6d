"""Run glutemed commands in a child process under resource limits and report exit code, output and peak memory.

Each case runs the real command line (``glutemed.cli.app.main``, the entry point of the installed script) in
its own Python process with ``RLIMIT_AS`` (address space, default 1 GiB) and optionally ``RLIMIT_FSIZE`` (the
largest file the process may write: a full disk in miniature). The child reports its peak resident memory
on exit, so a test can assert it stayed under 1 GB. The peak is the kernel's ``VmHWM`` of the child's own
address space: ``ru_maxrss`` survives ``execve`` and so reports the *parent's* peak when the parent (a long
pytest run past 1 GB) started the child with vfork.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

GiB = 1024**3
_CHILD = r"""
import atexit, resource, sys
def _hwm_kb():
    with open("/proc/self/status") as f:
        return int(next(ln.split()[1] for ln in f if ln.startswith("VmHWM:")))
as_limit, fsize_limit = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))
if fsize_limit > 0:
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_limit, fsize_limit))
atexit.register(
    lambda: sys.stderr.write(f"\nPEAK_RSS_KB={_hwm_kb()}\n")
)
sys.argv = ["glutemed", *sys.argv[3:]]
from glutemed.cli.app import main
main()
"""


_BATCH = r"""
import atexit, contextlib, io, json, os, resource, sys
def _hwm_kb():
    with open("/proc/self/status") as f:
        return int(next(ln.split()[1] for ln in f if ln.startswith("VmHWM:")))
as_limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))
cases = json.loads(sys.stdin.read())
from glutemed.cli.app import main
import time
ready = os.environ.get("READY_DIR")
if ready:  # a barrier: concurrent batches start their cases together, once all have imported glutemed
    open(os.path.join(ready, str(os.getpid())), "w").close()
    deadline = time.time() + 300
    while len(os.listdir(ready)) < int(os.environ["READY_COUNT"]) and time.time() < deadline:
        time.sleep(0.01)
results = {}
for name, (cwd, args) in cases.items():
    os.chdir(cwd)
    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["glutemed", *args]
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:
            import traceback
            traceback.print_exc()
            code = -1
    peak = _hwm_kb()
    results[name] = [code, out.getvalue(), err.getvalue(), peak / 1024]
sys.__stdout__.write(json.dumps(results))
"""


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    peak_mb: float

    @property
    def error_lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.strip() and not ln.startswith("PEAK_RSS_KB=")]


def glutemed(
    *args: str | Path,
    cwd: Path,
    memory_bytes: int = GiB,
    fsize_bytes: int = 0,
    stdin: str | None = None,
    timeout_s: float = 120,
    env: dict[str, str] | None = None,
) -> Run:
    """Run ``glutemed ARGS`` in a limited child process."""
    child_env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "COLUMNS": "200",
        "NO_COLOR": "1",
        **(env or {}),
    }
    child_env.pop("GLUTEMED_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(memory_bytes), str(fsize_bytes), *map(str, args)],
        cwd=cwd,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=child_env,
        check=False,
    )
    found = re.findall(r"PEAK_RSS_KB=(\d+)", proc.stderr)
    peak_mb = int(found[-1]) / 1024 if found else float("nan")
    return Run(proc.returncode, proc.stdout, proc.stderr, peak_mb)


def glutemed_batch(
    cases: dict[str, tuple[Path, list[str | Path]]], *, memory_bytes: int = GiB, timeout_s: float = 300
) -> dict[str, Run]:
    """Run many ``glutemed`` command lines, one after the other, in ONE limited child process.

    Saves the start-up of a process per case. Peak memory is the process's peak after each case, so it bounds
    that case's own peak from above (cases run in the given order).
    """
    import json

    payload = {name: [str(cwd), [str(a) for a in args]] for name, (cwd, args) in cases.items()}
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    env.pop("GLUTEMED_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-c", _BATCH, str(memory_bytes)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    raw = json.loads(proc.stdout)
    return {name: Run(code, out, err, peak) for name, (code, out, err, peak) in raw.items()}


def assert_clean_failure(run: Run, code: int, *needles: str) -> None:
    """Exit ``code``, one error line naming what went wrong, no traceback, peak memory under 1 GB."""
    assert run.code == code, (run.code, run.stderr[-2000:])
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    errors = [ln for ln in run.error_lines if ln.startswith("error:")]
    assert len(errors) == 1, run.stderr[-2000:]
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    assert len(errors[0]) < 1000, errors[0][:200]
    assert run.peak_mb < 1024, run.peak_mb

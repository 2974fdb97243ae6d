"""``make fuzz``: at least N generated inputs per reader, each reader in its own memory-capped process.

    python -m tests.fuzz.run [--count 10000] [--memory-mb 1024] [--jobs 2] [--only trc,gpx]

Per reader, a child process limits its address space (``RLIMIT_AS``), then runs ``--count`` inputs: half
mutated (AFL-style byte mutations of valid seeds), half Hypothesis-generated and format-aware. Inputs that
crash (an undocumented exception), hang (over ``TIME_LIMIT_S``) or kill the child (a native crash, the memory
cap) are saved in ``tests/fuzz/corpus/<reader>/`` and replayed by the test suite. Exit status 1 when anything
was found.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.fuzz.engine import CORPUS, check, mutate, save_crash, structured
from tests.fuzz.targets import TARGETS, Target

from glutemed.batch.runner import peak_rss_mb


def _child(target: Target, count: int, seed: int, scratch: Path) -> dict[str, object]:
    from hypothesis import HealthCheck, Phase, given, settings

    rng = random.Random(seed)
    seeds = target.seeds()
    pool = list(seeds)
    failures: list[str] = []
    current = scratch / "current.bin"

    def one(data: bytes) -> None:
        current.write_bytes(data)
        problem = check(target, data, scratch)
        if problem:
            failures.append(f"{save_crash(target, data)}: {problem.splitlines()[0]}")

    n_mutated = count - count // 2
    for _ in range(n_mutated):
        data = mutate(rng, rng.choice(pool), seeds)
        one(data)
        if len(pool) < 200 and rng.random() < 0.02:
            pool.append(data)
    generated = [0]

    @settings(
        max_examples=count // 2,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(structured(target))
    def prop(data: bytes) -> None:
        generated[0] += 1
        one(data)

    prop()
    return {
        "target": target.name,
        "mutations": n_mutated,
        "hypothesis": generated[0],
        "failures": failures,
        "peak_mb": peak_rss_mb() * 1e3 / 1024,
    }


def _start(name: str, args: argparse.Namespace) -> tuple[str, subprocess.Popen[bytes], Path, float]:
    scratch = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
    cmd = [sys.executable, "-m", "tests.fuzz.run", "--child", name, "--count", str(args.count)]
    cmd += ["--memory-mb", str(args.memory_mb), "--seed", str(args.seed)]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "FUZZ_SCRATCH": str(scratch)}
    with (scratch / "out.json").open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
    return name, proc, scratch, time.time()


def _finish(name: str, proc: subprocess.Popen[bytes], scratch: Path, began: float, memory_mb: int) -> bool:
    """Print the reader's summary; True when it found something."""
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    try:
        report = json.loads((scratch / "out.json").read_text())
    except ValueError:
        crash = CORPUS / name / f"child-died-{int(time.time())}.bin"
        crash.parent.mkdir(parents=True, exist_ok=True)
        if (scratch / "current.bin").exists():
            shutil.copy(scratch / "current.bin", crash)
        print(f"{name:15s} CHILD DIED (exit {proc.returncode}); last input kept in {crash}\n{err[-1500:]}")
        return True
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    fails = report["failures"]
    print(
        f"{name:15s} {report['mutations']:6d} mutated + {report['hypothesis']:6d} generated inputs, "
        f"peak {report['peak_mb']:6.0f} MB, {time.time() - began:6.0f} s, {len(fails)} failures",
        flush=True,
    )
    for line in fails[:10]:
        print(f"    {line}")
    return bool(fails) or report["peak_mb"] > memory_mb


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", default="")
    parser.add_argument("--child", default="")
    args = parser.parse_args()
    if args.child:
        limit = args.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        scratch = Path(os.environ["FUZZ_SCRATCH"])
        print(json.dumps(_child(TARGETS[args.child], args.count, args.seed, scratch)))
        return 0
    names = [n for n in (args.only.split(",") if args.only else TARGETS) if n]
    waiting, running, bad = list(names), [], 0
    start = time.time()
    while waiting or running:
        while waiting and len(running) < args.jobs:
            running.append(_start(waiting.pop(0), args))
        time.sleep(0.5)
        for item in [r for r in running if r[1].poll() is not None]:
            running.remove(item)
            bad += _finish(*item, args.memory_mb)
    print(
        f"fuzz: {len(names)} readers in {time.time() - start:.0f} s, {'FAILED' if bad else 'clean'}",
        flush=True,
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

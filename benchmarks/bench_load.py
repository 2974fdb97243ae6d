"""Benchmark: `import_history` on N FIT files against bare fitdecode reading the same files.

The files are copies of the real run FIT files of the shared activity history (or of tests/data/activities
when the shared data are absent), repeated until there are N of them (default 1,000), in a temporary folder.
Prints both wall times and their ratio; the target of issue 6 is a ratio of at most 1.25.

    .venv/bin/python benchmarks/bench_load.py [N]
"""

from __future__ import annotations

import csv
import shutil
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import fitdecode

from glutemed.services.load import import_history

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT.parent / "shared" / "data" / "activities" / "real" / "history"
FALLBACK = ROOT / "tests" / "data" / "activities"
TARGET_RATIO = 1.25


def run_files() -> list[Path]:
    manifest = HISTORY / "rds_fit_manifest.csv"
    if manifest.exists():
        with manifest.open(encoding="utf-8") as fh:
            return [
                HISTORY / "rds_fit" / r["file"]
                for r in csv.DictReader(fh)
                if r["sport"].startswith("running")
            ]
    return sorted(FALLBACK.glob("*run*.fit")) + sorted(FALLBACK.glob("2020-*.fit"))


def bare_fitdecode(files: list[Path]) -> int:
    frames = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            with fitdecode.FitReader(path) as reader:
                for _frame in reader:
                    frames += 1
    return frames


TEN_YEARS_OF_RUNS = 2600  # five runs a week for ten years


def peak_import_mb(folder: Path, files: list[Path], count: int) -> float:
    """Peak Python heap while importing the first ``count`` files (traced, so slower than the timed run)."""
    subset = folder / f"subset_{count}"
    subset.mkdir()
    for path in files[:count]:
        (subset / path.name).symlink_to(path)
    tracemalloc.start()
    import_history(subset)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def memory_check(folder: Path, files: list[Path]) -> None:
    """Bounded memory: the heap grows only by the small per-session record, not by file size."""
    small, large = 50, min(250, len(files))
    peak_small = peak_import_mb(folder, files, small)
    peak_large = peak_import_mb(folder, files, large)
    per_file_kb = 1000 * (peak_large - peak_small) / (large - small)
    projected = peak_small + per_file_kb * (TEN_YEARS_OF_RUNS - small) / 1000
    print(
        f"peak heap: {peak_small:.1f} MB for {small} files, {peak_large:.1f} MB for {large} files "
        f"({per_file_kb:.1f} kB per file); projected for {TEN_YEARS_OF_RUNS} runs (ten years): {projected:.0f} MB"
    )


def main() -> int:
    """Run the benchmark; 1 when the ratio misses the target (for `make bench`), else 0."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    sources = run_files()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(n):
            src = sources[i % len(sources)]
            shutil.copy(src, folder / f"{i:05d}_{src.name}")
        files = sorted(folder.glob("*.fit"))
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        t0 = time.perf_counter()
        frames = bare_fitdecode(files)
        bare_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = import_history(folder)
        import_s = time.perf_counter() - t0
        memory_check(folder, files)
    ratio = import_s / bare_s
    print(f"{n} FIT files ({len(sources)} distinct run files, {size_mb:.1f} MB, {frames} frames)")
    print(f"bare fitdecode: {bare_s:.2f} s")
    print(f"import_history: {import_s:.2f} s ({len(report.runs)} runs after de-duplication)")
    print(f"ratio: {ratio:.3f} (target <= {TARGET_RATIO})")
    return int(ratio > TARGET_RATIO)


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`: run every benchmarks/bench_*.py script's main() in turn.

Each benchmark measures its target and a baseline in the same run and prints the ratio, so results compare
across noisy machines.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    failures = 0
    for script in sorted(here.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(script.stem, script)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {script.name}", flush=True)
        result = module.main()
        failures += int(bool(result))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

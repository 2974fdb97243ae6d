"""Benchmark: the clinic web app's busiest pages under 50 concurrent clients, against the same pages as static files.

A clinic of 200 runners and 1,000 assessments (five per runner, each with its intake and draft program) is
seeded through the repositories: one real gait analysis of the bundled keypoints, run by the real job worker,
and its rows copied by bulk inserts. The app runs as `glutemed serve` (uvicorn) in its own process on 127.0.0.1 (SQLite in a temporary
folder, then PostgreSQL from a throw-away cluster of Debian's ``postgresql`` package). 50 concurrent clients
(httpx AsyncClient, each signed in as the clinician) fetch the dashboard, a runner page and an assessment
report page; the same pages, saved once as HTML, are then served by a static file server (Python's
``http.server``, threaded) in the same run as the baseline. Prints p50/p95 per page; the target of issue 13 is
a p95 under 150 ms on a 2-core machine.

    .venv/bin/python benchmarks/bench_web.py [REQUESTS_PER_PAGE [WEB_PROCESSES]]

Measured 2026-12-06 on the shared 2-core machine (other sessions running), 500 requests per page, p50 / p95 ms,
`glutemed serve` with its default of 2 web processes; before the stored summaries (migration 0003) and the
paged dashboard, the dashboard's p95 was 11.7 s on SQLite and 9.5 s on PostgreSQL:

                      dashboard          runner           report
    SQLite         533 / 1135        677 / 1060       242 /  461
    PostgreSQL     878 / 1590       1059 / 1647       369 /  718
    static files   186 /  420        179 /  357       183 /  356

p95 against the static page: SQLite 2.7x, 3.0x, 1.3x; PostgreSQL 3.8x, 4.6x, 2.0x. The target is missed here:
the clients, the server and other work share two cores (even the static p95 is 0.4 s). docs/web.md has the
`--workers 1` run and the per-request times.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, make_url, select

from glutemed.cli.serve import web_processes
from glutemed.db import accounts, queue, records
from glutemed.db.devcluster import PostgresMissingError, TempCluster
from glutemed.db.engine import Database, open_database
from glutemed.db.migrate import upgrade
from glutemed.db.models import Assessment, Intake, ProgramRecord, Runner
from glutemed.db.storage import FileStore
from glutemed.db.summaries import assessment_summary
from glutemed.services.demo import DEMO_INTAKE, demo_dir
from glutemed.services.intake_schema import load_intake
from glutemed.services.jobs import Worker

ROOT = Path(__file__).resolve().parents[1]
POSE_JSON = ROOT / "tests" / "data" / "video" / "male_side_treadmill" / "male_side.pose.json"
RUNNERS = 200
ASSESSMENTS = 1000
CLIENTS = 50
TARGET_P95_MS = 150.0
EMAIL, PASSWORD = "bench@clinic.test", "benchmark password"
# idle connections closed by the client before uvicorn's 5 s keep-alive ends them (no request lost in the race)
LIMITS = httpx.Limits(keepalive_expiry=2.0)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed(database: Database, data_dir: Path) -> dict[str, int]:
    """The clinic: one real analysis by the worker, then its rows copied to 200 runners by bulk inserts."""
    store = FileStore(data_dir)
    intake = load_intake(demo_dir() / DEMO_INTAKE).model_dump(mode="json", exclude_none=True)
    stored = store.save_file(POSE_JSON)
    with database.write() as s:
        clinic = accounts.create_clinic(s, "Benchmark clinic")
        clinician = accounts.create_user(
            s, email=EMAIL, display_name="Bench", password=PASSWORD, role="clinician", clinic_id=clinic.id
        )
        first = records.create_runner(s, clinic_id=clinic.id, name="Runner 000")
        records.add_intake(s, first.id, intake, created_by=clinician.id)
        upload = records.add_upload(
            s,
            runner_id=first.id,
            sha256=stored.sha256,
            original_name=POSE_JSON.name,
            kind="keypoints",
            size_bytes=stored.size_bytes,
            storage_path=stored.relative_path,
            view="side",
            created_by=clinician.id,
        )
        queue.enqueue(
            s,
            kind="analyze",
            runner_id=first.id,
            created_by=clinician.id,
            payload={"upload_ids": [upload.id], "report": True},
        )
        ids = {"clinic": clinic.id, "clinician": clinician.id, "first": first.id}
    Worker(database, store, poll_s=0.05).run(once=True)
    with database.write() as s:
        real = s.scalars(
            select(Assessment).where(Assessment.runner_id == first.id, Assessment.gait_result.is_not(None))
        ).first()
        program = s.scalars(select(ProgramRecord).where(ProgramRecord.runner_id == first.id)).first()
        assert real is not None, "the seed analysis wrote no assessment"
        assert program is not None, "the seed analysis wrote no program"
        others = s.scalars(
            insert(Runner).returning(Runner.id),
            [{"clinic_id": clinic.id, "name": f"Runner {i:03d}"} for i in range(1, RUNNERS)],
        )
        runner_ids = [first.id, *others]
        s.execute(
            insert(Intake),
            [{"runner_id": r, "data": intake, "created_by": clinician.id} for r in runner_ids[1:]],
        )
        have = len(s.scalars(select(Assessment.id)).all())
        per_runner = -(-(ASSESSMENTS - have) // RUNNERS)
        summary = assessment_summary(real.gait_result, real.assessment).columns()
        rows = [
            {
                "runner_id": r,
                "gait_result": real.gait_result,
                "assessment": real.assessment,
                "files": real.files,
                "intake_id": None,
                **summary,  # what records.add_assessment stores next to the documents
            }
            for r in runner_ids
            for _ in range(per_runner)
        ][: ASSESSMENTS - have]
        new_ids = list(s.scalars(insert(Assessment).returning(Assessment.id), rows))
        s.execute(
            insert(ProgramRecord),
            [
                {
                    "runner_id": row["runner_id"],
                    "assessment_id": aid,
                    "data": program.data,
                    "files": program.files,
                }
                for row, aid in zip(rows, new_ids, strict=True)
            ],
        )
        ids |= {"runner": runner_ids[RUNNERS // 2], "assessment": real.id}
        assert len(s.scalars(select(Assessment.id)).all()) == ASSESSMENTS
    return ids


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Serving:
    """Run ``serve_forever``-style servers in a thread; ``stop`` ends them."""

    def __init__(self, run: Callable[[], None], stop: Callable[[], None]) -> None:
        self._stop = stop
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop()
        self.thread.join(timeout=30)


def serve_app(url: str, data_dir: Path, processes: int = 0) -> tuple[str, subprocess.Popen[bytes]]:
    """`glutemed serve` in its own process (as a clinic runs it; the clients here do not share its GIL)."""
    port = free_port()
    log = (data_dir / "serve.log").open("wb")
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "glutemed", "serve", "--host", "127.0.0.1", "--port", str(port)),
            *("--database-url", url, "--data-dir", str(data_dir), "--no-demo", "--no-worker"),
            *(("--workers", str(processes)) if processes else ()),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "GLUTEMED_SECRET_KEY": "benchmark-secret-key-" + "x" * 20},
    )
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/sign-in", timeout=5).status_code == 200:
                return base, server
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            stop_process(server)
            raise RuntimeError(f"glutemed serve did not start; see {data_dir / 'serve.log'}")
        time.sleep(0.2)


def stop_process(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def serve_static(folder: Path) -> tuple[str, Serving]:
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = Threading(("127.0.0.1", 0), handler)
    running = Serving(server.serve_forever, server.shutdown)
    return f"http://127.0.0.1:{server.server_address[1]}", running


class Threading(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # 50 clients connect at once: the default backlog of 5 drops their SYNs


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


async def signed_in(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False, limits=LIMITS)
    page = await client.get("/sign-in")
    found = CSRF.search(page.text)
    assert found, "no CSRF token on the sign-in page"
    answer = await client.post(
        "/sign-in", data={"email": EMAIL, "password": PASSWORD, "csrf_token": found.group(1)}
    )
    assert answer.status_code == 303, answer.text[:300]
    return client


async def load(clients: list[httpx.AsyncClient], path: str, requests: int) -> list[float]:
    """``requests`` GETs of ``path`` spread over the clients, all clients at once; latencies in ms."""
    latencies: list[float] = []

    async def one_client(client: httpx.AsyncClient, count: int) -> None:
        for _ in range(count):
            t0 = time.perf_counter()
            answer = await client.get(path)
            latencies.append(1000 * (time.perf_counter() - t0))
            assert answer.status_code == 200, (path, answer.status_code)

    share = [requests // len(clients) + (i < requests % len(clients)) for i in range(len(clients))]
    await asyncio.gather(*(one_client(c, n) for c, n in zip(clients, share, strict=True)))
    return latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def measure(
    base: str, pages: dict[str, str], requests: int, *, sign_in: bool
) -> dict[str, list[float]]:
    if sign_in:  # one clinician with 50 tabs open: one sign-in (Argon2 is slow by design), its cookie shared
        first = await signed_in(base)
        clients = [first] + [
            httpx.AsyncClient(base_url=base, timeout=60, cookies=first.cookies, limits=LIMITS)
            for _ in range(CLIENTS - 1)
        ]
    else:
        clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(CLIENTS)]
    try:
        out = {}
        for name, path in pages.items():
            await load(clients, path, CLIENTS)  # warm-up: every connection open, caches filled
            out[name] = await load(clients, path, requests)
        return out
    finally:
        for client in clients:
            await client.aclose()


async def save_pages(base: str, pages: dict[str, str], folder: Path) -> dict[str, str]:
    client = await signed_in(base)
    try:
        static = {}
        for name, path in pages.items():
            answer = await client.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
            (folder / f"{name}.html").write_bytes(answer.content)
            static[name] = f"/{name}.html"
        return static
    finally:
        await client.aclose()


def run_database(
    label: str, url: str, tmp: Path, requests: int, processes: int = 0
) -> tuple[dict[str, list[float]], Path]:
    data_dir = tmp / label
    data_dir.mkdir()
    database = open_database(url, pool_size=10, max_overflow=10)
    upgrade(database.engine)
    t0 = time.perf_counter()
    ids = seed(database, data_dir)
    print(
        f"{label}: seeded {RUNNERS} runners and {ASSESSMENTS} assessments in {time.perf_counter() - t0:.1f} s"
    )
    database.dispose()
    base, server = serve_app(url, data_dir, processes)
    pages = {
        "dashboard": "/dashboard",
        "runner": f"/runners/{ids['runner']}",
        "report": f"/assessments/{ids['assessment']}",
    }
    static_dir = tmp / f"{label}-static"
    static_dir.mkdir()
    try:
        asyncio.run(save_pages(base, pages, static_dir))
        results = asyncio.run(measure(base, pages, requests, sign_in=True))
    finally:
        stop_process(server)
    return results, static_dir


def main() -> int:
    """Run the benchmark; 1 when a page's p95 misses the target on either database (for `make bench`), else 0."""
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else 0  # 0: `glutemed serve`'s default
    shown = web_processes(make_url("sqlite:///bench.db"), processes or None)
    table: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        table["SQLite"], static_dir = run_database(
            "sqlite", f"sqlite:///{tmp / 'bench.db'}", tmp, requests, processes
        )
        try:
            cluster = TempCluster.start(max_connections=60)
        except PostgresMissingError as exc:
            print(f"PostgreSQL: skipped ({exc})")
        else:
            with cluster:
                table["PostgreSQL"], _ = run_database(
                    "postgresql", cluster.create_database("bench"), tmp, requests, processes
                )
        base, server = serve_static(static_dir)
        try:
            pages = {name: f"/{name}.html" for name in table["SQLite"]}
            table["static files"] = asyncio.run(measure(base, pages, requests, sign_in=False))
        finally:
            server.stop()
    print(
        f"{CLIENTS} concurrent clients, {requests} requests per page; "
        f"{RUNNERS} runners, {ASSESSMENTS} assessments; `glutemed serve` with {shown} web process(es) "
        f"on {os.cpu_count()} CPU cores"
    )
    print(f"{'':14}" + "".join(f"{name:>22}" for name in table["SQLite"]))
    print(f"{'':14}" + "".join(f"{'p50 / p95 ms':>22}" for _ in table["SQLite"]))
    missed = False
    for label, pages_ms in table.items():
        cells = ""
        for values in pages_ms.values():
            cells += f"{statistics.median(values):>13.1f} / {p95(values):>6.1f}"
            missed |= label != "static files" and p95(values) > TARGET_P95_MS
        print(f"{label:14}{cells}")
    static = table["static files"]
    for label, pages_ms in table.items():
        if label != "static files":
            ratios = ", ".join(f"{name} {p95(v) / p95(static[name]):.1f}x" for name, v in pages_ms.items())
            print(f"p95 against the same page as a static file, {label}: {ratios}")
    print(f"target: p95 < {TARGET_P95_MS:.0f} ms on the app pages: {'missed' if missed else 'met'}")
    return int(missed)


if __name__ == "__main__":
    sys.exit(main())

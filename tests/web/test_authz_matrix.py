"""The authorisation matrix: every route and API endpoint, for anonymous, runner A, runner B, the clinician of
clinic 1, the clinician of clinic 2 and the admin. Nobody reads or changes a record they do not own.

Each route of the app is classified below (a new route fails the first test until it is). Reads are tried on
runner A's records (clinic 1) and on runner C's (clinic 2): the owner's side answers 200, everyone else 401,
403 or 404 with none of the record's content in the body. Changes are tried by everyone who must not make
them, with a valid CSRF token (so only the access rule can refuse them): each is refused and no row, program
state or stored file changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.web.conftest import World

from glutemed.services.demo import DEMO_INTAKE as DEMO_INTAKE_FILE
from glutemed.services.demo import demo_dir
from glutemed.services.intake_schema import load_intake

DEMO_INTAKE = load_intake(demo_dir() / DEMO_INTAKE_FILE).model_dump(mode="json", exclude_none=True)

ROLES = ("anonymous", "runnerA", "runnerB", "clin1", "clin2", "admin")
DENIED = (401, 403, 404)
SECRETS_A = ("Alice Aardvark",)
SECRETS_C = ("Carol Cormorant",)


def walk(routes: Any, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for route in routes:
        if hasattr(route, "original_router"):
            context = getattr(route, "include_context", None)
            out += walk(route.original_router.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif getattr(route, "methods", None):
            out += [(m, prefix + route.path) for m in sorted(route.methods) if m != "HEAD"]
    return out


# (method, path) -> how it is tested. "public": no record behind it; "self": the signed-in user's own account.
READS = {
    "/runners/{runner_id}": "runner",
    "/runners/{runner_id}/intake": "runner-staff",
    "/runners/{runner_id}/tests": "runner-staff",
    "/jobs/{job_id}": "job",
    "/jobs/{job_id}/progress": "job",
    "/assessments/{assessment_id}": "assessment",
    "/assessments/{assessment_id}/files/{name:path}": "assessment-file",
    "/assessments/{assessment_id}/assessment.json": "assessment",
    "/load-reports/{report_id}": "load",
    "/load-reports/{report_id}/files/{name:path}": "load-file",
    "/programs/{program_id}": "program",
    "/programs/{program_id}/download/{fmt}": "program-download",
    "/api/v1/runners/{runner_id}": "runner",
    "/api/v1/jobs/{job_id}": "job",
    "/api/v1/assessments/{assessment_id}": "assessment",
    "/api/v1/programs/{program_id}": "program",
    "/api/v1/load-reports/{report_id}": "load",
    "/runners/{runner_id}/feed": "runner",
    "/api/v1/runners/{runner_id}/feed": "runner",
    "/runners/{runner_id}/today": "runner",  # the runner portal: tests/web/test_portal_pages.py
    "/runners/{runner_id}/log/session": "runner-own",
    "/runners/{runner_id}/log/run": "runner-own",
    "/runners/{runner_id}/logs/{log_id}": "portal-log",
    "/api/v1/portal/runners/{runner_id}/today": "runner",
    "/api/v1/portal/runners/{runner_id}/logs": "runner",
    "/api/v1/portal/runners/{runner_id}/logs/{log_id}": "portal-log",
    "/runners/{runner_id}/records": "runner",
    "/runners/{runner_id}/export.json": "runner",
    "/api/v1/runners/{runner_id}/export": "runner",
}
LISTS = {
    "/dashboard": "staff",
    "/api/v1/dashboard": "staff",
    "/api/v1/runners": "signed-in",
    "/admin": "admin",
    "/runners/new": "staff",
    "/api/v1/me": "signed-in",
    "/today": "runner-own",
    "/account/password": "signed-in",
}
READS |= {"/runners/{runner_id}/progress": "runner", "/api/v1/runners/{runner_id}/progress": "runner"}
LISTS |= {"/attention": "staff", "/api/v1/attention": "staff"}  # scoping: tests/web/test_monitoring_web.py
PUBLIC_GET = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/", "/sign-in", "/invite/{token}"}
PUBLIC_GET |= {"/portal/figures/{exercise_id}.svg"}  # the handout's exercise figures: no record behind them
PUBLIC_GET |= {"/feeds/{token}.ics"}  # the secret token is the key (test_feeds; a guessed one below)
WRITES = {
    "/runners/{runner_id}/invitations": "runner",
    "/runners/{runner_id}/intake": "runner",
    "/runners/{runner_id}/tests": "runner",
    "/runners/{runner_id}/uploads/{purpose}": "runner-upload",
    "/api/v1/runners/{runner_id}/uploads/{purpose}": "runner-upload",
    "/api/v1/runners/{runner_id}/intakes": "runner-json",
    "/api/v1/runners/{runner_id}/tests": "runner-json",
    "/jobs/{job_id}/retry": "job",
    "/api/v1/jobs/{job_id}/retry": "job-json",
    "/programs/{program_id}/review": "program",
    "/api/v1/programs/{program_id}": "program-json",
    "/admin/clinics": "admin",
    "/admin/users": "admin",
    "/admin/users/{user_id}/active": "admin",
    "/runners/new": "staff",
    "/api/v1/runners": "staff-json",
    "/runners/{runner_id}/feed": "runner-self",
    "/runners/{runner_id}/feed/revoke": "runner-self",
    "/api/v1/runners/{runner_id}/feed": "runner-self",
    "/runners/{runner_id}/log/session": "runner-own",  # only the runner logs their own training
    "/runners/{runner_id}/log/run": "runner-own",
    "/runners/{runner_id}/logs/{log_id}/morning": "runner-own",
    "/api/v1/portal/runners/{runner_id}/sessions": "runner-own",
    "/api/v1/portal/runners/{runner_id}/runs": "runner-own",
    "/api/v1/portal/runners/{runner_id}/logs/{log_id}/morning": "runner-own",
    "/runners/{runner_id}/records/import": "runner-self",
    "/api/v1/runners/{runner_id}/logbook": "runner-self",
    "/runners/{runner_id}/erasure-request": "runner-self",
    "/api/v1/runners/{runner_id}/erasure-request": "runner-self",
    "/runners/{runner_id}/erasure": "runner",
    "/api/v1/runners/{runner_id}/erasure": "runner-json",
}
WRITES |= {  # overrides by the wrong clinic, a runner, anonymous: tests/web/test_monitoring_web.py
    "/decisions/{decision_id}/override": "decision",
    "/api/v1/decisions/{decision_id}/override": "decision-json",
}
PUBLIC_POST = {"/sign-in", "/sign-out", "/account/password", "/invite/{token}"}  # tested in test_accounts


def test_every_route_is_in_the_matrix(world: World) -> None:
    routes = walk(world.app.routes)
    for method, path in routes:
        if method == "GET":
            assert path in READS or path in LISTS or path in PUBLIC_GET, f"GET {path} is not in the matrix"
        else:
            assert path in WRITES or path in PUBLIC_POST, f"{method} {path} is not in the matrix"
    assert len(routes) >= 50


def _owners(world: World, clinic: int) -> set[str]:
    return {"admin", "clin1", "runnerA"} if clinic == 1 else {"admin", "clin2"}


def read_targets(world: World) -> list[tuple[str, str, set[str], tuple[str, ...]]]:
    """(label, url, roles that may read it, secrets that must not leak to the others)."""
    i = world.ids
    out = []
    for clinic, runner, job, assessment, program, secrets in (
        (1, i["A"], i["jobA"], i["assessmentA"], i["programA_published"], SECRETS_A),
        (2, i["C"], i["jobC"], i["assessmentC"], i["programC"], SECRETS_C),
    ):
        owners = _owners(world, clinic)
        staff = owners - {"runnerA"}
        published = owners if clinic == 1 else staff  # C's program is a draft: its runner would not see it
        urls = {
            "runner": (
                [
                    "/runners/{}",
                    "/api/v1/runners/{}",
                    "/runners/{}/feed",
                    "/api/v1/runners/{}/feed",
                    "/runners/{}/today",
                    "/api/v1/portal/runners/{}/today",
                    "/api/v1/portal/runners/{}/logs",
                    "/runners/{}/records",
                    "/runners/{}/export.json",
                    "/api/v1/runners/{}/export",
                ],
                runner,
                owners,
            ),
            "runner-staff": (["/runners/{}/intake", "/runners/{}/tests"], runner, staff),
            "progress": (["/runners/{}/progress", "/api/v1/runners/{}/progress"], runner, owners),
            "job": (["/jobs/{}", "/jobs/{}/progress", "/api/v1/jobs/{}"], job, owners),
            "assessment": (
                ["/assessments/{}", "/assessments/{}/assessment.json", "/api/v1/assessments/{}"],
                assessment,
                owners,
            ),
            "program": (
                [
                    "/programs/{}",
                    "/api/v1/programs/{}",
                    "/programs/{}/download/json",
                    "/programs/{}/download/csv",
                ],
                program,
                published,
            ),
        }
        if clinic == 1:
            urls["assessment-file"] = (
                ["/assessments/{}/files/report.html", "/assessments/{}/files/gait/result.json"],
                assessment,
                owners,
            )
            urls["load"] = (
                ["/load-reports/{}", "/api/v1/load-reports/{}", "/load-reports/{}/files/load.html"],
                i["loadA"],
                owners,
            )
            urls["draft"] = (
                ["/programs/{}", "/api/v1/programs/{}", "/programs/{}/download/json"],
                i["programA_draft"],
                staff,
            )
        for label, (templates, ident, allowed) in urls.items():
            out += [(f"{label} c{clinic}", t.format(ident), allowed, secrets) for t in templates]
    return out


def test_reads(world: World) -> None:
    problems = []
    for label, url, allowed, secrets in read_targets(world):
        for role in ROLES:
            r = world.browsers[role].get(url)
            if role in allowed:
                if r.status_code != 200:
                    problems.append(f"{role} GET {url} ({label}): {r.status_code}, expected 200")
            elif r.status_code not in DENIED or any(s in r.text for s in secrets):
                problems.append(f"{role} GET {url} ({label}): {r.status_code} or content leaked")
    assert not problems, "\n".join(problems)


def test_lists_show_only_what_is_yours(world: World) -> None:
    expect = {
        "/dashboard": {"clin1": SECRETS_A, "clin2": SECRETS_C, "admin": SECRETS_A + SECRETS_C},
        "/api/v1/dashboard": {"clin1": SECRETS_A, "clin2": SECRETS_C, "admin": SECRETS_A + SECRETS_C},
        "/api/v1/runners": {
            "clin1": SECRETS_A,
            "clin2": SECRETS_C,
            "admin": SECRETS_A + SECRETS_C,
            "runnerA": SECRETS_A,
            "runnerB": (),
        },
        "/admin": {"admin": ()},
        "/runners/new": {"clin1": (), "clin2": (), "admin": ()},
        "/api/v1/me": {r: () for r in ROLES if r != "anonymous"},
        "/account/password": {r: () for r in ROLES if r != "anonymous"},
    }
    for url, allowed in expect.items():
        for role in ROLES:
            r = world.browsers[role].get(url)
            if role not in allowed:
                assert r.status_code in DENIED, (role, url, r.status_code)
                assert not any(s in r.text for s in SECRETS_A + SECRETS_C), (role, url)
                continue
            assert r.status_code == 200, (role, url, r.status_code)
            for secret in SECRETS_A + SECRETS_C:
                assert (secret in r.text) == (secret in allowed[role]), (role, url, secret)


def test_guessed_ids_read_nothing(world: World) -> None:
    """Ids that do not exist, and files by names that are not the record's, answer 404 for everyone."""
    i = world.ids
    urls = [
        f"/runners/{i['C'] + 100}",
        f"/jobs/{i['jobA'] + 100}",
        f"/assessments/{i['assessmentA'] + 100}/files/report.html",
        f"/programs/{i['programA_draft'] + 100}/download/pdf",
        f"/load-reports/{i['loadA'] + 100}/files/load.html",
        f"/assessments/{i['assessmentA']}/files/..%2F..%2Fglutemed.db",
        f"/assessments/{i['assessmentA']}/files/secret_key",
        f"/load-reports/{i['loadA']}/files/report.html",
        f"/api/v1/assessments/{i['assessmentA'] + 100}",
        "/feeds/" + "A" * 43 + ".ics",
    ]
    for role in ROLES:
        for url in urls:
            r = world.browsers[role].get(url)
            assert r.status_code in DENIED, (role, url, r.status_code)
            assert b"SQLite format" not in r.content


def _write_requests(world: World) -> list[tuple[str, str, set[str], Callable[[Any], Any]]]:
    """(label, url, roles that may do it, how to send it with a browser)."""
    i = world.ids
    out: list[tuple[str, str, set[str], Callable[[Any], Any]]] = []
    pose = (b'{"schema": "gaitlab.pose/v1"}', "application/json")
    for clinic, runner, job, program in (
        (1, i["A"], i["jobA"], i["programA_draft"]),
        (2, i["C"], i["jobC"], i["programC"]),
    ):
        allowed = {"admin", "clin1"} if clinic == 1 else {"admin", "clin2"}

        def form(url: str, data: dict[str, Any]) -> Callable[[Any], Any]:
            return lambda b: b.post(url, data)

        def api(method: str, url: str, body: dict[str, Any]) -> Callable[[Any], Any]:
            return lambda b: b.client.request(method, url, json=body, headers={"X-CSRF-Token": b.csrf})

        def upload(url: str) -> Callable[[Any], Any]:
            return lambda b: b.client.post(
                url,
                data={"csrf_token": b.csrf},
                files=[("files", ("x.json", *pose))],
                headers={"X-CSRF-Token": b.csrf},
            )

        out += [
            (
                "invitation",
                f"/runners/{runner}/invitations",
                allowed,
                form(f"/runners/{runner}/invitations", {}),
            ),
            (
                "intake",
                f"/runners/{runner}/intake",
                allowed,
                form(f"/runners/{runner}/intake", {"runner.age_years": "30"}),
            ),
            (
                "tests",
                f"/runners/{runner}/tests",
                allowed,
                form(f"/runners/{runner}/tests", {"side_bridge.left_s": "30"}),
            ),
            ("upload", f"/runners/{runner}/uploads/gait", allowed, upload(f"/runners/{runner}/uploads/gait")),
            (
                "api upload",
                f"/api/v1/runners/{runner}/uploads/load",
                allowed,
                upload(f"/api/v1/runners/{runner}/uploads/load"),
            ),
            ("api intake", "", allowed, api("POST", f"/api/v1/runners/{runner}/intakes", DEMO_INTAKE)),
            (
                "api tests",
                "",
                allowed,
                api("POST", f"/api/v1/runners/{runner}/tests", {"side_bridge": {"left_s": 3, "right_s": 4}}),
            ),
            ("retry", "", allowed, form(f"/jobs/{job}/retry", {})),
            ("api retry", "", allowed, api("POST", f"/api/v1/jobs/{job}/retry", {})),
            ("publish", "", allowed, form(f"/programs/{program}/review", {"action": "publish"})),
            ("api publish", "", allowed, api("PATCH", f"/api/v1/programs/{program}", {"action": "publish"})),
        ]
        own = allowed | ({"runnerA"} if clinic == 1 else set())  # the runner's own feed, logbook, request
        # the erasure with the runner's name typed right, so that only the access rule can refuse it
        name = "Alice Aardvark" if clinic == 1 else "Carol Cormorant"

        def logbook(url: str) -> Callable[[Any], Any]:
            book = (b'{"sessions": []}', "application/json")
            return lambda b: b.client.post(
                url, data={"csrf_token": b.csrf}, files=[("logbook", ("l.json", *book))]
            )

        out += [
            ("new feed", "", own, form(f"/runners/{runner}/feed", {})),
            ("revoke feed", "", own, form(f"/runners/{runner}/feed/revoke", {})),
            ("api new feed", "", own, api("POST", f"/api/v1/runners/{runner}/feed", {})),
            ("api revoke feed", "", own, api("DELETE", f"/api/v1/runners/{runner}/feed", {})),
            ("import", "", own, logbook(f"/runners/{runner}/records/import")),
            ("api import", "", own, api("POST", f"/api/v1/runners/{runner}/logbook", {"sessions": []})),
            ("ask erasure", "", own, form(f"/runners/{runner}/erasure-request", {})),
            ("api ask erasure", "", own, api("POST", f"/api/v1/runners/{runner}/erasure-request", {})),
            ("erase", "", allowed, form(f"/runners/{runner}/erasure", {"confirm_name": name})),
            (
                "api erase",
                "",
                allowed,
                api("POST", f"/api/v1/runners/{runner}/erasure", {"confirm_name": name}),
            ),
        ]
        runner_only = {"runnerA"} if clinic == 1 else set()  # the portal: only the runner logs
        session = {"client_key": "matrix-key-01", "day": "2026-11-02", "baseline_pain": "0"}
        run = {"date": "2026-11-02", "distance_km": 5, "duration_min": 30, "pain_during_0_10": 0}
        out += [
            ("log session", "", runner_only, form(f"/runners/{runner}/log/session", session)),
            (
                "log run",
                "",
                runner_only,
                form(f"/runners/{runner}/log/run", {"client_key": "matrix-key-02", **run}),
            ),
            ("morning", "", runner_only, form(f"/runners/{runner}/logs/1/morning", {"pain_0_10": "1"})),
            (
                "api log run",
                "",
                runner_only,
                api(
                    "POST",
                    f"/api/v1/portal/runners/{runner}/runs",
                    {"client_key": "matrix-key-03", "run": run},
                ),
            ),
            (
                "api morning",
                "",
                runner_only,
                api("POST", f"/api/v1/portal/runners/{runner}/logs/1/morning", {"pain_0_10": 1}),
            ),
        ]
    staff = {"admin", "clin1", "clin2"}
    out += [
        ("new clinic", "", {"admin"}, lambda b: b.post("/admin/clinics", {"name": "Sneaky clinic"})),
        (
            "new user",
            "",
            {"admin"},
            lambda b: b.post(
                "/admin/users",
                {"email": "x@t.test", "display_name": "X", "password": "x" * 12, "role": "admin"},
            ),
        ),
        ("deactivate", "", {"admin"}, lambda b: b.post("/admin/users/1/active", {"active": "no"})),
        ("new runner", "", staff, lambda b: b.post("/runners/new", {"name": "Sneaky runner"})),
        (
            "api new runner",
            "",
            staff,
            lambda b: b.client.post(
                "/api/v1/runners", json={"name": "Sneaky"}, headers={"X-CSRF-Token": b.csrf}
            ),
        ),
    ]
    return out


def test_writes_by_others_change_nothing(world: World) -> None:
    before, files_before = world.counts(), world.stored_files()
    problems = []
    for label, _url, allowed, send in _write_requests(world):
        for role in ROLES:
            if role in allowed:
                continue
            r = send(world.browsers[role])
            if r.status_code not in DENIED:
                problems.append(f"{role} {label}: {r.status_code}")
            after = world.counts()
            if after != before:
                problems.append(
                    f"{role} {label}: the database changed: {set(after.items()) ^ set(before.items())}"
                )
                before = after
    assert world.stored_files() == files_before
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ["runnerA", "clin2", "anonymous"])
def test_program_edits_by_others_are_refused(world: World, role: str) -> None:
    before = world.counts()
    b = world.browsers[role]
    r = b.post(
        f"/programs/{world.ids['programA_draft']}/review",
        {"action": "remove", "phase_id": "x", "exercise_id": "y"},
    )
    assert r.status_code in DENIED
    assert world.counts() == before


def test_every_change_needs_the_csrf_token_even_from_its_owner(world: World) -> None:
    """The same writes by the clinician who may make them, with a wrong token: each 403, nothing changes."""
    before, files_before = world.counts(), world.stored_files()
    b = world.browsers["clin1"]
    token, b.csrf = b.csrf, "not-the-token"
    try:
        for label, _url, allowed, send in _write_requests(world):
            if "clin1" in allowed:
                r = send(b)
                assert r.status_code == 403, (label, r.status_code)
                assert world.counts() == before, label
        for url, data in (
            ("/sign-out", {}),
            ("/account/password", {"current": "x", "new": "y" * 12, "repeat": "y" * 12}),
            (
                "/invite/some-token",
                {"email": "a@b.c", "display_name": "x", "password": "y" * 12, "repeat": "y" * 12},
            ),
        ):
            assert b.post(url, data).status_code == 403, url
    finally:
        b.csrf = token
    assert b.get("/dashboard").status_code == 200  # still signed in: the refused sign-out did nothing
    assert world.stored_files() == files_before

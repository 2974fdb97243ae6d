"""A runner's private calendar feed: a secret URL that calendar apps poll for the program's sessions.

The URL carries a random token (``secrets.token_urlsafe(32)``, 256 bits); the database keeps only its SHA-256
(``calendar_feeds.token_hash``), so a copy of the database does not open anyone's feed. A runner has at most one
live feed: making a new one revokes the old one (its URL then reads nothing), and revoking stops it outright.

The calendar itself is made on every request from the runner's latest *published* program through
:mod:`glutemed.services.program_calendar`, so a newly published program shows in the next poll. Once the runner
has logged sessions, the sessions of the phase they are in also say the dose the portal gives them now (the
progression decisions change it), so a dose change shows in the next poll too. The plan starts
on the Monday of the week the program was published and the events' UIDs are built from that date, the phase
and the weekday: polling the same program again gives the same UIDs (calendar apps update events in place),
and a program published later in the same week replaces the events instead of adding a second set.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import icalendar
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from glutemed.core.programming import Program
from glutemed.db.models import CalendarFeed, utcnow
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.rules import Rules
from glutemed.services.assessment import AssessmentResult
from glutemed.services.program import name_of, plan_for
from glutemed.services.program_calendar import program_calendar

TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet; anything else is not a token of ours.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
CALENDAR_NAME = "Gluteus medius plan"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def active_feed(s: Session, runner_id: int) -> CalendarFeed | None:
    """The runner's live feed (not revoked), if any."""
    return s.scalars(
        select(CalendarFeed)
        .where(CalendarFeed.runner_id == runner_id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id.desc())
        .limit(1)
    ).first()


def revoke_feeds(s: Session, runner_id: int) -> int:
    """Revoke every live feed of the runner; how many were live."""
    result = s.execute(
        update(CalendarFeed)
        .where(CalendarFeed.runner_id == runner_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def create_feed(s: Session, runner_id: int, *, created_by: int | None) -> str:
    """A new feed for the runner (any older one is revoked); the secret token, which is never stored."""
    revoke_feeds(s, runner_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    s.add(CalendarFeed(runner_id=runner_id, token_hash=token_hash(token), created_by=created_by))
    s.flush()
    return token


def runner_for_token(s: Session, token: str) -> int | None:
    """The runner whose live feed ``token`` opens; None for a malformed, unknown or revoked token."""
    if not _TOKEN.fullmatch(token):
        return None
    wanted = token_hash(token)
    row = s.scalars(select(CalendarFeed).where(CalendarFeed.token_hash == wanted)).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.token_hash.encode(), wanted.encode()):
        return None
    return row.runner_id


@dataclass(frozen=True)
class DosesNow:
    """The doses the portal gives the runner now (after their logged sessions), for one phase of the plan."""

    phase_id: str
    lines: tuple[str, ...]  # "Exercise name: dose", one per exercise


def program_feed(
    program: Program,
    result: AssessmentResult,
    kb: KnowledgeBase,
    rules: Rules,
    *,
    published_at: dt.datetime,
    zone: str,
    now: DosesNow | None = None,
) -> str:
    """The published program as ICS text: the plan from the Monday of the publishing week, stable UIDs."""
    plan = plan_for(program, result, kb, rules)
    stamp = published_at.astimezone(dt.UTC).replace(microsecond=0)
    cal = program_calendar(plan, name_of(kb), start=stamp.date(), zone=zone, stamp=stamp)
    if now is not None and now.lines:
        marker = f"-{now.phase_id}-session-"
        for event in cal.walk("VEVENT"):
            if marker in str(event["uid"]):
                text = "\n".join(
                    ("Your dose now, after the sessions you logged:", *(f"- {x}" for x in now.lines))
                )
                event["description"] = icalendar.vText(f"{text}\n\n{event['description']}")
    return str(cal.to_ical().decode("utf-8"))


def empty_feed(zone: str) -> str:
    """A valid calendar with no events: the runner has no published program (or it is a referral)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//glutemed//program//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", CALENDAR_NAME)
    cal.add("x-wr-timezone", zone)
    return str(cal.to_ical().decode("utf-8"))

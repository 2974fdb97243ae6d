"""The web pages' templates: this package's own, extending the reports' shared base page and stylesheet.

One Jinja2 environment per app (made in :func:`glutemed.web.app.create_app`, never at import time), with a
``ChoiceLoader`` that looks in ``web/templates`` first and then in ``reports/templates``, so a page extends
``base.html.j2`` and inlines ``glutemed.css`` exactly as a report does. Autoescaping and a strict undefined as
in :mod:`glutemed.reports.templating`.
"""

from __future__ import annotations

from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from glutemed.reports.templating import format_number


def make_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader("glutemed.web", "templates"), PackageLoader("glutemed.reports", "templates")]
        ),
        autoescape=select_autoescape(enabled_extensions=("html", "j2", "html.j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M UTC") if value else "–"
    return env


def page(request: Request, template: str, /, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the signed-in user, the CSRF token and the page size the base page expects."""
    env: Environment = request.app.state.templates
    session = getattr(request.state, "session", None)
    html = env.get_template(template).render(
        request=request,
        page_size="A4",
        user=getattr(request.state, "user", None),
        csrf_token=session.csrf_token if session is not None else "",
        **context,
    )
    return HTMLResponse(html, status_code=status_code)

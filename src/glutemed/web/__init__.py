"""The clinic web app (FastAPI + Jinja2 + HTMX): a thin adapter over the services and the database layer.

``create_app(settings)`` in :mod:`glutemed.web.app` builds it; ``glutemed serve`` runs it with uvicorn.
Nothing is made at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["create_app"]


def create_app(*args: Any, **kwargs: Any) -> FastAPI:
    """See :func:`glutemed.web.app.create_app`."""
    from glutemed.web.app import create_app as factory

    return factory(*args, **kwargs)

"""Refuse XML that declares a DTD or entities before any parser sees it (billion laughs, external entities)."""

from __future__ import annotations

import re

from glutemed.io.activities.common import SkipFile

_DECL = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def refuse_dtd(head: bytes) -> None:
    """Raise SkipFile when the XML bytes declare a DTD or an entity; activity formats need neither."""
    if _DECL.search(head):
        raise SkipFile(
            "XML with a DTD or entity declarations refused (entity-expansion or external-entity risk)"
        )

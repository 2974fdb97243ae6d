"""The shared template system: autoescaping on, missing values are errors, one stylesheet inlined."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from glutemed.reports.templating import environment, format_number, render


def test_user_text_is_escaped() -> None:
    page = environment().from_string("<p>{{ name }}</p>").render(name="<script>alert(1)</script>")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_a_missing_value_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(UndefinedError):
        environment().from_string("{{ missing }}").render()


def test_base_inlines_the_stylesheet_and_page_size() -> None:
    page = render("base.html.j2", page_size="Letter")
    assert ".v-flagged" in page
    assert "size:Letter" in page
    assert "<link" not in page  # self-contained


@pytest.mark.parametrize(
    ("value", "digits", "unit", "text"),
    [(3.14159, 1, "deg", "3.1 deg"), (None, 1, "", "–"), (7, 2, "spm", "7 spm"), (2.0, 0, "", "2")],
)
def test_numbers_for_people(value: float | None, digits: int, unit: str, text: str) -> None:
    assert format_number(value, digits, unit) == text

"""Check all's suggestions (services/suggestions.py) give validation.nearest's answers where
the closest codes are not buried in a crowd of near ties; each code is worked out once."""

from __future__ import annotations

import pytest

from services import validation
from services.suggestions import Suggestions

KNOWN = ["WIDGET-A", "WIDGET-B", "CRATE", "ACME", "ALOK-01", "Pacific", "GADGET-9", "BOX"]


@pytest.mark.parametrize(
    "code", ["WIDGET-C", "widget", "CRAT", "ALOK", "ACME-2", "GADGET9", "PACIFIC", "ZZZZ", "B"]
)
def test_the_same_answers_as_nearest(code):
    assert Suggestions(KNOWN)(code) == validation.nearest(code, KNOWN)


def test_each_code_is_worked_out_once():
    suggest = Suggestions(KNOWN)
    first = suggest("WIDGET-C")
    assert suggest("widget-c") is first


def test_at_most_three_and_only_similar_codes():
    known = [f"PROD-{n:05d}" for n in range(5000)]
    found = Suggestions(known)("PROD-05001")
    assert 0 < len(found) <= 3
    assert all(_ratio("PROD-05001", k) >= validation.SIMILAR for k in found)


def _ratio(a: str, b: str) -> float:
    import difflib

    return difflib.SequenceMatcher(None, a.upper(), b.upper()).ratio()

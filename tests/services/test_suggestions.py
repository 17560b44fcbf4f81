"""Suggestions for an unknown code ("did you mean …?") over thousands of known codes: the
rapidfuzz-first `validation.nearest` answers exactly what the difflib-only version did."""

from __future__ import annotations

import difflib
import random
import string

import pytest

from services.validation import nearest


def difflib_nearest(code: str, known) -> list[str]:
    """The suggestion rule as it was before rapidfuzz (services/validation.py at be85fef)."""
    upper = code.upper()
    names = sorted(str(k) for k in known)
    prefixed = [k for k in names if k.upper().startswith(upper) or upper.startswith(k.upper())]
    scored = sorted((-difflib.SequenceMatcher(None, upper, k.upper()).ratio(), k) for k in names)
    similar = [k for score, k in scored if -score >= 0.6]
    return list(dict.fromkeys(prefixed + similar))[:3]


def codes(n: int, rng: random.Random) -> list[str]:
    """Codes shaped like customers' account numbers and product codes: letters and digits,
    some with a dash, 3 to 10 characters, in mixed case."""
    shapes = [
        lambda: rng.choice(string.ascii_uppercase) + f"{rng.randrange(1000):03d}",
        lambda: "".join(rng.choices(string.ascii_uppercase, k=rng.randint(3, 6))),
        lambda: "".join(rng.choices(string.ascii_uppercase, k=3)) + f"-{rng.randrange(100):02d}",
        lambda: "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(4, 10))),
    ]
    found: set[str] = set()
    while len(found) < n:
        found.add(rng.choice(shapes)())
    return sorted(found)


def typo(code: str, rng: random.Random) -> str:
    """A typical slip: a character dropped, doubled, swapped with the next, or mistyped;
    or the code in another case, or with a space around it."""
    i = rng.randrange(len(code))
    slips = [
        lambda: code[:i] + code[i + 1 :],
        lambda: code[:i] + code[i] + code[i:],
        lambda: code[:i] + code[i + 1 : i + 2] + code[i : i + 1] + code[i + 2 :],
        lambda: code[:i] + rng.choice(string.ascii_uppercase + string.digits) + code[i + 1 :],
        lambda: code.lower(),
        lambda: code[:-1],
    ]
    return rng.choice(slips)() or code


@pytest.mark.parametrize("seed", [1, 2])
def test_suggestions_equal_difflibs_over_thousands_of_codes(seed):
    rng = random.Random(seed)
    known = codes(5000, rng)
    asked = [typo(rng.choice(known), rng) for _ in range(30)]
    asked += ["ZZZZZZZZ", "1", "QQ-99", "acme"]  # nothing close, one character, near misses
    for code in asked:
        assert nearest(code, known) == difflib_nearest(code, known), code


def test_a_typo_finds_its_code():
    known = codes(3000, random.Random(7)) + ["ACME-01"]
    assert "ACME-01" in nearest("ACME-1", known)
    assert "ACME-01" in nearest("acme-01", known)


def test_where_rapidfuzz_and_difflib_rate_differently_the_answer_is_still_difflibs():
    """rapidfuzz's ratio counts the longest common subsequence; difflib's counts matching
    blocks found greedily, sometimes fewer. ACBAAB vs ABACCA: rapidfuzz rates it 0.67,
    difflib 0.5, so difflib (the rule users have seen) does not suggest it, and neither
    does `nearest`."""
    from rapidfuzz import fuzz

    assert fuzz.ratio("ACBAAB", "ABACCA") / 100 >= 0.6
    assert difflib.SequenceMatcher(None, "ACBAAB", "ABACCA").ratio() < 0.6
    assert nearest("ACBAAB", ["ABACCA", "ACBAAC"]) == ["ACBAAC"]
    assert difflib_nearest("ACBAAB", ["ABACCA", "ACBAAC"]) == ["ACBAAC"]

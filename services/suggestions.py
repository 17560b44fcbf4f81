"""Suggestions for many unknown codes against one set of known codes (Check all): the same
rule as validation.nearest (same prefix first, then difflib's similarity, ties A→Z, three at
most), with the known codes sorted and upper-cased once, not once per code, and difflib run
on the CANDIDATES codes rapidfuzz rates closest rather than on every code above the cutoff.

Where more than CANDIDATES codes tie or nearly tie (codes of one pattern: PROD-00001 …
PROD-04999), the three shown may differ from nearest's, but are as similar by rapidfuzz's
measure; that keeps a check at 45 unknown codes against 5,000 items in milliseconds."""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from services.validation import SIMILAR

CANDIDATES = 10
SHOWN = 3


class Suggestions:
    def __init__(self, known: Iterable[object]):
        names = sorted(str(k) for k in known)
        self._uppers = [n.upper() for n in names]
        self._names = names
        by_upper = sorted(zip(self._uppers, names, strict=True))
        self._sorted_uppers = [u for u, _ in by_upper]
        self._sorted_names = [n for _, n in by_upper]
        self._exact: dict[str, list[str]] = {}
        for upper, name in by_upper:
            self._exact.setdefault(upper, []).append(name)
        self._found: dict[str, list[str]] = {}

    def __call__(self, code: str) -> list[str]:
        """Up to three known codes closest to `code` (each code worked out once)."""
        upper = code.upper()
        if upper not in self._found:
            self._found[upper] = self._nearest(upper)
        return self._found[upper]

    def _prefixed(self, upper: str) -> list[str]:
        """Known codes that start with `upper` or that `upper` starts with, A→Z."""
        found = [n for i in range(1, len(upper) + 1) for n in self._exact.get(upper[:i], [])]
        at = bisect_left(self._sorted_uppers, upper)
        while at < len(self._sorted_uppers) and self._sorted_uppers[at].startswith(upper):
            found.append(self._sorted_names[at])
            at += 1
        return sorted(set(found))

    def _nearest(self, upper: str) -> list[str]:
        candidates = process.extract(
            upper,
            self._uppers,
            scorer=fuzz.ratio,
            score_cutoff=SIMILAR * 100 - 0.1,
            limit=CANDIDATES,
        )
        scored = sorted(
            (-difflib.SequenceMatcher(None, upper, u).ratio(), self._names[index])
            for u, _score, index in candidates
        )
        similar = [name for score, name in scored if -score >= SIMILAR]
        return list(dict.fromkeys(self._prefixed(upper) + similar))[:SHOWN]

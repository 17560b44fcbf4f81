"""Paging arithmetic, once: how many pages, which rows a page holds, and a page number kept
within range when a filter shrinks the result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import select

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page:
    """Page `number` (1-based) of rows shown `size` at a time, out of `total` rows (0 while
    the total is not counted yet: the offset does not need it)."""

    number: int
    size: int
    total: int = 0

    @property
    def count(self) -> int:
        """How many pages the rows fill; an empty result still shows one (empty) page."""
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        """How many rows come before this page (a page number below 1 reads as page 1)."""
        return (max(self.number, 1) - 1) * self.size

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row, for captions such as "11–20 of 45"."""
        return self.offset + 1

    def clamped(self) -> Page:
        """The same page moved within 1..count: the last page when the rows shrank below it."""
        return replace(self, number=min(max(1, self.number), self.count))

    def rows_of(self, rows: Sequence[Row]) -> list[Row]:
        """This page's rows out of a list that is already in memory."""
        return list(rows[self.offset : self.offset + self.size])


COUNT_CAP = 10_000  # past this, a page says "10,000+" rather than count every row


def counted(session: Any, query: Any, cap: int | None) -> tuple[int, bool]:
    """(rows the query returns, capped?): counting stops at `cap` + 1 rows (an index range
    read, not every match) and says "capped" when there are more than `cap`; `cap` None
    counts them all. `query` selects the rows (any columns)."""
    rows = query.subquery() if cap is None else query.limit(cap + 1).subquery()
    found = int(session.exec(select(func.count()).select_from(rows)).one())
    if cap is not None and found > cap:
        return cap, True
    return found, False


def count_text(total: int, capped: bool) -> str:
    """ "1,234" or, past the cap, "10,000+"."""
    return f"{total:,}+" if capped else f"{total:,}"

"""Paging arithmetic: how many pages, which rows, and a page kept within range."""

from __future__ import annotations

import dataclasses

import pytest

from services.paging import Page


@pytest.mark.parametrize(
    ("total", "size", "count"),
    [(0, 10, 1), (1, 10, 1), (10, 10, 1), (11, 10, 2), (25, 10, 3), (100, 25, 4)],
)
def test_the_pages_the_rows_fill_and_an_empty_result_still_shows_one(total, size, count):
    assert Page(1, size, total).count == count


def test_a_page_skips_the_rows_of_the_pages_before_it():
    assert Page(1, 10, 45).offset == 0
    assert Page(3, 10, 45).offset == 20
    assert Page(3, 10, 45).first == 21


def test_a_page_number_below_one_reads_as_the_first_page():
    assert Page(0, 10, 45).offset == 0
    assert Page(-2, 10, 45).clamped().number == 1


def test_a_page_past_the_last_is_clamped_to_the_last():
    assert Page(9, 10, 45).clamped() == Page(5, 10, 45)
    assert Page(9, 10, 0).clamped().number == 1


def test_a_page_within_range_is_kept():
    assert Page(2, 10, 45).clamped() == Page(2, 10, 45)


def test_a_page_of_rows_in_memory_is_the_slice_at_its_offset():
    letters = list("abcdefghijk")
    assert Page(1, 4, len(letters)).rows_of(letters) == ["a", "b", "c", "d"]
    assert Page(3, 4, len(letters)).rows_of(letters) == ["i", "j", "k"]


def test_a_page_is_a_value_that_cannot_change():
    page = Page(1, 10, 45)
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.number = 2  # type: ignore[misc]

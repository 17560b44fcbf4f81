"""The spacing rule of scheduled reads: a pure function of the day's counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.budget import read_spacing

EVERY = timedelta(minutes=5)
STARTER = 1000
SHARE = 0.2


def spacing(*, calls: int, reads: int, day_left: int | None = None) -> timedelta | None:
    return read_spacing(
        every=EVERY,
        day_limit=STARTER,
        day_left=STARTER - calls if day_left is None else day_left,
        read_share=SHARE,
        calls=calls,
        reads=reads,
    )


def test_an_untouched_day_reads_at_the_usual_pace():
    assert spacing(calls=0, reads=0) == EVERY


def test_reads_space_out_as_their_share_is_used():
    waits = [spacing(calls=reads, reads=reads) for reads in range(0, 200, 20)]
    paced = [w for w in waits if w is not None]
    assert paced == waits  # every step has a pace
    assert paced == sorted(paced)
    assert len(set(waits)) == len(waits)  # each step is longer than the last
    assert spacing(calls=100, reads=100) == EVERY * 2  # half the share left: half as often


def test_reads_stop_when_their_share_is_used():
    allowance = int(STARTER * SHARE)
    assert spacing(calls=allowance - 1, reads=allowance - 1) is not None
    assert spacing(calls=allowance, reads=allowance) is None


def test_reads_space_out_as_xeros_remaining_count_falls():
    # Xero says less is left than Shipbridge counted (e.g. yesterday's calls in its window).
    counted = spacing(calls=100, reads=0)
    told = spacing(calls=100, reads=0, day_left=800)
    assert counted is not None and told is not None and told > counted


def test_reads_never_take_what_sends_still_have_of_their_part():
    sends_part = STARTER - int(STARTER * SHARE)
    # Sends used 300 of their 800; Xero says only 500 are left: all 500 are the sends'.
    assert spacing(calls=300, reads=0, day_left=sends_part - 300) is None
    # Sends went past their part (an urgent backlog): reads may still use what is left.
    assert spacing(calls=900, reads=0) is not None


def test_a_read_starts_only_if_all_its_calls_fit_in_the_share():
    allowance = int(STARTER * SHARE)
    room_for_five: dict[str, Any] = dict(
        every=EVERY, day_limit=STARTER, read_share=SHARE, reads=allowance - 5, calls=allowance - 5
    )
    left = STARTER - (allowance - 5)
    assert read_spacing(**room_for_five, day_left=left, read_calls=5) is not None
    assert read_spacing(**room_for_five, day_left=left, read_calls=6) is None

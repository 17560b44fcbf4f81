"""The one clock: stored moments read back as aware UTC moments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import models
from models.clock import as_utc, utc_from_epoch, utcnow


def test_a_naive_stored_moment_is_labelled_utc_not_converted():
    assert as_utc(datetime(2026, 11, 30, 9, 15)) == datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def test_an_aware_moment_is_the_same_instant_in_utc():
    in_paris = datetime(2026, 11, 30, 10, 15, tzinfo=timezone(timedelta(hours=1)))
    moment = as_utc(in_paris)
    assert moment == in_paris
    assert moment.utcoffset() == timedelta(0)
    assert moment.hour == 9


def test_now_and_epoch_moments_are_aware_utc():
    assert utcnow().utcoffset() == timedelta(0)
    assert utc_from_epoch(0) == datetime(1970, 1, 1, tzinfo=UTC)


def test_the_models_package_still_offers_the_clock():
    assert models.utcnow is utcnow
    assert models.as_utc is as_utc

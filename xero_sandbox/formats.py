"""Xero's wire formats: `/Date(ms+0000)/` stamps, date strings and money rounding."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

MS_DATE_RE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")

CENT = Decimal("0.01")


class FormatError(ValueError):
    """A value in a request could not be read."""


def ms_date(value: date) -> str:
    """A calendar date as Xero sends it: ``/Date(1767225600000+0000)/``."""
    moment = datetime.combine(value, time(), tzinfo=UTC)
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def ms_datetime(value: datetime) -> str:
    """A UTC timestamp as Xero sends it: ``/Date(1767225600123+0000)/``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return f"/Date({int(round(value.timestamp() * 1000))}+0000)/"


def date_string(value: date) -> str:
    """The companion ``DateString`` field: ``2026-11-22T00:00:00``."""
    return f"{value.isoformat()}T00:00:00"


def utc_string(value: datetime) -> str:
    """ISO-8601 UTC with a Z, as in ``UpdatedDateUTCString``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def naive_utc_string(value: datetime) -> str:
    """Identity-service stamps: UTC without an offset, seven fraction digits."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0"


def parse_date(raw: object) -> date:
    """Read a date sent by a client: ``/Date(ms)/``, ``YYYY-MM-DD`` or an ISO datetime."""
    if isinstance(raw, str):
        text = raw.strip()
        match = MS_DATE_RE.match(text)
        if match:
            return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC).date()
        match = ISO_DATE_RE.match(text)
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError as exc:
                raise FormatError(text) from exc
    raise FormatError(str(raw))


def parse_timestamp(raw: str) -> datetime:
    """Read a header timestamp (RFC 1123 or ISO 8601); naive values are UTC."""
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError) as exc:
            raise FormatError(text) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_decimal(raw: object) -> Decimal:
    """A JSON number (or numeric string) as a Decimal."""
    if isinstance(raw, bool) or raw is None:
        raise FormatError(str(raw))
    try:
        return Decimal(str(raw))
    except InvalidOperation as exc:
        raise FormatError(str(raw)) from exc


def money(value: Decimal) -> Decimal:
    """Round half away from zero to cents, as Xero does."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def quantize(value: Decimal, places: int) -> Decimal:
    """Round to ``places`` decimal places."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def iso_to_datetime(text: str) -> datetime:
    """Read a stored ISO timestamp back into an aware datetime."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

"""Shared plumbing for collection endpoints: summarizeErrors batches and filtered, paged lists."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from xero_sandbox.accounting.context import ZERO_GUID, ApiRequest, BadRequest, Result
from xero_sandbox.accounting.query import Filter, QueryError, sort_documents
from xero_sandbox.accounting.serialize import envelope
from xero_sandbox.formats import FormatError, iso_to_datetime, parse_timestamp

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


def batch_result(
    ctx: ApiRequest,
    collection: str,
    outcomes: list[Any],
    render: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    id_field: str,
    error_flag: str | None,
) -> Result:
    """Compose a PUT/POST answer honouring ``summarizeErrors`` (default true).

    Summarised: any failed element makes the answer HTTP 400 with only the failed
    elements; the valid ones are saved all the same. Not summarised: HTTP 200
    with every element flagged.
    """
    summarize = ctx.flag("summarizeErrors", default=True)
    rendered = []
    for outcome in outcomes:
        body = render(outcome.document)
        if not outcome.saved and not outcome.document.get(id_field):
            body[id_field] = ZERO_GUID
        rendered.append((outcome, body))
    failed = [(o, body) for o, body in rendered if o.errors]
    if summarize:
        if failed:
            elements = [_flag(body, o, error_flag) for o, body in failed]
            return Result(
                400,
                {
                    "ErrorNumber": 10,
                    "Type": "ValidationException",
                    "Message": "A validation exception occurred",
                    "Elements": elements,
                },
            )
        items = []
        for o, body in rendered:
            if o.warnings:
                body["Warnings"] = [{"Message": m} for m in o.warnings]
            items.append(body)
        return Result(200, envelope(ctx, collection, items))
    items = [_flag(body, o, error_flag) for o, body in rendered]
    return Result(200, envelope(ctx, collection, items))


def _flag(body: dict[str, Any], outcome: Any, error_flag: str | None) -> dict[str, Any]:
    if error_flag:
        body[error_flag] = bool(outcome.errors)
    if outcome.errors:
        status = "ERROR"
    elif outcome.warnings:
        status = "WARNING"
    else:
        status = "OK"
    body["StatusAttributeString"] = status
    body["ValidationErrors"] = [{"Message": message} for message in outcome.errors]
    body["Warnings"] = [{"Message": message} for message in outcome.warnings]
    return body


def one_result(
    ctx: ApiRequest,
    collection: str,
    record: dict[str, Any] | None,
    render: Callable[[dict[str, Any]], dict[str, Any]],
) -> Result:
    """A single-record GET: the record in its envelope, or 404."""
    if record is None:
        return Result(404, None)
    return Result(200, envelope(ctx, collection, [render(record)]))


def modified_since(ctx: ApiRequest) -> Callable[[dict[str, Any]], bool]:
    """A predicate for the If-Modified-Since header (records updated after it)."""
    header = ctx.headers.get("if-modified-since")
    if not header:
        return lambda record: True
    try:
        since = parse_timestamp(header)
    except FormatError:
        return lambda record: True
    # Tax rates and currencies have no UpdatedDateUTC; Xero ignores the header for them.
    return lambda record: (
        record.get("UpdatedDateUTC") is None or iso_to_datetime(record["UpdatedDateUTC"]) > since
    )


def list_result(
    ctx: ApiRequest,
    collection: str,
    type_name: str,
    records: Iterable[dict[str, Any]],
    render: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    pageable: bool,
) -> Result:
    """Filter (If-Modified-Since, where), order and page records, then wrap them."""
    fresh = modified_since(ctx)
    records = [record for record in records if fresh(record)]
    paged = pageable and ctx.arg("page") is not None
    if paged and not ctx.arg("where") and not ctx.arg("order"):
        # Nothing to filter or sort on: render only the page asked for.
        page, pagination = paginate(ctx, records)
        return Result(200, envelope(ctx, collection, [render(r) for r in page], pagination))
    documents = [render(record) for record in records]
    try:
        if ctx.arg("where"):
            where = Filter(ctx.arg("where") or "", type_name)
            documents = [doc for doc in documents if where.matches(doc)]
        if ctx.arg("order"):
            documents = sort_documents(documents, ctx.arg("order") or "", type_name)
    except QueryError as exc:
        raise BadRequest(16, "QueryParseException", str(exc)) from exc
    pagination = None
    if paged:
        documents, pagination = paginate(ctx, documents)
    return Result(200, envelope(ctx, collection, documents, pagination))


def paginate(ctx: ApiRequest, documents: list[Any]) -> tuple[list[Any], dict[str, int]]:
    """One page (100 by default, ``pageSize`` up to 1000) and Xero's pagination block."""
    page = _positive_int(ctx.arg("page"), 1)
    size = min(_positive_int(ctx.arg("pageSize"), DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    count = len(documents)
    start = (page - 1) * size
    pagination = {
        "page": page,
        "pageSize": size,
        "pageCount": -(-count // size),
        "itemCount": count,
    }
    return documents[start : start + size], pagination


def _positive_int(raw: str | None, default: int) -> int:
    try:
        value = int(raw or default)
    except ValueError:
        return default
    return value if value > 0 else default

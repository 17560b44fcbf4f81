"""Response shapes Xero uses: the API envelope, problem JSON, API exceptions and 404 text."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from starlette.responses import PlainTextResponse, Response

NOT_FOUND_TEXT = "The resource you're looking for cannot be found"
PROVIDER_NAME = "Shipbridge"
JSON_TYPE = "application/json; charset=utf-8"


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        # JSON numbers; a Decimal of 2 or 4 places round-trips exactly through float repr.
        return float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def json_bytes(body: Any) -> bytes:
    """Serialise a response body the way the sandbox sends it."""
    return json.dumps(body, default=_default, separators=(",", ":")).encode()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with Decimal support."""
    return Response(
        json_bytes(body),
        status_code=status,
        headers=headers,
        media_type=JSON_TYPE,
    )


def problem(status: int, title: str, detail: str) -> Response:
    """Xero's problem JSON, used for 401 and 403 from the API gateway."""
    body = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return json_response(body, status)


def unauthorized(detail: str = "AuthenticationUnsuccessful") -> Response:
    """HTTP 401 as Xero sends it."""
    return problem(401, "Unauthorized", detail)


def forbidden(detail: str = "AuthenticationUnsuccessful") -> Response:
    """HTTP 403 as Xero sends it (tenant not connected to the token)."""
    return problem(403, "Forbidden", detail)


def not_found() -> Response:
    """HTTP 404: plain text, as Xero sends it."""
    return PlainTextResponse(NOT_FOUND_TEXT, status_code=404)


def api_exception(
    error_number: int, kind: str, message: str, elements: list | None = None, status: int = 400
) -> Response:
    """An Accounting API exception body (``ErrorNumber``, ``Type``, ``Message``, ``Elements``)."""
    body: dict[str, Any] = {"ErrorNumber": error_number, "Type": kind, "Message": message}
    if elements is not None:
        body["Elements"] = elements
    return json_response(body, status)


def validation_exception(elements: list) -> Response:
    """HTTP 400 for a summarised batch in which some elements failed."""
    return api_exception(10, "ValidationException", "A validation exception occurred", elements)


def query_parse_exception(message: str) -> Response:
    """HTTP 400 for a ``where`` or ``order`` expression the sandbox cannot read."""
    return api_exception(16, "QueryParseException", message)


def post_data_invalid(message: str) -> Response:
    """HTTP 400 for a body that is not the JSON the endpoint expects."""
    return api_exception(14, "PostDataInvalidException", message)

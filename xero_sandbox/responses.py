"""Response shapes Xero uses: the API envelope, problem JSON, API exceptions and 404 text."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from starlette.responses import PlainTextResponse, Response

# xero-facts.md §4: a 404 body starts with this (XeroAPI/xero-php-oauth2#199, Xero staff).
NOT_FOUND_TEXT = "The resource you're looking for cannot be found"
PROVIDER_NAME = "Shipbridge"
JSON_TYPE = "application/json; charset=utf-8"


def _encode(value: Any, parts: list[str]) -> None:
    if isinstance(value, dict):
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                parts.append(",")
            parts.append(json.dumps(str(key)))
            parts.append(":")
            _encode(item, parts)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _encode(item, parts)
        parts.append("]")
    elif isinstance(value, Decimal):
        # Keep the scale, as Xero does: 182.50, not 182.5 (and never -0.00).
        parts.append(format(abs(value) if value == 0 else value, "f"))
    else:
        parts.append(json.dumps(value))


def json_bytes(body: Any) -> bytes:
    """Serialise a response body; Decimals are written with their exact digits."""
    parts: list[str] = []
    _encode(body, parts)
    return "".join(parts).encode()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with Decimal support."""
    return Response(
        json_bytes(body),
        status_code=status,
        headers=headers,
        media_type=JSON_TYPE,
    )


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    """Xero's problem JSON, used for 401 and 403 from the API gateway (xero-facts.md §12:
    PascalCase keys as in the 2021+ captures, e.g. freakboy3742/pyxero PR#337)."""
    body: dict[str, Any] = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return json_response(body, status, headers=headers)


# xero-facts.md §12: a garbage token gets "WWW-Authenticate: Bearer error=invalid_token"
# (gist.github.com/dobesv/5b422c3deb749449df621a014ea35cfe; xero-php-oauth2#138). Sandbox
# guess: the same header on a missing or expired token.
INVALID_TOKEN_CHALLENGE = "Bearer error=invalid_token"
# xero-facts.md §12: a token without the scope gets WWW-Authenticate carrying
# insufficient_scope (Xero staff, community.xero.com discussion 119166525). Sandbox guess: the
# header's exact form, written like the invalid_token one above.
INSUFFICIENT_SCOPE_CHALLENGE = "Bearer error=insufficient_scope"
# xero-facts.md §12: Detail of a 401 for a token lacking the scope (Xero-NetStandard#298,
# xero-node#320, stackoverflow q/61047303).
AUTHORIZATION_UNSUCCESSFUL = "AuthorizationUnsuccessful"


def unauthorized(detail: str = "AuthenticationUnsuccessful") -> Response:
    """HTTP 401 as Xero sends it for a missing, garbage or expired token (xero-facts.md §12:
    Detail ``AuthenticationUnsuccessful`` or ``TokenExpired: token expired at {time}``)."""
    return problem(401, "Unauthorized", detail, {"WWW-Authenticate": INVALID_TOKEN_CHALLENGE})


def insufficient_scope() -> Response:
    """HTTP 401 for a call outside the token's scopes (xero-facts.md §12)."""
    return problem(
        401,
        "Unauthorized",
        AUTHORIZATION_UNSUCCESSFUL,
        {"WWW-Authenticate": INSUFFICIENT_SCOPE_CHALLENGE},
    )


def forbidden(detail: str = "AuthenticationUnsuccessful") -> Response:
    """HTTP 403 as Xero sends it for a missing, wrong or revoked xero-tenant-id (xero-facts.md
    §12: developer.xero.com/documentation/oauth2/troubleshooting; Xero staff in community
    discussion 119166525)."""
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
    # xero-facts.md §0: the OpenAPI spec's examples; developer.xero.com http-response-codes.
    return api_exception(10, "ValidationException", "A validation exception occurred", elements)


def query_parse_exception(message: str) -> Response:
    """HTTP 400 for a ``where`` or ``order`` expression the sandbox cannot read."""
    return api_exception(16, "QueryParseException", message)


def post_data_invalid(message: str) -> Response:
    """HTTP 400 for a body that is not the JSON the endpoint expects."""
    return api_exception(14, "PostDataInvalidException", message)

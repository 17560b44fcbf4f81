"""Checks every exchange the sandbox serves in these tests against Xero's official OpenAPI specs.

The sandbox hands each finished exchange to its observers; the recorder keeps
them, and after each test they are validated with openapi-core (requests and
responses) against ``xero_accounting.yaml`` and ``xero-identity.yaml``. The few
places where the spec and real Xero (or the SDK) disagree are listed in
``SPEC_QUIRKS`` and explained in ``xero_sandbox/SPEC_QUIRKS.md``.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jsonschema
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from werkzeug.datastructures import ImmutableMultiDict

from xero_sandbox.middleware import Exchange

# Xero's official specs (MIT), copied unchanged into xero_sandbox/openapi so a clone is
# self-contained; XERO_OPENAPI_DIR points at another copy (e.g. a newer release).
SPEC_DIR = Path(
    os.environ.get("XERO_OPENAPI_DIR")
    or Path(__file__).resolve().parents[2] / "xero_sandbox" / "openapi"
)
HOST = "https://api.xero.com"

# Statuses the specs document for the operations the sandbox serves. Any other
# status (401, 403, 404 text, 429, 5xx, a GET's 400) has no schema to check.
DOCUMENTED = {200, 204, 400}

SPEC_QUIRKS: dict[str, str] = {
    "spec-not-validated": "The accounting spec itself fails strict validation (boolean "
    'properties with string defaults such as HasAttachments: "false"), so it is loaded '
    "with spec validation off; requests and responses are still validated.",
    "python-booleans-in-query": "The SDK sends Python's str(False)/str(True) for boolean "
    "query parameters (summarizeErrors=False); they are lower-cased before validation.",
    "sdk-readonly-defaults": "The SDK's models default HasAttachments to False and send it, "
    "though the spec marks Invoice.HasAttachments readOnly; it is dropped from request "
    "bodies before validation.",
    "lowercase-connections": "The sandbox also answers /connections; it is checked as the "
    "spec's /Connections.",
    "naive-connection-dates": "Xero sends Connection createdDateUtc/updatedDateUtc without a "
    'UTC offset ("2019-12-07T18:46:19.5165400"), which format: date-time rejects; the '
    "sandbox does the same and a Z is added before validation.",
    "undocumented-statuses": "Only 200/204/400 are documented for these operations; 401/403 "
    "problem JSON, 404 text, 429 and 5xx answers are checked by the tests themselves.",
    "get-400-undocumented": "GET operations document no 400, but Xero answers a bad where "
    "or order with 400 QueryParseException; such answers are checked by the tests.",
    "number-in-id-path": "Xero accepts an InvoiceNumber / QuoteNumber / CreditNoteNumber / "
    "Item Code in place of the {…ID} path parameter the spec types as a uuid.",
    "token-endpoint-not-in-spec": "POST /connect/token is not an operation in "
    "xero-identity.yaml; its JSON is checked against the AccessToken schema instead.",
}


def _spec_file(name: str) -> str:
    path = SPEC_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: set XERO_OPENAPI_DIR to Xero's specs")
    return str(path)


@cache
def _accounting() -> OpenAPI:
    return OpenAPI.from_file_path(
        _spec_file("xero_accounting.yaml"), config=Config(spec_validator_cls=None)
    )


@cache
def _identity() -> OpenAPI:
    return OpenAPI.from_file_path(
        _spec_file("xero-identity.yaml"), config=Config(spec_validator_cls=None)
    )


@cache
def _access_token_schema() -> dict[str, Any]:
    spec = yaml.safe_load(Path(_spec_file("xero-identity.yaml")).read_text())
    return spec["components"]["schemas"]["AccessToken"]


def _query_args(query: str) -> ImmutableMultiDict:
    pairs = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        if value in ("True", "False"):  # quirk: python-booleans-in-query
            value = value.lower()
        pairs.append((key, value))
    return ImmutableMultiDict(pairs)


def _fix_connection_dates(body: bytes) -> bytes:
    data = json.loads(body)
    for connection in data:
        for key in ("createdDateUtc", "updatedDateUtc"):
            if connection.get(key) and not connection[key].endswith("Z"):
                connection[key] += "Z"  # quirk: naive-connection-dates
    return json.dumps(data).encode()


def _without_sdk_defaults(body: bytes) -> bytes:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "HasAttachments"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    try:
        return json.dumps(strip(json.loads(body))).encode()  # quirk: sdk-readonly-defaults
    except ValueError:
        return body


def _id_path_is_a_number(path: str) -> bool:
    parts = path.strip("/").split("/")
    return len(parts) >= 4 and len(parts[3]) != 36  # quirk: number-in-id-path


def problems(exchange: Exchange) -> list[str]:
    """What is wrong with one exchange, as readable sentences (empty when it conforms)."""
    path = exchange.path
    if path.lower() == "/connect/token" and exchange.status == 200:
        try:
            jsonschema.validate(json.loads(exchange.response_body), _access_token_schema())
        except jsonschema.ValidationError as exc:
            return [f"token response: {exc.message}"]
        return []
    if path.lower().startswith("/connections"):
        spec, path = _identity(), "/Connections" + path[len("/connections") :]
    elif path.startswith("/api.xro/2.0/"):
        spec = _accounting()
    else:
        return []
    content_type = exchange.headers.get("content-type", "application/json").split(";")[0]
    request = MockRequest(
        HOST,
        exchange.method,
        path,
        args=_query_args(exchange.query),
        headers=exchange.headers,
        data=_without_sdk_defaults(exchange.body) or None,
        content_type=content_type or "application/json",
    )
    found = []
    # Refused calls (401, 403, 404, 429, 5xx) are answered before the body is read.
    skip_request = exchange.status not in DOCUMENTED or _id_path_is_a_number(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openapi-core warns that OAuth2 is not checked
        if not skip_request:
            try:
                spec.validate_request(request)
            except Exception as exc:  # noqa: BLE001 - report every kind of failure
                found.append(f"request {exchange.method} {path}: {_describe(exc)}")
        if exchange.status not in DOCUMENTED:  # quirk: undocumented-statuses
            return found
        if exchange.method == "GET" and exchange.status == 400:  # quirk: get-400-undocumented
            return found
        body = exchange.response_body
        if path.startswith("/Connections") and exchange.status == 200:
            body = _fix_connection_dates(body)
        response = MockResponse(
            body,
            status_code=exchange.status or 0,
            content_type=exchange.response_headers.get("content-type", "").split(";")[0]
            or "application/json",
        )
        try:
            spec.validate_response(request, response)
        except Exception as exc:  # noqa: BLE001
            found.append(f"response {exchange.status} {exchange.method} {path}: {_describe(exc)}")
    return found


def _describe(exc: Exception) -> str:
    details = [str(exc)]
    cause = exc.__cause__
    while cause is not None:
        errors = getattr(cause, "schema_errors", None)
        if errors:
            details.extend(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
        else:
            details.append(str(cause))
        cause = cause.__cause__
    return "; ".join(details)


class SpecRecorder:
    """An observer that keeps exchanges until the test checks them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self.checked = 0

    def __call__(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    def drain(self) -> list[Exchange]:
        """Take the exchanges recorded so far."""
        with self._lock:
            taken, self._exchanges = self._exchanges, []
        return taken

    def check(self) -> list[str]:
        """Validate and forget the recorded exchanges; return the problems."""
        found = []
        for exchange in self.drain():
            self.checked += 1
            found.extend(problems(exchange))
        return found

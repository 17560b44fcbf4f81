"""Xero's validation messages in plain words, with what to do about them."""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

# Each rule: a pattern for Xero's message (matched loosely: quotes and full stops vary, see
# ../shared/xero-facts.md "Misleading or inconsistent wordings") and what to fix. The section
# of xero-facts.md holding the real string is named beside each; order matters (first wins).
_RULES: list[tuple[re.Pattern[str], str]] = [
    # §9: the payment lock comes first, as Xero often sends it with the status message.
    (
        re.compile(r"cannot be edited as it has a (reconciled )?payment or credit note", re.I),
        "The document is paid or credited in Xero, so it can no longer be changed: leave the "
        "shipment as sent, or void/credit the document in Xero and send again.",
    ),
    (  # §9: "The status VOIDED cannot be applied to the invoice because it has payments…"
        re.compile(r"status (?P<x>\w+) cannot be applied .* has payments or credit notes", re.I),
        "Xero will not make the document {x} while payments or credit notes are allocated to "
        "it: remove them in Xero first.",
    ),
    (  # §9: "Invoice not of valid status for modification"
        re.compile(r"not of valid status for modification", re.I),
        "The document's status in Xero no longer allows this change (it may be approved, "
        "voided or deleted there): check it in Xero, then send again or leave it.",
    ),
    (  # §1: archived or deleted account
        re.compile(r"Account code '(?P<x>[^']*)' has been archived, or has been deleted", re.I),
        "Account code {x} is archived or deleted in Xero: choose an active account on the "
        "Mapping page, or restore it in Xero.",
    ),
    (  # §1: "…has been removed as it does not match a recognised account."
        re.compile(r"Account code '(?P<x>[^']*)' has been removed", re.I),
        "Account code {x} is not an account in Xero: choose one on the Mapping page.",
    ),
    (  # §1: "Account code '200' is not a valid code for this document"
        re.compile(r"Account code '(?P<x>[^']*)' is not a valid code", re.I),
        "Account code {x} cannot be used in Xero: choose an active revenue account on the "
        "Mapping page, or unarchive it in Xero.",
    ),
    (  # §1: "Account code must be specified"
        re.compile(r"Account code must be specified", re.I),
        "No account is set for a line: choose the sales and freight accounts on the Mapping page.",
    ),
    (  # §1: "Account must be valid." / "Tax rate must be valid." (seen for over-precise prices)
        re.compile(r"^(Account|Tax rate) must be valid", re.I),
        "Xero could not use a line's account or tax rate. Xero also says this when a unit "
        "price has more than 4 decimal places: round the unit price, then check the account "
        "and tax type on the Mapping page.",
    ),
    (  # §1 (payments): "Account could not be found."
        re.compile(r"^Account could not be found", re.I),
        "An account Shipbridge uses is not in Xero: choose an account on the Mapping page.",
    ),
    (  # §2: "The TaxType code 'X' cannot be used with account code 'Y'."
        re.compile(
            r"TaxType code '?(?P<x>.+?)'? cannot be used with account code '?(?P<y>[^']+?)'?\.?$",
            re.I,
        ),
        "Tax type {x} cannot be used with account {y}: choose a tax type that suits the "
        "account (or another account) on the Mapping page.",
    ),
    (  # §2: "The TaxType code GST on Income does not exist or cannot be used…" (unquoted)
        re.compile(r"TaxType code '?(?P<x>.+?)'? does not exist", re.I),
        "Tax type {x} cannot be used in Xero: choose a tax type on the Mapping page.",
    ),
    (  # §2: "The TaxType field is mandatory"
        re.compile(r"TaxType field is mandatory", re.I),
        "No tax type is set: choose one on the Mapping page.",
    ),
    (  # §3: "Item code 'X' is not valid"
        re.compile(r"Item code '?(?P<x>[^' ]*)'? is not valid|Item code .* does not exist", re.I),
        "A product code is not a Xero item code: fix the code or add the item in Xero.",
    ),
    (  # §4: archived contact on an invoice or credit note
        re.compile(r"contact .*has been archived", re.I),
        "The Xero contact for this customer code is archived: un-archive it in Xero, or map "
        "the customer code to another contact on the Mapping page.",
    ),
    (  # §4: no identifier; "Contact could not be found" (sandbox); "Contact Name cannot be empty."
        re.compile(
            r"Contact must contain at least 1|contact .*(could not be found|not found|must be "
            r"specified)|Contact Name cannot be empty",
            re.I,
        ),
        "The Xero contact for this customer code was not found: refresh the mapping from Xero "
        "or fix the customer code.",
    ),
    (
        re.compile(r"archived", re.I),
        "Something on the document is archived in Xero (contact, account or item): restore it "
        "in Xero or choose another.",
    ),
    (  # §5: "Organisation is not subscribed to currency USD"
        re.compile(r"not subscribed to currency '?(?P<x>\w+)", re.I),
        "Currency {x} is not enabled in the Xero organisation: add it in Xero "
        "(Settings → Currencies) or change the shipment's currency.",
    ),
    (  # §6: "The document DueDate field must be specified."
        re.compile(r"Due ?Date", re.I),
        "The due date is missing or not valid: enter the date payment is due.",
    ),
    (  # §6: "The Date field must be specified."
        re.compile(r"\bDate field must be specified", re.I),
        "The document date is missing: enter the shipment's date (or the date it takes it "
        "from, on the Mapping page).",
    ),
    (  # §7: "The line total 40.00 does not match the expected line total 37.50"
        re.compile(
            r"line total (?P<x>-?\d[\d,]*(?:\.\d+)?) does not match the expected line total "
            r"(?P<y>-?\d[\d,]*(?:\.\d+)?)",
            re.I,
        ),
        "A line's item value ({x}) is not quantity × unit price ({y} as Xero rounds it): "
        "correct the quantity, the unit price or the item value.",
    ),
    (  # §7: "The invoice total does not equal the sum of the lines."
        re.compile(r"total does not equal the sum of the lines", re.I),
        "The document total is not the sum of its lines: check each line's item value.",
    ),
    (  # §7: "The discount rate '27.83' is invalid. Discount must not be greater than …"
        re.compile(r"discount rate '?(?P<x>[^' ]+)'? is invalid", re.I),
        "Discount {x} % is more than the line is worth: correct the discount or the line.",
    ),
    (  # §8: "Invoice # must be unique." (and the sandbox's "Quote #" / "Credit Note #")
        re.compile(r"(Invoice|Quote|Credit Note) # must be unique", re.I),
        "A document with this number already exists in Xero: change the reference number.",
    ),
    (  # §11: allocations
        re.compile(r"already been paid off|cannot be allocated as amount is greater", re.I),
        "The credit is more than the invoice still owes in Xero: check what is owing there.",
    ),
    (  # §15: "Idempotency Key: {key} is used with a different request."
        re.compile(r"Idempotency Key: .* is used with a different request", re.I),
        "Xero saw this send's key with a different request: send the shipment again (a new "
        "send uses a new key).",
    ),
    (  # §12: a token lacking the scope
        re.compile(r"AuthorizationUnsuccessful|insufficient_scope", re.I),
        "The Xero connection lacks a permission this needs: reconnect the organisation on the "
        "Connect page.",
    ),
    (  # §12: "TokenExpired: token expired at 04/09/2023 05:16:59"
        re.compile(r"TokenExpired", re.I),
        "Xero's sign-in for this organisation expired and could not be renewed: reconnect it "
        "on the Connect page.",
    ),
    (  # §12: 401/403 "AuthenticationUnsuccessful"; token endpoint "invalid_grant"
        re.compile(r"AuthenticationUnsuccessful|invalid_grant", re.I),
        "Xero no longer accepts this organisation's connection: reconnect it on the Connect page.",
    ),
    (  # §12: authorise page "Error: unauthorized_client : Invalid redirect_uri"
        re.compile(r"Invalid redirect_uri", re.I),
        "The address Xero sends you back to is not registered on the Xero app: add Shipbridge's "
        "redirect URI (XERO_REDIRECT_URI, or APP_URL with a final /) to the app at "
        "developer.xero.com, exactly as written.",
    ),
    (  # §12/§14: "Error: unauthorized_client : Invalid scope for client", invalid_scope
        re.compile(r"Invalid scope for client|invalid_scope", re.I),
        "The Xero app may not ask for one of the scopes requested: apps created on or after "
        "2 March 2026 can only use granular scopes, so leave XERO_SCOPES unset and "
        "XERO_APP_CREATED_BEFORE_MARCH_2026 off.",
    ),
    (  # §12: "unauthorized_client : Unknown client or client not enabled"
        re.compile(r"Unknown client or client not enabled|invalid_client", re.I),
        "Xero does not know this app: check XERO_CLIENT_ID and XERO_CLIENT_SECRET.",
    ),
]

# Words in an unknown message, and the shipment fields they most likely concern.
_FIELD_HINTS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"quantit|unit ?amount|unit price|line ?amount|line total|discount", re.I),
        "the lines' quantity, unit price and item value",
    ),
    (re.compile(r"account", re.I), "the sales and freight accounts (Mapping page)"),
    (re.compile(r"tax", re.I), "the tax type (Mapping page)"),
    (re.compile(r"item", re.I), "the lines' product codes"),
    (re.compile(r"contact|customer", re.I), "the buyer or consignee code"),
    (re.compile(r"currenc|rate", re.I), "the currency and exchange rate"),
    (re.compile(r"date", re.I), "the date and due date"),
    (re.compile(r"number|reference|#", re.I), "the reference number"),
]


def explain(message: str) -> str:
    """Plain words and the fix for one Xero message. A message no rule knows is quoted, with
    the shipment fields it likely concerns, and logged so a rule can be added."""
    for pattern, template in _RULES:
        match = pattern.search(message)
        if match:
            return template.format(**{k: v or "" for k, v in match.groupdict().items()})
    log.warning("No explanation for Xero's message %r: add a rule to services/explain.py", message)
    fields = [words for pattern, words in _FIELD_HINTS if pattern.search(message)]
    said = f"Xero said: {message.rstrip('.')}."
    if not fields:
        return f"{said} Fix the shipment or the mapping and send again."
    return f"{said} It likely concerns {', '.join(fields)}: check them and send again."

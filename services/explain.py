"""Xero's validation messages in plain words, with what to do about them."""

from __future__ import annotations

import re

_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"Account code '(?P<x>[^']*)' is not a valid code", re.I),
        "Account code {x} cannot be used in Xero: choose an active revenue account on the "
        "Mapping page, or unarchive it in Xero.",
    ),
    (
        re.compile(r"not subscribed to currency (?P<x>\w+)", re.I),
        "Currency {x} is not enabled in the Xero organisation: add it in Xero "
        "(Settings → Currencies) or change the shipment's currency.",
    ),
    (
        re.compile(r"cannot be edited as it has a payment or credit note", re.I),
        "The document is paid or credited in Xero, so it can no longer be changed: leave the "
        "shipment as sent, or void/credit the document in Xero and send again.",
    ),
    (
        re.compile(r"(Invoice|Quote) # must be unique", re.I),
        "A document with this number already exists in Xero: change the reference number.",
    ),
    (
        re.compile(r"TaxType code '?(?P<x>[^' ]*)'? does not exist", re.I),
        "Tax type {x} cannot be used in Xero: choose a tax type on the Mapping page.",
    ),
    (
        re.compile(r"Item code '?(?P<x>[^' ]*)'? is not valid|Item code .* does not exist", re.I),
        "A product code is not a Xero item code: fix the code or add the item in Xero.",
    ),
    (
        re.compile(r"contact .*(could not be found|not found|must be specified)", re.I),
        "The Xero contact for this customer code was not found: refresh the mapping from Xero "
        "or fix the customer code.",
    ),
    (
        re.compile(r"archived", re.I),
        "Something on the document is archived in Xero (contact, account or item): restore it "
        "in Xero or choose another.",
    ),
    (
        re.compile(r"Due ?Date", re.I),
        "The due date is missing or not valid: enter the date payment is due.",
    ),
]


def explain(message: str) -> str:
    """Plain words and the fix for one Xero message; falls back to quoting Xero."""
    for pattern, template in _RULES:
        match = pattern.search(message)
        if match:
            return template.format(**{k: v or "" for k, v in match.groupdict().items()})
    return f"Xero said: {message.rstrip('.')}. Fix the shipment or the mapping and send again."

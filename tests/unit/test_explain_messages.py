"""Each of Xero's real messages (verbatim from ../shared/xero-facts.md, section and source named
beside it) is turned into what to fix; an unknown one is quoted, pointed at the shipment fields
it likely concerns, and logged. Pure: no database, no HTTP."""

from __future__ import annotations

import logging

import pytest

from services.explain import explain

REAL_MESSAGES = [
    # §1, XeroAPI/Xero-NetStandard#364 (and integrations' fixtures with the full stop)
    ("Account code '200' is not a valid code for this document", "Account code 200 cannot be used"),
    (
        "Account code '451.1' is not a valid code for this document.",
        "Account code 451.1 cannot be used",
    ),
    # §1, a third-party integration test fixture
    (
        "Account code '299' has been archived, or has been deleted. Each line item must "
        "reference a valid account.",
        "Account code 299 is archived or deleted in Xero",
    ),
    # §1, XeroAPI/Xero-OpenAPI xero_accounting.yaml (ManualJournals example)
    (
        "Account code '476' has been removed as it does not match a recognised account.",
        "Account code 476 is not an account in Xero",
    ),
    # §1, XeroAPI/Xero-Java#353 (a precision overflow reported as these two)
    ("Account must be valid.", "more than 4 decimal places"),
    ("Tax rate must be valid.", "more than 4 decimal places"),
    # §1, calcinai/xero-php#230; benedwards44/Apex-for-Xero#9
    ("Account code must be specified", "No account is set for a line"),
    # §1, Garage Hive "Common Xero Errors"
    ("Account could not be found.", "An account Shipbridge uses is not in Xero"),
    # §2, XeroAPI/Xero-Java#336 (unquoted code with spaces)
    (
        "The TaxType code GST on Income does not exist or cannot be used for this type of "
        "transaction.",
        "Tax type GST on Income cannot be used in Xero",
    ),
    # §2, XeroAPI/Xero-Java#336 (quoted)
    (
        "The TaxType code 'GST on Income' cannot be used with account code '60410'.",
        "Tax type GST on Income cannot be used with account 60410",
    ),
    # §2, Apex-for-Xero#9
    ("The TaxType field is mandatory", "No tax type is set"),
    # §3, magento2-support.fooman.co.nz/article/1706-error-message-invaliditem
    ("Item code 'X' is not valid", "A product code is not a Xero item code"),
    # §4, the OpenAPI spec's 400 example
    (
        "The Contact must contain at least 1 of the following elements to identify the "
        "contact: Name, ContactID, ContactNumber",
        "The Xero contact for this customer code was not found",
    ),
    # §4, a C# integration's constant checked against ValidationErrors[0].Message
    (
        "The contact with the specified contact details has been archived. The contact must "
        "be un-archived before creating new invoices or credit notes.",
        "The Xero contact for this customer code is archived",
    ),
    # §4, waynerobinson/xeroizer PR#380
    ("Contact Name cannot be empty.", "The Xero contact for this customer code was not found"),
    # §5, Invoiced / GoHighLevel help docs
    ("Organisation is not subscribed to currency USD", "Currency USD is not enabled"),
    # §5, a code comment (Accounts)
    ("The current organisation is not subscribed to currency 'EUR'.", "Currency EUR is not"),
    # §6, xeroizer#290
    ("The document DueDate field must be specified.", "The due date is missing"),
    ("The Date field must be specified.", "The document date is missing"),
    # §7, XeroAPI/Xero-NetStandard#147 and community discussion 144129369
    (
        "The line total -0.01 does not match the expected line total 0.00",
        "A line's item value (-0.01) is not quantity × unit price (0.00",
    ),
    (
        "the line total 1500.00 does not match the expected line total 1499.93, and 3 other "
        "issues.",
        "A line's item value (1500.00) is not quantity × unit price (1499.93 ",
    ),
    # §7, xeroizer PR#23; wise-sync article 36000041682
    ("The invoice total does not equal the sum of the lines.", "not the sum of its lines"),
    ("The Document total does not equal the sum of the lines.", "not the sum of its lines"),
    # §7, XeroAPI/xero-php-oauth2#288
    (
        "The discount rate '27.83' is invalid. Discount must not be greater than the line total.",
        "Discount 27.83 % is more than the line is worth",
    ),
    # §8, the OpenAPI spec's example on POST /Invoices/{InvoiceID}
    ("Invoice # must be unique.", "A document with this number already exists in Xero"),
    # §9, xeroizer PR#211 comment; Fooman; CiviCRM connector
    (
        "This document cannot be edited as it has a payment or credit note allocated to it.",
        "The document is paid or credited in Xero",
    ),
    # §9, stackoverflow q/52517629; Fooman; Clouddepot KB
    ("Invoice not of valid status for modification", "status in Xero no longer allows"),
    # §9, support.ascora.com.au ("reconciled" variant, joined as integrations show it)
    (
        "Invoice not of valid status for modification. This document cannot be edited as it "
        "has a reconciled payment or credit note allocated to it.",
        "The document is paid or credited in Xero",
    ),
    # §9, integration codebases' "not updatable" lists
    (
        "The status VOIDED cannot be applied to the invoice because it has payments or credit "
        "notes allocated to it.",
        "Xero will not make the document VOIDED while payments",
    ),
    # §11, xeroizer#320; calcinai/xero-php#251
    ("The invoice you are trying to allocate to has already been paid off", "The credit is more"),
    (
        "Credit Note cannot be allocated as amount is greater than amount outstanding",
        "The credit is more",
    ),
    # §15, a third-party classifier test
    (
        "Idempotency Key: breeze-inv-abc is used with a different request.",
        "Xero saw this send's key with a different request",
    ),
    # §12, Xero-NetStandard#298; xero-node#320; stackoverflow q/61047303
    ("AuthorizationUnsuccessful", "lacks a permission"),
    # §12, freakboy3742/pyxero PR#337
    ("TokenExpired: token expired at 04/09/2023 05:16:59", "sign-in for this organisation"),
    # §12, gist dobesv/5b422c3deb749449df621a014ea35cfe; troubleshooting page (403)
    ("AuthenticationUnsuccessful", "no longer accepts this organisation's connection"),
    # §12, Xero-NetStandard#257 (token endpoint)
    ("invalid_grant", "no longer accepts this organisation's connection"),
    # §12, xero-netstandard-oauth2-samples#5; xero-node-oauth2-app#58
    ("Error: unauthorized_client : Invalid redirect_uri", "not registered on the Xero app"),
    # §12, xero-python-oauth2-app#14
    ("Error: unauthorized_client : Invalid scope for client", "granular scopes"),
    # §12/§14, help.apideck.com/en/articles/8647746
    ("invalid_scope", "granular scopes"),
    # §12, xero-python#110
    ("unauthorized_client : Unknown client or client not enabled", "check XERO_CLIENT_ID"),
    ("invalid_client", "check XERO_CLIENT_ID"),
]


@pytest.mark.parametrize(
    ("xero_said", "fix"), REAL_MESSAGES, ids=[m[:50] for m, _ in REAL_MESSAGES]
)
def test_each_real_xero_message_is_explained(xero_said, fix, caplog):
    with caplog.at_level(logging.WARNING, logger="services.explain"):
        plain = explain(xero_said)
    assert fix in plain, plain
    assert not plain.startswith("Xero said:")
    assert caplog.records == []


def test_an_unknown_message_names_the_fields_it_likely_concerns_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="services.explain"):
        plain = explain("The unit price of a line exceeds the allowed maximum.")
    assert plain == (
        "Xero said: The unit price of a line exceeds the allowed maximum. It likely concerns "
        "the lines' quantity, unit price and item value: check them and send again."
    )
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "The unit price of a line exceeds the allowed maximum." in caplog.text


def test_an_unknown_message_with_no_clue_points_at_the_shipment_or_the_mapping(caplog):
    with caplog.at_level(logging.WARNING, logger="services.explain"):
        plain = explain("Something new happened.")
    assert plain.startswith("Xero said: Something new happened.")
    assert plain.endswith("Fix the shipment or the mapping and send again.")
    assert len(caplog.records) == 1

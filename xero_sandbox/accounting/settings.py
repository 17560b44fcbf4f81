"""Organisation settings: Organisation, Accounts, TaxRates and Currencies (read-only)."""

from __future__ import annotations

from xero_sandbox.accounting.batch import list_result, one_result
from xero_sandbox.accounting.context import ApiRequest, Result
from xero_sandbox.accounting.serialize import (
    account_json,
    currency_json,
    envelope,
    organisation_json,
    tax_rate_json,
)


def get_organisation(ctx: ApiRequest) -> Result:
    """GET /Organisation."""
    return Result(200, envelope(ctx, "Organisations", [organisation_json(ctx.organisation)]))


def get_accounts(ctx: ApiRequest) -> Result:
    """GET /Accounts with where, order and If-Modified-Since."""
    return list_result(
        ctx, "Accounts", "Account", ctx.records("account"), account_json, pageable=False
    )


def get_account(ctx: ApiRequest) -> Result:
    """GET /Accounts/{AccountID}."""
    account = ctx.get_by_uuid("account", ctx.path_params["id"])
    return one_result(ctx, "Accounts", account, account_json)


def get_tax_rates(ctx: ApiRequest) -> Result:
    """GET /TaxRates with where, order and TaxType."""
    records = ctx.records("taxrate")
    wanted = (ctx.arg("TaxType") or "").upper()
    if wanted:
        records = [r for r in records if r["TaxType"] == wanted]
    return list_result(ctx, "TaxRates", "TaxRate", records, tax_rate_json, pageable=False)


def get_currencies(ctx: ApiRequest) -> Result:
    """GET /Currencies: the organisation's subscribed currencies."""
    records = [{"Code": code} for code in ctx.organisation["Currencies"]]
    return list_result(
        ctx,
        "Currencies",
        "Currency",
        records,
        lambda r: currency_json(r["Code"]),
        pageable=False,
    )

"""Small HTML pages: the consent screen, identity errors and the go.xero.com look-alikes."""

from __future__ import annotations

from html import escape

SCOPE_WORDS = {
    "openid": "Verify your identity with Xero",
    "profile": "View your name and Xero user ID",
    "email": "View your email address",
    "offline_access": "Have access to your data when you're not using the app",
    "accounting.transactions": "View and manage your business transactions",
    "accounting.transactions.read": "View your business transactions",
    "accounting.invoices": "View and manage your invoices, quotes and credit notes",
    "accounting.invoices.read": "View your invoices, quotes and credit notes",
    "accounting.payments": "View and manage your payments",
    "accounting.payments.read": "View your payments",
    "accounting.settings": "View and manage your organisation settings",
    "accounting.settings.read": "View your organisation settings",
    "accounting.contacts": "View and manage your contacts",
    "accounting.contacts.read": "View your contacts",
    "accounting.reports.read": "View your reports",
    "accounting.journals.read": "View your general ledger",
    "accounting.attachments": "View and manage your attachments",
    "accounting.attachments.read": "View your attachments",
}

CONSENT_HEADING = "Shipbridge would like access to your organisation's data"

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;color:#1e2a35}
main{max-width:640px;margin:40px auto;background:#fff;padding:32px;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.1)}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #dde3e8;padding:6px;text-align:left}
td.num,th.num{text-align:right}.error{color:#b00020}
button{padding:8px 18px;margin-right:8px;font-size:1rem}
.banner{background:#13b5ea;color:#fff;padding:8px 16px;font-weight:600}
"""


def page(title: str, body: str) -> str:
    """Wrap a body in the sandbox's page chrome."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><div class=banner>Xero sandbox</div><main>{body}</main></body></html>"
    )


def consent_page(
    params: dict[str, str], organisations: list[tuple[str, str]], error: str | None = None
) -> str:
    """The consent screen: requested scopes in words, a checkbox per organisation."""
    scopes = params.get("scope", "").split()
    scope_items = "".join(f"<li>{escape(SCOPE_WORDS.get(s, s))}</li>" for s in scopes)
    hidden = "".join(
        f'<input type=hidden name="{escape(key)}" value="{escape(value)}">'
        for key, value in params.items()
    )
    boxes = "".join(
        f'<label><input type=checkbox name=tenant value="{escape(tenant_id)}"'
        f"{' checked' if index == 0 else ''}> {escape(name)}</label><br>"
        for index, (tenant_id, name) in enumerate(organisations)
    )
    problem = f"<p class=error role=alert>{escape(error)}</p>" if error else ""
    body = (
        f"<h1>{escape(CONSENT_HEADING)}</h1>{problem}"
        f"<p>Shipbridge will be able to:</p><ul>{scope_items}</ul>"
        f'<form method=post action="/identity/connect/authorize">{hidden}'
        f"<fieldset><legend>Organisations</legend>{boxes}</fieldset><p>"
        "<button type=submit name=action value=allow>Allow access</button>"
        "<button type=submit name=action value=cancel>Cancel</button></p></form>"
    )
    return page("Xero | Authorise", body)


def error_page(message: str) -> str:
    """An identity error that must not redirect (unknown client, bad parameters), worded as
    login.xero.com's error page (xero-facts.md §12; xero-netstandard-oauth2-samples#5,
    xero-node-oauth2-app#58, xero-python-oauth2-starter#13). ``message`` is the
    ``Error: {code} : {description}`` line."""
    body = (
        "<h1>Sorry, something went wrong</h1>"
        "<p>Go back and try again.</p>"
        "<p>If the issue continues, check out our Status Page.</p>"
        "<p>Error code: 500</p>"
        f"<p class=error>{escape(message)}</p>"
    )
    return page("Xero | Error", body)

"""Clicks "Allow access" on the sandbox's consent page, the way a browser would, over HTTP."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import httpx


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action = None
        self.method = "post"
        self.fields: list[tuple[str, str]] = []
        self.submit: tuple[str, str] | None = None
        self._button: dict[str, str | None] | None = None  # the open <button>'s attributes

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
            self.method = (a.get("method") or "post").lower()
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind == "submit":
                if (a.get("value") or "") == "Allow access":
                    self.submit = (a["name"], a.get("value") or "")
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "button":
            self._button = a

    def handle_data(self, data):
        button = self._button
        if button and data.strip() == "Allow access" and (name := button.get("name")):
            self.submit = (name, button.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "button":
            self._button = None


def allow_access(authorize_url: str) -> tuple[str, str]:
    """Open the consent page, allow access, and return (code, state) from the redirect."""
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        page = client.get(authorize_url)
        assert page.status_code == 200, page.text
        assert "Shipbridge would like access to your organisation's data" in html.unescape(
            page.text
        )
        form = _Form()
        form.feed(page.text)
        data: dict[str, list[str]] = {}
        for name, value in list(form.fields) + ([form.submit] if form.submit else []):
            data.setdefault(name, []).append(value)
        answer = client.post(urljoin(authorize_url, form.action or ""), data=data)
        assert answer.status_code in (302, 303), answer.text
    query = parse_qs(urlparse(answer.headers["location"]).query)
    return query["code"][0], query["state"][0]

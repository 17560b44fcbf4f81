"""User text is text: what people typed (shipment numbers, codes, descriptions, names) and
what Xero said about it goes into Streamlit's Markdown only through `md_text`, so it can
never become a link, an image the browser fetches, HTML, code or emphasis."""

from __future__ import annotations

import re

# Characters that build Markdown (and Streamlit's additions: `$` for LaTeX, `:color[..]`
# directives) anywhere in a line. Each is escaped with a backslash, which Markdown renders
# as the character itself. `[` and `]` matter most: without them no link or image forms,
# so `(`, `)`, `{` and `}` have nothing to attach to and stay as they are (readable text).
_ANYWHERE = re.compile(r"([\\`*\[\]<>!|~$])")
# `_` is emphasis only at a word's edge (CommonMark ignores it inside a word: ACME_LTD).
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# A line that starts like a heading, quote, list item or rule (`# `, `> `, `- `, `+ `,
# `1. `, `1) `, `---`, `===`).
_LEADING_MARKER = re.compile(r"^(\s*)([#>+\-=]|\d+(?=[.)]))", re.MULTILINE)
# Bare addresses that GitHub-flavoured Markdown turns into links by itself (scheme://, www.,
# name@domain). Streamlit's renderer finds them in the text after escapes are undone, so a
# backslash cannot stop it: an invisible word joiner between the pieces does.
_BARE_LINK = re.compile(r"(?i)(?<=[a-z0-9+.\-])(?=://)|(?<=\bwww)(?=\.)|(?<=[\w.+\-])(?=@)")
WORD_JOINER = "\u2060"


def md_text(value: object) -> str:
    """`value` as Markdown that shows exactly its characters and nothing more (a bare
    address carries an invisible word joiner, so it is not made a link)."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ANYWHERE.sub(r"\\\1", text)
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    text = _LEADING_MARKER.sub(_escape_marker, text)
    return _BARE_LINK.sub(WORD_JOINER, text)


def _escape_marker(match: re.Match[str]) -> str:
    indent, marker = match.groups()
    if marker.isdigit():  # an ordered list's number: escape the `.` or `)` after it
        return f"{indent}{marker}\\"
    return f"{indent}\\{marker}"


def md_code(value: object) -> str:
    """`value` as a Markdown code span: inside one nothing is a link, an image or HTML, and
    a fence longer than any run of backticks in the value keeps it from ending early."""
    text = ("" if value is None else str(value)).replace("\r", " ").replace("\n", " ")
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    # A space each side when the value starts or ends with a backtick (CommonMark strips one).
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"

"""The ``where`` and ``order`` query parameters, read the way Xero's Dynamic LINQ reads them.

Supported: ``==``, ``!=``, ``<>``, ``<``, ``>``, ``<=``, ``>=``, ``AND``/``&&``,
``OR``/``||``, ``NOT``/``!``, parentheses, string/number/true/false/null
literals, ``Guid("…")``, ``DateTime(y,m,d[,h,mi,s])``, ``DateTime.Parse("…")``
and the string methods ``Contains``, ``StartsWith``, ``EndsWith``,
``ToLower``, ``ToUpper``, ``ToString``. Field names (``Contact.ContactID``) are
checked against the document type, and operand types must match (a Guid field
needs ``Guid("…")``), with Xero's QueryParseException messages.
String comparisons ignore case, as Xero's do.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from xero_sandbox.formats import MS_DATE_RE, FormatError, parse_timestamp

TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.|"")*")
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<op>==|!=|<>|>=|<=|&&|\|\||[<>=!(),.\-])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
COMPARISONS = {"==", "=", "!=", "<>", "<", ">", "<=", ">="}
STRING_METHODS = {"contains", "startswith", "endswith", "tolower", "toupper", "tostring"}


class QueryError(ValueError):
    """A where/order expression Xero would reject (QueryParseException)."""


class Guid(str):
    """A GUID value, kept distinct from strings for Xero's type checks."""


def _sdk_models() -> Any:
    from xero_python.accounting import models

    return models


@cache
def _fields(type_name: str) -> dict[str, tuple[str, str]]:
    """Lower-cased JSON field name -> (JSON name, SDK type) for a document type."""
    model = getattr(_sdk_models(), type_name, None)
    if model is None or not hasattr(model, "attribute_map"):
        return {}
    return {
        json_name.lower(): (json_name, model.openapi_types[attr])
        for attr, json_name in model.attribute_map.items()
    }


def _value_type(sdk_type: str, json_name: str) -> str:
    if sdk_type == "str":
        return "Guid" if json_name.endswith("ID") else "String"
    if sdk_type in ("float", "int"):
        return "Decimal"
    if sdk_type == "bool":
        return "Boolean"
    if sdk_type.startswith(("date", "datetime")):
        return "DateTime"
    if sdk_type.startswith("list["):
        return "List"
    if _fields(sdk_type):
        return "Object:" + sdk_type
    return "String"  # enums


class _Parser:
    def __init__(self, text: str, type_name: str) -> None:
        self.tokens = self._tokenise(text)
        self.pos = 0
        self.type_name = type_name

    @staticmethod
    def _tokenise(text: str) -> list[tuple[str, str]]:
        tokens, pos = [], 0
        while pos < len(text):
            match = TOKEN_RE.match(text, pos)
            if not match or match.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise QueryError("Syntax error")
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        return tokens

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise QueryError(f"'{value}' expected")

    def word(self, *words: str) -> bool:
        kind, value = self.peek()
        return kind == "name" and value.upper() in words

    def parse(self) -> tuple:
        if not self.tokens:
            raise QueryError("Expression expected")
        node = self.parse_or()
        if self.peek()[0] != "end":
            raise QueryError("Syntax error")
        return node

    def parse_or(self) -> tuple:
        node = self.parse_and()
        while self.word("OR") or self.peek()[1] == "||":
            self.take()
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self) -> tuple:
        node = self.parse_not()
        while self.word("AND") or self.peek()[1] == "&&":
            self.take()
            node = ("and", node, self.parse_not())
        return node

    def parse_not(self) -> tuple:
        if self.word("NOT") or self.peek()[1] == "!":
            self.take()
            return ("not", self.parse_not())
        left = self.parse_primary()
        if self.peek()[1] in COMPARISONS:
            op = self.take()[1]
            op = {"=": "==", "<>": "!="}.get(op, op)
            return ("cmp", op, left, self.parse_primary())
        return left

    def parse_primary(self) -> tuple:
        kind, value = self.take()
        if kind == "end":
            raise QueryError("Expression expected")
        if value == "(":
            node = self.parse_or()
            self.expect(")")
            return self.parse_members(node)
        if kind == "string":
            return self.parse_members(("lit", _unquote(value), "String"))
        if value == "-" and self.peek()[0] == "number":
            return ("lit", -Decimal(self.take()[1]), "Decimal")
        if kind == "number":
            return ("lit", Decimal(value), "Decimal")
        if kind != "name":
            raise QueryError("Expression expected")
        upper = value.upper()
        if upper in ("TRUE", "FALSE"):
            return ("lit", upper == "TRUE", "Boolean")
        if upper == "NULL":
            return ("lit", None, "Null")
        if value == "Guid" and self.peek()[1] == "(":
            return ("lit", Guid(self._single_string_argument().lower()), "Guid")
        if value == "DateTime" and self.peek()[1] in ("(", "."):
            return ("lit", self._datetime_literal(), "DateTime")
        return self.parse_members(self._field([value]))

    def _single_string_argument(self) -> str:
        self.expect("(")
        kind, value = self.take()
        if kind != "string":
            raise QueryError("Expression expected")
        self.expect(")")
        return _unquote(value)

    def _datetime_literal(self) -> datetime:
        if self.peek()[1] == ".":
            self.take()
            if self.take()[1] != "Parse":
                raise QueryError("No property or field exists in type 'DateTime'")
            try:
                return parse_timestamp(self._single_string_argument())
            except FormatError as exc:
                raise QueryError("String was not recognized as a valid DateTime.") from exc
        self.expect("(")
        parts = []
        while True:
            kind, value = self.take()
            if kind != "number":
                raise QueryError("Expression expected")
            parts.append(int(value))
            if self.peek()[1] == ",":
                self.take()
                continue
            self.expect(")")
            break
        if len(parts) not in (3, 6):
            raise QueryError("No matching constructor in type 'DateTime'")
        try:
            return datetime(*parts, tzinfo=UTC)
        except ValueError as exc:
            raise QueryError(
                "Year, Month, and Day parameters describe an un-representable DateTime."
            ) from exc

    def _field(self, path: list[str]) -> tuple:
        while self.peek()[1] == "." and self.peek(1)[0] == "name" and self.peek(2)[1] != "(":
            self.take()
            path.append(self.take()[1])
        type_name, fields, value_type = self.type_name, _fields(self.type_name), ""
        resolved = []
        for segment in path:
            entry = fields.get(segment.lower())
            if entry is None:
                raise QueryError(f"No property or field '{segment}' exists in type '{type_name}'")
            resolved.append(entry[0])
            value_type = _value_type(entry[1], entry[0])
            if value_type.startswith("Object:"):
                type_name = value_type.split(":", 1)[1]
                fields = _fields(type_name)
            else:
                fields = {}
                type_name = value_type
        return ("field", tuple(resolved), value_type)

    def parse_members(self, node: tuple) -> tuple:
        while self.peek()[1] == "." and self.peek(1)[0] == "name":
            self.take()
            method = self.take()[1]
            target_type = _type_of(node)
            if method.lower() not in STRING_METHODS or self.peek()[1] != "(":
                raise QueryError(f"No property or field '{method}' exists in type '{target_type}'")
            if method.lower() != "tostring" and target_type != "String":
                raise QueryError(f"No applicable method '{method}' exists in type '{target_type}'")
            self.expect("(")
            args = []
            while self.peek()[1] != ")":
                args.append(self.parse_or())
                if self.peek()[1] == ",":
                    self.take()
            self.expect(")")
            node = ("call", method.lower(), node, tuple(args))
        return node


def _unquote(token: str) -> str:
    return token[1:-1].replace('""', '"').replace('\\"', '"')


def _type_of(node: tuple) -> str:
    kind = node[0]
    if kind in ("lit", "field"):
        return node[2]
    if kind == "call":
        return "Boolean" if node[1] in ("contains", "startswith", "endswith") else "String"
    return "Boolean"


def _check(node: tuple) -> None:
    kind = node[0]
    if kind in ("and", "or"):
        for child in node[1:]:
            _check(child)
            if _type_of(child) != "Boolean":
                raise QueryError("Expression of type 'Boolean' expected")
    elif kind == "not":
        _check(node[1])
    elif kind == "cmp":
        left, right = _type_of(node[2]), _type_of(node[3])
        compatible = left == right or "Null" in (left, right) or {left, right} == {"Decimal"}
        if left.startswith("Object:") or right.startswith("Object:") or not compatible:
            raise QueryError(
                f"Operator '{node[1]}' incompatible with operand types "
                f"'{left.replace('Object:', '')}' and '{right.replace('Object:', '')}'"
            )
        if node[1] not in ("==", "!=") and "Boolean" in (left, right):
            raise QueryError(
                f"Operator '{node[1]}' incompatible with operand types '{left}' and '{right}'"
            )
    elif kind == "call":
        for arg in node[3]:
            if _type_of(arg) != "String":
                raise QueryError(f"No applicable method '{node[1]}' exists in type 'String'")


class Filter:
    """A parsed ``where`` expression for one document type."""

    def __init__(self, text: str, type_name: str) -> None:
        self.tree = _Parser(text, type_name).parse()
        _check(self.tree)
        if _type_of(self.tree) != "Boolean":
            raise QueryError("Expression of type 'Boolean' expected")

    def matches(self, document: dict[str, Any]) -> bool:
        """True when the (serialised) document satisfies the expression."""
        return bool(_evaluate(self.tree, document))


def _field_value(document: dict[str, Any], path: tuple[str, ...], value_type: str) -> Any:
    value: Any = document
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    if value is None:
        return None
    if value_type == "Guid":
        return Guid(str(value).lower())
    if value_type == "Decimal":
        return Decimal(str(value))
    if value_type == "DateTime" and isinstance(value, str):
        match = MS_DATE_RE.match(value)
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC) if match else None
    return value


def _evaluate(node: tuple, document: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "field":
        return _field_value(document, node[1], node[2])
    if kind == "and":
        return _evaluate(node[1], document) and _evaluate(node[2], document)
    if kind == "or":
        return _evaluate(node[1], document) or _evaluate(node[2], document)
    if kind == "not":
        return not _evaluate(node[1], document)
    if kind == "call":
        return _call(
            node[1], _evaluate(node[2], document), [_evaluate(arg, document) for arg in node[3]]
        )
    return _compare(node[1], _evaluate(node[2], document), _evaluate(node[3], document))


def _call(method: str, target: Any, args: list[Any]) -> Any:
    if target is None:
        return None if method in ("tolower", "toupper", "tostring") else False
    text = str(target).lower() if method != "toupper" else str(target).upper()
    if method in ("tolower", "toupper", "tostring"):
        return text if method != "tostring" else str(target)
    needle = str(args[0]).lower() if args and args[0] is not None else ""
    if method == "contains":
        return needle in text
    if method == "startswith":
        return text.startswith(needle)
    return text.endswith(needle)


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if left is None or right is None:
        return False
    return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]


def sort_documents(documents: list[dict], order: str, type_name: str) -> list[dict]:
    """Sort serialised documents by an ``order`` parameter such as ``UpdatedDateUTC DESC``."""
    keys = []
    for clause in reversed([part.strip() for part in order.split(",") if part.strip()]):
        words = clause.split()
        descending = len(words) > 1 and words[1].upper() == "DESC"
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise QueryError("Syntax error")
        parser = _Parser(words[0], type_name)
        node = parser._field([parser.take()[1]])
        keys.append((node, descending))
    result = list(documents)
    for node, descending in keys:
        result.sort(
            key=lambda doc, n=node: _sort_key(_field_value(doc, n[1], n[2])), reverse=descending
        )
    return result


def _sort_key(value: Any) -> tuple:
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.lower())
    return (1, value)

"""HTML forms from JSON Schemas (a template's config, a command's parameters), and back.

Fields are named by their dotted path under a prefix (``cfg.social.socialAccountId``). The
parsed value is only a proposal: the same validators as the API (the template's schema, the
command's parameters schema) decide.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from layers.kit.errors import Validation
from layers.kit.storable import first_unstorable_reason

_MISSING = object()


@dataclass
class Field:
    name: str  # form input name
    path: tuple[str, ...]
    label: str
    kind: str  # text | number | integer | boolean | select | list | json | object | account
    value: Any = None
    description: str = ""
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)


def _label(key: str) -> str:
    out = "".join(f" {c.lower()}" if c.isupper() else c for c in key).replace("_", " ")
    return out[:1].upper() + out[1:]


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if "enum" in schema:
        return "select"
    if kind == "object" and isinstance(schema.get("properties"), dict):
        return "object"
    if kind == "array":
        items = schema.get("items") or {}
        return "list" if items.get("type") in ("string", "integer", "number") else "json"
    if kind in ("string", "integer", "number", "boolean"):
        return str(kind)
    return "json"


def fields(
    schema: dict[str, Any] | None,
    values: dict[str, Any] | None,
    prefix: str,
    *,
    accounts: list[tuple[str, str]] | None = None,
    path: tuple[str, ...] = (),
) -> list[Field]:
    """The form fields of an object schema, filled with `values`."""
    schema = schema or {}
    values = values or {}
    required = set(schema.get("required") or [])
    out: list[Field] = []
    for key, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        sub_path = (*path, key)
        name = ".".join((prefix, *sub_path))
        kind = _kind(sub)
        value = values.get(key)
        item = Field(
            name=name,
            path=sub_path,
            label=str(sub.get("title") or _label(key)),
            kind=kind,
            value=value,
            description=str(sub.get("description") or ""),
            required=key in required,
        )
        for attr in ("minimum", "maximum", "maxLength", "minLength", "pattern"):
            if attr in sub:
                item.attrs[attr] = sub[attr]
        if kind == "select":
            item.options = [(str(v), str(v)) for v in sub["enum"]]
        elif kind == "object":
            item.children = fields(
                sub, value if isinstance(value, dict) else {}, prefix, accounts=accounts,
                path=sub_path,
            )  # fmt: skip
        elif kind == "string" and key == "socialAccountId" and accounts is not None:
            item.kind = "select"
            item.options = list(accounts)
            if value and value not in {v for v, _ in accounts}:
                item.options.append((str(value), str(value)))
        elif kind == "list":
            item.value = ", ".join(str(v) for v in value) if isinstance(value, list) else ""
        elif kind == "json":
            item.value = json.dumps(value, indent=2) if value is not None else ""
        out.append(item)
    return out


def _convert(item: Field, raw: str, schema: dict[str, Any]) -> Any:
    kind = item.kind
    text = raw.strip()
    if kind == "boolean":
        return raw == "true"
    if text == "":
        return _MISSING
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise Validation.field(".".join(item.path), "must be a whole number", "int") from None
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise Validation.field(".".join(item.path), "must be a number", "float") from None
        return int(number) if number.is_integer() else number
    if kind == "list":
        item_type = (schema.get("items") or {}).get("type")
        parts = [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]
        if item_type in ("integer", "number"):
            sub = Field(item.name, item.path, item.label, str(item_type))
            return [_convert(sub, p, {}) for p in parts]
        return parts
    if kind == "json":
        return _loads(text, ".".join(item.path))
    if kind == "select":
        enum = schema.get("enum")
        if enum:
            for option in enum:
                if str(option) == text:
                    return option
        return text
    return raw


def _schema_at(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = schema
    for key in path:
        node = (node.get("properties") or {}).get(key) or {}
    return node


def parse(
    schema: dict[str, Any] | None,
    form: FormData,
    prefix: str,
    base: dict[str, Any] | None = None,
    *,
    accounts: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The object the form describes, over `base` (keys the form does not show are kept)."""
    result = copy.deepcopy(base or {})
    schema = schema or {}

    def walk(items: list[Field]) -> None:
        for item in items:
            if item.kind == "object":
                walk(item.children)
                continue
            raws = form.getlist(item.name)
            if not raws:
                continue
            raw = raws[-1]
            value = _convert(
                item, raw if isinstance(raw, str) else "", _schema_at(schema, item.path)
            )
            parent = result
            for key in item.path[:-1]:
                child = parent.get(key)
                if not isinstance(child, dict):
                    child = {}
                    parent[key] = child
                parent = child
            if value is _MISSING:
                parent.pop(item.path[-1], None)
            else:
                parent[item.path[-1]] = value

    walk(fields(schema, base, prefix, accounts=accounts))
    return _drop_empty_objects(result, base or {})


def _drop_empty_objects(value: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, sub in value.items():
        if isinstance(sub, dict):
            before = base.get(key)
            inner = _drop_empty_objects(sub, before if isinstance(before, dict) else {})
            if inner or key in base:
                out[key] = inner
        else:
            out[key] = sub
    return out


def merge_patch_between(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The JSON Merge Patch (RFC 7396) that turns `old` into `new`."""
    patch: dict[str, Any] = {}
    for key in old:
        if key not in new:
            patch[key] = None
    for key, value in new.items():
        before = old.get(key, _MISSING)
        if isinstance(value, dict) and isinstance(before, dict):
            sub = merge_patch_between(before, value)
            if sub:
                patch[key] = sub
        elif before is _MISSING or before != value:
            patch[key] = value
    return patch


def _loads(text: str, field_name: str) -> Any:
    """JSON from a form field; a parse error (or nesting too deep to parse), or text the
    databases cannot store (as the API's bodies refuse it), is a 422."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Validation.field(field_name, f"is not valid JSON ({exc.msg})", "json") from None
    except RecursionError:
        raise Validation.field(field_name, "is nested too deeply", "json") from None
    reason = first_unstorable_reason(value)
    if reason:
        raise Validation.field(field_name, reason, "unstorable_text")
    return value


def parse_json_object(text: str, field_name: str) -> dict[str, Any]:
    value = _loads(text or "{}", field_name)
    if not isinstance(value, dict):
        raise Validation.field(field_name, "must be a JSON object", "type")
    return value

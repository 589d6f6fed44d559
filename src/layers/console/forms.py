"""HTML forms from JSON Schemas (a template's config, a command's parameters), and back.

Fields are named by their dotted path under a prefix (``cfg.social.socialAccountId``). The
parsed value is only a proposal: the same validators as the API (the template's schema, the
command's parameters schema) decide.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from starlette.datastructures import FormData

from layers.kit.errors import LayersError, Validation
from layers.kit.storable import first_unstorable_reason

_MISSING = object()


@dataclass
class Field:
    name: str  # form input name
    path: tuple[str, ...]
    label: str
    kind: str  # text | number | integer | boolean | select | list | multi | json | object
    value: Any = None
    description: str = ""
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # why the last submitted value was refused, in words
    # {form input name: [values]}: the field applies only while those inputs hold one of
    # the values (the schema's ``x-appliesWhen``); the form hides it, `parse` drops it.
    applies_when: dict[str, list[str]] = field(default_factory=dict)


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
    typed: FormData | None = None,
    layers: list[tuple[str, str]] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[Field]:
    """The form fields of an object schema, filled with `values`; with `typed` (a refused
    submission) each field shows what the person typed instead, and its error from `errors`
    (keyed by dotted path, as `explain` and `field_errors` give them)."""
    schema = schema or {}
    values = values or {}
    errors = errors or {}
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
                path=sub_path, typed=typed, errors=errors, layers=layers,
            )  # fmt: skip
        elif kind == "string" and key == "socialAccountId" and accounts is not None:
            item.kind = "select"
            item.options = list(accounts)
            if "title" not in sub:
                item.label = "Social account"
            if value and value not in {v for v, _ in accounts}:
                item.options.append((str(value), str(value)))
        elif kind == "list" and layers is not None and _items_pattern(sub).startswith("^lyr_"):
            item.kind = "multi"  # the project's layers to tick, never ids to type
            item.value = [str(v) for v in value] if isinstance(value, list) else []
            item.options = list(layers) + [(v, v) for v in item.value if v not in dict(layers)]
            if key == "contentLayerSourceIds" and "title" not in sub:
                item.label = "Content layers"
        elif kind == "list":
            item.value = ", ".join(str(v) for v in value) if isinstance(value, list) else ""
        elif kind == "json":
            item.value = json.dumps(value, indent=2) if value is not None else ""
        item.error = errors.get(".".join(sub_path), "")
        item.applies_when = _applies_when(sub, prefix)
        if typed is not None and kind != "object":
            _show_typed(item, typed)
        out.append(item)
    return out


def _items_pattern(schema: dict[str, Any]) -> str:
    items = schema.get("items")
    return str(items.get("pattern") or "") if isinstance(items, dict) else ""


def _applies_when(schema: dict[str, Any], prefix: str) -> dict[str, list[str]]:
    condition = schema.get("x-appliesWhen")
    if not isinstance(condition, dict):
        return {}
    return {
        ".".join((prefix, key)): [str(v) for v in (allowed if isinstance(allowed, list) else [])]
        for key, allowed in condition.items()
    }


def _show_typed(item: Field, typed: FormData) -> None:
    raws = [r for r in typed.getlist(item.name) if isinstance(r, str)]
    if item.kind == "boolean":
        item.value = "true" in raws
    elif item.kind == "multi":
        item.value = [r for r in raws if r]
    elif raws:
        item.value = raws[-1]
    elif item.applies_when:
        item.value = "" if item.kind in ("list", "json", "text", "string") else None


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
    layers: list[tuple[str, str]] | None = None,
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
            if item.kind == "multi":  # every ticked box (a hidden empty one marks the field)
                value: Any = [r for r in raws if isinstance(r, str) and r]
            else:
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

    walk(fields(schema, base, prefix, accounts=accounts, layers=layers))
    for path in inapplicable(schema, result):
        _remove(result, path)
    return _drop_empty_objects(result, base or {})


def inapplicable(
    schema: dict[str, Any] | None, config: dict[str, Any], path: tuple[str, ...] = ()
) -> list[str]:
    """The dotted paths of `config`'s values that do not apply to the rest of it (their
    schema's ``x-appliesWhen`` names sibling values at the top level they need), e.g.
    ``schedule.times`` once ``distributionMode`` is not ``custom``."""
    found: list[str] = []
    properties = (schema or {}).get("properties") or {}
    node: Any = config
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return found
    for key, sub in properties.items():
        if key not in node or not isinstance(sub, dict):
            continue
        condition = sub.get("x-appliesWhen")
        if isinstance(condition, dict) and any(
            str(config.get(name, "")) not in [str(v) for v in allowed]
            for name, allowed in condition.items()
            if isinstance(allowed, list)
        ):
            found.append(".".join((*path, key)))
        elif isinstance(node[key], dict):
            found.extend(inapplicable(sub, config, (*path, key)))
    return found


def _remove(config: dict[str, Any], dotted: str) -> None:
    *parents, last = dotted.split(".")
    node: Any = config
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(last, None)


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


# ---- refusals in words ----

_TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "on or off",
    "array": "a list",
    "object": "a group of fields",
}
_ID_WORDS = {
    "sa_": "one of the project's connected accounts",
    "lyr_": "a layer of this project",
    "cnt_": "a content of this project",
    "prj_": "a project",
}


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"“{text}”" if len(text) <= 60 else f"“{text[:57]}…”"


def _pattern_words(pattern: str) -> str:
    """What a pattern asks for, in words (never the regex itself)."""
    for prefix, words in _ID_WORDS.items():
        if pattern.startswith(f"^{prefix}"):
            return f"is not {words}"
    try:
        probe = re.compile(pattern)
    except re.error:
        return "is not in the expected format"
    if probe.fullmatch("09:30") and probe.fullmatch("23:59") and not probe.fullmatch("24:00"):
        return "is not a 24-hour time such as 09:30 or 18:45"
    if probe.fullmatch("2026-05-15") and not probe.fullmatch("15/05/2026"):
        return "is not a date such as 2026-05-15"
    return "is not in the expected format"


def _words(error: jsonschema.ValidationError) -> str:
    kind, bound, value = error.validator, error.validator_value, error.instance
    item = _shown(value) + " " if error.absolute_path and isinstance(
        error.absolute_path[-1], int
    ) else ""  # fmt: skip
    if kind == "pattern":
        described = (
            str(error.schema.get("description") or "") if isinstance(error.schema, dict) else ""
        )
        words = f"{item or _shown(value) + ' '}{_pattern_words(str(bound))}"
        return words + (
            f" ({described.rstrip('.')})" if described and "expected format" in words else ""
        )
    if kind == "enum":
        options = bound if isinstance(bound, list) else [bound]
        return f"must be one of: {', '.join(str(v) for v in options)}"
    if kind == "type":
        wanted = bound if isinstance(bound, list) else [bound]
        return f"{item}must be " + " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in wanted)
    if kind in ("minimum", "exclusiveMinimum"):
        return f"{item}must be {'at least' if kind == 'minimum' else 'more than'} {bound}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"{item}must be {'at most' if kind == 'maximum' else 'less than'} {bound}"
    if kind == "minItems":
        return f"needs at least {bound} value{'s' if bound != 1 else ''}"
    if kind == "maxItems":
        return f"takes at most {bound} value{'s' if bound != 1 else ''}"
    if kind == "uniqueItems":
        return "has the same value twice"
    if kind == "minLength":
        return f"{item}is too short (at least {bound} characters)"
    if kind == "maxLength":
        return f"{item}is too long (at most {bound} characters)"
    if kind == "additionalProperties":
        return "has a field this template does not know"
    return error.message[:200]


def _path(parts: Any) -> str:
    """A dotted field path without list indexes (``schedule.times.1`` → ``schedule.times``)."""
    return ".".join(str(p) for p in parts if not isinstance(p, int))


def explain(schema: dict[str, Any] | None, config: dict[str, Any]) -> dict[str, str]:
    """Why `schema` refuses `config`, field by field in words: {dotted path: message}."""
    validator = jsonschema.Draft202012Validator(schema or {})
    found: dict[str, str] = {}
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.path))):
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    found.setdefault(_path([*error.absolute_path, name]), "is required")
            continue
        found.setdefault(_path(error.absolute_path) or "config", _words(error))
    return found


def field_errors(exc: LayersError, prefix: str = "config") -> dict[str, str]:
    """A refusal's ``details.fields`` as {dotted path under `prefix`: message}."""
    out: dict[str, str] = {}
    items = exc.details.get("fields") if isinstance(exc.details, dict) else None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("field") or prefix)
        name = name.removeprefix(f"{prefix}.") if name != prefix else prefix
        parts = [p for p in name.split(".") if not p.isdigit()]
        out.setdefault(".".join(parts), str(item.get("message") or "is not valid"))
    if not out:
        out[prefix] = exc.message
    return out


class Mistakes(Validation):
    """A form refused before it reached the service: `problems` says why, field by field."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(
            "Not saved: " + "; ".join(f"{k} {v}" for k, v in problems.items()),
            fields=[{"field": k, "message": v, "type": "invalid"} for k, v in problems.items()],
        )
        self.problems = problems


def check(schema: dict[str, Any] | None, config: dict[str, Any]) -> None:
    """Raise `Mistakes` when `schema` refuses `config` (before the service sees it, so the
    person reads each refusal in words)."""
    problems = explain(schema, config)
    if problems:
        raise Mistakes(problems)


def problems_of(exc: Validation) -> dict[str, str]:
    return exc.problems if isinstance(exc, Mistakes) else field_errors(exc)

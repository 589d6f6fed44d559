"""JSON helpers of the engine: recording arbitrary values, merge patches, config diffs, and
PostgreSQL's ``@>`` containment (used as is on SQLite, where there is no native operator)."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from layers.kit.clock import isoformat_z

MAX_RECORDED_BYTES = 64 * 1024


def to_json(value: Any, *, _depth: int = 0) -> Any:
    """A JSON-safe rendering of `value` for the Runs view (never raises)."""
    if _depth > 32:
        return "…"
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, datetime):
        return isoformat_z(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_json(value.value, _depth=_depth + 1)
    if isinstance(value, BaseModel):
        return to_json(value.model_dump(mode="json", by_alias=True), _depth=_depth + 1)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_json(getattr(value, f.name), _depth=_depth + 1)
            for f in dataclasses.fields(value)
        }
    if isinstance(value, Mapping):
        return {str(k): to_json(v, _depth=_depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [to_json(v, _depth=_depth + 1) for v in items]
    if isinstance(value, bytes | bytearray):
        return {"bytes": len(value)}
    return repr(value)[:2000]


def bounded(value: Any) -> Any:
    """`to_json(value)`, replaced by a truncated preview when it is too large to record."""
    rendered = to_json(value)
    encoded = json.dumps(rendered, separators=(",", ":"))
    if len(encoded) <= MAX_RECORDED_BYTES:
        return rendered
    return {"truncated": True, "bytes": len(encoded), "preview": encoded[:2000]}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge recursively, ``null`` removes, else replace."""
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults under a given config: objects merge recursively, anything else replaces."""
    result = dict(base)
    for key, value in override.items():
        current = result.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            result[key] = deep_merge(current, value)
        else:
            result[key] = value
    return result


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths where `old` and `new` differ (objects recursed, anything else compared)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        paths: list[str] = []
        for key in sorted(set(old) | set(new)):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                paths.append(path)
            else:
                paths.extend(changed_paths(old[key], new[key], path))
        return paths
    return [] if old == new else [prefix or "$"]


def paths_overlap(changed: str, key: str) -> bool:
    """Whether a change at `changed` touches config key `key` (either may be the deeper)."""
    return (
        changed == key
        or changed == "$"
        or changed.startswith(key + ".")
        or key.startswith(changed + ".")
    )


def contains(container: Any, contained: Any, *, top: bool = True) -> bool:
    """PostgreSQL's ``jsonb @> jsonb``.

    Objects: every key of `contained` is in `container` with a contained value. Arrays: every
    element of `contained` is contained in some element of `container` (order and duplicates
    ignored). Scalars: equal (1 and 1.0 are equal, true is not 1). As a special case, an
    array at the top level contains a scalar equal to one of its elements.
    """
    if isinstance(contained, Mapping):
        return isinstance(container, Mapping) and all(
            key in container and contains(container[key], value, top=False)
            for key, value in contained.items()
        )
    if isinstance(contained, list):
        if not isinstance(container, list):
            return False
        return all(
            any(_element_contains(candidate, item) for candidate in container) for item in contained
        )
    if isinstance(container, list):
        return top and any(_scalar_equal(item, contained) for item in container)
    return _scalar_equal(container, contained)


def _element_contains(candidate: Any, item: Any) -> bool:
    # Inside an array a scalar only matches a scalar, an array only an array.
    if isinstance(item, list | Mapping) or isinstance(candidate, list | Mapping):
        if isinstance(item, list) != isinstance(candidate, list):
            return False
        return contains(candidate, item, top=False)
    return _scalar_equal(candidate, item)


def _scalar_equal(a: Any, b: Any) -> bool:
    if isinstance(a, Mapping | list) or isinstance(b, Mapping | list):
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b

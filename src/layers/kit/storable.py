"""Text that both databases can store and JSON can carry: the one place that says what is not.

Two kinds of string are valid Python but not storable text:

* a NUL character: PostgreSQL can neither store nor compare it (in text or JSON);
* a lone surrogate (``"\\ud800"``, which JSON's ``\\u`` escapes allow): it is not Unicode, so
  it cannot be encoded as UTF-8: PostgreSQL refuses it, SQLite stores it only as a JSON escape,
  and every later read of that row fails to serialize.

The HTTP edge refuses both with a 422 on the field (`unstorable_reason`); what still carries one
on the way to a JSON column, or comes back from a row stored before the edge refused it, is
made storable (`storable`): NUL dropped, a lone surrogate replaced by U+FFFD.
"""

from __future__ import annotations

import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a valid pair is one code point in Python
REPLACEMENT_CHARACTER = "\ufffd"


def unstorable_reason(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    if "\x00" in value:
        return "must not contain NUL characters"
    if not value.isascii() and _LONE_SURROGATE.search(value):
        return "must not contain lone surrogates (an unpaired \\ud800-\\udfff escape)"
    return None


def first_unstorable_reason(value: Any) -> str | None:
    """The first reason any string in `value` (keys and nested values included) cannot be
    stored, or None."""
    if isinstance(value, str):
        return unstorable_reason(value)
    if isinstance(value, dict):
        for key, item in value.items():
            reason = first_unstorable_reason(key) or first_unstorable_reason(item)
            if reason:
                return reason
    elif isinstance(value, list | tuple):
        for item in value:
            reason = first_unstorable_reason(item)
            if reason:
                return reason
    return None


def storable_text(value: str) -> str:
    """`value` without NUL characters and with every lone surrogate replaced by U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii():
        value = _LONE_SURROGATE.sub(REPLACEMENT_CHARACTER, value)
    return value


def storable(value: Any) -> Any:
    """`value` with `storable_text` applied to every string in it (keys included); `value`
    itself when nothing in it needs it (the common case costs a scan, not a copy)."""
    return _made_storable(value) if first_unstorable_reason(value) else value


def _made_storable(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {_made_storable(key): _made_storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_made_storable(item) for item in value]
    return value

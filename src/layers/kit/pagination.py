"""Cursor pagination: ``?cursor=&limit=`` → ``{items, nextCursor}``, newest first.

Ids are ULIDs, so ordering by id is ordering by creation. The cursor is the last id seen,
base64url-encoded so clients treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from layers.kit.errors import Validation
from layers.kit.schemas import ApiModel

T = TypeVar("T")
Row = TypeVar("Row")


class Page(ApiModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Validation.field("cursor", "malformed cursor", "cursor_invalid") from exc
    if not raw or len(raw) > 64 or not raw.isprintable():
        raise Validation.field("cursor", "malformed cursor", "cursor_invalid")
    return raw


def fetch_page(
    session: Session,
    stmt: sa.Select[Row],
    id_column: InstrumentedAttribute[str],
    *,
    cursor: str | None,
    limit: int,
    ascending: bool = False,
) -> tuple[Sequence[Row], str | None]:
    """Rows after `cursor` in id order and the cursor of the next page (None on the last)."""
    if cursor:
        last = decode_cursor(cursor)
        stmt = stmt.where(id_column > last if ascending else id_column < last)
    stmt = stmt.order_by(id_column.asc() if ascending else id_column.desc()).limit(limit + 1)
    rows: list[Row] = list(session.scalars(stmt))
    if len(rows) > limit:
        rows = rows[:limit]
        last_id: Any = getattr(rows[-1], id_column.key)
        return rows, encode_cursor(str(last_id))
    return rows, None

"""The small generic repository: tenant-checked lookups by prefixed id.

Another organization's object, a test-mode object seen with a live key (or the reverse),
a malformed id and a missing one are all the same 404: nothing leaks across tenants.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit.db import Base
from layers.kit.errors import NotFound
from layers.kit.ids import has_prefix


class TenantScope(Protocol):
    @property
    def org_id(self) -> str: ...

    @property
    def livemode(self) -> bool: ...


M = TypeVar("M", bound=Base)


class TenantRepository(Generic[M]):
    def __init__(self, model: type[M], prefix: str, label: str) -> None:
        self.model = model
        self.prefix = prefix
        self.label = label

    def get(
        self, session: Session, tenant: TenantScope, object_id: str, *, for_update: bool = False
    ) -> M:
        row: Any = None
        if has_prefix(object_id, self.prefix):
            row = session.get(self.model, object_id, with_for_update=for_update or None)
        if row is None or row.org_id != tenant.org_id or row.livemode != tenant.livemode:
            raise NotFound.of(self.label, object_id)
        found: M = row
        return found

    def scoped(self, tenant: TenantScope) -> sa.Select[M]:
        model: Any = self.model
        return sa.select(self.model).where(
            model.org_id == tenant.org_id, model.livemode == tenant.livemode
        )

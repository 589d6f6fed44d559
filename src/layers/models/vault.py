from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, UTCDateTime


class VaultSecret(Base):
    """One encrypted secret (an OAuth token, a signing secret…), referenced by its id only.

    ``ciphertext`` is self-describing (``layers.social.vault``): it records the key version it
    was sealed with, which ``key_version`` mirrors so that rotation can find what is left to
    re-encrypt with an index. Rotation re-seals in place: the id never changes.
    """

    __tablename__ = "vault_secrets"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    key_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, index=True)
    ciphertext: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

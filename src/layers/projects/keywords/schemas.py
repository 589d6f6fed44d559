from __future__ import annotations

from layers.kit.schemas import ApiModel, UtcDateTime


class Hashtag(ApiModel):
    hashtag: str
    phrase: str
    score: int
    view_count: int | None
    use_count: int | None


class KeywordBank(ApiModel):
    project_id: str
    hashtags: list[Hashtag]
    refreshed_at: UtcDateTime | None

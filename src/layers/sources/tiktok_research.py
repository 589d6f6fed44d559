"""The live catalog: TikTok's Research API, written to its public documentation.

* `ResearchClient`: a client-credentials token (``POST /v2/oauth/token/``, cached until it
  expires) and the video query (``POST /v2/research/video/query/``). Keyword research's live
  hashtag stats share it (`research_client`).
* `ResearchCatalog`: hashtag or keyword conditions over the last 30 days. The API returns post
  metadata and transcripts but no media, so live remixes adapt the source's words and render
  them with the brand's own visuals. It carries no photo-mode flag: a post without a playable
  duration is taken for a slideshow.
* `UnconfiguredCatalog`: live mode without Research API credentials, a clear 503 at the call.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from typing import Any

import httpx

from layers.kit import clock
from layers.kit.errors import PlatformError, Unavailable
from layers.kit.settings import Settings
from layers.sources.base import SourceMedia, SourcePost

RESEARCH_FIELDS = (
    "id,video_description,create_time,username,view_count,like_count,comment_count,"
    "share_count,hashtag_names,voice_to_text,video_duration"
)


class ResearchClient:
    """TikTok Research API: a client-credentials token (cached until it expires) and the
    video query."""

    def __init__(
        self,
        client_key: str,
        client_secret: str,
        *,
        base_url: str = "https://open.tiktokapis.com",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.client_key = client_key
        self.client_secret = client_secret
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(timeout=30.0, transport=transport)
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token and self._token[1] > time.monotonic() + 60:
                return self._token[0]
            try:
                response = self.http.post(
                    f"{self.base_url}/v2/oauth/token/",
                    data={
                        "client_key": self.client_key,
                        "client_secret": self.client_secret,
                        "grant_type": "client_credentials",
                    },
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            except httpx.HTTPError as exc:
                raise PlatformError("TikTok is unreachable.", platform="tiktok") from exc
            body = _json(response)
            if response.status_code != 200 or "access_token" not in body:
                raise PlatformError(
                    "TikTok refused the research client credentials.",
                    platform="tiktok",
                    platformCode=str(body.get("error") or response.status_code),
                )
            self._token = (
                str(body["access_token"]),
                time.monotonic() + float(body.get("expires_in", 7200)),
            )
            return self._token[0]

    def query_videos(
        self, query: dict[str, Any], *, max_count: int, days: int = 30
    ) -> list[dict[str, Any]]:
        end = clock.now().date()
        start = end - timedelta(days=days - 1)
        payload = {
            "query": query,
            "start_date": start.strftime("%Y%m%d"),
            "end_date": end.strftime("%Y%m%d"),
            "max_count": max(1, min(100, max_count)),
            "is_random": False,
        }
        try:
            response = self.http.post(
                f"{self.base_url}/v2/research/video/query/",
                params={"fields": RESEARCH_FIELDS},
                json=payload,
                headers={"Authorization": f"Bearer {self.token()}"},
            )
        except httpx.HTTPError as exc:
            raise PlatformError("TikTok is unreachable.", platform="tiktok") from exc
        body = _json(response)
        error = body.get("error") or {}
        if response.status_code != 200 or error.get("code") not in (None, "ok"):
            raise PlatformError(
                f"TikTok research query failed: {error.get('message') or response.status_code}.",
                platform="tiktok",
                platformCode=str(error.get("code") or response.status_code),
            )
        videos = (body.get("data") or {}).get("videos") or []
        return [v for v in videos if isinstance(v, dict)]


_clients: dict[tuple[str, str, str], ResearchClient] = {}


def research_client(settings: Settings) -> ResearchClient | None:
    """The deployment's Research API client (one per credentials, so its token is shared),
    or None when the credentials are not set."""
    key, secret = settings.tiktok_research_client_key, settings.tiktok_research_client_secret
    if not key or not secret:
        return None
    cache_key = (key, secret, settings.tiktok_api_base)
    if cache_key not in _clients:
        _clients[cache_key] = ResearchClient(key, secret, base_url=settings.tiktok_api_base)
    return _clients[cache_key]


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _sentences(text: str, limit: int) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text or "") if p.strip()]
    return [p[:160] for p in parts[:limit]]


def post_from_research(video_data: dict[str, Any], keyword: str | None) -> SourcePost:
    description = str(video_data.get("video_description") or "")
    duration = video_data.get("video_duration")
    kind = "video" if isinstance(duration, int | float) and duration > 0 else "slideshow"
    texts = _sentences(str(video_data.get("voice_to_text") or ""), 6)
    texts = texts or _sentences(re.sub(r"#\w+", "", description), 6) or [description[:160]]
    username = str(video_data.get("username") or "")
    return SourcePost(
        tiktok_id=str(video_data["id"]),
        kind=kind,
        caption=description[:2200],
        author={"username": username, "displayName": username},
        stats={
            "viewCount": int(video_data.get("view_count") or 0),
            "likeCount": int(video_data.get("like_count") or 0),
            "commentCount": int(video_data.get("comment_count") or 0),
            "shareCount": int(video_data.get("share_count") or 0),
        },
        image_count=len(texts) if kind == "slideshow" else None,
        slide_texts=texts,
        keyword=keyword,
    )


class ResearchCatalog:
    def __init__(self, client: ResearchClient) -> None:
        self.client = client

    def search(self, keywords: list[str], kind: str, limit: int) -> list[SourcePost]:
        words = [k.strip() for k in keywords if k.strip()][:5]
        if not words:
            return []
        hashtags = [re.sub(r"[^0-9a-z]", "", w.lower()) for w in words]
        query = {
            "or": [
                {"operation": "IN", "field_name": "hashtag_name", "field_values": hashtags},
                *({"operation": "EQ", "field_name": "keyword", "field_values": [w]} for w in words),
            ]
        }
        found = self.client.query_videos(query, max_count=100)
        posts = [post_from_research(v, words[0]) for v in found if v.get("id")]
        if kind != "mixed":
            posts = [p for p in posts if p.kind == kind]
        posts.sort(key=lambda p: -p.stats["viewCount"])
        return posts[:limit]

    def lookup(self, tiktok_id: str) -> SourcePost | None:
        query = {
            "and": [{"operation": "EQ", "field_name": "video_id", "field_values": [tiktok_id]}]
        }
        found = [v for v in self.client.query_videos(query, max_count=1) if v.get("id")]
        return post_from_research(found[0], None) if found else None

    def media(self, post: SourcePost, *, full: bool) -> SourceMedia:
        return SourceMedia()


class UnconfiguredCatalog:
    """Live mode without Research API credentials: a clear error at the call."""

    def _fail(self) -> Unavailable:
        return Unavailable(
            "TikTok source discovery needs Research API credentials: set "
            "LAYERS_TIKTOK_RESEARCH_CLIENT_KEY and LAYERS_TIKTOK_RESEARCH_CLIENT_SECRET.",
            provider="tiktok_research",
        )

    def search(self, keywords: list[str], kind: str, limit: int) -> list[SourcePost]:
        raise self._fail()

    def lookup(self, tiktok_id: str) -> SourcePost | None:
        raise self._fail()

    def media(self, post: SourcePost, *, full: bool) -> SourceMedia:
        return SourceMedia()

"""Where remixable TikTok posts come from.

* `ResearchCatalog`: TikTok's Research API (client-credentials token, then
  ``POST /v2/research/video/query/`` with hashtag or keyword conditions). It returns post
  metadata and transcripts but no media, so live remixes adapt the source's words and render
  them with the brand's own visuals. It carries no photo-mode flag: a post without a playable
  duration is taken for a slideshow.
* `SandboxCatalog`: deterministic posts made up from the keywords, whose thumbnails, slides
  and clips are real media rendered here (and cached in storage).

Source ids are TikTok's: digit strings. Sandbox ids are 19 digits starting with 7 (like real
ones); the last digit says the kind (0–4 slideshow, 5–9 video), so any such id resolves.
"""

from __future__ import annotations

import hashlib
import random
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
from PIL import Image

from layers.kit import clock
from layers.kit.errors import PlatformError, Unavailable
from layers.kit.settings import Settings
from layers.kit.storage import MediaStorage
from layers.render import drawing, video

TIKTOK_ID = re.compile(r"^\d{1,32}$")


@dataclass(frozen=True)
class SourcePost:
    tiktok_id: str
    kind: str  # slideshow | video
    caption: str
    author: dict[str, Any]
    stats: dict[str, int]
    image_count: int | None
    slide_texts: list[str]
    keyword: str | None = None


@dataclass(frozen=True)
class SourceMedia:
    """Storage keys of a source's media (empty when the catalog has none)."""

    thumbnail: str | None = None
    slides: list[str] = field(default_factory=list)
    video: str | None = None


class SourceCatalog(Protocol):
    """TikTok posts worth remixing."""

    def search(self, keywords: list[str], kind: str, limit: int) -> list[SourcePost]:
        """Up to `limit` posts for `keywords` (round-robin), of `kind` (or ``mixed``)."""
        ...

    def lookup(self, tiktok_id: str) -> SourcePost | None:
        """The post with this id, or None when the catalog does not know it."""
        ...

    def media(self, post: SourcePost, *, full: bool) -> SourceMedia:
        """Its media in storage: the thumbnail, and with `full` the slides or the clip."""
        ...


# ---- sandbox -------------------------------------------------------------------------------

_SLIDESHOW_TOPICS = [
    (
        "{n} {kw} habits that changed my mornings",
        [
            "Wake up without the snooze button",
            "Prep everything the night before",
            "Hydrate before anything else",
            "Move for ten minutes",
            "Plan the one thing that matters",
            "Keep the good stuff stocked",
            "Protect a slow start",
        ],
    ),
    (
        "{kw}: what I wish I knew sooner",
        [
            "Consistency beats intensity",
            "Start smaller than you think",
            "Track it for a week",
            "Batch the boring parts",
            "Make it easy to begin",
            "Reward the streak",
            "Ask people who've done it",
        ],
    ),
    (
        "my {kw} routine, step by step",
        [
            "Set it up once",
            "Same time every day",
            "Keep it visible",
            "Pair it with coffee",
            "Check in on Sundays",
            "Adjust, don't quit",
            "Share it with a friend",
        ],
    ),
]
_VIDEO_TOPICS = [
    "day in my life: {kw} edition",
    "the {kw} trick nobody talks about",
    "rating every {kw} hack I tried",
    "how I fixed my {kw} in one week",
]
_VIDEO_BEATS = ["here's the part that surprised me", "it takes five minutes, tops",
                "I was doing it wrong for years", "the results after one week",
                "everyone asks how I keep it up"]  # fmt: skip
_AUTHORS = ["mornings.with.mia", "dailygrind.dan", "thesoftlifeclub", "runclubrosa",
            "nightshiftnotes", "tinyhabits.co", "slowbrewsam", "coach.kai"]  # fmt: skip
_COLORS = [("#3a1c71", "#d76d77", "#ffaf7b"), ("#0f2027", "#2c5364", "#5fd3c4"),
           ("#41295a", "#2f0743", "#f7b733"), ("#134e5e", "#71b280", "#f9f871"),
           ("#232526", "#414345", "#ff6f61"), ("#1d2b64", "#f8cdda", "#ffd166")]  # fmt: skip


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def sandbox_id(keyword: str, index: int, kind: str) -> str:
    body = int.from_bytes(_digest("src", keyword, str(index))[:8], "big") % 10**17
    last = body % 5 + (0 if kind == "slideshow" else 5)
    return f"7{body:017d}{last}"


def sandbox_kind(tiktok_id: str) -> str | None:
    if len(tiktok_id) != 19 or not tiktok_id.isdigit() or tiktok_id[0] != "7":
        return None
    return "slideshow" if int(tiktok_id[-1]) < 5 else "video"


class SandboxCatalog:
    def __init__(self, storage: MediaStorage, latency_ms: int = 0) -> None:
        self.storage = storage
        self.latency_ms = latency_ms
        self._lock = threading.Lock()

    def _sleep(self) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)

    def search(self, keywords: list[str], kind: str, limit: int) -> list[SourcePost]:
        self._sleep()
        words = [k.strip().lower() for k in keywords if k.strip()] or ["daily routine"]
        posts: list[SourcePost] = []
        index = 0
        while len(posts) < limit:
            keyword = words[index % len(words)]
            round_ = index // len(words)
            wanted = kind if kind != "mixed" else ("slideshow" if index % 2 == 0 else "video")
            posts.append(self._post(sandbox_id(keyword, round_, wanted), keyword))
            index += 1
        return posts

    def lookup(self, tiktok_id: str) -> SourcePost | None:
        self._sleep()
        if sandbox_kind(tiktok_id) is None:
            return None
        return self._post(tiktok_id, None)

    def _post(self, tiktok_id: str, keyword: str | None) -> SourcePost:
        kind = sandbox_kind(tiktok_id)
        assert kind is not None
        rng = random.Random(int(tiktok_id))
        kw = keyword or rng.choice(["morning routine", "productivity", "self care", "coffee"])
        author = rng.choice(_AUTHORS)
        views = int(10 ** rng.uniform(4.5, 7.2))
        stats = {
            "viewCount": views,
            "likeCount": int(views * rng.uniform(0.03, 0.12)),
            "commentCount": int(views * rng.uniform(0.001, 0.006)),
            "shareCount": int(views * rng.uniform(0.002, 0.02)),
        }
        if kind == "slideshow":
            title, tips = rng.choice(_SLIDESHOW_TOPICS)
            count = rng.randint(4, 7)
            chosen = rng.sample(tips, count - 2)
            first = title.format(n=count - 2, kw=kw)
            texts = [first, *[f"{i + 1}. {t}" for i, t in enumerate(chosen)], "save this for later"]
            caption = f"{first} #{kw.replace(' ', '')} #fyp"
            image_count: int | None = count
        else:
            first = rng.choice(_VIDEO_TOPICS).format(kw=kw)
            beats = rng.sample(_VIDEO_BEATS, 3)
            texts = [first, *beats, "try it tomorrow and tell me"]
            caption = f"{first} #{kw.replace(' ', '')}"
            image_count = None
        return SourcePost(
            tiktok_id=tiktok_id,
            kind=kind,
            caption=caption,
            author={"username": author, "displayName": author.replace(".", " ").title()},
            stats=stats,
            image_count=image_count,
            slide_texts=texts,
            keyword=kw,
        )

    # -- media --

    def _colors(self, tiktok_id: str) -> tuple[str, str, str]:
        return _COLORS[int(tiktok_id) % len(_COLORS)]

    def _slide(self, post: SourcePost, index: int, size: tuple[int, int]) -> Image.Image:
        top, bottom, accent = (drawing.hex_rgb(c) for c in self._colors(post.tiktok_id))
        shade = index / max(1, len(post.slide_texts))
        image = drawing.gradient(size, top, tuple(int(c * (1 - shade * 0.3)) for c in bottom))  # type: ignore[arg-type]
        scale = size[0] / drawing.WIDTH
        palette = drawing.Palette(top, bottom, accent)
        box = (int(70 * scale), int(520 * scale), int(1010 * scale), int(1400 * scale))
        drawing.text_panel(
            image, post.slide_texts[index], box, palette=palette, max_size=max(20, int(88 * scale))
        )
        return image

    def media(self, post: SourcePost, *, full: bool) -> SourceMedia:
        base = f"sources/sandbox/{post.tiktok_id}"
        thumb = f"{base}/thumb.jpg"
        with self._lock:
            if not self.storage.exists(thumb):
                image = self._slide(post, 0, drawing.THUMB_SIZE)
                self.storage.put(thumb, drawing.encode_jpeg(image, 82), "image/jpeg")
            if not full:
                return SourceMedia(thumbnail=thumb)
            if post.kind == "slideshow":
                slides = []
                for index in range(len(post.slide_texts)):
                    key = f"{base}/slide-{index + 1}.jpg"
                    if not self.storage.exists(key):
                        image = self._slide(post, index, (drawing.WIDTH, drawing.HEIGHT))
                        self.storage.put(key, drawing.encode_jpeg(image), "image/jpeg")
                    slides.append(key)
                return SourceMedia(thumbnail=thumb, slides=slides)
            key = f"{base}/clip.mp4"
            if not self.storage.exists(key):
                self.storage.put(key, self._clip(post), "video/mp4")
            return SourceMedia(thumbnail=thumb, video=key)

    def _clip(self, post: SourcePost) -> bytes:
        with tempfile.TemporaryDirectory(prefix="layers-source-") as tmp:
            overlay = Path(tmp) / "overlay.png"
            card = Image.new("RGBA", (540, 960), (0, 0, 0, 0))
            palette = drawing.Palette((0, 0, 0), (0, 0, 0), (255, 255, 255))
            drawing.text_panel(card, post.slide_texts[0], (30, 600, 510, 900), palette=palette,
                               max_size=44)  # fmt: skip
            card.save(overlay)
            out = Path(tmp) / "clip.mp4"
            video.synthetic_clip(
                out, seconds=4, colors=self._colors(post.tiktok_id), overlay=overlay
            )
            return out.read_bytes()


# ---- TikTok Research API -------------------------------------------------------------------

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


_research: dict[tuple[str, str, str], ResearchClient] = {}
_sandbox: dict[int, SandboxCatalog] = {}


def research_client(settings: Settings) -> ResearchClient | None:
    key, secret = settings.tiktok_research_client_key, settings.tiktok_research_client_secret
    if not key or not secret:
        return None
    cache_key = (key, secret, settings.tiktok_api_base)
    if cache_key not in _research:
        _research[cache_key] = ResearchClient(key, secret, base_url=settings.tiktok_api_base)
    return _research[cache_key]


def source_catalog(settings: Settings, livemode: bool, storage: MediaStorage) -> SourceCatalog:
    if not livemode:
        catalog = _sandbox.get(id(storage))
        if catalog is None:
            catalog = _sandbox[id(storage)] = SandboxCatalog(storage, settings.sandbox_latency_ms)
        return catalog
    client = research_client(settings)
    return ResearchCatalog(client) if client else UnconfiguredCatalog()

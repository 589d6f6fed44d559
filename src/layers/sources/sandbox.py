"""The sandbox catalog (test mode): deterministic posts made up from the keywords, whose
thumbnails, slides and clips are real media rendered here (and cached in storage).

Sandbox ids are 19 digits starting with 7 (like real ones); the last digit says the kind
(0–4 slideshow, 5–9 video), so any such id resolves, and always to the same post.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image

from layers.kit.storage import MediaStorage
from layers.render import drawing, video
from layers.sources.base import SourceMedia, SourcePost

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

"""Configuration, read only from ``LAYERS_*`` environment variables (and an optional ``.env``).

Secrets that a fresh machine cannot be expected to provide (the API-key pepper, the vault
keys) are generated once into the data directory, so `make up` needs no set-up; set the
environment variables to manage them yourself.
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LAYERS_", env_file=".env", extra="ignore", frozen=False
    )

    data_dir: Path = Path(".layers")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to SQLite in the data dir."
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL that browsers and platforms use to reach this server.",
    )
    executor_id: str = Field(
        default="local",
        description="Stable id of this worker: a restarted worker recovers its own workflows.",
    )
    api_key_pepper: str | None = Field(
        default=None, description="Server pepper for API-key secret hashes."
    )
    vault_keys: str | None = Field(
        default=None,
        description="Comma-separated 'version:base64key' AES-256 keys; the newest encrypts.",
    )
    session_secret: str | None = Field(default=None, description="Console cookie signing key.")
    metrics_token: str | None = Field(
        default=None, description="Bearer token required on /metrics (open when unset)."
    )
    log_level: str = "INFO"
    log_format: str = Field(default="text", description="'text' or 'json'.")
    # Work classes (`layers.kit.durable`): the concurrency of each queue in one worker process.
    worker_concurrency: int = Field(
        default=16, ge=1, description="Interactive work: layer commands, research, retries."
    )
    publish_concurrency: int = Field(
        default=64, ge=1, description="Publish workflows at once: I/O-bound platform calls."
    )
    publish_dispatch_seconds: int = Field(
        default=10,
        ge=1,
        le=60,
        description="How often due posts are claimed (a divisor of 60): a post's publish "
        "starts at most this many seconds after its time.",
    )
    render_concurrency: int | None = Field(
        default=None, ge=1, description="Renders at once (ffmpeg, Pillow); unset: the cores."
    )
    generation_concurrency_per_org: int | None = Field(
        default=None,
        ge=1,
        description="Renders one organization may run at once across workers; unset: one "
        "less than the render concurrency (at least 1), so another tenant always has a slot.",
    )
    queue_polling_interval: float = 0.2
    delivery_concurrency: int = Field(
        default=64, ge=1, description="Webhook deliveries at once: I/O-bound HTTP calls."
    )
    metrics_young_days: int = Field(
        default=7,
        ge=1,
        description="Posts younger than this are read back every "
        "`metrics_young_minutes`; older ones once a day.",
    )
    metrics_young_minutes: int = Field(default=30, ge=1)
    metrics_window_days: int = Field(
        default=30, ge=1, description="Posts older than this are no longer read back."
    )
    metrics_tick_minutes: int = Field(
        default=5, ge=1, le=30, description="How often the metrics sync looks for due posts."
    )
    webhook_retry_ladder: str = Field(
        default="0,30,60,300,900,3600,21600,86400",
        description="Seconds before each webhook delivery attempt (comma-separated); after "
        "the last one fails the delivery is abandoned.",
    )
    webhook_connect_timeout: float = Field(default=5.0, gt=0, description="Seconds.")
    webhook_read_timeout: float = Field(default=10.0, gt=0, description="Seconds.")
    sandbox_latency_ms: int = Field(
        default=0,
        description="Latency added to every sandbox provider call (demos, benchmarks, tests).",
    )
    audit_retention_days: int = Field(
        default=90,
        ge=1,
        description="Days an audit-log row is kept; the hourly maintenance purges older ones.",
    )
    # The wallet and rate limits (layers.orgs.wallet, layers.orgs.limits).
    unmetered_root_orgs: bool = Field(
        default=False,
        description="Top-level organizations generate without holding credits (usage is "
        "still recorded); sub-organizations are always metered.",
    )
    rate_limit_storage_url: str | None = Field(
        default=None,
        description="A `limits` storage URI shared by every API process (e.g. "
        "redis://127.0.0.1:6379). Unset: the database's own table on PostgreSQL, process "
        "memory on SQLite.",
    )
    rate_limit_window_seconds: int = Field(
        default=60, ge=1, description="The per-minute buckets' window (tests shorten it)."
    )
    rate_limit_scale: float = Field(
        default=1.0, gt=0, description="Multiplies every tier's limits (1 = the published ones)."
    )

    # Platform app credentials (live mode only; a missing one fails at the call).
    tiktok_client_key: str | None = None
    tiktok_client_secret: str | None = None
    tiktok_api_base: str = "https://open.tiktokapis.com"
    tiktok_auth_base: str = "https://www.tiktok.com"
    instagram_app_id: str | None = None
    instagram_app_secret: str | None = None
    instagram_graph_base: str = "https://graph.instagram.com"
    instagram_api_base: str = "https://api.instagram.com"
    instagram_auth_base: str = "https://www.instagram.com"
    # Ads platforms (ad-account OAuth and the Marketing APIs; live mode only).
    meta_app_id: str | None = None
    meta_app_secret: str | None = None
    meta_graph_base: str = "https://graph.facebook.com"
    meta_auth_base: str = "https://www.facebook.com"
    tiktok_business_app_id: str | None = None
    tiktok_business_secret: str | None = None
    tiktok_business_api_base: str = "https://business-api.tiktok.com"

    # OpenAI-compatible text model for hooks, captions and slide text (offline writer otherwise).
    textwriter_url: str | None = None
    textwriter_api_key: str | None = None
    textwriter_model: str = "gpt-4o-mini"

    # OpenAI-compatible image model for influencer portraits and slide backgrounds (drawn
    # locally otherwise). Sizes are what the endpoint is asked for; results are cropped to fit.
    imagegen_url: str | None = None
    imagegen_api_key: str | None = None
    imagegen_model: str = "gpt-image-1"
    imagegen_portrait_size: str = "1024x1024"
    imagegen_background_size: str = "1024x1536"

    # OpenAI-compatible text-to-speech for video voice-overs (POST /audio/speech); unset →
    # espeak-ng offline, or a music bed when it has no voice for the language.
    speech_url: str | None = None
    speech_api_key: str | None = None
    speech_model: str = "gpt-4o-mini-tts"
    speech_voice: str = "alloy"

    # TikTok Research API (live source discovery and hashtag stats); unset → a clear error.
    tiktok_research_client_key: str | None = None
    tiktok_research_client_secret: str | None = None
    render_preset: str = Field(
        default="veryfast", description="x264 preset for rendered videos (speed vs. size)."
    )

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'layers.db').resolve()}"

    @field_validator("publish_dispatch_seconds")
    @classmethod
    def _divides_a_minute(cls, value: int) -> int:
        if 60 % value:
            raise ValueError("must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)")
        return value

    @property
    def resolved_render_concurrency(self) -> int:
        return self.render_concurrency or os.cpu_count() or 2

    @property
    def resolved_generation_concurrency_per_org(self) -> int:
        if self.generation_concurrency_per_org is not None:
            return self.generation_concurrency_per_org
        return max(1, self.resolved_render_concurrency - 1)

    @property
    def resolved_webhook_retry_ladder(self) -> tuple[float, ...]:
        """The delays of the webhook retry ladder, in seconds (at least one attempt)."""
        delays = tuple(float(part) for part in self.webhook_retry_ladder.split(",") if part.strip())
        return delays or (0.0,)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def ensure_data_dir(self) -> Path:
        """The data directory, private to its owner (0700): it holds the database, the key
        files and the media. One that exists with group or other access is tightened."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if stat.S_IMODE(self.data_dir.stat().st_mode) & 0o077:
            self.data_dir.chmod(0o700)
        return self.data_dir

    def _generated_secret(self, filename: str, nbytes: int = 32) -> str:
        """A secret kept in the data dir, created on first use with mode 0600."""
        path = self.ensure_data_dir() / filename
        if path.exists():
            return path.read_text().strip()
        value = base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode().rstrip("=")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        return value

    @cached_property
    def resolved_api_key_pepper(self) -> bytes:
        return (self.api_key_pepper or self._generated_secret("api-key-pepper")).encode()

    @cached_property
    def resolved_session_secret(self) -> str:
        return self.session_secret or self._generated_secret("session-secret")

    @cached_property
    def resolved_vault_keys(self) -> dict[int, bytes]:
        raw = self.vault_keys or f"1:{self._generated_secret('vault-key-1')}"
        keys: dict[int, bytes] = {}
        for part in raw.split(","):
            version, _, encoded = part.strip().partition(":")
            padded = encoded + "=" * (-len(encoded) % 4)
            key = base64.urlsafe_b64decode(padded)
            if len(key) != 32:
                raise ValueError(f"vault key version {version} must be 32 bytes")
            keys[int(version)] = key
        return keys


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings()
    return _settings


def set_settings(settings: Settings) -> None:
    global _settings
    _settings = settings

"""The engine's own knobs, read like every setting from ``LAYERS_*`` variables (and ``.env``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAYERS_", env_file=".env", extra="ignore")

    extra_templates: str = Field(
        default="",
        description="Comma-separated modules, each exposing TEMPLATES, loaded into the catalog "
        "of this process (plugins; the process tests use it).",
    )
    scheduler_cron: str = Field(
        default="* * * * *",
        description="Cadence of the scheduler tick. Five fields, or six with seconds first "
        "(e.g. '*/2 * * * * *'). Give every process the same value.",
    )
    stream_poll_interval: float = Field(
        default=0.25, description="Seconds between polls of a live log stream."
    )

    @property
    def extra_template_modules(self) -> tuple[str, ...]:
        return tuple(m.strip() for m in self.extra_templates.split(",") if m.strip())


@lru_cache(maxsize=1)
def engine_settings() -> EngineSettings:
    return EngineSettings()

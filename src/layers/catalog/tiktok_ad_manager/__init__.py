"""The TikTok Ad Manager layer template (docs/ads.md)."""

from layers.catalog.tiktok_ad_manager.template import TEMPLATES

__all__ = ["TEMPLATES"]

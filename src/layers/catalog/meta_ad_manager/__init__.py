"""The Meta Ad Manager layer template (docs/ads.md)."""

from layers.catalog.meta_ad_manager.template import TEMPLATES

__all__ = ["TEMPLATES"]

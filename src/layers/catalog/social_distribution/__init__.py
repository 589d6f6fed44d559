"""The Social Distribution layer template (docs/distribution.md)."""

from layers.catalog.social_distribution.template import TEMPLATES

__all__ = ["TEMPLATES"]

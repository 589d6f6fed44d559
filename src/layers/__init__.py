"""Layers: brand brief in, scheduled short-form social content out."""

__version__ = "0.1.0"

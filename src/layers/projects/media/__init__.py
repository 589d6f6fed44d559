"""App media: brand assets (logo, screenshots, demo videos, end-card) fetched from URLs."""

"""The metrics tests use the social tests' content resolver and short protocol timings (the
fake TikTok/Instagram server is the session's, from the root conftest)."""

from tests.social.conftest import contents, quick_protocol

__all__ = ["contents", "quick_protocol"]

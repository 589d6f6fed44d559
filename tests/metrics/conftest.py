"""The metrics tests use the social tests' fake TikTok/Instagram server and content resolver."""

from tests.social.conftest import contents, fake, fake_server, quick_protocol

__all__ = ["contents", "fake", "fake_server", "quick_protocol"]

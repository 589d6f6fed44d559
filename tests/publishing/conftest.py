from tests.social.conftest import contents, fake, fake_server, quick_protocol  # noqa: F401

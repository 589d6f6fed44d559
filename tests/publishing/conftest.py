from tests.social.conftest import contents, quick_protocol  # noqa: F401

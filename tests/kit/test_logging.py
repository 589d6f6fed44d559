from __future__ import annotations

import pytest

from layers.kit.logging import redact


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("auth lp_live_ABCDEFGHIJKLMNOP_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "abcdefghij"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
        ('{"access_token": "act.1234567890abcdef", "x": 1}', "act.1234567890abcdef"),
        ("refresh_token=rft.9876543210&grant_type=refresh_token", "rft.9876543210"),
        ("client_secret=s3cr3tvalue", "s3cr3tvalue"),
    ],
)
def test_secrets_never_survive_redaction(line: str, secret: str) -> None:
    assert secret not in redact(line)


def test_plain_lines_are_untouched() -> None:
    line = "GET /v1/projects/prj_01M8280PVY7Z0H6EGQDSHSH3ND 200 5.2ms"
    assert redact(line) == line

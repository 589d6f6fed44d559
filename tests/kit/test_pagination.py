from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layers.kit.errors import Validation
from layers.kit.pagination import decode_cursor, encode_cursor


@given(st.from_regex(r"[a-z]{2,4}_[0-9A-HJKMNP-TV-Z]{26}", fullmatch=True))
def test_cursor_round_trips(value: str) -> None:
    assert decode_cursor(encode_cursor(value)) == value


@pytest.mark.parametrize("bad", ["%%%", "!!", "\x00", "a" * 200, "////"])
def test_malformed_cursor_is_a_validation_error(bad: str) -> None:
    with pytest.raises(Validation):
        decode_cursor(bad)

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from layers.kit.ids import deterministic_id, has_prefix, new_id


def test_new_ids_are_prefixed_and_sort_by_creation_time() -> None:
    early = new_id("prj", datetime(2026, 1, 1, tzinfo=UTC))
    late = new_id("prj", datetime(2026, 1, 2, tzinfo=UTC))
    assert early.startswith("prj_") and len(early) == 30
    assert has_prefix(early, "prj")
    assert early < late


def test_has_prefix_rejects_other_prefixes_and_garbage() -> None:
    value = new_id("job")
    assert not has_prefix(value, "prj")
    assert not has_prefix("prj_123", "prj")
    assert not has_prefix("prj_" + "I" * 26, "prj")  # I is not Crockford base32
    assert not has_prefix("", "prj")


@given(st.text(max_size=40), st.text(max_size=40))
def test_deterministic_ids_agree_for_the_same_inputs(a: str, b: str) -> None:
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert deterministic_id("run", at, a, b) == deterministic_id("run", at, a, b)
    assert has_prefix(deterministic_id("run", at, a, b), "run")
    if (a, b) != (a + "x", b):
        assert deterministic_id("run", at, a, b) != deterministic_id("run", at, a + "x", b)

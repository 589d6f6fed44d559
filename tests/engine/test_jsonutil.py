from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.engine.jsonutil import changed_paths, contains, merge_patch, paths_overlap, to_json
from layers.kit.db import get_database

# Cases from PostgreSQL's documentation of jsonb containment (section 8.14.3).
DOC_CASES = [
    ('"foo"', '"foo"', True),
    ("[1, 2, 3]", "[1, 3]", True),
    ("[1, 2, 3]", "[3, 1]", True),
    ("[1, 2, 3]", "[1, 2, 2]", True),
    ('{"product": "PostgreSQL", "version": 9.4, "jsonb": true}', '{"version": 9.4}', True),
    ("[1, 2, [1, 3]]", "[1, 3]", False),
    ("[1, 2, [1, 3]]", "[[1, 3]]", True),
    ('{"foo": {"bar": "baz"}}', '{"bar": "baz"}', False),
    ('{"foo": {"bar": "baz"}}', '{"foo": {}}', True),
    ('["foo", "bar"]', '"foo"', True),
    ('"bar"', '["bar"]', False),
    ('{"a": ["x"]}', '{"a": "x"}', False),
    ("1", "1.0", True),
    ("true", "1", False),
    ("[]", "{}", False),
    ("{}", "{}", True),
    ("null", "null", True),
    ("[null]", "[null]", True),
]


@pytest.mark.parametrize(("container", "contained", "expected"), DOC_CASES)
def test_contains_follows_postgres(container: str, contained: str, expected: bool) -> None:
    assert contains(json.loads(container), json.loads(contained)) is expected


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from([0.5, 1.0, 2.0]),
    st.sampled_from(["a", "b", "c", ""]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "c"]), children, max_size=3),
    ),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[sa.Connection | None]:
    db = get_database()
    if db.dialect != "postgresql":
        yield None
        return
    with db.engine.connect() as conn:
        yield conn


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(container=values, contained=values)
def test_contains_agrees_with_postgres(
    postgres: sa.Connection | None, container: Any, contained: Any
) -> None:
    ours = contains(container, contained)
    if postgres is None:
        # Without PostgreSQL at hand: the laws containment obeys.
        assert contains(container, container)
        if ours and isinstance(contained, dict):
            assert isinstance(container, dict)
        return
    theirs = postgres.execute(
        sa.text("SELECT CAST(:a AS jsonb) @> CAST(:b AS jsonb)"),
        {"a": json.dumps(container), "b": json.dumps(contained)},
    ).scalar()
    assert ours is theirs, (container, contained)


def test_merge_patch_follows_rfc_7396() -> None:
    # The examples of RFC 7396, appendix A.
    cases = [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ]
    for target, patch, expected in cases:
        assert merge_patch(target, patch) == expected


def test_changed_paths_and_overlap() -> None:
    old = {"a": 1, "s": {"times": ["10:00"], "cron": "x"}, "gone": True}
    new = {"a": 1, "s": {"times": ["11:00"], "cron": "x"}, "added": {"deep": 1}}
    assert changed_paths(old, new) == ["added", "gone", "s.times"]
    assert paths_overlap("s.times", "s") and paths_overlap("s", "s.times")
    assert not paths_overlap("s.timesheet", "s.times")


def test_to_json_renders_anything() -> None:
    from dataclasses import dataclass
    from datetime import UTC, datetime

    @dataclass
    class Point:
        x: int
        when: datetime

    rendered = to_json(
        {"p": Point(1, datetime(2030, 1, 2, tzinfo=UTC)), "s": {3, 1}, "b": b"xyz", "o": object()}
    )
    assert rendered["p"] == {"x": 1, "when": "2030-01-02T00:00:00.000Z"}
    assert rendered["s"] == [1, 3] and rendered["b"] == {"bytes": 3}
    assert rendered["o"].startswith("<object object")
    assert to_json(float("nan")) is None

"""The edge's rules, pure: string types, the JSON depth scan, the occurred_at window, ``sub``."""

from __future__ import annotations

import time

import msgspec
import orjson
import pytest

from config.settings import load_settings
from gateway import fields
from gateway.auth import Authenticator, mint_token
from gateway.exceptions import Unauthorized
from gateway.validation import FieldErrors, convert, nesting_exceeds
from policy.event_window import (
    EVENT_CLOCK_SKEW_SECONDS, EVENT_MAX_AHEAD_SECONDS, occurred_at_problem,
)
from tests.unit.test_settings import BASE


class Sample(msgspec.Struct):
    key: fields.Key = "k"
    name: fields.Name = "n"
    text: fields.Text = ""
    token: fields.Token = "t"


@pytest.mark.parametrize(("body", "field"), [
    ({"key": "a\x00"}, "key"), ({"key": "a\n"}, "key"), ({"key": "\na"}, "key"),
    ({"key": "a\r"}, "key"), ({"key": "a\t"}, "key"), ({"key": "a\x1b"}, "key"),
    ({"key": "a\x7f"}, "key"), ({"key": "a\u0085"}, "key"), ({"key": ""}, "key"),
    ({"key": "k" * (fields.MAX_KEY + 1)}, "key"), ({"name": "n" * 256}, "name"),
    ({"name": "Title\n"}, "name"), ({"text": "a\x00b"}, "text"), ({"text": "a\x0bb"}, "text"),
    ({"token": "a b"}, "token"), ({"token": "t\n"}, "token"),
])
def test_strings_breaking_their_rule_are_named(body: dict[str, str], field: str) -> None:
    with pytest.raises(FieldErrors) as caught:
        convert(body, Sample)
    assert list(caught.value.errors) == [field]
    assert "regex" not in caught.value.errors[field][0]  # a sentence, not msgspec's pattern


@pytest.mark.parametrize("body", [
    {"key": "device-1.é:ü/漢字 ok", "name": "Biologie, 1ère année — W1"},
    {"text": "two\nlines\r\n\tindented"}, {"key": "k" * fields.MAX_KEY},
    {"token": "eyJhbGciOi.eyJzdWIi.sig-_~"},
])
def test_ordinary_strings_pass(body: dict[str, str]) -> None:
    convert(body, Sample)


@pytest.mark.parametrize(("value", "where"), [
    ("a\x00", ""), ({"a": ["ok", "b\x01"]}, "a.1"), ({"a\x00": 1}, ""),
    ({"a": {"b\x1f": 1}}, "a"), ([{"t": "\x7f"}], "0.t"),
])
def test_text_problems_names_the_path(value: object, where: str) -> None:
    problem = fields.text_problems(value)
    assert problem is not None and problem[0] == where


def test_text_problems_allows_line_breaks_and_tabs() -> None:
    assert fields.text_problems({"note": "a\tb\r\nc", "n": [1, None, True]}) is None


@pytest.mark.parametrize(("raw", "limit", "deep"), [
    (b"[" * 33 + b"]" * 33, 32, True),
    (b"[" * 32 + b"]" * 32, 32, False),
    (orjson.dumps({"a": "[[[[[[[[[[" * 10}), 2, False),  # brackets inside a string
    (orjson.dumps({"a": '\\"[[[[[[[['}), 2, False),  # an escaped quote does not end it
    (b'{"a": "\\\\"}' + b"[" * 5, 3, True),  # an escaped backslash does
    (b"[" * 10_000, 32, True),
    (b'{"unterminated": "[[[[', 3, True),  # malformed either way: a 400
])
def test_nesting_is_measured_on_the_raw_bytes(raw: bytes, limit: int, deep: bool) -> None:
    assert nesting_exceeds(raw, limit) is deep


NOW = 1_800_000_000.0
STARTED = NOW - 3600


@pytest.mark.parametrize(("occurred", "ok"), [
    (NOW, True), (STARTED, True), (STARTED - EVENT_CLOCK_SKEW_SECONDS, True),
    (STARTED - EVENT_CLOCK_SKEW_SECONDS - 0.001, False), (NOW + EVENT_MAX_AHEAD_SECONDS, True),
    (NOW + EVENT_MAX_AHEAD_SECONDS + 0.001, False), (1e12, False), (1e308, False),
    (float("inf"), False), (float("nan"), False), (0.0, False), (-1.0, False), (1.0, False),
])
def test_the_occurred_at_window(occurred: float, ok: bool) -> None:
    problem = occurred_at_problem(occurred, session_started_at=STARTED, now=NOW)
    assert (problem is None) is ok, problem


@pytest.mark.parametrize("sub", ["u\x00", "u\n", "\x1b[2J", "u" * 256])
def test_a_bearer_sub_that_cannot_be_a_user_id_is_401(sub: str) -> None:
    secret = BASE["AUTH_JWT_SECRET"]
    token = mint_token(secret, tenant="acme", sub=sub, role="student", now=time.time())
    with pytest.raises(Unauthorized, match="sub"):
        Authenticator(load_settings(BASE)).authenticate(f"Bearer {token}")

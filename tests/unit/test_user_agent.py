"""The User-Agent stored beside a device: bounded, printable, spaces folded."""

from __future__ import annotations

import pytest

from policy.user_agent import MAX_LENGTH, clean_user_agent

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


@pytest.mark.parametrize(("raw", "stored"), [
    (FIREFOX, FIREFOX),
    (None, ""),
    ("", ""),
    ("   ", ""),
    ("Evil\r\nX-Injected: 1", "Evil X-Injected: 1"),
    ("a\x00\x1b[31mb", "a [31mb"),
    ("caf\u00e9  \t browser", "caf browser"),
    ("x" * 10_000, "x" * MAX_LENGTH),
    ("ab" + " " * 300 + "cd", "ab cd"),
])
def test_user_agent_is_stored_printable_and_bounded(raw: str | None, stored: str) -> None:
    assert clean_user_agent(raw) == stored


def test_a_cut_leaves_no_trailing_space() -> None:
    assert clean_user_agent("abc def", limit=4) == "abc"

"""Both seed vocabularies normalise to the back end's upper-case types."""

from __future__ import annotations

import pytest

from streams.vocabulary import UnknownEventType, accepted_types, normalise_type


@pytest.mark.parametrize(("raw", "payload", "expected"), [
    ("VISIBILITY_HIDDEN", {}, "VISIBILITY_HIDDEN"),
    ("SEEK_ATTEMPT", {"from": 1, "to": 9}, "SEEK_ATTEMPT"),
    ("PLAYER_ERROR", {}, "PLAYER_ERROR"),
    ("play_start", {}, "PLAY_START"),
    ("pause", {}, "PAUSE"),
    ("ended", {}, "ENDED"),
    ("seek_attempt", {}, "SEEK_ATTEMPT"),
    ("speed_change_attempt", {"to": 2}, "SPEED_CHANGE_ATTEMPT"),
    ("visibility_change", {"state": "visible"}, "VISIBILITY_VISIBLE"),
    ("visibility_change", {"state": "hidden"}, "VISIBILITY_HIDDEN"),
    ("position", {"position": 3.5}, "POSITION"),
    ("timeupdate", {"position": 3.5}, "POSITION"),
    ("POSITION", {}, "POSITION"),
])
def test_normalise(raw: str, payload: dict[str, object], expected: str) -> None:
    assert normalise_type(raw, payload) == expected


@pytest.mark.parametrize("raw", ["", "seek", "Seek_Attempt", "DROP TABLE", "play"])
def test_unknown_types_are_refused_by_name(raw: str) -> None:
    with pytest.raises(UnknownEventType, match=repr(raw)):
        normalise_type(raw, {})


def test_accepted_types_lists_both_vocabularies() -> None:
    listed = accepted_types()
    assert {"play_start", "SEEK_ATTEMPT", "visibility_change", "timeupdate"} <= set(listed)

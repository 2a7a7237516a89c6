"""The player-event vocabulary: both seed vocabularies normalised to one upper-case set.

Pure: no I/O. The seed back end spoke VISIBILITY_HIDDEN...; the seed front end sent
``play_start``, ``seek_attempt``, ``visibility_change``... (which that back end rejected).
Both are accepted and stored in the back end's upper-case form, plus POSITION samples.
"""

from __future__ import annotations

from typing import Any

BACKEND_TYPES = frozenset({
    "VISIBILITY_HIDDEN", "VISIBILITY_VISIBLE", "FOCUS_LOST", "FOCUS_GAINED", "SEEK_ATTEMPT",
    "SPEED_CHANGE_ATTEMPT", "FULLSCREEN_ENTER", "FULLSCREEN_EXIT", "PLAYER_ERROR",
})
# Types the seed front end sent, stored under these canonical names.
FRONTEND_TYPES = {
    "play_start": "PLAY_START",
    "pause": "PAUSE",
    "ended": "ENDED",
    "seek_attempt": "SEEK_ATTEMPT",
    "speed_change_attempt": "SPEED_CHANGE_ATTEMPT",
    "position": "POSITION",
    "timeupdate": "POSITION",
}
CANONICAL_TYPES = BACKEND_TYPES | frozenset(FRONTEND_TYPES.values())


class UnknownEventType(ValueError):
    """The type is in neither vocabulary; the message lists what is accepted."""


def accepted_types() -> list[str]:
    """Every spelling a client may send, for error messages and docs."""
    return sorted(BACKEND_TYPES | set(FRONTEND_TYPES) | {"visibility_change"} | CANONICAL_TYPES)


def normalise_type(raw: str, payload: dict[str, Any]) -> str:
    """The canonical type of ``raw`` (given its payload); :class:`UnknownEventType` otherwise."""
    if raw in CANONICAL_TYPES:
        return raw
    if raw in FRONTEND_TYPES:
        return FRONTEND_TYPES[raw]
    if raw == "visibility_change":
        # The seed front end reported the new state in the payload.
        return "VISIBILITY_HIDDEN" if payload.get("state") == "hidden" else "VISIBILITY_VISIBLE"
    raise UnknownEventType(f"unknown event type {raw!r}")

"""Building audit messages from an events request: limits, reasons, idempotent ids."""

from __future__ import annotations

import dataclasses

import pytest

from gateway.events import MAX_EVENTS_PER_BATCH, EventBatchIn, EventIn, build_events
from gateway.exceptions import BadRequest
from gateway.playback_tokens import PlaybackClaims

CLAIMS = PlaybackClaims(tenant="acme", tenant_id=3, user_id="42", video_id=7, enrollment_id=9,
                        device_id="d1", session_id="s1", policy={"allow_seek": True})
NOW = 1_800_000_000.0


def test_events_carry_the_token_context_and_normalised_types() -> None:
    batch = EventBatchIn(token="t", events=[EventIn("play_start", 1_799_999_999.5),
                                            EventIn("SEEK_ATTEMPT", None, {"to": 5})])
    first, second = build_events(batch, CLAIMS, NOW)
    assert (first.event_type, first.occurred_at, first.payload) == ("PLAY_START", 1_799_999_999.5, {})
    assert (second.event_type, second.occurred_at, second.payload) == ("SEEK_ATTEMPT", NOW, {"to": 5})
    assert {first.session_id, first.user_id, first.tenant_id} == {"s1", "42", 3}
    assert first.policy == {"allow_seek": True} and first.received_at == NOW
    assert first.event_id != second.event_id


def test_a_retried_batch_gets_the_same_event_ids() -> None:
    batch = EventBatchIn(token="t", batch_id="b-1", events=[EventIn("pause"), EventIn("ended")])
    ids = [e.event_id for e in build_events(batch, CLAIMS, NOW)]
    assert ids == [e.event_id for e in build_events(batch, CLAIMS, NOW + 5)]
    other = EventBatchIn(token="t", batch_id="b-2", events=[EventIn("pause"), EventIn("ended")])
    assert not set(ids) & {e.event_id for e in build_events(other, CLAIMS, NOW)}
    # The same batch id in another playback session is another batch.
    elsewhere = dataclasses.replace(CLAIMS, session_id="s-2")
    assert not set(ids) & {e.event_id for e in build_events(batch, elsewhere, NOW)}


@pytest.mark.parametrize(("events", "reason"), [
    ([EventIn("pause")] * (MAX_EVENTS_PER_BATCH + 1), f"At most {MAX_EVENTS_PER_BATCH}"),
    ([EventIn("pause"), EventIn("jump")], "events.1.type: unknown event type 'jump'"),
    ([EventIn("pause", -1.0)], "events.0.occurred_at"),
    ([EventIn("pause", float("nan"))], "events.0.occurred_at"),
    ([EventIn("pause", 1e12)], "events.0.occurred_at"),
    ([EventIn("pause"), EventIn("pause", None, {"note": "a\x00b"})],
     "events.1.payload.note: Must not contain NUL"),
    ([EventIn("pause", None, {"a": [{"b\x00": 1}]})], "events.0.payload.a.0: Keys must not"),
])
def test_bad_batches_are_refused_with_a_reason(events: list[EventIn], reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        build_events(EventBatchIn(token="t", events=events), CLAIMS, NOW)
    assert reason in caught.value.detail


def test_exactly_the_limit_is_accepted() -> None:
    batch = EventBatchIn(token="t", events=[EventIn("pause")] * MAX_EVENTS_PER_BATCH)
    assert len(build_events(batch, CLAIMS, NOW)) == MAX_EVENTS_PER_BATCH

"""The dispatch agent's decisions, failure sorting, HLS keys at rest, the key's URI."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from gateway.hls_keys import ROUTE
from policy.media_probe import InvalidSource
from policy.transcode import (
    MAX_ATTEMPTS, Effect, Tracking, backoff_seconds, decode_state, encode_state, failure_reason,
    first_job_id, next_job_id, on_request, on_result,
)
from storage.exceptions import ObjectStoreError
from storage.hls_keys import KeyUnreadable, key_path, seal, unseal
from streams.schemas import TranscodeResultV1
from transcoder import ffmpeg
from transcoder.jobs import classify
from transcoder.pipeline import PermanentFailure

R1, R2 = "req-1", "req-2"
J1 = first_job_id(R1)
IN_FLIGHT = Tracking(job_id=J1, finished=False, seen=(R1,))
DONE = Tracking(job_id=J1, finished=True, seen=(R1,))


def result(kind: str, job_id: str = J1, attempt: int = 1, **fields: object) -> TranscodeResultV1:
    return TranscodeResultV1(job_id=job_id, tenant="t", tenant_id=1, video_id=7,
                             attempt=attempt, kind=kind, at=0.0, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("state", "request_id", "status", "effect", "job"), [
    (Tracking(), R1, "UPLOADED", Effect.START, J1),
    (Tracking(), R1, "FAILED", Effect.START, J1),
    # Replayed after a crash that lost the tracking but not the row update: send it again.
    (Tracking(), R1, "PROCESSING", Effect.START, J1),
    (DONE, R2, "PROCESSING", Effect.START, first_job_id(R2)),
    # Duplicates: by request id, or by status while another request's job runs.
    (IN_FLIGHT, R1, "PROCESSING", Effect.NONE, ""),
    (DONE, R1, "FAILED", Effect.NONE, ""),
    (IN_FLIGHT, R2, "PROCESSING", Effect.NONE, ""),
    (Tracking(), R1, "READY", Effect.NONE, ""),
    (Tracking(), R1, "PENDING", Effect.NONE, ""),
    (Tracking(), R1, None, Effect.NONE, ""),
    # retry/ of a FAILED video: a new request, the video UPLOADED again.
    (DONE, R2, "UPLOADED", Effect.START, first_job_id(R2)),
])
def test_requests(state: Tracking, request_id: str, status: str | None, effect: Effect,
                  job: str) -> None:
    step = on_request(state, request_id, status)
    assert (step.effect, step.job_id) == (effect, job)
    assert request_id in step.state.seen
    if effect is Effect.START:
        assert (step.state.job_id, step.state.finished, step.attempt) == (job, False, 1)


def test_seen_requests_are_bounded() -> None:
    state = Tracking()
    for i in range(50):
        state = on_request(state, f"r{i}", "READY").state
    assert state.seen == tuple(f"r{i}" for i in range(30, 50))


J2 = next_job_id(J1)


@pytest.mark.parametrize(("state", "res", "status", "effect", "job", "attempt"), [
    (IN_FLIGHT, result("progress", progress=40), "PROCESSING", Effect.PROGRESS, "", 0),
    (IN_FLIGHT, result("ready"), "PROCESSING", Effect.READY, "", 0),
    (IN_FLIGHT, result("failed", retryable=False), "PROCESSING", Effect.FAIL, "", 0),
    # Transient: the next attempt, a bounded number of times.
    (IN_FLIGHT, result("failed", retryable=True), "PROCESSING", Effect.RETRY, J2, 2),
    (replace(IN_FLIGHT, job_id=J2), result("failed", J2, 2, retryable=True), "PROCESSING",
     Effect.RETRY, next_job_id(J2), 3),
    (replace(IN_FLIGHT, job_id=J2), result("failed", J2, MAX_ATTEMPTS, retryable=True),
     "PROCESSING", Effect.FAIL, "", 0),
    # A replay of the failure before the tracking was written: the same next job again.
    (IN_FLIGHT, result("failed", retryable=True), "PROCESSING", Effect.RETRY, J2, 2),
    # Duplicates and late messages change nothing.
    (DONE, result("ready"), "READY", Effect.NONE, "", 0),
    (IN_FLIGHT, result("progress", progress=99), "READY", Effect.NONE, "", 0),
    (replace(IN_FLIGHT, job_id=J2), result("failed"), "PROCESSING", Effect.NONE, "", 0),
    (replace(IN_FLIGHT, job_id=J2), result("progress"), "PROCESSING", Effect.NONE, "", 0),
    (IN_FLIGHT, result("ready"), None, Effect.NONE, "", 0),
    # Tracking lost: the row's status decides.
    (Tracking(), result("ready"), "PROCESSING", Effect.READY, "", 0),
])
def test_results(state: Tracking, res: TranscodeResultV1, status: str | None, effect: Effect,
                 job: str, attempt: int) -> None:
    step = on_result(state, res, status)
    assert (step.effect, step.job_id, step.attempt) == (effect, job, attempt)
    if effect in (Effect.READY, Effect.FAIL):
        assert step.state.finished
    if effect is Effect.RETRY:
        assert (step.state.job_id, step.state.finished) == (job, False)


@pytest.mark.parametrize(("res", "reason"), [
    (result("failed", error_reason="not a video: no video stream in the file"),
     "not a video: no video stream in the file"),
    (result("failed", attempt=3, retryable=True, error_reason="temporary failure: s3 down"),
     "temporary failure: s3 down (gave up after 3 attempts)"),
    (result("failed"), "transcoding failed"),
])
def test_failure_reason(res: TranscodeResultV1, reason: str) -> None:
    assert failure_reason(res) == reason


@pytest.mark.parametrize(("attempt", "seconds"), [(1, 0.0), (2, 5.0), (3, 20.0), (9, 20.0)])
def test_backoff(attempt: int, seconds: float) -> None:
    assert backoff_seconds(attempt) == seconds


def test_job_ids_are_deterministic_and_distinct() -> None:
    assert first_job_id(R1) == first_job_id(R1) != first_job_id(R2)
    assert next_job_id(J1) == next_job_id(J1) not in {J1, first_job_id(R2)}


def test_tracking_round_trips() -> None:
    assert decode_state(encode_state(IN_FLIGHT)) == IN_FLIGHT
    assert decode_state(None) == Tracking()


KEK = bytes(range(32))


def test_hls_keys_are_sealed_to_their_video() -> None:
    key = b"k" * 16
    sealed = seal(KEK, key, 1, 7)
    assert key not in sealed and unseal(KEK, sealed, 1, 7) == key
    assert seal(KEK, key, 1, 7) != sealed  # a fresh nonce each time
    for kek, tenant, video, blob in [(bytes(32), 1, 7, sealed), (KEK, 2, 7, sealed),
                                     (KEK, 1, 8, sealed), (KEK, 1, 7, b"\x02" + sealed[1:]),
                                     (KEK, 1, 7, sealed[:10])]:
        with pytest.raises(KeyUnreadable):
            unseal(kek, blob, tenant, video)


def test_key_uri_is_the_gateway_route() -> None:
    pattern = "^" + ROUTE.replace(r"{id:\d+}", r"\d+") + "$"
    assert re.match(pattern, key_path(42))
    assert key_path(42) == "/api/v1/media/videos/42/hls-key/"


@pytest.mark.parametrize(("exc", "retryable", "starts"), [
    (InvalidSource("not a video: no video stream in the file"), False, "not a video"),
    (PermanentFailure("the uploaded source file is missing from S3"), False, "the uploaded"),
    (KeyUnreadable("video 7: unknown HLS key format"), False, "video 7"),
    (ffmpeg.FfmpegError("ffmpeg failed: Invalid data found"), False, "ffmpeg failed"),
    (ffmpeg.FfmpegError("ffmpeg failed: No space left on device"), True, "ffmpeg failed"),
    (ffmpeg.FfmpegTimeout("ffmpeg timed out after 180 s"), True, "ffmpeg timed out"),
    (ObjectStoreError("get uploads/1/x.mp4: Could not connect to the endpoint URL: "
                      '"http://s3.internal:7070/b/uploads/1/x.mp4"'), True,
     "temporary failure: S3 request failed (get uploads/1/x.mp4)"),
    (ConnectionResetError("reset"), True, "temporary failure"),
    (RuntimeError("bug"), True, "internal error"),
])
def test_failures_are_sorted_into_bad_input_and_transient(exc: Exception, retryable: bool,
                                                          starts: str) -> None:
    reason, again = classify(exc)
    assert again is retryable and reason.startswith(starts)
    assert "http" not in reason  # no internal addresses in what admins read

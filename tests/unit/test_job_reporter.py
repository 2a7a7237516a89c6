"""A job's reports: progress only grows, and a quiet job still sends keep-alives."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

from streams.publisher import Publisher
from streams.schemas import TranscodeJobV1, TranscodeResultV1
from streams.topics import TopicSpec
from transcoder.reporter import JobReporter

JOB = TranscodeJobV1(job_id="j1", tenant="t", tenant_id=1, video_id=7, source_key="s.mp4")


class RecordingPublisher:
    """Our publisher's interface, keeping what it was given."""

    def __init__(self) -> None:
        self.sent: list[TranscodeResultV1] = []

    async def publish(self, topic: TopicSpec, messages: Sequence[tuple[bytes, Any]]) -> None:
        self.sent += [value for _key, value in messages]


def reporter() -> tuple[JobReporter, RecordingPublisher]:
    publisher = RecordingPublisher()
    return JobReporter(cast(Publisher, publisher), JOB), publisher


async def test_progress_never_goes_back_and_stays_below_100() -> None:
    report, publisher = reporter()
    for percent in (0, 40.0, 30.0, 40.5, 120.0):
        await report.progress(percent)
        report._last_at -= 2  # as if a second had passed since
    assert [r.progress for r in publisher.sent] == [0, 40, 99]


async def test_a_quiet_job_sends_its_last_progress_as_a_keep_alive() -> None:
    report, publisher = reporter()
    await report.progress(12)
    async with report.keeping_alive(every=0.05):
        await asyncio.sleep(0.18)
    sent = len(publisher.sent)
    assert sent >= 3 and {r.progress for r in publisher.sent} == {12}
    assert {(r.kind, r.job_id) for r in publisher.sent} == {("progress", "j1")}
    await asyncio.sleep(0.1)
    assert len(publisher.sent) == sent  # stopped with the block


async def test_progress_reports_postpone_the_keep_alive() -> None:
    report, publisher = reporter()
    async with report.keeping_alive(every=0.2):
        for percent in range(1, 9):
            await asyncio.sleep(0.03)
            report._last_at -= 2
            await report.progress(percent)
    assert [r.progress for r in publisher.sent] == list(range(1, 9))

"""A batch of progress changes folds to one row write that never goes below any of them."""

from __future__ import annotations

import pytest

from storage.progress_records import latest_per_row
from streams.schemas import ProgressV1


def change(progress: float, *, video: int = 7, completed: bool = False,
           last_position: float = 0.0) -> ProgressV1:
    seconds = progress * 100
    return ProgressV1(
        tenant="acme", tenant_id=1, user_id="u", video_id=video, enrollment_id=9,
        session_id="s", progress=progress, watched_seconds=seconds,
        last_position=last_position, completed=completed,
        intervals=[[0.0, seconds]] if seconds else [], milestones=[], at=1.8e9)


@pytest.mark.parametrize(("name", "changes", "expected"), [
    ("growing: the last one", [change(0.1, last_position=10), change(0.2, last_position=20)],
     (0.2, 20.0, False, [[0.0, 20.0]], 20.0)),
    ("a dropped watch restarted empty: the earlier coverage stays",
     [change(0.95, completed=True, last_position=95), change(0.01, last_position=3)],
     (0.95, 3.0, True, [[0.0, 95.0]], 95.0)),
])
def test_the_fold_never_goes_below_a_change_of_the_batch(
        name: str, changes: list[ProgressV1],
        expected: tuple[float, float, bool, list[list[float]], float]) -> None:
    (one,) = latest_per_row(changes)
    assert (one.progress, one.last_position, one.completed, one.intervals,
            one.watched_seconds) == expected, name


def test_one_write_per_row() -> None:
    rows = latest_per_row([change(0.1), change(0.2, video=8), change(0.3)])
    assert sorted((r.video_id, r.progress) for r in rows) == [(7, 0.3), (8, 0.2)]

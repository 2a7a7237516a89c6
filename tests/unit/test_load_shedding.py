"""The in-flight bound's decision: under the limit runs, at it sheds, probes never shed."""

from __future__ import annotations

import pytest

from policy.load_shedding import admits


@pytest.mark.parametrize(("in_flight", "limit", "path", "expected"), [
    (0, 8, "/api/v1/media/videos/1/heartbeat/", True),
    (7, 8, "/api/v1/media/videos/1/heartbeat/", True),
    (8, 8, "/api/v1/media/videos/1/heartbeat/", False),
    (500, 8, "/api/v1/media/videos/1/events/", False),
    (8, 8, "/healthz", True),
    (8, 8, "/readyz", True),
    (9000, 8, "/metrics", True),
    (8, 8, "/metrics/", False),  # only the exact probe paths are exempt
])
def test_admits(in_flight: int, limit: int, path: str, expected: bool) -> None:
    assert admits(in_flight, limit, path) is expected

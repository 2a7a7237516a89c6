"""No input makes any API operation answer 500: every registered route, hostile bodies."""

from __future__ import annotations

import re

import orjson
import pytest
from aiohttp.test_utils import TestClient

from gateway import keys

pytestmark = pytest.mark.stack

BODIES: list[bytes] = [
    b"", b"null", b"[]", b"[1, 2]", b"{}", b'"text"', b"{not json", b"\xff\xfe",
    b'{"session": "1", "title": 5}', b'{"session": 99999999999999999999999999}',
    b'{"session": -1, "title": "x", "url": "x", "filename": "a.mp4", "size": -5}',
    b'{"id": 1, "video": {"nested": true}, "enrollments": "all", "parts": [{}]}',
    b'{"token": 1, "events": [null]}', b'[{"title": null}, 7]',
]
IDS = ["1", "0", "99999999999999999999", "9223372036854775807"]


def _paths(template: str) -> list[str]:
    """The route with its {params} filled with awkward ids."""
    return [re.sub(r"\{[^}]+\}", value, template) for value in IDS]


async def test_every_operation_answers_4xx_not_500_to_garbage(api: TestClient, bearer,
                                                              tenant_slug: str) -> None:
    admin = bearer(tenant_slug)
    operations = api.server.app[keys.API].operations
    assert len(operations) > 40
    failures = []
    for op in operations:
        for path in _paths(op.path):
            bodies = BODIES if op.method in {"POST", "PATCH", "PUT"} else [b""]
            for body in bodies:
                for ctype in ("application/json", "text/plain", "multipart/form-data"):
                    resp = await api.request(op.method, path, data=body,
                                             headers={**admin, "Content-Type": ctype},
                                             allow_redirects=False)
                    if resp.status >= 500:
                        failures.append((op.method, path, body[:40], ctype, resp.status,
                                         (await resp.text())[:200]))
            query = await api.request(op.method, path + "?page=-1&page_size=x&session=a&"
                                      "video=%00&status=%27;--", headers=admin,
                                      allow_redirects=False)
            if query.status >= 500:
                failures.append((op.method, path, "query", query.status))
    assert failures == []


HOSTILE_BODIES: list[bytes] = [
    # NUL and control characters in every string field the API takes, and in keys
    orjson.dumps({name: "a\x00b" for name in (
        "title", "url", "external_url", "youtube_id", "filename", "content_type", "file_key",
        "upload_id", "device_id", "token", "batch_id", "session_id", "user_id", "name", "phone",
        "school", "parent_phone", "status", "rule", "on_limit", "violation_action")}),
    orjson.dumps({"title": "a\nb", "device_id": "\x1b[2J", "token": "t\r", "name": "\x7f",
                  "user_id": "\u0085", "filename": "a\tb.mp4", "url": "https://x/\x00"}),
    orjson.dumps({"a\x00": 1, "nested": {"k\x01": ["\x02"]}}),
    # huge numbers
    (b'{"session": 1e308, "enrollment_id": 1e308, "video": 1e308, "size": 1e308,'
     b' "progress": 1e308, "last_position": 1e308, "position": 1e308, "max_speed": 1e308}'),
    (b'{"session": 18446744073709551616, "enrollment_id": 18446744073709551615,'
     b' "enrollments": [18446744073709551615], "size": 18446744073709551615,'
     b' "max_sessions": 18446744073709551615, "grade": -18446744073709551615}'),
    # far-future and far-past timestamps
    orjson.dumps({"token": "x", "events": [{"type": "pause", "occurred_at": t}
                                           for t in (1e308, 1e12, 2.0**64, -1e308, 0)]}),
    # deep nesting, in the body and in an event payload
    b"[" * 1000 + b"]" * 1000, b"[" * 10_000, b'{"x":' * 300 + b"1" + b"}" * 300,
    orjson.dumps({"token": "x", "events": [{"type": "pause", "payload": {"a": [[[[[[[[[[[[1]]]]]]]]]]]]}}]}),
    # oversized payloads
    orjson.dumps({"token": "x", "events": [{"type": "pause", "payload": {"n": "x" * 900_000}}]}),
    orjson.dumps({"token": "x", "events": [{"type": "pause", "payload": {str(i): i for i in range(5000)}}]}),
    b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}',
]
HOSTILE_QUERY = ["\x00", "a\x00b", "\n", "\x1b[31m", "\x7f", "\u009b", "x" * 5000, "1e308",
                 str(2**64), "99999999999999999999", "-99999999999999999999", "nan", "inf"]
HOSTILE_SEGMENTS = ["%00", "1%00", "1%0A", "%1B", "-1", "1e308", str(2**64), "%FF", ".."]


async def test_hostile_values_answer_4xx_not_500(api: TestClient, bearer,
                                                 tenant_slug: str) -> None:
    """NUL and control characters in every string field, query parameter and path segment;
    huge numbers; far-future timestamps; deep nesting; oversized payloads."""
    admin = bearer(tenant_slug)
    failures = []

    async def probe(method: str, path: str, **kwargs: object) -> None:
        resp = await api.request(method, path, headers={**admin, "Content-Type":
                                 "application/json"}, allow_redirects=False, **kwargs)
        if resp.status >= 500:
            failures.append((method, path[:80], resp.status, (await resp.text())[:200]))

    for op in api.server.app[keys.API].operations:
        path = _paths(op.path)[0]
        if op.method in {"POST", "PATCH", "PUT"}:
            for body in HOSTILE_BODIES:
                await probe(op.method, path, data=body)
        for name in op.query:
            for value in HOSTILE_QUERY:
                await probe(op.method, path, params={name: value})
        for segment in HOSTILE_SEGMENTS:
            await probe(op.method, re.sub(r"\{[^}]+\}", segment, op.path))
    assert failures == []

"""No input makes any API operation answer 500: every registered route, hostile bodies."""

from __future__ import annotations

import re

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

"""Finding 3: query filters, pages and ids a list endpoint cannot serve answer 400, never 500.

Every query parameter the OpenAPI document declares is tried with a NUL, other control
characters and an overlong value, on every operation that declares it; huge numbers in
``page`` and the integer filters; control characters in path segments.
"""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient

from gateway import keys
from gateway.api import Operation

pytestmark = pytest.mark.stack

HOSTILE_TEXT = ["a\x00b", "\x00", "a\nb", "a\rb", "\ta", "\x1b[2J", "a\x7f", "a\u009b",
                "x" * 300]
HUGE_NUMBERS = ["99999999999999999999", str(2**63), str(2**64), "1e308", "9" * 5000,
                "-99999999999999999999"]


def _filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _declared_queries(api: TestClient) -> list[tuple[Operation, str]]:
    ops = api.server.app[keys.API].operations
    return [(op, name) for op in ops for name in op.query]


async def test_every_declared_query_parameter_refuses_control_characters_and_length(
        api: TestClient, bearer, tenant_slug: str) -> None:
    admin = bearer(tenant_slug)
    declared = _declared_queries(api)
    names = {name for _op, name in declared}
    assert {"search", "user", "session_id", "status", "event_type", "user_id", "page",
            "page_size", "since", "until", "violated", "token"} <= names
    failures = []
    for op, name in declared:
        for value in HOSTILE_TEXT:
            if name == "token" and value.isprintable():
                continue  # a long printable token is the token's own 401, not a filter's 400
            resp = await api.request(op.method, _filled(op.path), params={name: value},
                                     headers=admin, allow_redirects=False)
            body = await resp.json() if resp.content_type == "application/json" else None
            if resp.status != 400 or not isinstance(body, dict) or name not in body:
                failures.append((op.method, op.path, name, value[:12], resp.status, body))
    assert failures == []


async def test_huge_pages_and_ids_in_filters_are_400_naming_the_parameter(
        api: TestClient, bearer, tenant_slug: str) -> None:
    admin = bearer(tenant_slug)
    failures = []
    for op, name in _declared_queries(api):
        if name not in {"page", "page_size", "video", "enrollment", "session", "lecture",
                        "student"}:
            continue
        for value in HUGE_NUMBERS:
            resp = await api.request(op.method, _filled(op.path), params={name: value},
                                     headers=admin)
            body = await resp.json()
            if resp.status != 400 or name not in body:
                failures.append((op.path, name, value[:24], resp.status, body))
    assert failures == []


async def test_a_page_past_the_last_is_empty_not_an_error(api: TestClient, bearer,
                                                          tenant_slug: str) -> None:
    resp = await api.get("/api/v1/catalog/lectures/", params={"page": "100000"},
                         headers=bearer(tenant_slug))
    assert resp.status == 200 and (await resp.json())["results"] == []


@pytest.mark.parametrize("path", [
    "/hls/videos/1/%00master.m3u8", "/hls/videos/1/a%0Ab.ts", "/hls/videos/1/a%1Bb.ts",
    "/app/%00", "/app/a%0Ab", "/api/v1/media/videos/1/%00/",
])
async def test_control_characters_in_a_path_answer_4xx(api: TestClient, bearer,
                                                       tenant_slug: str, path: str) -> None:
    resp = await api.get(path, headers=bearer(tenant_slug))
    assert 400 <= resp.status < 500, await resp.text()
    assert "\x00" not in await resp.text()


async def test_an_unknown_query_parameter_with_a_nul_is_refused(api: TestClient, bearer,
                                                                tenant_slug: str) -> None:
    resp = await api.get("/api/v1/catalog/lectures/?note%00=1&x=%00",
                         headers=bearer(tenant_slug))
    assert resp.status == 400, await resp.text()

"""The OpenAPI 3.1 document and the docs page come from the registered operations."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

pytestmark = pytest.mark.stack


async def test_openapi_lists_every_operation_with_schemas(api: TestClient) -> None:
    resp = await api.get("/api/v1/openapi.json")
    doc = await resp.json()
    assert resp.status == 200 and doc["openapi"] == "3.1.0"
    ops = api.server.app[__import__("gateway.keys").keys.API].operations
    for op in ops:
        path = "/".join(f"{{{p[1:-1].split(':')[0]}}}" if p.startswith("{") else p
                        for p in op.path.split("/"))
        assert op.method.lower() in doc["paths"][path], (op.method, path)
    lecture_in = doc["components"]["schemas"]["LectureIn"]
    assert lecture_in["required"] == ["title"]
    assert lecture_in["properties"]["title"]["minLength"] == 1
    create = doc["paths"]["/api/v1/catalog/lectures/"]["post"]
    many, one = create["requestBody"]["content"]["application/json"]["schema"]["anyOf"]
    assert one["$ref"].endswith("/LectureIn") and many["items"]["$ref"].endswith("/LectureIn")
    assert many["maxItems"] == 5000
    assert {"201", "400", "401", "403", "413"} <= set(create["responses"])


async def test_docs_page_is_self_contained_html(api: TestClient) -> None:
    resp = await api.get("/api/v1/docs/")
    text = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/html"
    assert "/api/v1/catalog/lectures/" in text and "openapi.json" in text
    assert "http://" not in text.replace("http://127.0.0.1", "") and "https://" not in text

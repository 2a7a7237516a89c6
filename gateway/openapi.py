"""``/api/v1/openapi.json`` and a browsable, self-contained docs page at ``/api/v1/docs/``."""

from __future__ import annotations

import html
from typing import Any

import orjson
from aiohttp import web

from gateway import keys
from gateway.responses import json_response


async def openapi_json(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document, generated from the registered operations."""
    return json_response(request.app[keys.API].openapi())


def _schema_html(schema: dict[str, Any]) -> str:
    return f"<pre>{html.escape(_pretty(schema))}</pre>"


def _pretty(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


async def docs_page(request: web.Request) -> web.Response:
    """Every operation with its roles, parameters and schemas, as plain HTML (no CDN)."""
    doc = request.app[keys.API].openapi()
    parts = [f"<h1>{html.escape(doc['info']['title'])} API {doc['info']['version']}</h1>",
             '<p>Machine-readable: <a href="/api/v1/openapi.json">openapi.json</a>. '
             "Authenticate with <code>Authorization: Bearer &lt;JWT&gt;</code>.</p>"]
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            params = ", ".join(p["name"] for p in op.get("parameters", [])) or "none"
            parts.append(f"<details><summary><code>{method.upper()} {html.escape(path)}"
                         f"</code> {html.escape(op['summary'])}</summary>"
                         f"<p>{html.escape(op['description'])} Parameters: {params}.</p>")
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                parts.append("<h4>Request body</h4>" + _schema_html(body["schema"]))
            parts.append("</details>")
    parts.append("<h2>Schemas</h2>")
    for name, schema in doc["components"]["schemas"].items():
        parts.append(f"<details><summary>{html.escape(name)}</summary>"
                     f"{_schema_html(schema)}</details>")
    page = ("<!doctype html><html lang=en><meta charset=utf-8><title>lecturecast API</title>"
            "<style>body{font:15px system-ui;max-width:60rem;margin:2rem auto;padding:0 1rem}"
            "summary{cursor:pointer;padding:.2rem 0}pre{background:#f4f4f4;padding:.5rem;"
            "overflow:auto}</style><body>" + "".join(parts) + "</body></html>")
    return web.Response(text=page, content_type="text/html")


def setup_routes(app: web.Application) -> None:
    """Register the documentation endpoints."""
    app.router.add_get("/api/v1/openapi.json", openapi_json)
    app.router.add_get("/api/v1/docs/", docs_page)

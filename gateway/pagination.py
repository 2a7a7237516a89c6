"""DRF-style page-number pagination: ``{count, next, previous, results}``.

Links are ``PUBLIC_BASE_URL`` + the request's path and query, or the path and query alone:
never built from the ``Host`` header, which any client sets (a poisoned link otherwise lands in
whatever caches or follows the page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from gateway import keys
from gateway.validation import query_int

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000  # (page - 1) x page_size stays far inside a bigint OFFSET
QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
    "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
}


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page a list request asks for."""

    page: int
    size: int

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.size


def page_request(request: web.Request) -> PageRequest:
    """``page`` (1..1,000,000) and ``page_size`` (1..200) from the query string, or 400."""
    page = query_int(request, "page", 1, minimum=1, maximum=MAX_PAGE)
    size = query_int(request, "page_size", DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
    assert page is not None and size is not None
    return PageRequest(page, size)


def _link(request: web.Request, page: int) -> str:
    base = request.app[keys.SETTINGS].public_base_url.rstrip("/")
    return base + str(request.rel_url.update_query(page=page))


def page_body(request: web.Request, page: PageRequest, count: int,
              results: Sequence[Any]) -> dict[str, Any]:
    """The paginated response body with next/previous links (see the module's note)."""
    has_next = page.offset + len(results) < count
    return {
        "count": count,
        "next": _link(request, page.page + 1) if has_next else None,
        "previous": _link(request, page.page - 1) if page.page > 1 else None,
        "results": list(results),
    }

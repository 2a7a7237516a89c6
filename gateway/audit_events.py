"""``GET /api/v1/media/events/``: the playback audit trail for admins."""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from gateway import fields, keys
from gateway.api import Api
from gateway.pagination import page_body, page_request
from gateway.responses import json_response
from gateway.tenancy import manager
from gateway.validation import FieldErrors, query_int, query_text
from storage.audit import AuditFilter, AuditRow, list_events


def _time(request: web.Request, name: str) -> datetime | None:
    raw = query_text(request, name)
    if not raw:
        return None
    try:
        return datetime.fromtimestamp(float(raw), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        # In UTC now: year 1 at +14:00 is not a time PostgreSQL (or datetime) can hold.
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)) \
            .astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise FieldErrors({name: ["Give epoch seconds or an ISO-8601 time."]}) from None


def _violated(request: web.Request) -> bool | None:
    raw = (query_text(request, "violated") or "").lower()
    if raw in ("", "any"):
        return None
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise FieldErrors({"violated": ["Must be true or false."]})


async def list_audit_events(request: web.Request) -> web.Response:
    """Audit rows newest first, filtered by video, enrollment, session, type, verdict, time."""
    who = await manager(request)
    f = AuditFilter(
        video=query_int(request, "video", minimum=1),
        enrollment=query_int(request, "enrollment", minimum=1),
        session_id=query_text(request, "session_id", max_length=fields.MAX_KEY),
        event_type=(query_text(request, "event_type", max_length=fields.MAX_KEY) or "").upper()
        or None,
        violated=_violated(request), since=_time(request, "since"), until=_time(request, "until"))
    page = page_request(request)
    count, rows = await list_events(request.app[keys.DB], who.tenant_id, f, limit=page.size,
                                    offset=page.offset)
    return json_response(page_body(request, page, count, rows))


def register(api: Api) -> None:
    """Register the audit endpoint."""
    api.add("GET", "/api/v1/media/events/", list_audit_events, summary="The playback audit trail",
            tag="playback-admin", response=AuditRow, paginated=True,
            query=("video", "enrollment", "session_id", "event_type", "violated", "since",
                   "until", "page", "page_size"))

"""The gateway application factory: one ``create_app(settings)``, resources in cleanup contexts."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import AsyncIterator

from aiohttp import web

from config.settings import Settings
from gateway import (
    audit_events, background, catalog, events, form_upload, health, keys, library, local_cdn,
    openapi, pages, permissions, playback, playback_admin, progress, stats, tenant_settings,
    uploads, videos,
)
from gateway import hls_keys, load_shedding
from gateway import rate_limits
from gateway.api import Api
from gateway.auth import Authenticator
from gateway.cdn import signer_from_settings
from gateway.metrics import Metrics
from gateway.middleware import request_context_middleware
from gateway.reply_janitor import reply_janitor
from gateway.session_client import SessionClient
from storage.cache import create_redis
from storage.db import create_pool
from storage.live_sessions import LiveSessions
from storage.objects import open_object_store
from storage.tenants import TenantIds
from streams.publisher import Publisher


async def _postgres(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    # No connection at start (min_size=0): a gateway started while PostgreSQL is away still
    # serves events/ and heartbeat/, which do not need it; /readyz names what is missing.
    pool = await create_pool(settings, min_size=0,
                             acquire_timeout=settings.database_pool_timeout_seconds)
    app[keys.DB] = pool
    yield
    await pool.close()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    client = create_redis(app[keys.SETTINGS])
    app[keys.REDIS] = client
    app[keys.LIVE] = LiveSessions(client)
    yield
    await client.aclose()


async def _object_store(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    async with open_object_store(settings, settings.s3_pool_timeout_seconds) as store:
        app[keys.OBJECTS] = store
        yield


async def _kafka_publisher(app: web.Application) -> AsyncIterator[None]:
    client_id = f"lecturecast-gateway-{os.getpid()}"
    settings = app[keys.SETTINGS]
    publisher = await Publisher.start(settings, client_id=client_id,
                                      timeout=settings.kafka_publish_timeout_seconds)
    app[keys.PUBLISHER] = publisher
    yield
    await publisher.stop()


async def _session_client(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    gateway_id = re.sub(r"[^A-Za-z0-9_-]", "-", f"{socket.gethostname()}-{settings.gateway_port}")
    client = SessionClient(settings, app[keys.PUBLISHER], gateway_id)
    await client.start()
    app[keys.SESSIONS] = client
    yield
    await client.stop()


def create_app(settings: Settings) -> web.Application:
    """Build the gateway; connections open on startup and close on cleanup."""
    app = web.Application(
        # Outermost first: a shed request is still timed, counted and logged.
        middlewares=[request_context_middleware, load_shedding.shedding_middleware],
        client_max_size=2 * 1024 * 1024,
    )
    app[keys.SETTINGS] = settings
    app[keys.METRICS] = Metrics()
    app[keys.AUTHENTICATOR] = Authenticator(settings)
    app[keys.TENANT_IDS] = TenantIds()
    app[keys.CDN_SIGNER] = signer_from_settings(settings)
    app[keys.PLAYBACK_KEYS] = settings.playback_keys()
    load_shedding.setup(app)
    app.cleanup_ctx.extend([_postgres, _redis, _object_store, _kafka_publisher,
                            _session_client, background.outbox_relay, background.object_deletions])
    app.cleanup_ctx.append(rate_limits.setup)
    app.cleanup_ctx.append(reply_janitor)
    health.setup_routes(app)
    api = Api("lecturecast", "1.0.0")
    events.register(api)
    audit_events.register(api)
    catalog.register(api)
    tenant_settings.register(api)
    uploads.register(api)
    form_upload.register(api)
    videos.register(api)
    playback.register(api)
    library.register(api)
    playback_admin.register(api)
    stats.register(api)
    permissions.register(api)
    progress.register(api)
    hls_keys.register(api)
    api.install(app)
    app[keys.API] = api
    openapi.setup_routes(app)
    local_cdn.setup_routes(app)
    pages.setup_routes(app, upload_origin=pages.origin_of(settings.s3_endpoint_url))
    return app

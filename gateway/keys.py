"""Typed keys of the gateway application's state."""

from __future__ import annotations

import asyncio

import asyncpg
import redis.asyncio as redis
from aiohttp import web

from config.settings import Settings
from gateway.auth import Authenticator
from gateway.cdn import CookieSigner
from gateway.session_client import SessionClient
from gateway.api import Api
from gateway.metrics import Metrics
from storage.live_sessions import LiveSessions
from storage.objects import ObjectStore
from storage.rate_limits import RateLimits
from storage.tenant_settings_cache import TenantSettingsCache
from storage.tenants import TenantIds
from streams.publisher import Publisher

SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Metrics)
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
TENANT_IDS = web.AppKey("tenant_ids", TenantIds)
API = web.AppKey("api", Api)
DB = web.AppKey("db", asyncpg.Pool)
REDIS = web.AppKey("redis", redis.Redis)
OBJECTS = web.AppKey("objects", ObjectStore)
PUBLISHER = web.AppKey("publisher", Publisher)
OUTBOX_WAKE = web.AppKey("outbox_wake", asyncio.Event)
DELETIONS_WAKE = web.AppKey("deletions_wake", asyncio.Event)
# Parsed (and for the derived key, HMAC-computed) once: every event and heartbeat uses them.
PLAYBACK_KEYS = web.AppKey("playback_keys", list)
SESSIONS = web.AppKey("sessions", SessionClient)
LIVE = web.AppKey("live", LiveSessions)
CDN_SIGNER = web.AppKey("cdn_signer", CookieSigner | None)
RATE_LIMITS = web.AppKey("rate_limits", RateLimits)
TENANT_SETTINGS = web.AppKey("tenant_settings", TenantSettingsCache)

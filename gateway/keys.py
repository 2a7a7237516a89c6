"""Typed keys of the gateway application's state."""

from __future__ import annotations

import asyncio

import asyncpg
import redis.asyncio as redis
from aiohttp import web

from config.settings import Settings
from gateway.auth import Authenticator
from gateway.api import Api
from gateway.metrics import Metrics
from storage.objects import ObjectStore
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

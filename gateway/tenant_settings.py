"""``GET``/``PATCH /api/v1/media/settings/``: a tenant's media settings (admins only)."""

from __future__ import annotations

import msgspec
from aiohttp import web

from config.tenant_settings import TenantSettings, effective
from gateway import keys
from gateway.api import Api
from gateway.auth import Role
from gateway.responses import json_response
from gateway.tenancy import caller
from gateway.validation import FieldErrors, changes, partial, read_body
from storage.tenants import merge_settings, stored_settings

SettingsPatch = partial(TenantSettings)


async def get_settings(request: web.Request) -> web.Response:
    """The effective settings: environment defaults with the tenant's changes on top."""
    who = await caller(request, (Role.ADMIN,))
    stored = await stored_settings(request.app[keys.DB], who.tenant_id)
    current = effective(request.app[keys.SETTINGS].tenant_defaults, stored)
    return json_response(msgspec.to_builtins(current))


async def patch_settings(request: web.Request) -> web.Response:
    """Change some keys (validated: types, bounds, choices); answers the effective settings."""
    who = await caller(request, (Role.ADMIN,))
    values = changes(await read_body(request, SettingsPatch))
    if not values:
        raise FieldErrors({"non_field_errors": ["Send at least one setting to change."]})
    stored = await merge_settings(request.app[keys.DB], who.tenant_id, values)
    request.app[keys.TENANT_SETTINGS].forget(who.tenant_id)
    current = effective(request.app[keys.SETTINGS].tenant_defaults, stored)
    return json_response(msgspec.to_builtins(current))


def register(api: Api) -> None:
    """Register the settings endpoints."""
    path = "/api/v1/media/settings/"
    api.add("GET", path, get_settings, summary="Read the academy's media settings",
            tag="settings", response=TenantSettings, roles="admin")
    api.add("PATCH", path, patch_settings, summary="Change the academy's media settings",
            tag="settings", body=SettingsPatch, response=TenantSettings, roles="admin")

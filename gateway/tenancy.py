"""Who is calling, for which tenant, and may they: the guard every API handler starts with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import web

from gateway import keys
from gateway.auth import MANAGERS, Principal, Role
from gateway.exceptions import Forbidden
from storage.tenants import TenantRepository


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated principal and the id of its tenant (created on first sight)."""

    principal: Principal
    tenant_id: int

    @property
    def tenant(self) -> str:
        """The tenant slug."""
        return self.principal.tenant


async def caller(request: web.Request, roles: Iterable[Role] = MANAGERS) -> Caller:
    """Authenticate the request and check its role: 401 without a valid token, 403 otherwise."""
    app = request.app
    principal = app[keys.AUTHENTICATOR].authenticate(request.headers.get("Authorization"))
    if principal.role not in frozenset(roles):
        raise Forbidden("You do not have permission to perform this action.")
    repo = TenantRepository(app[keys.DB])
    tenant_id = await app[keys.TENANT_IDS].resolve(repo, principal.tenant)
    return Caller(principal, tenant_id)


async def manager(request: web.Request) -> Caller:
    """A caller who may write the catalog: admin, staff or teacher."""
    return await caller(request, MANAGERS)


async def anyone(request: web.Request) -> Caller:
    """Any authenticated caller, students included (handlers then scope what they see)."""
    return await caller(request, Role)

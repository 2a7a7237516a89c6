"""Every Redis key prefix of lecturecast, declared once.

Keys are built only by the functions here, so a reader can find every key shape in one place.
All keys are scoped by tenant slug.
"""

from __future__ import annotations

PREFIX = "lc"


def tenant_id(tenant: str) -> str:
    """String: the numeric id of a tenant slug (a cache of the tenants table)."""
    return f"{PREFIX}:tenant:{tenant}:id"


def live_session(session_id: str) -> str:
    """Hash: the read model of one playback session (status, user, last heartbeat...)."""
    return f"{PREFIX}:ps:{session_id}"


def rate_user(tenant: str, route: str, user: str) -> str:
    """String: a user's GCRA arrival time for one route class (expires when the bucket is full).

    ``{tenant}`` is a hash tag, so a user's and their tenant's bucket share a cluster slot (one
    script touches both); a slug never holds braces or colons.
    """
    return f"{PREFIX}:rl:{{{tenant}}}:{route}:u:{user}"


def rate_tenant(tenant: str, route: str) -> str:
    """String: a tenant's GCRA arrival time for one route class."""
    return f"{PREFIX}:rl:{{{tenant}}}:{route}:t"


def read_model_mark(worker: str) -> str:
    """String: present while Redis still holds what one session-agents worker mirrored into
    it; gone after a restart without data or a flush, which the worker's sweep then repairs."""
    return f"{PREFIX}:ps-mark:{worker}"

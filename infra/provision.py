"""Prepare a running stack for lecturecast: migrations, the S3 bucket, the Kafka topics.

    python infra/provision.py [--demo]

With ``--demo`` it also creates the demo tenant and prints bearer tokens and URLs. An entry
point: it reads the environment once, like the service entry points.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from config.exceptions import SettingsError
from config.settings import Settings, load_settings
from gateway.auth import Role, mint_token
from storage.db import create_pool
from storage.demo import (
    DEMO_ADMIN_SUB, DEMO_STUDENT_SUB, DEMO_TENANT, DemoTenant, ensure_demo_tenant,
)
from storage.migrate import apply_migrations
from storage.objects import open_object_store
from streams.admin import ensure_topics

TOKEN_TTL_SECONDS = 7 * 24 * 3600


async def provision(settings: Settings, demo: bool) -> None:
    """Bring every dependency to the state the services expect (idempotent)."""
    pool = await create_pool(settings, max_size=2)
    try:
        async with pool.acquire() as conn:
            applied = await apply_migrations(conn)
        print(f"postgres: {'applied ' + ', '.join(applied) if applied else 'schema up to date'}")
        async with open_object_store(settings) as store:
            created = await store.ensure_bucket()
        print(f"s3: bucket {settings.s3_bucket} {'created' if created else 'present'}")
        topics = await ensure_topics(settings)
        print(f"kafka: {'created ' + ', '.join(topics) if topics else 'topics present'}")
        if demo:
            await _print_demo(settings, await ensure_demo_tenant(pool))
    finally:
        await pool.close()


async def _print_demo(settings: Settings, ids: DemoTenant) -> None:
    secret = settings.auth_jwt_secret
    base = f"http://{settings.gateway_host}:{settings.gateway_port}"
    print(f"\ndemo tenant '{DEMO_TENANT}': {ids}")
    if not secret:
        print("(AUTH_JWT_PUBLIC_KEY is set: mint demo tokens with your own private key)")
        return
    tokens: dict[Role, str] = {}
    for role, sub in ((Role.ADMIN, DEMO_ADMIN_SUB), (Role.STUDENT, DEMO_STUDENT_SUB)):
        tokens[role] = mint_token(
            secret, tenant=DEMO_TENANT, sub=sub, role=role,
            ttl_seconds=min(TOKEN_TTL_SECONDS, settings.auth_jwt_max_lifetime_seconds),
            issuer=settings.auth_jwt_issuer, audience=settings.auth_jwt_audience)
        print(f"  {role.value:<8} sub={sub:<10} Authorization: Bearer {tokens[role]}")
    # The token rides in the fragment: browsers never send it to the server in the URL.
    print(f"\n  pages    {base}/app/")
    print(f"  player   {base}/app/player/#token={tokens[Role.STUDENT]}")
    print(f"  admin    {base}/app/admin/#token={tokens[Role.ADMIN]}")
    print(f"\n  gateway  {base}/healthz  {base}/readyz  {base}/metrics")
    print(f"  API docs {base}/api/v1/docs/   (OpenAPI: {base}/api/v1/openapi.json)")
    print(f"  play     curl -s -XPOST {base}/api/v1/media/videos/{ids.video_id}/play/ "
          f"-H 'Authorization: Bearer <student token>' -H 'Content-Type: application/json' "
          f"-d '{{\"enrollment_id\": {ids.enrollment_id}, \"device_id\": \"laptop\"}}'")


def main() -> int:
    """Load settings from the environment and provision."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="create the demo tenant, print tokens")
    args = parser.parse_args()
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        print(f"provision: {exc}", file=sys.stderr)
        return 2
    asyncio.run(provision(settings, args.demo))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m gateway.tokens --tenant T --sub S --role R``: print a bearer token.

Signs with ``AUTH_JWT_SECRET`` (HS256), the same secret the gateway verifies with, and adds
``AUTH_JWT_ISSUER`` / ``AUTH_JWT_AUDIENCE`` when they are set, as the gateway then requires.
"""

from __future__ import annotations

import argparse
import os
import sys

from config.exceptions import SettingsError
from gateway.auth import Role, mint_token


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, mint a token, print it."""
    parser = argparse.ArgumentParser(prog="python -m gateway.tokens", description=__doc__)
    parser.add_argument("--tenant", required=True, help="tenant slug")
    parser.add_argument("--sub", required=True, help="user id (string)")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--ttl", type=int, default=7 * 24 * 3600,
                        help="lifetime in seconds (at most AUTH_JWT_MAX_LIFETIME_SECONDS)")
    args = parser.parse_args(argv)
    secret = os.environ.get("AUTH_JWT_SECRET", "")
    if not secret:
        print(SettingsError("AUTH_JWT_SECRET is required to sign tokens"), file=sys.stderr)
        return 2
    longest = os.environ.get("AUTH_JWT_MAX_LIFETIME_SECONDS", "")
    if longest.isdigit() and args.ttl > int(longest):
        print(SettingsError(f"--ttl {args.ttl}: the gateway refuses tokens living longer than "
                            f"AUTH_JWT_MAX_LIFETIME_SECONDS={longest}"), file=sys.stderr)
        return 2
    print(mint_token(secret, tenant=args.tenant, sub=args.sub, role=args.role, ttl_seconds=args.ttl,
                     issuer=os.environ.get("AUTH_JWT_ISSUER", ""),
                     audience=os.environ.get("AUTH_JWT_AUDIENCE", "")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

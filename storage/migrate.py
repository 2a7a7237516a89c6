"""Apply the numbered SQL migrations in ``storage/migrations`` to a PostgreSQL database.

Each ``NNNN_name.sql`` file runs once, in its own transaction, and is recorded with its sha256
in ``schema_migrations``. Run it with ``python -m storage.migrate [--dsn DSN]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import pathlib
import re
import sys

import asyncpg

from storage.exceptions import MigrationError

MIGRATIONS_DIR = pathlib.Path(__file__).resolve().parent / "migrations"

# Arbitrary constant shared by every lecturecast process, so concurrent runners queue up.
_LOCK_KEY = 7_310_472_115_001
_FILE_RE = re.compile(r"^(\d{4})_(\w+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def _discover(directory: pathlib.Path) -> list[tuple[str, str, pathlib.Path]]:
    """Return (version, name, path) of every migration file, ordered by version."""
    found: dict[str, tuple[str, str, pathlib.Path]] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_RE.match(path.name)
        if match is None:
            # A misnamed file would otherwise be skipped without anyone noticing.
            raise MigrationError(f"{path.name}: migration files must be named NNNN_name.sql")
        version, name = match.groups()
        if version in found:
            other = found[version][2].name
            raise MigrationError(f"{path.name}: version {version} is also used by {other}")
        found[version] = (version, name, path)
    return [found[v] for v in sorted(found)]


async def apply_migrations(conn: asyncpg.Connection,
                           directory: pathlib.Path | None = None) -> list[str]:
    """Apply the migrations of ``directory`` not yet recorded in ``schema_migrations``.

    Returns the versions applied, in order; an empty list means the database was up to date.
    Raises :class:`MigrationError` if a file already applied has changed since (it is never
    re-run) or if a file is misnamed. Files must not contain their own BEGIN/COMMIT.
    """
    migrations = _discover(directory or MIGRATIONS_DIR)
    applied: list[str] = []
    # A session lock (not a transaction one) so it spans the bookkeeping table's creation and
    # every migration's transaction; a second runner blocks here, then finds nothing left to do.
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(_CREATE_TABLE)
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
        done = {row["version"]: row["checksum"] for row in rows}
        for version, name, path in migrations:
            raw = path.read_bytes()
            checksum = hashlib.sha256(raw).hexdigest()
            if version in done:
                if done[version] != checksum:
                    raise MigrationError(
                        f"{path.name}: changed after it was applied (checksum {done[version][:12]}"
                        f" in the database, {checksum[:12]} on disk); add a new migration instead")
                continue
            try:
                async with conn.transaction():
                    await conn.execute(raw.decode("utf-8"))
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum)"
                        " VALUES ($1, $2, $3)", version, name, checksum)
            except asyncpg.PostgresError as exc:
                # The server's message does not say which file failed.
                raise MigrationError(f"{path.name}: {exc}") from exc
            applied.append(version)
    finally:
        # A dropped connection already released the lock; don't mask the original error.
        if not conn.is_closed():
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied


async def _run(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return await apply_migrations(conn)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: apply pending migrations and print what was applied."""
    parser = argparse.ArgumentParser(prog="python -m storage.migrate", description=__doc__)
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="PostgreSQL DSN (default: $DATABASE_URL)")
    args = parser.parse_args(argv)
    if not args.dsn:
        parser.error("no DSN: pass --dsn or set DATABASE_URL")
    try:
        applied = asyncio.run(_run(args.dsn))
    except MigrationError as exc:
        print(f"migration error: {exc}", file=sys.stderr)
        return 1
    for version in applied:
        print(f"applied {version}")
    if not applied:
        print("up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

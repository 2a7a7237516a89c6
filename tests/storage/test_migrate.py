"""The migration runner and the constraints of 0001_initial, against a real PostgreSQL.

Needs LECTURECAST_TEST_DATABASE_URL (any database on the server; each test creates and drops
its own database next to it).
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import shutil
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage.exceptions import MigrationError
from storage.migrate import MIGRATIONS_DIR, apply_migrations

DSN = os.environ.get("LECTURECAST_TEST_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DSN, reason="LECTURECAST_TEST_DATABASE_URL is not set (needs a real PostgreSQL)")

EXPECTED_TABLES = {
    "tenants", "students", "lectures", "sessions", "enrollments", "session_enrollments",
    "attendance", "videos", "video_permissions", "video_progress", "playback_sessions",
    "playback_events", "schema_migrations",
}


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """Name of a fresh, empty database, dropped after the test."""
    name = f"lc_migtest_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(DSN, database="postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield name
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def conn(database: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(DSN, database=database)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def migrated(conn: asyncpg.Connection) -> asyncpg.Connection:
    await apply_migrations(conn)
    return conn


async def _tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


async def _snapshot(conn: asyncpg.Connection) -> list[tuple[object, ...]]:
    """Every column, index and recorded migration: what a no-op run must leave untouched."""
    rows = await conn.fetch("""
        SELECT 'col', table_name::text, column_name::text, data_type::text
          FROM information_schema.columns WHERE table_schema = 'public'
        UNION ALL
        SELECT 'idx', tablename::text, indexname::text, indexdef FROM pg_indexes
         WHERE schemaname = 'public'
        UNION ALL
        SELECT 'mig', version, checksum, applied_at::text FROM schema_migrations
        ORDER BY 1, 2, 3""")
    return [tuple(row) for row in rows]


async def _seed(conn: asyncpg.Connection, slug: str = "acme") -> dict[str, int]:
    """One tenant with a student enrolled in a lecture that has one meeting."""
    ids: dict[str, int] = {}
    ids["tenant"] = await conn.fetchval(
        "INSERT INTO tenants (slug) VALUES ($1) RETURNING id", slug)
    ids["student"] = await conn.fetchval(
        "INSERT INTO students (tenant_id, user_id, name) VALUES ($1, 'u-1', 'Kim') RETURNING id",
        ids["tenant"])
    ids["lecture"] = await conn.fetchval(
        "INSERT INTO lectures (tenant_id, title) VALUES ($1, 'Math') RETURNING id", ids["tenant"])
    ids["session"] = await conn.fetchval(
        "INSERT INTO sessions (tenant_id, lecture_id, title) VALUES ($1, $2, 'Week 1')"
        " RETURNING id",
        ids["tenant"], ids["lecture"])
    ids["enrollment"] = await conn.fetchval(
        "INSERT INTO enrollments (tenant_id, student_id, lecture_id) VALUES ($1, $2, $3)"
        " RETURNING id", ids["tenant"], ids["student"], ids["lecture"])
    return ids


# --- the runner -------------------------------------------------------------------------------

ALL_VERSIONS = sorted(p.name[:4] for p in MIGRATIONS_DIR.glob("*.sql"))


async def test_first_apply_creates_every_table(conn: asyncpg.Connection) -> None:
    assert await apply_migrations(conn) == ALL_VERSIONS
    assert EXPECTED_TABLES <= await _tables(conn)
    row = await conn.fetchrow(
        "SELECT version, name, checksum FROM schema_migrations ORDER BY version LIMIT 1")
    assert (row["version"], row["name"]) == ("0001", "initial")
    assert len(row["checksum"]) == 64


async def test_second_apply_is_a_noop(migrated: asyncpg.Connection) -> None:
    before = await _snapshot(migrated)
    assert await apply_migrations(migrated) == []
    assert await _snapshot(migrated) == before


async def test_new_file_is_applied_alone(conn: asyncpg.Connection, tmp_path: pathlib.Path) -> None:
    shutil.copytree(MIGRATIONS_DIR, tmp_path, dirs_exist_ok=True)
    assert await apply_migrations(conn, tmp_path) == ALL_VERSIONS
    (tmp_path / "9999_extra.sql").write_text("CREATE TABLE extra (id int);")
    assert await apply_migrations(conn, tmp_path) == ["9999"]
    assert "extra" in await _tables(conn)


async def test_changed_checksum_raises(conn: asyncpg.Connection, tmp_path: pathlib.Path) -> None:
    shutil.copytree(MIGRATIONS_DIR, tmp_path, dirs_exist_ok=True)
    await apply_migrations(conn, tmp_path)
    edited = tmp_path / "0001_initial.sql"
    edited.write_text(edited.read_text() + "\n-- edited after the fact\n")
    with pytest.raises(MigrationError, match="0001_initial.sql"):
        await apply_migrations(conn, tmp_path)
    assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == len(ALL_VERSIONS)


async def test_failed_migration_is_rolled_back(conn: asyncpg.Connection,
                                               tmp_path: pathlib.Path) -> None:
    (tmp_path / "0001_broken.sql").write_text("CREATE TABLE half (id int); SELECT 1/0;")
    with pytest.raises(MigrationError, match="0001_broken.sql"):
        await apply_migrations(conn, tmp_path)
    assert "half" not in await _tables(conn)
    assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 0


async def test_concurrent_runners_apply_once(database: str) -> None:
    first = await asyncpg.connect(DSN, database=database)
    second = await asyncpg.connect(DSN, database=database)
    try:
        results = await asyncio.gather(apply_migrations(first), apply_migrations(second))
        assert sorted(results) == [[], ALL_VERSIONS]
        assert await first.fetchval("SELECT count(*) FROM schema_migrations") == len(ALL_VERSIONS)
    finally:
        await first.close()
        await second.close()


# --- constraints of 0001_initial --------------------------------------------------------------

async def test_duplicate_enrollment_rejected(migrated: asyncpg.Connection) -> None:
    ids = await _seed(migrated)
    with pytest.raises(asyncpg.UniqueViolationError):
        await migrated.execute(
            "INSERT INTO enrollments (tenant_id, student_id, lecture_id) VALUES ($1, $2, $3)",
            ids["tenant"], ids["student"], ids["lecture"])


async def test_bogus_video_status_rejected(migrated: asyncpg.Connection) -> None:
    ids = await _seed(migrated)
    with pytest.raises(asyncpg.CheckViolationError):
        await migrated.execute(
            "INSERT INTO videos (tenant_id, session_id, title, status)"
            " VALUES ($1, $2, 'v', 'BOGUS')",
            ids["tenant"], ids["session"])


async def test_cross_tenant_reference_rejected(migrated: asyncpg.Connection) -> None:
    ours = await _seed(migrated, "acme")
    theirs = await _seed(migrated, "other")
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await migrated.execute(
            "INSERT INTO videos (tenant_id, session_id, title) VALUES ($1, $2, 'v')",
            ours["tenant"], theirs["session"])


async def test_deleting_tenant_cascades(migrated: asyncpg.Connection) -> None:
    ours = await _seed(migrated, "acme")
    theirs = await _seed(migrated, "other")
    for ids in (ours, theirs):
        await migrated.execute(
            "INSERT INTO videos (tenant_id, session_id, title) VALUES ($1, $2, 'v')",
            ids["tenant"], ids["session"])
    await migrated.execute("DELETE FROM tenants WHERE id = $1", ours["tenant"])
    for table in ("lectures", "sessions", "students", "enrollments", "videos"):
        left = await migrated.fetch(f"SELECT tenant_id FROM {table}")
        assert [row["tenant_id"] for row in left] == [theirs["tenant"]], table


async def test_playback_events_outlive_their_video(migrated: asyncpg.Connection) -> None:
    ids = await _seed(migrated)
    video_id = await migrated.fetchval(
        "INSERT INTO videos (tenant_id, session_id, title) VALUES ($1, $2, 'v') RETURNING id",
        ids["tenant"], ids["session"])
    event_id = uuid.uuid4()
    insert = ("INSERT INTO playback_events (id, tenant_id, video_id, enrollment_id, session_id,"
              " user_id, event_type, occurred_at) VALUES ($1, $2, $3, $4, 's-1', 'u-1',"
              " 'SEEK_ATTEMPT', now()) ON CONFLICT (id) DO NOTHING")
    for _ in range(2):  # a replayed event is a no-op
        await migrated.execute(insert, event_id, ids["tenant"], video_id, ids["enrollment"])
    await migrated.execute("DELETE FROM videos WHERE id = $1", video_id)
    assert await migrated.fetchval("SELECT count(*) FROM playback_events") == 1

"""Per-enrollment video permissions: the access rule and playback overrides of one student.

Single-row writes go through the generic :class:`TenantTable` (same constraint messages as the
catalog); reads join the student for ``student_name``; the bulk upsert is one statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from storage.exceptions import ConstraintError, NotFoundError
from storage.tables import Column, TableSpec, TenantTable

# Bulk upsert parameters need explicit types: INSERT ... SELECT does not infer them.
POLICY_TYPES = {
    "rule": "text", "allow_skip_override": "boolean", "max_speed_override": "float8",
    "show_watermark_override": "boolean", "block_speed_control": "boolean",
    "block_seek": "boolean", "is_override": "boolean",
}
_FIELDS = ", ".join(f"p.{c}" for c in POLICY_TYPES)
# The student behind a row, by primary keys: the composite foreign keys already make them the
# row's tenant's, and a tenant_id condition here invites per-row scans of the whole tenant
# while a freshly imported tenant has no planner statistics.
_STUDENT_JOIN = """JOIN enrollments e ON e.id = p.enrollment_id
JOIN students st ON st.id = e.student_id"""
_SELECT = (f"SELECT p.id, p.video_id AS video, p.enrollment_id AS enrollment, {_FIELDS}, "
           f"st.name AS student_name")
_FILTERS = {"video": "p.video_id", "enrollment": "p.enrollment_id"}


@dataclass(frozen=True, slots=True)
class PermissionFields:
    """The stored columns of a permission, by API name."""

    id: int
    video: int
    enrollment: int
    rule: str
    allow_skip_override: bool | None  # None: the video's default applies
    max_speed_override: float | None
    show_watermark_override: bool | None
    block_speed_control: bool
    block_seek: bool
    is_override: bool


@dataclass(frozen=True, slots=True)
class VideoPermission(PermissionFields):
    """A permission as the API shows it, with the enrolled student's name."""

    student_name: str


PERMISSIONS = TableSpec(
    "video_permissions", PermissionFields,
    (Column("video", "video_id", ref="videos"),
     Column("enrollment", "enrollment_id", ref="enrollments"),
     *(Column(c) for c in POLICY_TYPES)),
    unique={"video_permissions_video_id_enrollment_id_key":
            ("non_field_errors", "The fields video, enrollment must make a unique set.")})


def _invalid(field: str, pk: int) -> ConstraintError:
    return ConstraintError(field, f'Invalid pk "{pk}" - object does not exist.')


def _permission(record: asyncpg.Record) -> VideoPermission:
    return VideoPermission(**dict(record.items()))


class PermissionRepository:
    """Tenant-scoped reads and writes of video permissions."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._table = TenantTable(pool, PERMISSIONS)

    async def list(self, tenant_id: int, filters: Mapping[str, int], *, limit: int,
                   offset: int) -> tuple[int, list[VideoPermission]]:
        """(total, one page) ordered by id; ``filters`` by API name (video, enrollment)."""
        args: list[Any] = [tenant_id]
        where = ["p.tenant_id = $1"]
        for name, value in filters.items():
            args.append(value)
            where.append(f"{_FILTERS[name]} = ${len(args)}")
        clause = " AND ".join(where)
        async with self._pool.acquire() as conn:
            count = await conn.fetchval(
                f"SELECT count(*) FROM video_permissions p WHERE {clause}", *args)
            records = await conn.fetch(
                f"{_SELECT} FROM video_permissions p {_STUDENT_JOIN} WHERE {clause} "
                f"ORDER BY p.id LIMIT {int(limit)} OFFSET {int(offset)}", *args)
        return count, [_permission(r) for r in records]

    async def get(self, tenant_id: int, permission_id: int,
                  conn: asyncpg.Connection | None = None) -> VideoPermission:
        """One permission; :class:`NotFoundError` if absent or another tenant's."""
        record = await (conn or self._pool).fetchrow(
            f"{_SELECT} FROM video_permissions p {_STUDENT_JOIN} "
            "WHERE p.tenant_id = $1 AND p.id = $2", tenant_id, permission_id)
        if record is None:
            raise NotFoundError(f"video permission {permission_id} not found")
        return _permission(record)

    async def create(self, tenant_id: int, values: Mapping[str, Any]) -> VideoPermission:
        """Insert one permission (API names -> values); a duplicate is a ConstraintError."""
        async with self._pool.acquire() as conn, conn.transaction():
            await self._check_refs(conn, tenant_id, values["video"], [values["enrollment"]],
                                   "enrollment")
            row = (await self._table.create_many(tenant_id, [values], conn))[0]
            return await self.get(tenant_id, row.id, conn)

    async def update(self, tenant_id: int, permission_id: int,
                     values: Mapping[str, Any]) -> VideoPermission:
        """Change some fields of one permission."""
        if "video" in values or "enrollment" in values:
            enrollments = [values["enrollment"]] if "enrollment" in values else []
            await self._check_refs(self._pool, tenant_id, values.get("video"), enrollments,
                                   "enrollment")
        await self._table.update(tenant_id, permission_id, values)
        return await self.get(tenant_id, permission_id)

    async def delete(self, tenant_id: int, permission_id: int) -> None:
        """Delete one permission."""
        await self._table.delete(tenant_id, permission_id)

    async def upsert_many(self, tenant_id: int, video: int, enrollments: Sequence[int],
                          values: Mapping[str, Any]) -> list[VideoPermission]:
        """Create or update the permission of each enrollment on ``video``, all or none.

        ``values`` holds ``rule`` and the policy fields the caller sent: an existing row keeps
        the fields not sent, a new row gets the column defaults for them.
        """
        ids = list(dict.fromkeys(enrollments))  # one row may not be upserted twice
        cols = list(values)
        params = ", ".join(f"${i + 4}::{POLICY_TYPES[c]}" for i, c in enumerate(cols))
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols)
        sql = f"""
            WITH p AS (
                INSERT INTO video_permissions
                    (tenant_id, video_id, enrollment_id, {", ".join(cols)})
                SELECT $1, $2, x, {params} FROM unnest($3::bigint[]) AS x
                ON CONFLICT (video_id, enrollment_id) DO UPDATE SET {sets}
                RETURNING *)
            {_SELECT} FROM p {_STUDENT_JOIN}
            ORDER BY array_position($3::bigint[], p.enrollment_id)"""
        async with self._pool.acquire() as conn, conn.transaction():
            # Checked first: ON CONFLICT must only ever meet this tenant's rows, and a
            # foreign id is the client's mistake to name, not a constraint to trip over.
            await self._check_refs(conn, tenant_id, video, ids, "enrollments")
            records = await conn.fetch(sql, tenant_id, video, ids, *values.values())
        return [_permission(r) for r in records]

    @staticmethod
    async def _check_refs(conn: asyncpg.Connection | asyncpg.Pool, tenant_id: int,
                          video: int | None, enrollments: Sequence[int],
                          enrollment_field: str) -> None:
        # Another tenant's ids are reported exactly like unknown ones.
        record = await conn.fetchrow(
            """SELECT $2::bigint IS NULL OR EXISTS (
                          SELECT 1 FROM videos WHERE tenant_id = $1 AND id = $2) AS video_ok,
                      ARRAY(SELECT x FROM unnest($3::bigint[]) WITH ORDINALITY AS u (x, n)
                            WHERE NOT EXISTS (SELECT 1 FROM enrollments
                                              WHERE tenant_id = $1 AND id = u.x)
                            ORDER BY n) AS missing""",
            tenant_id, video, list(enrollments))
        if not record["video_ok"]:
            assert video is not None
            raise _invalid("video", video)
        if record["missing"]:
            raise _invalid(enrollment_field, record["missing"][0])

"""The demo tenant that ``make run`` creates: one lecture, one class session, one student."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from storage.tenants import TenantRepository

DEMO_TENANT = "demo"
DEMO_ADMIN_SUB = "admin-1"
DEMO_STUDENT_SUB = "student-1"


@dataclass(frozen=True, slots=True)
class DemoTenant:
    """Ids of the demo rows."""

    tenant_id: int
    lecture_id: int
    session_id: int
    student_id: int
    enrollment_id: int
    video_id: int


async def ensure_demo_tenant(pool: asyncpg.Pool) -> DemoTenant:
    """Create the demo rows unless they exist; idempotent across restarts."""
    tenant = await TenantRepository(pool).ensure(DEMO_TENANT)
    async with pool.acquire() as conn, conn.transaction():
        t = tenant.id
        lecture_id = await conn.fetchval(
            "SELECT id FROM lectures WHERE tenant_id = $1 ORDER BY id LIMIT 1", t)
        if lecture_id is None:
            lecture_id = await conn.fetchval(
                "INSERT INTO lectures (tenant_id, title) VALUES ($1, 'Demo lecture') RETURNING id", t)
        session_id = await conn.fetchval(
            "SELECT id FROM sessions WHERE tenant_id = $1 AND lecture_id = $2 ORDER BY id LIMIT 1",
            t, lecture_id)
        if session_id is None:
            session_id = await conn.fetchval(
                """INSERT INTO sessions (tenant_id, lecture_id, title, "order")
                   VALUES ($1, $2, 'Week 1', 1) RETURNING id""", t, lecture_id)
        student_id = await conn.fetchval(
            """INSERT INTO students (tenant_id, user_id, name) VALUES ($1, $2, 'Demo Student')
               ON CONFLICT (tenant_id, user_id) DO UPDATE SET name = students.name
               RETURNING id""", t, DEMO_STUDENT_SUB)
        enrollment_id = await conn.fetchval(
            """INSERT INTO enrollments (tenant_id, student_id, lecture_id, status)
               VALUES ($1, $2, $3, 'ACTIVE')
               ON CONFLICT (student_id, lecture_id) DO UPDATE SET status = enrollments.status
               RETURNING id""", t, student_id, lecture_id)
        await conn.execute(
            """INSERT INTO session_enrollments (tenant_id, session_id, enrollment_id)
               VALUES ($1, $2, $3) ON CONFLICT DO NOTHING""", t, session_id, enrollment_id)
        video_id = await conn.fetchval(
            "SELECT id FROM videos WHERE tenant_id = $1 AND session_id = $2 ORDER BY id LIMIT 1",
            t, session_id)
        if video_id is None:
            # A link video is READY at once, so the demo student can play without an upload.
            video_id = await conn.fetchval(
                """INSERT INTO videos (tenant_id, session_id, title, status, youtube_id,
                       processing_progress) VALUES ($1, $2, 'Welcome', 'READY', 'dQw4w9WgXcQ', 100)
                   RETURNING id""", t, session_id)
    return DemoTenant(tenant.id, lecture_id, session_id, student_id, enrollment_id, video_id)

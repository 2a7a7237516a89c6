"""``/api/v1/catalog/``: lectures, sessions, students, enrollments, attendance (managers only)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from gateway.api import Api
from gateway.crud import register_crud
from gateway.fields import Name as Title
from gateway.fields import OptionalName as Text
from storage import catalog

Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
Order = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


class LectureIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A lecture to create."""

    title: Title


class SessionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A class meeting to create."""

    lecture: Id
    title: Title
    order: Order = 1


class StudentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A student profile to create; ``user_id`` is the ``sub`` of the student's tokens."""

    user_id: Title
    name: Title
    phone: Text = ""
    parent_phone: Text = ""
    school: Text = ""
    grade: Annotated[int, msgspec.Meta(ge=0, le=100)] | None = None


class EnrollmentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A student enrolled in a lecture."""

    student: Id
    lecture: Id
    status: Literal["ACTIVE", "INACTIVE"] = "ACTIVE"


class SessionEnrollmentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An enrollment linked to a class meeting."""

    session: Id
    enrollment: Id


class AttendanceIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Attendance of an enrollment at a class meeting."""

    session: Id
    enrollment: Id
    status: Literal["PRESENT", "LATE", "ABSENT", "EXCUSED"]


def register(api: Api) -> None:
    """Register the catalog resources."""
    base = "/api/v1/catalog/"
    register_crud(api, base + "lectures/", catalog.LECTURES, LectureIn, filters={},
                  tag="lectures")
    register_crud(api, base + "sessions/", catalog.SESSIONS, SessionIn,
                  filters={"lecture": int}, tag="sessions")
    register_crud(api, base + "students/", catalog.STUDENTS, StudentIn,
                  filters={"user_id": str}, tag="students")
    register_crud(api, base + "enrollments/", catalog.ENROLLMENTS, EnrollmentIn,
                  filters={"student": int, "lecture": int, "status": str}, tag="enrollments")
    register_crud(api, base + "session-enrollments/", catalog.SESSION_ENROLLMENTS,
                  SessionEnrollmentIn, filters={"session": int, "enrollment": int},
                  tag="session-enrollments")
    register_crud(api, base + "attendance/", catalog.ATTENDANCE, AttendanceIn,
                  filters={"session": int, "enrollment": int, "status": str}, tag="attendance")

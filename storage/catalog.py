"""The academy catalog: lectures, class sessions, students, enrollments, attendance."""

from __future__ import annotations

from dataclasses import dataclass

from storage.tables import Column, TableSpec


@dataclass(frozen=True, slots=True)
class Lecture:
    """A course."""

    id: int
    title: str


@dataclass(frozen=True, slots=True)
class ClassSession:
    """One class meeting of a lecture (the seed's ``lectures.Session``)."""

    id: int
    lecture: int
    title: str
    order: int


@dataclass(frozen=True, slots=True)
class Student:
    """A student profile, linked to the ``sub`` of that student's tokens by ``user_id``."""

    id: int
    user_id: str
    name: str
    phone: str
    parent_phone: str
    school: str
    grade: int | None


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A student in a lecture."""

    id: int
    student: int
    lecture: int
    status: str


@dataclass(frozen=True, slots=True)
class SessionEnrollment:
    """Which class meetings an enrollment takes part in (and so which videos it may watch)."""

    id: int
    session: int
    enrollment: int


@dataclass(frozen=True, slots=True)
class Attendance:
    """Attendance of an enrollment at a class meeting."""

    id: int
    session: int
    enrollment: int
    status: str


LECTURES = TableSpec("lectures", Lecture, (Column("title"),))
SESSIONS = TableSpec(
    "sessions", ClassSession,
    (Column("lecture", "lecture_id", ref="lectures"), Column("title"), Column("order")),
    order_by='"order", id')
STUDENTS = TableSpec(
    "students", Student,
    tuple(Column(n) for n in ("user_id", "name", "phone", "parent_phone", "school", "grade")),
    unique={"students_tenant_id_user_id_key":
            ("user_id", "A student with this user_id already exists.")})
ENROLLMENTS = TableSpec(
    "enrollments", Enrollment,
    (Column("student", "student_id", ref="students"),
     Column("lecture", "lecture_id", ref="lectures"), Column("status")),
    unique={"enrollments_student_id_lecture_id_key":
            ("non_field_errors", "This student is already enrolled in this lecture.")})
SESSION_ENROLLMENTS = TableSpec(
    "session_enrollments", SessionEnrollment,
    (Column("session", "session_id", ref="sessions"),
     Column("enrollment", "enrollment_id", ref="enrollments")),
    unique={"session_enrollments_session_id_enrollment_id_key":
            ("non_field_errors", "This enrollment is already linked to this session.")})
ATTENDANCE = TableSpec(
    "attendance", Attendance,
    (Column("session", "session_id", ref="sessions"),
     Column("enrollment", "enrollment_id", ref="enrollments"), Column("status")),
    unique={"attendance_session_id_enrollment_id_key":
            ("non_field_errors", "Attendance for this enrollment and session already exists.")})

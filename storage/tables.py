"""Tenant-scoped tables: one generic repository for the catalog-like resources.

A :class:`TableSpec` maps API field names to columns; :class:`TenantTable` runs every query
with ``tenant_id = $1`` first, so another tenant's rows are invisible (404, never data), and
turns constraint violations into :class:`ConstraintError` naming the field to fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Generic, TypeVar

import asyncpg

from storage.exceptions import ConstraintError, NotFoundError

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Column:
    """An API field stored in a column; ``ref`` names the tenant-scoped table it points to."""

    api: str
    sql: str = ""
    ref: str = ""

    @property
    def column(self) -> str:
        """The column name (defaults to the API name)."""
        return self.sql or self.api


@dataclass(frozen=True, slots=True)
class TableSpec(Generic[R]):
    """How a resource is stored. ``row`` is the dataclass returned, named by API fields."""

    table: str
    row: type[R]
    columns: tuple[Column, ...]
    order_by: str = "id"
    # constraint name -> (field, message), for violations a client can fix
    unique: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def column(self, api: str) -> Column:
        """The column of an API field."""
        for c in self.columns:
            if c.api == api:
                return c
        raise KeyError(api)

    def select_list(self) -> str:
        """``id, lecture_id AS lecture, ...`` in the row dataclass's field order."""
        by_api = {c.api: c for c in self.columns}
        out = []
        for f in fields(self.row):  # type: ignore[arg-type]
            col = by_api.get(f.name)
            name = col.column if col else f.name
            out.append(f'"{name}" AS "{f.name}"' if name != f.name else f'"{name}"')
        return ", ".join(out)


def _violation(spec: TableSpec[Any], exc: asyncpg.IntegrityConstraintViolationError,
               values: Mapping[str, Any]) -> ConstraintError:
    name = getattr(exc, "constraint_name", "") or ""
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        for c in spec.columns:
            if c.ref and c.column in name:
                return ConstraintError(
                    c.api, f'Invalid pk "{values.get(c.api)}" - object does not exist.')
    if name in spec.unique:
        return ConstraintError(*spec.unique[name])
    if isinstance(exc, asyncpg.UniqueViolationError):
        return ConstraintError("non_field_errors", "An object with these values already exists.")
    return ConstraintError("non_field_errors", f"Constraint {name or 'check'} failed.")


class TenantTable(Generic[R]):
    """CRUD on one table, always within one tenant."""

    def __init__(self, pool: asyncpg.Pool, spec: TableSpec[R]) -> None:
        self._pool = pool
        self.spec = spec
        self._select = f"SELECT {spec.select_list()} FROM {spec.table}"

    def _row(self, record: asyncpg.Record) -> R:
        return self.spec.row(**dict(record.items()))

    def _where(self, tenant_id: int, filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
        args: list[Any] = [tenant_id]
        clauses = ["tenant_id = $1"]
        for api, value in filters.items():
            args.append(value)
            clauses.append(f'"{self.spec.column(api).column}" = ${len(args)}')
        return " AND ".join(clauses), args

    async def list(self, tenant_id: int, filters: Mapping[str, Any], *, limit: int,
                   offset: int) -> tuple[int, list[R]]:
        """(total count, one page) of the tenant's rows matching ``filters`` (API names)."""
        where, args = self._where(tenant_id, filters)
        async with self._pool.acquire() as conn:
            count = await conn.fetchval(f"SELECT count(*) FROM {self.spec.table} WHERE {where}",
                                        *args)
            records = await conn.fetch(
                f"{self._select} WHERE {where} ORDER BY {self.spec.order_by} "
                f"LIMIT {int(limit)} OFFSET {int(offset)}", *args)
        return count, [self._row(r) for r in records]

    async def get(self, tenant_id: int, row_id: int) -> R:
        """One row; :class:`NotFoundError` if absent or another tenant's."""
        record = await self._pool.fetchrow(
            f"{self._select} WHERE tenant_id = $1 AND id = $2", tenant_id, row_id)
        if record is None:
            raise NotFoundError(f"{self.spec.table} {row_id} not found")
        return self._row(record)

    async def create_many(self, tenant_id: int, items: Sequence[Mapping[str, Any]],
                          conn: asyncpg.Connection | None = None) -> list[R]:
        """Insert rows (API names -> values) in one transaction: all or none."""
        if conn is None:
            async with self._pool.acquire() as own, own.transaction():
                return await self.create_many(tenant_id, items, own)
        out = []
        for index, item in enumerate(items):
            cols = ["tenant_id", *(self.spec.column(k).column for k in item)]
            marks = ", ".join(f"${i + 1}" for i in range(len(cols)))
            quoted = ", ".join(f'"{c}"' for c in cols)
            try:
                record = await conn.fetchrow(
                    f"INSERT INTO {self.spec.table} ({quoted}) VALUES ({marks}) "
                    f"RETURNING {self.spec.select_list()}", tenant_id, *item.values())
            except asyncpg.IntegrityConstraintViolationError as exc:
                err = _violation(self.spec, exc, item)
                if len(items) > 1:
                    err = ConstraintError(f"{index}.{err.field}", err.message)
                raise err from exc
            out.append(self._row(record))
        return out

    async def update(self, tenant_id: int, row_id: int, values: Mapping[str, Any]) -> R:
        """Set some fields of one row; :class:`NotFoundError` if it is not the tenant's."""
        if not values:
            return await self.get(tenant_id, row_id)
        sets = ", ".join(f'"{self.spec.column(k).column}" = ${i + 3}'
                         for i, k in enumerate(values))
        try:
            record = await self._pool.fetchrow(
                f"UPDATE {self.spec.table} SET {sets} WHERE tenant_id = $1 AND id = $2 "
                f"RETURNING {self.spec.select_list()}", tenant_id, row_id, *values.values())
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise _violation(self.spec, exc, values) from exc
        if record is None:
            raise NotFoundError(f"{self.spec.table} {row_id} not found")
        return self._row(record)

    async def delete(self, tenant_id: int, row_id: int) -> None:
        """Delete one row (cascading to its dependants)."""
        status = await self._pool.execute(
            f"DELETE FROM {self.spec.table} WHERE tenant_id = $1 AND id = $2", tenant_id, row_id)
        if status.endswith(" 0"):
            raise NotFoundError(f"{self.spec.table} {row_id} not found")

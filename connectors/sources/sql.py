"""SQL source: any database SQLAlchemy reaches, a table or a read-only query, streamed.

The location is a SQLAlchemy URL (``postgresql+psycopg://user@host/db``; the password is best
left out of the profile and given in ``password_env``). Rows come through a server-side cursor
(``stream_results``) in ``batch_rows`` at a time, so a table larger than memory streams. Values
become strings the contract then parses (dates and timestamps as ISO 8601), like a CSV export
of the same table. A refused connection is an error naming the host, never the password.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from connectors.errors import SourceError
from connectors.sources.base import SourceOptions, int_option, no_other_options, str_option

KIND = "sql"
DEFAULT_BATCH_ROWS = 50_000


class SqlSource:
    kind = KIND

    def __init__(
        self,
        url: str,
        *,
        table: str | None = None,
        query: str | None = None,
        password_env: str | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
    ) -> None:
        if (table is None) == (query is None):
            raise SourceError("a sql source needs exactly one of the options table or query")
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise SourceError("the sql source location is not a SQLAlchemy URL") from None
        if password_env is not None:
            password = os.environ.get(password_env)
            if not password:
                raise SourceError(f"environment variable ${password_env} is not set")
            parsed = parsed.set(password=password)
        self._where = parsed.render_as_string(hide_password=True)
        self._batch_rows = batch_rows
        try:
            # No pool: a source connects twice (schema, then rows) and must leave nothing open.
            self._engine: Engine = sa.create_engine(parsed, poolclass=NullPool)
        except (NoSuchModuleError, SQLAlchemyError, ImportError) as exc:
            raise SourceError(f"{self._where}: cannot use this database ({exc})") from None
        self._statement = (
            sa.select(sa.text("*")).select_from(_table(table)) if table else sa.text(str(query))
        )
        with self._rows() as (names, _):
            self._schema = pa.schema([(n, pa.string()) for n in names])

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        with self._rows() as (_, result):
            while True:
                rows = result.fetchmany(self._batch_rows)
                if not rows:
                    break
                columns = [
                    pa.array([_text(r[i]) for r in rows], pa.string())
                    for i in range(len(self._schema))
                ]
                yield pa.RecordBatch.from_arrays(columns, schema=self._schema)
        self._engine.dispose()

    def _rows(self) -> _Rows:
        return _Rows(self)


class _Rows:
    """A connection, a streamed result and its column names; errors name the database."""

    def __init__(self, source: SqlSource) -> None:
        self._source = source
        self._conn: sa.Connection | None = None
        self._result: sa.CursorResult[Any] | None = None

    def __enter__(self) -> tuple[list[str], sa.CursorResult[Any]]:
        src = self._source
        try:
            self._conn = src._engine.connect().execution_options(
                stream_results=True, yield_per=src._batch_rows
            )
            result = self._result = self._conn.execute(src._statement)
        except SQLAlchemyError as exc:
            self.__exit__()
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            raise SourceError(f"{src._where}: {reason}") from None
        return list(result.keys()), result

    def __exit__(self, *exc: object) -> None:
        if self._result is not None:
            self._result.close()
            self._result = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _table(name: str | None) -> sa.TableClause:
    schema, _, table = str(name).rpartition(".")
    return sa.table(table, schema=schema or None)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, bytes | memoryview):
        raise SourceError("binary columns cannot be sent; leave them out of the query")
    return str(value)


def open_sql(location: str, options: SourceOptions) -> SqlSource:
    no_other_options(KIND, options, {"table", "query", "password_env", "batch_rows"})
    return SqlSource(
        location,
        table=str_option(options, "table"),
        query=str_option(options, "query"),
        password_env=str_option(options, "password_env"),
        batch_rows=int_option(options, "batch_rows", DEFAULT_BATCH_ROWS),
    )

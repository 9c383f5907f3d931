"""The recorders Records writes through, on SQLite and PostgreSQL.

Both keep every command id unique in the store itself (domain.ports.CommandLog,
ops.command_ids): the id rows are inserted in the transaction that inserts the events, so
a command id stored before fails the whole insert, whoever wrote it first.

Notification ids are never reused. PostgreSQL draws them from a sequence. On SQLite the
events table's rowid is declared INTEGER PRIMARY KEY AUTOINCREMENT (the library's table reuses
the highest rowid once its row is deleted, so a deleted last event would leave no gap); a store
created with the library's table is rebuilt with it once, at start-up, keeping every
notification id.

Both also keep, beside each event, the trace context of the `store` span that inserted it
(ops.trace_contexts), in the same transaction and only when a span is active; the relay
continues the command's trace from it.

The SQLite recorder also gates its commit: Records maps and verifies a batch on two cores at
once, and this recorder runs Records' `before_commit` check after its inserts and before
COMMIT, so the inserts overlap the last verifications. A failing check raises inside the
transaction, which rolls it back: nothing of the batch is ever committed. (The PostgreSQL
recorder catches exceptions inside its transaction block and would commit, so it is not
gated: Records judges first there.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.persistence import Notification, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from opentelemetry import trace
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from ops import command_ids, trace_contexts


class GatedSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLiteApplicationRecorder that keeps command ids unique, never reuses a notification
    id, and whose insert_events takes `before_commit` (domain.ports.GatedRecorder)."""

    gates_commit: ClassVar[bool] = True
    keeps_command_ids: ClassVar[bool] = True

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        self.command_ids_table_name = command_ids.table_name(events_table_name)
        self.trace_contexts_table_name = trace_contexts.table_name(events_table_name)
        super().__init__(datastore, events_table_name)
        self.insert_events_statement = (
            f"INSERT INTO {events_table_name} "
            "(originator_id, originator_version, topic, state) VALUES (?,?,?,?)"
        )
        self.insert_command_ids_statement = (
            f"INSERT INTO {self.command_ids_table_name} (command_id, notification_id) VALUES (?,?)"
        )
        self.insert_trace_contexts_statement = (
            f"INSERT INTO {self.trace_contexts_table_name} (notification_id, traceparent) "
            "VALUES (?,?)"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            # The rowid column is named rowid, so every query reading the rowid (the
            # library's, domain.log_reader, services.ledger.verify) reads this column unchanged.
            f"CREATE TABLE IF NOT EXISTS {self.events_table_name} ("
            "originator_id TEXT, "
            "originator_version INTEGER, "
            "topic TEXT, "
            "state BLOB, "
            "rowid INTEGER PRIMARY KEY AUTOINCREMENT, "
            "UNIQUE (originator_id, originator_version))",
            f"CREATE TABLE IF NOT EXISTS {self.command_ids_table_name} ("
            "notification_id INTEGER PRIMARY KEY, "
            "command_id TEXT NOT NULL UNIQUE)",
            f"CREATE TABLE IF NOT EXISTS {self.trace_contexts_table_name} ("
            "notification_id INTEGER PRIMARY KEY, "
            "traceparent TEXT NOT NULL)",
        ]

    def create_table(self) -> None:
        self._rebuild_reusing_table()
        super().create_table()
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT MAX(notification_id) FROM {self.command_ids_table_name}")
            after = c.fetchone()[0] or 0
        command_ids.backfill(self, after, self._backfill)

    def _rebuild_reusing_table(self) -> None:
        """Give a store created with the library's events table (rowids reused after a
        delete) the AUTOINCREMENT table, with the same rows and notification ids."""
        find = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?"
        with self.datastore.transaction(commit=False) as c:
            c.execute(find, (self.events_table_name,))
            row = c.fetchone()
        if row is None or "AUTOINCREMENT" in row[0].upper():
            return
        old = f"{self.events_table_name}_reusing_rowids"
        with self.datastore.get_connection(commit=True) as conn:
            c = conn.cursor()
            c.execute("BEGIN IMMEDIATE")  # a concurrent start-up waits, then finds it done
            try:
                c.execute(find, (self.events_table_name,))
                if "AUTOINCREMENT" not in c.fetchone()[0].upper():
                    c.execute(f"ALTER TABLE {self.events_table_name} RENAME TO {old}")
                    c.execute(self.create_table_statements[0])
                    c.execute(
                        f"INSERT INTO {self.events_table_name} "
                        "(rowid, originator_id, originator_version, topic, state) "
                        f"SELECT rowid, originator_id, originator_version, topic, state "
                        f"FROM {old} ORDER BY rowid"
                    )
                    c.execute(f"DROP TABLE {old}")
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    def _backfill(self, rows: list[tuple[UUID, int]]) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                self.insert_command_ids_statement.replace("INSERT", "INSERT OR IGNORE", 1),
                [(str(cid), n) for cid, n in rows],
            )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert, inside a `store` span (ops.trace_contexts)."""
        if not trace_contexts.tracing():
            return super().insert_events(stored_events, **kwargs)
        span = trace_contexts.store_span("sqlite", self.events_table_name, len(stored_events))
        with trace.use_span(span, end_on_exit=True, record_exception=False):
            return super().insert_events(stored_events, **kwargs)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        assert notification_ids is not None
        rows = command_ids.rows(stored_events, notification_ids, kwargs.get("command_ids"))
        self._insert_command_ids(c, rows)
        traced = trace_contexts.rows(notification_ids)
        if traced:
            c.executemany(self.insert_trace_contexts_statement, traced)
        before_commit: Callable[[], None] | None = kwargs.get("before_commit")
        if before_commit is not None:
            before_commit()  # raises to roll the transaction back
        return notification_ids

    def _insert_command_ids(self, c: SQLiteCursor, rows: list[tuple[UUID, int]]) -> None:
        c.executemany(self.insert_command_ids_statement, [(str(cid), n) for cid, n in rows])

    def trace_contexts(self, first: int, last: int) -> dict[int, str]:
        """notification id → stored traceparent, for the ids from `first` to `last`."""
        query = (
            f"SELECT notification_id, traceparent FROM {self.trace_contexts_table_name} "
            "WHERE notification_id BETWEEN ? AND ?"
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(query, (first, last))
            return {int(n): str(t) for n, t in c.fetchall()}

    def recorded_commands(self, ids: Sequence[UUID]) -> Mapping[UUID, Notification | None]:
        found: dict[UUID, Notification | None] = {}
        for chunk in command_ids.chunks(ids):
            query = (
                "SELECT c.command_id, c.notification_id, e.originator_id, "
                "e.originator_version, e.topic, e.state "
                f"FROM {self.command_ids_table_name} c "
                f"LEFT JOIN {self.events_table_name} e ON e.rowid = c.notification_id "
                f"WHERE c.command_id IN ({','.join('?' * len(chunk))})"
            )
            with self.datastore.transaction(commit=False) as c:
                c.execute(query, [str(i) for i in chunk])
                for row in c.fetchall():
                    found[UUID(row[0])] = (
                        None
                        if row[2] is None
                        else Notification(
                            id=row[1],
                            originator_id=self.convert_originator_id(row[2]),
                            originator_version=row[3],
                            topic=row[4],
                            state=row[5],
                        )
                    )
        return found


class PostgresRecordsRecorder(PostgresApplicationRecorder):
    """PostgresApplicationRecorder that keeps command ids unique (in the transaction that
    holds the events table's lock, so writers are serialised)."""

    keeps_command_ids: ClassVar[bool] = True

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            # That path inserts through a database function that writes no command ids.
            raise ProgrammingError(f"{type(self).__name__} needs POSTGRES_ENABLE_DB_FUNCTIONS off")
        self.command_ids_table = SQL("{0}.{1}").format(
            Identifier(datastore.schema),
            Identifier(command_ids.table_name(events_table_name)),
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                "command_id uuid PRIMARY KEY, "
                "notification_id bigint NOT NULL UNIQUE)"
            ).format(self.command_ids_table)
        )
        self.insert_command_ids_statement = SQL(
            "INSERT INTO {0} (command_id, notification_id) "
            "SELECT * FROM unnest(%s::uuid[], %s::bigint[])"
        ).format(self.command_ids_table)
        self.insert_command_id_statement = SQL(
            "INSERT INTO {0} (command_id, notification_id) VALUES (%s, %s)"
        ).format(self.command_ids_table)
        self.trace_contexts_table = SQL("{0}.{1}").format(
            Identifier(datastore.schema),
            Identifier(trace_contexts.table_name(events_table_name)),
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                "notification_id bigint PRIMARY KEY, "
                "traceparent text NOT NULL)"
            ).format(self.trace_contexts_table)
        )
        self.insert_trace_contexts_statement = SQL(
            "INSERT INTO {0} (notification_id, traceparent) "
            "SELECT * FROM unnest(%s::bigint[], %s::text[])"
        ).format(self.trace_contexts_table)

    def create_table(self) -> None:
        super().create_table()
        table = self.command_ids_table
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT MAX(notification_id) AS m FROM {0}").format(table))
            row = curs.fetchone()
        command_ids.backfill(self, (row or {}).get("m") or 0, self._backfill)

    def _backfill(self, rows: list[tuple[UUID, int]]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self.insert_command_ids_statement + SQL(" ON CONFLICT DO NOTHING"),
                ([c for c, _ in rows], [n for _, n in rows]),
            )

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert notification_ids is not None
        rows = command_ids.rows(stored_events, notification_ids, kwargs.get("command_ids"))
        self._insert_command_ids(curs, rows)
        traced = trace_contexts.rows(notification_ids)
        if traced:  # pipelined like the command ids: it fails (and rolls back) with the COMMIT
            ids = ([n for n, _ in traced], [t for _, t in traced])
            curs.execute(self.insert_trace_contexts_statement, ids, prepare=True)
        return notification_ids

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert, inside a `store` span (ops.trace_contexts)."""
        if not trace_contexts.tracing():
            return cast("Sequence[int] | None", super().insert_events(stored_events, **kwargs))
        span = trace_contexts.store_span("postgresql", self.events_table_name, len(stored_events))
        with trace.use_span(span, end_on_exit=True, record_exception=False):
            return cast("Sequence[int] | None", super().insert_events(stored_events, **kwargs))

    def trace_contexts(self, first: int, last: int) -> dict[int, str]:
        """notification id → stored traceparent, for the ids from `first` to `last`."""
        query = SQL(
            "SELECT notification_id, traceparent FROM {0} WHERE notification_id BETWEEN %s AND %s"
        ).format(self.trace_contexts_table)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, (first, last))
            return {int(r["notification_id"]): str(r["traceparent"]) for r in curs.fetchall()}

    def _insert_command_ids(self, curs: Cursor[DictRow], rows: list[tuple[UUID, int]]) -> None:
        # Pipelined without a sync of its own (a round trip saved): a repeated command id
        # fails the COMMIT that ends the library's transaction block, which rolls everything
        # back and raises the UniqueViolation, mapped to IntegrityError like the events' own.
        if len(rows) == 1:  # one command a transaction: the cheapest statement, prepared
            curs.execute(self.insert_command_id_statement, rows[0], prepare=True)
        else:
            ids = ([c for c, _ in rows], [n for _, n in rows])
            curs.execute(self.insert_command_ids_statement, ids, prepare=True)

    def recorded_commands(self, ids: Sequence[UUID]) -> Mapping[UUID, Notification | None]:
        query = SQL(
            "SELECT c.command_id, c.notification_id, e.originator_id, e.originator_version, "
            "e.topic, e.state FROM {0} c LEFT JOIN {1}.{2} e "
            "ON e.notification_id = c.notification_id WHERE c.command_id = ANY(%s)"
        ).format(
            self.command_ids_table,
            Identifier(self.datastore.schema),
            Identifier(self.events_table_name),
        )
        found: dict[UUID, Notification | None] = {}
        for chunk in command_ids.chunks(ids):
            with self.datastore.transaction(commit=False) as curs:
                curs.execute(query, (list(chunk),))
                for row in curs.fetchall():
                    found[row["command_id"]] = (
                        None
                        if row["originator_id"] is None
                        else Notification(
                            id=row["notification_id"],
                            originator_id=row["originator_id"],
                            originator_version=row["originator_version"],
                            topic=row["topic"],
                            state=bytes(row["state"]),
                        )
                    )
        return found

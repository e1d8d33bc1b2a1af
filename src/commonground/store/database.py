"""One environment's database: its engine, schema, tables and transactions.

Every write goes through `write()`, which serialises writers of the environment (BEGIN
IMMEDIATE on SQLite, a row lock on PostgreSQL) for the whole transaction. Checks made inside a
write transaction (existence, uniqueness, versions) therefore cannot race with another writer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, MetaData, Table, bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from commonground.errors import NotFoundError, StoreError, StoreUnavailableError
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.store.dialects.base import StoreDialect
from commonground.store.prepared import Prepared, prepare
from commonground.store.tables import entity_table, system_tables

CHANGE_SEQUENCE = "change"
# OperationalErrors whose message says the database was busy or out of reach: worth a retry.
TRANSIENT_WORDS = ("locked", "busy", "connect", "connection", "timeout", "terminating")


def record_sequence(entity: str) -> str:
    """The sequence that numbers an entity's RecordIds."""
    return f"record:{entity}"


def autonumber_sequence(entity: str, field: str) -> str:
    """The sequence behind an AutoNumber field."""
    return f"autonumber:{entity}.{field}"


class Database:
    """The tables of one environment and the transactions that use them."""

    def __init__(self, engine: Engine, schema: str | None, dialect: StoreDialect) -> None:
        self.engine = engine
        self.schema = schema
        self.dialect = dialect
        self.metadata = MetaData(schema=schema)
        self.system = system_tables(self.metadata)
        self._tables: dict[str, Table] = {}
        self._unbound: dict[str, Entity] = {}
        self._binding = threading.Lock()
        self._writers = threading.Lock()
        self._sequences: tuple[Prepared, Prepared] | None = None

    def bind_model(self, model: DataModel) -> None:
        """Know every entity of the model; each table object is built on first use.

        Building the SQLAlchemy tables of a whole model costs about 60 ms, most of opening
        an environment; a run or a request usually touches two or three of them.
        """
        with self._binding:
            for entity in model.entities:
                if entity.name.lower() not in self._tables:
                    self._unbound[entity.name.lower()] = entity

    def bind_entity(self, entity: Entity) -> Table:
        """(Re)build the table object of one entity after its definition changed."""
        with self._binding:
            self._unbound.pop(entity.name.lower(), None)
            return self._bind(entity)

    def _bind(self, entity: Entity) -> Table:
        existing = self.metadata.tables.get(self._qualified(entity.name))
        if existing is not None:
            self.metadata.remove(existing)
        table = entity_table(entity, self.metadata, self.dialect)
        self._tables[entity.name.lower()] = table
        return table

    def unbind_entity(self, name: str) -> None:
        """Forget the table object of a dropped entity."""
        with self._binding:
            self._unbound.pop(name.lower(), None)
            table = self._tables.pop(name.lower(), None)
            if table is not None:
                self.metadata.remove(table)

    def table(self, entity: str) -> Table:
        """The table of an entity."""
        found = self._tables.get(entity.lower())
        if found is not None:
            return found
        with self._binding:
            found = self._tables.get(entity.lower())  # another thread may have built it
            if found is not None:
                return found
            pending = self._unbound.pop(entity.lower(), None)
            if pending is None:
                raise NotFoundError("Entity", entity)
            return self._bind(pending)

    def _qualified(self, name: str) -> str:
        return f"{self.schema}.{name}" if self.schema else name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: one consistent snapshot for all of its statements."""
        with translate_errors(), self.engine.connect() as raw:
            conn = raw
            if self.dialect.read_isolation is not None:
                conn = raw.execution_options(isolation_level=self.dialect.read_isolation)
            with conn.begin():
                yield conn

    @contextmanager
    def write(self, installing: bool = False) -> Iterator[Connection]:
        """A write transaction, serialised with every other writer of this environment.

        `installing` is for the transaction that creates the system tables: the row that
        serialises writers does not exist yet, and nobody else can see the environment.
        """
        # Writers of this process queue on a lock first: the database's own lock then sees
        # one writer per process, instead of threads polling SQLite's busy lock unfairly
        # (which gave PATCH a p99 of over a second at 32 connections).
        with self._writers, translate_errors(), self.engine.connect() as raw:
            conn = raw.execution_options(cg_write=True)
            with conn.begin():
                if not installing:
                    self.dialect.lock_writers(conn, self.system["sequences"])
                yield conn

    def allocate(self, conn: Connection, sequence: str, count: int) -> int:
        """Reserve `count` consecutive numbers of a sequence; returns the first of them."""
        advance, start = self._sequence_statements(conn)
        values = {"name": sequence, "count": count}
        found = advance.rows(conn, values)
        if found:
            last = int(found[0][0])
        else:
            conn.exec_driver_sql(start.sql, start.params(values))
            last = count
        return last - count + 1

    def _sequence_statements(self, conn: Connection) -> tuple[Prepared, Prepared]:
        """The prepared UPDATE ... RETURNING that advances a sequence, and the INSERT that
        starts one (every write allocates: compiling each time cost a third of a PATCH)."""
        if self._sequences is None:
            table = self.system["sequences"]
            advance = (
                update(table)
                .where(table.c.name == bindparam("name"))
                .values(value=table.c.value + bindparam("count"))
                .returning(table.c.value)
            )
            start = insert(table).values(name=bindparam("name"), value=bindparam("count"))
            self._sequences = (prepare(advance, conn.dialect), prepare(start, conn.dialect))
        return self._sequences

    def current(self, conn: Connection, sequence: str) -> int:
        """The last number handed out by a sequence (0 if none)."""
        table = self.system["sequences"]
        value = conn.execute(select(table.c.value).where(table.c.name == sequence)).scalar()
        return int(value or 0)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Driver errors become store errors at the store's boundary."""
    try:
        yield
    except OperationalError as exc:
        if any(word in str(exc.orig).lower() for word in TRANSIENT_WORDS):
            raise StoreUnavailableError(f"the database is unavailable: {exc.orig}") from exc
        raise StoreError(f"the database refused the operation: {exc.orig}") from exc
    except DBAPIError as exc:
        raise StoreError(f"the database refused the operation: {exc.orig}") from exc

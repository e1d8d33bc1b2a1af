"""SQLite: one database file per environment, WAL journal, one writer at a time.

Values whose Python type SQLite lacks are stored in forms that sort correctly as stored:
date-times as UTC ISO text, dates as ISO text, GUIDs as text and decimals as numbers. The
driver parameters written by the fast paths use exactly the forms these column types read.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Engine,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
)
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.types import TypeDecorator, TypeEngine

from commonground.errors import AlreadyExistsError, NotFoundError
from commonground.model.types import NUMBER_DIGITS, Storage
from commonground.store.dialects.base import ParamConverter
from commonground.store.dialects.checkpoints import BACKSTOP_PAGES, Checkpointer
from commonground.store.prepared import insert_columns

# The sqlite3 module binds int, float, str and bytes directly; any other value is first
# looked up as an adaptation, which for None and bool fails through two attribute lookups
# that raise and clear an exception. Registered adapters turn those into one dict hit: a
# bulk insert of wide, sparse rows binds about a quarter faster. Both adapters return what
# sqlite3 would have bound anyway (NULL; 0 or 1), so nothing else in the process changes.
sqlite3.register_adapter(bool, int)
sqlite3.register_adapter(type(None), lambda _: None)

# SQLite keeps decimals as 64-bit floats: exact to 15 significant digits. Values that need
# more are refused with a clear error instead of being silently rounded.
SQLITE_DECIMAL_DIGITS = 15
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class UtcDateTimeText(TypeDecorator[datetime]):
    """A UTC instant stored as sortable ISO text."""

    impl = String(26)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else datetime_param(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


class DateText(TypeDecorator[date]):
    """A calendar date stored as ISO text."""

    impl = String(10)
    cache_ok = True

    def process_bind_param(self, value: date | None, dialect: Dialect) -> str | None:
        return None if value is None else value.isoformat()

    def process_result_value(self, value: str | None, dialect: Dialect) -> date | None:
        return None if value is None else date.fromisoformat(value)


class GuidText(TypeDecorator[uuid.UUID]):
    """A GUID stored as its canonical text."""

    impl = String(36)
    cache_ok = True

    def process_bind_param(self, value: uuid.UUID | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> uuid.UUID | None:
        return None if value is None else uuid.UUID(value)


class DecimalNumber(TypeDecorator[Decimal]):
    """A decimal stored as a number and read back at the field's scale."""

    impl = Numeric(32, 6, asdecimal=False)
    cache_ok = True

    def __init__(self, scale: int = 6) -> None:
        super().__init__()
        self.quantum = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> float | None:
        return None if value is None else decimal_param(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        number = Decimal(repr(value) if isinstance(value, float) else value)
        try:  # the default 28 digits hold almost every value; a context per value is costly
            return number.quantize(self.quantum)
        except InvalidOperation:
            with localcontext() as context:
                context.prec = NUMBER_DIGITS + 8  # 26 integer digits and 6 places
                return number.quantize(self.quantum)


def datetime_param(value: datetime) -> str:
    """The stored text of an instant (UTC, microseconds)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    # isoformat, not strftime: glibc's %Y does not pad years before 1000 to four digits
    return value.isoformat(" ", "microseconds")


def decimal_param(value: Decimal) -> float | int:
    """The stored number of a decimal; refuses digits SQLite would lose."""
    digits = value.normalize().as_tuple().digits
    if len(digits) > SQLITE_DECIMAL_DIGITS:
        raise ValueError(
            f"{value} has more than {SQLITE_DECIMAL_DIGITS} significant digits, the most the "
            "SQLite store keeps exactly (PostgreSQL keeps 32)"
        )
    if value == value.to_integral_value() and INT64_MIN <= value <= INT64_MAX:
        return int(value)
    return float(value)  # exact: at most 15 significant digits (a larger int overflows SQLite)


class SQLiteDialect:
    """Store dialect for SQLite."""

    name = "sqlite"
    read_isolation: str | None = None  # in WAL mode a transaction reads one snapshot already
    driver_reads = True

    def column_type(self, storage: Storage, scale: int) -> TypeEngine[Any]:
        """Column types; see the module docstring for the stored forms."""
        types: dict[Storage, TypeEngine[Any]] = {
            Storage.STRING: Text(),
            Storage.DECIMAL: DecimalNumber(scale),
            Storage.INTEGER: Integer(),
            Storage.BIG_INTEGER: BigInteger(),
            Storage.BOOLEAN: Boolean(),
            Storage.DATE: DateText(),
            Storage.DATETIME: UtcDateTimeText(),
            Storage.GUID: GuidText(),
            Storage.PICKLIST: Integer(),
            Storage.LOOKUP: BigInteger(),
        }
        return types[storage]

    def param_converter(self, storage: Storage) -> ParamConverter | None:
        """Canonical value -> the stored form, for the fast write paths."""
        converters: dict[Storage, ParamConverter] = {
            Storage.DECIMAL: decimal_param,
            Storage.DATE: date.isoformat,
            Storage.DATETIME: datetime_param,
            Storage.GUID: str,
        }
        return converters.get(storage)

    def text_position(self, haystack: Any, needle: Any) -> Any:
        """1-based position of `needle` in `haystack` (0 when absent)."""
        return func.instr(haystack, needle)

    def lock_writers(self, conn: Connection, sequences: Table) -> None:
        """Nothing to do: write transactions start with BEGIN IMMEDIATE (see `_begin`)."""

    def insert_many(
        self, conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """executemany of one compiled INSERT: SQLite's fastest path from Python."""
        if rows:
            sql = insert_columns(table, tuple(columns), conn.dialect)
            conn.exec_driver_sql(sql, list(rows))


def _connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's begin hook takes over BEGIN
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        f"wal_autocheckpoint={BACKSTOP_PAGES}",  # a Checkpointer copies pages back sooner
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        "cache_size=-16384",  # 16 MB a connection: the OS caches the file too; pools hold several
        "temp_store=MEMORY",
        "case_sensitive_like=ON",  # contains/startswith/endswith as on PostgreSQL
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
    # SQLite's lower()/upper() fold ASCII letters only: tolower('Å') would stay 'Å'.
    dbapi_connection.create_function("lower", 1, _folded(str.lower), deterministic=True)
    dbapi_connection.create_function("upper", 1, _folded(str.upper), deterministic=True)


def _folded(fold: Callable[[str], str]) -> Callable[[Any], Any]:
    """A SQL case function over every Unicode letter; NULL stays NULL, as in SQLite's own."""

    def apply(value: Any) -> Any:
        if value is None:
            return None
        return fold(value if isinstance(value, str) else str(value))

    return apply


def _begin(conn: Connection) -> None:
    """BEGIN on the driver's connection itself: through SQLAlchemy's statement machinery it
    cost a third of an empty read transaction (about 10 µs of 33)."""
    statement = "BEGIN IMMEDIATE" if conn.get_execution_options().get("cg_write") else "BEGIN"
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        driver.execute(statement)
    except sqlite3.Error as exc:  # as SQLAlchemy would have wrapped it: the store translates
        raise OperationalError(statement, None, exc) from exc


def _after_writes(checkpointer: Checkpointer) -> Callable[[Connection], None]:
    """A commit listener that wakes the checkpointer when a write transaction commits."""

    def committing(conn: Connection) -> None:
        if conn.get_execution_options().get("cg_write", False):
            checkpointer.notify()

    return committing


ENV_NAME_FILE = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_]*)\.sqlite$")


class SQLiteLocator:
    """Environments as files `<home>/environments/<Name>.sqlite`."""

    def __init__(self, home: Path) -> None:
        self.folder = home / "environments"
        self.dialect = SQLiteDialect()
        self._engines: dict[str, Engine] = {}
        self._checkpointers: dict[str, Checkpointer] = {}

    def _path(self, name: str) -> Path | None:
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                match = ENV_NAME_FILE.match(path.name)
                if match and match["name"].lower() == name.lower():
                    return path
        return None

    def names(self) -> list[str]:
        """Environment names, from the file names."""
        if not self.folder.is_dir():
            return []
        found = (ENV_NAME_FILE.match(p.name) for p in self.folder.iterdir())
        return sorted((m["name"] for m in found if m), key=str.lower)

    def exists(self, name: str) -> bool:
        """Whether the environment's file exists."""
        return self._path(name) is not None

    def open(self, name: str) -> tuple[Engine, str | None]:
        """An engine on the environment's file."""
        path = self._path(name)
        if path is None:
            raise NotFoundError("Environment", name)
        return self._engine(path), None

    def create(self, name: str) -> tuple[Engine, str | None]:
        """A new, empty database file."""
        if self.exists(name):
            raise AlreadyExistsError("Environment", name)
        self.folder.mkdir(parents=True, exist_ok=True)
        return self._engine(self.folder / f"{name}.sqlite"), None

    def drop(self, name: str) -> None:
        """Delete the environment's file and its WAL companions."""
        path = self._path(name)
        if path is None:
            raise NotFoundError("Environment", name)
        checkpointer = self._checkpointers.pop(str(path), None)
        if checkpointer is not None:
            checkpointer.stop()
        engine = self._engines.pop(str(path), None)
        if engine is not None:
            engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def dispose(self) -> None:
        """Stop the background checkpoints and close every pooled connection."""
        for checkpointer in self._checkpointers.values():
            checkpointer.stop()
        self._checkpointers.clear()
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()

    def _engine(self, path: Path) -> Engine:
        key = str(path)
        if key not in self._engines:
            engine = create_engine(
                f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30}
            )
            event.listen(engine, "connect", _connect)
            event.listen(engine, "begin", _begin)
            checkpointer = Checkpointer(path)
            event.listen(engine, "commit", _after_writes(checkpointer))
            self._checkpointers[key] = checkpointer
            self._engines[key] = engine
        return self._engines[key]

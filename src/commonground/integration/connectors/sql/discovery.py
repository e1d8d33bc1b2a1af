"""Tables and views, reflected once, described in the contract's terms.

A `TableSpec` holds what every operation needs about one table: the reflected SQLAlchemy
`Table`, how each supported column converts values, which single-column foreign keys make a
column a lookup, and the `EntityInfo` discovery reports. Columns of types the contract has no
kind for (binary, JSON, arrays, intervals) are left out everywhere: never read, never written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKeyConstraint,
    MetaData,
    Table,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.sql.elements import ColumnElement

from commonground.integration.connectors.sql.settings import SqlSettings
from commonground.integration.connectors.sql.values import ColumnValues
from commonground.integration.contracts import (
    ConnectorError,
    EntityInfo,
    FieldInfo,
    SchemaError,
    ValueKind,
)
from commonground.store.dialects.sqlite import DecimalNumber

SQLITE_DEFAULT_SCALE = 6


@dataclass(frozen=True)
class Reference:
    """A single-column foreign key: the column holds `target.column` of a row of `target`."""

    target: Table
    column: str


@dataclass(frozen=True)
class TableSpec:
    """One table as the connector uses it."""

    table: Table
    info: EntityInfo
    columns: dict[str, ColumnValues]  # by lower-case name, in table order
    references: dict[str, Reference]  # by lower-case name of the referencing column

    def find(self, name: str) -> ColumnValues | None:
        """A supported column by name (case-insensitive), or None."""
        return self.columns.get(name.lower())

    def require(self, name: str) -> ColumnValues:
        """A supported column by name; SchemaError when the table lacks it."""
        found = self.find(name)
        if found is None:
            raise SchemaError(f"table '{self.table.name}' has no column '{name}'")
        return found

    def key(self) -> list[ColumnValues]:
        """The columns of the first key (primary key first); SchemaError when there is none."""
        if not self.info.keys:
            raise SchemaError(
                f"table '{self.table.name}' has no primary key or unique constraint; "
                "name its key columns in the connection's `keys` setting"
            )
        return [self.require(name) for name in self.info.keys[0]]

    @property
    def cursor(self) -> ColumnValues | None:
        """The column incremental reads follow, if one is configured."""
        return self.find(self.info.cursor) if self.info.cursor else None

    @property
    def organization(self) -> ColumnValues | None:
        """The column holding the organization, when the table has one."""
        field = self.info.organization_field
        return self.find(field) if field else None

    def scope(self, organization: str | None) -> list[ColumnElement[bool]]:
        """The condition keeping a statement within one organization (none when the table
        has no organization column or none is given)."""
        column = self.organization
        if organization is None or column is None:
            return []
        try:
            return [column.column == column.to_column(organization)]
        except ValueError as exc:
            raise ConnectorError(
                f"organization '{organization}' cannot be stored in "
                f"{self.table.name}.{column.name}: it {exc}"
            ) from None


class Catalog:
    """The reflected tables of one database schema, cached by lower-case name."""

    def __init__(self, settings: SqlSettings, dialect: str) -> None:
        self.settings = settings
        self.dialect = dialect
        self.metadata = MetaData()
        self.specs: dict[str, TableSpec] = {}

    def describe(self, conn: Connection, name: str) -> TableSpec:
        """One table or view (SchemaError when it does not exist)."""
        cached = self.specs.get(name.lower())
        if cached is not None:
            return cached
        actual = next((n for n in self._names(conn) if n.lower() == name.lower()), None)
        if actual is None:
            raise SchemaError(f"table '{name}' does not exist")
        self.metadata.reflect(conn, schema=self.settings.schema_name, only=[actual], views=True)
        return self._spec(self._table(actual))

    def everything(self, conn: Connection) -> list[TableSpec]:
        """Every table and view, by name."""
        names = sorted(self._names(conn))
        self.metadata.reflect(conn, schema=self.settings.schema_name, views=True)
        return [self.specs.get(n.lower()) or self._spec(self._table(n)) for n in names]

    def _names(self, conn: Connection) -> list[str]:
        inspector = inspect(conn)
        schema = self.settings.schema_name
        return [*inspector.get_table_names(schema), *inspector.get_view_names(schema)]

    def _table(self, name: str) -> Table:
        schema = self.settings.schema_name
        return self.metadata.tables[f"{schema}.{name}" if schema else name]

    def _spec(self, table: Table) -> TableSpec:
        columns: dict[str, ColumnValues] = {}
        for column in table.columns:
            values = ColumnValues.of(column, self.dialect)
            if values is not None:
                columns[column.name.lower()] = values
                self._exact_decimals(values)
        references = {
            fk.column_keys[0].lower(): Reference(fk.referred_table, fk.elements[0].column.name)
            for fk in table.constraints
            if isinstance(fk, ForeignKeyConstraint) and len(fk.elements) == 1
        }
        fields = tuple(
            _field(table, values, references.get(lower)) for lower, values in columns.items()
        )
        cursor = self.settings.cursor_of(table.name)
        info = EntityInfo(
            name=table.name,
            fields=fields,
            keys=self._keys(table, columns),
            cursor=_spelled(table, columns, cursor) if cursor else None,
            organization_field=self._organization(columns),
        )
        spec = TableSpec(table, info, columns, references)
        self.specs[table.name.lower()] = spec
        return spec

    def _exact_decimals(self, values: ColumnValues) -> None:
        """SQLite has no decimal type: read its numbers back as exact decimals, quietly."""
        if self.dialect == "sqlite" and values.kind is ValueKind.DECIMAL:
            values.column.type = DecimalNumber(
                values.scale if values.scale is not None else SQLITE_DEFAULT_SCALE
            )

    def _keys(self, table: Table, columns: dict[str, ColumnValues]) -> tuple[tuple[str, ...], ...]:
        candidates: list[list[Column[Any]]] = [list(table.primary_key.columns)]
        candidates += [
            list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)
        ]
        candidates += [list(i.columns) for i in table.indexes if i.unique]
        configured = self.settings.key_of(table.name) or []
        keys: list[tuple[str, ...]] = []
        for candidate in candidates:
            names = tuple(c.name for c in candidate)
            if names and all(n.lower() in columns for n in names) and names not in keys:
                keys.append(names)
        if configured:
            names = tuple(_spelled(table, columns, name) for name in configured)
            if names not in keys:
                keys.append(names)
        return tuple(keys)

    def _organization(self, columns: dict[str, ColumnValues]) -> str | None:
        field = self.settings.organization_field
        found = columns.get(field.lower()) if field else None
        return found.name if found else None


def _spelled(table: Table, columns: dict[str, ColumnValues], name: str) -> str:
    """A column named in the settings, spelled as the table spells it."""
    found = columns.get(name.lower())
    if found is None:
        raise SchemaError(f"table '{table.name}' has no column '{name}' (named in settings)")
    return found.name


def _field(table: Table, values: ColumnValues, reference: Reference | None) -> FieldInfo:
    column = values.column
    automatic = column is table.autoincrement_column
    return FieldInfo(
        name=column.name,
        kind=ValueKind.LOOKUP if reference else values.kind,
        max_length=values.length if values.kind is ValueKind.TEXT else None,
        required=not column.nullable and column.server_default is None and not automatic,
        read_only=automatic,
        targets=(reference.target.name,) if reference else (),
    )

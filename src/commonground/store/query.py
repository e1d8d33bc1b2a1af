"""Render query plans with SQLAlchemy Core.

Field paths are resolved against the model here: a compound part becomes its column, a path
through lookups becomes an outer join to the target table, `any`/`all` over a child collection
becomes an EXISTS subquery (with its own joins, so paths through lookups and further lambdas
work inside it). Literals are coerced to the field's canonical value first (a
picklist item name to its number, ISO text to a datetime), so comparisons mean what they say.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from itertools import count
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Table,
    and_,
    bindparam,
    cast,
    extract,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy import Date as SqlDate
from sqlalchemy import Integer as SqlInteger
from sqlalchemy.sql.elements import KeyedColumnElement

from commonground.errors import NotFoundError, TerminalError
from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID, Entity
from commonground.model.field import Field
from commonground.model.types import FieldType, Storage
from commonground.query.expressions import Binary, Call, Expr, In, Lambda, Literal, Path, Unary
from commonground.query.plan import Query
from commonground.store.database import Database
from commonground.store.prepared import DriverSelect

Coerce = Callable[[Field, Any], Any]
NUMBERED = (Storage.PICKLIST, Storage.LOOKUP)  # stored as the numbers they bind as


class QueryError(TerminalError, ValueError):
    """A query names something that does not exist or combines things that do not fit."""

    code = "InvalidQuery"


@dataclass
class Resolved:
    """A column reached by a path, with the field that describes its values."""

    column: KeyedColumnElement[Any]
    field: Field


@dataclass(frozen=True)
class Slot:
    """A template's parameter for a literal: the field it is compared with (None: none), and
    whether it holds the values of an `in` list."""

    hint: Field | None
    many: bool = False


@dataclass
class Scope:
    """The tables one SELECT reads: its table, the lookup targets outer-joined to it and,
    for the subquery of an `any`/`all`, the lambda variable its table stands for.

    A lambda's scope has its own joins and FROM clause (the subquery's) and a parent, the
    scope the lambda appears in; a path resolves in the scope that owns its first segment
    (the innermost lambda of that variable, else the root query), so a lookup is joined in
    the SELECT whose table it starts from, and every table alias of a statement is unique.
    """

    db: Database
    model: DataModel
    entity: Entity
    table: FromClause
    joins: dict[tuple[str, ...], tuple[FromClause, Entity]] = field(default_factory=dict)
    from_clause: FromClause | None = None
    coerce: Coerce | None = None
    parent: Scope | None = None
    variable: str | None = None
    aliases: Iterator[int] = field(default_factory=lambda: count(1))
    # Set while compiling a template: literals (and `in` lists) become parameters `_l<i>`,
    # noted here in the order `query_shape` lists their values.
    slots: list[Slot] | None = None

    def __post_init__(self) -> None:
        self.from_clause = self.table

    def owner(self, segments: tuple[str, ...]) -> tuple[Scope, tuple[str, ...]]:
        """The scope a path starts in, and the path without its lambda variable."""
        scope: Scope | None = self
        root = self
        while scope is not None:
            if segments and scope.variable is not None and segments[0] == scope.variable:
                return scope, segments[1:]
            root = scope
            scope = scope.parent
        return root, segments


def resolve_path(scope: Scope, segments: tuple[str, ...]) -> Resolved:
    """Resolve `Field`, `Compound/Part` or `Lookup/.../Field` (or `var/...` in a lambda)."""
    owner, rest = scope.owner(segments)
    table, entity = owner.table, owner.entity
    walked: tuple[str, ...] = ()
    while rest:
        name, rest = rest[0], rest[1:]
        found = entity.field_or_none(name)
        if found is None:
            raise QueryError(f"entity {entity.name} has no field '{name}'")
        if found.is_compound:
            return _resolve_part(table, found, rest)
        if found.type is FieldType.LOOKUP and rest:
            walked = (*walked, found.name)
            table, entity = _join_lookup(owner, walked, table, found)
            continue
        if rest:
            raise QueryError(
                f"'{found.name}' is not a lookup or compound field; cannot go to '{rest[0]}'"
            )
        return Resolved(table.c[found.name], found)
    raise QueryError("empty field path")


def _resolve_part(table: FromClause, compound: Field, rest: tuple[str, ...]) -> Resolved:
    if len(rest) != 1:
        parts = ", ".join(p.name for p in compound.parts)
        raise QueryError(f"{compound.type} field '{compound.name}' needs one part: {parts}")
    for part in compound.parts:
        if part.name.lower() == rest[0].lower():
            sub = compound.part_field(part)
            return Resolved(table.c[sub.name], sub)
    raise QueryError(f"{compound.type} field '{compound.name}' has no part '{rest[0]}'")


def _join_lookup(
    scope: Scope, walked: tuple[str, ...], table: FromClause, lookup: Field
) -> tuple[FromClause, Entity]:
    if walked not in scope.joins:
        assert lookup.target is not None
        target = scope.model.entity(lookup.target)
        alias = scope.db.table(target.name).alias(f"j{next(scope.aliases)}")
        assert scope.from_clause is not None
        scope.from_clause = scope.from_clause.outerjoin(
            alias, alias.c[RECORD_ID] == table.c[lookup.name]
        )
        scope.joins[walked] = (alias, target)
    return scope.joins[walked]


COMPARE: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}
ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / func.nullif(b, 0),  # division by zero yields null, not an error
    "mod": lambda a, b: a % func.nullif(b, 0),
}


def compile_expr(scope: Scope, expr: Expr, hint: Field | None = None) -> Any:
    """Turn an expression into a SQLAlchemy column expression."""
    if isinstance(expr, Path):
        return resolve_path(scope, expr.segments).column
    if isinstance(expr, Literal):
        return _literal(scope, expr.value, hint)
    if isinstance(expr, Binary):
        return _binary(scope, expr)
    if isinstance(expr, Unary):
        inner = compile_expr(scope, expr.operand, hint)
        return not_(inner) if expr.op == "not" else -inner
    if isinstance(expr, In):
        field_hint = _field_of(scope, expr.operand)
        operand = compile_expr(scope, expr.operand)
        if not expr.values:
            return false()
        literals = [v for v in expr.values if isinstance(v, Literal)]
        if field_hint is not None and len(literals) == len(expr.values):
            # Plain values become one expanding parameter typed by the column: the statement
            # compiles (and is cached) once whatever the list's length, instead of once per
            # list with a bound literal per value (resolving 5,000 keys compiled for 50 ms).
            coerced = [_coerced(scope.db, scope.coerce, v.value, field_hint) for v in literals]
            if scope.slots is None:
                return operand.in_(coerced)
            scope.slots.append(Slot(field_hint, many=True))
            name = f"_l{len(scope.slots) - 1}"
            return operand.in_(bindparam(name, coerced, expanding=True, type_=operand.type))
        return operand.in_([compile_expr(scope, v, field_hint) for v in expr.values])
    if isinstance(expr, Call):
        return _call(scope, expr)
    if isinstance(expr, Lambda):
        return _lambda(scope, expr)
    raise QueryError(f"unsupported expression {type(expr).__name__}")


def _field_of(scope: Scope, expr: Expr) -> Field | None:
    return resolve_path(scope, expr.segments).field if isinstance(expr, Path) else None


def _literal(scope: Scope, value: Any, hint: Field | None) -> Any:
    if value is None:
        return null()
    value = _literal_value(scope.db, scope.coerce, value, hint)
    type_ = None  # a literal compared with no field, a picklist or a lookup: its own type
    if hint is not None and scope.coerce is not None and hint.storage not in NUMBERED:
        type_ = scope.db.dialect.column_type(hint.storage, hint.scale)
    if scope.slots is None:
        return literal(value, type_=type_)
    scope.slots.append(Slot(hint))
    return bindparam(f"_l{len(scope.slots) - 1}", value, type_=type_)


def _literal_value(db: Database, coerce: Coerce | None, value: Any, hint: Field | None) -> Any:
    """A non-null literal as it is bound: as the field it is compared with stores it, or as
    itself (typed by its own value) when it is compared with no field."""
    if hint is not None and coerce is not None:
        return _coerced(db, coerce, value, hint)
    if isinstance(value, Decimal) and db.dialect.name == "sqlite":
        # An arithmetic operand: exact where the driver takes decimals, a float on SQLite.
        return float(value)
    return value


def _coerced(db: Database, coerce: Coerce | None, value: Any, hint: Field) -> Any:
    """A literal compared with a field, as the field stores it (QueryError when it cannot be)."""
    if value is None or coerce is None:
        return value
    try:
        value = coerce(hint, value)
    except ValueError as exc:
        raise QueryError(f"{hint.name}: {exc}") from None
    if hint.storage not in (Storage.PICKLIST, Storage.LOOKUP):
        convert = db.dialect.param_converter(hint.storage)
        if convert is not None:
            try:
                convert(value)  # refuse here what the column type would refuse at bind time
            except ValueError as exc:
                raise QueryError(f"{hint.name}: {exc}") from None
    return value


def _binary(scope: Scope, expr: Binary) -> Any:
    if expr.op in ("and", "or"):
        left, right = compile_expr(scope, expr.left), compile_expr(scope, expr.right)
        return and_(left, right) if expr.op == "and" else or_(left, right)
    # Literals take the type of the field they are compared with; an arithmetic operand keeps
    # its own (EmployeeCount mul 1.5 is a decimal product, not an integer).
    hint = _field_of(scope, expr.left) or _field_of(scope, expr.right)
    if expr.op not in COMPARE:
        hint = None
    left = compile_expr(scope, expr.left, hint)
    right = compile_expr(scope, expr.right, hint)
    if expr.op in COMPARE:
        return COMPARE[expr.op](left, right)
    if expr.op in ARITH:
        return ARITH[expr.op](left, right)
    raise QueryError(f"unknown operator '{expr.op}'")


def _like(kind: str, subject: Any, pattern: Expr, compiled: Any) -> Any:
    """contains/startswith/endswith: literal text is escaped; an expression is used as is."""
    method = getattr(subject, kind)
    if isinstance(pattern, Literal) and isinstance(pattern.value, str):
        return method(pattern.value, autoescape=True)
    return method(compiled)


def _call(scope: Scope, expr: Call) -> Any:
    name = expr.name.lower()
    args = [compile_expr(scope, a) for a in expr.args]
    if name in ("contains", "startswith", "endswith"):
        if len(args) != 2:
            raise QueryError(f"{name}() takes two arguments")
        return _like(name, args[0], expr.args[1], args[1])
    text_functions: dict[str, Callable[..., Any]] = {
        "tolower": func.lower,
        "toupper": func.upper,
        "length": func.length,
        "trim": func.trim,
        "concat": lambda a, b: a.concat(b),
        "indexof": lambda s, t: scope.db.dialect.text_position(s, t) - 1,
        # A typed 1: a bare 1 would be bound with the start's type, and a decimal column's
        # converter refuses a Python int.
        "substring": lambda s, start, *n: func.substr(
            s,
            cast(start + literal(1, SqlInteger), SqlInteger),
            *(cast(x, SqlInteger) for x in n),
        ),
    }
    if name in text_functions:
        return text_functions[name](*args)
    if name in ("year", "month", "day", "hour", "minute", "second"):
        return cast(extract(name, args[0]), SqlInteger)
    if name == "date":
        return cast(args[0], SqlDate) if scope.db.dialect.name != "sqlite" else func.date(args[0])
    if name == "now":
        return literal(datetime.now(UTC), type_=scope.db.dialect.column_type(Storage.DATETIME, 0))
    raise QueryError(f"unknown function '{expr.name}'")


def _lambda(scope: Scope, expr: Lambda) -> Any:
    """EXISTS over the collection's records (their own SELECT, with their own lookup
    joins), linked to the record the collection belongs to: the root record, a lambda
    variable's record, or a record reached from either through lookups."""
    owner, rest = scope.owner(expr.collection.segments)
    if not rest:
        raise QueryError("any/all needs a collection")
    table, entity = owner.table, owner.entity
    walked: tuple[str, ...] = ()
    for name in rest[:-1]:
        found = entity.field_or_none(name)
        if found is None or found.type is not FieldType.LOOKUP:
            raise QueryError(f"'{name}' of {entity.name} is not a lookup")
        walked = (*walked, found.name)
        table, entity = _join_lookup(owner, walked, table, found)
    relationship = child_relationship(scope.model, entity, rest[-1])
    child = scope.model.entity(relationship.child)
    child_table = scope.db.table(child.name).alias(f"l{next(scope.aliases)}")
    inner = Scope(
        scope.db,
        scope.model,
        child,
        child_table,
        coerce=scope.coerce,
        parent=scope,
        variable=expr.variable or None,
        aliases=scope.aliases,
    )
    link = child_table.c[relationship.field] == table.c[RECORD_ID]
    predicate = compile_expr(inner, expr.predicate) if expr.predicate is not None else true()
    assert inner.from_clause is not None
    records = select(literal(1)).select_from(inner.from_clause)
    if expr.kind == "any":
        return records.where(link, predicate).exists()
    return not_(records.where(link, not_(predicate)).exists())


def child_relationship(model: DataModel, entity: Entity, name: str) -> Any:
    """The relationship behind a child collection name (`Child` or `Child.Lookup`)."""
    child_name, _, lookup = name.partition(".")
    matches = [
        r
        for r in model.children_of(entity.name)
        if r.child.lower() == child_name.lower()
        and (not lookup or r.field.lower() == lookup.lower())
    ]
    if not matches:
        raise NotFoundError("Related collection", name, entity.name)
    if len(matches) > 1:
        options = ", ".join(f"{r.child}.{r.field}" for r in matches)
        raise QueryError(f"'{name}' is ambiguous on {entity.name}; name one of {options}")
    return matches[0]


def selected_fields(entity: Entity, names: tuple[str, ...] | None) -> list[Field]:
    """The fields a query returns: the selection plus RecordId and VersionNumber."""
    if names is None:
        return list(entity.all_fields)
    chosen: dict[str, Field] = {}
    for name in ("RecordId", "VersionNumber", *names):
        found = entity.field_or_none(name)
        if found is None:
            raise QueryError(f"entity {entity.name} has no field '{name}'")
        chosen[found.name] = found
    return list(chosen.values())


def compile_query(
    db: Database, model: DataModel, query: Query, coerce: Coerce
) -> tuple[Select[Any], list[Field]]:
    """The SELECT for a query plan and the fields its rows hold, in order."""
    statement, fields, _ = _compile(db, model, query, coerce, template=False)
    return statement, fields


@dataclass(frozen=True)
class QueryTemplate:
    """A SELECT compiled once for every query of one shape (`query_shape`): its literals,
    top and skip are bound parameters, so another query of the shape needs only its values.

    Building a SELECT and its cache key costs more than reading a small page with it; a
    client paging or polling with varying values asks the same shape again and again.
    """

    entity: Entity
    statement: Select[Any]
    fields: list[Field]
    slots: tuple[Slot, ...]
    db: Database
    coerce: Coerce
    driver: DriverSelect | None  # where the dialect runs SELECTs on the driver's cursor

    def params(self, literals: list[Any], query: Query) -> dict[str, Any]:
        """The parameters for a query of this shape, given its literals (`query_shape`)."""
        values: dict[str, Any] = {}
        for i, (value, slot) in enumerate(zip(literals, self.slots, strict=True)):
            if slot.many:
                assert slot.hint is not None
                values[f"_l{i}"] = [_coerced(self.db, self.coerce, v, slot.hint) for v in value]
            else:
                values[f"_l{i}"] = _literal_value(self.db, self.coerce, value, slot.hint)
        if query.top is not None:
            values["_top"] = query.top
        if query.skip:
            values["_skip"] = query.skip
        return values


def compile_template(db: Database, model: DataModel, query: Query, coerce: Coerce) -> QueryTemplate:
    """The template of a query's shape; only for a query `query_shape` gives a shape of."""
    statement, fields, slots = _compile(db, model, query, coerce, template=True)
    entity = model.entity(query.entity)
    driver = DriverSelect.of(statement, db.engine.dialect) if db.dialect.driver_reads else None
    return QueryTemplate(entity, statement, fields, tuple(slots), db, coerce, driver)


def query_shape(query: Query) -> tuple[Hashable, list[Any]] | None:
    """What a query's SQL depends on, and its literal values in the order they are compiled.

    None when the filter has parts compiled per query (function calls, any/all, `in` lists
    of expressions): such a query is compiled as it comes. A literal's shape is its type (and
    null is a shape of its own: it compiles to IS NULL), so values that bind alike share a
    template; an `in` list of a field's values is one list parameter, whatever its length.
    """
    literals: list[Any] = []
    where = _expr_shape(query.where, literals) if query.where is not None else None
    if query.where is not None and where is None:
        return None
    shape = (
        query.entity,
        query.select,
        where,
        query.order_by,
        query.top is not None,
        bool(query.skip),
    )
    return shape, literals


def _expr_shape(expr: Expr, literals: list[Any]) -> Hashable | None:
    if isinstance(expr, Path):
        return ("path", expr.segments)
    if isinstance(expr, Literal):
        if expr.value is None:
            return ("null",)
        literals.append(expr.value)
        return ("literal", type(expr.value))
    if isinstance(expr, Binary):
        left = _expr_shape(expr.left, literals)
        right = _expr_shape(expr.right, literals) if left is not None else None
        return None if right is None else (expr.op, left, right)
    if isinstance(expr, Unary):
        operand = _expr_shape(expr.operand, literals)
        return None if operand is None else (expr.op, operand)
    if isinstance(expr, In) and isinstance(expr.operand, Path) and _all_literals(expr.values):
        literals.append([value.value for value in expr.values if isinstance(value, Literal)])
        return ("in", expr.operand.segments)
    return None


def _all_literals(values: tuple[Expr, ...]) -> bool:
    return bool(values) and all(isinstance(value, Literal) for value in values)


def _compile(
    db: Database, model: DataModel, query: Query, coerce: Coerce, template: bool
) -> tuple[Select[Any], list[Field], list[Slot]]:
    """The SELECT, its fields and (for a template) the fields its literals are compared with."""
    entity = model.entity(query.entity)
    table = db.table(entity.name)
    scope = Scope(db, model, entity, table, coerce=coerce, slots=[] if template else None)
    fields = selected_fields(entity, query.select)
    columns = [table.c[c] for f in fields for c in f.column_names()]
    condition = compile_expr(scope, query.where) if query.where is not None else None
    order = []
    for item in query.order_by:
        column = resolve_path(scope, tuple(p for p in item.path.split("/") if p)).column
        # Nulls sort first ascending and last descending (OData's rule) on every database.
        order.append(column.desc().nulls_last() if item.descending else column.asc().nulls_first())
    order.append(table.c[RECORD_ID].asc())
    assert scope.from_clause is not None
    statement = select(*columns).select_from(scope.from_clause).order_by(*order)
    if condition is not None:
        statement = statement.where(condition)
    top: Any = query.top
    skip: Any = query.skip
    if template:
        top = None if top is None else bindparam("_top", top, type_=SqlInteger)
        skip = bindparam("_skip", skip, type_=SqlInteger) if skip else None
    if query.top is not None:
        statement = statement.limit(top)
    if query.skip:
        statement = statement.offset(skip)
    return statement, fields, scope.slots or []


def cheap_terms_first(db: Database, model: DataModel, query: Query) -> Query:
    """The query with the terms of each `and`/`or` chain of its filter reordered: comparisons
    of the entity's own columns first, by the columns' places in the row, then the rest
    (functions, paths through lookups, any/all) in the order they were given.

    SQLite tests a chain's terms in the order written and reads a row's columns only as far
    as the last one it needs: on a wide table, a filter that tests a late column before an
    early one reads most of each scanned row for nothing (on 76-column Accounts,
    `Status eq 'Active' and EmployeeCount ge k` ran 2.5x slower than the same terms swapped).
    `and` and `or` commute in SQL's logic, and a guard written as a plain comparison still
    comes before the function it guards.
    """
    if query.where is None:
        return query
    positions = _column_positions(db.table(model.entity(query.entity).name))
    return replace(query, where=_cheap_first(query.where, positions))


@lru_cache(maxsize=256)
def _column_positions(table: Table) -> dict[str, int]:
    return {column.name.lower(): place for place, column in enumerate(table.columns)}


def _cheap_first(expr: Expr, positions: dict[str, int]) -> Expr:
    if not (isinstance(expr, Binary) and expr.op in ("and", "or")):
        return expr
    terms: list[Expr] = []
    pending: list[Expr] = [expr]
    while pending:  # the chain's terms, left to right
        term = pending.pop()
        if isinstance(term, Binary) and term.op == expr.op:
            pending += [term.right, term.left]
        else:
            terms.append(_cheap_first(term, positions))
    terms.sort(key=lambda term: _cost(term, positions))
    return _balanced(expr.op, terms)


def _balanced(op: str, terms: list[Expr]) -> Expr:
    """A chain of terms as a balanced tree (as the parser builds one): a chain of thousands
    stays a few levels deep for the recursive compiler, and reads left to right as given."""
    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    return Binary(op, _balanced(op, terms[:middle]), _balanced(op, terms[middle:]))


LATE = (1, 0)  # the cost of a term that is not a plain comparison of the row's own columns


def _cost(expr: Expr, positions: dict[str, int]) -> tuple[int, int]:
    if isinstance(expr, Literal):
        return (0, 0)
    if isinstance(expr, Path):
        place = positions.get("_".join(expr.segments).lower())  # a field or a compound part
        return LATE if place is None else (0, place)
    if isinstance(expr, Binary):
        return max(_cost(expr.left, positions), _cost(expr.right, positions))
    if isinstance(expr, Unary):
        return _cost(expr.operand, positions)
    if isinstance(expr, In):
        return max([_cost(expr.operand, positions), *(_cost(v, positions) for v in expr.values)])
    return LATE


def count_query(db: Database, model: DataModel, query: Query, coerce: Coerce) -> Select[Any]:
    """SELECT count(*) of the records a query's filter matches (ignoring top and skip)."""
    entity = model.entity(query.entity)
    table = db.table(entity.name)
    scope = Scope(db, model, entity, table, coerce=coerce)
    condition = compile_expr(scope, query.where) if query.where is not None else None
    assert scope.from_clause is not None
    statement = select(func.count()).select_from(scope.from_clause)
    return statement.where(condition) if condition is not None else statement

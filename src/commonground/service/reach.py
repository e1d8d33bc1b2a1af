"""Which other entities a query looks into: lookups walked by a path (`PrimaryContact/FullName`)
and child collections of `any`/`all`. Filtering, sorting or grouping by what an entity holds
tells something about its records, so each such entity needs the Read privilege too.
"""

from __future__ import annotations

from collections.abc import Iterable

from commonground.errors import NotFoundError
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.types import FieldType
from commonground.query.expressions import Binary, Call, Expr, In, Lambda, Path, Unary
from commonground.store.query import QueryError, child_relationship


def reached_entities(
    model: DataModel, entity: Entity, where: Expr | None, paths: Iterable[str] = ()
) -> set[str]:
    """The names of the entities other than `entity` that a condition and some `A/B` paths
    (sort keys, grouping keys) reach into. Paths that do not resolve are left to the query
    compiler, which names what is wrong."""
    reached: set[str] = set()
    for path in paths:
        _walk(model, entity, tuple(p for p in path.split("/") if p), reached)
    if where is not None:
        _visit(model, where, {"": entity}, reached)
    reached.discard(entity.name)
    return reached


def _visit(model: DataModel, expr: Expr, scope: dict[str, Entity], reached: set[str]) -> None:
    if isinstance(expr, Path):
        owner, segments = _owner(scope, expr.segments)
        _walk(model, owner, segments, reached)
    elif isinstance(expr, Binary):
        _visit(model, expr.left, scope, reached)
        _visit(model, expr.right, scope, reached)
    elif isinstance(expr, Unary):
        _visit(model, expr.operand, scope, reached)
    elif isinstance(expr, Call):
        for arg in expr.args:
            _visit(model, arg, scope, reached)
    elif isinstance(expr, In):
        _visit(model, expr.operand, scope, reached)
        for value in expr.values:
            _visit(model, value, scope, reached)
    elif isinstance(expr, Lambda):
        owner, segments = _owner(scope, expr.collection.segments)
        if not segments:
            return
        parent = _walk(model, owner, segments, reached)
        if parent is None:
            return
        try:
            child = model.entity(child_relationship(model, parent, segments[-1]).child)
        except (NotFoundError, QueryError):  # the compiler reports an unknown collection
            return
        reached.add(child.name)
        if expr.predicate is not None:
            _visit(model, expr.predicate, {**scope, expr.variable: child}, reached)


def _owner(scope: dict[str, Entity], segments: tuple[str, ...]) -> tuple[Entity, tuple[str, ...]]:
    """A path's starting entity: a lambda variable's entity, or the queried entity."""
    if segments and segments[0] in scope and segments[0] != "":
        return scope[segments[0]], segments[1:]
    return scope[""], segments


def _walk(
    model: DataModel, entity: Entity, segments: tuple[str, ...], reached: set[str]
) -> Entity | None:
    """Follow lookups along all but the last segment (a field or a collection); the entity
    that last segment belongs to."""
    for name in segments[:-1]:
        found = entity.field_or_none(name)
        if found is None or found.type is not FieldType.LOOKUP or found.target is None:
            return None if found is None or not found.is_compound else entity
        if not model.has_entity(found.target):
            return None
        entity = model.entity(found.target)
        reached.add(entity.name)
    return entity

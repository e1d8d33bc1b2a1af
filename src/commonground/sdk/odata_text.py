"""Query plans back to OData query options, for the remote SDK.

The inverse of `commonground.odata.options`: the same plan the embedded SDK runs in process
becomes `$filter`, `$select`, `$orderby`, `$top`, `$skip` and `$expand` text, so code that
builds queries runs unchanged against a server.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.odata.naming import child_collections
from commonground.odata.properties import collection_name, include_name
from commonground.query.expressions import Binary, Call, Expr, In, Lambda, Literal, Path, Unary
from commonground.query.plan import Include, Query


def literal_text(value: Any) -> str:
    """An OData literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date | UUID):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    text = str(value).replace("'", "''")
    return f"'{text}'"


class Printer:
    """Prints expressions of one entity, naming child collections as OData does."""

    def __init__(self, model: DataModel, entity: Entity) -> None:
        self.model = model
        self.entity = entity
        self.variables: dict[str, Entity] = {}  # lambda variables in scope, and their entity

    def expr(self, node: Expr) -> str:
        """The `$filter` text of an expression."""
        if isinstance(node, Path):
            return "/".join(node.segments)
        if isinstance(node, Literal):
            return literal_text(node.value)
        if isinstance(node, Binary):
            return f"({self.expr(node.left)} {node.op} {self.expr(node.right)})"
        if isinstance(node, Unary):
            return (
                f"not ({self.expr(node.operand)})"
                if node.op == "not"
                else f"-({self.expr(node.operand)})"
            )
        if isinstance(node, Call):
            return f"{node.name}({','.join(self.expr(a) for a in node.args)})"
        if isinstance(node, In):
            return f"{self.expr(node.operand)} in ({','.join(self.expr(v) for v in node.values)})"
        if isinstance(node, Lambda):
            return self._lambda(node)
        raise TypeError(f"cannot print {type(node).__name__}")

    def _collection(self, include: str, entity: Entity | None = None) -> str:
        return collection_name(self.model, entity or self.entity, include) or include

    def _lambda(self, node: Lambda) -> str:
        """`Lines/any(l: ...)`, with the collection's prefix (a lambda variable, lookups)."""
        *prefix, include = node.collection.segments
        entity = self.entity
        rest = prefix
        if prefix and prefix[0] in self.variables:
            entity, rest = self.variables[prefix[0]], prefix[1:]
        for name in rest:
            lookup = entity.field_or_none(name)
            if lookup is None or lookup.target is None:
                break
            entity = self.model.entity(lookup.target)
        path = "/".join([*prefix, self._collection(include, entity)])
        if node.predicate is None:
            return f"{path}/{node.kind}()"
        children = [
            c.relationship.child
            for c in child_collections(self.model, entity)
            if include_name(self.model, entity, c.relationship).lower() == include.lower()
        ]
        self.variables[node.variable] = self.model.entity(children[0]) if children else entity
        try:
            return f"{path}/{node.kind}({node.variable}:{self.expr(node.predicate)})"
        finally:
            del self.variables[node.variable]

    def include_name(self, include: Include) -> str:
        """The navigation property an include names."""
        if self.entity.field_or_none(include.name) is not None:
            return include.name
        return self._collection(include.name)

    def options(self, query: Query, nested: bool = False) -> dict[str, str]:
        """The query options of a plan (nested ones for inside `$expand`)."""
        out: dict[str, str] = {}
        if query.where is not None:
            out["$filter"] = self.expr(query.where)
        if query.select is not None:
            out["$select"] = ",".join(query.select)
        if query.order_by:
            out["$orderby"] = ",".join(
                f"{o.path}{' desc' if o.descending else ''}" for o in query.order_by
            )
        if query.top is not None:
            out["$top"] = str(query.top)
        if query.skip and not nested:
            out["$skip"] = str(query.skip)
        if query.include:
            out["$expand"] = ",".join(self._expand(i) for i in query.include)
        return out

    def _expand(self, include: Include) -> str:
        name = self.include_name(include)
        if include.query is None:
            return name
        target = self._target(include)
        inner = Printer(self.model, target).options(include.query, nested=True)
        return f"{name}({';'.join(f'{k}={v}' for k, v in inner.items())})" if inner else name

    def _target(self, include: Include) -> Entity:
        field = self.entity.field_or_none(include.name)
        if field is not None and field.target is not None:
            return self.model.entity(field.target)
        return self.model.entity(include.name.split(".")[0])

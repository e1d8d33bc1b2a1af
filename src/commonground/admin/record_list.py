"""The data browser: one entity's records as a table, filtered with an OData `$filter`
expression, sorted by a column and paged, all read through the service for the caller.

The filter box takes the text the API's `$filter` takes and goes through the same parser, so
a filter tried here works in a URL too; a filter that does not parse, or compares values
that do not fit (text with a number), is shown above the table. Paging is
`$skip`-style (`page=N`): one row more than a page is read to know whether a next page
exists, and RecordId breaks ties so pages never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.admin.opened import entity_of, environment_of
from commonground.admin.render import page
from commonground.admin.sessions import BASE
from commonground.model.entity import RECORD_ID, Entity
from commonground.model.field import Field
from commonground.odata.errors import ODataQueryError
from commonground.odata.filter_parser import parse_filter
from commonground.query.expressions import Expr
from commonground.query.plan import Order, Query
from commonground.security.caller import Caller, caller_of
from commonground.security.permissions import Operation
from commonground.service.codec import Record
from commonground.service.environment import Environment
from commonground.service.environments import Environments
from commonground.service.tabular import cell_text
from commonground.store.query import QueryError

PAGE_SIZE = 25
LIST_GROUP = "DefaultList"
FALLBACK_COLUMNS = 5
LAST_PAGE = 100_000  # a page number beyond any table we serve keeps $skip within 64 bits


def list_columns(entity: Entity) -> list[Field]:
    """The columns shown: the DefaultList field group, else the primary name and the first
    few declared fields."""
    group = entity.field_groups.get(LIST_GROUP)
    if group:
        return [f for name in group if (f := entity.field_or_none(name)) is not None]
    first = [f for f in entity.fields if f.name != entity.primary_name]
    primary = entity.field_or_none(entity.primary_name) if entity.primary_name else None
    return ([primary] if primary else []) + first[: FALLBACK_COLUMNS - (1 if primary else 0)]


def shown(value: Any) -> str:
    """A value as a table cell: compound fields as their parts' text, one after another."""
    if isinstance(value, dict):
        return " ".join(cell_text(v) for v in value.values() if v not in (None, ""))
    return cell_text(value)


@dataclass(frozen=True)
class Browse:
    """What the page's query string asks for."""

    filter: str
    sort: str
    descending: bool
    number: int

    @classmethod
    def of(cls, request: Request, entity: Entity) -> Browse:
        """The filter, sort and page of a request (unknown sort columns fall back to
        RecordId, page numbers out of range to the first or last page)."""
        params = request.query_params
        sort_field = entity.field_or_none(params.get("sort", ""))
        sort = sort_field.name if sort_field and not sort_field.is_compound else RECORD_ID
        number = params.get("page", "1")
        return cls(
            params.get("filter", "").strip(),
            sort,
            params.get("dir") == "desc",
            min(max(int(number), 1), LAST_PAGE) if number.isdigit() else 1,
        )

    def link(self, **changes: Any) -> str:
        """The query string of this view with some parameters changed."""
        values = {
            "filter": self.filter,
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
            "page": self.number,
        }
        values.update(changes)
        return "?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})


def read_page(
    env: Environment, entity: Entity, browse: Browse, where: Expr | None, caller: Caller
) -> tuple[list[Record], int]:
    """One page of records (one extra to tell whether more follow) and the total count."""
    order = [Order(browse.sort, browse.descending)]
    if browse.sort != RECORD_ID:
        order.append(Order(RECORD_ID))
    columns = (RECORD_ID, *(f.name for f in list_columns(entity)))
    query = Query(
        entity.name,
        select=tuple(dict.fromkeys(columns)),
        where=where,
        order_by=tuple(order),
        top=PAGE_SIZE + 1,
        skip=(browse.number - 1) * PAGE_SIZE,
    )
    records = env.query(query, caller)
    return records, env.count(Query(entity.name, where=where), caller)


class RecordListPages:
    """The data browser of every entity."""

    def __init__(self, environments: Environments) -> None:
        self.environments = environments

    async def browse(self, request: Request) -> Response:
        """A page of an entity's records."""
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        browse = Browse.of(request, entity)
        caller = caller_of(request)
        records: list[Record] = []
        total, problem = 0, None
        try:
            where = parse_filter(entity, env.model, browse.filter) if browse.filter else None
            records, total = await run_in_threadpool(read_page, env, entity, browse, where, caller)
        except (ODataQueryError, QueryError) as exc:
            problem = str(exc)
        access = env.access(caller)
        return page(
            request,
            "records.html",
            400 if problem else 200,
            env=env,
            entity=entity,
            columns=list_columns(entity),
            records=records[:PAGE_SIZE],
            more=len(records) > PAGE_SIZE,
            total=total,
            browse=browse,
            shown=shown,
            error=problem,
            may_create=access.allows(entity.name, Operation.CREATE),
            may_import=access.allows(entity.name, Operation.CREATE)
            or access.allows(entity.name, Operation.UPDATE),
        )


def record_list_routes(environments: Environments) -> list[Route]:
    """The data browser's route."""
    pages = RecordListPages(environments)
    return [Route(f"{BASE}/environments/{{env}}/data/{{entity}}", pages.browse, methods=["GET"])]

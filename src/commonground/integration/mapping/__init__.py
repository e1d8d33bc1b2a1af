"""Field mappings: transforms as data, compiled into a batch plan, validated before a run.

How the engine uses it, per leg of a task:

    problems = validate_leg(task.name, leg, source_info, destination_info, key, filter, query)
                                             # list[Problem(code, task, field, message)]
    plan = compile_leg(leg, source_info, destination_info, key, query)   # once per run
    ReadRequest(fields=plan.read_fields())   # plain fields; for a `lookup.keyfield` source
                                             # path, its lookup field (source_fields() lists
                                             # the record keys the plan reads, paths included)
    for batch in reads:
        records = run_advanced_query(query, batch.records) if query else batch.records
        plan.fill_related(records, source_connector.fetch)
                                             # fetch(entity, references, fields): stores each
                                             # path's related key under the path's text
        mapped = plan.apply(records)          # MappedBatch: records, positions, failures, lookups
        plan.resolve_lookups(mapped, resolve)  # resolve(entity, key, values) -> {values: ref}
        write mapped.records; mapped.positions[i] is the input position of mapped.records[i];
        mapped.failures are MappingFailure(position, source_field, destination_field, message)

`resolve` is called once per (target entity, key fields) per batch with distinct key tuples;
values not found in the first target of a polymorphic lookup are tried in the next. A value not
found anywhere fails its record: "customerid with value ACME does not exist in destination."

Modules: `paths` (field references), `transforms` (Default, ValueMap, Truncate,
CountryRegionCode), `coercion` (safe conversions to the destination kind), `plan`
(compile_leg, LegPlan), `related` (source `lookup.keyfield` values through fetch),
`validation` (DIPV codes), `filters` (does a source filter parse), `advanced` (the DuckDB
advanced query: one SELECT over the batch as table `source`).
"""

from commonground.integration.mapping.advanced import (
    QueryError,
    check_query,
    output_fields,
    query_entity,
    run_advanced_query,
)
from commonground.integration.mapping.paths import FieldPath, PathError, Target, parse_path
from commonground.integration.mapping.plan import (
    LegPlan,
    MappedBatch,
    MappingError,
    MappingFailure,
    PendingLookup,
    Resolve,
    compile_leg,
)
from commonground.integration.mapping.related import Fetch
from commonground.integration.mapping.transforms import (
    TransformError,
    ValueRejectedError,
    parse_transforms,
)
from commonground.integration.mapping.validation import Problem, validate_leg

__all__ = [
    "Fetch",
    "FieldPath",
    "LegPlan",
    "MappedBatch",
    "MappingError",
    "MappingFailure",
    "PathError",
    "PendingLookup",
    "Problem",
    "QueryError",
    "Resolve",
    "Target",
    "TransformError",
    "ValueRejectedError",
    "check_query",
    "compile_leg",
    "output_fields",
    "parse_path",
    "parse_transforms",
    "query_entity",
    "run_advanced_query",
    "validate_leg",
]

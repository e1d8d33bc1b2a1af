"""Field mappings: transforms as data, compiled into a batch plan, validated before a run.

How the engine uses it, per leg of a task:

    plan = compile_leg(leg, source_info, destination_info, key)   # once per run
    request fields: plan.source_fields()     # plain names and `lookup.keyfield` texts; the
                                             # engine puts a lookup path's value (the related
                                             # record's key, via Connector.fetch) under that text
    for batch in reads:
        records = run_query(task.query, batch.records) if task.query else batch.records
        mapped = plan.apply(records)          # MappedBatch: records, positions, failures, lookups
        plan.resolve_lookups(mapped, resolve)  # resolve(entity, key, values) -> {values: ref}
        write mapped.records; mapped.positions[i] is the input position of mapped.records[i];
        mapped.failures are MappingFailure(position, source_field, destination_field, message)

    problems = validate_leg(leg, source_info, destination_info, key, task=..., filter=...,
                            query=...)        # list[Problem(code, task, field, message)]

`resolve` is called once per (target entity, key fields) per batch with distinct key tuples;
values not found in the first target of a polymorphic lookup are tried in the next. A value not
found anywhere fails its record: "customerid with value ACME does not exist in destination."

Modules: `paths` (field references), `transforms` (Default, ValueMap, Truncate,
CountryRegionCode), `coercion` (safe conversions to the destination kind), `plan`
(compile_leg, LegPlan), `validation` (DIPV codes), `advanced` (DuckDB advanced query).
"""

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
from commonground.integration.mapping.transforms import (
    TransformError,
    ValueRejectedError,
    parse_transforms,
)

__all__ = [
    "FieldPath",
    "LegPlan",
    "MappedBatch",
    "MappingError",
    "MappingFailure",
    "PathError",
    "PendingLookup",
    "Resolve",
    "Target",
    "TransformError",
    "ValueRejectedError",
    "compile_leg",
    "parse_path",
    "parse_transforms",
]

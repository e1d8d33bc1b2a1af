"""The Arrow type each value kind travels as (Parquet files, DuckDB advanced queries)."""

from __future__ import annotations

import pyarrow as pa

from commonground.integration.contracts import ValueKind

ARROW_OF_KIND: dict[ValueKind, pa.DataType] = {
    ValueKind.TEXT: pa.string(),
    ValueKind.INTEGER: pa.int64(),
    ValueKind.DECIMAL: pa.decimal128(38, 10),
    ValueKind.FLOAT: pa.float64(),
    ValueKind.BOOLEAN: pa.bool_(),
    ValueKind.DATE: pa.date32(),
    ValueKind.DATETIME: pa.timestamp("us", tz="UTC"),
    ValueKind.GUID: pa.string(),
}

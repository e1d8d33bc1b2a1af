"""Queries as data: expression trees and query plans shared by the SDK, OData and the store."""

from commonground.query.expressions import Expr, F, Literal, Path
from commonground.query.plan import Include, Order, Query

__all__ = ["Expr", "F", "Include", "Literal", "Order", "Path", "Query"]

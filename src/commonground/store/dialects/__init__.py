"""The only SQLite- or PostgreSQL-specific code of the store."""

from commonground.store.dialects.base import EnvironmentLocator, StoreDialect

__all__ = ["EnvironmentLocator", "StoreDialect"]

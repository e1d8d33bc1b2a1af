"""The package's public surface: exact, sorted, documented, and what the engine imports."""

from __future__ import annotations

import inspect

import commonground.integration.mapping as mapping


def test_all_is_sorted_and_importable() -> None:
    assert mapping.__all__ == sorted(mapping.__all__)
    for name in mapping.__all__:
        assert hasattr(mapping, name), name


def test_public_classes_and_functions_are_documented() -> None:
    for name in mapping.__all__:
        value = getattr(mapping, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name


def test_the_engine_api_is_exported() -> None:
    for name in ("compile_leg", "validate_leg", "run_advanced_query", "Problem", "LegPlan"):
        assert name in mapping.__all__
    for method in ("apply", "resolve_lookups", "fill_related", "read_fields", "source_fields"):
        assert inspect.getdoc(getattr(mapping.LegPlan, method)), method
    assert mapping.__doc__ is not None
    assert "resolve_lookups" in mapping.__doc__

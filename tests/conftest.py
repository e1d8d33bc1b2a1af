"""Fixtures live in plugin modules under tests/fixtures (one concern each)."""

pytest_plugins = [
    "tests.fixtures.fix_environments",
    "tests.fixtures.fix_integration",
    "tests.fixtures.mail",
    "tests.fixtures.fix_p2c",
]

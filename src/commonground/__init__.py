"""Common Ground: an open-source Common Data Service with a built-in data integrator."""

__version__ = "0.1.0"

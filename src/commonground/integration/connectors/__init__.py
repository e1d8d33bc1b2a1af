"""Built-in connectors; each registers in the `commonground.connectors` entry-point group."""

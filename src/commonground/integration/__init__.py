"""The data integrator: connectors, mappings, the run engine, schedules and history."""

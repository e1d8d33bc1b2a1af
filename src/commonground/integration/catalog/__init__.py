"""The integrator's own database: definitions, runs, watermarks, sync state and leases."""

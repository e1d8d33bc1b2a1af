"""Runs projects: tasks in order, legs in batches, watermarks after the destination commits."""

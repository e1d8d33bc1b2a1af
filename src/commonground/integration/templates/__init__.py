"""Project templates: blueprints of tasks and mappings, saved from projects or shipped as files."""

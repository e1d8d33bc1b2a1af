"""OData v4: query options and key predicates parsed into plans, CSDL, JSON format, $batch.

Parses into the plan objects of `commonground.query` that the service executes; nothing here
builds SQL text.
"""

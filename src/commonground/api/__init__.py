"""The HTTP API: one OData v4 service per environment, served by Starlette under uvicorn."""

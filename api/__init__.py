"""FastAPI: REST, live feed, dashboard and /metrics."""

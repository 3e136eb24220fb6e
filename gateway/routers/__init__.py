"""HTTP routers, one per area (tag)."""

API_PREFIX = "/api/v1"

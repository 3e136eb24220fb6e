"""The HTTP gateway of Gongwen: the only public entry point (FastAPI, asyncio).

It authenticates callers with the identity service's signing keys, puts who is
calling into the context of every RPC, limits request rates, maps typed errors
to one JSON error body and serves the OpenAPI documentation.
"""

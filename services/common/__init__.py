"""Shared kernel of the Gongwen services: settings, database sessions, call
context, events and outbox, typed errors, the asyncio RPC client, metrics."""

import warnings

# eventlet announces its own deprecation on import; nameko 2.14 needs it (see README).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

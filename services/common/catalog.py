"""The services of the suite, in start-up order (one place for every script)."""

SERVICES: tuple[str, ...] = ("identity", "documents", "routing", "notify", "ledger", "metrics")

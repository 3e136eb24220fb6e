"""Start and stop the whole Gongwen suite on one machine (``make run``, tests, benchmarks)."""

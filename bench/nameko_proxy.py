"""Benchmark (b): nameko's standalone ``ClusterRpcProxy`` opened per request.

This is what a naive gateway does in a synchronous request handler: open a
proxy (a new AMQP connection, a reply queue, a consumer), make one call, close
it. Blocking, so concurrent callers are threads. It runs in its own process
(``python -m bench.nameko_proxy SPEC_JSON``, started by :mod:`bench.rpc`) so
that importing nameko and eventlet never touches the benchmark process; this
process is not monkey-patched either, as a threaded gateway would not be.

SPEC_JSON: ``{"amqp_uri", "service", "phases": [{"concurrency", "total",
"warmup"}], "max_seconds", "pids": {name: pid}}``. Prints one JSON object per
phase (a :class:`bench.harness.Measurement`) on stdout.
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.nameko_proxy SPEC_JSON", file=sys.stderr)
        return 2
    spec: dict[str, Any] = json.loads(argv[0])
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    from nameko.standalone.rpc import ClusterRpcProxy

    from bench.harness import CpuProbe, thread_load

    config = {"AMQP_URI": spec["amqp_uri"], "serializer": "json"}
    service = spec["service"]

    def call() -> Any:
        with ClusterRpcProxy(config, timeout=10) as proxy:
            result = getattr(proxy, service).ping()
        if result != "pong":
            raise RuntimeError(f"unexpected answer {result!r}")
        return result

    for phase in spec["phases"]:
        measurement = thread_load(
            f"(b) nameko ClusterRpcProxy per request → {service}",
            call,
            concurrency=phase["concurrency"],
            total=phase["total"],
            warmup=phase["warmup"],
            max_seconds=spec["max_seconds"],
            probe=CpuProbe(spec.get("pids", {})),
        )
        print(json.dumps(measurement.as_dict()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

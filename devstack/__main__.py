"""``python -m devstack`` (what ``make run`` calls): start the whole suite, print
where the gateway listens, and stop everything on Ctrl-C."""

from __future__ import annotations

import signal
import sys
import time

from devstack.stack import Stack, ensure_infra


def web_note() -> str:
    """Empty when the web workbench is built, else how to build it."""
    from gateway.web import web_dist

    return "" if (web_dist() / "index.html").is_file() else "  (not built: make web)"


def channels_note(stack: Stack) -> str:
    """Where notifications by e-mail and SMS go: the loopback sinks' message list,
    or the real server and provider the environment names."""
    env = stack.env
    lines = []
    if stack.sink_url:
        lines.append(f"  SMS and e-mail sink: {stack.sink_url}/messages")
    smtp = f"{env.get('SMTP_HOST')}:{env.get('SMTP_PORT', '25')}"
    sms = env.get("SMS_HTTP_URL") if env.get("SMS_PROVIDER", "http") == "http" else None
    lines.append(f"  e-mail:    SMTP {smtp}")
    lines.append(f"  SMS:       {sms or 'provider ' + env.get('SMS_PROVIDER', '')}")
    return "".join(line + "\n" for line in lines)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    ensure_infra()
    stack = Stack.local()
    from services.common.settings import LOCAL_PLATFORM_ADMIN_PASSWORD

    # Explicit handlers: a process started in the background may inherit an
    # ignored SIGINT, and Ctrl-C (or a TERM/HUP) must still stop everything.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        print(
            "starting: S3 stand-in, SMS and e-mail sinks, migrations, services, gateway …",
            flush=True,
        )
        stack.start()
        s3 = stack.env.get("MINIO_ENDPOINT")
        print(
            "\nGongwen is running.\n"
            f"  workbench: {stack.gateway_url}/{web_note()}\n"
            f"  gateway:   {stack.gateway_url}/api/v1\n"
            f"  API docs:  {stack.gateway_url}/docs\n"
            f"  metrics:   {stack.gateway_url}/metrics and service ports "
            f"{min(stack.metrics_ports.values())}-{max(stack.metrics_ports.values())}\n"
            f"  S3:        {s3}\n"
            f"{channels_note(stack)}"
            f"  logs:      {stack.log_dir}\n",
            flush=True,
        )
        if stack.env.get("PLATFORM_ADMIN_PASSWORD") is None:
            print(
                "  platform administrator: username 'admin', password "
                f"'{LOCAL_PLATFORM_ADMIN_PASSWORD}' (local default; set PLATFORM_ADMIN_PASSWORD)\n",
                flush=True,
            )
        print("Press Ctrl-C to stop everything.", flush=True)
        while True:
            for name, proc in list(stack.processes.items()):
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; see {stack.log_dir}/{name}.log")
                    stack.processes.pop(name)
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C does not cut the clean-up short
        print("\nstopping …", flush=True)
        stack.stop()
        print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

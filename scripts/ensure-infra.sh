#!/usr/bin/env bash
# Check PostgreSQL, Redis and RabbitMQ on this machine; start any that is down.
# On a machine without them, say what is missing and how to get it, and fail.
set -u
PG_HOST=${PG_HOST:-127.0.0.1}; PG_PORT=${PG_PORT:-5432}
REDIS_HOST=127.0.0.1; REDIS_PORT=6379
AMQP_HOST=127.0.0.1; AMQP_PORT=5672
missing=0

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_port() { # host port seconds
  local i=0; while ! port_open "$1" "$2"; do i=$((i+1)); [ "$i" -ge "$(( $3 * 2 ))" ] && return 1; sleep 0.5; done; return 0; }

# PostgreSQL
if port_open "$PG_HOST" "$PG_PORT"; then :
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  echo "infra: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  wait_port "$PG_HOST" "$PG_PORT" 30 || { echo "infra: PostgreSQL did not start" >&2; missing=1; }
else
  echo "infra: PostgreSQL is missing on $PG_HOST:$PG_PORT. Install it (Debian: apt-get install postgresql) or set PG_HOST/PG_PORT." >&2
  missing=1
fi

# Redis
if port_open "$REDIS_HOST" "$REDIS_PORT"; then :
elif command -v redis-server >/dev/null 2>&1; then
  echo "infra: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  wait_port "$REDIS_HOST" "$REDIS_PORT" 15 || { echo "infra: Redis did not start" >&2; missing=1; }
else
  echo "infra: Redis is missing on $REDIS_HOST:$REDIS_PORT. Install it (Debian: apt-get install redis-server)." >&2
  missing=1
fi

# RabbitMQ
if port_open "$AMQP_HOST" "$AMQP_PORT"; then :
elif command -v rabbitmq-server >/dev/null 2>&1; then
  echo "infra: starting RabbitMQ (takes a few seconds)"
  rabbitmq-server -detached || true
  wait_port "$AMQP_HOST" "$AMQP_PORT" 90 || { echo "infra: RabbitMQ did not start" >&2; missing=1; }
else
  echo "infra: RabbitMQ is missing on $AMQP_HOST:$AMQP_PORT. Install it (Debian: apt-get install rabbitmq-server)." >&2
  missing=1
fi

[ "$missing" -eq 0 ] && echo "infra: PostgreSQL, Redis and RabbitMQ are up"
exit "$missing"

#!/usr/bin/env bash
# Start PostgreSQL, Redis and RabbitMQ when they are not already running, then
# wait for each. A service that cannot be reached fails the run loudly.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_postgres() {
    command -v pg_ctlcluster >/dev/null && pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
}
start_redis() {
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
}
start_rabbitmq() { rabbitmq-server -detached; }

ensure() {
    local name=$1 port=$2 starter=$3
    if port_open "$port"; then echo "$name: running on $port"; return 0; fi
    echo "$name: not running; starting it"
    $starter || true
    for _ in $(seq 1 60); do port_open "$port" && { echo "$name: up"; return 0; }; sleep 1; done
    echo "error: $name is required on 127.0.0.1:$port and could not be started" >&2
    exit 1
}

ensure PostgreSQL 5432 start_postgres
ensure Redis 6379 start_redis
ensure RabbitMQ 5672 start_rabbitmq

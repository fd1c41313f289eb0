#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for benchmarks, tuned like raw-sql-ceiling.sh's, so the AsyncGate
# server and the pgbench ceiling can run against the same PostgreSQL in the same run.
#
#   pg-cluster.sh start DIR [synchronous_commit=on]   initdb + start; prints the socket directory
#   pg-cluster.sh stop DIR                            fast shutdown
#   pg-cluster.sh psql DIR [psql args...]             psql as the superuser, database asyncgate
#
# Unix socket only (no TCP). As root, PostgreSQL runs as the `postgres` OS user.
set -euo pipefail
cmd=${1:?usage: pg-cluster.sh start|stop|psql DIR}; dir=${2:?DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 2; }
run=()
if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi

case "$cmd" in
  start)
    sync=${3:-on}
    mkdir -p "$dir"
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    "${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
    # autovacuum_naptime as in AsyncGate's embedded cluster (see migrations/0006).
    printf "listen_addresses = ''\nunix_socket_directories = '%s'\nmax_connections = 300\nshared_buffers = 512MB\nmax_wal_size = 4GB\nsynchronous_commit = %s\njit = off\nautovacuum_naptime = 10s\n" \
      "$dir" "$sync" >> "$dir/data/postgresql.conf"
    # Extra settings, e.g. PG_CLUSTER_CONF="log_min_duration_statement = 100" to see slow statements.
    if [ -n "${PG_CLUSTER_CONF:-}" ]; then printf '%s\n' "$PG_CLUSTER_CONF" >> "$dir/data/postgresql.conf"; fi
    # Started from a subshell with its own stdio so no caller's pipe stays open through the daemon.
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start </dev/null >/dev/null 2>&1
    "${run[@]}" "$bin/createdb" -h "$dir" -U postgres asyncgate
    echo "$dir"
    ;;
  stop)
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  psql)
    shift 2
    "${run[@]}" "$bin/psql" -X -h "$dir" -U postgres -d asyncgate "$@"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac

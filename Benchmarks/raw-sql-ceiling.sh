#!/usr/bin/env bash
# The raw-SQL ceiling for a durable task lifecycle on this machine: pgbench runs a three-commit job
# lifecycle (enqueue; SKIP LOCKED claim; complete + receipt insert — lifecycle.sql) with no HTTP and
# no app code. AsyncGate's "cycle" benchmark is judged as a ratio to this figure, measured in the
# same run (scripts/bench ceiling does both and prints the ratio).
#
# Usage: raw-sql-ceiling.sh [clients=16] [seconds=15] [synchronous_commit=on]
# Needs PostgreSQL server binaries (Debian: postgresql). Starts a private throwaway cluster, or, with
# CEILING_PGHOST=<socket directory of a running cluster where `postgres` is superuser>, uses a
# throwaway database in that cluster (how scripts/bench measures against the server's own PostgreSQL).
set -euo pipefail
clients=${1:-16}; secs=${2:-15}; sync=${3:-on}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 2; }
run=""
if [ "$(id -u)" = 0 ]; then run="runuser -u postgres --"; fi
db=bench
if [ -n "${CEILING_PGHOST:-}" ]; then
  host=$CEILING_PGHOST
  db="ceiling_$$"
  cleanup() { $run "$bin/dropdb" -h "$host" -U postgres --if-exists "$db" >/dev/null 2>&1 || true; }
  trap cleanup EXIT
  $run "$bin/createdb" -h "$host" -U postgres "$db"
  $run "$bin/psql" -h "$host" -U postgres -qc "ALTER DATABASE $db SET synchronous_commit = $sync" "$db"
else
  work=$(mktemp -d /tmp/raw-sql-ceiling.XXXXXX)
  host=$work
  if [ -n "$run" ]; then chown -R postgres "$work"; fi
  cleanup() { $run "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$work"; }
  trap cleanup EXIT
  $run "$bin/initdb" -D "$work/data" -U postgres -A trust >/dev/null
  printf "listen_addresses = ''\nunix_socket_directories = '%s'\nshared_buffers = 512MB\nmax_wal_size = 4GB\nsynchronous_commit = %s\n" "$work" "$sync" >> "$work/data/postgresql.conf"
  $run "$bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w start </dev/null >/dev/null 2>&1
  $run "$bin/createdb" -h "$work" -U postgres "$db"
fi
$run "$bin/psql" -h "$host" -U postgres -q -f "$here/lifecycle-schema.sql" "$db"
# pre-fill so claims always find work
$run "$bin/psql" -h "$host" -U postgres -qc "INSERT INTO q_jobs(kind,payload) SELECT 'k','{\"a\":1}' FROM generate_series(1,1000)" "$db"
out=$($run "$bin/pgbench" -h "$host" -U postgres -n -M prepared -c "$clients" -j 2 -T "$secs" -f "$here/lifecycle.sql" "$db" 2>&1)
done_jobs=$($run "$bin/psql" -h "$host" -U postgres -Atc "select count(*) from q_jobs where state='done'" "$db")
echo "$out" | grep -E "tps =|failed trans" || true
echo "raw-sql lifecycle: $(( done_jobs / secs )) jobs/s (clients=$clients, synchronous_commit=$sync, ${secs}s)"

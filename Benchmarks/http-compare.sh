#!/usr/bin/env bash
# HTTP speed comparison (issue 3, "Speed"): wrk against
#   hummingbird   Benchmarks/hummingbird-hello, a Hummingbird 2 hello server (the reference)
#   http-hello    Benchmarks/http-hello, our HTTP module alone with a hello handler
#   asyncgate     the real server (release), GET /v1/health: worker pool + `SELECT 1` on the
#                 embedded PostgreSQL, so it measures the whole request path, not HTTP alone
# all answering GET /v1/health with a small JSON body; then the resident memory of each server
# process holding IDLE_CONNECTIONS idle keep-alive connections (each served one request first),
# and whether a new client is still served meanwhile.
#
# Usage: Benchmarks/http-compare.sh            (from anywhere; builds release binaries first)
# Env:   WRK_THREADS=2 WRK_CONNECTIONS=128 WRK_DURATION=10s WARMUP=2s ROUNDS=1 IDLE_CONNECTIONS=10000
#        SERVERS="hummingbird http-hello asyncgate"   a subset to run
#        SKIP_BUILD=1                                 reuse the binaries already built
#        PRODUCT_SCRATCH (default .build), HELLO_SCRATCH (default .build-bench-hello): build dirs
#        (not ASYNCGATE_*: the server refuses unknown ASYNCGATE_ variables, and it inherits ours)
# Goal (issue 3): >= 1.2x Hummingbird's req/s on /v1/health with p99 no worse; <= 150 MB RSS with
# 10,000 idle connections. http-hello isolates the HTTP layer; asyncgate adds the route's database
# round trip. The servers share the machine with wrk (and whatever else runs): req/s and p99 move
# with the load average printed alongside; "CPU us/req" (server process CPU time per request) is
# the figure that stays comparable on a busy machine.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-128}"
WRK_DURATION="${WRK_DURATION:-10s}"
WARMUP="${WARMUP:-2s}"
ROUNDS="${ROUNDS:-1}"
IDLE_CONNECTIONS="${IDLE_CONNECTIONS:-10000}"
SERVERS="${SERVERS:-hummingbird http-hello asyncgate}"
PRODUCT_SCRATCH="${PRODUCT_SCRATCH:-$ROOT/.build}"
HELLO_SCRATCH="${HELLO_SCRATCH:-$ROOT/.build-bench-hello}"
WORK="$(mktemp -d /tmp/http-compare.XXXXXX)"
chmod 755 "$WORK"  # the embedded PostgreSQL runs as user postgres and must enter it
declare -A PIDS=() PORTS=() BINARIES=()

log() { echo "== $*" >&2; }

cleanup() {
    for name in "${!PIDS[@]}"; do
        kill -TERM "${PIDS[$name]}" 2>/dev/null || true
    done
    for name in "${!PIDS[@]}"; do
        wait "${PIDS[$name]}" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
    log "installing wrk"
    SUDO=""; [[ $EUID -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get install -y wrk >/dev/null || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; }
fi
# Hummingbird and the idle-connection client need far more than the usual 1024 descriptors (our
# server raises its own limit; the same hard limit applies to all).
ulimit -n "$(ulimit -Hn)"
if (( $(ulimit -n) < IDLE_CONNECTIONS + 100 )); then
    log "descriptor limit $(ulimit -n) is below IDLE_CONNECTIONS=$IDLE_CONNECTIONS; lowering it"
    IDLE_CONNECTIONS=$(( $(ulimit -n) - 100 ))
fi

wants() { [[ " $SERVERS " == *" $1 "* ]]; }

if [[ -z "${SKIP_BUILD:-}" ]]; then
    if wants hummingbird; then
        log "building hummingbird-hello (release)"
        swift build -c release --package-path "$ROOT/Benchmarks/hummingbird-hello" --scratch-path "$HELLO_SCRATCH/hummingbird" >&2
    fi
    if wants http-hello; then
        log "building http-hello (release)"
        swift build -c release --package-path "$ROOT/Benchmarks/http-hello" --scratch-path "$HELLO_SCRATCH/http" >&2
    fi
    if wants asyncgate; then
        log "building asyncgate (release)"
        swift build -c release --package-path "$ROOT" --scratch-path "$PRODUCT_SCRATCH" --product asyncgate >&2
    fi
fi
BINARIES[hummingbird]="$HELLO_SCRATCH/hummingbird/release/hb-hello"
BINARIES[http-hello]="$HELLO_SCRATCH/http/release/http-hello"
BINARIES[asyncgate]="$PRODUCT_SCRATCH/release/asyncgate"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start() {
    local name="$1" port
    port="$(free_port)"
    PORTS[$name]="$port"
    case "$name" in
        asyncgate)
            mkdir -p "$WORK/asyncgate-data"
            ASYNCGATE_PORT="$port" ASYNCGATE_DATA_DIR="$WORK/asyncgate-data" ASYNCGATE_LOG_LEVEL=warning \
                "${BINARIES[$name]}" >"$WORK/$name.log" 2>&1 &
            ;;
        *) "${BINARIES[$name]}" "$port" >"$WORK/$name.log" 2>&1 & ;;
    esac
    PIDS[$name]=$!
    # asyncgate starts its own PostgreSQL first.
    for _ in $(seq 1 300); do
        if curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$port/v1/health"; then return 0; fi
        kill -0 "${PIDS[$name]}" 2>/dev/null || break
        sleep 0.2
    done
    log "$name did not come up; its log:"
    tail -20 "$WORK/$name.log" >&2
    exit 1
}

# CPU time (user + system, clock ticks) the process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Runs wrk against server $1; prints "req/s p50 p99 non2xx socket_errors cpu_us_per_request".
# CPU per request (the server process only; for asyncgate PostgreSQL's share is not included)
# is far less disturbed by other load on the machine than req/s.
measure() {
    local name="$1" url="http://127.0.0.1:${PORTS[$1]}/v1/health" out before after
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WARMUP" "$url" >/dev/null
    before="$(cpu_ticks "${PIDS[$name]}")"
    out="$(wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency "$url")"
    after="$(cpu_ticks "${PIDS[$name]}")"
    echo "$out" | sed "s/^/   [$name] /" >&2
    awk -v ticks="$((after - before))" -v hz="$(getconf CLK_TCK)" '
        / requests in / { requests = $1 }
        /Requests\/sec:/ { rps = $2 }
        $1 == "50%" { p50 = $2 }
        $1 == "99%" { p99 = $2 }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { gsub(",", ""); errors = $4 + $6 + $8 + $10 }
        END { printf "%s %s %s %d %d %.1f\n", rps, p50, p99, non2xx, errors, requests ? ticks / hz * 1e6 / requests : 0 }
    ' <<<"$out"
}

# Opens IDLE_CONNECTIONS connections, sends one request on each and reads the answer, then checks
# the server's VmRSS and that a fresh connection is still served; prints "rss_before_mb rss_mb served".
idle_rss() {
    python3 - "$1" "$2" "$IDLE_CONNECTIONS" <<'PY'
import socket, sys, time
pid, port, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
request = b"GET /v1/health HTTP/1.1\r\nHost: bench\r\n\r\n"

def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")

def one_response(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise EOFError("closed")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next((int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")), 0)
    while len(rest) < length:
        rest += sock.recv(4096)
    return head.split(b" ")[1]

before = rss_mb()
socks, failed = [], 0
for _ in range(count):
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(request)
        if one_response(sock) != b"200":
            failed += 1
        socks.append(sock)
    except OSError:
        failed += 1
time.sleep(1)
rss = rss_mb()
try:
    fresh = socket.create_connection(("127.0.0.1", port), timeout=5)
    fresh.sendall(request)
    served = "yes" if one_response(fresh) == b"200" else "no"
except (OSError, EOFError):
    served = "no"
alive = 0
for sock in socks:  # the server must not have dropped the idle ones either
    try:
        sock.sendall(request)
        alive += one_response(sock) == b"200"
    except (OSError, EOFError):
        pass
print(f"{before:.1f} {rss:.1f} {served} {len(socks) - failed} {alive}")
PY
}

declare -A RESULTS=() RSS=()
for name in $SERVERS; do
    log "starting $name"
    start "$name"
done
for round in $(seq 1 "$ROUNDS"); do
    for name in $SERVERS; do
        log "round $round: wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION --latency against $name (load: $(cut -d' ' -f1-3 /proc/loadavg))"
        RESULTS[$name]+="$(measure "$name")"$'\n'
    done
done
for name in $SERVERS; do
    log "$name: $IDLE_CONNECTIONS idle connections"
    RSS[$name]="$(idle_rss "${PIDS[$name]}" "${PORTS[$name]}")"
done

echo
echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION --latency http://127.0.0.1:PORT/v1/health  ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-12s %5s %12s %9s %9s %8s %7s %10s   %s\n' server round req/s p50 p99 non-2xx errors "CPU us/req" "RSS MB: start -> with N idle (ok/alive, new client served)"
for name in $SERVERS; do
    round=0
    while read -r rps p50 p99 non2xx errors cpu; do
        [[ -z "$rps" ]] && continue
        round=$((round + 1))
        extra=""
        if (( round == 1 )); then
            read -r before rss served ok alive <<<"${RSS[$name]}"
            extra="$before -> $rss with $IDLE_CONNECTIONS ($ok/$alive, new client served: $served)"
        fi
        printf '%-12s %5s %12s %9s %9s %8s %7s %10s   %s\n' "$name" "$round" "$rps" "$p50" "$p99" "$non2xx" "$errors" "$cpu" "$extra"
    done <<<"${RESULTS[$name]}"
done
if wants hummingbird && wants http-hello; then
    median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    ours="$(awk '{print $1}' <<<"${RESULTS[http-hello]}" | median)"
    theirs="$(awk '{print $1}' <<<"${RESULTS[hummingbird]}" | median)"
    awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "http-hello / hummingbird req/s (median of rounds): %.2fx (goal >= 1.2x)\n", a / b }'
    ours="$(awk '{print $6}' <<<"${RESULTS[http-hello]}" | median)"
    theirs="$(awk '{print $6}' <<<"${RESULTS[hummingbird]}" | median)"
    awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "hummingbird / http-hello CPU per request (median of rounds): %.2fx\n", b / a }'
fi

#!/usr/bin/env bash
# Black-box HTTP checks with curl against a running AsyncGate server (the raw-socket ones, which
# curl cannot express, are in http_conformance.py).
#
# Usage: http_curl.sh [BASE_URL]   (default $ASYNCGATE_URL or http://127.0.0.1:8080)
# Env:   HTTP_MAX_BODY_BYTES  the server's body limit (default 2097152, ASYNCGATE_HTTP_MAX_BODY_BYTES)
# Uses GET /v1/health as the known-good route and /v1/tasks for bodies (no credential needed in
# insecure development mode; with a key set, 401 still proves the body was read and routed).
# Exits 1 if any check fails, 2 if the server is unreachable or a tool is missing.
set -uo pipefail

BASE="${1:-${ASYNCGATE_URL:-http://127.0.0.1:8080}}"
BASE="${BASE%/}"
HEALTH="$BASE/v1/health"
MAX_BODY="${HTTP_MAX_BODY_BYTES:-2097152}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PASSED=0
FAILED=()

for tool in curl python3; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool"; exit 2; }
done

ok() { PASSED=$((PASSED + 1)); echo "ok    $1"; }
fail() { FAILED+=("$1"); echo "FAIL  $1: $2"; }

# curl with the verbose trace (headers both ways, connection re-use) in $WORK/trace, the body in
# $WORK/body and the request body bytes actually sent in $WORK/uploaded; never fails by itself.
run_curl() {
    curl -sS -v --max-time 20 -o "$WORK/body" -w '%{size_upload}\n' "$@" >"$WORK/uploaded" 2>"$WORK/trace" || true
}

# Final statuses (1xx excluded) in the trace, one per line.
statuses() { grep -E '^< HTTP/1\.[01] [0-9]{3}' "$WORK/trace" | awk '{print $3}' | grep -v '^1'; }
has() { grep -qiE "$1" "$WORK/trace"; }

# The one error shape: {"detail": ..., "error": {"code": CODE, "message": ..., "request_id": ...}}.
json_error_code() {
    python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert isinstance(d.get("detail"), str) and d["error"]["message"] and d["error"]["request_id"], d
print(d["error"]["code"])' "$1" 2>/dev/null
}

wait_for_server() {
    for _ in $(seq 1 50); do
        curl -s -o /dev/null --max-time 1 "$HEALTH" && return 0
        sleep 0.2
    done
    echo "server not reachable at $BASE"
    exit 2
}

check_keep_alive() {
    local name="keep-alive: two requests re-use one connection"
    run_curl "$HEALTH" -o "$WORK/body2" "$HEALTH"
    if [[ "$(statuses | tr '\n' ' ')" != "200 200 " ]]; then fail "$name" "statuses $(statuses | tr '\n' ' ')"
    elif ! has '^\* (Re-using|Reusing) existing connection'; then fail "$name" "curl opened a second connection"
    elif has '^< Connection: close'; then fail "$name" "server announced close"
    elif ! has '^< Date: ' || ! has '^< Content-Length: [0-9]+' || ! has '^< X-Request-ID: '; then
        fail "$name" "Date / Content-Length / X-Request-ID missing"
    else ok "$name"; fi
}

check_http10() {
    local name="HTTP/1.0: answered, then closed"
    run_curl --http1.0 "$HEALTH"
    if [[ "$(statuses)" != "200" ]]; then fail "$name" "status $(statuses)"
    elif ! has '^< Connection: close'; then fail "$name" "no Connection: close"
    elif ! has '^< Content-Length: [0-9]+'; then fail "$name" "no Content-Length"
    else ok "$name"; fi

    name="HTTP/1.0 keep-alive: granted and announced"
    run_curl --http1.0 -H 'Connection: keep-alive' "$HEALTH" -o "$WORK/body2" "$HEALTH"
    if [[ "$(statuses | tr '\n' ' ')" != "200 200 " ]]; then fail "$name" "statuses $(statuses | tr '\n' ' ')"
    elif ! has '^< Connection: keep-alive'; then fail "$name" "no Connection: keep-alive"
    elif ! has '^\* (Re-using|Reusing) existing connection'; then fail "$name" "connection not re-used"
    else ok "$name"; fi
}

check_head() {
    local name="HEAD: headers with Content-Length, no body (next response on the connection parses)"
    run_curl --head "$HEALTH" --next -sS -o "$WORK/body2" "$HEALTH"
    local length
    length="$(grep -iE '^< Content-Length: ' "$WORK/trace" | head -1 | tr -dc '0-9')"
    if [[ "$(statuses | tr '\n' ' ')" != "200 200 " ]]; then fail "$name" "statuses $(statuses | tr '\n' ' ')"
    elif [[ -z "$length" || "$length" -eq 0 ]]; then fail "$name" "HEAD without a positive Content-Length"
    elif has 'Excess found|Leftovers after chunking'; then fail "$name" "HEAD response carried body bytes"
    elif ! has '^\* (Re-using|Reusing) existing connection'; then fail "$name" "connection not re-used"
    elif [[ "$(wc -c <"$WORK/body2")" -ne "$length" ]]; then fail "$name" "GET body length differs from HEAD's Content-Length"
    else ok "$name"; fi
}

check_json_error() {
    local name="$1" want_status="$2" want_code="$3"
    shift 3
    run_curl "$@"
    local code
    code="$(json_error_code "$WORK/body")"
    if [[ "$(statuses)" != "$want_status" ]]; then fail "$name" "status $(statuses), want $want_status"
    elif [[ "$code" != "$want_code" ]]; then fail "$name" "error code '$code', want $want_code: $(head -c 200 "$WORK/body" | tr '\n' ' ')"
    elif ! has '^< Content-Type: application/json'; then fail "$name" "not application/json"
    else ok "$name"; return 0; fi
    return 1
}

check_errors() {
    check_json_error "404: unknown route is a JSON error" 404 NOT_FOUND "$BASE/v1/definitely-not-a-route"
    check_json_error "405: wrong method is a JSON error with Allow" 405 METHOD_NOT_ALLOWED -X DELETE "$HEALTH" \
        && { has '^< Allow: .*GET' || fail "405 Allow header" "no Allow: GET"; }
    check_json_error "414: request line over the limit" 414 URI_TOO_LONG "$HEALTH?q=$(head -c 70000 /dev/zero | tr '\0' a)"
    check_json_error "431: header section over the limit" 431 HEADERS_TOO_LARGE \
        -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' b)" "$HEALTH"
}

check_expect_continue() {
    local name="Expect: 100-continue gets 100 Continue, then the final response"
    run_curl -X POST -H 'Expect: 100-continue' -H 'Content-Type: application/json' \
        --data-binary '{"type":"echo","payload":{}}' "$BASE/v1/tasks"
    if ! has '^< HTTP/1\.1 100 Continue'; then fail "$name" "no interim 100"
    elif [[ -z "$(statuses)" ]]; then fail "$name" "no final response"
    elif [[ "$(json_error_code "$WORK/body")" == "BAD_REQUEST" ]]; then fail "$name" "body not read: $(cat "$WORK/body")"
    else ok "$name ($(statuses))"; fi
}

check_body_limits() {
    local size=$((MAX_BODY + 1))
    head -c "$size" /dev/zero | tr '\0' x >"$WORK/big"

    local name="413 with Expect: 100-continue: answered from the headers, no 100, body never sent"
    run_curl -X POST -H 'Expect: 100-continue' -H 'Content-Type: application/json' \
        --data-binary @"$WORK/big" "$BASE/v1/tasks"
    if has '^< HTTP/1\.1 100 Continue'; then fail "$name" "server asked for the body"
    elif [[ "$(statuses)" != "413" ]]; then fail "$name" "status $(statuses)"
    elif [[ "$(json_error_code "$WORK/body")" != "PAYLOAD_TOO_LARGE" ]]; then fail "$name" "$(cat "$WORK/body")"
    elif ! has '^< Connection: close'; then fail "$name" "no Connection: close"
    elif [[ "$(head -1 "$WORK/uploaded")" != "0" ]]; then fail "$name" "$(head -1 "$WORK/uploaded") body bytes were sent"
    else ok "$name"; fi

    name="413 without Expect: the oversized upload is refused and the response still arrives"
    run_curl -X POST -H 'Expect:' -H 'Content-Type: application/json' --data-binary @"$WORK/big" "$BASE/v1/tasks"
    if [[ "$(statuses)" != "413" ]]; then fail "$name" "status '$(statuses)': $(grep -E '^curl|^\* (Send|Recv)' "$WORK/trace" | head -2)"
    elif [[ "$(json_error_code "$WORK/body")" != "PAYLOAD_TOO_LARGE" ]]; then fail "$name" "$(cat "$WORK/body")"
    else ok "$name"; fi

    name="chunked upload is de-chunked and reaches the route"
    printf '{"type":"echo","payload":{}}' >"$WORK/small"
    run_curl -X POST -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
        --data-binary @"$WORK/small" "$BASE/v1/tasks"
    if ! has '^> Transfer-Encoding: chunked'; then fail "$name" "curl did not send chunked"
    elif [[ -z "$(statuses)" ]]; then fail "$name" "no response"
    elif [[ "$(statuses)" == "501" || "$(json_error_code "$WORK/body")" == "BAD_REQUEST" ]]; then
        fail "$name" "framing rejected: $(statuses) $(head -c 200 "$WORK/body")"
    else ok "$name ($(statuses))"; fi
}

check_request_id_and_close() {
    local name="X-Request-ID echoed; Connection: close honoured"
    run_curl -H 'X-Request-ID: curl-check-1' -H 'Connection: close' "$HEALTH" -o "$WORK/body2" "$HEALTH"
    if [[ "$(statuses | tr '\n' ' ')" != "200 200 " ]]; then fail "$name" "statuses $(statuses | tr '\n' ' ')"
    elif ! has '^< X-Request-ID: curl-check-1'; then fail "$name" "request id not echoed"
    elif ! has '^< Connection: close'; then fail "$name" "no Connection: close"
    elif has '^\* (Re-using|Reusing) existing connection'; then fail "$name" "closed connection was re-used"
    else ok "$name"; fi
}

wait_for_server
check_keep_alive
check_http10
check_head
check_errors
check_expect_continue
check_body_limits
check_request_id_and_close

echo "$PASSED/$((PASSED + ${#FAILED[@]})) curl checks passed"
[[ ${#FAILED[@]} -eq 0 ]]

#!/usr/bin/env python3
"""Replays the COMPAT.md "golden path" client against a running AsyncGate.

    python3 golden_path.py BASE_URL        (e.g. http://127.0.0.1:8080)

The requests are the ones the original golden-path demo sends: health -> create (principal_ai,
expected_outcome_kind, expected_artifact_mime) -> claim with capabilities + accept_types -> running ->
complete with artifacts -> GET task shows succeeded -> GET /v1/receipts for the agent contains
task.assigned and task.completed -> the task is absent from /v1/obligations/open.

Stdlib only. Uses a fresh principal and task type, so it can share a server with other scripts.
Sends `Authorization: Bearer $ASYNCGATE_API_KEY` when that variable is set. Exits 0 on success,
1 with a message naming the step on the first mismatch.
"""
import json
import os
import re
import sys
import urllib.error
import urllib.request
import uuid

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")


class Mismatch(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Mismatch(message)


class Client:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.key = os.environ.get("ASYNCGATE_API_KEY")

    def call(self, method, path, body=None, auth=True):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if auth and self.key:
            request.add_header("Authorization", "Bearer " + self.key)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            status, headers, raw = e.code, e.headers, e.read()
        content_type = headers.get("Content-Type", "")
        check(content_type.startswith("application/json"),
              f"{method} {path}: Content-Type is {content_type!r}, expected application/json")
        try:
            payload = json.loads(raw)
        except ValueError:
            raise Mismatch(f"{method} {path}: body is not JSON: {raw[:200]!r}")
        return status, payload

    def ok(self, method, path, body=None, auth=True):
        status, payload = self.call(method, path, body, auth)
        check(status == 200, f"{method} {path}: HTTP {status} (expected 200): {json.dumps(payload)[:400]}")
        return payload


def run(base):
    c = Client(base)
    run_id = uuid.uuid4().hex[:12]
    agent = f"golden-agent-{run_id}"
    worker = f"golden-worker-{run_id}"
    task_type = f"golden.echo.{run_id}"

    # 1. health, with no credential at all
    h = c.ok("GET", "/v1/health", auth=False)
    check(h.get("status") == "healthy", f"health: status is {h.get('status')!r}")
    for field in ("service", "version", "instance_id"):
        check(field in h, f"health: missing {field!r}")

    # 2. create
    payload = {"task_summary": "Golden path demo task", "message": "Generate a demo artifact.", "task_type": task_type}
    created = c.ok("POST", f"/v1/tasks?principal_kind=agent&principal_id={agent}", {
        "type": task_type,
        "payload": payload,
        "principal_ai": agent,
        "expected_outcome_kind": "artifact_pointer",
        "expected_artifact_mime": "text/plain",
    })
    task_id = created.get("task_id")
    check(isinstance(task_id, str) and UUID_RE.match(task_id), f"create: task_id {task_id!r} is not a lowercase UUID")
    check(created.get("status") == "queued", f"create: status {created.get('status')!r}, expected 'queued'")

    # 3. claim, filtered by type
    claim = c.ok("POST", "/v1/leases/claim", {
        "worker_id": worker, "capabilities": ["demo"], "accept_types": [task_type], "max_tasks": 1,
    })
    tasks = claim.get("tasks")
    check(isinstance(tasks, list) and len(tasks) == 1, f"claim: expected exactly one task, got {tasks!r}")
    t = tasks[0]
    for field in ("task_id", "lease_id", "type", "payload", "payload_pointer", "principal_ai", "attempt",
                  "expires_at", "requirements", "expected_outcome_kind", "expected_artifact_mime"):
        check(field in t, f"claim: task lacks {field!r}")
    check(t["task_id"] == task_id, f"claim: got task {t['task_id']}, expected {task_id}")
    check(t["type"] == task_type, f"claim: type {t['type']!r}")
    check(t["payload"] == payload, f"claim: payload {t['payload']!r}")
    check(t["principal_ai"] == agent, f"claim: principal_ai {t['principal_ai']!r}")
    check(t["expected_outcome_kind"] == "artifact_pointer", f"claim: expected_outcome_kind {t['expected_outcome_kind']!r}")
    check(t["expected_artifact_mime"] == "text/plain", f"claim: expected_artifact_mime {t['expected_artifact_mime']!r}")
    check(t["attempt"] == 0, f"claim: attempt {t['attempt']!r}")
    check(isinstance(t["expires_at"], str) and TS_RE.match(t["expires_at"]), f"claim: expires_at {t['expires_at']!r}")
    lease_id = t["lease_id"]
    check(UUID_RE.match(lease_id or ""), f"claim: lease_id {lease_id!r}")

    # 4. running
    running = c.ok("POST", f"/v1/tasks/{task_id}/running", {"worker_id": worker, "lease_id": lease_id})
    check(running.get("ok") is True, f"running: ok is {running.get('ok')!r}")
    check(running.get("status") == "running", f"running: status {running.get('status')!r}")
    check(TS_RE.match(running.get("started_at") or ""), f"running: started_at {running.get('started_at')!r}")

    # 5. complete with artifacts
    artifact = {"type": "demo", "uri": f"memory://artifact/{task_id}", "mime": "text/plain", "bytes": len(task_id)}
    artifacts = [artifact]
    result_body = {"summary": "Golden path success", "artifact_uri": artifact["uri"]}
    done = c.ok("POST", f"/v1/tasks/{task_id}/complete", {
        "worker_id": worker, "lease_id": lease_id, "result": result_body, "artifacts": artifacts,
    })
    check(done.get("ok") is True, f"complete: ok is {done.get('ok')!r}")

    # 6. the task shows succeeded
    task = c.ok("GET", f"/v1/tasks/{task_id}")
    check(task.get("status") == "succeeded", f"get task: status {task.get('status')!r}, expected 'succeeded'")
    check(task.get("created_by") == {"kind": "agent", "id": agent}, f"get task: created_by {task.get('created_by')!r}")
    result = task.get("result") or {}
    check(result.get("result") == result_body, f"get task: result {result!r}")
    check(result.get("artifacts") == artifacts, f"get task: artifacts {result.get('artifacts')!r}")
    check(TS_RE.match(result.get("completed_at") or ""), f"get task: completed_at {result.get('completed_at')!r}")

    # 7. receipts addressed to the agent
    receipts = c.ok("GET", f"/v1/receipts?to_kind=agent&to_id={agent}&limit=200")
    check(isinstance(receipts.get("receipts"), list), f"receipts: {receipts!r}")
    mine = [r for r in receipts["receipts"] if r.get("task_id") == task_id]
    types = [r.get("receipt_type") for r in mine]
    check("task.assigned" in types, f"receipts: no task.assigned among {types}")
    check("task.completed" in types, f"receipts: no task.completed among {types}")
    for r in mine:
        for field in ("receipt_id", "receipt_type", "created_at", "from", "to", "task_id", "lease_id", "parents",
                      "body", "delivered_at"):
            check(field in r, f"receipts: {r.get('receipt_type')} lacks {field!r}")
    assigned = next(r for r in mine if r["receipt_type"] == "task.assigned")
    completed = next(r for r in mine if r["receipt_type"] == "task.completed")
    check(assigned["from"] == {"kind": "service", "id": "svc:asyncgate"}, f"task.assigned from {assigned['from']!r}")
    check(completed["parents"] == [assigned["receipt_id"]],
          f"task.completed parents {completed['parents']!r}, expected [{assigned['receipt_id']}]")
    stamps = [r["created_at"] for r in receipts["receipts"]]
    check(stamps == sorted(stamps), "receipts: not oldest first")

    # 8. no open obligation for this task any more
    open_ = c.ok("GET", f"/v1/obligations/open?principal_kind=agent&principal_id={agent}&limit=50")
    check(set(open_.keys()) == {"server", "relationship", "open_obligations", "cursor"},
          f"obligations: keys are {sorted(open_.keys())}")
    still_open = [o for o in open_["open_obligations"] if o.get("task_id") == task_id]
    check(not still_open, f"obligations: task {task_id} is still open: {still_open!r}")


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} BASE_URL", file=sys.stderr)
        return 2
    try:
        run(sys.argv[1])
    except Mismatch as e:
        print(f"golden_path: FAIL: {e}", file=sys.stderr)
        return 1
    except (OSError, urllib.error.URLError) as e:
        print(f"golden_path: FAIL: cannot talk to {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    print("golden_path: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

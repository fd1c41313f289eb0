#!/usr/bin/env python3
"""Replays the COMPAT.md command-executor worker against a running AsyncGate.

    python3 command_worker.py BASE_URL        (e.g. http://127.0.0.1:8080)

An agent queues three `command.execute` tasks (payload {command, output_path}); the worker sends
exactly what the reference command executor sends: it polls POST /v1/leases/claim with
{worker_id, capabilities: ["command.execute"], max_tasks: 1}, posts `running`, runs the command
(shell disabled, an allowlist of programs), writes the output under its output directory, then
completes with result {exit_code, output_path} and a single artifact object, or — when the command
may not run — fails with error {message}, retryable false. A command that runs and exits non-zero
is still a completion (it reports the exit code). It uses only `task_id`, `lease_id` and `payload`
from the claim response, and accepts 200/201 (204 = nothing to do). Then the agent-side view is
checked: statuses, stored result/error, receipts, obligations, and an idle poll ({"tasks": []}).

The worker's claim has no type filter, so in insecure dev mode every request carries a fresh
X-Tenant-ID: the script's tasks cannot be taken by, or take, another script's. (With a real API key
the header is ignored; run it against a server nobody else is using then.) Stdlib only. Sends
`Authorization: Bearer $ASYNCGATE_API_KEY` when that variable is set. Exits 0 on success, 1 with a
message naming the step on the first mismatch.
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import uuid


class Mismatch(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Mismatch(message)


class Client:
    def __init__(self, base, tenant):
        self.base = base.rstrip("/")
        self.key = os.environ.get("ASYNCGATE_API_KEY")
        self.tenant = tenant

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.key:
            request.add_header("Authorization", "Bearer " + self.key)
        request.add_header("X-Tenant-ID", self.tenant)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        if status == 204:
            return status, None
        try:
            payload = json.loads(raw)
        except ValueError:
            raise Mismatch(f"{method} {path}: body is not JSON: {raw[:200]!r}")
        return status, payload

    def ok(self, method, path, body=None, accept=(200,)):
        status, payload = self.call(method, path, body)
        check(status in accept, f"{method} {path}: HTTP {status} (expected {accept}): {json.dumps(payload)[:400]}")
        return payload


class Worker:
    """The command executor: one claim per poll, one task at a time, shell disabled."""

    ALLOWED = {"echo", "false"}

    def __init__(self, client, worker_id, out_dir):
        self.c = client
        self.worker_id = worker_id
        self.out_dir = out_dir

    def poll(self):
        status, claimed = self.c.call("POST", "/v1/leases/claim", {
            "worker_id": self.worker_id, "capabilities": ["command.execute"], "max_tasks": 1,
        })
        if status == 204:
            return None
        check(status == 200, f"claim: HTTP {status}: {claimed!r}")
        tasks = claimed.get("tasks")
        check(isinstance(tasks, list), f"claim: 'tasks' is {tasks!r}")
        if not tasks:
            return None
        task = tasks[0]
        task_id, lease_id, payload = task.get("task_id"), task.get("lease_id"), task.get("payload", {})
        check(task_id and lease_id, f"claim: task without task_id/lease_id: {task!r}")
        ref = {"worker_id": self.worker_id, "lease_id": lease_id}

        self.c.ok("POST", f"/v1/tasks/{task_id}/running", ref, accept=(200, 201))

        outcome = self.execute(payload["command"], payload["output_path"])
        if outcome["success"]:
            answer = self.c.ok("POST", f"/v1/tasks/{task_id}/complete", dict(
                ref,
                result={"exit_code": outcome["exit_code"], "output_path": outcome["output_path"]},
                artifacts={"output_path": outcome["output_path"], "content_type": "application/json",
                           "description": "Command execution output"},
            ), accept=(200, 201))
            check(answer.get("ok") is True, f"complete: {answer!r}")
        else:
            answer = self.c.ok("POST", f"/v1/tasks/{task_id}/fail", dict(
                ref, error={"message": outcome["error"]}, retryable=False,
            ), accept=(200, 201))
            check(answer.get("ok") is True, f"fail: {answer!r}")
            check(answer.get("requeued") is False, f"fail: a non-retryable failure was requeued: {answer!r}")
        return task_id

    def execute(self, command, output_path):
        args = shlex.split(command)
        if not args or args[0] not in self.ALLOWED:
            return {"success": False, "error": f"Command not allowed: {args[0] if args else ''}"}
        proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
        target = os.path.join(self.out_dir, output_path)
        with open(target, "w") as f:
            json.dump({"command": command, "exit_code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}, f)
        return {"success": True, "exit_code": proc.returncode, "output_path": os.path.abspath(target)}


def run(base):
    run_id = uuid.uuid4().hex[:12]
    c = Client(base, str(uuid.uuid4()))
    agent = f"cmd-agent-{run_id}"

    def create(command, output):
        return c.ok("POST", f"/v1/tasks?principal_kind=agent&principal_id={agent}", {
            "type": "command.execute", "payload": {"command": command, "output_path": output},
            "requirements": {"capabilities": ["command.execute"]},
        })["task_id"]

    echo = create("echo hello-from-command-worker", "echo.json")
    nonzero = create("false", "false.json")
    forbidden = create("rm -rf /", "rm.json")

    with tempfile.TemporaryDirectory() as out_dir:
        worker = Worker(c, f"command-executor-{run_id[:8]}", out_dir)
        for expected in (echo, nonzero, forbidden):
            got = worker.poll()
            check(got == expected, f"poll: got task {got}, expected {expected} (claims must be oldest first)")
        check(worker.poll() is None, "idle poll: expected no task")
        status, idle = c.call("POST", "/v1/leases/claim", {"worker_id": worker.worker_id, "capabilities": ["command.execute"]})
        check(status == 200 and idle == {"tasks": []}, f"idle poll: HTTP {status} {idle!r}, expected {{\"tasks\": []}}")

        done = c.ok("GET", f"/v1/tasks/{echo}")
        check(done.get("status") == "succeeded", f"echo task: status {done.get('status')!r}")
        path = os.path.abspath(os.path.join(out_dir, "echo.json"))
        result = (done.get("result") or {}).get("result")
        check(result == {"exit_code": 0, "output_path": path}, f"echo task: result {result!r}")
        artifacts = (done.get("result") or {}).get("artifacts")
        check(isinstance(artifacts, dict) and artifacts.get("output_path") == path, f"echo task: artifacts {artifacts!r}")
        with open(path) as f:
            check(json.load(f)["stdout"].strip() == "hello-from-command-worker", "echo task: output not written")

    ran = c.ok("GET", f"/v1/tasks/{nonzero}")
    check(ran.get("status") == "succeeded", f"non-zero task: status {ran.get('status')!r}")
    check(((ran.get("result") or {}).get("result") or {}).get("exit_code") == 1, f"non-zero task: {ran.get('result')!r}")

    failed = c.ok("GET", f"/v1/tasks/{forbidden}")
    check(failed.get("status") == "failed", f"forbidden task: status {failed.get('status')!r}")
    error = (failed.get("result") or {}).get("error")
    check(error == {"message": "Command not allowed: rm"}, f"forbidden task: error {error!r}")

    inbox = c.ok("GET", f"/v1/receipts?to_kind=agent&to_id={agent}&limit=200")["receipts"]
    for task_id, terminal in ((echo, "task.completed"), (nonzero, "task.completed"), (forbidden, "task.failed")):
        types = [r["receipt_type"] for r in inbox if r.get("task_id") == task_id]
        for t in ("task.assigned", "task.accepted", "task.started", terminal, "task.result_ready"):
            check(t in types, f"task {task_id}: no {t} receipt among {types}")

    # The single artifact object makes every completion locatable; the failure is terminal: nothing
    # stays open.
    open_ = c.ok("GET", f"/v1/obligations/open?principal_kind=agent&principal_id={agent}")
    still = [o.get("task_id") for o in open_["open_obligations"]]
    check(not still, f"obligations still open for {still}")


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} BASE_URL", file=sys.stderr)
        return 2
    try:
        run(sys.argv[1])
    except Mismatch as e:
        print(f"command_worker: FAIL: {e}", file=sys.stderr)
        return 1
    except (OSError, urllib.error.URLError, KeyError, subprocess.SubprocessError) as e:
        print(f"command_worker: FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print("command_worker: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

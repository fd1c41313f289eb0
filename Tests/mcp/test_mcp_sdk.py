#!/usr/bin/env python3
"""AsyncGate's MCP facade driven by the official MCP Python SDK (black box).

    python3 Tests/mcp/test_mcp_sdk.py BASE_URL [--key KEY]

BASE_URL is the server root (http://127.0.0.1:8080); the MCP endpoint is BASE_URL/mcp. The key
(or ASYNCGATE_API_KEY) is sent as a Bearer token; without one the server must run in insecure
development mode. Works with the 2.x SDK (sessionless 2026-07-28 via server/discover, and the
initialize handshake via mode="legacy") and with the 1.x SDK (`mcp<2`, handshake only). To run
the same checks under several interpreters (one venv per SDK line), list them, colon-separated, in
ASYNCGATE_MCP_PYTHONS; each runs as a child process.

Checks: tools are listed with input schemas; create -> claim -> start -> complete -> obligations
through MCP only; engine errors are tool errors with AsyncGate's codes; a wrong key (and, with a
key, no key) is refused with 401 and a WWW-Authenticate challenge. Ends with 'N passed, N failed';
exit status 0 only when everything passed.
"""
import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import traceback
import urllib.error
import urllib.request
import uuid

EXPECTED_TOOLS = {
    "asyncgate.bootstrap", "asyncgate.create_task", "asyncgate.get_task", "asyncgate.list_tasks",
    "asyncgate.cancel_task", "asyncgate.list_receipts", "asyncgate.ack_receipt",
    "asyncgate.list_open_obligations", "asyncgate.lease_next", "asyncgate.renew_lease",
    "asyncgate.start_task", "asyncgate.report_progress", "asyncgate.complete", "asyncgate.fail",
    "asyncgate.get_config",
}


def log(message):
    print(f"mcp-sdk: {message}", flush=True)


# --- SDK adapters: one small interface over the 2.x Client and the 1.x ClientSession ----------

def sdk_major():
    from importlib.metadata import version
    return int(version("mcp").split(".")[0])


def connect(url, headers, mode):
    """An async context manager yielding an object with list_tools() and call_tool(name, args)."""
    if sdk_major() >= 2:
        import httpx2
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client
        http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0))
        return _Closing(Client(streamable_http_client(url, http_client=http), mode=mode, cache=None), http)
    return _LegacySession(url, headers)


class _Closing:
    def __init__(self, client, http):
        self.client, self.http = client, http

    async def __aenter__(self):
        await self.http.__aenter__()
        try:
            return await self.client.__aenter__()
        except BaseException:
            await self.http.__aexit__(None, None, None)
            raise

    async def __aexit__(self, *exc):
        try:
            return await self.client.__aexit__(*exc)
        finally:
            await self.http.__aexit__(None, None, None)


class _LegacySession:
    """mcp 1.x: streamablehttp_client + ClientSession + initialize."""

    def __init__(self, url, headers):
        self.url, self.headers = url, headers
        self.stack = contextlib.AsyncExitStack()

    async def __aenter__(self):
        from mcp import ClientSession
        from mcp.client.streamable_http import streamablehttp_client
        await self.stack.__aenter__()
        try:
            read, write, _ = await self.stack.enter_async_context(streamablehttp_client(self.url, headers=self.headers))
            self.session = await self.stack.enter_async_context(ClientSession(read, write))
            result = await self.session.initialize()
        except BaseException:
            await self.stack.__aexit__(*sys.exc_info())
            raise
        self.protocol_version = str(result.protocolVersion)
        return self

    async def __aexit__(self, *exc):
        return await self.stack.__aexit__(*exc)

    async def list_tools(self):
        return await self.session.list_tools()

    async def call_tool(self, name, arguments):
        return await self.session.call_tool(name, arguments)


def payload(result):
    """(is_error, structured JSON) of a CallToolResult, from structuredContent or the text block."""
    is_error = bool(getattr(result, "is_error", getattr(result, "isError", False)))
    structured = getattr(result, "structured_content", getattr(result, "structuredContent", None))
    text = result.content[0].text if result.content else None
    if text is not None:
        assert json.loads(text) == structured or structured is None, "text and structured content differ"
        if structured is None:
            structured = json.loads(text)
    return is_error, structured


async def ok(client, name, arguments):
    is_error, body = payload(await client.call_tool(name, arguments))
    assert not is_error, f"{name} failed: {body}"
    return body


# --- checks ------------------------------------------------------------------------------------

async def check_tools(url, headers, mode):
    async with connect(url, headers, mode) as client:
        # "auto" must settle on the sessionless revision (server/discover answered), "legacy" on a
        # handshake one: proof that both eras work, not that one silently fell back to the other.
        version = client.protocol_version
        expected = "2026-07-28" if mode == "auto" else ("2025-06-18", "2025-11-25")
        assert version in ((expected,) if isinstance(expected, str) else expected), f"negotiated {version}"
        listed = await client.list_tools()
        names = {t.name for t in listed.tools}
        missing = EXPECTED_TOOLS - names
        assert not missing, f"missing tools: {sorted(missing)}"
        for tool in listed.tools:
            schema = getattr(tool, "input_schema", getattr(tool, "inputSchema", None))
            assert schema and schema.get("type") == "object", f"{tool.name} has no object input schema"


async def check_flow(url, headers, mode):
    owner = f"sdk-agent-{uuid.uuid4().hex[:8]}"
    task_type = f"sdk-echo-{uuid.uuid4().hex[:8]}"  # private type: other tests' tasks are never claimed
    async with connect(url, headers, mode) as client:
        created = await ok(client, "asyncgate.create_task",
                           {"type": task_type, "payload": {"n": 1}, "principal_id": owner, "principal_ai": "sdk"})
        task_id = created["task_id"]
        boot = await ok(client, "asyncgate.bootstrap", {"principal_id": owner})
        assert task_id in [o["task_id"] for o in boot["open_obligations"]], "new task is not an open obligation"

        claimed = await ok(client, "asyncgate.lease_next", {"worker_id": "sdk-worker", "accept_types": [task_type]})
        assert [t["task_id"] for t in claimed["tasks"]] == [task_id], f"claimed {claimed}"
        ref = {"worker_id": "sdk-worker", "task_id": task_id, "lease_id": claimed["tasks"][0]["lease_id"]}
        await ok(client, "asyncgate.start_task", ref)
        await ok(client, "asyncgate.report_progress", {**ref, "progress": {"percent": 50}})
        await ok(client, "asyncgate.complete", {**ref, "result": {"echo": 1}, "artifacts": [{"uri": "s3://b/k"}]})

        task = await ok(client, "asyncgate.get_task", {"task_id": task_id})
        assert task["status"] == "succeeded", task
        open_after = await ok(client, "asyncgate.list_open_obligations", {"principal_kind": "agent", "principal_id": owner})
        assert task_id not in [o["task_id"] for o in open_after["open_obligations"]], "obligation still open"

        is_error, body = payload(await client.call_tool("asyncgate.complete", {**ref, "lease_id": str(uuid.uuid4()), "result": {}}))
        assert is_error and body["error"]["code"] == "LEASE_INVALID_OR_EXPIRED", f"complete with a wrong lease: {body}"
        is_error, body = payload(await client.call_tool("asyncgate.get_task", {"task_id": str(uuid.uuid4())}))
        assert is_error and body["error"]["code"] == "TASK_NOT_FOUND", body


async def check_refused(url, headers, mode):
    try:
        async with connect(url, headers, mode) as client:
            await client.list_tools()
    except BaseException as e:  # the SDKs surface a 401 as various exception (group) types
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return
    raise AssertionError("the server accepted the request")


def check_challenge(url, headers):
    """Raw POST: a refused request is a 401 whose challenge points to the resource metadata."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-11-25", **headers})
    try:
        urllib.request.urlopen(req, timeout=30)
    except urllib.error.HTTPError as e:
        assert e.code == 401, f"status {e.code}"
        challenge = e.headers.get("WWW-Authenticate", "")
        assert challenge.startswith("Bearer ") and "resource_metadata=" in challenge, challenge
        metadata_url = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
        with urllib.request.urlopen(metadata_url, timeout=30) as r:
            doc = json.load(r)
        assert doc["resource"].endswith("/mcp") and "header" in doc["bearer_methods_supported"], doc
        return
    raise AssertionError("the server accepted the request")


# --- driver ------------------------------------------------------------------------------------

def run_checks(base_url, key):
    url = base_url.rstrip("/") + "/mcp"
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    modes = ["auto", "legacy"] if sdk_major() >= 2 else ["legacy"]
    checks = []
    for mode in modes:
        checks.append((f"tools/list [{mode}]", lambda m=mode: asyncio.run(check_tools(url, auth, m))))
        checks.append((f"create -> claim -> complete -> obligations [{mode}]", lambda m=mode: asyncio.run(check_flow(url, auth, m))))
    wrong = {"Authorization": "Bearer ag_wrongwrongwrongwrongwrongwrongwrong"}
    checks.append(("wrong key refused", lambda: asyncio.run(check_refused(url, wrong, modes[0]))))
    checks.append(("wrong key gets a 401 challenge", lambda: check_challenge(url, wrong)))
    if key:
        checks.append(("missing key refused", lambda: asyncio.run(check_refused(url, {}, modes[0]))))
        checks.append(("missing key gets a 401 challenge", lambda: check_challenge(url, {})))

    from importlib.metadata import version
    log(f"python {sys.version.split()[0]}, mcp {version('mcp')}, {url}")
    passed = failed = 0
    for name, check in checks:
        try:
            check()
            passed += 1
            log(f"PASS {name}")
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt):
                raise
            failed += 1
            log(f"FAIL {name}: {e!r}")
            traceback.print_exc()
    return passed, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("--key", default=os.environ.get("ASYNCGATE_API_KEY"))
    args = parser.parse_args()

    pythons = [p for p in os.environ.get("ASYNCGATE_MCP_PYTHONS", "").split(":") if p]
    if pythons:
        passed = failed = 0
        env = {k: v for k, v in os.environ.items() if k != "ASYNCGATE_MCP_PYTHONS"}
        for python in pythons:
            cmd = [python, os.path.abspath(__file__), args.base_url] + (["--key", args.key] if args.key else [])
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            sys.stdout.write(out.stdout)
            sys.stderr.write(out.stderr)
            tally = [line for line in out.stdout.splitlines() if line.endswith(" failed") and " passed, " in line]
            if tally:
                p, f = tally[-1].split(" passed, ")
                passed, failed = passed + int(p), failed + int(f.split()[0])
            if out.returncode != 0 and not tally:
                failed += 1
        print(f"{passed} passed, {failed} failed")
        sys.exit(0 if failed == 0 and passed > 0 else 1)

    try:
        import mcp  # noqa: F401
    except ImportError:
        log("the 'mcp' package is not installed: pip install 'mcp>=2' (and 'mcp<2' in a second venv)")
        print("0 passed, 1 failed")
        sys.exit(1)
    passed, failed = run_checks(args.base_url, args.key)
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Black-box HTTP/1.1 conformance checks against a running AsyncGate server, over raw sockets.

Usage: http_conformance.py [BASE_URL]   (default http://127.0.0.1:8080; env ASYNCGATE_URL also works)
Uses GET /v1/health as the known-good route. Exits non-zero if any check fails.
"""
import json
import os
import socket
import sys
import time
from urllib.parse import urlparse

BASE = urlparse(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ASYNCGATE_URL", "http://127.0.0.1:8080"))
HOST, PORT = BASE.hostname or "127.0.0.1", BASE.port or 80
PATH = "/v1/health"
FAILURES = []


def connect(timeout=5.0):
    sock = socket.create_connection((HOST, PORT), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def response(self, head=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        assert parts[0] == "HTTP/1.1", f"bad status line {lines[0]!r}"
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = b""
        status = int(parts[1])
        if status >= 200 and not head:
            length = int(headers.get("content-length", "0"))
            while len(self.buf) < length:
                self._fill()
            body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body

    def closed(self):
        """True if the server closes (EOF or reset) with nothing more to read."""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return self.buf == b""
                self.buf += data
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def check(name):
    def decorator(function):
        def run():
            try:
                function()
                print(f"ok    {name}")
            except Exception as error:  # noqa: BLE001 - report every failure and go on
                FAILURES.append(name)
                print(f"FAIL  {name}: {error!r}")
        run.__name__ = function.__name__
        CHECKS.append(run)
        return function
    return decorator


CHECKS = []


def get(path=PATH, extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{extra}\r\n".encode()


def expect_error(request, status, code):
    sock = connect()
    sock.sendall(request)
    reader = Reader(sock)
    got, headers, body = reader.response()
    assert got == status, f"status {got}, want {status}"
    payload = json.loads(body)
    assert payload["error"]["code"] == code, payload
    assert "detail" in payload, payload
    assert headers.get("connection") == "close", headers
    assert reader.closed(), "connection not closed after protocol error"


@check("keep-alive: three requests on one connection")
def keep_alive():
    sock = connect()
    reader = Reader(sock)
    for _ in range(3):
        sock.sendall(get())
        status, headers, _ = reader.response()
        assert status == 200, status
        assert "date" in headers and "content-length" in headers and "x-request-id" in headers, headers


@check("pipelining: 20 requests in one packet answered in order")
def pipelining():
    sock = connect()
    sock.sendall(b"".join(get(extra=f"X-Request-ID: pipe-{i}\r\n") for i in range(20)))
    reader = Reader(sock)
    ids = [reader.response()[1].get("x-request-id") for _ in range(20)]
    assert ids == [f"pipe-{i}" for i in range(20)], ids


@check("a request written one byte at a time")
def tiny_writes():
    sock = connect()
    for byte in get():
        sock.sendall(bytes([byte]))
    assert Reader(sock).response()[0] == 200


@check("HTTP/1.0 without keep-alive is closed after the response")
def http10():
    sock = connect()
    sock.sendall(f"GET {PATH} HTTP/1.0\r\n\r\n".encode())
    reader = Reader(sock)
    status, headers, _ = reader.response()
    assert status == 200 and headers.get("connection") == "close", headers
    assert reader.closed()


@check("HEAD has Content-Length but no body")
def head():
    sock = connect()
    sock.sendall(f"HEAD {PATH} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode() + get())
    reader = Reader(sock)
    status, headers, _ = reader.response(head=True)
    assert status == 200 and int(headers["content-length"]) > 0, headers
    assert reader.response()[0] == 200  # would fail to parse if HEAD had sent body bytes


@check("Connection: close is honoured")
def connection_close():
    sock = connect()
    sock.sendall(get(extra="Connection: close\r\n"))
    reader = Reader(sock)
    assert reader.response()[1].get("connection") == "close"
    assert reader.closed()


@check("unknown route is a JSON 404")
def not_found():
    sock = connect()
    sock.sendall(get("/v1/definitely-not-a-route"))
    status, headers, body = Reader(sock).response()
    assert status == 404, status
    assert "code" in json.loads(body)["error"]


@check("400: Content-Length with Transfer-Encoding")
def cl_te():
    expect_error(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n".encode(), 400, "BAD_REQUEST")


@check("400: duplicate Content-Length")
def dup_cl():
    expect_error(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na".encode(), 400, "BAD_REQUEST")


@check("400: obs-fold")
def obs_fold():
    expect_error(f"GET {PATH} HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n".encode(), 400, "BAD_REQUEST")


@check("400: whitespace before colon")
def space_colon():
    expect_error(f"GET {PATH} HTTP/1.1\r\nHost : x\r\n\r\n".encode(), 400, "BAD_REQUEST")


@check("400: bare LF")
def bare_lf():
    expect_error(f"GET {PATH} HTTP/1.1\nHost: x\n\n".encode(), 400, "BAD_REQUEST")


@check("400: missing Host")
def missing_host():
    expect_error(f"GET {PATH} HTTP/1.1\r\n\r\n".encode(), 400, "BAD_REQUEST")


@check("400: NUL byte in a header")
def nul_header():
    expect_error(f"GET {PATH} HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n".encode(), 400, "BAD_REQUEST")


@check("400: malformed chunk size")
def bad_chunk():
    expect_error(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".encode(), 400, "BAD_REQUEST")


@check("505: HTTP/2.0 request line")
def version():
    expect_error(f"GET {PATH} HTTP/2.0\r\nHost: x\r\n\r\n".encode(), 505, "HTTP_VERSION_NOT_SUPPORTED")


@check("414: request line over the limit")
def uri_too_long():
    expect_error(get("/" + "a" * 70000), 414, "URI_TOO_LONG")


@check("431: header section over the limit")
def headers_too_large():
    expect_error(get(extra="X-Big: " + "b" * 70000 + "\r\n"), 431, "HEADERS_TOO_LARGE")


@check("413: answered from Content-Length without sending the body")
def payload_too_large():
    expect_error(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n".encode(), 413, "PAYLOAD_TOO_LARGE")


@check("Expect: 100-continue gets an interim 100 before the body")
def expect_continue():
    sock = connect()
    sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".encode())
    reader = Reader(sock)
    assert reader.response()[0] == 100
    sock.sendall(b"{}")
    assert reader.response()[0] >= 200


@check("dropped, reset and garbage connections do not hurt the server")
def abuse():
    for index in range(60):
        sock = connect()
        if index % 3 == 0:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Partial: ")
        elif index % 3 == 1:
            sock.sendall(os.urandom(2000))
        else:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nabc")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    sock = connect()
    sock.sendall(get())
    assert Reader(sock).response()[0] == 200


@check("200 concurrent keep-alive connections are all served")
def many_connections():
    socks = [connect() for _ in range(200)]
    for sock in socks:
        sock.sendall(get())
    for sock in socks:
        assert Reader(sock).response()[0] == 200
        sock.close()


def main():
    deadline = time.time() + 10
    while True:
        try:
            connect(1).close()
            break
        except OSError:
            if time.time() > deadline:
                print(f"server not reachable at {HOST}:{PORT}")
                return 2
            time.sleep(0.2)
    for run in CHECKS:
        run()
    print(f"{len(CHECKS) - len(FAILURES)}/{len(CHECKS)} HTTP black-box checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

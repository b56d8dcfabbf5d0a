"""A raw HTTP/1.1 client for testing the emulator: it sees every byte, chunk and reset."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

KEY = "sk-ant-test-0123456789abcdef"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}


def body(**changes: Any) -> dict[str, Any]:
    """A valid streaming request body, with *changes* applied."""
    return {
        "model": "claude-emulated",
        "max_tokens": 64,
        "stream": True,
        "messages": [{"role": "user", "content": "Tell me about pelicans"}],
        **changes,
    }


@dataclass
class RawResponse:
    """What a raw client received: the status, headers, de-chunked body and how it ended."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict[str, str])
    body: bytes = b""
    chunks: list[bytes] = field(default_factory=list[bytes])
    complete: bool = False
    error: OSError | None = None
    raw: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        """Parse an LF-framed event stream into (event name, data JSON) pairs."""
        out: list[tuple[str, dict[str, Any]]] = []
        for block in self.body.split(b"\n\n"):
            name, data = "", list[bytes]()
            for line in block.split(b"\n"):
                field_name, _, value = line.partition(b":")
                value = value.removeprefix(b" ")
                if field_name == b"event":
                    name = value.decode()
                elif field_name == b"data":
                    data.append(value)
            if data:
                try:
                    out.append((name, json.loads(b"\n".join(data))))
                except ValueError:  # F10, F11: keep the broken data where it was
                    out.append((name, {"broken": b"\n".join(data)}))
        return out


def _dechunk(rest: bytes) -> tuple[bytes, list[bytes], bool]:
    chunks: list[bytes] = []
    i = 0
    while True:
        end = rest.find(b"\r\n", i)
        if end < 0:
            return b"".join(chunks), chunks, False
        size = int(rest[i:end].split(b";")[0], 16)
        if size == 0:
            return b"".join(chunks), chunks, rest[end + 2 : end + 4] == b"\r\n"
        start = end + 2
        if len(rest) < start + size + 2:
            chunks.append(rest[start : start + size])
            return b"".join(chunks), chunks, False
        chunks.append(rest[start : start + size])
        i = start + size + 2


def parse(raw: bytes, error: OSError | None = None) -> RawResponse:
    """Parse the bytes of one HTTP/1.1 response (read until the server closed)."""
    response = RawResponse(raw=raw, error=error)
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep or not raw.startswith(b"HTTP/"):
        return response  # no head yet (or only the tail of a body read in pieces)
    lines = head.decode("latin-1").split("\r\n")
    response.status = int(lines[0].split(" ")[1])
    for line in lines[1:]:
        name, _, value = line.partition(":")
        response.headers[name.strip().lower()] = value.strip()
    if response.headers.get("transfer-encoding") == "chunked":
        response.body, response.chunks, response.complete = _dechunk(rest)
    elif "content-length" in response.headers:
        length = int(response.headers["content-length"])
        response.body, response.complete = rest[:length], len(rest) >= length
    else:
        response.body, response.complete = rest, error is None
    return response


def connect(url: str, timeout: float = 5.0) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname or "", parts.port or 80), timeout=timeout)


def request_bytes(
    payload: dict[str, Any] | bytes | None = None,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/v1/messages",
) -> bytes:
    """The bytes of one request that asks the server to close the connection afterwards.

    *headers* replace the default ones (a key and a version); *extra* are added to them.
    """
    headers = {**(HEADERS if headers is None else headers), **(extra or {})}
    data = payload if isinstance(payload, bytes) else json.dumps(payload or {}).encode()
    lines = [f"{method} {path} HTTP/1.1", "host: emulator", "connection: close"]
    lines += ["content-type: application/json", f"content-length: {len(data)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def read_all(sock: socket.socket) -> RawResponse:
    """Read until the server closes (or resets) the connection, then parse."""
    received = bytearray()
    error: OSError | None = None
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except OSError as exc:  # ConnectionResetError, or a timeout (a test failure)
        error = exc
    return parse(bytes(received), error)


def send(
    url: str,
    payload: dict[str, Any] | bytes | None = None,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/v1/messages",
    timeout: float = 5.0,
) -> RawResponse:
    """Send one request on a fresh connection and read the whole response."""
    with connect(url, timeout) as sock:
        sock.sendall(request_bytes(payload, headers=headers, extra=extra, method=method, path=path))
        return read_all(sock)


def scenario(code: str, **options: Any) -> dict[str, str]:
    """Headers choosing scenario *code* with *options*."""
    return {"x-emulator-scenario": code, "x-emulator-options": json.dumps(options)}

"""A client's settings: the key (kept secret), the base URL, the retry and timeout limits.

`Settings` is frozen and shared by `Client` and `AsyncClient`; `with_options` makes a changed
copy. The key lives in a `Secret`, whose repr and str mask it, so no repr, log line or
traceback of a client shows it (research/reliability.md "Security"; DESIGN.md decision 10).
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import math
import os
import platform
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, final, overload

import httpx

from .._version import __version__
from ._transport import TransportName, async_mounts, check_transport, sync_mounts

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_EVENT_BYTES",
    "Secret",
    "Settings",
    "check_headers",
    "mask",
    "user_agent",
]

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
_MESSAGES_PATH = "/v1/messages"
#: The default bound on one event, and on what decompression may make of one, in bytes.
#: The largest real event is a few MiB (a tool's input, a server tool's result); the API
#: takes at most 32 MB in a request, so no document it read back can be much larger; F15
#: tests 10 MiB. A 50 MiB event, or a gzip bomb, fails with `EventTooLargeError` instead.
DEFAULT_MAX_EVENT_BYTES = 32 * 1024 * 1024
# RFC 9110 §5.6.2: a header name is a token; a value is visible ASCII, spaces and tabs.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FIELD_VALUE = re.compile(r"[\x20-\x7e\t]*")
_HOST = re.compile(r"[A-Za-z0-9._-]+")
_CHARACTER_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", " ": "a space"}


def mask(secret: str) -> str:
    """Mask a credential as ``sk-…wxyz``: a short one (under 16 characters) as a bare ``…``."""
    return f"{secret[:3]}…{secret[-4:]}" if len(secret) >= 16 else "…"


@final
class Secret:
    """A string that never shows itself: ``repr`` and ``str`` give `mask` of it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself (only to put it in the ``x-api-key`` header)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({mask(self._value)!r})"

    def __str__(self) -> str:
        return mask(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled: the key would leave the process")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761 §6.3: always loopback
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _positive(name: str, value: float | None, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected {name} to be a number of seconds, got {value!r}")
    if not (0 < value < math.inf):  # NaN fails both comparisons
        raise ValueError(
            f"expected {name} to be a positive, finite number of seconds, got {value!r}"
            + (" (pass None for no limit)" if optional else "")
        )


def _count(name: str, value: int | None, *, least: int, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected {name} to be an int, got {value!r}")
    if value < least:
        raise ValueError(
            f"expected {name} >= {least}, got {value}"
            + (" (pass None for no limit)" if optional else "")
        )


def _describe(char: str) -> str:
    return _CHARACTER_NAMES.get(char, f"U+{ord(char):04X}")


def check_api_key(key: Secret) -> None:
    """Refuse a key that cannot be a header value, naming it only by its `mask`.

    Raises:
        ValueError: the key holds a character outside visible ASCII (a newline, a control
            character, a space, a non-ASCII letter: a paste gone wrong).
    """
    value = key.reveal()
    for position, char in enumerate(value):
        if not "!" <= char <= "~":
            raise ValueError(
                f"expected api_key to be visible ASCII, but {str(key)!r} holds "
                f"{_describe(char)} at position {position} of {len(value)} (a paste gone "
                "wrong? check for a trailing newline)"
            )


def check_headers(headers: Mapping[str, str], where: str) -> None:
    """Refuse a header that would break the request or smuggle another header into it.

    Raises:
        TypeError: a name or value is not a string.
        ValueError: a name is not an HTTP token, or a value holds CR, LF, another control
            character or a non-ASCII character.
    """
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"expected str header names and values in {where}, got {name!r}")
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"expected a header name made of token characters, got {name!r}")
        if not _FIELD_VALUE.fullmatch(value):
            bad = next(c for c in value if not ("\x20" <= c <= "\x7e" or c == "\t"))
            raise ValueError(
                f"expected the value of the {name!r} header (in {where}) to be printable "
                f"ASCII, but it holds {_describe(bad)}: CR or LF would end the header"
            )


def check_base_url(base_url: str, *, allow_insecure_http: bool) -> httpx.URL:
    """Return the URL of ``/v1/messages`` under *base_url*, refusing plain http off loopback.

    Raises:
        ValueError: empty, not an http(s) URL with a valid host and port, a path that
            already ends in ``/v1``, or plain http to a host that is not loopback.
    """
    if not isinstance(base_url, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"expected base_url to be a str, got {base_url!r}")
    example = "such as 'https://api.anthropic.com'"
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise ValueError(
            f"expected an http(s) base_url {example}, got {base_url!r}: {exc}"
        ) from None
    host = url.raw_host.decode("ascii", "replace")
    if url.scheme not in ("http", "https") or not host:
        raise ValueError(f"expected an http(s) base_url {example}, got {base_url!r}")
    if not (_HOST.fullmatch(host) or _is_ip(host)):
        raise ValueError(
            f"expected a valid host name in base_url, got {url.host!r} in {base_url!r}"
        )
    if url.port is not None and not 0 < url.port < 65536:
        raise ValueError(
            f"expected a port from 1 to 65535 in base_url, got {url.port} in {base_url!r}"
        )
    path = url.path.rstrip("/")
    if path.endswith(("/v1", _MESSAGES_PATH)):
        root = path.removesuffix(_MESSAGES_PATH).removesuffix("/v1")
        meant = str(url.copy_with(path=root or "/", query=None, fragment=None)).rstrip("/")
        raise ValueError(
            f"expected base_url without the API's path, got {base_url!r}: {_MESSAGES_PATH} is "
            f"added for you (pass {meant!r})"
        )
    if url.scheme == "http" and not allow_insecure_http and not _is_loopback(url.host):
        # DESIGN.md decision 10: the key and the prompt would cross the network in clear.
        raise ValueError(
            f"expected an https base_url or a loopback http one, got {base_url!r}: plain http "
            "would send the API key in clear (pass allow_insecure_http=True to do it anyway)"
        )
    return url.copy_with(path=url.path.rstrip("/") + _MESSAGES_PATH, query=None, fragment=None)


@functools.cache
def user_agent() -> str:
    """The ``user-agent`` header: this library, httpx and Python versions."""
    return (
        f"anthropic-rx/{__version__} httpx/{httpx.__version__} "
        f"{platform.python_implementation()}/{platform.python_version()}"
    )


@dataclass(frozen=True)
class Settings:
    """Everything a client needs besides its HTTP client; see `Client` for each field."""

    api_key: Secret
    base_url: str = DEFAULT_BASE_URL
    max_retries: int = 2
    max_retry_wait: float = 60.0
    connect_timeout: float = 5.0
    idle_timeout: float = 60.0
    content_timeout: float | None = None
    deadline: float | None = None
    create_timeout: float = 600.0
    default_headers: Mapping[str, str] = field(default_factory=dict[str, str])
    allow_insecure_http: bool = False
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES
    transport: TransportName = "auto"
    url: httpx.URL = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.api_key, Secret):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError("expected api_key to be a str")
        check_api_key(self.api_key)
        _count("max_retries", self.max_retries, least=0)
        _count("max_event_bytes", self.max_event_bytes, least=1, optional=True)
        if not (self.max_retry_wait >= 0):
            raise ValueError(f"expected max_retry_wait >= 0, got {self.max_retry_wait!r}")
        _positive("connect_timeout", self.connect_timeout)
        _positive("idle_timeout", self.idle_timeout)
        _positive("create_timeout", self.create_timeout)
        _positive("content_timeout", self.content_timeout, optional=True)
        _positive("deadline", self.deadline, optional=True)
        for name in self.default_headers:
            if name.lower() in ("x-api-key", "authorization"):
                raise ValueError(f"pass the key as api_key=, not as a {name!r} default header")
        check_headers(self.default_headers, "default_headers")
        check_transport(self.transport)
        url = check_base_url(self.base_url, allow_insecure_http=self.allow_insecure_http)
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "default_headers", dict(self.default_headers))

    @classmethod
    def from_arguments(cls, api_key: str | None, base_url: str | None, **options: Any) -> Settings:
        """Build settings, reading ``ANTHROPIC_API_KEY`` / ``ANTHROPIC_BASE_URL`` when omitted.

        Raises:
            ValueError: no key anywhere, or an invalid option.
        """
        key = api_key if api_key is not None else os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise ValueError(
                "expected an API key: pass api_key= or set the ANTHROPIC_API_KEY variable"
            )
        if not isinstance(key, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"expected api_key to be a str, got {type(key).__name__}")
        # An empty base_url is a mistake, never "the real API"; an empty variable is unset.
        url = base_url if base_url is not None else os.environ.get("ANTHROPIC_BASE_URL")
        url = url if url is not None and (url or base_url is not None) else DEFAULT_BASE_URL
        return cls(api_key=Secret(key), base_url=url, **options)

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with *changes* (``api_key`` may be given as a plain string)."""
        if changes.get("transport", self.transport) != self.transport:
            raise ValueError(
                "expected no transport= in with_options(): the copy shares this client's "
                "connections (make a new client for another transport)"
            )
        if isinstance(changes.get("api_key"), str):
            changes["api_key"] = Secret(changes["api_key"])
        return dataclasses.replace(self, **changes)

    def headers(self) -> dict[str, str]:
        """The headers of every request except the key and the attempt number."""
        return {
            "anthropic-version": API_VERSION,
            "content-type": "application/json",
            # Only what `_http.Inflate` decodes in bounded pieces (not br or zstd).
            "accept-encoding": "gzip, deflate",
            "user-agent": user_agent(),
            **self.default_headers,
        }

    def http_timeout(self) -> httpx.Timeout:
        """The httpx timeouts: read is the idle timeout (httpx's read timeout is per read)."""
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.idle_timeout,
            write=self.idle_timeout,
            pool=self.idle_timeout,
        )

    @overload
    def http_mounts(
        self, transport: type[httpx.HTTPTransport]
    ) -> dict[str, httpx.BaseTransport]: ...
    @overload
    def http_mounts(
        self, transport: type[httpx.AsyncHTTPTransport]
    ) -> dict[str, httpx.AsyncBaseTransport]: ...
    def http_mounts(
        self, transport: type[httpx.HTTPTransport] | type[httpx.AsyncHTTPTransport]
    ) -> dict[str, httpx.BaseTransport] | dict[str, httpx.AsyncBaseTransport]:
        """Plain http goes straight to the host, whatever the proxy variables say.

        Plain http is only allowed to loopback (the emulator) or by ``allow_insecure_http``;
        through a proxy the key would cross the network in clear. https keeps httpx's
        ``trust_env``: ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` apply, and the proxy
        only relays the TLS tunnel (``CONNECT``), so it never sees the key. An async client
        sends with aiohttp where `_transport.async_mounts` says so (``transport=``).

        Raises:
            ValueError: ``transport="aiohttp"`` for the sync client, ``"urllib3"`` for the
                async one.
        """
        limits = self.http_limits()
        if transport is httpx.AsyncHTTPTransport:
            return async_mounts(limits, self.transport)
        return sync_mounts(limits, self.transport)

    def http_limits(self) -> httpx.Limits:
        """The pool of a client we create: as wide as the official SDK's (1,000 connections)."""
        return httpx.Limits(max_connections=1000, max_keepalive_connections=100)

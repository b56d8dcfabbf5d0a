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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, final

import httpx

from .._version import __version__

__all__ = ["DEFAULT_BASE_URL", "Secret", "Settings", "mask", "user_agent"]

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
_MESSAGES_PATH = "/v1/messages"


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
    if value is None or not (value > 0) or math.isnan(value):
        raise ValueError(f"expected {name} to be a positive number of seconds, got {value!r}")


def check_base_url(base_url: str, *, allow_insecure_http: bool) -> httpx.URL:
    """Return the URL of ``/v1/messages`` under *base_url*, refusing plain http off loopback.

    Raises:
        ValueError: not http(s), or plain http to a host that is not loopback.
    """
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"expected an http(s) base_url, got {base_url!r}")
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
    max_event_bytes: int | None = None
    url: httpx.URL = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"expected max_retries >= 0, got {self.max_retries}")
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
        url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL
        return cls(api_key=Secret(key), base_url=url, **options)

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with *changes* (``api_key`` may be given as a plain string)."""
        if isinstance(changes.get("api_key"), str):
            changes["api_key"] = Secret(changes["api_key"])
        return dataclasses.replace(self, **changes)

    def headers(self) -> dict[str, str]:
        """The headers of every request except the key and the attempt number."""
        return {
            "anthropic-version": API_VERSION,
            "content-type": "application/json",
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

    def http_limits(self) -> httpx.Limits:
        """The pool of a client we create: as wide as the official SDK's (1,000 connections)."""
        return httpx.Limits(max_connections=1000, max_keepalive_connections=100)

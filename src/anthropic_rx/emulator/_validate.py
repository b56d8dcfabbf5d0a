"""Check a request the way the Messages API does, with the API's error types and wording.

Checks run in the API's order: the key (401), the ``anthropic-version`` header (400), then the
body (400). Unknown top-level fields are accepted, because the API grows new parameters faster
than an emulator, and rejecting them would fail a client that is right.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, cast

from ._wire import JSONObject, is_list

__all__ = ["Problem", "check_auth", "check_body", "check_version", "parse_body", "presented_key"]

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_THINKING_TYPES = ("enabled", "disabled", "adaptive")
_TOOL_CHOICES = ("auto", "any", "tool", "none")


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a request is refused: the HTTP status, the API's ``error.type`` and a message."""

    status: int
    type: str
    message: str
    details: JSONObject | None = None


def _bad(message: str) -> Problem:
    return Problem(400, "invalid_request_error", message)


def presented_key(headers: Mapping[str, str]) -> str | None:
    """Return the credential a request carries: ``x-api-key``, else a ``Bearer`` token.

    The official SDK 2.x sends ``Authorization: Bearer``; older SDKs and curl send
    ``x-api-key``. The API accepts both.
    """
    if headers.get("x-api-key"):
        return headers["x-api-key"]
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def check_auth(headers: Mapping[str, str], api_key: str | None) -> Problem | None:
    """Refuse a request without a key, or with another key than *api_key* when one is set."""
    key = presented_key(headers)
    if key is None:
        return Problem(401, "authentication_error", "x-api-key header is required")
    if api_key is not None and key != api_key:
        return Problem(401, "authentication_error", "invalid x-api-key")
    return None


def check_version(headers: Mapping[str, str], required: bool) -> Problem | None:
    """Refuse a request without ``anthropic-version`` when the emulator requires it."""
    if required and not headers.get("anthropic-version"):
        return _bad("anthropic-version: header is required")
    return None


def parse_body(raw: bytes) -> tuple[JSONObject | None, Problem | None]:
    """Parse the body as a JSON object, or say why it is not one."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        return None, _bad(f"There was an error parsing the body: {exc}")
    if not isinstance(body, dict):
        return None, _bad("Request body must be a JSON object")
    return cast("JSONObject", body), None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_messages(messages: object) -> Problem | None:
    if not is_list(messages):
        return _bad("messages: Input should be a valid list")
    if not messages:
        return _bad("messages: at least one message is required")
    last = len(messages) - 1
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            return _bad(f"messages.{i}: Input should be a valid dictionary")
        message = cast("JSONObject", message)
        role = message.get("role")
        if role is None:
            return _bad(f"messages.{i}.role: Field required")
        if role not in ("user", "assistant"):
            return _bad(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if "content" not in message:
            return _bad(f"messages.{i}.content: Field required")
        content: Any = message["content"]
        if not (isinstance(content, str) or is_list(content)):
            return _bad(f"messages.{i}.content: Input should be a valid string or list")
        if not content and not (i == last and role == "assistant"):
            return _bad(
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        if is_list(content):
            for j, block in enumerate(content):
                if not isinstance(block, dict) or "type" not in block:
                    return _bad(f"messages.{i}.content.{j}.type: Field required")
    if cast("JSONObject", messages[0]).get("role") != "user":
        return _bad('messages: first message must use the "user" role')
    return _check_tool_pairs(cast("list[JSONObject]", messages))


def _blocks(message: JSONObject) -> list[JSONObject]:
    content: Any = message.get("content")
    return [cast("JSONObject", b) for b in content] if is_list(content) else []


def _check_tool_use(i: int, j: int, block: JSONObject, seen: set[str]) -> Problem | None:
    kind = block["type"]
    where = f"messages.{i}.content.{j}.{kind}"
    for name in ("id", "name"):
        if not isinstance(block.get(name), str):
            return _bad(f"{where}.{name}: Field required")
    if not isinstance(block.get("input"), dict):
        return _bad(f"{where}.input: Input should be a valid dictionary")
    if block["id"] in seen:
        return _bad(f"messages.{i}.content.{j}: `tool_use` ids must be unique")
    seen.add(str(block["id"]))
    return None


def _check_tool_pairs(messages: list[JSONObject]) -> Problem | None:
    """Check that tool calls and their results pair up, with the API's wording.

    Each ``tool_use`` of an assistant turn needs a ``tool_result`` in the next (user) turn,
    and each ``tool_result`` answers a ``tool_use`` of the turn just before. A server tool's
    result (``web_search_tool_result`` …) follows its ``server_tool_use`` in an assistant turn;
    the last assistant turn may end with a ``server_tool_use`` left open (a paused turn sent
    back to be continued).
    """
    seen: set[str] = set()
    server_calls: set[str] = set()
    previous: list[str] = []  # the tool_use ids of the turn before
    previous_index = -1
    for i, message in enumerate(messages):
        role = message.get("role")
        calls: list[str] = []
        answered: set[str] = set()
        for j, block in enumerate(_blocks(message)):
            kind = block.get("type")
            if kind in ("tool_use", "server_tool_use") and role == "assistant":
                problem = _check_tool_use(i, j, block, seen)
                if problem is not None:
                    return problem
                if kind == "tool_use":
                    calls.append(str(block["id"]))
                else:
                    server_calls.add(str(block["id"]))
            elif kind == "tool_result":
                ident = block.get("tool_use_id")
                if not isinstance(ident, str):
                    return _bad(f"messages.{i}.content.{j}.tool_result.tool_use_id: Field required")
                content: Any = block.get("content", "")
                if not (isinstance(content, str) or is_list(content)):
                    return _bad(
                        f"messages.{i}.content.{j}.tool_result.content: Input should be a valid "
                        "string or list"
                    )
                if "is_error" in block and not isinstance(block["is_error"], bool):
                    return _bad(
                        f"messages.{i}.content.{j}.tool_result.is_error: Input should be a valid "
                        "boolean"
                    )
                if role != "user" or ident not in previous:
                    return _bad(
                        f"messages.{i}.content.{j}: unexpected `tool_use_id` found in "
                        f"`tool_result` blocks: {ident}. Each `tool_result` block must have a "
                        "corresponding `tool_use` block in the previous message."
                    )
                answered.add(ident)
            elif isinstance(kind, str) and kind.endswith("_tool_result") and role == "assistant":
                ident = block.get("tool_use_id")
                if not isinstance(ident, str) or ident not in server_calls:
                    return _bad(
                        f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `{kind}` "
                        f"blocks: {ident}. Each `{kind}` block must have a corresponding "
                        "`server_tool_use` block before it."
                    )
        if previous and role == "user":
            missing = [ident for ident in previous if ident not in answered]
            if missing:
                return _bad(
                    f"messages.{previous_index}: `tool_use` ids were found without "
                    f"`tool_result` blocks immediately after: {', '.join(missing)}. Each "
                    "`tool_use` block must have a corresponding `tool_result` block in the "
                    "next message."
                )
            previous = []
        if role == "assistant" and calls:
            previous, previous_index = calls, i
            if i + 1 < len(messages) and messages[i + 1].get("role") != "user":
                return _bad(
                    f"messages.{i}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(calls)}. Each `tool_use` block must have a "
                    "corresponding `tool_result` block in the next message."
                )
    return None


def _check_tools(tools: object) -> Problem | None:
    if not is_list(tools):
        return _bad("tools: Input should be a valid list")
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            return _bad(f"tools.{i}: Input should be a valid dictionary")
        tool = cast("JSONObject", tool)
        if not isinstance(tool.get("name"), str):
            return _bad(f"tools.{i}.name: Field required")
        if tool.get("type", "custom") != "custom":
            continue  # a server tool (web_search_…): its shape is the API's business
        if not _TOOL_NAME.match(str(tool["name"])):
            return _bad(
                f"tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'"
            )
        if not isinstance(tool.get("input_schema"), dict):
            return _bad(f"tools.{i}.custom.input_schema: Field required")
    return None


def _check_thinking(thinking: object, max_tokens: int) -> Problem | None:
    if not isinstance(thinking, dict):
        return _bad("thinking: Input should be a valid dictionary")
    thinking = cast("JSONObject", thinking)
    kind = thinking.get("type")
    if kind not in _THINKING_TYPES:
        return _bad("thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'")
    if kind != "enabled":
        return None
    budget = thinking.get("budget_tokens")
    if not _is_int(budget):
        return _bad("thinking.enabled.budget_tokens: Field required")
    if cast("int", budget) < 1024:
        return _bad("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
    if max_tokens <= cast("int", budget):
        return _bad("`max_tokens` must be greater than `thinking.budget_tokens`")
    return None


def _check_options(body: JSONObject) -> Problem | None:
    if "stream" in body and not isinstance(body["stream"], bool):
        return _bad("stream: Input should be a valid boolean")
    if "system" in body and not isinstance(body["system"], str | list):
        return _bad("system: Input should be a valid string or list")
    for name, high in (("temperature", 1.0), ("top_p", 1.0)):
        if name in body:
            value = body[name]
            if not _is_number(value):
                return _bad(f"{name}: Input should be a valid number")
            if not 0.0 <= value <= high:
                return _bad(f"{name}: Input should be between 0 and {high:g}")
    if "top_k" in body and not (_is_int(body["top_k"]) and body["top_k"] >= 0):
        return _bad("top_k: Input should be a non-negative integer")
    if "stop_sequences" in body and not isinstance(body["stop_sequences"], list):
        return _bad("stop_sequences: Input should be a valid list")
    if "metadata" in body:
        metadata = body["metadata"]
        if not isinstance(metadata, dict):
            return _bad("metadata: Input should be a valid dictionary")
        user_id = cast("JSONObject", metadata).get("user_id")
        if user_id is not None and not isinstance(user_id, str):
            return _bad("metadata.user_id: Input should be a valid string")
    if "output_config" in body:
        problem = _check_output_config(body["output_config"])
        if problem is not None:
            return problem
    if "tool_choice" in body:
        choice = body["tool_choice"]
        if (
            not isinstance(choice, dict)
            or cast("JSONObject", choice).get("type") not in _TOOL_CHOICES
        ):
            return _bad("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
        choice = cast("JSONObject", choice)
        if choice["type"] == "tool" and not isinstance(choice.get("name"), str):
            return _bad("tool_choice.tool.name: Field required")
    return None


def _check_output_config(config: object) -> Problem | None:
    if not isinstance(config, dict):
        return _bad("output_config: Input should be a valid dictionary")
    fmt = cast("JSONObject", config).get("format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or cast("JSONObject", fmt).get("type") != "json_schema":
        return _bad("output_config.format.type: Input should be 'json_schema'")
    if not isinstance(cast("JSONObject", fmt).get("schema"), dict):
        return _bad("output_config.format.json_schema.schema: Field required")
    return None


def check_body(body: JSONObject, models: Collection[str] | None = None) -> Problem | None:
    """Check the fields of a Messages request, returning the first problem or ``None``.

    Args:
        body: the parsed request body.
        models: the model names to accept, or ``None`` for any non-empty name.
    """
    model = body.get("model")
    if model is None:
        return _bad("model: Field required")
    if not isinstance(model, str) or not model:
        return _bad("model: Input should be a valid string")
    max_tokens = body.get("max_tokens")
    if max_tokens is None:
        return _bad("max_tokens: Field required")
    if not _is_int(max_tokens):
        return _bad("max_tokens: Input should be a valid integer")
    if cast("int", max_tokens) < 1:
        return _bad("max_tokens: Input should be greater than or equal to 1")
    if "messages" not in body:
        return _bad("messages: Field required")
    problem = _check_messages(body["messages"]) or _check_options(body)
    if problem is None and "tools" in body:
        problem = _check_tools(body["tools"])
    if problem is None and "thinking" in body:
        problem = _check_thinking(body["thinking"], cast("int", max_tokens))
    if problem is None and models is not None and model not in models:
        return Problem(404, "not_found_error", f"model: {model}")
    return problem

"""The emulator checks requests as the Messages API does, and answers in the API's error shape."""

from __future__ import annotations

from typing import Any

import pytest

from anthropic_rx.emulator import Emulator

from .helpers import HEADERS, KEY, body, send

TOOL = {"name": "get_weather", "input_schema": {"type": "object"}}


def assert_error(response: Any, status: int, error_type: str, message: str = "") -> None:
    assert response.status == status, response.raw[:500]
    payload = response.json()
    assert payload["type"] == "error"
    assert payload["error"]["type"] == error_type
    assert message in payload["error"]["message"]
    assert payload["request_id"] == response.headers["request-id"]
    assert payload["request_id"].startswith("req_")


def test_a_request_without_a_key_gets_401_authentication_error(emu: Emulator) -> None:
    response = send(emu.base_url, body(), headers={"anthropic-version": "2023-06-01"})
    assert_error(response, 401, "authentication_error", "x-api-key")


def test_a_bearer_token_is_accepted_like_the_official_sdk_sends_it(emu: Emulator) -> None:
    headers = {"authorization": f"Bearer {KEY}", "anthropic-version": "2023-06-01"}
    assert send(emu.base_url, body(), headers=headers).status == 200


def test_a_wrong_key_gets_401_when_the_emulator_has_a_key() -> None:
    with Emulator(api_key="sk-the-right-key-1234567") as emu:
        assert_error(send(emu.base_url, body()), 401, "authentication_error", "invalid")
        right = {**HEADERS, "x-api-key": "sk-the-right-key-1234567"}
        assert send(emu.base_url, body(), headers=right).status == 200
        assert emu.stats.wait_idle()


def test_a_missing_anthropic_version_header_gets_400(emu: Emulator) -> None:
    response = send(emu.base_url, body(), headers={"x-api-key": KEY})
    assert_error(response, 400, "invalid_request_error", "anthropic-version")


def test_the_version_check_can_be_turned_off() -> None:
    with Emulator(require_version=False) as emu:
        assert send(emu.base_url, body(), headers={"x-api-key": KEY}).status == 200
        assert emu.stats.wait_idle()


def test_a_body_that_is_not_json_gets_400(emu: Emulator) -> None:
    assert_error(send(emu.base_url, b"{not json"), 400, "invalid_request_error", "parsing the body")


def test_a_body_that_is_not_an_object_gets_400(emu: Emulator) -> None:
    assert_error(send(emu.base_url, b"[1, 2]"), 400, "invalid_request_error", "JSON object")


USER = {"role": "user", "content": "hi"}


BAD_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"model": None}, "model: Field required"),
    ({"model": 3}, "model: Input should be a valid string"),
    ({"model": ""}, "model: Input should be a valid string"),
    ({"max_tokens": None}, "max_tokens: Field required"),
    ({"max_tokens": "64"}, "max_tokens: Input should be a valid integer"),
    ({"max_tokens": True}, "max_tokens: Input should be a valid integer"),
    ({"max_tokens": 0}, "max_tokens: Input should be greater than or equal to 1"),
    ({"messages": None}, "messages: Field required"),
    ({"messages": "hi"}, "messages: Input should be a valid list"),
    ({"messages": []}, "messages: at least one message is required"),
    (
        {"messages": [{"role": "assistant", "content": "hi"}]},
        'first message must use the "user"',
    ),
    ({"messages": [{"role": "system", "content": "hi"}]}, "messages.0.role"),
    ({"messages": [{"content": "hi"}]}, "messages.0.role: Field required"),
    ({"messages": [{"role": "user"}]}, "messages.0.content: Field required"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages.0.content"),
    ({"messages": [{"role": "user", "content": ""}]}, "non-empty content"),
    ({"messages": [USER, {"role": "assistant", "content": []}, USER]}, "messages.1"),
    ({"messages": [{"role": "user", "content": [{"text": "x"}]}]}, "content.0.type"),
    ({"stream": "yes"}, "stream: Input should be a valid boolean"),
    ({"temperature": 2}, "temperature"),
    ({"system": 5}, "system"),
    ({"metadata": {"user_id": 5}}, "metadata.user_id"),
    ({"tools": {}}, "tools: Input should be a valid list"),
    ({"tools": [{"input_schema": {}}]}, "tools.0.name: Field required"),
    ({"tools": [{"name": "bad name", "input_schema": {}}]}, "tools.0.custom.name"),
    ({"tools": [{"name": "t"}]}, "tools.0.custom.input_schema: Field required"),
    ({"tool_choice": {"type": "sometimes"}}, "tool_choice.type"),
    ({"tool_choice": {"type": "tool"}}, "tool_choice.tool.name"),
    ({"thinking": {"type": "on"}}, "thinking.type"),
    ({"thinking": {"type": "enabled", "budget_tokens": 100}}, "greater than or equal to 1024"),
    ({"thinking": {"type": "enabled", "budget_tokens": 2048}}, "`max_tokens` must be greater"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_BODIES)
def test_a_bad_body_gets_400_invalid_request_error_naming_the_field(
    emu: Emulator, changes: dict[str, Any], message: str
) -> None:
    payload = body(**changes)
    for name, value in changes.items():
        if value is None:
            del payload[name]
    assert_error(send(emu.base_url, payload), 400, "invalid_request_error", message)


@pytest.mark.parametrize(
    "changes",
    [
        {"messages": [USER, {"role": "assistant", "content": ""}]},  # a prefill may be empty
        {"messages": [USER, USER]},  # consecutive turns are merged by the API
        {"tools": [{"type": "web_search_20250305", "name": "web_search"}]},  # a server tool
        {"thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 2000},
        {"thinking": {"type": "adaptive"}},
        {"some_future_parameter": {"x": 1}},
    ],
)
def test_valid_bodies_are_accepted(emu: Emulator, changes: dict[str, Any]) -> None:
    assert send(emu.base_url, body(**changes)).status == 200


def test_an_unknown_model_gets_404_when_models_are_restricted() -> None:
    with Emulator(models={"claude-emulated"}) as emu:
        assert_error(
            send(emu.base_url, body(model="claude-nope")), 404, "not_found_error", "claude-nope"
        )
        assert send(emu.base_url, body()).status == 200
        assert emu.stats.wait_idle()


def test_a_body_over_the_limit_gets_413_request_too_large() -> None:
    with Emulator(max_body=1000) as emu:
        payload = body(messages=[{"role": "user", "content": "x" * 2000}])
        assert_error(send(emu.base_url, payload), 413, "request_too_large")
        assert emu.stats.wait_idle()


def test_other_paths_get_404_and_other_methods_405(emu: Emulator) -> None:
    assert_error(send(emu.base_url, body(), path="/v1/complete"), 404, "not_found_error")
    response = send(emu.base_url, None, method="GET")
    assert_error(response, 405, "invalid_request_error")
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("payload", "headers", "status"),
    [
        (body(), HEADERS, 200),
        (body(stream=False), HEADERS, 200),
        (body(), {}, 401),
        (b"nope", HEADERS, 400),
    ],
)
def test_every_response_has_a_request_id_and_rate_limit_headers(
    emu: Emulator, payload: Any, headers: dict[str, str], status: int
) -> None:
    response = send(emu.base_url, payload, headers=headers)
    assert response.status == status
    assert response.headers["request-id"].startswith("req_")
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        for suffix in ("limit", "remaining", "reset"):
            assert f"anthropic-ratelimit-{kind}-{suffix}" in response.headers
    assert response.headers["anthropic-ratelimit-requests-reset"].endswith("Z")


def test_bad_emulator_control_gets_a_400_that_says_emulator(emu: Emulator) -> None:
    for extra in (
        {"x-emulator-scenario": "F99"},
        {"x-emulator-options": "[1]"},
        {"x-emulator-options": "{nope"},
        {"x-emulator-recording": "/etc/passwd"},
        {"x-emulator-pace": "-1"},
        {"x-emulator-options": '{"times": "twice"}'},
    ):
        response = send(emu.base_url, body(), extra=extra)
        assert_error(response, 400, "invalid_request_error", "emulator:")

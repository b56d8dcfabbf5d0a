"""The SDK's surface on our clients: ``betas``, ``create().info``, ``with_raw_response``,
``count_tokens`` (and the emulator's ``POST /v1/messages/count_tokens``), against the
emulator over real sockets; where the SDK does the same thing, it is asked too."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2
import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import final_message
from tests.client.helpers import KEY, WAIT, async_client, client, params, scenario

BETAS = ["context-management-2025-06-27", "mcp-client-2025-11-20"]


def sdk(emu: Emulator) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key=KEY, base_url=emu.base_url, max_retries=0, http_client=httpx2.Client()
    )


def test_betas_are_sent_as_the_anthropic_beta_header_as_the_sdk_sends_them(emu: Emulator) -> None:
    with sdk(emu) as theirs, theirs.beta.messages.stream(**params(), betas=BETAS) as s:
        s.until_done()
    with client(emu) as c:
        c.messages.stream(**params(betas=BETAS)).pipe(final_message()).run()
        c.messages.create(**params(betas=BETAS))
    sdk_record, stream_record, create_record = emu.stats.requests()
    expected = sdk_record.header("anthropic-beta")
    assert expected == ",".join(BETAS)
    assert stream_record.header("anthropic-beta") == expected
    assert create_record.header("anthropic-beta") == expected
    assert "betas" not in json.loads(stream_record.body)


def test_extra_headers_win_over_betas_as_in_the_sdk(emu: Emulator) -> None:
    with client(emu) as c:
        c.messages.create(**params(betas=BETAS, extra_headers={"anthropic-beta": "x"}))
    (record,) = emu.stats.requests()
    assert record.header("anthropic-beta") == "x"


@pytest.mark.parametrize("betas", ["one-beta", [""], [3]])
def test_betas_must_be_a_list_of_names_before_anything_is_sent(emu: Emulator, betas: Any) -> None:
    with client(emu) as c, pytest.raises(TypeError, match="betas"):
        c.messages.create(**params(betas=betas))
    assert emu.stats.requests() == []


def test_create_returns_a_message_with_the_info_a_stream_has(emu: Emulator) -> None:
    with client(emu) as c:
        stream = c.messages.stream(**params())
        streamed = stream.pipe(final_message()).run()
        message = c.messages.create(**params())
    assert isinstance(message.info, type(stream.info))
    assert message.info.request_id == emu.stats.requests()[-1].request_id
    assert message.info.status_code == 200 and message.info.attempts == 1
    assert message.info.headers["content-type"].startswith("application/json")
    assert streamed.info is None  # a message not made by create() has none
    assert "info" not in message.model_dump()
    assert message == streamed.model_copy(update={"id": message.id})  # info is not compared


def test_create_info_counts_the_retries(emu: Emulator) -> None:
    headers = scenario("F02", status=500)
    with client(emu, max_retries=2) as c:
        message = c.messages.create(**params(extra_headers=headers))
    assert message.info.attempts == 2 and len(message.info.request_ids) == 2


def test_with_raw_response_gives_the_response_and_parses_to_the_message(emu: Emulator) -> None:
    with client(emu) as c:
        raw = c.messages.with_raw_response.create(**params())
    (record,) = emu.stats.requests()
    assert raw.status_code == 200
    assert raw.request_id == raw.headers["request-id"] == record.request_id
    message = raw.parse()
    assert isinstance(message, arx.events.Message) and message.info is raw.info
    assert raw.json() == message.model_dump(mode="json", exclude_none=True) | raw.json()
    assert json.loads(raw.text)["id"] == message.id


def test_count_tokens_matches_the_sdk_and_the_usage_of_the_same_request(emu: Emulator) -> None:
    count_params = {k: v for k, v in params(system="Be brief.").items() if k != "max_tokens"}
    with sdk(emu) as theirs:
        their_count = theirs.messages.count_tokens(**count_params)
    with client(emu) as c:
        ours = c.messages.count_tokens(**count_params)
        message = c.messages.create(**params(system="Be brief."))
    assert ours.input_tokens == their_count.input_tokens == message.usage.input_tokens
    sdk_record, our_record, _ = emu.stats.requests()
    assert our_record.path == sdk_record.path == "/v1/messages/count_tokens"
    assert json.loads(our_record.body) == json.loads(sdk_record.body) == count_params


@pytest.mark.anyio
async def test_async_count_tokens_create_info_and_raw_response(emu: Emulator) -> None:
    count_params = {k: v for k, v in params().items() if k != "max_tokens"}
    async with async_client(emu) as c:
        count = await c.messages.count_tokens(**count_params, betas=BETAS)
        message = await c.messages.create(**params())
        raw = await c.messages.with_raw_response.count_tokens(**count_params)
    assert count.input_tokens == message.usage.input_tokens == raw.parse().input_tokens
    assert message.info.request_id == emu.stats.requests()[1].request_id
    assert emu.stats.requests()[0].header("anthropic-beta") == ",".join(BETAS)
    assert raw.status_code == 200


def test_count_tokens_refuses_max_tokens_before_anything_is_sent(emu: Emulator) -> None:
    with client(emu) as c, pytest.raises(TypeError, match="max_tokens"):
        c.messages.count_tokens(**params())  # type: ignore[typeddict-unknown-key]
    assert emu.stats.requests() == []


def test_the_emulator_checks_a_count_tokens_request_as_a_messages_one(emu: Emulator) -> None:
    with client(emu) as c, pytest.raises(arx.BadRequestError, match="messages"):
        c.messages.count_tokens(model="claude-emulated", messages="not a list")  # type: ignore[arg-type]
    url = f"{emu.base_url}/v1/messages/count_tokens"
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    with httpx2.Client() as http:
        answer = http.post(url, headers=headers, json=params())
        assert answer.status_code == 400 and "max_tokens" in answer.json()["error"]["message"]
        assert http.post(url, json=params()).status_code == 401  # no key
        assert http.get(url, headers=headers).status_code == 405


def test_a_conversation_sends_betas_on_every_turn(emu: Emulator) -> None:
    with client(emu) as c:
        c.messages.conversation(**params(betas=BETAS)).final_message(timeout=WAIT)
    assert [r.header("anthropic-beta") for r in emu.stats.requests()] == [",".join(BETAS)]

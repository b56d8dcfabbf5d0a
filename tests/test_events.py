"""parse_event: routing on the JSON type, unknown pass-through, typed errors."""

from __future__ import annotations

import pytest

import anthropic_rx as arx
from anthropic_rx import events as ev


def sse(data: str, event: str = "message") -> arx.ServerSentEvent:
    return arx.ServerSentEvent(event=event, data=data)


def test_events_are_routed_on_the_json_type_not_the_event_name() -> None:
    parsed = arx.parse_event(sse('{"type":"message_stop"}', event="content_block_stop"))
    assert isinstance(parsed, ev.MessageStopEvent)


def test_a_data_only_frame_is_routed_on_its_json_type() -> None:
    data = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}'
    parsed = arx.parse_event(sse(data))
    assert isinstance(parsed, ev.ContentBlockDeltaEvent) and isinstance(parsed.delta, ev.TextDelta)


def test_the_event_name_is_the_fallback_when_the_json_has_no_type() -> None:
    assert isinstance(arx.parse_event(sse("{}", event="message_stop")), ev.MessageStopEvent)


def test_trailing_padding_inside_the_data_line_is_fine() -> None:
    data = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}      '
    parsed = arx.parse_event(sse(data, event="content_block_delta"))
    assert isinstance(parsed, ev.ContentBlockDeltaEvent) and parsed.index == 0


def test_ping_is_a_ping_event() -> None:
    assert arx.parse_event(sse('{"type": "ping"}', event="ping")) == ev.PingEvent()


def test_an_error_event_is_a_typed_value_that_becomes_its_typed_exception() -> None:
    data = '{"type":"error","error":{"details":null,"type":"rate_limit_error","message":"slow"},"request_id":"req_9"}'
    parsed = arx.parse_event(sse(data, event="error"))
    assert isinstance(parsed, ev.ErrorEvent)
    exc = parsed.to_exception()
    assert isinstance(exc, arx.RateLimitError) and exc.request_id == "req_9" and exc.mid_stream


def test_an_unknown_error_type_is_a_plain_api_status_error() -> None:
    parsed = arx.parse_event(
        sse('{"type":"error","error":{"type":"brand_new_error","message":"?"}}')
    )
    assert isinstance(parsed, ev.ErrorEvent)
    assert type(parsed.to_exception()) is arx.APIStatusError


def test_unknown_event_types_pass_through_with_their_data() -> None:
    parsed = arx.parse_event(sse('{"type":"brand_new_event","x":[1]}', event="brand_new_event"))
    assert isinstance(parsed, arx.UnknownEvent)
    assert (parsed.type, parsed.event, parsed.data) == (
        "brand_new_event",
        "brand_new_event",
        {"type": "brand_new_event", "x": [1]},
    )


def test_an_unknown_event_name_with_non_json_data_passes_through_raw() -> None:
    parsed = arx.parse_event(sse("[DONE]", event="done"))
    assert isinstance(parsed, arx.UnknownEvent) and parsed.data == "[DONE]"


def test_unknown_delta_and_block_types_keep_every_field() -> None:
    delta = arx.parse_event(
        sse('{"type":"content_block_delta","index":2,"delta":{"type":"foo_delta","a":1}}')
    )
    assert isinstance(delta, ev.ContentBlockDeltaEvent) and isinstance(delta.delta, ev.UnknownDelta)
    assert delta.delta.model_dump() == {"type": "foo_delta", "a": 1}
    block = arx.parse_event(
        sse('{"type":"content_block_start","index":0,"content_block":{"type":"bar","b":2}}')
    )
    assert isinstance(block, ev.ContentBlockStartEvent) and isinstance(
        block.content_block, ev.UnknownBlock
    )
    assert block.content_block.model_dump() == {"type": "bar", "b": 2}


def test_malformed_json_for_a_known_event_is_an_event_parse_error() -> None:
    data = (
        '{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel'
    )
    with pytest.raises(
        arx.EventParseError, match="expected JSON data for event 'content_block_delta'"
    ) as info:
        arx.parse_event(sse(data, event="content_block_delta"))
    assert info.value.data == data and isinstance(info.value, ValueError)


def test_a_known_type_that_does_not_fit_its_model_is_an_event_parse_error() -> None:
    with pytest.raises(
        arx.EventParseError, match="content_block_delta event data to fit its model"
    ):
        arx.parse_event(
            sse('{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}}')
        )


def test_a_known_event_whose_data_is_not_an_object_is_an_event_parse_error() -> None:
    with pytest.raises(arx.EventParseError, match="expected a JSON object"):
        arx.parse_event(sse("[1, 2]", event="message_stop"))


def test_models_are_frozen() -> None:
    parsed = arx.parse_event(sse('{"type":"content_block_stop","index":0}'))
    with pytest.raises(TypeError, match="frozen"):
        parsed.index = 3  # type: ignore[misc, union-attr]


def test_the_fallback_block_dumps_its_from_field_by_the_wire_name() -> None:
    data = '{"type":"content_block_start","index":0,"content_block":{"type":"fallback","from":{"model":"a"},"to":{"model":"b"}}}'
    parsed = arx.parse_event(sse(data))
    assert isinstance(parsed, ev.ContentBlockStartEvent)
    assert parsed.content_block.model_dump(mode="json")["from"] == {"model": "a"}

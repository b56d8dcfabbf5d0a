"""`tool` and `Tool`: definitions as the SDK makes them, validation before the call."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import pytest
from pydantic import BaseModel

import anthropic_rx as arx
from anthropic_rx.conversations import Tool, tool
from anthropic_rx.conversations._tools import (
    ToolInputInvalid,
    error_text,
    key_mask,
    result_content,
)


def get_weather(city: str, unit: Literal["C", "F"] = "C", days: int = 1) -> str:
    """Get the current weather in a city.

    Uses the forecast service; results are cached for a minute.

    Args:
        city: the city's name, e.g. "Paris".
        unit: the temperature unit,
            Celsius or Fahrenheit.
        days: how many days ahead.

    Returns:
        A sentence about the weather.
    """
    return f"18 {unit} in {city} for {days} day(s)"


class Point(BaseModel):
    x: int
    y: int


async def plot(points: list[Point], title: str | None = None) -> dict[str, Any]:
    """Plot points."""
    await asyncio.sleep(0)
    return {"n": len(points), "title": title}


@pytest.mark.parametrize("function", [get_weather, plot])
def test_the_definition_is_the_one_the_sdks_beta_tool_makes(function: Any) -> None:
    anthropic = pytest.importorskip("anthropic")
    ours = tool(function).to_param()
    make = (
        anthropic.beta_async_tool if asyncio.iscoroutinefunction(function) else anthropic.beta_tool
    )
    assert ours == make(function).to_dict()


def test_name_description_and_schema_come_from_the_function() -> None:
    weather = tool(get_weather)
    assert weather.name == "get_weather"
    assert weather.description == (
        "Get the current weather in a city.\n\n"
        "Uses the forecast service; results are cached for a minute."
    )
    properties = weather.input_schema["properties"]
    assert properties["city"]["description"] == 'the city\'s name, e.g. "Paris".'
    assert properties["unit"]["description"] == "the temperature unit,\nCelsius or Fahrenheit."
    assert properties["unit"]["enum"] == ["C", "F"]
    assert weather.input_schema["required"] == ["city"]
    assert not weather.is_async
    assert tool(plot).is_async


def test_the_decorator_takes_options_and_the_tool_stays_callable() -> None:
    @tool(name="weather_now", description="Weather.", requires_approval=True, timeout=2.5)
    def weather(city: str) -> str:
        return city.upper()

    assert (weather.name, weather.description, weather.timeout) == ("weather_now", "Weather.", 2.5)
    assert weather.needs_approval({"city": "x"})
    assert weather("paris") == "PARIS"
    assert repr(weather) == "<Tool 'weather_now'>"
    assert arx.tool is tool
    assert arx.Tool is Tool


def test_input_is_validated_and_coerced_before_the_call() -> None:
    call = tool(plot).prepare({"points": [{"x": 1, "y": "2"}], "title": "t"})
    assert asyncio.run(call()) == {"n": 1, "title": "t"}
    with pytest.raises(ToolInputInvalid) as caught:
        tool(get_weather).prepare({"unit": "K", "days": "many"})
    message = str(caught.value)
    assert message.startswith("invalid input for tool 'get_weather': ")
    assert "city: Field required" in message
    assert "unit: " in message
    assert "days: " in message
    assert "many" not in message  # the input's values are not repeated back
    with pytest.raises(ToolInputInvalid, match="expected a JSON object, got list"):
        tool(get_weather).prepare(["Paris"])


def test_approval_may_depend_on_the_input() -> None:
    @tool(requires_approval=lambda input: input["path"].startswith("/etc"))
    def delete(path: str) -> str:
        """Delete a file."""
        return path

    assert delete.needs_approval({"path": "/etc/passwd"})
    assert not delete.needs_approval({"path": "/tmp/x"})


def test_raw_schema_tools_get_the_input_dict() -> None:
    schema = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    lookup = Tool.from_schema("lookup", schema, lambda input: f"found {input['q']}")
    assert lookup.to_param() == {"name": "lookup", "description": "", "input_schema": schema}
    assert lookup.prepare({"q": "owl"})() == "found owl"


def test_bad_definitions_fail_at_once() -> None:
    def positional(city: str, /) -> str:
        return city

    with pytest.raises(TypeError, match="positional-only"):
        tool(positional)
    with pytest.raises(ValueError, match="tool name"):
        tool(name="has space")(get_weather)
    with pytest.raises(ValueError, match="positive timeout"):
        tool(timeout=0)(get_weather)
    with pytest.raises(TypeError, match="applied @tool twice"):
        tool(tool(get_weather))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable handler"):
        Tool.from_schema("x", {"type": "object"}, "not callable")  # type: ignore[arg-type]


def test_results_become_tool_result_content() -> None:
    assert result_content("text") == "text"
    assert result_content(None) is None
    blocks = [{"type": "text", "text": "a"}]
    assert result_content(blocks) == blocks
    assert result_content({"temp": 18}) == '{"temp": 18}'
    assert result_content(Point(x=1, y=2)) == '{"x": 1, "y": 2}'
    assert result_content([1, 2]) == "[1, 2]"


def test_error_text_names_the_type_masks_the_key_and_is_bounded() -> None:
    assert error_text(ValueError("boom")) == "Error: ValueError: boom"
    assert error_text(TimeoutError()) == "Error: TimeoutError"
    masked = error_text(RuntimeError("key sk-123 leaked"), key_mask(lambda: "sk-123"))
    assert masked == "Error: RuntimeError: key *** leaked"

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert error_text(Unprintable()) == (
        "Error: Unprintable: (the error's message could not be read)"
    )
    long = error_text(ValueError("x" * 50_000))
    assert len(long) == 10_000
    assert long.endswith("…")
    assert error_text(ValueError("bad \ud800 half")) == "Error: ValueError: bad \ufffd half"
    assert result_content("a \udc00 b") == "a \ufffd b"


def test_conversation_params_are_message_params_but_tools() -> None:
    from anthropic_rx.client import ConversationParams, MessageParams

    # conversation() takes tools itself; every other API field of stream() it takes too.
    assert set(ConversationParams.__annotations__) == set(MessageParams.__annotations__) - {"tools"}

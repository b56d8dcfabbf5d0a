"""Layer 2: the typed events of a Messages API stream, and `parse_event`.

Every model keeps the API's words (``MessageStartEvent``, ``TextDelta``, ``ToolUseBlock``) and
every field it was sent, known or not (``extra="allow"``), so nothing on the wire is lost and
``model_dump(mode="json")`` gives back the API's JSON. Models are frozen: an event handed to
one subscriber cannot be changed under another.

Routing is on the JSON ``type`` (the SSE event name is only a fallback when the JSON has
none): an ``event:`` line that disagrees with the data does not decide anything. Types this
version does not know pass through instead of failing, as the API docs ask: an unknown event
becomes `UnknownEvent`, an unknown content block `UnknownBlock`, an unknown delta
`UnknownDelta`, an unknown citation `UnknownCitation`, all with every field kept.

``ping`` is a `PingEvent` (idle timers see it; content operators skip it). ``event: error`` is
an `ErrorEvent`: a typed value, which the accumulator turns into the `APIStatusError`
subclass its ``error.type`` names (`ErrorEvent.to_exception`).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeAlias, cast, final

import jiter
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    model_serializer,
)

from ._exceptions import APIStatusError, EventParseError, error_for_type, excerpt
from ._sse import ServerSentEvent, SSEDecoder

__all__ = [
    "AdvisorToolResultBlock",
    "BashCodeExecutionToolResultBlock",
    "CacheCreation",
    "Citation",
    "CitationCharLocation",
    "CitationContentBlockLocation",
    "CitationPageLocation",
    "CitationSearchResultLocation",
    "CitationWebSearchResultLocation",
    "CitationsDelta",
    "CodeExecutionToolResultBlock",
    "CompactionBlock",
    "CompactionDelta",
    "Container",
    "ContainerUploadBlock",
    "ContentBlock",
    "ContentBlockDeltaEvent",
    "ContentBlockStartEvent",
    "ContentBlockStopEvent",
    "Delta",
    "ErrorDetail",
    "ErrorEvent",
    "EventDecoder",
    "FallbackBlock",
    "InputJSONDelta",
    "MCPToolListingBlock",
    "MCPToolResultBlock",
    "MCPToolUseBlock",
    "Message",
    "MessageDelta",
    "MessageDeltaEvent",
    "MessageDeltaUsage",
    "MessageStartEvent",
    "MessageStopEvent",
    "MessageTokensCount",
    "OutputTokensDetails",
    "PingEvent",
    "RedactedThinkingBlock",
    "ServerToolUsage",
    "ServerToolUseBlock",
    "SignatureDelta",
    "StreamEvent",
    "TextBlock",
    "TextDelta",
    "TextEditorCodeExecutionToolResultBlock",
    "ThinkingBlock",
    "ThinkingDelta",
    "ToolSearchToolResultBlock",
    "ToolUseBlock",
    "UnknownBlock",
    "UnknownCitation",
    "UnknownDelta",
    "UnknownEvent",
    "Usage",
    "WebFetchToolResultBlock",
    "WebSearchToolResultBlock",
    "WireDatetime",
    "WireObject",
    "WireValue",
    "as_wire_object",
    "parse_event",
    "parse_fields",
]


class _Wire(BaseModel):
    # extra="allow": a field the API adds tomorrow is kept and dumped back, never dropped.
    # Read-only through __setattr__ rather than frozen=True: pydantic-core validates
    # frozen models with extra fields about 50% slower, and these are made per event.
    model_config = ConfigDict(extra="allow")

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError(f"{type(self).__name__} is read-only (frozen): copy it with model_copy")

    def __delattr__(self, name: str) -> None:
        raise TypeError(f"{type(self).__name__} is read-only (frozen)")

    # Hidden from type checkers, so a typo'd attribute is still caught. TYPE_CHECKING is
    # always False at run time, so the branch that skips this is never taken.
    if not TYPE_CHECKING:  # pragma: no branch

        def __getattr__(self, name: str) -> Any:
            # Only reached for names that are not fields: an extra field (one this version
            # does not model) reads as the API sent it, its JSON objects as `WireObject`s
            # made lazily here, so attribute access goes all the way down as in the SDK,
            # while ``model_extra`` and the dumps keep the plain JSON.
            value = super().__getattr__(name)
            return as_wire_object(value) if type(value) in (dict, list) else value


def as_wire_object(value: Any) -> Any:
    """*value* with every JSON object in it (at any depth) as a `WireObject`.

    Lists become lists, objects `WireObject`s, anything else stays as it is.

    Example:
        >>> as_wire_object({"type": "tool_reference", "tool_name": "get_weather"}).tool_name
        'get_weather'
    """
    if type(value) is dict:
        fields = {k: as_wire_object(v) for k, v in cast("dict[str, Any]", value).items()}
        return WireObject.model_construct(**fields)
    if isinstance(value, list):
        return list(map(as_wire_object, cast("list[object]", value)))
    return value


class _JSONLike(_Wire):
    # Nested objects read by key too, and equal to the dict of their JSON: earlier versions
    # gave them as plain dicts, and code written for that keeps working.
    def _json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def __getitem__(self, key: str) -> Any:
        return self._json()[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The JSON field *key*, or *default* when the object has none (as ``dict.get``)."""
        return self._json().get(key, default)

    def keys(self) -> list[str]:
        """The object's JSON field names."""
        return list(self._json())

    def __contains__(self, key: object) -> bool:
        return key in self._json()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._json() == other
        if isinstance(other, _JSONLike):
            return type(self) is type(other) and self._json() == other._json()
        return NotImplemented  # (defining __eq__ leaves it unhashable, as dicts are)


class WireObject(_JSONLike):
    """A JSON object of the API's, read by attribute (``obj.type``) or by key (``obj["type"]``).

    It types the nested objects the SDK types (a code execution result, a web search result,
    a tool reference, …) with every field they were sent, known or not: attribute access
    works at any depth, as on the SDK's models, and ``model_dump(mode="json")`` gives back
    the JSON. It equals a dict with the same JSON, so code written for the dicts of earlier
    versions keeps working.

    Example:
        >>> obj = WireObject.model_validate({"type": "web_search_result", "url": "https://a.b"})
        >>> obj.url, obj["type"], obj == {"type": "web_search_result", "url": "https://a.b"}
        ('https://a.b', 'web_search_result', True)
    """

    if TYPE_CHECKING:
        # Any field name reads (what the API sent is not known ahead, as in a dict).
        def __getattr__(self, name: str) -> Any: ...

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> WireObject:
        """A `WireObject` of a JSON object (a dict, or a `WireObject` already)."""
        if isinstance(obj, WireObject):
            return obj
        made = as_wire_object(obj)
        if not isinstance(made, WireObject):
            raise TypeError(f"expected a JSON object, got {type(obj).__name__}")
        return made


def _objects(value: Any) -> Any:
    # BeforeValidator of the fields whose JSON objects the SDK types: made as WireObjects.
    return as_wire_object(value)


#: A JSON value whose objects are `WireObject`s (a tool result's ``content``, …).
WireValue: TypeAlias = Annotated[Any, BeforeValidator(_objects)]
_Object: TypeAlias = Annotated[WireObject, BeforeValidator(_objects)]


def _type_of(value: Any) -> object:
    if isinstance(value, dict):
        return cast("dict[str, object]", value).get("type")
    return getattr(value, "type", None)


def _unknown_type(known: frozenset[str]) -> Any:
    """A validator for the ``type`` of an Unknown* model: any name but the known ones.

    The unions below try the known models first (discriminated on ``type``, in
    pydantic-core, with no Python call) and the Unknown* model second; a known type whose
    fields are wrong must fail, not slip through as "unknown".
    """

    def check(value: str) -> str:
        if value in known:
            raise ValueError(f"{value!r} is a known type, but its fields do not fit its model")
        return value

    return AfterValidator(check)


_CITATIONS = frozenset(
    {
        "char_location",
        "page_location",
        "content_block_location",
        "web_search_result_location",
        "search_result_location",
    }
)
_BLOCKS = frozenset(
    {
        "text",
        "thinking",
        "redacted_thinking",
        "tool_use",
        "server_tool_use",
        "mcp_tool_use",
        "mcp_tool_result",
        "web_search_tool_result",
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
        "advisor_tool_result",
        "container_upload",
        "compaction",
        "mcp_tool_listing",
        "fallback",
    }
)
_DELTAS = frozenset(
    {
        "text_delta",
        "input_json_delta",
        "citations_delta",
        "thinking_delta",
        "signature_delta",
        "compaction_delta",
    }
)


# -- citations --------------------------------------------------------------------------------


class CitationCharLocation(_Wire):
    """A citation of a character range in a plain-text document."""

    type: Literal["char_location"] = "char_location"
    cited_text: str | None = None
    document_index: int | None = None
    document_title: str | None = None
    start_char_index: int | None = None
    end_char_index: int | None = None


class CitationPageLocation(_Wire):
    """A citation of a page range in a PDF document."""

    type: Literal["page_location"] = "page_location"
    cited_text: str | None = None
    document_index: int | None = None
    document_title: str | None = None
    start_page_number: int | None = None
    end_page_number: int | None = None


class CitationContentBlockLocation(_Wire):
    """A citation of a range of content blocks in a custom-content document."""

    type: Literal["content_block_location"] = "content_block_location"
    cited_text: str | None = None
    document_index: int | None = None
    document_title: str | None = None
    start_block_index: int | None = None
    end_block_index: int | None = None


class CitationWebSearchResultLocation(_Wire):
    """A citation of a web search result."""

    type: Literal["web_search_result_location"] = "web_search_result_location"
    cited_text: str | None = None
    encrypted_index: str | None = None
    title: str | None = None
    url: str | None = None


class CitationSearchResultLocation(_Wire):
    """A citation of a search result block given in the request."""

    type: Literal["search_result_location"] = "search_result_location"
    cited_text: str | None = None
    search_result_index: int | None = None
    source: str | None = None
    title: str | None = None
    start_block_index: int | None = None
    end_block_index: int | None = None


class UnknownCitation(_Wire):
    """A citation type this version does not know, with every field kept."""

    type: Annotated[str, _unknown_type(_CITATIONS)]


Citation: TypeAlias = Annotated[
    Annotated[
        CitationCharLocation
        | CitationPageLocation
        | CitationContentBlockLocation
        | CitationWebSearchResultLocation
        | CitationSearchResultLocation,
        Field(discriminator="type"),
    ]
    | UnknownCitation,
    Field(union_mode="left_to_right"),
]

# -- content blocks ---------------------------------------------------------------------------


class TextBlock(_Wire):
    """Text; ``citations`` is set when the answer cites documents or search results."""

    type: Literal["text"] = "text"
    text: str
    citations: list[Citation] | None = None


class ThinkingBlock(_Wire):
    """Extended thinking, with the signature that lets it be sent back."""

    type: Literal["thinking"] = "thinking"
    thinking: str
    signature: str = ""


class RedactedThinkingBlock(_Wire):
    """Thinking the API encrypted; it arrives whole in ``content_block_start``."""

    type: Literal["redacted_thinking"] = "redacted_thinking"
    data: str


class ToolUseBlock(_Wire):
    """A call of one of the request's tools; ``input`` streams as ``input_json_delta``."""

    type: Literal["tool_use"] = "tool_use"
    id: str
    name: str
    input: Any = Field(default_factory=dict[str, Any])


class ServerToolUseBlock(_Wire):
    """A call of a server tool (web search, web fetch, code execution, tool search, …)."""

    type: Literal["server_tool_use"] = "server_tool_use"
    id: str
    name: str
    input: Any = Field(default_factory=dict[str, Any])


class MCPToolUseBlock(_Wire):
    """A call of a tool on a remote MCP server."""

    type: Literal["mcp_tool_use"] = "mcp_tool_use"
    id: str
    name: str
    server_name: str | None = None
    input: Any = Field(default_factory=dict[str, Any])


class _ToolResult(_Wire):
    tool_use_id: str | None = None
    # Typed as the SDK types it (results, errors, documents, tool references): its JSON
    # objects are WireObjects, read by attribute at any depth, every field kept.
    content: WireValue = None


class MCPToolResultBlock(_ToolResult):
    """The result of an MCP tool call."""

    type: Literal["mcp_tool_result"] = "mcp_tool_result"
    is_error: bool | None = None


class WebSearchToolResultBlock(_ToolResult):
    """Web search results, whole in ``content_block_start``."""

    type: Literal["web_search_tool_result"] = "web_search_tool_result"


class WebFetchToolResultBlock(_ToolResult):
    """A fetched web page, whole in ``content_block_start``."""

    type: Literal["web_fetch_tool_result"] = "web_fetch_tool_result"


class CodeExecutionToolResultBlock(_ToolResult):
    """The result of a code execution."""

    type: Literal["code_execution_tool_result"] = "code_execution_tool_result"


class BashCodeExecutionToolResultBlock(_ToolResult):
    """The result of a bash command in the code execution container."""

    type: Literal["bash_code_execution_tool_result"] = "bash_code_execution_tool_result"


class TextEditorCodeExecutionToolResultBlock(_ToolResult):
    """The result of a text editor command in the code execution container."""

    type: Literal["text_editor_code_execution_tool_result"] = (
        "text_editor_code_execution_tool_result"
    )


class ToolSearchToolResultBlock(_ToolResult):
    """The tools a tool search found."""

    type: Literal["tool_search_tool_result"] = "tool_search_tool_result"


class AdvisorToolResultBlock(_ToolResult):
    """The advisor tool's answer."""

    type: Literal["advisor_tool_result"] = "advisor_tool_result"


class ContainerUploadBlock(_Wire):
    """A file uploaded to the code execution container."""

    type: Literal["container_upload"] = "container_upload"
    file_id: str | None = None


class CompactionBlock(_Wire):
    """A summary of earlier context (context management); filled by one ``compaction_delta``."""

    type: Literal["compaction"] = "compaction"
    content: str | None = None
    encrypted_content: str | None = None


class MCPToolListingBlock(_Wire):
    """The tools an MCP server listed while the response was made (send it back unchanged)."""

    type: Literal["mcp_tool_listing"] = "mcp_tool_listing"
    mcp_server_name: str | None = None
    tools: list[_Object] = Field(default_factory=list[WireObject])


class FallbackBlock(_Wire):
    """The hop where one model handed the response over to another (start/stop, no deltas)."""

    model_config = ConfigDict(extra="allow", validate_by_name=True, serialize_by_alias=True)

    type: Literal["fallback"] = "fallback"
    from_: _Object | None = Field(default=None, alias="from")
    to: _Object | None = None
    trigger: WireValue = None


class UnknownBlock(_Wire):
    """A content block type this version does not know, with every field kept."""

    type: Annotated[str, _unknown_type(_BLOCKS)]


ContentBlock: TypeAlias = Annotated[
    Annotated[
        TextBlock
        | ThinkingBlock
        | RedactedThinkingBlock
        | ToolUseBlock
        | ServerToolUseBlock
        | MCPToolUseBlock
        | MCPToolResultBlock
        | WebSearchToolResultBlock
        | WebFetchToolResultBlock
        | CodeExecutionToolResultBlock
        | BashCodeExecutionToolResultBlock
        | TextEditorCodeExecutionToolResultBlock
        | ToolSearchToolResultBlock
        | AdvisorToolResultBlock
        | ContainerUploadBlock
        | CompactionBlock
        | MCPToolListingBlock
        | FallbackBlock,
        Field(discriminator="type"),
    ]
    | UnknownBlock,
    Field(union_mode="left_to_right"),
]

# -- deltas -----------------------------------------------------------------------------------


class TextDelta(_Wire):
    """More text for a text block."""

    type: Literal["text_delta"] = "text_delta"
    text: str


class InputJSONDelta(_Wire):
    """A fragment of a tool block's input JSON; fragments may split anywhere, even escapes."""

    type: Literal["input_json_delta"] = "input_json_delta"
    partial_json: str


class CitationsDelta(_Wire):
    """One citation to append to a text block's ``citations``."""

    type: Literal["citations_delta"] = "citations_delta"
    citation: Citation


class ThinkingDelta(_Wire):
    """More thinking for a thinking block."""

    type: Literal["thinking_delta"] = "thinking_delta"
    thinking: str


class SignatureDelta(_Wire):
    """A thinking block's signature; it replaces the block's signature (one per block)."""

    type: Literal["signature_delta"] = "signature_delta"
    signature: str


class CompactionDelta(_Wire):
    """A compaction block's final content; it replaces, not appends (as the SDKs do)."""

    type: Literal["compaction_delta"] = "compaction_delta"
    content: str | None = None
    encrypted_content: str | None = None


class UnknownDelta(_Wire):
    """A delta type this version does not know, with every field kept."""

    type: Annotated[str, _unknown_type(_DELTAS)]


Delta: TypeAlias = Annotated[
    Annotated[
        TextDelta
        | InputJSONDelta
        | CitationsDelta
        | ThinkingDelta
        | SignatureDelta
        | CompactionDelta,
        Field(discriminator="type"),
    ]
    | UnknownDelta,
    Field(union_mode="left_to_right"),
]

# -- messages ---------------------------------------------------------------------------------


class _Sent(_JSONLike):
    # A nested object the SDK types: its dump has the fields that were sent, as the SDK's
    # (exclude_unset) has, so a field this version declares never appears from nowhere.
    @model_serializer(mode="wrap")
    def _only_sent(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if not isinstance(data, dict):  # pragma: no cover - a model always dumps to a dict
            return data
        declared, sent = type(self).model_fields, self.model_fields_set
        fields = cast("dict[str, Any]", data)
        return {k: v for k, v in fields.items() if k in sent or k not in declared}


class CacheCreation(_Sent):
    """The input tokens written to the prompt cache, by time to live.

    Example:
        >>> CacheCreation(ephemeral_5m_input_tokens=1200).ephemeral_5m_input_tokens
        1200
    """

    ephemeral_1h_input_tokens: int = 0
    ephemeral_5m_input_tokens: int = 0


class ServerToolUsage(_Sent):
    """How many server tool requests (web search, web fetch) the response made.

    Example:
        >>> ServerToolUsage(web_search_requests=2).web_search_requests
        2
    """

    web_fetch_requests: int = 0
    web_search_requests: int = 0


class OutputTokensDetails(_Sent):
    """A breakdown of ``output_tokens`` by kind (every field the API sends is kept)."""


class WireDatetime(datetime):
    """A ``datetime`` read from the API's ISO 8601 text, which it keeps in ``wire``.

    A JSON dump writes ``wire`` back, so a message dumps to exactly the bytes it came from.

    Example:
        >>> at = _wire_datetime("2026-01-01T00:00:00.5Z")
        >>> at.year, at.wire
        (2026, '2026-01-01T00:00:00.5Z')
    """

    wire: str


def _wire_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 date and time, got {value!r}")
    parsed = datetime.fromisoformat(value)
    made = WireDatetime(
        parsed.year,
        parsed.month,
        parsed.day,
        parsed.hour,
        parsed.minute,
        parsed.second,
        parsed.microsecond,
        tzinfo=parsed.tzinfo,
    )
    made.wire = value
    return made


def _datetime_json(value: datetime) -> str:
    return value.wire if isinstance(value, WireDatetime) else value.isoformat()


_Datetime: TypeAlias = Annotated[
    datetime,
    PlainValidator(_wire_datetime),
    PlainSerializer(_datetime_json, when_used="json"),
]


class Container(_Sent):
    """The code execution container a response used.

    ``expires_at`` is a ``datetime``, as in the SDK; a JSON dump writes back the API's
    text unchanged.

    Example:
        >>> Container(id="container_1", expires_at="2026-01-01T00:00:00Z").expires_at.year
        2026
    """

    id: str
    expires_at: _Datetime | None = None
    skills: list[_Object] | None = None


class Usage(_Wire):
    """Token counts. On ``message_delta`` they are cumulative totals: they overwrite."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation: CacheCreation | None = None
    server_tool_use: ServerToolUsage | None = None
    service_tier: str | None = None
    output_tokens_details: OutputTokensDetails | None = None
    iterations: list[_Object] | None = None
    fallback_credit: WireValue = None


class Message(_Wire):
    """A whole assistant message, as the non-streaming API returns it.

    ``model_dump(mode="json")`` is the API's message JSON.
    """

    id: str
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"
    model: str
    content: list[ContentBlock] = Field(default_factory=list[ContentBlock])
    stop_reason: str | None = None
    stop_sequence: str | None = None
    stop_details: _Object | None = None
    usage: Usage = Field(default_factory=Usage)
    container: Container | None = None

    #: The request behind a message ``client.messages.create()`` returned: a `StreamInfo`
    #: (request id, headers, rate limits), the same as a stream's ``.info``; ``None`` on
    #: a message made otherwise. Not a field: never dumped, and not part of equality.
    info: ClassVar[Any] = None


class MessageTokensCount(_Wire):
    """What ``messages.count_tokens()`` answers: the input tokens the request would use.

    Example:
        >>> MessageTokensCount(input_tokens=42).input_tokens
        42
    """

    input_tokens: int


class MessageDelta(_Wire):
    """The top-level changes of a ``message_delta``."""

    stop_reason: str | None = None
    stop_sequence: str | None = None
    stop_details: _Object | None = None
    container: Container | None = None


class MessageDeltaUsage(_Wire):
    """The cumulative usage of a ``message_delta``; absent fields keep their earlier value."""

    output_tokens: int = 0
    input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    server_tool_use: ServerToolUsage | None = None
    output_tokens_details: OutputTokensDetails | None = None
    iterations: list[_Object] | None = None
    fallback_credit: WireValue = None


# -- events -----------------------------------------------------------------------------------


class MessageStartEvent(_Wire):
    """The first event: the message with empty (or, rarely, pre-filled) ``content``."""

    type: Literal["message_start"] = "message_start"
    message: Message


class ContentBlockStartEvent(_Wire):
    """A content block opens at ``index`` (the position in the final ``content``)."""

    type: Literal["content_block_start"] = "content_block_start"
    index: int
    content_block: ContentBlock


class ContentBlockDeltaEvent(_Wire):
    """A change to the open block at ``index``."""

    type: Literal["content_block_delta"] = "content_block_delta"
    index: int
    delta: Delta


class ContentBlockStopEvent(_Wire):
    """The block at ``index`` is finished."""

    type: Literal["content_block_stop"] = "content_block_stop"
    index: int


class MessageDeltaEvent(_Wire):
    """Top-level changes (stop reason, cumulative usage) near the end of the message."""

    type: Literal["message_delta"] = "message_delta"
    delta: MessageDelta = Field(default_factory=MessageDelta)
    usage: MessageDeltaUsage = Field(default_factory=MessageDeltaUsage)
    context_management: Any = None
    input_transformations: Any = None


class MessageStopEvent(_Wire):
    """The last event: the message is complete."""

    type: Literal["message_stop"] = "message_stop"


class PingEvent(_Wire):
    """A keep-alive; it carries nothing."""

    type: Literal["ping"] = "ping"


class ErrorDetail(_Wire):
    """The ``error`` object of an error event: ``type`` such as ``overloaded_error``."""

    type: str = "api_error"
    message: str = ""


class ErrorEvent(_Wire):
    """An ``event: error`` inside the stream, e.g. ``overloaded_error`` during high load."""

    type: Literal["error"] = "error"
    error: ErrorDetail = Field(default_factory=ErrorDetail)
    request_id: str | None = None

    def to_exception(self) -> APIStatusError:
        """Return the `APIStatusError` subclass that ``error.type`` names, mid-stream."""
        cls = error_for_type(self.error.type)
        return cls(
            f"{self.error.type}: {self.error.message} (event: error, mid-stream)",
            status_code=None,
            error_type=self.error.type,
            body=self.model_dump(mode="json"),
            mid_stream=True,
            request_id=self.request_id,
        )


class UnknownEvent(_Wire):
    """An event type this version does not know; it never stops a stream.

    Attributes:
        type: the JSON ``type`` (or the SSE event name when the JSON has none).
        event: the SSE event name.
        data: the parsed JSON data, or the raw text when it was not JSON.
    """

    type: str
    event: str = "message"
    data: Any = None


_EVENTS = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    }
)

StreamEvent: TypeAlias = (
    MessageStartEvent
    | ContentBlockStartEvent
    | ContentBlockDeltaEvent
    | ContentBlockStopEvent
    | MessageDeltaEvent
    | MessageStopEvent
    | PingEvent
    | ErrorEvent
    | UnknownEvent
)
"""Every event `parse_event` can return."""

_EVENT_MODELS: dict[str, type[StreamEvent]] = {
    "message_start": MessageStartEvent,
    "content_block_start": ContentBlockStartEvent,
    "content_block_delta": ContentBlockDeltaEvent,
    "content_block_stop": ContentBlockStopEvent,
    "message_delta": MessageDeltaEvent,
    "message_stop": MessageStopEvent,
    "ping": PingEvent,
    "error": ErrorEvent,
}
_TYPE_PREFIX = '{"type":"'
# The known events as one union discriminated on "type": pydantic-core picks the model from
# the JSON itself, with no Python step in between (an unknown type fails, and the general
# path of parse_event takes it).
_validate_known_json = TypeAdapter[StreamEvent](
    Annotated[
        MessageStartEvent
        | ContentBlockStartEvent
        | ContentBlockDeltaEvent
        | ContentBlockStopEvent
        | MessageDeltaEvent
        | MessageStopEvent
        | PingEvent
        | ErrorEvent,
        Field(discriminator="type"),
    ]
).validator.validate_json


def parse_event(sse: ServerSentEvent) -> StreamEvent:
    """Turn one `ServerSentEvent` into one typed event.

    Args:
        sse: a decoded event; its ``data`` should be one JSON object.

    Returns:
        The event model its JSON ``type`` names, `PingEvent` for pings, `ErrorEvent` for
        ``event: error``, or `UnknownEvent` for a type this version does not know.

    Raises:
        EventParseError: the data is not JSON, or a known type's JSON does not fit its model.

    Example:
        >>> parse_event(ServerSentEvent(event="ping", data='{"type": "ping"}'))
        PingEvent(type='ping')
    """
    data = sse.data
    if data.startswith(_TYPE_PREFIX):
        # The API writes "type" first: validate straight from the JSON text in pydantic-core.
        try:
            event: StreamEvent = _validate_known_json(data)
            return event
        except ValidationError:
            pass  # an unknown type, or fields that do not fit: the general path decides
    return _parse_json(sse.event, data)


def parse_fields(event: str, data: str) -> StreamEvent:
    """`parse_event` of an event given as its type and data (`SSEDecoder.decode_fields`).

    A loop that decodes and parses a whole body (``from_bytes``) saves making a
    `ServerSentEvent` for each event this way.

    Example:
        >>> parse_fields("ping", '{"type": "ping"}')
        PingEvent(type='ping')
    """
    if data.startswith(_TYPE_PREFIX):  # parse_event's fast path
        try:
            parsed: StreamEvent = _validate_known_json(data)
            return parsed
        except ValidationError:
            pass
    return _parse_json(event, data)


@final
class EventDecoder:
    """The one wire path: the bytes of an event stream in, typed events out (sans-I/O).

    Every byte source decodes through it: `from_bytes`, `from_recording`, `from_response`,
    `from_async_bytes` and the clients. It fuses `SSEDecoder.decode_fields` with
    `parse_fields`, so no `ServerSentEvent` is made on the way. Feed the body's chunks,
    split anywhere, then call `flush` once at the end of the body.

    Events come out lazily, one at a time, so an event that fails to parse raises after
    every event before it has been taken.

    Args:
        max_event_bytes: the most one event may take before `EventTooLargeError`.

    Example:
        >>> decoder = EventDecoder()
        >>> list(decoder.feed(b'event: ping\\ndata: {"type": "ping"}\\n\\n'))
        [PingEvent(type='ping')]
        >>> decoder.flush()
        []
    """

    __slots__ = ("_decode_fields", "_sse")

    def __init__(self, *, max_event_bytes: int | None = None) -> None:
        self._sse = SSEDecoder(max_event_bytes=max_event_bytes)
        self._decode_fields = self._sse.decode_fields

    def feed(self, chunk: bytes) -> Generator[StreamEvent, None, None]:
        """Yield the events *chunk* completes, in order, each parsed as it is taken.

        Raises:
            EventTooLargeError: an event grew past ``max_event_bytes``.
            EventParseError: an event's data is not JSON that fits its type.
        """
        for event, data in self._decode_fields(chunk):
            yield parse_fields(event, data)

    def flush(self) -> list[StreamEvent]:
        """Signal the end of the body; return the events it completes (always ``[]``).

        An unfinished event at the end is dropped (the SSE spec, §9.2.6); the decoder is then
        ready for another body.

        Raises:
            EventTooLargeError: an earlier chunk crossed ``max_event_bytes``.
        """
        return [parse_event(sse) for sse in self._sse.flush()]

    def events(self, chunks: Iterable[bytes]) -> Generator[StreamEvent, None, None]:
        """Yield every event of *chunks* (then `flush`): one loop for a whole body.

        Example:
            >>> [e.type for e in EventDecoder().events([b'data: {"type": "pi', b'ng"}\\n\\n'])]
            ['ping']
        """
        decode_fields = self._decode_fields
        for chunk in chunks:
            for event, data in decode_fields(chunk):
                yield parse_fields(event, data)
        yield from self.flush()


def _parse_json(event: str, data: str) -> StreamEvent:
    """`parse_event`'s general path: any *data*, of an SSE *event* of any name."""
    try:
        obj = jiter.from_json(data.encode())
    except ValueError as exc:
        if event not in _EVENTS:
            # An event we do not know whose data is not JSON: pass it through, raw.
            return UnknownEvent(type=event, event=event, data=data)
        raise EventParseError(
            f"expected JSON data for event {event!r}, got {excerpt(data)!r} ({exc})",
            event=event,
            data=data,
        ) from exc
    kind: object = _type_of(obj) or event
    if kind not in _EVENTS:
        name = kind if isinstance(kind, str) else event
        return UnknownEvent(type=name, event=event, data=obj)
    if not isinstance(obj, dict):
        raise EventParseError(
            f"expected a JSON object for event {kind!r}, got {excerpt(data)!r}",
            event=event,
            data=data,
        )
    fields = cast("dict[str, Any]", obj)
    if "type" not in fields:
        fields = {"type": kind, **fields}
    try:
        return _EVENT_MODELS[str(kind)].model_validate(fields)
    except ValidationError as exc:
        raise EventParseError(
            f"expected {kind} event data to fit its model, got {excerpt(data)!r}: "
            f"{exc.errors(include_url=False)}",
            event=event,
            data=data,
        ) from exc

"""The events a `Conversation` emits, every one tagged with the turn it belongs to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from ..events import Message, StreamEvent, ToolUseBlock

if TYPE_CHECKING:
    from ..sources import MessageStream

__all__ = [
    "ApprovalRequested",
    "ConversationEvent",
    "ConversationStopped",
    "StopReason",
    "ToolFinished",
    "ToolStarted",
    "TurnEvent",
    "TurnFinished",
    "TurnStarted",
]

#: How a conversation stopped: the API's ``stop_reason`` of its last turn (``"end_turn"``,
#: ``"stop_sequence"``, ``"max_tokens"``, ``"refusal"``, ``"model_context_window_exceeded"``,
#: ``"tool_use"`` with no tool of ours to run, …) or the loop's own ``"max_turns"`` and
#: ``"stop_when"``.
StopReason = str


@dataclass(frozen=True)
class TurnStarted:
    """A turn's request is about to go out; *stream* is its `MessageStream`.

    Every operator works on the stream (``event.stream.pipe(text_only())``): it is hot and
    replays, so subscribing late loses nothing.
    """

    turn: int
    stream: MessageStream


@dataclass(frozen=True)
class TurnEvent:
    """One raw stream event of a turn, in order (all turns' events, tagged)."""

    turn: int
    event: StreamEvent


@dataclass(frozen=True)
class TurnFinished:
    """A turn's stream ended well: *message* is the whole assistant message."""

    turn: int
    message: Message


@dataclass(frozen=True)
class ToolStarted:
    """A tool call began to run (after its approval, when it needed one).

    A `ToolFinished` follows, unless the call was cancelled first: by `Conversation.abort`,
    by the stream failing after an early start, or by an early-started call's turn ending
    without ``tool_use`` (its result is then never sent).

    Attributes:
        early: whether it started at its block's ``content_block_stop``, before the turn's
            end (``start_tools_early=True``).
    """

    turn: int
    call: ToolUseBlock
    started_at: float
    early: bool = False


@dataclass(frozen=True)
class ToolFinished:
    """A tool call's outcome, as it goes back to the model.

    Attributes:
        result: what the function returned (``None`` when it failed).
        content: the ``tool_result`` content sent to the model.
        is_error: whether it goes back as an error (``is_error: true``): the function
            raised, the input did not validate, the tool is unknown, it timed out, or the
            app denied it.
        error: the exception behind an error (``None`` for a denial or a success).
        started_at, finished_at: clock readings in seconds: ``time.monotonic()`` for a
            `Client`, the loop's clock (``anyio.current_time()``) for an `AsyncClient`;
            for a denied or unknown call both are the moment it was settled.
    """

    turn: int
    call: ToolUseBlock
    result: Any
    is_error: bool
    error: BaseException | None
    started_at: float
    finished_at: float
    content: Any = None

    @property
    def duration(self) -> float:
        """Seconds the call took."""
        return self.finished_at - self.started_at


@dataclass(frozen=True, eq=False)
class ApprovalRequested:
    """A call of a tool that requires approval waits for the app: call `approve` or `deny`.

    Either may be called from any thread (a GUI's, a notebook button's), once; the first
    answer counts and later ones are ignored. Nothing blocks while it waits.

    Example:
        >>> def on_event(event):
        ...     if isinstance(event, ApprovalRequested):
        ...         if ask_user(f"Run {event.call.name}({event.call.input})?"):
        ...             event.approve()
        ...         else:
        ...             event.deny("the user said no")
    """

    turn: int
    call: ToolUseBlock
    _answer: Callable[[bool, str], None] = field(repr=False, compare=False)

    def approve(self) -> None:
        """Run the call."""
        self._answer(True, "")

    def deny(self, reason: str = "The user denied this tool call.") -> None:
        """Do not run it; the model gets an ``is_error`` result saying *reason*."""
        self._answer(False, reason)


@dataclass(frozen=True)
class ConversationStopped:
    """The conversation stopped (until `Conversation.send` continues it).

    Attributes:
        stop_reason: how it stopped (`StopReason`).
        message: the last assistant message.
    """

    turn: int
    stop_reason: StopReason
    message: Message | None


ConversationEvent: TypeAlias = (
    TurnStarted
    | TurnEvent
    | TurnFinished
    | ToolStarted
    | ToolFinished
    | ApprovalRequested
    | ConversationStopped
)

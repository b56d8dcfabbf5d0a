"""Message threads (the ``message-threads`` beta): conversations the emulator holds between turns.

A request with ``"thread": {"type": "create"}`` is answered as usual, and the emulator keeps its
conversation (``system``, ``tools``, the messages and the reply) under the reply's ``id``. A
request with ``"thread": {"type": "continue", "previous_message_id": "msg_…"}`` sends only the
new messages (possibly none, to resume a ``pause_turn`` reply): the emulator puts the held
conversation in front of them, and answers exactly as it answers the whole history sent
unthreaded. An unknown id gets the API's 404 with ``error.details.error_code:
"thread_not_found"``, from which the official SDK recovers by replaying the full history.

>>> threads = Threads()
>>> body, problem = threads.expand({"thread": {"type": "create"}, "messages": []})
>>> body, problem
({'messages': []}, None)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, cast

from ._validate import Problem
from ._wire import JSONObject, is_list

__all__ = ["Threads"]

_CARRIED = ("system", "tools")  # sent with "create" only; a "continue" inherits them


class Threads:
    """The conversations held for threaded requests, the newest *limit* of them.

    Args:
        limit: how many replies to remember; the oldest are forgotten first.
    """

    def __init__(self, limit: int = 4096) -> None:
        self._held: OrderedDict[str, JSONObject] = OrderedDict()
        self._limit = limit

    def __len__(self) -> int:
        return len(self._held)

    def clear(self) -> None:
        """Forget every held conversation (continuing one then gets ``thread_not_found``)."""
        self._held.clear()

    def expand(self, body: Mapping[str, Any]) -> tuple[JSONObject, Problem | None]:
        """Return *body* as its whole conversation, without ``thread``, or why it can't be.

        A body without ``thread`` comes back unchanged.
        """
        if "thread" not in body:
            return dict(body), None
        thread: Any = body["thread"]
        rest = {key: value for key, value in body.items() if key != "thread"}
        if thread is None:
            return rest, None
        kind = cast("JSONObject", thread).get("type") if isinstance(thread, dict) else None
        if kind == "create":
            return rest, None
        if kind != "continue":
            return rest, Problem(
                400, "invalid_request_error", "thread.type: Input should be 'create' or 'continue'"
            )
        ident = cast("JSONObject", thread).get("previous_message_id")
        if not isinstance(ident, str):
            message = "thread.continue.previous_message_id: Field required"
            return rest, Problem(400, "invalid_request_error", message)
        held = self._held.get(ident)
        if held is None:
            return rest, Problem(
                404,
                "not_found_error",
                f"thread not found: no response {ident} to continue from",
                {"error_code": "thread_not_found"},
            )
        self._held.move_to_end(ident)
        new: Any = rest.get("messages")
        messages = [*cast("list[Any]", held["messages"]), *(new if is_list(new) else [])]
        carried = {key: held[key] for key in _CARRIED if key in held and key not in rest}
        return {**rest, **carried, "messages": messages}, None

    def hold(self, body: Mapping[str, Any], reply: Mapping[str, Any]) -> None:
        """Keep the conversation of *body* (expanded) followed by *reply* under the reply's id."""
        messages: Any = body.get("messages")
        turn: JSONObject = {"role": "assistant", "content": reply.get("content") or []}
        held: JSONObject = {key: body[key] for key in _CARRIED if key in body}
        held["messages"] = [*(messages if is_list(messages) else []), turn]
        self._held[str(reply.get("id"))] = held
        while len(self._held) > self._limit:
            self._held.popitem(last=False)

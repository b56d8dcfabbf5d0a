"""The Message Batches API's types (as the official SDK 2.15 names them), and their errors.

Models keep the API's field names and accept fields this version does not know. A result
line of the JSONL file is a `MessageBatchIndividualResponse`; a line that cannot be read
becomes one too, with a `MessageBatchUnreadableResult` (ours), so that one bad line is an
error for its ``custom_id`` and never the end of the file. The errors of one request's
outcome (`BatchRequestError` and its kinds) are values, not exceptions raised: they travel
as items, like `StreamFailed`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .._exceptions import AnthropicRxError, APIStatusError, error_for_type
from ..events import Message

__all__ = [
    "BatchInputError",
    "BatchRequestCanceledError",
    "BatchRequestError",
    "BatchRequestExpiredError",
    "BatchRequestFailedError",
    "BatchResultUnreadableError",
    "DeletedMessageBatch",
    "MessageBatch",
    "MessageBatchCanceledResult",
    "MessageBatchErroredResult",
    "MessageBatchExpiredResult",
    "MessageBatchIndividualResponse",
    "MessageBatchRequestCounts",
    "MessageBatchResult",
    "MessageBatchSucceededResult",
    "MessageBatchUnreadableResult",
    "ResultError",
    "ResultErrorResponse",
    "outcome_of",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class MessageBatchRequestCounts(_Model):
    """How many requests of a batch are in each state; they always add up to the total."""

    processing: int = 0
    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0

    @property
    def total(self) -> int:
        """Every request of the batch."""
        return self.processing + self.succeeded + self.errored + self.canceled + self.expired

    @property
    def done(self) -> int:
        """The requests that have left ``processing``."""
        return self.total - self.processing


class MessageBatch(_Model):
    """A Message Batch: ``processing_status`` is ``in_progress``, ``canceling`` or ``ended``.

    ``results_url`` is set once it has ended; its results are then read with
    ``client.messages.batches.results(batch.id)``.
    """

    id: str
    type: Literal["message_batch"] = "message_batch"
    processing_status: Literal["in_progress", "canceling", "ended"] | str
    request_counts: MessageBatchRequestCounts
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    cancel_initiated_at: datetime | None = None
    archived_at: datetime | None = None
    results_url: str | None = None


class DeletedMessageBatch(_Model):
    """The answer to ``delete``."""

    id: str
    type: Literal["message_batch_deleted"] = "message_batch_deleted"


class ResultError(_Model):
    """The API's ``error`` object of an errored request: ``type`` and ``message``."""

    type: str
    message: str = ""


class ResultErrorResponse(_Model):
    """The error of an errored request, as the API writes it (``{"type": "error", ...}``)."""

    type: Literal["error"] = "error"
    error: ResultError
    request_id: str | None = None


class MessageBatchSucceededResult(_Model):
    """A request that succeeded: its whole `Message`."""

    type: Literal["succeeded"] = "succeeded"
    message: Message


class MessageBatchErroredResult(_Model):
    """A request that failed (invalid parameters, a server error): the API's error."""

    type: Literal["errored"] = "errored"
    error: ResultErrorResponse


class MessageBatchCanceledResult(_Model):
    """A request canceled before it was processed (the batch was canceled)."""

    type: Literal["canceled"] = "canceled"


class MessageBatchExpiredResult(_Model):
    """A request the batch's 24 hours ran out on."""

    type: Literal["expired"] = "expired"


class MessageBatchUnreadableResult(_Model):
    """Ours: a result line that is not valid JSON or not a result (``line``: its start)."""

    type: Literal["unreadable"] = "unreadable"
    line: str
    reason: str


MessageBatchResult = Annotated[
    MessageBatchSucceededResult
    | MessageBatchErroredResult
    | MessageBatchCanceledResult
    | MessageBatchExpiredResult
    | MessageBatchUnreadableResult,
    Field(discriminator="type"),
]
"""One request's outcome (a discriminated union on ``type``)."""


class MessageBatchIndividualResponse(_Model):
    """One line of a batch's results file: a request's ``custom_id`` and its result."""

    # Only keys are worth caching: every line's ids and texts are new, and caching them
    # would hold a megabyte of strings nobody reads again.
    model_config = ConfigDict(extra="allow", frozen=True, cache_strings="keys")

    custom_id: str
    result: MessageBatchResult


# -- errors ----------------------------------------------------------------------------------


class BatchInputError(AnthropicRxError, ValueError):
    """Requests that cannot make a batch; raised before anything is sent.

    An empty mapping, a ``custom_id`` that is duplicated or not 1-64 letters, digits, ``_``
    or ``-``, parameters a request cannot have, or one request larger than a whole batch.

    Attributes:
        custom_id: the request at fault, or ``None`` when it is the whole input.
    """

    def __init__(self, message: str, *, custom_id: str | None = None) -> None:
        super().__init__(message)
        self.custom_id = custom_id


class BatchRequestError(AnthropicRxError):
    """One request of a batch did not succeed; delivered as that request's result.

    Attributes:
        custom_id: the request's ``custom_id``.
        batch_id: the batch it was in.
    """

    def __init__(self, message: str, *, custom_id: str, batch_id: str | None) -> None:
        super().__init__(message)
        self.custom_id = custom_id
        self.batch_id = batch_id


class BatchRequestFailedError(BatchRequestError):
    """The request was processed and ``errored``.

    Attributes:
        error: the API's error as the typed status error its ``error.type`` names
            (`BadRequestError` for ``invalid_request_error``, …; ``status_code`` is None).
        error_type: the API's ``error.type``.
    """

    def __init__(
        self, message: str, *, custom_id: str, batch_id: str | None, error: APIStatusError
    ) -> None:
        super().__init__(message, custom_id=custom_id, batch_id=batch_id)
        self.error = error
        self.error_type = error.error_type
        self.request_id = error.request_id


class BatchRequestCanceledError(BatchRequestError):
    """The batch was canceled before this request was processed (it is not billed)."""


class BatchRequestExpiredError(BatchRequestError):
    """The batch's 24 hours ended before this request was processed (it is not billed)."""


class BatchResultUnreadableError(BatchRequestError):
    """This request's line of the results file could not be read.

    Attributes:
        line: the start of the line, as text.
    """

    def __init__(self, message: str, *, custom_id: str, batch_id: str | None, line: str) -> None:
        super().__init__(message, custom_id=custom_id, batch_id=batch_id)
        self.line = line


def outcome_of(
    response: MessageBatchIndividualResponse, batch_id: str | None = None
) -> Message | BatchRequestError:
    """The `Message` of a result line, or the typed error of a request that did not succeed.

    Example:
        >>> for line in client.messages.batches.results(batch_id):
        ...     value = outcome_of(line)
    """
    result = response.result
    custom_id = response.custom_id
    where = f"request {custom_id!r}" + (f" of batch {batch_id}" if batch_id else "")
    if isinstance(result, MessageBatchSucceededResult):
        return result.message
    if isinstance(result, MessageBatchErroredResult):
        inner = result.error.error
        cls = error_for_type(inner.type)
        body: Any = result.error.model_dump(mode="json")
        error = cls(
            f"{inner.type}: {inner.message or '(no message)'}",
            status_code=None,
            error_type=inner.type,
            body=body,
            request_id=result.error.request_id,
            attempts=0,
        )
        return BatchRequestFailedError(
            f"{where} errored: {inner.type}: {inner.message or '(no message)'}",
            custom_id=custom_id,
            batch_id=batch_id,
            error=error,
        )
    if isinstance(result, MessageBatchCanceledResult):
        return BatchRequestCanceledError(
            f"{where} was canceled before it was processed",
            custom_id=custom_id,
            batch_id=batch_id,
        )
    if isinstance(result, MessageBatchExpiredResult):
        return BatchRequestExpiredError(
            f"{where} expired before it was processed", custom_id=custom_id, batch_id=batch_id
        )
    return BatchResultUnreadableError(
        f"{where}: its result line could not be read ({result.reason})",
        custom_id=custom_id,
        batch_id=batch_id,
        line=result.line,
    )

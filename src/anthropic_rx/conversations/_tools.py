"""`Tool` and `tool`: a Python function (sync or async) as a tool the model can call.

The definition the API sees (``name``, ``description``, ``input_schema``) is made as the
official SDK's ``beta_tool`` makes it, so the same function gives the same request: the
description is the docstring before its sections (``Args:``, ``Returns:``, …), the schema is
pydantic's JSON schema of the signature, and each ``Args:`` entry becomes its parameter's
``description``. The model's input is validated against the signature before the function
runs; a failure goes back to the model as an ``is_error`` result, never up the stack.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, cast, final, overload

import pydantic
from pydantic import TypeAdapter, ValidationError
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import CoreSchema, to_jsonable_python

__all__ = ["Approval", "Tool", "ToolError", "tool"]

#: ``requires_approval``: always, never, or decided on the call's input.
Approval = bool | Callable[[Any], bool]

_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Params|Returns|Return|Yields|Raises|Examples?|Notes?|"
    r"Attributes|See Also|Warnings?|Todo|References)\s*:\s*$",
    re.IGNORECASE,
)
_ARG = re.compile(r"^(\s*)(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def _split_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Return the description (the text before the first section) and the ``Args:`` entries."""
    lines = inspect.cleandoc(doc or "").splitlines()
    head: list[str] = []
    args: dict[str, str] = {}
    i = 0
    while i < len(lines) and not _SECTION.match(lines[i]):
        head.append(lines[i])
        i += 1
    while i < len(lines):
        match = _SECTION.match(lines[i])
        i += 1
        if match is None or match.group(1).lower() not in ("args", "arguments", "parameters"):
            continue
        current: str | None = None
        indent: int | None = None
        while i < len(lines) and not _SECTION.match(lines[i]):
            line = lines[i]
            arg = _ARG.match(line)
            if line.strip() and arg is not None and (indent is None or len(arg[1]) <= indent):
                indent = len(arg[1])
                current = str(arg[2]).lstrip("*")
                args[current] = str(arg[3]).strip()
            elif line.strip() and current is not None:
                args[current] = f"{args[current]}\n{line.strip()}".strip()  # as the SDK
            i += 1
    text = "\n".join(head).strip()
    return re.sub(r"\n{3,}", "\n\n", text), args


def _schema_of(function: Callable[..., Any], described: Mapping[str, str]) -> dict[str, Any]:
    """pydantic's JSON schema of *function*'s arguments, with ``Args:`` as descriptions."""

    class _Generator(GenerateJsonSchema):
        def kw_arguments_schema(
            self, arguments: Any, var_kwargs_schema: CoreSchema | None
        ) -> JsonSchemaValue:
            schema = super().kw_arguments_schema(arguments, var_kwargs_schema)
            properties: Any = schema.get("properties")
            if schema.get("type") == "object" and isinstance(properties, dict):
                for name, text in described.items():
                    prop: Any = cast("dict[str, Any]", properties).get(name)
                    if isinstance(prop, dict) and text and "description" not in prop:
                        prop["description"] = text
            return schema

    adapter: TypeAdapter[Any] = TypeAdapter(cast(Any, pydantic.validate_call(function)))
    return adapter.json_schema(schema_generator=_Generator)


def _input_model(function: Callable[..., Any], name: str) -> type[pydantic.BaseModel]:
    """A pydantic model of *function*'s keyword arguments, to validate the model's input."""
    fields: dict[str, Any] = {}
    hints = _hints(function)
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise TypeError(
                f"tool {name!r}: parameter {parameter.name!r} is positional-only, but tool "
                "input comes as keyword arguments"
            )
        annotation = hints.get(parameter.name, Any)
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[parameter.name] = (annotation, default)
    model: type[pydantic.BaseModel] = pydantic.create_model(
        f"{name}_input",
        __config__=pydantic.ConfigDict(arbitrary_types_allowed=True),
        **fields,
    )
    return model


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    import typing

    try:
        return typing.get_type_hints(function, include_extras=True)
    except Exception as exc:  # an annotation that does not resolve: say which tool
        raise TypeError(f"cannot read the type hints of {function!r}: {exc}") from exc


@final
class Tool:
    """A tool the model can call: its definition for the request, and the code that runs it.

    Make one with `tool` (from a function's signature and docstring) or `Tool.from_schema`
    (a raw JSON schema and a handler that takes the input dict). A `Tool` is still callable
    like the function it wraps.

    Attributes:
        name: the tool's name, as the model sees it.
        description: what the model reads to decide when to call it.
        input_schema: the JSON schema of the input.
        requires_approval: ``True`` to ask the app (`ApprovalRequested`) before each call,
            or a predicate on the input that says whether this call needs it.
        timeout: seconds a call may take before it is abandoned and reported to the model as
            an error (``None``: the conversation's ``tool_timeout``).
        is_async: whether the function is a coroutine function (run on the event loop).

    Example:
        >>> @tool
        ... def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
        ...     '''Get the current weather in a city.
        ...
        ...     Args:
        ...         city: the city's name, e.g. "Paris".
        ...     '''
        ...     return f"18 {unit} and sunny in {city}"
        >>> get_weather.to_param()["input_schema"]["required"]
        ['city']
    """

    __slots__ = (
        "_function",
        "_handler",
        "_model",
        "description",
        "input_schema",
        "is_async",
        "name",
        "requires_approval",
        "timeout",
    )

    def __init__(
        self,
        name: str,
        description: str,
        input_schema: Mapping[str, Any],
        handler: Callable[[Any], Any],
        *,
        function: Callable[..., Any] | None = None,
        model: type[pydantic.BaseModel] | None = None,
        requires_approval: Approval = False,
        timeout: float | None = None,
    ) -> None:
        """Prefer `tool` or `Tool.from_schema`; this is what both build."""
        if not re.fullmatch(r"[a-zA-Z0-9_-]{1,128}", str(name)):
            raise ValueError(
                f"expected a tool name of 1 to 128 letters, digits, '_' or '-', got {name!r}"
            )
        if timeout is not None and not timeout > 0:
            raise ValueError(f"expected a positive timeout in seconds, got {timeout!r}")
        self.name = name
        self.description = description
        self.input_schema: dict[str, Any] = dict(input_schema)
        self.requires_approval: Approval = requires_approval
        self.timeout = timeout
        self._handler = handler
        self._function = function
        self._model = model
        target = function if function is not None else handler
        self.is_async = inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
            getattr(target, "__call__", None)  # noqa: B004 - a callable object's method
        )

    @classmethod
    def from_schema(
        cls,
        name: str,
        input_schema: Mapping[str, Any],
        handler: Callable[[dict[str, Any]], Any],
        *,
        description: str = "",
        requires_approval: Approval = False,
        timeout: float | None = None,
    ) -> Tool:
        """A tool from a raw JSON schema; *handler* (sync or async) gets the input dict.

        The input is not validated against the schema (the API's own checks apply): the
        handler checks what it needs.

        Example:
            >>> lookup = Tool.from_schema(
            ...     "lookup",
            ...     {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
            ...     lambda input: f"found {input['q']}",
            ...     description="Look a word up.",
            ... )
        """
        if not callable(handler):
            raise TypeError(f"expected a callable handler, got {type(handler).__name__}")
        return cls(
            name,
            description,
            input_schema,
            handler,
            requires_approval=requires_approval,
            timeout=timeout,
        )

    def to_param(self) -> dict[str, Any]:
        """The tool's definition as the request's ``tools`` list takes it."""
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
        }

    def needs_approval(self, tool_input: Any) -> bool:
        """Whether a call with *tool_input* waits for the app's approval."""
        approval = self.requires_approval
        return bool(approval(tool_input)) if callable(approval) else bool(approval)

    def prepare(self, tool_input: Any) -> Callable[[], Any]:
        """Validate *tool_input* and return the call to make (sync, or returning an awaitable).

        Raises:
            ToolInputInvalid: the input does not fit the signature (its message says why,
                without the input's values).
        """
        if self._function is None:
            handler = self._handler
            return functools.partial(handler, tool_input)
        if not isinstance(tool_input, dict):
            raise ToolInputInvalid(
                f"invalid input for tool {self.name!r}: expected a JSON object, "
                f"got {type(tool_input).__name__}"
            )
        assert self._model is not None
        try:
            validated = self._model.model_validate(tool_input)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or '(input)'}: {error['msg']}"
                for error in exc.errors(include_url=False, include_input=False)
            )
            raise ToolInputInvalid(f"invalid input for tool {self.name!r}: {problems}") from None
        kwargs = {name: getattr(validated, name) for name in type(validated).model_fields}
        return functools.partial(self._function, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the wrapped function (or the handler) directly."""
        target = self._function if self._function is not None else self._handler
        return target(*args, **kwargs)

    def __repr__(self) -> str:
        kind = "async " if self.is_async else ""
        return f"<{kind}Tool {self.name!r}>"


class ToolError(Exception):
    """Raise it in a tool to send the model exactly *content* as an error result.

    Any other exception goes back as ``"Error: Type: message"``; this one's content goes as
    it is (a string, or text blocks), as the SDK's ``ToolError`` does.

    Example:
        >>> @tool
        ... def get_weather(city: str) -> str:
        ...     "Get the weather."
        ...     if city not in KNOWN:
        ...         raise ToolError(f"No station in {city}; try a nearby larger city.")
        ...     ...
    """

    def __init__(self, content: str | list[dict[str, Any]]) -> None:
        super().__init__(content if isinstance(content, str) else "(content blocks)")
        self.content = content


class ToolInputInvalid(ValueError):
    """The model's input does not fit a tool's signature (sent back to the model)."""


@overload
def tool(function: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    requires_approval: Approval = False,
    timeout: float | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    requires_approval: Approval = False,
    timeout: float | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a `Tool` of a sync or async function: ``@tool`` or ``@tool(name=..., ...)``.

    The name is the function's, the description its docstring before the sections, and the
    input schema pydantic's JSON schema of its type hints, each ``Args:`` entry describing
    its parameter. The model's input is validated against the hints before each call.

    Args:
        function: the function (when used as ``@tool`` without arguments).
        name: the tool's name (default: the function's).
        description: the description (default: from the docstring).
        requires_approval: ``True``, or a predicate on the input dict, to ask the app before
            a call (the conversation emits `ApprovalRequested` and waits).
        timeout: seconds a call may take (default: the conversation's ``tool_timeout``).

    Returns:
        The `Tool`, or a decorator that makes it.

    Raises:
        TypeError: a parameter is positional-only, or a hint pydantic cannot build.

    Example:
        >>> @tool(requires_approval=True, timeout=30)
        ... async def delete_file(path: str) -> str:
        ...     '''Delete a file in the sandbox.'''
        ...     ...
    """

    def make(function: Callable[..., Any]) -> Tool:
        if isinstance(function, Tool):
            raise TypeError("expected a function, got a Tool (applied @tool twice?)")
        if not callable(function):
            raise TypeError(f"expected a function, got {type(function).__name__}")
        tool_name = str(name or getattr(function, "__name__", ""))
        text, args = _split_docstring(function.__doc__)
        try:
            schema = _schema_of(function, args)
            model = _input_model(function, tool_name)
        except pydantic.PydanticUserError as exc:
            raise TypeError(f"tool {tool_name!r}: pydantic cannot describe it: {exc}") from exc
        return Tool(
            tool_name,
            text if description is None else description,
            schema,
            function,
            function=function,
            model=model,
            requires_approval=requires_approval,
            timeout=timeout,
        )

    if function is not None:
        return make(function)
    return make


#: The longest error text sent to the model: an exception may carry a page-sized payload.
ERROR_TEXT_MAX = 10_000


def well_formed(text: str) -> str:
    """*text* with any unpaired surrogate folded to U+FFFD (JSON in UTF-8 cannot carry one)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def error_text(error: BaseException, mask: Callable[[str], str] | None = None) -> str:
    """An exception as the model reads it: ``Error: Type: message``, never a traceback.

    *mask* hides what must not be sent (the conversation's: the API key, wherever the
    message holds it); the text is cut to `ERROR_TEXT_MAX` characters.
    """
    try:
        message = str(error)
    except Exception:  # an exception whose __str__ fails still has a type to report
        message = "(the error's message could not be read)"
    text = f"Error: {type(error).__name__}: {message}".rstrip(": ")
    if mask is not None:
        text = mask(text)
    return bounded(text)


def bounded(text: str) -> str:
    """*text* cut to `ERROR_TEXT_MAX` characters, and well formed: an error result as sent."""
    if len(text) > ERROR_TEXT_MAX:
        text = text[: ERROR_TEXT_MAX - 1] + "…"
    return well_formed(text)


def key_mask(reveal: Callable[[], str]) -> Callable[[str], str]:
    """A mask replacing the secret *reveal* returns with ``***``.

    The secret is read at each use and never bound to a name, so no traceback local holds
    it.
    """

    def mask(text: str) -> str:
        if not reveal():
            return text
        return text.replace(reveal(), "***")

    return mask


def result_content(value: Any) -> str | list[dict[str, Any]] | None:
    """A tool's return value as ``tool_result`` content.

    A string goes as it is; a list of content blocks (dicts with a ``type``) as blocks;
    ``None`` as no content; anything else as JSON (pydantic models included).
    """
    if value is None:
        return value
    if isinstance(value, str):
        return well_formed(value)
    if isinstance(value, list):
        items: list[Any] = value  # pyright: ignore[reportUnknownVariableType]
        if items and all(isinstance(block, dict) and "type" in block for block in items):
            return [dict(cast("dict[str, Any]", block)) for block in items]
    return json.dumps(to_jsonable_python(value), ensure_ascii=False)


def is_awaitable(value: object) -> bool:
    """Whether *value* must be awaited (a coroutine or another awaitable)."""
    return inspect.isawaitable(value)

"""Structured output: `parsed_output` (the final value), `partial_output` and
`partial_tool_input` (partial values as the JSON grows), `parse_output` (a whole `Message`).

The answer of an ``output_format=`` request is JSON text in a text block; a tool call's input
is JSON too. The final value is validated as the official SDK validates it
(``TypeAdapter(Model).validate_json(text)`` at the text block's ``content_block_stop``).
Partial values come from the incremental parser of the core (`PartialJSON`), fed each delta
once: reading the partial value after every delta costs the size of the delta plus the path
to the value being written, never a re-parse of everything so far (the SDK's way).
"""

from __future__ import annotations

import functools
import json
import types
import typing
from collections.abc import Callable
from typing import Any, Generic, Literal, TypeVar, cast, final, overload

import pydantic
from reactivex import Observable

from .._core import MessageSnapshot, PartialJSON, PartialJSONError, parse_complete
from .._exceptions import OutputValidationError
from ..events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    Message,
    MessageStartEvent,
    MessageStopEvent,
    StreamEvent,
    TextBlock,
    TextDelta,
)
from ..typing import Operator
from ._shared import OnStep, Step, steps_operator

__all__ = ["Partial", "parse_output", "parsed_output", "partial_output", "partial_tool_input"]

M = TypeVar("M")

_UNSET: Any = object()


# -- validation ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _adapter(output_format: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(output_format)


def _adapter_of(output_format: Any) -> pydantic.TypeAdapter[Any]:
    try:
        return _adapter(output_format)
    except TypeError:  # unhashable: not cached
        return pydantic.TypeAdapter(output_format)


def _name(output_format: Any) -> str:
    return getattr(output_format, "__name__", None) or repr(output_format)


def _validate_json(
    output_format: Any, text: str, *, index: int | None, snapshot: MessageSnapshot | None
) -> Any:
    """``TypeAdapter(output_format).validate_json(text)``, errors typed (the SDK's parse)."""
    try:
        return _adapter_of(output_format).validate_json(text)
    except pydantic.ValidationError as exc:
        raise _invalid(output_format, text, exc, index=index, snapshot=snapshot) from None


def _invalid(
    output_format: Any,
    text: str,
    exc: pydantic.ValidationError,
    *,
    index: int | None,
    snapshot: MessageSnapshot | None,
) -> OutputValidationError:
    errors: list[dict[str, Any]] = json.loads(exc.json(include_url=False))
    first = errors[0]["msg"] if errors else "invalid"
    return OutputValidationError(
        f"expected JSON for {_name(output_format)} in block {index}, got "
        f"{exc.error_count()} error(s) (first: {first})",
        text=text,
        errors=errors,
        index=index,
        snapshot=snapshot,
    )


def _first_parsed(values: list[Any]) -> Any:
    """The SDK's ``ParsedMessage.parsed_output``: the first truthy value (else the first)."""
    for value in values:
        if value:
            return value
    return values[0]


def parse_output(message: Message | MessageSnapshot, output_format: type[M]) -> M:
    """Validate the structured answer of a whole message (``create(output_format=...)``).

    As the SDK's ``messages.parse(...).parsed_output``: every text block is validated with
    ``TypeAdapter(output_format).validate_json``; the first truthy value is returned.

    Example:
        >>> message = client.messages.create(**params, output_format=Weather)
        >>> weather = arx.parse_output(message, Weather)   # a Weather, validated

    Raises:
        OutputValidationError: a text block is not JSON valid for *output_format* (it
            carries the raw text and pydantic's errors), or the message has no text block.
    """
    snapshot = message if isinstance(message, MessageSnapshot) else None
    values = [
        _validate_json(output_format, block.text, index=i, snapshot=snapshot)
        for i, block in enumerate(message.content)
        if isinstance(block, TextBlock)
    ]
    if not values:
        raise OutputValidationError(
            f"expected a text block holding JSON for {_name(output_format)}, got none "
            f"(stop_reason {message.stop_reason!r})",
            snapshot=snapshot,
        )
    return cast("M", _first_parsed(values))


def _format_of(source: Observable[StreamEvent], output_format: Any, operator: str) -> Any:
    if output_format is not None:
        return output_format
    found = getattr(getattr(source, "info", None), "output_format", None)
    if found is None:
        raise TypeError(
            f"{operator}() without a type needs a stream made with output_format=...: "
            f"pass the type, {operator}(Model)"
        )
    return found


@overload
def parsed_output() -> Operator[StreamEvent, Any]: ...
@overload
def parsed_output(output_format: type[M]) -> Operator[StreamEvent, M]: ...
def parsed_output(output_format: Any = None) -> Operator[StreamEvent, Any]:
    """Emit the final structured answer, validated, once, at ``message_stop``.

    Equal to the SDK's ``get_final_message().parsed_output`` on the same bytes: each text
    block is validated at its ``content_block_stop``
    (``TypeAdapter(output_format).validate_json``), and the first truthy value is emitted.
    Without *output_format*, the one the stream was requested with (``stream.info``).

    Args:
        output_format: the type to validate against (a pydantic model, ``list[int]``, …).

    Example:
        >>> stream = client.messages.stream(**params, output_format=Weather)
        >>> weather = stream.pipe(parsed_output(Weather)).run()   # typed: Weather
        >>> weather = await stream.pipe(parsed_output())          # the stream's format

    Marble:
        -S-b-t-u-B-D-X-|      t {"ci   u ty": "Paris", "temp": 21}
        [parsed_output(W)]
        -------------v-|      v: Weather(city="Paris", temp=21)

    Errors:
        As `accumulate`; `OutputValidationError` at the stop of a text block that is not
        JSON valid for the type (cut by ``max_tokens``, a refusal in prose, a wrong field),
        carrying the raw text and pydantic's errors, or at ``message_stop`` when there was
        no text block; `TypeError` at ``pipe`` when no type is given or recorded.
    """

    def operator(source: Observable[StreamEvent]) -> Observable[Any]:
        fmt = _format_of(source, output_format, "parsed_output")

        def per_subscription() -> OnStep[Any]:
            values: list[Any] = []

            def on_step(step: Step, emit: Callable[[Any], None]) -> None:
                event, snapshot = step
                assert snapshot is not None  # the accumulator has checked the order
                if isinstance(event, ContentBlockStopEvent):
                    block = snapshot.block(event.index)
                    if isinstance(block, TextBlock):
                        values.append(
                            _validate_json(fmt, block.text, index=event.index, snapshot=snapshot)
                        )
                elif isinstance(event, MessageStartEvent):  # whole text blocks (prefill)
                    for i, block in enumerate(snapshot.content):
                        if isinstance(block, TextBlock):
                            values.append(
                                _validate_json(fmt, block.text, index=i, snapshot=snapshot)
                            )
                elif not values:  # message_stop
                    raise OutputValidationError(
                        f"expected a text block holding JSON for {_name(fmt)}, got none "
                        f"(stop_reason {snapshot.stop_reason!r})",
                        snapshot=snapshot,
                    )
                else:
                    emit(_first_parsed(values))

            return on_step

        only = (ContentBlockStopEvent, MessageStartEvent, MessageStopEvent)
        return steps_operator(per_subscription=per_subscription, only=only)(source)

    return operator


# -- partial values -------------------------------------------------------------------------------


@final
class Partial(Generic[M]):
    """A partial value of type ``M``, as its JSON streams: what arrived so far, and the
    validated ``M`` once the JSON is whole.

    Nothing in it contradicts the final value: unfinished numbers, literals and keys are
    left out, a field is absent until its value has started, an unfinished string shows the
    prefix received so far.

    Attributes:
        data: the JSON value parsed so far (a ``dict`` for a model; ``None`` before any).
        instance: ``M`` built from ``data`` without validation: a pydantic model is made with
            ``model_construct`` (nested models, and lists and dicts of them, too), holding
            only the fields that arrived (reading another raises ``AttributeError``: check
            ``fields_set``, or use ``get``); leaves are as the JSON has them (a date is
            still its string). A union of models is built as its member once only one
            can still fit (its keys, its ``Literal`` tags); till then it is the JSON dict.
            ``None`` before any JSON; once complete, ``value`` itself.
            Finished parts are shared with later partials (built once): treat them as
            read-only.
        value: the validated ``M`` once the JSON is whole (at the block's stop), else
            ``None``.
        complete: whether ``value`` is set.
        index: the content block the JSON is in.
        id: the tool call's id (`partial_tool_input`), ``None`` for an answer.
        name: the tool's name (`partial_tool_input`), ``None`` for an answer.

    Example:
        >>> for p in stream.pipe(partial_output(Weather)).to_iterable():   # doctest: +SKIP
        ...     print(p.fields_set, p.get("city"), p.value)
    """

    __slots__ = ("complete", "data", "id", "index", "instance", "name", "value")

    def __init__(
        self,
        *,
        data: Any,
        instance: M | None,
        value: M | None = None,
        complete: bool = False,
        index: int = 0,
        id: str | None = None,
        name: str | None = None,
    ) -> None:
        self.data = data
        self.instance = instance
        self.value = value
        self.complete = complete
        self.index = index
        self.id = id
        self.name = name

    @property
    def fields_set(self) -> frozenset[str]:
        """The fields that arrived so far: a model's field names, a dict's keys, else empty."""
        instance = self.instance
        if isinstance(instance, pydantic.BaseModel):
            return frozenset(instance.model_fields_set)
        if isinstance(instance, dict):
            return frozenset(cast("dict[str, Any]", instance))
        return frozenset()

    def get(self, field: str, default: Any = None) -> Any:
        """The field's partial value (a nested partial model, …), or *default* if not yet set."""
        instance = self.instance
        if isinstance(instance, pydantic.BaseModel):
            if field in instance.model_fields_set:
                return getattr(instance, field)
            return default
        if isinstance(instance, dict):
            return cast("dict[str, Any]", instance).get(field, default)
        return default

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Partial):
            return NotImplemented
        return self._key() == other._key()

    def _key(self) -> tuple[Any, ...]:
        return (self.data, self.complete, self.value, self.index, self.id)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        state = "complete" if self.complete else "partial"
        return f"Partial({state}, index={self.index}, data={self.data!r})"


# A builder takes (value, previous value, previous result): the previous ones let it reuse
# what it built for the parts that did not change.
Build = Callable[[Any, Any, Any], Any]


def _is_dict(value: object) -> bool:
    return type(value) is dict  # JSON objects are exactly dicts (no subclasses to check)


def _is_list(value: object) -> bool:
    return type(value) is list


def _leaf(value: Any, prev: Any, prev_built: Any) -> Any:
    return value


class _Builder:
    """Build ``instance`` from partial JSON, per type, reusing what the previous build made.

    The partial parser shares finished values from one partial value to the next and makes
    fresh copies only on the path to the value being written. So a container identical to
    the one at its place last time is reused whole, and a list reuses the built items of its
    finished prefix (one C-level slice): a build costs the path to the value being written,
    never the whole value, and each finished model is built once and then shared.
    """

    def __init__(self, output_format: Any) -> None:
        self._builds: dict[Any, Build] = {}
        self._build = self._for(output_format)
        self._last: Any = _UNSET
        self._last_built: Any = _UNSET

    def __call__(self, data: Any) -> Any:
        built = self._build(data, self._last, self._last_built)
        self._last, self._last_built = data, built
        return built

    def _for(self, tp: Any) -> Build:
        key = tp
        try:
            return self._builds[key]
        except KeyError:
            pass
        except TypeError:  # unhashable type expression
            return self._make(tp)
        self._builds[key] = lambda v, p, b: self._builds[key](v, p, b)  # recursive models
        build = self._make(tp)
        self._builds[key] = build
        return build

    def _make(self, tp: Any) -> Build:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Annotated:
            return self._for(args[0])
        if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
            return self._model(tp)
        name = getattr(origin, "__name__", "")
        if origin in (list, tuple, set, frozenset) or name in ("Sequence", "Iterable"):
            return self._list(self._for(args[0]) if args else _leaf)
        if origin is dict or name == "Mapping":
            return self._dict(self._for(args[1]) if len(args) == 2 else _leaf)
        if origin is typing.Union or origin is types.UnionType:
            return self._union(args)
        return _leaf

    @staticmethod
    def _list(item: Build) -> Build:
        def build_list(value: Any, prev: Any, prev_built: Any) -> Any:
            if value is prev:
                return prev_built
            if not _is_list(value):
                return value
            reuse = _is_list(prev) and _is_list(prev_built) and len(prev) == len(prev_built)
            done = 0
            if reuse:
                # Every item of the previous list but its last was finished, so shared.
                done = min(len(prev), len(value)) - 1
                if done <= 0 or value[done - 1] is not prev[done - 1]:
                    done = 0
            out: list[Any] = prev_built[:done] if done else []
            for i in range(done, len(value)):
                if reuse and i < len(prev):
                    out.append(item(value[i], prev[i], prev_built[i]))
                else:
                    out.append(item(value[i], _UNSET, _UNSET))
            return out

        return build_list

    @staticmethod
    def _dict(item: Build) -> Build:
        def build_dict(value: Any, prev: Any, prev_built: Any) -> Any:
            if value is prev:
                return prev_built
            if not _is_dict(value):
                return value
            if not (_is_dict(prev) and _is_dict(prev_built)):
                return {k: item(v, _UNSET, _UNSET) for k, v in value.items()}
            return {
                k: item(v, prev.get(k, _UNSET), prev_built.get(k, _UNSET)) for k, v in value.items()
            }

        return build_dict

    def _union(self, args: tuple[Any, ...]) -> Build:
        models = [a for a in args if isinstance(a, type) and issubclass(a, pydantic.BaseModel)]
        lists = [a for a in args if typing.get_origin(a) in (list, tuple)]

        def build_union(value: Any, prev: Any, prev_built: Any) -> Any:
            if _is_dict(value):
                # Only a model the value can still grow into, and only when it is the one:
                # while two could be the final one, the JSON is given as it is (a dict).
                fits = [m for m in models if _could_be(m, value)]
                if len(fits) == 1:
                    return self._for(fits[0])(value, prev, prev_built)
            elif _is_list(value) and lists:
                return self._for(lists[0])(value, prev, prev_built)
            return value

        return build_union

    def _model(self, model: type[pydantic.BaseModel]) -> Build:
        fields: dict[str, tuple[str, Build]] = {}
        for name, info in model.model_fields.items():
            fields[_json_key(name, info)] = (name, self._for(info.annotation))

        def build_model(value: Any, prev: Any, prev_built: Any) -> Any:
            if value is prev and type(prev_built) is model:
                return prev_built
            if not _is_dict(value):
                return value
            old: dict[str, Any] = prev if _is_dict(prev) and type(prev_built) is model else {}
            old_built: dict[str, Any] = vars(prev_built) if old else {}
            built: dict[str, Any] = {}
            for key, v in value.items():
                field = fields.get(key)
                if field is None:
                    built[key] = v
                else:
                    name, build = field
                    built[key] = build(v, old.get(key, _UNSET), old_built.get(name, _UNSET))
            obj = model.model_construct(**built)
            attrs = vars(obj)
            for unset in [f for f in attrs if f not in obj.model_fields_set]:
                del attrs[unset]  # defaults: not arrived yet, so not set
            return obj

        return build_model


def _json_key(name: str, info: Any) -> str:
    """A field's key in the JSON the model answers with: its schema's (validation) name."""
    if isinstance(info.validation_alias, str):
        return info.validation_alias
    return info.alias if info.alias is not None else name


@functools.lru_cache(maxsize=256)
def _json_keys(model: type[pydantic.BaseModel]) -> frozenset[str]:
    return frozenset(_json_key(name, info) for name, info in model.model_fields.items())


@functools.lru_cache(maxsize=256)
def _literals(model: type[pydantic.BaseModel]) -> dict[str, tuple[Any, ...]]:
    """The values each ``Literal`` field of *model* allows, by JSON key (discriminators)."""
    found: dict[str, tuple[Any, ...]] = {}
    for name, info in model.model_fields.items():
        tp = info.annotation
        while typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
        if typing.get_origin(tp) is Literal:
            found[_json_key(name, info)] = typing.get_args(tp)
    return found


def _could_be(model: type[pydantic.BaseModel], value: dict[str, Any]) -> bool:
    """Whether the partial JSON object *value* may still grow into a *model*.

    Its keys are the model's (unless it allows extra ones), and its ``Literal`` fields
    hold an allowed value, or the prefix of one while the string still streams.
    """
    if model.model_config.get("extra") != "allow" and not value.keys() <= _json_keys(model):
        return False
    for key, allowed in _literals(model).items():
        if key not in value:
            continue
        got = value[key]
        if isinstance(got, str):
            if not any(isinstance(a, str) and a.startswith(got) for a in allowed):
                return False
        elif not any(got == a and type(got) is type(a) for a in allowed):
            return False
    return True


class _Tracker:
    """One block's JSON: the partial value so far, and whether it changed."""

    __slots__ = ("broken", "build", "last", "pieces")

    def __init__(self, build: _Builder) -> None:
        self.build = build
        self.last: Any = _UNSET
        self.broken = False
        self.pieces: list[str] = []

    def changed(self, data: Any) -> bool:
        if data is None or (self.last is not _UNSET and data == self.last):
            return False
        self.last = data
        return True


Kind = Literal["text", "tool"]


def _partials(
    output_format: Any, kind: Kind, tool_name: str | None
) -> Callable[[], OnStep[Partial[Any]]]:
    """The steps of `partial_output` (text blocks) and `partial_tool_input` (tool blocks)."""

    def per_subscription() -> OnStep[Partial[Any]]:
        trackers: dict[int, tuple[_Tracker, PartialJSON | None]] = {}
        ids: dict[int, tuple[str | None, str | None]] = {}

        def final(index: int, value: Any, data: Any, emit: Callable[[Any], None]) -> None:
            tool_id, name = ids.get(index, (None, None))
            emit(
                Partial(
                    data=data,
                    instance=value,
                    value=value,
                    complete=True,
                    index=index,
                    id=tool_id,
                    name=name,
                )
            )

        def start(index: int, block: Any) -> bool:
            if kind == "text":
                if not isinstance(block, TextBlock):
                    return False
                tracker, parser = _Tracker(_Builder(output_format)), PartialJSON()
                try:
                    parser.feed(block.text)  # "" but for a block sent with its text
                except PartialJSONError:
                    tracker.broken = True
                trackers[index] = (tracker, parser)
                return True
            if not _is_tool(block) or (tool_name is not None and block.name != tool_name):
                return False
            trackers[index] = (_Tracker(_Builder(output_format)), None)
            ids[index] = (getattr(block, "id", None), block.name)
            return True

        def stop(index: int, snapshot: MessageSnapshot, emit: Callable[[Any], None]) -> None:
            tracker, _parser = trackers.pop(index)
            block: Any = snapshot.block(index)
            if kind == "text":
                text: str = block.text
                value = _validate_json(output_format, text, index=index, snapshot=snapshot)
                data = parse_complete(text)
            else:
                data = block.input
                text = "".join(tracker.pieces) or json.dumps(data)
                try:
                    value = _adapter_of(output_format).validate_python(data)
                except pydantic.ValidationError as exc:
                    raise _invalid(
                        output_format, text, exc, index=index, snapshot=snapshot
                    ) from None
            final(index, value, data, emit)

        def on_step(step: Step, emit: Callable[[Partial[Any]], None]) -> None:
            event, snapshot = step
            assert snapshot is not None  # the accumulator has checked the order
            if isinstance(event, ContentBlockDeltaEvent):
                entry = trackers.get(event.index)
                if entry is None:
                    return
                tracker, parser = entry
                delta = event.delta
                if parser is not None:
                    if not isinstance(delta, TextDelta) or tracker.broken:
                        return
                    try:
                        parser.feed(delta.text)
                    except PartialJSONError:
                        tracker.broken = True  # not JSON: the stop says so, with all the text
                        return
                    data = parser.value()
                else:
                    if not isinstance(delta, InputJSONDelta):
                        return
                    tracker.pieces.append(delta.partial_json)
                    data = snapshot.input_of(event.index)
                if tracker.changed(data):
                    tool_id, name = ids.get(event.index, (None, None))
                    emit(
                        Partial(
                            data=data,
                            instance=tracker.build(data),
                            index=event.index,
                            id=tool_id,
                            name=name,
                        )
                    )
            elif isinstance(event, ContentBlockStartEvent):
                start(event.index, event.content_block)
            elif isinstance(event, ContentBlockStopEvent):
                if event.index in trackers:
                    stop(event.index, snapshot, emit)
            elif isinstance(event, MessageStartEvent):  # blocks that came whole
                for index, block in enumerate(snapshot.content):
                    if start(index, block):
                        stop(index, snapshot, emit)

        return on_step

    return per_subscription


def _is_tool(block: Any) -> bool:
    return getattr(block, "type", None) in ("tool_use", "server_tool_use", "mcp_tool_use")


_PARTIAL_EVENTS = (
    ContentBlockStartEvent,
    ContentBlockDeltaEvent,
    ContentBlockStopEvent,
    MessageStartEvent,
)


@overload
def partial_output() -> Operator[StreamEvent, Partial[Any]]: ...
@overload
def partial_output(output_format: type[M]) -> Operator[StreamEvent, Partial[M]]: ...
def partial_output(output_format: Any = None) -> Operator[StreamEvent, Partial[Any]]:
    """Emit a `Partial` each time the answer's JSON grows into a different partial value.

    The text deltas of each text block go through an incremental JSON parser, once each;
    a `Partial` is emitted only when the partial value changed (a delta that only adds to
    an unfinished number or key emits nothing). At the block's stop, the last `Partial`
    carries the validated value (``complete=True``), as `parsed_output` validates it.

    Args:
        output_format: the answer's type (a pydantic model, ``list[Item]``, …); without it,
            the one the stream was requested with (``stream.info``).

    Example:
        >>> stream = client.messages.stream(**params, output_format=Weather)
        >>> stream.pipe(partial_output(Weather)).subscribe(lambda p: show(p.get("city")))

    Marble:
        -S-b-t-u-v-w-x-B-D-X-|     t {"ci  u ty": "Pa  v ris", "t  w emp": 2  x 1}
        [partial_output(Weather)]
        -----p-q-r---s-P-----|     p {}  q {"city": "Pa"}  r {"city": "Paris"}
                                   s {"city": "Paris", "temp": 21}  P: s, complete

    Errors:
        As `accumulate`; `OutputValidationError` at the stop of a text block that is not
        JSON valid for the type, after the partial values before it.
    """

    def operator(source: Observable[StreamEvent]) -> Observable[Partial[Any]]:
        fmt = _format_of(source, output_format, "partial_output")
        return steps_operator(per_subscription=_partials(fmt, "text", None), only=_PARTIAL_EVENTS)(
            source
        )

    return operator


def partial_tool_input(
    output_format: type[M], *, name: str | None = None
) -> Operator[StreamEvent, Partial[M]]:
    """Emit a `Partial` each time a tool call's input grows into a different partial value.

    Reads the accumulator's incremental parse of the input (`on_tool_input`'s
    ``snapshot``); at the block's stop, the last `Partial` carries the input validated
    against *output_format* (``complete=True``). A call that came whole (in
    ``content_block_start`` with no deltas, or in ``message_start``) gives one, complete.

    Args:
        output_format: the input's type (a pydantic model).
        name: only this tool's calls (every tool call when ``None``); ``Partial.name`` and
            ``.id`` say which call each value belongs to.

    Example:
        >>> stream.pipe(partial_tool_input(WriteFile, name="write_file")).subscribe(
        ...     lambda p: editor.show(p.get("path"), p.get("text", "")))

    Marble:
        -S-b-j-k-l-m-n-B-D-X-|     b tool_use  j {"pa  k th": "a.py", "te  l xt": "hi"
        [partial_tool_input(F)]    m , "mode": 42  n 0}
        -----p-q-r---s-F-----|     p {}  q {"path": "a.py"}  r + "text": "hi"
                                   s + "mode": 420  F: s, complete (validated)

    Errors:
        As `accumulate` (`ToolInputError` for input that is not JSON at its stop);
        `OutputValidationError` at the stop of a call whose input does not fit the type.
    """
    return steps_operator(
        per_subscription=_partials(output_format, "tool", name), only=_PARTIAL_EVENTS
    )

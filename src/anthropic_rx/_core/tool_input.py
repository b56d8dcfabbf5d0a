"""Tool input JSON: parsed once when complete, and incrementally while it streams.

The official Python SDK re-parses the whole buffer on every ``input_json_delta`` (quadratic:
research/anthropic-streaming.md §1.7). Here the final value is parsed once, with jiter, at
``content_block_stop``; partial values are computed only when someone reads them, by an
incremental parser that carries its state from one fragment to the next, so reading the
partial value after every delta costs O(size of the delta) plus building the result.

Partial values never show something the final value contradicts:

* an unfinished number (``12`` of ``1234``) or literal (``tru``) is left out, with its key;
  a literal is finished at its last letter, a number only when something follows it;
* an unfinished key, or a key whose value has not started, is left out;
* an unfinished string is shown as the prefix received so far (``strings="partial"``) or
  left out (``strings="complete"``, what jiter's ``partial_mode=True`` does), and a
  half-received escape (``\\u00``, a lone high surrogate) is never shown;
* unfinished arrays and objects are shown with the items finished so far.

Values inside a partial result are shared with later partial results (finished strings,
numbers, closed arrays and objects), so treat them as read-only; the final value is parsed
fresh.
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal

import jiter

__all__ = ["PartialJSON", "PartialJSONError", "StringMode", "parse_complete"]

StringMode = Literal["partial", "complete"]


class PartialJSONError(ValueError):
    """The text received so far cannot be the start of any JSON value."""


_WS: Final = re.compile(r"[ \t\n\r]*")
_STRING_RUN: Final = re.compile(r'[^"\\]*')
_NUMBER_RUN: Final = re.compile(r"[-+0-9.eE]*")
_LITERAL_RUN: Final = re.compile(r"[a-z]*")
_LITERALS: Final = {"true": True, "false": False, "null": None}
_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_MISSING: Final = object()

# Frame states: what the parser expects next inside an object or array.
_KEY_OR_END, _KEY, _COLON, _VALUE, _COMMA_OR_END, _VALUE_OR_END = range(6)


def parse_complete(text: str | bytes) -> Any:
    """Parse a complete JSON value with jiter (raises `ValueError` when it is not one)."""
    return jiter.from_json(text.encode() if isinstance(text, str) else text)


class _Frame:
    __slots__ = ("is_object", "items", "key", "state")

    def __init__(self, is_object: bool) -> None:
        self.is_object = is_object
        self.items: dict[str, Any] | list[Any] = {} if is_object else []
        self.key: str | None = None
        self.state = _KEY_OR_END if is_object else _VALUE_OR_END


class PartialJSON:
    """An incremental JSON parser for one value that arrives in fragments.

    Example:
        >>> p = PartialJSON()
        >>> p.feed('{"path": "a.py", "n": 12')
        >>> p.value()
        {'path': 'a.py'}
        >>> p.feed('34, "text": "li')
        >>> p.value()
        {'path': 'a.py', 'n': 1234, 'text': 'li'}
    """

    __slots__ = ("_done", "_error", "_scalar", "_scalar_kind", "_stack", "_text_pieces", "_value")

    def __init__(self) -> None:
        self._stack: list[_Frame] = []
        self._value: Any = _MISSING  # the root value, once finished
        self._done = False
        self._error: str | None = None
        # The scalar being read: kind "" (none), "s" string, "k" key string, "n", "l".
        self._scalar_kind = ""
        self._scalar = ""  # raw text of a number/literal, or a pending escape of a string
        self._text_pieces: list[str] = []  # decoded pieces of the string being read

    # -- feeding ---------------------------------------------------------------------------

    def feed(self, fragment: str) -> None:
        """Consume the next *fragment* of JSON text.

        Raises:
            PartialJSONError: the text so far cannot begin a JSON value.
        """
        if self._error is not None:
            raise PartialJSONError(self._error)
        try:
            self._feed(fragment)
        except PartialJSONError as exc:
            self._error = str(exc)
            raise

    def _feed(self, s: str) -> None:
        i, n = 0, len(s)
        while i < n:
            kind = self._scalar_kind
            if kind in ("s", "k"):
                i = self._read_string(s, i)
                continue
            if kind == "n":
                m = _NUMBER_RUN.match(s, i)
                assert m is not None
                self._scalar += m.group()
                i = m.end()
                if i < n:
                    self._finish_scalar()
                continue
            if kind == "l":
                m = _LITERAL_RUN.match(s, i)
                assert m is not None
                self._scalar += m.group()
                i = m.end()
                if len(self._scalar) > 5 or not any(w.startswith(self._scalar) for w in _LITERALS):
                    raise PartialJSONError(f"invalid literal {self._scalar!r}")
                if self._scalar in _LITERALS or i < n:
                    self._finish_scalar()  # a whole literal cannot grow: done at its last letter
                continue
            m = _WS.match(s, i)
            assert m is not None
            i = m.end()
            if i >= n:
                break
            c = s[i]
            if self._done:
                raise PartialJSONError(f"unexpected {c!r} after the JSON value")
            frame = self._stack[-1] if self._stack else None
            state = frame.state if frame is not None else _VALUE
            if state in (_KEY_OR_END, _KEY):
                if c == '"':
                    self._scalar_kind, self._text_pieces, self._scalar = "k", [], ""
                elif c == "}" and state == _KEY_OR_END:
                    self._close()
                else:
                    raise PartialJSONError(f"expected a key, got {c!r}")
                i += 1
            elif state == _COLON:
                if c != ":":
                    raise PartialJSONError(f"expected ':', got {c!r}")
                assert frame is not None
                frame.state = _VALUE
                i += 1
            elif state == _COMMA_OR_END:
                assert frame is not None
                if c == ",":
                    frame.state = _KEY if frame.is_object else _VALUE
                elif c == ("}" if frame.is_object else "]"):
                    self._close()
                else:
                    raise PartialJSONError(f"expected ',' or a closing bracket, got {c!r}")
                i += 1
            else:  # _VALUE or _VALUE_OR_END
                if c == "]" and state == _VALUE_OR_END:
                    self._close()
                    i += 1
                elif c == "{" or c == "[":
                    self._stack.append(_Frame(c == "{"))
                    i += 1
                elif c == '"':
                    self._scalar_kind, self._text_pieces, self._scalar = "s", [], ""
                    i += 1
                elif c == "-" or c.isdigit():
                    self._scalar_kind, self._scalar = "n", ""
                elif c in "tfn":
                    self._scalar_kind, self._scalar = "l", ""
                else:
                    raise PartialJSONError(f"expected a value, got {c!r}")

    def _read_string(self, s: str, i: int) -> int:
        n = len(s)
        while i < n:
            if self._scalar:  # inside an escape, which may span fragments
                i = self._read_escape(s, i)
                continue
            m = _STRING_RUN.match(s, i)
            assert m is not None
            if m.end() > i:
                self._text_pieces.append(m.group())
                i = m.end()
            if i >= n:
                break
            if s[i] == '"':
                self._finish_string()
                return i + 1
            self._scalar = "\\"  # a backslash starts an escape
            i += 1
        return i

    def _read_escape(self, s: str, i: int) -> int:
        """Read escape characters into ``_scalar`` until it is whole, then decode it."""
        n = len(s)
        while i < n:
            self._scalar += s[i]
            i += 1
            esc = self._scalar
            if len(esc) == 2 and esc[1] != "u":
                if esc[1] not in _ESCAPES:
                    raise PartialJSONError(f"invalid escape {esc!r}")
                self._text_pieces.append(_ESCAPES[esc[1]])
                self._scalar = ""
                return i
            if len(esc) <= 6:
                if len(esc) > 2 and esc[-1] not in _HEX:
                    raise PartialJSONError(f"invalid escape {esc!r}")
                if len(esc) == 6 and not 0xD800 <= int(esc[2:6], 16) < 0xDC00:
                    if 0xDC00 <= int(esc[2:6], 16) < 0xE000:
                        raise PartialJSONError(f"lone low surrogate {esc!r}")
                    self._text_pieces.append(chr(int(esc[2:6], 16)))
                    self._scalar = ""
                    return i
                continue
            # A high surrogate waits for a backslash, "u" and a low surrogate.
            if (len(esc) == 7 and esc[6] != "\\") or (len(esc) == 8 and esc[7] != "u"):
                raise PartialJSONError(f"lone high surrogate {esc[:6]!r}")
            if len(esc) > 8 and esc[-1] not in _HEX:
                raise PartialJSONError(f"invalid escape {esc[6:]!r}")
            if len(esc) == 12:
                high, low = int(esc[2:6], 16), int(esc[8:12], 16)
                if not 0xDC00 <= low < 0xE000:
                    raise PartialJSONError(f"lone high surrogate {esc[:6]!r}")
                self._text_pieces.append(chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)))
                self._scalar = ""
                return i
        return i

    def _finish_string(self) -> None:
        text = "".join(self._text_pieces)
        kind = self._scalar_kind
        self._scalar_kind, self._text_pieces = "", []
        if kind == "k":
            frame = self._stack[-1]
            frame.key, frame.state = text, _COLON
        else:
            self._put(text)

    def _finish_scalar(self) -> None:
        raw, kind = self._scalar, self._scalar_kind
        self._scalar_kind, self._scalar = "", ""
        if kind == "l":
            if raw not in _LITERALS:
                raise PartialJSONError(f"invalid literal {raw!r}")
            self._put(_LITERALS[raw])
            return
        try:
            self._put(jiter.from_json(raw.encode()))
        except ValueError as exc:
            raise PartialJSONError(f"invalid number {raw!r}") from exc

    def _put(self, value: Any) -> None:
        if not self._stack:
            self._value, self._done = value, True
            return
        frame = self._stack[-1]
        if frame.is_object:
            assert isinstance(frame.items, dict)
            assert frame.key is not None
            frame.items[frame.key] = value
            frame.key = None
        else:
            assert isinstance(frame.items, list)
            frame.items.append(value)
        frame.state = _COMMA_OR_END

    def _close(self) -> None:
        frame = self._stack.pop()
        self._put(frame.items)

    # -- reading ---------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        """Whether any non-whitespace text has been read."""
        return self._done or bool(self._stack) or bool(self._scalar_kind)

    def value(self, strings: StringMode = "partial") -> Any:
        """Return the value received so far (``None`` before anything started).

        Containers on the path to the unfinished value are fresh copies; finished values
        inside them are shared with later results.
        """
        if self._done:
            return self._value
        child: Any = _MISSING
        if self._scalar_kind == "s" and strings == "partial":
            child = "".join(self._text_pieces)
            self._text_pieces = [child] if child else []
        for frame in reversed(self._stack):
            items: Any
            if frame.is_object:
                items = dict(frame.items)
                if child is not _MISSING and frame.key is not None and frame.state == _VALUE:
                    items[frame.key] = child
            else:
                items = list(frame.items)
                if child is not _MISSING:
                    items.append(child)
            child = items
        return None if child is _MISSING else child

"""`LineReader` and `parse_line`: a results body cut anywhere gives the same lines."""

from __future__ import annotations

import pytest

from anthropic_rx.batches import MessageBatchUnreadableResult
from anthropic_rx.client._batch_wire import LineReader, parse_line

BODY = b'{"a":1}\n{"b":2}\r\n\n{"c":3}\n{"d":4}'
LINES = [b'{"a":1}', b'{"b":2}', b'{"c":3}', b'{"d":4}']


def _read(chunks: list[bytes], limit: int | None = None) -> list[bytes]:
    reader = LineReader(limit)
    lines = [line for chunk in chunks for line in reader.feed(chunk)]
    last = reader.flush()
    return [*lines, *([last] if last is not None else [])]


@pytest.mark.parametrize("cut", range(len(BODY) + 1))
def test_every_single_cut(cut: int) -> None:
    assert _read([BODY[:cut], BODY[cut:]]) == LINES


def test_one_byte_at_a_time() -> None:
    assert _read([BODY[i : i + 1] for i in range(len(BODY))]) == LINES


def test_a_line_over_the_limit_is_cut_and_the_rest_skipped() -> None:
    body = b'{"ok":1}\n' + b"x" * 50 + b'\n{"ok":2}\n'
    assert _read([body[i : i + 7] for i in range(0, len(body), 7)], limit=20) == [
        b'{"ok":1}',
        b"x" * 20,
        b'{"ok":2}',
    ]


def test_a_bad_line_keeps_its_custom_id() -> None:
    line = parse_line(b'{"custom_id":"q7","result":{"type":"succeeded","mess')
    assert line.custom_id == "q7"
    assert isinstance(line.result, MessageBatchUnreadableResult)
    nameless = parse_line(b"not json")
    assert nameless.custom_id == ""
    wrong = parse_line(b'{"custom_id":"q8","result":{"type":"succeeded"}}')
    assert wrong.custom_id == "q8" and wrong.result.type == "unreadable"

"""Recordings are replayed byte for byte, chosen per server or per request."""

from __future__ import annotations

from pathlib import Path

import pytest

from anthropic_rx.emulator import Emulator, split_events

from ..conftest import REAL, real_recording_names, require_corpus
from .helpers import body, send

RECORDINGS = real_recording_names()


@pytest.mark.parametrize("name", RECORDINGS)
def test_every_real_recording_is_replayed_byte_exact_per_request(emu: Emulator, name: str) -> None:
    path = require_corpus(REAL / name)
    response = send(emu.base_url, body(), extra={"x-emulator-recording": str(path)})
    assert response.status == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.complete
    assert response.body == path.read_bytes()


def test_a_server_wide_recording_is_replayed_byte_exact_streamed_and_unstreamed() -> None:
    path = require_corpus(REAL / "otel-text-then-two-tools-sonnet35.sse")
    with Emulator(recording=path, pace=0) as emu:
        assert send(emu.base_url, body()).body == path.read_bytes()
        message = send(emu.base_url, body(stream=False)).json()
        assert emu.stats.wait_idle()
    assert message["id"] == "msg_0138UNF3YbNp49KkqZtUBWqz"
    assert [b["type"] for b in message["content"]] == ["text", "tool_use", "tool_use"]
    assert message["content"][1]["input"]["location"] == "San Francisco, CA"
    assert message["stop_reason"] == "tool_use"
    assert message["content"][0]["text"].startswith("Certainly! I can help")


def test_a_request_can_replace_the_server_recording_with_generation(tmp_path: Path) -> None:
    path = require_corpus(REAL / "llm-text-short.sse")
    with Emulator(recording=path) as emu:
        generated = send(emu.base_url, body(metadata={"user_id": "emulator:recording="}))
        assert b"claude-emulated" in generated.body
        assert emu.stats.wait_idle()


def test_a_recording_must_be_an_existing_sse_file(emu: Emulator, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("no")
    for path in (tmp_path / "secret.txt", tmp_path / "missing.sse"):
        response = send(emu.base_url, body(), extra={"x-emulator-recording": str(path)})
        assert response.status == 400


def test_a_recording_ending_mid_event_is_replayed_as_it_is(emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "cut.sse"
    path.write_bytes(
        b'event: message_start\ndata: {"type":"message_start"}\n\nevent: ping\ndata: {"ty'
    )
    response = send(emu.base_url, body(), extra={"x-emulator-recording": str(path)})
    assert response.body == path.read_bytes()
    assert response.complete


@pytest.mark.parametrize(
    "data",
    [
        b"event: a\ndata: 1\n\nevent: b\ndata: 2\n\n",
        b"event: a\r\ndata: 1\r\n\r\n\n\nevent: b\rdata: 2\r\r",
        b"\n\nevent: a\ndata: 1\n\ndata: tail",
        b"",
    ],
)
def test_split_events_loses_no_byte(data: bytes) -> None:
    assert b"".join(e.raw for e in split_events(data)) == data


def test_split_events_names_events_and_estimates_delta_tokens() -> None:
    data = require_corpus(REAL / "llm-text-short.sse").read_bytes()
    events = split_events(data)
    assert [e.type for e in events][:3] == ["message_start", "content_block_start", "ping"]
    assert sum(e.tokens for e in events) > 0
    assert all(e.tokens == 0 for e in events if not e.is_delta)

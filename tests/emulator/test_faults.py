"""Each fault scenario F01-F22 does on the wire what research/reliability.md says the server does.

These test the emulator from a raw socket; how clients cope is tested elsewhere.
"""

from __future__ import annotations

import email.utils
import hashlib
import itertools
import json
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from anthropic_rx.emulator import SCENARIOS, Emulator

from .helpers import (
    HEADERS,
    RawResponse,
    body,
    connect,
    parse,
    read_all,
    request_bytes,
    scenario,
    send,
)

DELTA = b"event: content_block_delta\n"
Events = list[tuple[str, dict[str, Any]]]


def names(response: RawResponse) -> list[str]:
    return [name for name, _ in response.events()]


def normal_body(emu: Emulator, **changes: Any) -> bytes:
    return send(emu.base_url, body(**changes), extra={"x-emulator-scenario": "none"}).body


def read_until(sock: socket.socket, done: Callable[[bytes], bool], timeout: float = 5.0) -> bytes:
    """Read from *sock* until *done* holds for what arrived (or the server closes)."""
    sock.settimeout(timeout)
    received = b""
    while not done(received):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def nothing_pending(sock: socket.socket) -> bool:
    """Tell whether no byte is waiting on *sock* (without waiting)."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)  # a byte, or b"" for a FIN: either way, something came
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)
    return False


def test_every_scenario_of_the_reliability_table_exists() -> None:
    assert list(SCENARIOS) == [f"F{i:02d}" for i in range(1, 23)]


# -- F01 ---------------------------------------------------------------------------------------


def test_f01_answers_429_with_retry_after_and_then_200(emu: Emulator) -> None:
    first = send(emu.base_url, body(), extra=scenario("F01"))
    assert first.status == 429
    assert first.json()["error"]["type"] == "rate_limit_error"
    assert first.headers["retry-after"] == "2"
    assert first.headers["anthropic-ratelimit-requests-remaining"] == "0"
    second = send(emu.base_url, body(), extra=scenario("F01"))
    assert second.status == 200
    assert names(second)[-1] == "message_stop"
    records = emu.stats.requests()
    assert [(r.attempt, r.scenario, r.status) for r in records] == [(1, "F01", 429), (2, None, 200)]
    assert emu.stats.attempts(records[0].conversation) == 2


@pytest.mark.parametrize(
    ("variant", "header", "value"),
    [
        ("ms", "retry-after-ms", "1500"),
        ("long", "retry-after", "3600"),
        ("spend-limit", "retry-after", "2"),
    ],
)
def test_f01_variants_send_each_form_of_retry_after(
    emu: Emulator, variant: str, header: str, value: str
) -> None:
    response = send(emu.base_url, body(), extra=scenario("F01", variant=variant))
    assert response.status == 429
    assert response.headers[header] == value
    assert {"retry-after", "retry-after-ms"} - {header} - set(response.headers)


def test_f01_spend_limit_says_so_in_the_error_details(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F01", variant="spend-limit"))
    assert response.json()["error"]["details"] == {"error_code": "enforced_spend_limit_reached"}


def test_f01_date_variant_sends_an_http_date(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F01", variant="date", retry_after=30))
    when = email.utils.parsedate_to_datetime(response.headers["retry-after"]).timestamp()
    assert 25 <= when - time.time() <= 31


def test_f01_times_fails_n_attempts_of_a_keyed_conversation(emu: Emulator) -> None:
    extra = {**scenario("F01", times=2), "x-emulator-key": "conversation-1"}
    statuses = [send(emu.base_url, body(), extra=extra).status for _ in range(3)]
    assert statuses == [429, 429, 200]
    assert emu.stats.attempts("conversation-1") == 3


# -- F02 ---------------------------------------------------------------------------------------


def test_f02_answers_529_overloaded_then_200(emu: Emulator) -> None:
    first = send(emu.base_url, body(), extra=scenario("F02"))
    assert first.status == 529
    assert first.json()["error"]["type"] == "overloaded_error"
    assert send(emu.base_url, body(), extra=scenario("F02")).status == 200


@pytest.mark.parametrize("status", [502, 503, 504])
def test_f02_proxy_statuses_come_with_an_html_body(emu: Emulator, status: int) -> None:
    response = send(emu.base_url, body(), extra=scenario("F02", status=status))
    assert response.status == status
    assert response.headers["content-type"] == "text/html"
    assert response.body.startswith(b"<html>")
    assert str(status).encode() in response.body


@pytest.mark.parametrize(
    ("status", "error_type"), [(500, "api_error"), (408, "timeout_error"), (409, "api_error")]
)
def test_f02_json_statuses_carry_the_api_error_type(
    emu: Emulator, status: int, error_type: str
) -> None:
    response = send(emu.base_url, body(), extra=scenario("F02", status=status))
    assert response.status == status
    assert response.json()["error"]["type"] == error_type


def test_f02_x_should_retry_overrides_in_both_directions(emu: Emulator) -> None:
    no = send(emu.base_url, body(), extra=scenario("F02", variant="should-retry-false"))
    assert (no.status, no.headers["x-should-retry"]) == (529, "false")
    yes = send(emu.base_url, body(), extra=scenario("F02", variant="should-retry-true"))
    assert (yes.status, yes.headers["x-should-retry"]) == (400, "true")


# -- F03, F04 ----------------------------------------------------------------------------------


def test_f03_sends_event_error_after_n_deltas_and_ends_the_body(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F03", after=2))
    assert response.complete
    events = response.events()
    assert [n for n, _ in events].count("content_block_delta") == 2
    assert events[-1] == (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    assert "message_stop" not in names(response)


def test_f04_sends_event_error_first_and_then_a_normal_stream(emu: Emulator) -> None:
    first = send(emu.base_url, body(), extra=scenario("F04"))
    assert (first.status, names(first)) == (200, ["error"])
    second = send(emu.base_url, body(), extra=scenario("F04"))
    assert names(second)[0] == "message_start"
    assert names(second)[-1] == "message_stop"


# -- F05, F06 ----------------------------------------------------------------------------------


def test_f05_resets_the_connection_after_n_deltas_that_all_arrive(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F05", after=3))
    assert isinstance(response.error, ConnectionResetError)
    assert not response.complete
    assert names(response).count("content_block_delta") == 3  # every event before the RST arrived
    assert emu.stats.wait_idle()
    assert emu.stats.close_reasons() == {"server_reset": 1}
    assert emu.stats.requests()[0].outcome == "reset"


def test_f05_resets_an_unstreamed_answer_in_the_middle_of_its_body(emu: Emulator) -> None:
    response = send(emu.base_url, body(stream=False), extra=scenario("F05"))
    assert isinstance(response.error, ConnectionResetError)
    assert response.status == 200
    assert response.body
    assert not response.complete


def test_f06a_closes_with_a_fin_in_the_middle_of_the_chunked_body(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F06", after=2))
    assert response.error is None
    assert not response.complete
    assert names(response).count("content_block_delta") == 2
    assert emu.stats.wait_idle()
    assert emu.stats.close_reasons() == {"server_close": 1}
    assert emu.stats.requests()[0].outcome == "fin"


def test_f06b_ends_the_chunked_body_properly_without_message_stop(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F06", variant="end"))
    assert response.complete
    assert response.raw.endswith(b"\r\n0\r\n\r\n")
    assert names(response)[-1] == "content_block_delta"


# -- F07 ---------------------------------------------------------------------------------------


def test_f07_accepts_and_never_sends_headers_until_the_client_leaves(emu: Emulator) -> None:
    with connect(emu.base_url) as sock:
        sock.sendall(request_bytes(body(), extra=scenario("F07")))
        assert emu.wait_stalled()
        assert nothing_pending(sock)
    assert emu.stats.wait_idle()
    record = emu.stats.requests()[0]
    assert (record.status, record.outcome, record.bytes_sent) == (None, "disconnected", 0)
    assert emu.stats.close_reasons() == {"client_fin": 1}


def test_f07_released_closes_without_a_response_and_then_answers(emu: Emulator) -> None:
    with connect(emu.base_url) as sock:
        sock.sendall(request_bytes(body(), extra=scenario("F07", gate="g")))
        assert emu.wait_stalled()
        emu.release("g")
        assert read_all(sock).raw == b""  # a FIN, and not one byte before it
    assert send(emu.base_url, body(), extra=scenario("F07", gate="g")).status == 200


def test_f07_close_and_reset_variants_end_the_connection_at_once(emu: Emulator) -> None:
    closed = send(emu.base_url, body(), extra=scenario("F07", variant="close"))
    assert (closed.raw, closed.error) == (b"", None)
    reset = send(emu.base_url, body(), extra=scenario("F07", variant="reset"))
    assert reset.raw == b""
    assert isinstance(reset.error, ConnectionResetError)


def test_f07_refused_url_refuses_connections(emu: Emulator) -> None:
    with pytest.raises(ConnectionRefusedError):
        connect(emu.refused_url).close()


# -- F08, F09 ----------------------------------------------------------------------------------


def test_f08_stalls_after_n_deltas_until_released(emu: Emulator) -> None:
    with connect(emu.base_url) as sock:
        sock.sendall(request_bytes(body(), extra=scenario("F08", after=2)))
        prefix = read_until(sock, lambda got: got.count(DELTA) == 2)
        assert emu.wait_stalled()
        assert nothing_pending(sock)
        emu.release()
        response = parse(prefix + read_all(sock).raw)
    assert response.complete
    assert names(response)[-1] == "message_stop"
    assert response.body == normal_body(emu)


def test_f08_stalls_right_after_the_headers(emu: Emulator) -> None:
    with connect(emu.base_url) as sock:
        sock.sendall(request_bytes(body(), extra=scenario("F08", variant="headers")))
        head = read_until(sock, lambda got: b"\r\n\r\n" in got)
        assert emu.wait_stalled()
        assert head.endswith(b"\r\n\r\n")
        assert nothing_pending(sock)


def test_f08_stall_ends_when_the_emulator_stops() -> None:
    emulator = Emulator().start()
    with connect(emulator.base_url) as sock:
        sock.sendall(request_bytes(body(), extra=scenario("F08")))
        assert emulator.wait_stalled()
        started = time.monotonic()
        emulator.stop()
        assert time.monotonic() - started < 5.0  # not the stall's hour, nor stop's 10 s join
        response = read_all(sock)
    assert response.status == 200
    assert not response.complete
    assert emulator.stats.requests()[0].outcome == "closed"
    assert emulator.stats.connections_open == 0


def test_f09_sends_only_pings_until_released(emu: Emulator) -> None:
    ping = b'event: ping\ndata: {"type": "ping"}\n\n'
    with connect(emu.base_url) as sock:
        sock.sendall(request_bytes(body(), extra=scenario("F09", after=1, interval=0.01, gate="p")))
        got = read_until(sock, lambda got: got.count(ping) >= 4)
        emu.release("p")
        response = parse(got + read_all(sock).raw)
    sequence = names(response)
    first_ping = sequence.index("ping", sequence.index("content_block_delta"))
    stalled = sequence[first_ping : first_ping + 3]
    assert stalled == ["ping", "ping", "ping"]
    assert sequence[-1] == "message_stop"
    assert [n for n in sequence if n != "ping"] == [n for n, _ in parse_normal(emu) if n != "ping"]


def parse_normal(emu: Emulator) -> list[tuple[str, dict[str, Any]]]:
    return send(emu.base_url, body(), extra={"x-emulator-scenario": "none"}).events()


# -- F10 to F14: what the bytes say ------------------------------------------------------------


def test_f10_ends_inside_the_data_line_of_message_stop(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F10"))
    assert response.complete
    last = response.body.rsplit(b"\n\n", 1)[1]
    assert last.startswith(b'event: message_stop\ndata: {"type":')  # cut halfway, padding aside
    assert b"\n" not in last[len(b"event: message_stop\n") :]  # no end of line after the cut
    assert response.events()[-1] == ("message_stop", {"broken": last.split(b"data: ")[1]})


def test_f10_no_blank_variant_ends_after_the_data_line(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F10", variant="no-blank"))
    assert response.body.endswith(b"}\n")
    assert not response.body.endswith(b"\n\n")
    assert response.body.rsplit(b"\n\n", 1)[1].startswith(b"event: message_stop\ndata: ")


def test_f11_sends_an_event_whose_json_is_cut_and_then_the_rest(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F11", after=1))
    blocks = response.body.split(b"\n\n")
    bad = [b for b in blocks if b.endswith(b'"text": "Hel')]
    assert len(bad) == 1
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad[0].split(b"data: ", 1)[1])
    sequence = names(response)
    assert sequence[sequence.index("content_block_delta") + 1] == "content_block_delta"
    assert sequence[-1] == "message_stop"  # the rest of the stream follows the bad event


def test_f11_end_variant_stops_after_the_bad_event(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F11", variant="end"))
    assert response.complete
    assert response.body.endswith(b'"text": "Hel\n\n')


def test_f12_adds_an_unknown_event_and_changes_nothing_else(emu: Emulator) -> None:
    events = send(emu.base_url, body(), extra=scenario("F12")).events()
    unknown = [e for e in events if e[0] == "content_block_annotation"]
    assert len(unknown) == 1
    assert unknown[0][1]["type"] == "content_block_annotation"
    assert [e for e in events if e[0] != "content_block_annotation"] == parse_normal(emu)


def test_f13_adds_an_unknown_delta_and_an_unknown_block(emu: Emulator) -> None:
    events = send(emu.base_url, body(), extra=scenario("F13")).events()
    deltas = [d["delta"]["type"] for n, d in events if n == "content_block_delta"]
    assert deltas.count("foo_delta") == 2
    starts = [d["content_block"]["type"] for n, d in events if n == "content_block_start"]
    assert starts == ["text", "foo_block"]
    foo = [d for _, d in events if d.get("index") == 1]
    assert [d["type"] for d in foo] == [
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
    ]


def _orphan_delta(events: Events) -> bool:
    return any(data.get("index") == 7 for _, data in events)


def _double_stop(events: Events) -> bool:
    return any(a == b and a[0] == "content_block_stop" for a, b in itertools.pairwise(events))


def _second_start(events: Events) -> bool:
    return [name for name, _ in events].count("message_start") == 2


def _after_stop(events: Events) -> bool:
    return [name for name, _ in events][-3:] == [
        "message_stop",
        "content_block_delta",
        "message_stop",
    ]


def _no_start(events: Events) -> bool:
    return "message_start" not in [name for name, _ in events]


@pytest.mark.parametrize(
    ("variant", "check"),
    [
        ("index", _orphan_delta),
        ("double-stop", _double_stop),
        ("second-start", _second_start),
        ("after-stop", _after_stop),
        ("no-start", _no_start),
    ],
)
def test_f14_breaks_the_event_grammar(
    emu: Emulator, variant: str, check: Callable[[Events], bool]
) -> None:
    events = send(emu.base_url, body(), extra=scenario("F14", variant=variant)).events()
    assert check(events)


# -- F15, F16, F17, F19: how the bytes travel --------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "kind"), [("chunks", "text"), ("one", "text"), ("chunks", "json")]
)
def test_f15_sends_one_huge_event_in_small_writes_or_one_write(
    emu: Emulator, variant: str, kind: str
) -> None:
    size = 200_000
    response = send(
        emu.base_url, body(), extra=scenario("F15", size=size, variant=variant, kind=kind)
    )
    huge = max(response.events(), key=lambda e: len(json.dumps(e[1])))[1]["delta"]
    text = huge.get("text", huge.get("partial_json"))
    assert size - 20 <= len(text) <= size
    assert hashlib.sha256(text.encode()).hexdigest() == response.headers["x-emulator-sha256"]
    biggest = max(len(chunk) for chunk in response.chunks)
    assert biggest <= 1024 if variant == "chunks" else biggest > size
    assert names(response)[-1] == "message_stop"


def test_f15_default_is_ten_mebibytes(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F15", variant="one"), timeout=20)
    text = max(
        (d["delta"].get("text", "") for n, d in response.events() if n == "content_block_delta"),
        key=len,
    )
    assert len(text) == 10 * 1024 * 1024


@pytest.mark.parametrize("gap", [0, 0.0002])
def test_f16_drips_the_whole_stream_one_byte_per_write(emu: Emulator, gap: float) -> None:
    options = {"text": "Hi", "gap": gap}
    started = time.monotonic()
    response = send(emu.base_url, body(), extra=scenario("F16", **options))
    assert time.monotonic() - started >= len(response.body) * gap
    assert {len(chunk) for chunk in response.chunks} == {1}
    expected = send(emu.base_url, body(), extra={"x-emulator-options": json.dumps({"text": "Hi"})})
    assert response.body == expected.body


def test_f16_drips_an_unstreamed_body_too(emu: Emulator) -> None:
    response = send(emu.base_url, body(stream=False), extra=scenario("F16", gap=0))
    assert {len(chunk) for chunk in response.chunks} == {1}
    assert response.json()["type"] == "message"


def test_f17_puts_an_invalid_byte_into_a_text_delta(emu: Emulator) -> None:
    raw = send(emu.base_url, body(), extra=scenario("F17", after=1)).body
    assert raw.count(b"\xff") == 1
    line = next(line for line in raw.split(b"\n") if b"\xff" in line)
    assert b'"text":"\xff' in line
    assert raw.replace(b"\xff", b"") == normal_body(emu)


def test_f17_truncated_variant_cuts_a_multibyte_character(emu: Emulator) -> None:
    raw = send(emu.base_url, body(), extra=scenario("F17", variant="truncated")).body
    assert raw.count(b'\xe2\x82"') == 1
    with pytest.raises(UnicodeDecodeError):
        raw.decode()


def test_f17_bom_variant_starts_with_a_byte_order_mark(emu: Emulator) -> None:
    raw = send(emu.base_url, body(), extra=scenario("F17", variant="bom")).body
    assert raw == b"\xef\xbb\xbf" + normal_body(emu)


def test_f19_frames_with_crlf_splitting_cr_and_lf_across_writes(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F19"))
    assert response.body.replace(b"\r\n", b"\n") == normal_body(emu)
    assert response.body.count(b"\r\n") == response.body.count(b"\n")
    assert not any(b"\r\n" in chunk for chunk in response.chunks)  # CR and LF never share a write
    pairs = zip(response.chunks, response.chunks[1:], strict=False)
    assert all(b.startswith(b"\n") for a, b in pairs if a.endswith(b"\r"))


def test_f19_cr_variant_uses_lone_carriage_returns(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F19", variant="cr", split=False))
    assert b"\n" not in response.body
    assert response.body.replace(b"\r", b"\n") == normal_body(emu)


# -- F18: the client leaves --------------------------------------------------------------------


def test_f18_streams_until_the_client_disconnects_and_notices(emu: Emulator) -> None:
    with connect(emu.base_url) as sock:
        sock.sendall(request_bytes(body(), extra=scenario("F18", after=2, interval=0.005)))
        read_until(sock, lambda got: got.count(DELTA) >= 8)
    assert emu.stats.wait_idle()
    record = emu.stats.requests()[0]
    assert record.outcome == "disconnected"
    assert record.events_sent >= 8
    assert set(emu.stats.close_reasons()) <= {"client_fin", "client_reset"}


# -- F20, F21, F22 -----------------------------------------------------------------------------


def test_f20_sends_a_200_that_is_not_an_event_stream(emu: Emulator) -> None:
    as_json = send(emu.base_url, body(), extra=scenario("F20"))
    assert as_json.status == 200
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json()["type"] == "message"
    html = send(emu.base_url, body(), extra=scenario("F20", variant="html"))
    assert html.headers["content-type"].startswith("text/html")
    assert html.body.startswith(b"<!DOCTYPE html>")
    empty = send(emu.base_url, body(), extra=scenario("F20", variant="empty"))
    assert empty.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert (empty.status, empty.headers["content-length"], empty.body) == (200, "0", b"")


def test_f21_answers_413_with_html_before_checking_the_key(emu: Emulator) -> None:
    response = send(emu.base_url, body(), headers=scenario("F21"))
    assert response.status == 413
    assert response.headers["content-type"] == "text/html"
    assert b"413 Request Entity Too Large" in response.body


@pytest.mark.parametrize("status", [307, 308])
def test_f22_redirects_to_another_origin_that_records_what_it_receives(
    emu: Emulator, status: int
) -> None:
    response = send(emu.base_url, body(), extra=scenario("F22", status=status))
    assert response.status == status
    assert response.headers["location"] == f"{emu.target_url}/v1/messages"
    assert emu.target_url != emu.base_url
    # A client that follows the redirect as httpx does: it drops Authorization, not x-api-key.
    with httpx.Client(follow_redirects=True) as client:
        followed = client.post(
            f"{emu.base_url}/v1/messages",
            json=body(stream=False),
            headers=HEADERS
            | scenario("F22", status=status)
            | {"x-api-key": "sk-ant-leaked-key-123456789"},
        )
    assert followed.status_code == 200  # the target answers like the API: it saw a key
    target = emu.stats.requests(origin="target")
    assert len(target) == 1
    assert target[0].has_api_key
    assert target[0].api_key == "sk-…6789"
    assert b"Tell me about pelicans" in target[0].body
    assert "sk-ant-leaked-key-123456789" not in repr(emu.stats.requests())


def test_f22_target_without_the_key_records_none_and_answers_401(emu: Emulator) -> None:
    response = send(
        emu.target_url, body(), headers={"anthropic-version": "2023-06-01"} | scenario("F22")
    )
    assert response.status == 401  # no scenario at the target: it is a plain API
    (record,) = emu.stats.requests(origin="target")
    assert not record.has_api_key
    assert record.scenario is None

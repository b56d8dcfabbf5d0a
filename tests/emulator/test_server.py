"""Running the emulator: connection accounting, request records, control, async use, the CLI."""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import anthropic_rx.emulator
from anthropic_rx.emulator import Emulator, EmulatorApp, main

from .helpers import HEADERS, KEY, body, connect, read_all, request_bytes, scenario, send
from .test_faults import DELTA, read_until


def test_connections_go_back_to_baseline_after_every_kind_of_ending(emu: Emulator) -> None:
    for code in ("F03", "F05", "F06", "F07", "F21", "F22"):
        options = {"variant": "close"} if code == "F07" else {}
        send(emu.base_url, body(), extra=scenario(code, **options))
    with httpx.Client() as client:
        for _ in range(3):
            assert (
                client.post(f"{emu.base_url}/v1/messages", json=body(), headers=HEADERS).status_code
                == 200
            )
    assert emu.stats.wait_idle()
    stats = emu.stats
    assert stats.connections_opened == stats.connections_closed == 7
    assert stats.connections_open == 0
    assert stats.close_reasons() == {"server_close": 5, "server_reset": 1, "client_fin": 1}
    kept_alive = stats.connections()[-1]
    assert kept_alive.requests == 3
    assert kept_alive.close_reason == "client_fin"
    assert kept_alive.bytes_received > 0
    assert kept_alive.bytes_sent > 0


def test_a_client_that_resets_is_recorded_as_client_reset(emu: Emulator) -> None:
    with connect(emu.base_url) as sock:
        sock.sendall(request_bytes(body(), extra=scenario("F18", interval=0.005)))
        read_until(sock, lambda got: got.count(DELTA) >= 5)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    assert emu.stats.wait_idle()
    assert emu.stats.close_reasons() == {"client_reset": 1}
    assert emu.stats.requests()[0].outcome == "disconnected"


def test_request_records_keep_headers_with_the_key_redacted(emu: Emulator) -> None:
    send(emu.base_url, body(), extra={"x-stainless-retry-count": "0"} | scenario("F02"))
    (record,) = emu.stats.requests()
    assert record.api_key == "sk-…cdef"
    assert record.has_api_key
    assert record.header("x-api-key") == "sk-…cdef"
    assert record.header("x-stainless-retry-count") == "0"
    assert (record.scenario, record.status, record.attempt, record.outcome) == (
        "F02",
        529,
        1,
        "complete",
    )
    assert (record.model, record.stream, record.method, record.path) == (
        "claude-emulated",
        True,
        "POST",
        "/v1/messages",
    )
    assert json.loads(record.body) == body()
    assert emu.stats.requests_by_scenario() == {"F02": 1}
    assert KEY not in repr(emu.stats.requests()) + repr(emu.stats.connections()) + repr(emu.stats)


def test_short_keys_and_bearer_tokens_are_redacted_entirely(emu: Emulator) -> None:
    send(
        emu.base_url,
        body(),
        headers={"authorization": "Bearer sk-short", "anthropic-version": "2023-06-01"},
    )
    (record,) = emu.stats.requests()
    assert record.api_key == "…"
    assert record.header("authorization") == "Bearer …"


def test_reset_forgets_attempts_so_a_scenario_applies_again(emu: Emulator) -> None:
    assert [send(emu.base_url, body(), extra=scenario("F01")).status for _ in range(2)] == [
        429,
        200,
    ]
    emu.reset()
    assert emu.stats.requests() == []
    assert emu.stats.connections_opened == 0
    assert send(emu.base_url, body(), extra=scenario("F01")).status == 429


def test_a_release_before_the_stall_lets_it_pass(emu: Emulator) -> None:
    emu.release("early")
    response = send(emu.base_url, body(), extra=scenario("F08", gate="early"))
    assert response.complete
    assert response.events()[-1][0] == "message_stop"


def test_the_stall_option_bounds_a_stall(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F08", stall=0.01))
    assert response.complete
    assert emu.stats.requests()[0].stalled


def test_metadata_can_choose_the_scenario(emu: Emulator) -> None:
    response = send(emu.base_url, body(metadata={"user_id": "emulator:scenario=F03&after=1"}))
    assert [n for n, _ in response.events()][-1] == "error"


def test_a_server_scenario_applies_unless_a_request_says_none() -> None:
    with Emulator(scenario="F02", options={"times": None}) as emu:
        assert send(emu.base_url, body()).status == 529
        assert send(emu.base_url, body()).status == 529
        assert send(emu.base_url, body(), extra={"x-emulator-scenario": "none"}).status == 200
        assert emu.stats.wait_idle()


def test_wait_for_returns_false_when_the_condition_never_holds(emu: Emulator) -> None:
    assert not emu.stats.wait_for(lambda stats: stats.connections_opened > 0, timeout=0.01)


def test_an_unknown_server_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="F99"):
        Emulator(scenario="F99")


def test_two_emulators_run_side_by_side() -> None:
    with Emulator(seed=1) as one, Emulator(seed=2) as two:
        assert one.base_url != two.base_url
        assert send(one.base_url, body()).body != send(two.base_url, body()).body
        assert one.stats.wait_idle()
        assert two.stats.wait_idle()
    assert "stopped" in repr(one)


def test_stopping_closes_idle_keep_alive_connections() -> None:
    emu = Emulator().start()
    with httpx.Client() as client:
        assert (
            client.post(f"{emu.base_url}/v1/messages", json=body(), headers=HEADERS).status_code
            == 200
        )
        emu.stop()
        assert emu.stats.connections_open == 0
    assert emu.stats.close_reasons() == {"server_close": 1}


def test_the_emulator_cannot_start_twice_and_has_no_url_when_stopped() -> None:
    emu = Emulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.base_url
    with emu, pytest.raises(RuntimeError, match="already running"):
        emu.start()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_async_with_serves_an_async_client(anyio_backend: str) -> None:
    async with Emulator() as emu:
        async with httpx.AsyncClient() as client:
            request = client.stream(
                "POST", f"{emu.base_url}/v1/messages", json=body(), headers=HEADERS
            )
            async with request as response:
                text = b"".join([chunk async for chunk in response.aiter_bytes()])
        assert text.endswith(b"event: message_stop\n" + text.rsplit(b"event: message_stop\n", 1)[1])
        assert emu.stats.wait_idle()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_app_runs_under_another_asgi_server_but_socket_faults_need_the_emulator(
    anyio_backend: str,
) -> None:
    app = EmulatorApp()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://emulator"
    ) as client:
        response = await client.post("/v1/messages", json=body(stream=False), headers=HEADERS)
        assert response.json()["type"] == "message"
        with pytest.raises(RuntimeError, match="emulator's own server"):
            await client.post("/v1/messages", json=body(), headers=HEADERS | scenario("F05"))


def test_the_cli_help_explains_every_scenario_and_the_headers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert all(f"F{i:02d}" in out for i in range(1, 23))
    assert "x-emulator-scenario" in out
    assert "--pace" in out
    assert "--recording" in out


@pytest.mark.parametrize("argv", [["--options", "[1]"], ["--options", "{"], ["--scenario", "F99"]])
def test_the_cli_rejects_bad_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error" in capsys.readouterr().err


def test_python_m_serves_until_interrupted() -> None:
    source = Path(anthropic_rx.emulator.__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "anthropic_rx.emulator", "--port", "0", "--scenario", "F01"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env) as process:
        assert process.stderr is not None
        banner = process.stderr.readline()
        base_url = banner.split("base_url ")[1].strip()
        assert send(base_url, body()).status == 429
        assert send(base_url, body()).status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        process.stderr.read()


def test_an_option_of_the_wrong_type_gets_a_400_naming_the_scenario(emu: Emulator) -> None:
    response = send(emu.base_url, body(), extra=scenario("F03", after="three"))
    assert response.status == 400
    assert "emulator: bad option for F03" in response.json()["error"]["message"]


def test_a_stall_waiting_through_a_reset_still_hears_its_release(emu: Emulator) -> None:
    with connect(emu.base_url) as sock:
        sock.sendall(request_bytes(body(), extra=scenario("F08", gate="g")))
        assert emu.wait_stalled()
        emu.reset()
        emu.release("g")
        response = read_all(sock)
    assert response.complete
    assert response.events()[-1][0] == "message_stop"


def test_many_concurrent_requests_leave_no_connection_behind(emu: Emulator) -> None:
    codes = ["none", "F03", "F05", "F06", "F10", "F16", "F19", "F20"] * 5

    def one(code: str) -> int | None:
        options = {"gap": 0, "text": "Hi"} if code == "F16" else {}
        return send(emu.base_url, body(), extra=scenario(code, **options)).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(one, codes))
    assert statuses == [200] * len(codes)
    assert emu.stats.wait_idle()
    assert emu.stats.connections_opened == emu.stats.connections_closed == len(codes)
    assert sum(emu.stats.close_reasons().values()) == len(codes)


def test_the_emulator_imports_nothing_from_the_library() -> None:
    """It stands apart, so that it tests the library as an outsider would."""
    import ast

    package = Path(anthropic_rx.emulator.__file__).resolve().parent
    for source in sorted(package.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                outside = node.level > 1 or (node.module or "").startswith("anthropic_rx")
                assert not outside, f"{source.name} imports {'.' * node.level}{node.module}"
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("anthropic_rx") for a in node.names), source.name


def test_a_misspelt_setting_is_a_type_error_before_anything_starts() -> None:
    with pytest.raises(TypeError, match=r"\['pase'\].*'pace'"):
        Emulator(pase=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="pase"):
        EmulatorApp(pase=5)  # type: ignore[call-arg]
    app = Emulator(pace=5, seed=3, models=["claude-x"]).app  # passed on to the app, whole
    assert app.defaults.pace == 5 and app.defaults.scenario is None

"""Shared fixtures: the corpus in ../shared (never copied here), recordings, chunkings."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    import tkinter

    import anthropic_rx as arx
    from anthropic_rx.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent

# Hypothesis profiles: "full" (the default, what CI runs: each test's own max_examples) and
# "fast" (`make test-fast`: at most FAST_EXAMPLES examples a test, even where a test asks
# for more with @settings; see pytest_collection_modifyitems).
FAST_EXAMPLES = 10
settings.register_profile("full")
settings.register_profile(
    "fast", max_examples=FAST_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

#: Tests marked ``slow`` here, by the start of their node id, besides those marked in place:
#: windows, kernels and processes, the fault and hardening scenarios over real sockets (most
#: take a second or more each), and the load tests. Together they are three quarters of the
#: suite's time; `make test-fast` leaves them out, CI runs them.
SLOW_PATHS = (
    "tests/examples/",
    "tests/notebooks/",
    "tests/client/test_faults.py",
    "tests/client/test_hardening.py",
    "tests/client/test_key_frames.py::test_no_traceback_frame_of_a",  # of a stream error, …
    "tests/client/test_load.py",
    "tests/test_cli.py",
    "tests/concurrency/test_stream_many.py::test_merging_100",
    "tests/core/test_compact.py::test_a_finished_stream_keeps_less_than_its_bytes",
    # Every recording against the SDK in many chunkings: the one-chunking runs stay fast.
    "tests/core/test_differential.py::test_final_message_equals_the_beta_sdk_in_small_chunks",
    "tests/core/test_differential.py::test_final_message_equals_the_beta_sdk_in_random_chunks",
    "tests/core/test_differential.py::test_a_stream_cut_at_any_event_boundary",
    "tests/client/test_client.py::test_the_key_appears_in_no_log_line_repr_or_error",
    # Whole documents and every recording, run end to end: the unit tests stay fast.
    "tests/test_readme.py",
    "tests/test_docstrings.py",
    "tests/test_migration_guide.py",
    "tests/core/test_compact_running.py::test_appended_steps_read_back_equal_from_every_position",
    # Many requests to the emulator over sockets: covered in full by `make test` and CI.
    "tests/batches/",
    "tests/tracing/",
    "tests/parity/test_client_surface.py",
    "tests/client/test_output_format.py",
    "tests/relay/",
    "tests/emulator/test_faults.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow folders; under the fast profile, cap every Hypothesis test's examples."""
    for item in items:
        if item.nodeid.startswith(SLOW_PATHS):
            item.add_marker(pytest.mark.slow)
    if config.getoption("hypothesis_profile", None) != "fast":
        return
    for item in items:
        function = getattr(item, "obj", None)
        own = getattr(function, "_hypothesis_internal_use_settings", None)
        if isinstance(own, settings) and own.max_examples > FAST_EXAMPLES:
            # Read by Hypothesis when the test runs: a test's own @settings would otherwise
            # win over the profile.
            function._hypothesis_internal_use_settings = settings(  # type: ignore[union-attr]
                own, max_examples=FAST_EXAMPLES, deadline=None
            )


#: The corpus lives beside the project, in ../shared/corpus; ANTHROPIC_RX_CORPUS overrides it.
CORPUS = Path(os.environ.get("ANTHROPIC_RX_CORPUS", ROOT.parent / "shared" / "corpus"))
REAL = CORPUS / "real"
SSE_CASES = CORPUS / "sse-conformance" / "cases.jsonl"


def real_recording_names() -> list[str]:
    """Names of the real recorded streams, or [] when the corpus is absent."""
    if not REAL.is_dir():
        return []
    return sorted(p.name for p in REAL.glob("*.sse"))


def require_corpus(path: Path) -> Path:
    """Skip the calling test, saying why, when *path* (part of the corpus) is absent."""
    if not path.exists():
        pytest.skip(
            f"the shared corpus is absent: {path} does not exist "
            "(set ANTHROPIC_RX_CORPUS to the folder holding real/ and sse-conformance/)"
        )
    return path


def read_recording(name: str) -> bytes:
    """Return the bytes of one real recording, skipping the test when the corpus is absent."""
    return require_corpus(REAL / name).read_bytes()


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    """Split *data* into chunks of *size* bytes."""
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.fixture
def corpus_dir() -> Path:
    """The corpus folder; skips the test when it is absent."""
    return require_corpus(CORPUS)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every ``@pytest.mark.anyio`` test on asyncio and on trio."""
    return str(request.param)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh emulator; afterwards no connection may be open and no request pending."""
    from anthropic_rx.emulator import Emulator

    with Emulator() as emulator:
        yield emulator
        gc.collect()  # a stream or generator left to the collector warns here, inside the test
        assert emulator.stats.wait_idle(timeout=10.0), emulator.stats.connections()


@pytest.fixture
def client(emu: Emulator) -> Iterator[arx.Client]:
    """A client of *emu* (`tests.clients.client`), closed after the test, before *emu*'s
    check that no connection is left open."""
    from .clients import client

    with client(emu) as c:
        yield c


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    """A private X display (Xvfb) for the whole session; skips when Xvfb is not installed."""
    from .gui_support import xvfb_or_skip

    with xvfb_or_skip() as name:
        yield name


@pytest.fixture(scope="session")
def tk_root(display: str) -> Iterator[tkinter.Tk]:
    """The session's one Tk root, on the private display, shared by every Tk test.

    One for all tests, because a Tk interpreter must be freed on its own thread: a root
    made per test becomes cyclic garbage that the collector may free on some worker
    thread, and Tcl then aborts the process ("Tcl_AsyncDelete: async handler deleted by
    the wrong thread"). A test that needs a window of its own makes a ``Toplevel``.
    """
    import tkinter

    root = tkinter.Tk()
    root.withdraw()
    yield root
    root.destroy()
    del root
    gc.collect()  # here, on the Tk thread

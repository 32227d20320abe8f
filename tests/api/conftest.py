"""A real server over the small catalog of ``tests/conftest.py``, for real HTTP clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from dailypapers.settings import Settings
from dailypapers.web.app import create_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(site_settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1, stopped after the module."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(site_settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)

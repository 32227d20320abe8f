"""Real servers for tests that need one: the app under uvicorn on a free port, stopped afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI


def without_site_settings(environment: pytest.MonkeyPatch) -> None:
    """Leave out the developer's DAILYPAPERS_* settings for a site that a module fixture serves: the
    autouse isolation of conftest is per test, and such a fixture outlives it."""
    for name in list(os.environ):
        if name.startswith("DAILYPAPERS_"):
            environment.delenv(name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


#: How long ``dailypapers serve`` may take to answer its first request: 2 to 3 s on an idle machine,
#: seen near 20 s on a 2-core machine running other test suites.
SERVE_START_SECONDS = 30


@contextmanager
def serving_in_process(
    environment: dict[str, str], log: Path, *, port: int | None = None, workers: int = 1
) -> Iterator[str]:
    """``dailypapers serve`` in a process of its own on 127.0.0.1, with ``environment`` (``DAILYPAPERS_*``
    settings) added to this process's; yields its base URL once ``/healthz`` answers, stops it after.
    Its output goes to ``log``, shown when it does not start."""
    with serving_in_processes([(environment, log)], workers=workers, port=port) as (url,):
        yield url


@contextmanager
def serving_in_processes(
    servers: list[tuple[dict[str, str], Path]], *, workers: int = 1, port: int | None = None
) -> Iterator[list[str]]:
    """Several servers as ``serving_in_process`` starts one, started side by side (each takes seconds
    to import the application); yields their base URLs in order."""
    started: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for environment, log in servers:
            server_port = port or free_port()
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        *(sys.executable, "-m", "dailypapers", "serve"),
                        *("--port", str(server_port), "--workers", str(workers)),
                    ],
                    env={**os.environ, **environment},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started.append((process, f"http://127.0.0.1:{server_port}", log))
        deadline = time.monotonic() + SERVE_START_SECONDS
        for process, url, log in started:
            while not _answers(f"{url}/healthz"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{log.read_text()}")
                time.sleep(0.1)
        yield [url for _, url, _ in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@dataclass(frozen=True)
class TopicalSite:
    """A served site (``tests/web/conftest.py``'s ``topical_site``) and its database."""

    url: str
    engine: sa.Engine

"""A throw-away redis-server on a free loopback port, for the Redis index tests.

``tests/redis_setup.sh`` installs Debian's redis-server when it is missing;
:func:`redis_server_or_skip` runs it once if needed, then starts a server with
no persistence and stops it when the test module is done.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SETUP = Path(__file__).with_name("redis_setup.sh")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_redis_server() -> str | None:
    """Path of redis-server, installing it with tests/redis_setup.sh if missing."""
    found = shutil.which("redis-server")
    if found is None and SETUP.is_file():
        subprocess.run(["sh", str(SETUP)], capture_output=True, timeout=600, check=False)
        found = shutil.which("redis-server")
    return found


@contextmanager
def redis_server() -> Iterator[str]:
    """Start redis-server on a free loopback port; yields its ``redis://`` URL."""
    binary = find_redis_server()
    if binary is None:
        pytest.skip("redis-server is not installed and tests/redis_setup.sh could not install it")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="audit-redis-")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"redis-server did not start on port {port}")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)

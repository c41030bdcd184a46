"""`linemod serve` believes X-Forwarded-For only from the proxies LINEMOD_FORWARDED_ALLOW_IPS lists (issue
11): by default the client IP the sign-in limits count by is the connection's peer, whatever the header and
uvicorn's own FORWARDED_ALLOW_IPS variable say."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.framework.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
CLAIMED = "203.0.113.7"


@contextmanager
def linemod_serve(tmp_path: Path, **env: str) -> Iterator[str]:
    """`linemod serve tests.framework.client_ip_app:app` in a subprocess; yields its URL once it answers."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LINEMOD_") and k != "FORWARDED_ALLOW_IPS"}
    clean.update(
        LINEMOD_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/serve.db",
        LINEMOD_DEVELOPMENT="1",
        LINEMOD_RECONCILE_INTERVAL_SECONDS="0",
        LINEMOD_LINE_BASE_URL="http://127.0.0.1:9",
        PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        **env,
    )
    command = [sys.executable, "-c", "from linemod.cli import main; main()", "serve",
               "tests.framework.client_ip_app:app", "--port", str(port), "--no-workers"]
    server = subprocess.Popen(command, cwd=tmp_path, env=clean, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                httpx.get(f"{url}/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "linemod serve did not answer"
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def seen_ip(url: str) -> str:
    answer = httpx.get(f"{url}/client-ip", headers={"X-Forwarded-For": CLAIMED}, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["ip"])


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({}, id="nothing-set"),
        pytest.param({"FORWARDED_ALLOW_IPS": "*"}, id="uvicorns-own-variable"),
        pytest.param({"LINEMOD_FORWARDED_ALLOW_IPS": "10.0.0.0/8"}, id="another-proxy"),
    ],
)
def test_x_forwarded_for_from_a_peer_not_listed_is_ignored(tmp_path: Path, env: dict[str, str]) -> None:
    with linemod_serve(tmp_path, **env) as url:
        assert seen_ip(url) == "127.0.0.1"


def test_x_forwarded_for_from_a_listed_proxy_names_the_client(tmp_path: Path) -> None:
    with linemod_serve(tmp_path, LINEMOD_FORWARDED_ALLOW_IPS="192.0.2.1, 127.0.0.1") as url:
        assert seen_ip(url) == CLAIMED


def test_a_proxy_entry_that_is_no_address_fails_the_start() -> None:
    from linemod.framework.settings import Settings

    with pytest.raises(ValueError, match=r"proxy\.example"):
        Settings(_env_file=None, forwarded_allow_ips="127.0.0.1,proxy.example")  # type: ignore[call-arg]
    trusted = Settings(_env_file=None, forwarded_allow_ips="127.0.0.1, 10.0.0.0/8,::1")  # type: ignore[call-arg]
    assert trusted.forwarded_allow_ips == ["127.0.0.1", "10.0.0.0/8", "::1"]

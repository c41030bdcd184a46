"""Where LINE's OpenAPI files come from: `LINE_OPENAPI_DIR`, else a verified download of the pinned commit."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.line_openapi import SHA256, OpenAPIFilesUnavailable, openapi_dir


@pytest.fixture(scope="module")
def pinned_files() -> Path:
    return openapi_dir()  # CI provides them through LINE_OPENAPI_DIR; elsewhere this downloads them once


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server standing in for GitHub's raw file host, serving whatever the test puts in its folder."""
    served = tmp_path / "served"
    served.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served
    server.shutdown()
    server.server_close()


def test_configured_directory_is_used_when_every_file_matches(
    pinned_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(pinned_files, copy)
    monkeypatch.setenv("LINE_OPENAPI_DIR", str(copy))
    assert openapi_dir(cache_dir=tmp_path / "unused") == copy
    assert not (tmp_path / "unused").exists()


def test_configured_directory_with_another_version_is_refused(
    pinned_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(pinned_files, copy)
    (copy / "messaging-api.yml").write_text((copy / "messaging-api.yml").read_text() + "\n# edited\n")
    (copy / "webhook.yml").unlink()
    monkeypatch.setenv("LINE_OPENAPI_DIR", str(copy))
    with pytest.raises(OpenAPIFilesUnavailable) as raised:
        openapi_dir()
    message = str(raised.value)
    assert "messaging-api.yml is not the file of commit 6e4c2a2" in message
    assert "webhook.yml is missing" in message


def test_download_is_verified_and_cached(
    pinned_files: Path, file_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINE_OPENAPI_DIR", raising=False)
    url, served = file_server
    for name in SHA256:
        shutil.copy(pinned_files / name, served / name)
    cache = tmp_path / "cache"
    assert openapi_dir(base_url=url, cache_dir=cache) == cache
    assert sorted(p.name for p in cache.iterdir()) == sorted(SHA256)
    # Once cached, nothing is fetched again: the server's files are gone and the answer is the same.
    for name in SHA256:
        (served / name).unlink()
    assert openapi_dir(base_url=url, cache_dir=cache) == cache


def test_a_download_that_does_not_match_the_pin_is_refused(
    pinned_files: Path, file_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINE_OPENAPI_DIR", raising=False)
    url, served = file_server
    for name in SHA256:
        shutil.copy(pinned_files / name, served / name)
    (served / "module.yml").write_text("openapi: 3.0.0\n")
    cache = tmp_path / "cache"
    with pytest.raises(OpenAPIFilesUnavailable, match=r"module\.yml does not have the SHA-256 pinned"):
        openapi_dir(base_url=url, cache_dir=cache)
    assert not (cache / "module.yml").exists()


def test_no_source_at_all_fails_saying_how_to_provide_the_files(
    file_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINE_OPENAPI_DIR", raising=False)
    url, _empty = file_server  # answers 404 for every file, as an unreachable or wrong mirror would
    with pytest.raises(OpenAPIFilesUnavailable) as raised:
        openapi_dir(base_url=url, cache_dir=tmp_path / "cache")
    message = str(raised.value)
    assert "LINE_OPENAPI_DIR" in message and "6e4c2a2a1b7b059ea3920456d4f88d03fd8ef0bb" in message

"""Shared fixtures: a real emulator server and a webhook receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linemod.emulator import create_app
from tests.support.servers import Emulator, WebhookReceiver, serve, webhook_receiver


@pytest.fixture(scope="session")
def emulator_app():  # type: ignore[no-untyped-def]
    return create_app()


@pytest.fixture(scope="session")
def emulator_url(emulator_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serve(emulator_app) as url:
        yield url


@pytest.fixture
def emulator(emulator_url: str, emulator_app) -> Iterator[Emulator]:  # type: ignore[no-untyped-def]
    client = Emulator(emulator_url)
    client.reset()
    emulator_app.state.platform.settings.__init__()  # settings a test changed go back to defaults
    yield client
    client.http.close()


@pytest.fixture(scope="session")
def _receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(_receiver: WebhookReceiver) -> WebhookReceiver:
    _receiver.clear()
    _receiver.status, _receiver.delay, _receiver.statuses = 200, 0.0, []
    return _receiver

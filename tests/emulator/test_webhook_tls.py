"""Webhooks to https URLs: verified as LINE verifies them (public authorities), plus the authorities of the
emulator's `webhook_ca_file` (a module behind a proxy with a self-signed certificate, as in tests/deploy/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linemod.emulator import EmulatorSettings, create_app
from tests.support.certificates import make_certificate
from tests.support.flows import attach
from tests.support.servers import Emulator, WebhookReceiver, receiver_app, serve


@pytest.mark.parametrize("trusted", [True, False], ids=["ca-file", "no-ca-file"])
def test_an_https_webhook_url_is_delivered_to_when_its_certificate_is_trusted(trusted: bool, tmp_path: Path) -> None:
    certificate, key = make_certificate(tmp_path)
    receiver = WebhookReceiver()
    settings = EmulatorSettings(webhook_ca_file=str(certificate) if trusted else None)
    with serve(receiver_app(receiver), ssl_certfile=str(certificate), ssl_keyfile=str(key)) as https_url, \
            serve(create_app(settings)) as emulator_url:
        assert https_url.startswith("https://")
        emulator = Emulator(emulator_url)
        attach(emulator, f"{https_url}/hook")
        emulator.flush()
        deliveries = emulator.call("GET", "/_emulator/deliveries", expect=200)["deliveries"]
        emulator.http.close()
    states = {delivery["state"] for delivery in deliveries}
    if trusted:
        assert states == {"delivered"} and {e["type"] for e in receiver.events()} >= {"module", "follow"}
    else:
        assert states == {"failed"} and receiver.received == []
        errors = {attempt["error"] for delivery in deliveries for attempt in delivery["attempts"]}
        assert errors and None not in errors, errors

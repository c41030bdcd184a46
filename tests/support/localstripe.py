"""localstripe, a stateful Stripe API emulator, as a real server for the payment tests (and the demo).

localstripe is GPLv3, so linemod never imports it: it runs as its own program from its own virtualenv
(`.venv-localstripe`, made by `scripts/localstripe.sh`, which `make test` runs), and everything here talks to
it over HTTP. The fixtures start one process per test session on a free loopback port, wait until it
answers, empty its data before each test (`DELETE /_config/data`), point its webhooks at a test receiver
(`POST /_config/webhooks/{id}`) and stop it at the end. If it cannot start, the tests fail and say why: they
are never skipped.

What localstripe does, read in its source (resources.py, 1.15.10): cards by test number (4242424242424242
succeeds; 4000000000000341 saves but every charge is declined; 4000000000000002, ...9995, ...9987, ...9979,
...0069, ...0127, ...0119 are declined when saved; 4000002500003155, 4000002760003184, 4000000000003220,
4000000000003063 need 3-D Secure, for SetupIntents and for every PaymentIntent, off-session too). A decline is
always `card_declined`, with no `decline_code`. It ignores `Idempotency-Key`. It signs webhooks like Stripe
(`t=...,v1=...` over `{t}.{body}`), one second after the change, for `payment_intent.succeeded` and
`.payment_failed` among others, but not for payment methods or refunds. It keeps its data in a pickle at
`/tmp/localstripe.pickle` and reloads it unless started with `--from-scratch`, which these fixtures always use.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.servers import WebhookReceiver, free_port

REPOSITORY = Path(__file__).resolve().parents[2]
SECRET_KEY = "sk_test_linemod"
PUBLISHABLE_KEY = "pk_test_linemod"
WEBHOOK_SECRET = "whsec_linemod_tests"
WEBHOOK_ID = "linemod-tests"
WEBHOOK_PATH = "/stripe/webhook"
START_TIMEOUT_SECONDS = 30


def localstripe_command() -> Path:
    """The `localstripe` program: $LINEMOD_LOCALSTRIPE, else the repository's `.venv-localstripe`."""
    configured = os.environ.get("LINEMOD_LOCALSTRIPE")
    command = Path(configured) if configured else REPOSITORY / ".venv-localstripe" / "bin" / "localstripe"
    if not command.exists():
        pytest.fail(
            f"localstripe is not installed at {command}: run `bash scripts/localstripe.sh` (`make test` does), "
            "or point LINEMOD_LOCALSTRIPE at a localstripe program",
            pytrace=False,
        )
    return command


@dataclass
class LocalStripe:
    """A running localstripe: its URL, and the calls tests make to play Stripe.js or to look inside."""

    url: str
    http: httpx.Client

    def reset(self) -> None:
        self._expect(self.http.delete("/_config/data"))

    def send_webhooks_to(self, url: str, secret: str = WEBHOOK_SECRET) -> None:
        self._expect(self.http.post(f"/_config/webhooks/{WEBHOOK_ID}", json={"url": url, "secret": secret}))

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._expect(self.http.get(path, params=params, auth=(SECRET_KEY, "")))

    def charges(self, customer: str) -> list[dict[str, Any]]:
        return list(self.get("/v1/charges", customer=customer, limit=100)["data"])

    def confirm_card_setup(
        self, client_secret: str, number: str, *, exp_month: int = 12, exp_year: int = 2034
    ) -> dict[str, Any]:
        """What Stripe.js's `confirmCardSetup` does with the publishable key: the card typed into the form goes
        to the SetupIntent; a card that needs 3-D Secure is confirmed a second time, as after the challenge.
        Returns the SetupIntent, or localstripe's error body for a refused card."""
        setup_id = client_secret.split("_secret_")[0]
        card = {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": "123"}
        body = {"key": PUBLISHABLE_KEY, "client_secret": client_secret,
                "payment_method_data": {"type": "card", "card": card}}
        response = self.http.post(f"/v1/setup_intents/{setup_id}/confirm", json=body)
        intent = response.json()
        if response.status_code == 200 and intent.get("status") == "requires_action":
            again = {"key": PUBLISHABLE_KEY, "client_secret": client_secret}
            intent = self._expect(self.http.post(f"/v1/setup_intents/{setup_id}/confirm", json=again))
        return dict(intent)

    def authenticate_payment(self, client_secret: str, *, success: bool = True) -> dict[str, Any]:
        """What Stripe.js's `confirmCardPayment` does on the pay-now page once the cardholder passes (or fails)
        3-D Secure: localstripe's own `_authenticate` route, with the publishable key."""
        payment_id = client_secret.split("_secret_")[0]
        body = {"key": PUBLISHABLE_KEY, "client_secret": client_secret}
        path = f"/v1/payment_intents/{payment_id}/_authenticate?success={'true' if success else 'false'}"
        return self._expect(self.http.post(path, json=body))

    @staticmethod
    def _expect(response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 200, (response.request.url, response.status_code, response.text)
        return dict(response.json()) if response.content else {}


@contextmanager
def running_localstripe() -> Iterator[LocalStripe]:
    """Starts localstripe on a free port and stops it after; fails with its output if it does not answer."""
    command = localstripe_command()
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(command), "--port", str(port), "--from-scratch"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_it_answers(process, url, log)
            with httpx.Client(base_url=url, timeout=15) as http:
                yield LocalStripe(url, http)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_it_answers(process: subprocess.Popen[bytes], url: str, log: Any) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            # The Stripe.js shim: answers without authentication and changes nothing.
            if httpx.get(f"{url}/js.stripe.com/v3/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            output = log.read().decode(errors="replace")[-2000:]
            pytest.fail(f"localstripe did not start on {url} (exit code {process.poll()}):\n{output}", pytrace=False)
        time.sleep(0.1)


@pytest.fixture(scope="session")
def localstripe_server() -> Iterator[LocalStripe]:
    with running_localstripe() as server:
        yield server


@pytest.fixture
def localstripe(localstripe_server: LocalStripe, receiver: WebhookReceiver) -> LocalStripe:
    """localstripe with no data, its webhooks signed with `WEBHOOK_SECRET` and sent to `receiver` at
    `WEBHOOK_PATH`."""
    localstripe_server.reset()
    localstripe_server.send_webhooks_to(receiver.url + WEBHOOK_PATH)
    return localstripe_server

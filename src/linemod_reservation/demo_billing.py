"""Billing in `linemod demo`: localstripe (a Stripe API emulator) beside the LINE emulator when it is
installed, a made-up invoice issuer, and what to do to see the first invoice. No outside account is needed.

localstripe is GPL and only ever runs as its own program: `bash scripts/localstripe.sh` installs it in
`.venv-localstripe` (`make demo` does); `$LINEMOD_LOCALSTRIPE` names another. Without it the demo still
invoices, by bank transfer only. Its Stripe.js shim (`{its URL}/js.stripe.com/v3/`) draws the card form of
the console's billing page.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import httpx

STRIPE_WEBHOOK_PATH = "/billing/stripe/webhook"
WEBHOOK_ID = "linemod-demo"
# localstripe accepts any key of the right shape: these are made up, like everything else in the demo.
SECRET_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET = "sk_test_linemod_demo", "pk_test_linemod_demo", "whsec_linemod_demo"
TEST_CARD = "4242 4242 4242 4242"
TRIAL_PAST_SECONDS = 31 * 86_400
ISSUER = {
    "billing_issuer_name": "リンクモッド デモ株式会社",
    "billing_issuer_registration_number": "T7123456789012",  # made up; its check digit (7) is right
    "billing_issuer_address": "東京都千代田区丸の内1-1-1（デモ）",
    "billing_issuer_contact": "billing@linemod-demo.example",
    "billing_bank_name": "デモ銀行",
    "billing_bank_branch": "本店",
    "billing_bank_account_number": "1234567",
    "billing_bank_account_holder": "リンクモッド デモ（カ",
}


def localstripe_command() -> Path | None:
    """$LINEMOD_LOCALSTRIPE, else `.venv-localstripe` of the working directory or of this checkout, else
    `localstripe` on the PATH; None when there is none."""
    configured = os.environ.get("LINEMOD_LOCALSTRIPE")
    candidates = [Path(configured)] if configured else []
    candidates += [Path(".venv-localstripe/bin/localstripe"),
                   Path(sys.executable).parents[1].parent / ".venv-localstripe" / "bin" / "localstripe"]
    found = shutil.which("localstripe")
    candidates += [Path(found)] if found else []
    return next((path for path in candidates if path.exists()), None)


async def start_localstripe(host: str, port: int, timeout: float = 30) -> asyncio.subprocess.Process | None:
    """localstripe on `host:port` in a child process of its own session, once its Stripe.js shim answers;
    None (and a line saying why) when it is not installed or does not start."""
    command = localstripe_command()
    if command is None:
        print("localstripe is not installed: card payments are off (run `bash scripts/localstripe.sh`)", flush=True)
        return None
    process = await asyncio.create_subprocess_exec(
        str(command), "--port", str(port), "--from-scratch",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, start_new_session=True,
    )
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while process.returncode is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/js.stripe.com/v3/")).status_code == 200:
                    return process
            await asyncio.sleep(0.1)
    await stop_localstripe(process)
    print(f"localstripe did not start on {url}: card payments are off", flush=True)
    return None


async def stop_localstripe(process: asyncio.subprocess.Process | None, timeout: float = 10) -> None:
    if process is None or process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()


def billing_settings(stripe_url: str | None) -> dict[str, Any]:
    """The settings of the demo's invoicing (always) and card payments (with localstripe at `stripe_url`)."""
    values: dict[str, Any] = {**ISSUER}
    if stripe_url is not None:
        values.update(
            stripe_api_key=SECRET_KEY,
            stripe_publishable_key=PUBLISHABLE_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base=stripe_url,
            stripe_js_url=f"{stripe_url}/js.stripe.com/v3/",
        )
    return values


async def send_webhooks(stripe_url: str, module_url: str) -> None:
    """Have localstripe sign its webhooks with the demo's secret and send them to the module."""
    async with httpx.AsyncClient(base_url=stripe_url, timeout=10) as client:
        answer = await client.post(f"/_config/webhooks/{WEBHOOK_ID}",
                                   json={"url": module_url + STRIPE_WEBHOOK_PATH, "secret": WEBHOOK_SECRET})
        answer.raise_for_status()


def instructions(billing_url: str, emulator_url: str, cards: bool) -> list[str]:
    """What to do to see billing at work, as lines to print."""
    advance = (f"curl -X POST {emulator_url}/_emulator/clock/advance -H 'content-type: application/json' "
               f"-d '{{\"seconds\": {TRIAL_PAST_SECONDS}}}'")
    lines = [f"Billing (the demo OA is in its 30-day free trial): {billing_url}"]
    if cards:
        lines.append(f"  1. お支払い方法 → add the test card {TEST_CARD} (any future expiry, any CVC); "
                     "localstripe plays Stripe")
    else:
        lines.append("  1. Card payments are off (no localstripe): the invoice will be paid by bank transfer")
    lines += [
        "  2. Advance the emulator's clock past the trial (31 days), on the inspector page "
        f"({emulator_url}/_pages/inspector) or with:",
        f"       {advance}",
        "  3. Reload the billing page: the first invoice (PDF) and, paid by card, its receipt",
    ]
    return lines

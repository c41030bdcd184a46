"""`linemod demo` as a person runs it: one command, three URLs that answer, Ctrl-C stops everything."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port

URL_KEYS = ("LINE_APP_URL", "CONSOLE_URL", "OA_MANAGER_URL", "BILLING_URL", "LOCALSTRIPE_URL", "CONSOLE_EMAIL",
            "CONSOLE_PASSWORD", "PROVIDER_URL", "STAFF_EMAIL", "STAFF_PASSWORD")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _read_urls(process: subprocess.Popen[str], timeout: float) -> dict[str, str]:
    urls: dict[str, str] = {}
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while len(urls) < len(URL_KEYS):
        if time.monotonic() > deadline:
            raise AssertionError(f"no URLs within {timeout}s:\n{''.join(seen)}")
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"the demo exited ({process.wait()}):\n{''.join(seen)}")
        seen.append(line)
        key, _, value = line.strip().partition("=")
        if key in URL_KEYS:
            urls[key] = value
    urls["output"] = "".join(seen)
    return urls


def test_demo_prints_three_urls_that_answer_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    emulator_port, module_port, stripe_port = free_port(), free_port(), free_port()
    command = [
        str(Path(sys.executable).parent / "linemod"),
        "demo",
        "--emulator-port",
        str(emulator_port),
        "--port",
        str(module_port),
        "--stripe-port",
        str(stripe_port),
        "--data-dir",
        str(tmp_path / "var"),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        urls = _read_urls(process, timeout=60)
        assert urls["LINE_APP_URL"].startswith(f"http://127.0.0.1:{emulator_port}/_pages/app/")
        assert urls["OA_MANAGER_URL"].startswith(f"http://127.0.0.1:{emulator_port}/_pages/manager/")
        assert urls["CONSOLE_URL"].startswith(f"http://127.0.0.1:{module_port}/")
        for key in ("LINE_APP_URL", "CONSOLE_URL", "OA_MANAGER_URL"):
            assert httpx.get(urls[key], timeout=10, follow_redirects=True).status_code == 200, key
        with httpx.Client(base_url=f"http://127.0.0.1:{module_port}", timeout=10, follow_redirects=True) as browser:
            token = CSRF.search(browser.get("/console/signin").text).group(1)  # type: ignore[union-attr]
            browser.post(
                "/console/signin",
                data={"email": urls["CONSOLE_EMAIL"], "password": urls["CONSOLE_PASSWORD"], "csrf_token": token},
            )
            console = browser.get(urls["CONSOLE_URL"])
            assert console.status_code == 200 and "カフェ さくら" in console.text and "新規予約" in console.text
            # billing: the demo OA is in its trial, the card form loads localstripe's Stripe.js
            billing = browser.get(urls["BILLING_URL"])
            assert billing.status_code == 200 and 'data-status="trialing"' in billing.text
            assert "残り30日" in billing.text
            payment = browser.get(urls["BILLING_URL"] + "/payment")
            assert f'src="{urls["LOCALSTRIPE_URL"]}/js.stripe.com/v3/"' in payment.text
        # the provider's side: the printed staff account signs in to the provider console and its billing pages
        with httpx.Client(base_url=f"http://127.0.0.1:{module_port}", timeout=10, follow_redirects=True) as staff:
            token = CSRF.search(staff.get("/console/signin").text).group(1)  # type: ignore[union-attr]
            staff.post(
                "/console/signin",
                data={"email": urls["STAFF_EMAIL"], "password": urls["STAFF_PASSWORD"], "csrf_token": token},
            )
            assert urls["PROVIDER_URL"] == f"http://127.0.0.1:{module_port}/provider/"
            tenants = staff.get(urls["PROVIDER_URL"])
            assert tenants.status_code == 200 and "カフェ さくら" in tenants.text
            dashboard = staff.get("/provider/billing/")
            assert dashboard.status_code == 200 and 'id="chart-mrr"' in dashboard.text
        assert urls["LOCALSTRIPE_URL"] == f"http://127.0.0.1:{stripe_port}"
        assert "4242 4242 4242 4242" in urls["output"] and "/_emulator/clock/advance" in urls["output"]
        app_page = httpx.get(urls["LINE_APP_URL"], timeout=10).text
        assert "友だち追加ありがとうございます" in app_page  # the demo's people were welcomed by the module
        assert (tmp_path / "var" / "reservation.db").exists()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

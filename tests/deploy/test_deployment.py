"""docs/deploy.md as written: nginx with TLS in front of two `linemod serve` and two `linemod worker` processes
on PostgreSQL. Under a steady stream of user messages sent through the emulator (its webhooks go over https
through nginx), every process gets SIGTERM in turn and is started again, then a worker gets SIGKILL: every
message gets exactly one reply, and no webhook is answered with a 5xx."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
import typer.main
from anyio.from_thread import BlockingPortal, start_blocking_portal

from linemod.cli import app as linemod_command
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from tests.deploy.deployment import (
    LINEMOD,
    ROOT,
    Nginx,
    Service,
    client,
    doc_block,
    environment_file,
    fill,
    unit_option,
    wait_until,
)
from tests.framework.helpers import POSTGRES_URL, drop_schema, require_postgres
from tests.support.certificates import make_certificate
from tests.support.servers import free_port

ENV_FILE = "# /etc/linemod/linemod.env"
SITE = "# /etc/nginx/sites-available/linemod"
SERVE_UNIT = "# /etc/systemd/system/linemod-serve@.service"
WORKER_UNIT = "# /etc/systemd/system/linemod-worker@.service"
DOC_BINARY = "/srv/linemod/.venv/bin/linemod"
DOC_APP = "mymodule.main:app"
TEST_APP = "tests.deploy.echo_module:app"

USERS = 12
FAIL_TIMEOUT = int(re.search(r"fail_timeout=(\d+)s", doc_block(SITE))[1])  # type: ignore[index]
MESSAGES_PER_SECOND = 20


# ---- the service units and the settings file -------------------------------------------------------------


@pytest.mark.parametrize("first_line", [SERVE_UNIT, WORKER_UNIT])
def test_the_service_units_pass_systemd_analyze_verify(first_line: str, tmp_path: Path) -> None:
    unit = doc_block(first_line)
    # The one thing verify needs from the host: the program it starts, here the installed `linemod`.
    path = tmp_path / first_line.rsplit("/", 1)[1]
    path.write_text(unit.replace(DOC_BINARY, str(LINEMOD)))
    verified = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == "", verified.stderr  # unknown keys and bad values are only warned about


@pytest.mark.parametrize("first_line", [SERVE_UNIT, WORKER_UNIT])
def test_the_service_units_start_linemod_with_options_it_accepts(first_line: str) -> None:
    command = unit_option(doc_block(first_line), "ExecStart").replace("%i", "8001").split()
    assert command[0] == DOC_BINARY and command[2] == DOC_APP
    cli = typer.main.get_command(linemod_command)
    # Parsing without running: an unknown option or a bad value raises here.
    with cli.make_context("linemod", command[1:]) as context:
        subcommand = cli.get_command(context, command[1])  # type: ignore[attr-defined]
        assert subcommand is not None, command[1]
        subcommand.make_context(command[1], command[2:], parent=context)


def test_the_settings_file_names_only_settings_that_exist() -> None:
    variables = environment_file(doc_block(ENV_FILE))
    fields = {f"LINEMOD_{name.upper()}" for name in Settings.model_fields}
    assert set(variables) <= fields, set(variables) - fields
    assert variables["LINEMOD_FORWARDED_ALLOW_IPS"] == "127.0.0.1"  # nginx, and nobody else


# ---- the deployment under load ---------------------------------------------------------------------------


class Probe:
    """One PostgreSQL connection on the test's schema, used from the test's thread."""

    def __init__(self, portal: BlockingPortal, schema: str) -> None:
        self.portal = portal
        self.connection = portal.call(self._connect, schema)

    @staticmethod
    async def _connect(schema: str) -> asyncpg.Connection:
        url = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
        return await asyncpg.connect(url, server_settings={"search_path": schema})

    def rows(self, sql: str, *args: Any) -> list[Any]:
        return list(self.portal.call(self.connection.fetch, sql, *args))

    def value(self, sql: str, *args: Any) -> Any:
        return self.portal.call(self.connection.fetchval, sql, *args)

    def held_by(self, pid: int) -> list[int]:
        """Events a worker process holds right now (running, with its lease)."""
        rows = self.rows("SELECT id FROM events WHERE status = 'running' AND locked_by LIKE $1", f"%:{pid}:%")
        return [row["id"] for row in rows]


class Sender(threading.Thread):
    """The LINE users: MESSAGES_PER_SECOND text messages, spread over the users, each text unique."""

    def __init__(self, emulator: httpx.Client, bot_id: str, people: list[str]) -> None:
        super().__init__(daemon=True)
        self.emulator, self.bot_id, self.people = emulator, bot_id, people
        self.sent: dict[str, list[str]] = {person: [] for person in people}
        self.stopping = threading.Event()
        self.failures: list[str] = []

    def run(self) -> None:
        started = time.monotonic()
        number = 0
        while not self.stopping.is_set():
            person = self.people[number % len(self.people)]
            message = f"m{number}"
            path = f"/_emulator/accounts/{self.bot_id}/chats/{person}/messages"
            answer = self.emulator.post(path, json={"type": "text", "text": message})
            if answer.status_code == 202:
                self.sent[person].append(message)
            else:
                self.failures.append(f"{answer.status_code} {answer.text}")
            number += 1
            self.stopping.wait(max(0.0, started + number / MESSAGES_PER_SECOND - time.monotonic()))

    def total(self) -> int:
        return sum(len(messages) for messages in self.sent.values())


def slow_body(port: int, certificate: Path, answers: list[bytes]) -> None:
    """A client that sends a webhook's headers and then only part of its body, and waits."""
    context = ssl.create_default_context(cafile=str(certificate))
    raw = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0), timeout=40)
    with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(b"POST /webhook HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                    b"content-length: 1000\r\n\r\n{\"destination\":")
        received = b""
        while chunk := tls.recv(4096):
            received += chunk
        answers.append(received)


@contextmanager
def database_schema() -> Iterator[str]:
    """A fresh, migrated schema on the PostgreSQL test server, with the table the echo module writes to."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"

    async def prepare() -> None:
        db = Database(POSTGRES_URL, schema=schema)
        try:
            await db.upgrade()
            async with db.engine.begin() as connection:
                await connection.exec_driver_sql(
                    "CREATE TABLE deploy_handled (webhook_event_id VARCHAR(64), message TEXT, pid INTEGER)"
                )
        finally:
            await db.dispose()

    asyncio.run(prepare())
    try:
        yield schema
    finally:
        asyncio.run(drop_schema(schema))


def unit_command(first_line: str, instance: str) -> list[str]:
    """The ExecStart of a unit of the doc, for this checkout: the installed `linemod`, the test's module."""
    command = unit_option(doc_block(first_line), "ExecStart").replace("%i", instance).split()
    assert command[0] == DOC_BINARY and command[2] == DOC_APP
    return [str(LINEMOD), command[1], TEST_APP, *command[3:]]


def health(port: int) -> tuple[int, dict[str, Any]]:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    except httpx.TransportError:
        return 0, {}
    return answer.status_code, answer.json()


@pytest.mark.postgres
def test_a_rolling_restart_and_a_killed_worker_lose_no_message_and_answer_no_5xx(tmp_path: Path) -> None:
    marks = [("", time.monotonic())]  # the phases' durations, printed with the figures

    def mark(phase: str) -> None:
        marks.append((phase, time.monotonic()))

    with ExitStack() as stack:
        schema = stack.enter_context(database_schema())
        probe = Probe(stack.enter_context(start_blocking_portal()), schema)
        certificate, key = make_certificate(tmp_path)
        https, http, emulator_port = free_port(), free_port(), free_port()
        serve_ports = [free_port(), free_port()]
        base_env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"}
        base_env = {name: value for name, value in base_env.items() if not name.startswith("LINEMOD_")}
        services: list[Service] = []

        def stop_all() -> None:
            for service in services:
                if service.running():
                    service.process.kill()  # type: ignore[union-attr]
                    service.process.wait()  # type: ignore[union-attr]

        stack.callback(stop_all)

        # LINE: the emulator, trusting the test's certificate for its https webhook deliveries.
        emulator_service = Service(
            "emulator",
            [str(LINEMOD), "emulator", "--port", str(emulator_port), "--no-rate-limits",
             "--webhook-ca-file", str(certificate)],
            base_env, tmp_path,
        )
        services.append(emulator_service)
        emulator_service.start()
        emulator = stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{emulator_port}", timeout=20))
        wait_until(lambda: _answers(emulator, "/_emulator/clock"), 120, "the emulator starts")
        public = f"https://127.0.0.1:{https}"
        channel = emulator.post("/_emulator/module-channels", json={
            "name": "Echo", "webhook_url": f"{public}/webhook", "redirect_uris": [f"{public}/attach/callback"],
        }).json()
        bot_id = emulator.post("/_emulator/accounts", json={"display_name": "Cafe Sakura"}).json()["bot_id"]
        people = [emulator.post("/_emulator/users", json={"display_name": f"user {n}"}).json()["user_id"]
                  for n in range(USERS)]

        # The processes of the doc's units, with the doc's settings file.
        values = {
            "CHANNEL_ID": channel["channel_id"], "CHANNEL_SECRET": channel["channel_secret"],
            "COOKIE_SECRET": secrets.token_urlsafe(32), "PUBLIC_BASE_URL": public, "DATABASE_URL": POSTGRES_URL,
            "METRICS_TOKEN": secrets.token_urlsafe(16),
        }
        env = {**base_env, **environment_file(fill(doc_block(ENV_FILE), values)),
               # Only for the test: LINE is the emulator; a fresh schema; a killed worker's events come back
               # within seconds; a drain long enough to see /healthz say so.
               "LINEMOD_LINE_BASE_URL": f"http://127.0.0.1:{emulator_port}", "LINEMOD_DATABASE_SCHEMA": schema,
               "LINEMOD_LEASE_SECONDS": "3", "LINEMOD_SHUTDOWN_DRAIN_SECONDS": "2",
               "LINEMOD_RECONCILE_INTERVAL_SECONDS": "0"}
        serves = [Service(f"serve{n + 1}", unit_command(SERVE_UNIT, str(port)), env, tmp_path)
                  for n, port in enumerate(serve_ports)]
        workers = [Service(f"worker{n}", unit_command(WORKER_UNIT, str(n)), env, tmp_path) for n in (1, 2)]
        services += [*serves, *workers]
        for service in serves + workers:
            service.start()

        nginx = Nginx(tmp_path, fill(doc_block(SITE), {
            "SERVER_NAME": "127.0.0.1", "HTTPS_LISTEN": f"127.0.0.1:{https}", "HTTP_LISTEN": f"127.0.0.1:{http}",
            "TLS_CERTIFICATE": str(certificate), "TLS_CERTIFICATE_KEY": str(key),
            "SERVE_1": f"127.0.0.1:{serve_ports[0]}", "SERVE_2": f"127.0.0.1:{serve_ports[1]}",
        }))
        nginx.start()
        stack.callback(nginx.stop)
        for service, port in zip(serves, serve_ports, strict=True):
            _wait_ready(service, port)
        browser = stack.enter_context(client(public, certificate))
        wait_until(lambda: _answers(browser, "/healthz"), 10, "nginx answers")

        # TLS, the redirect to https, and whom the proxy headers are believed from.
        plain = httpx.get(f"http://127.0.0.1:{http}/attach/start", timeout=5)
        assert plain.status_code == 308 and plain.headers["location"] == "https://127.0.0.1/attach/start"
        forged = {"x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https"}
        assert browser.get("/seen-client", headers=forged).json() == {"ip": "127.0.0.2", "scheme": "https"}
        with client(f"http://127.0.0.1:{serve_ports[0]}", certificate) as direct:
            assert direct.get("/seen-client", headers=forged).json() == {"ip": "127.0.0.2", "scheme": "http"}
        assert browser.get("/metrics").status_code == 404  # per process, on its own port
        metrics = httpx.get(f"http://127.0.0.1:{serve_ports[0]}/metrics", timeout=5,
                            headers={"authorization": f"Bearer {values['METRICS_TOKEN']}"})
        assert metrics.status_code == 200

        # The OA's admin attaches the module through nginx; the users become friends.
        start = browser.get("/attach/start")
        assert start.status_code == 302, start.text
        decided = emulator.post("/_emulator/authorize", json={
            "authorize_url": start.headers["location"], "bot_id": bot_id, "decision": "approve"}).json()
        callback = urlsplit(decided["redirect_url"])
        page = browser.get(f"{callback.path}?{callback.query}")
        assert 'data-attach-result="complete"' in page.text, page.text
        for person in people:
            emulator.post(f"/_emulator/accounts/{bot_id}/friends", json={"user_id": person}).raise_for_status()
        emulator.post("/_emulator/deliveries/flush", json={"timeout_seconds": 20}).raise_for_status()

        mark("start")
        # The load, a slow client, then every process in turn.
        sender = Sender(emulator, bot_id, people)
        webhooks_before = sum(nginx.answers("POST", "/webhook").values())
        sender.start()
        slow_answers: list[bytes] = []
        slow = threading.Thread(target=slow_body, args=(https, certificate, slow_answers), daemon=True)
        slow.start()
        # Each round restarts a serve and a worker; the other two carry the load meanwhile.
        draining_seen, finished_by_their_worker = [], 0
        for serve, port, worker in zip(serves, serve_ports, workers, strict=True):
            _wait_for_traffic(serve, port, nginx)
            serve.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            wait_until(lambda port=port: health(port)[0] == 503, 5, f"serve on {port} reports draining")
            draining_seen.append(health(port)[1])

            pid = worker.process.pid  # type: ignore[union-attr]
            wait_until(lambda pid=pid: probe.held_by(pid), 60, f"{worker.name} holds events", interval=0.002)
            held = probe.held_by(pid)
            worker.stop(signal.SIGTERM)
            handled_by = probe.rows("SELECT e.id, h.pid FROM events e JOIN deploy_handled h "
                                    "ON h.webhook_event_id = e.webhook_event_id WHERE e.id = ANY($1::bigint[])", held)
            assert {row["pid"] for row in handled_by} <= {pid}, "a SIGTERM handed a running event to another worker"
            finished_by_their_worker += len(handled_by)
            worker.start()

            serve.exit_codes.append(serve.process.wait(timeout=60))  # type: ignore[union-attr]
            serve.start()
            _wait_ready(serve, port)
            new_pid = worker.process.pid  # type: ignore[union-attr]
            wait_until(lambda new_pid=new_pid: probe.value("SELECT count(*) FROM deploy_handled WHERE pid = $1",
                                                             new_pid), 120, f"{worker.name} handles events again")
            time.sleep(FAIL_TIMEOUT)  # the doc's procedure: nginx sends to a restarted server after fail_timeout
        restarts_done = sum(nginx.answers("POST", "/webhook").values())
        mark("rolling restart")

        # SIGKILL: what the killed worker held is handled by the other one (or by itself, restarted).
        victim = workers[0]
        pid = victim.process.pid  # type: ignore[union-attr]
        # Frozen with SIGSTOP first, so what it is seen holding is what the SIGKILL leaves behind: on a busy machine
        # a 0.1 s handler can finish between the look and the kill.
        orphaned: list[int] = []
        deadline = time.monotonic() + 30
        while not orphaned and time.monotonic() < deadline:
            wait_until(lambda: probe.held_by(pid), 20, "the worker to kill holds events", interval=0.002)
            victim.process.send_signal(signal.SIGSTOP)  # type: ignore[union-attr]
            orphaned = probe.held_by(pid)
            if not orphaned:
                victim.process.send_signal(signal.SIGCONT)  # type: ignore[union-attr]
        assert orphaned, "the worker to kill was never caught holding an event"
        victim.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        victim.process.wait()  # type: ignore[union-attr]
        time.sleep(1)  # RestartSec
        victim.start()
        wait_until(lambda: probe.value("SELECT count(*) FROM events WHERE id = ANY($1::bigint[]) AND status = 'done'",
                                       orphaned) == len(orphaned), 30, "the killed worker's events are taken again")
        mark("SIGKILL")
        sender.stopping.set()
        sender.join()
        slow.join(timeout=30)

        # Every message answered exactly once, every webhook answered 200.
        def replies() -> dict[str, Counter[str]]:
            return {person: Counter(_echoes(emulator, bot_id, person)) for person in people}

        state = [""]

        def progress() -> bool:
            handled = probe.value("SELECT count(*) FROM deploy_handled")
            waiting = probe.rows("SELECT status, count(*) AS n FROM events WHERE status <> 'done' GROUP BY status")
            state[0] = f"{handled} of {sender.total()} handled, unfinished: {[tuple(row) for row in waiting]}"
            return bool(handled >= sender.total() and not waiting)

        try:
            wait_until(progress, 180, "every message is handled", interval=0.5)
        except AssertionError as late:
            raise AssertionError(f"{late}; {state[0]}; nginx: {nginx.error_log()[-1500:]}") from None
        emulator.post("/_emulator/deliveries/flush", json={"timeout_seconds": 20}).raise_for_status()
        answered = replies()
        mark("last replies")
        for person in people:
            assert answered[person] == Counter(f"echo: {m}" for m in sender.sent[person]), person
        handled = probe.rows("SELECT webhook_event_id, count(*) AS n FROM deploy_handled GROUP BY webhook_event_id")
        assert len(handled) == sender.total() and all(row["n"] == 1 for row in handled)
        assert probe.value("SELECT count(*) FROM events WHERE status <> 'done'") == 0
        webhook_answers = nginx.answers("POST", "/webhook")
        statuses_sent_to_line = _delivery_statuses(emulator)
        assert not sender.failures, sender.failures[:3]
        assert {status for status in webhook_answers if status >= 500} == set(), (webhook_answers, nginx.error_log())
        assert set(statuses_sent_to_line) == {200}, statuses_sent_to_line
        # nginx gave up on the slow body: it logs a 408 and closes the connection without a word.
        assert webhook_answers[408] == 1 and slow_answers == [b""], (webhook_answers, slow_answers)
        assert all(seen == {"ok": False, "draining": True} for seen in draining_seen), draining_seen
        for service in serves + workers:
            assert service.exit_codes and set(service.exit_codes) == {0}, (service.name, service.exit_codes)
        print(  # the figures docs/deploy.md and the report quote (pytest -s)
            f"\nmessages sent and answered once: {sender.total()}; webhooks through nginx during the restarts: "
            f"{restarts_done - webhooks_before}, in all: {sum(webhook_answers.values())} {dict(webhook_answers)}; "
            f"5xx: {sum(n for s, n in webhook_answers.items() if s >= 500)}; lost: "
            f"{sender.total() - sum(sum(c.values()) for c in answered.values())}; events a SIGTERMed worker finished "
            f"itself: {finished_by_their_worker}; events a SIGKILLed worker held: {len(orphaned)}\nphases: "
            + ", ".join(f"{phase} {end - start:.1f} s" for (_, start), (phase, end) in itertools.pairwise(marks))
        )


def _wait_ready(service: Service, port: int) -> None:
    def ready() -> bool:
        assert service.running(), f"{service.name} exited: {service.log()}"
        return health(port)[0] == 200

    wait_until(ready, 120, f"{service.name} on {port} is ready")


def _answers(http: httpx.Client, path: str) -> bool:
    try:
        return http.get(path).status_code == 200
    except httpx.TransportError:
        return False


def _wait_for_traffic(service: Service, port: int, nginx: Nginx) -> None:
    """Until nginx has passed webhooks to this process: the SIGTERM must find it in use."""
    def used() -> bool:
        log = (nginx.prefix / "access.log").read_text()
        return any(line.split(" ")[3] == f"127.0.0.1:{port}" for line in log.splitlines()[-200:]
                   if " /webhook " in line and len(line.split(" ")) > 3)
    wait_until(used, 20, f"nginx sends webhooks to {service.name}", interval=0.1)


def _echoes(emulator: httpx.Client, bot_id: str, person: str) -> list[str]:
    messages = emulator.get(f"/_emulator/accounts/{bot_id}/chats/{person}/messages").json()["messages"]
    return [m["message"].get("text", "") for m in messages if m["from"].startswith("channel:")]


def _delivery_statuses(emulator: httpx.Client) -> Counter[Any]:
    deliveries = emulator.get("/_emulator/deliveries", params={"limit": 10_000}).json()["deliveries"]
    return Counter(attempt["status_code"] or attempt["error"] for d in deliveries for attempt in d["attempts"])


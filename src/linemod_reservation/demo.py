"""`linemod demo`: the emulator and the reservation module on SQLite, with a demo OA attached.
(This package adds the command to `linemod` through the `linemod.commands` entry point group.)

The emulator runs as `linemod emulator` in a child process (the module knows LINE only over HTTP, as it
would know the real one); the module is served in this process's event loop. The demo plays LY Corporation
and the OA admin through the emulator's control API (a module channel, an OA, a few people) and attaches the
module through the real consent flow: the module's `/attach/start` builds the authorize URL, the admin
approves it on the emulator (`POST /_emulator/authorize`), and the browser's redirect lands on the module's
callback. SIGINT or SIGTERM stops both (the module first, so its workers finish while the emulator still
answers; the child has a session of its own, so a Ctrl-C in the terminal reaches the demo only).

Billing (`demo_billing.py`): localstripe, the Stripe API emulator, runs beside the emulator when installed
(`make demo` installs it), a made-up issuer invoices, and the demo OA starts in its free trial; the printed
instructions say how to add the test card and move the emulator's clock past the trial to see the first
invoice.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import typer
import uvicorn

from linemod_reservation import demo_billing

if TYPE_CHECKING:  # not at run time: `linemod` loads this module for every command it runs
    from linemod import ModuleApp

SHOP_NAME = "カフェ さくら"
PEOPLE = (("山田 花子", "ja"), ("佐藤 太郎", "ja"), ("Emily Clark", "en"))
DB_FILE = "reservation.db"


@dataclass
class DemoConfig:
    host: str = "127.0.0.1"
    emulator_port: int = 9000
    port: int = 8000
    stripe_port: int = 8420
    data_dir: Path = Path("var")
    log_level: str = "warning"


@dataclass
class DemoWorld:
    """What the demo created, and the URLs to open."""

    emulator_url: str
    module_url: str
    bot_id: str = ""
    basic_id: str = ""
    people: list[dict[str, Any]] = field(default_factory=list)
    operator: dict[str, str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)
    """The provider staff account (the provider console, its billing pages and the help desk)."""
    stripe_url: str | None = None
    """localstripe's URL when it runs beside the emulator (card payments on)."""

    @property
    def app_url(self) -> str:
        return f"{self.emulator_url}/_pages/app/{self.bot_id}/{self.people[0]['user_id']}"

    @property
    def manager_url(self) -> str:
        return f"{self.emulator_url}/_pages/manager/{self.bot_id}"

    @property
    def console_url(self) -> str:
        from linemod_reservation.console import console_path

        return f"{self.module_url}{console_path(self.bot_id)}"

    @property
    def billing_url(self) -> str:
        return f"{self.module_url}/console/oas/{self.bot_id}/billing"


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to the demo (two servers share one process)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _server(app: ModuleApp, host: str, port: int, log_level: str) -> _Server:
    """The module served as `linemod serve` serves it (request deadlines, connection limit)."""
    return _Server(app.server_config(host=host, port=port, log_level=log_level, lifespan="on"))


async def _start(server: _Server, name: str) -> asyncio.Task[None]:
    task = asyncio.create_task(server.serve(), name=name)
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it (a port in use, a failed start-up)
            raise RuntimeError(f"the {name} stopped while starting")
        await asyncio.sleep(0.02)
    return task


class _Control:
    """The emulator's control API, as the demo's other parties use it."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else None


async def attach_through_consent(module_url: str, control: _Control, bot_id: str, attach_path: str = "/attach") -> str:
    """The OA admin's browser: start on the module, approve on LINE's consent screen, come back to the
    module's callback (with the cookie the start set). Returns the completion page's HTML."""
    async with httpx.AsyncClient(base_url=module_url, timeout=30) as browser:
        start = await browser.get(f"{attach_path}/start")
        if start.status_code != 302:
            raise RuntimeError(f"the module's attach start answered {start.status_code}: {start.text}")
        answer = await control.call(
            "POST",
            "/_emulator/authorize",
            json={"authorize_url": start.headers["location"], "bot_id": bot_id, "decision": "approve"},
        )
        redirect = urlsplit(answer["redirect_url"])
        page = await browser.get(f"{redirect.path}?{redirect.query}")
        if page.status_code != 200 or 'data-attach-result="complete"' not in page.text:
            raise RuntimeError(f"the attach did not complete ({page.status_code}): {page.text[:500]}")
        return page.text


def _fresh_database(data_dir: Path) -> str:
    """The demo starts afresh: the emulator keeps its state in memory, so last run's OAs are gone."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (data_dir / f"{DB_FILE}{suffix}").unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{(data_dir / DB_FILE).resolve()}"


def _linemod_command() -> list[str]:
    """The `linemod` command of this installation (next to this Python, else on the PATH)."""
    beside = Path(sys.executable).parent / "linemod"
    found = str(beside) if beside.exists() else shutil.which("linemod")
    if found is None:
        raise RuntimeError("the `linemod` command is not installed: cannot start the emulator")
    return [found]


async def _start_emulator(config: DemoConfig, url: str, timeout: float = 60) -> asyncio.subprocess.Process:
    """`linemod emulator` in a child process of its own session, once it answers."""
    process = await asyncio.create_subprocess_exec(
        *_linemod_command(),
        "emulator",
        "--host",
        config.host,
        "--port",
        str(config.emulator_port),
        "--log-level",
        config.log_level,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"the emulator stopped while starting (exit code {process.returncode})")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/_emulator/clock")).status_code == 200:
                    return process
            if time.monotonic() > deadline:
                await _stop_emulator(process)
                raise RuntimeError(f"the emulator did not answer at {url} within {timeout:.0f}s")
            await asyncio.sleep(0.1)


async def _stop_emulator(process: asyncio.subprocess.Process, timeout: float = 10) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _populate(world: DemoWorld, control: _Control, channel_id: str) -> None:
    account = await control.call("POST", "/_emulator/accounts", json={"display_name": SHOP_NAME})
    world.bot_id, world.basic_id = account["bot_id"], account["basic_id"]
    for name, language in PEOPLE:
        person = await control.call("POST", "/_emulator/users", json={"display_name": name, "language": language})
        world.people.append(person)
    await attach_through_consent(world.module_url, control, world.bot_id)
    await control.call("POST", "/_emulator/deliveries/flush", json={"timeout_seconds": 20})
    for person in world.people:  # friends after the attach, so the module welcomes them
        await control.call("POST", f"/_emulator/accounts/{world.bot_id}/friends", json={"user_id": person["user_id"]})
    await control.call("POST", "/_emulator/deliveries/flush", json={"timeout_seconds": 20})


def print_urls(world: DemoWorld) -> None:
    from rich.console import Console

    console = Console(soft_wrap=True)  # URLs stay on one line whatever the terminal's width
    console.print(f"\n[bold green]linemod demo[/] {SHOP_NAME} ({world.basic_id}) is ready. Open:\n")
    rows = (
        (f"LINE app ({world.people[0]['display_name']})", world.app_url),
        ("Management console", world.console_url),
        ("OA Manager", world.manager_url),
    )
    for label, url in rows:
        console.print(f"  [bold]{label}[/]\n    [link={url}]{url}[/link]")
    if world.operator:
        console.print(f"\n  Console sign-in: {world.operator['email']} / {world.operator['password']}")
    if world.staff:
        provider = f"{world.module_url}/provider/"
        console.print(f"\n  [bold]Provider console[/] (staff: tenants, billing, help desk)\n    {provider}")
        console.print(f"  Staff sign-in: {world.staff['email']} / {world.staff['password']}")
    console.print()
    for line in demo_billing.instructions(world.billing_url, world.emulator_url, world.stripe_url is not None):
        console.print(f"  {line}", markup=False)
    console.print("\nPress Ctrl-C to stop.\n")
    # Plain lines too, for scripts and tests that wait for them.
    print(f"LINE_APP_URL={world.app_url}", flush=True)
    print(f"CONSOLE_URL={world.console_url}", flush=True)
    print(f"OA_MANAGER_URL={world.manager_url}", flush=True)
    print(f"BILLING_URL={world.billing_url}", flush=True)
    if world.stripe_url:
        print(f"LOCALSTRIPE_URL={world.stripe_url}", flush=True)
    if world.operator:
        print(f"CONSOLE_EMAIL={world.operator['email']}", flush=True)
        print(f"CONSOLE_PASSWORD={world.operator['password']}", flush=True)
    if world.staff:
        print(f"PROVIDER_URL={world.module_url}/provider/", flush=True)
        print(f"STAFF_EMAIL={world.staff['email']}", flush=True)
        print(f"STAFF_PASSWORD={world.staff['password']}", flush=True)


async def run(config: DemoConfig, stop: asyncio.Event | None = None) -> DemoWorld:
    """Start everything, print the URLs, and serve until `stop` is set (or SIGINT/SIGTERM)."""
    from linemod import Settings
    from linemod_reservation import create_app

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    world = DemoWorld(f"http://{config.host}:{config.emulator_port}", f"http://{config.host}:{config.port}")
    emulator: asyncio.subprocess.Process | None = None
    stripe: asyncio.subprocess.Process | None = None
    module: _Server | None = None
    task: asyncio.Task[None] | None = None
    try:
        emulator = await _start_emulator(config, world.emulator_url)
        stripe = await demo_billing.start_localstripe(config.host, config.stripe_port)
        if stripe is not None:
            world.stripe_url = f"http://{config.host}:{config.stripe_port}"
            await demo_billing.send_webhooks(world.stripe_url, world.module_url)
        async with httpx.AsyncClient(base_url=world.emulator_url, timeout=30) as client:
            control = _Control(client)
            channel = await control.call(
                "POST",
                "/_emulator/module-channels",
                json={
                    "name": "Reservation",
                    "webhook_url": f"{world.module_url}/webhook",
                    "redirect_uris": [f"{world.module_url}/attach/callback"],
                    "description": "In-store reservations (linemod demo)",
                },
            )
            database_url = _fresh_database(config.data_dir)
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                channel_id=channel["channel_id"],
                channel_secret=channel["channel_secret"],
                line_base_url=world.emulator_url,
                public_base_url=world.module_url,
                database_url=database_url,
                reconcile_interval_seconds=0,
                **demo_billing.billing_settings(world.stripe_url),
            )
            app = create_app(settings, follow_emulator=world.emulator_url)
            await app.upgrade_database()
            module = _server(app, config.host, config.port, config.log_level)
            task = await _start(module, "module")
            await _populate(world, control, channel["channel_id"])
            world.operator = await _demo_operator(app, world)
            world.staff = await _demo_staff(app)
        print_urls(world)
        await stop.wait()
    finally:
        # The module first: its workers may still be calling the emulator.
        if module is not None and task is not None:
            module.should_exit = True
            await asyncio.gather(task, return_exceptions=True)
        if emulator is not None:
            await _stop_emulator(emulator)
        await demo_billing.stop_localstripe(stripe)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return world


async def _demo_operator(app: ModuleApp, world: DemoWorld) -> dict[str, str]:
    """The demo operator's console account (owner of the demo OA)."""
    from linemod_reservation.console import create_demo_operator

    return await create_demo_operator(app, world.bot_id)


async def _demo_staff(app: ModuleApp) -> dict[str, str]:
    """The demo provider's staff account."""
    from linemod_reservation.console import create_demo_staff

    return await create_demo_staff(app)


def main(config: DemoConfig) -> None:
    """Run the demo until interrupted; exits 0 on SIGINT/SIGTERM."""
    asyncio.run(run(config))


def register(cli: typer.Typer) -> None:
    """Add `linemod demo` to the `linemod` command (the `linemod.commands` entry point)."""

    @cli.command()
    def demo(
        host: str = typer.Option("127.0.0.1", help="Interface both servers listen on."),
        emulator_port: int = typer.Option(9000, help="Port of the LINE Platform emulator."),
        port: int = typer.Option(8000, help="Port of the reservation module."),
        stripe_port: int = typer.Option(8420, help="Port of localstripe (the Stripe emulator), when installed."),
        data_dir: str = typer.Option("var", help="Where the module's SQLite file goes (recreated each run)."),
        log_level: str = typer.Option("warning", help="uvicorn log level."),
    ) -> None:
        """Run the emulator and the reservation module with a demo OA attached; prints the URLs to open."""
        config = DemoConfig(host=host, emulator_port=emulator_port, port=port, stripe_port=stripe_port,
                            data_dir=Path(data_dir))
        main(replace(config, log_level=log_level))

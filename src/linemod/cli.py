"""The `linemod` command: the emulator here, the framework's commands from `linemod.framework.cli`."""

from __future__ import annotations

import gc
import importlib
import importlib.metadata

import typer

app = typer.Typer(help="Build, run and test LINE Marketplace modules.", no_args_is_help=True)


@app.callback()
def _root() -> None:
    """Keeps `linemod` a command group even while only one command is registered."""


@app.command()
def emulator(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(9000, help="Port to listen on."),
    bot_id_header: str = typer.Option("X-Line-Bot-Id", help="Name of the module bot-ID header."),
    no_rate_limits: bool = typer.Option(False, help="Turn LINE's rate limits off (for load tests)."),
    control_host: list[str] = typer.Option(  # noqa: B008
        [], help="Another host name the control API answers for (loopback always; '*' for any). Repeatable."
    ),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
) -> None:
    """Run the LINE Platform emulator."""
    import uvicorn

    from linemod.emulator import EmulatorSettings, create_app

    settings = EmulatorSettings(bot_id_header=bot_id_header, rate_limits=not no_rate_limits)
    settings.control_hosts = [*settings.control_hosts, *control_host]
    # The emulator keeps every chat, token and delivery in memory; with the default threshold (700)
    # the cyclic collector runs every few requests and rescans that growing heap under load.
    gc.set_threshold(50_000, 20, 20)
    typer.echo(f"LINE Platform emulator on http://{host}:{port} (control API: /_emulator/, docs: /_emulator/docs)")
    # No proxy-header rewriting and no Server header: the emulator listens on loopback for tests, and
    # both cost measurable time per request in load tests.
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, access_log=False,
                proxy_headers=False, server_header=False)


def _register_framework_commands() -> None:
    try:
        framework_cli = importlib.import_module("linemod.framework.cli")
    except ModuleNotFoundError as exc:
        if exc.name != "linemod.framework.cli":
            raise
        return
    framework_cli.register(app)


def _register_installed_commands() -> None:
    """Commands other distributions add under the `linemod.commands` entry point group (the reservation
    module adds `linemod demo`): the CLI names no example package itself."""
    for entry_point in importlib.metadata.entry_points(group="linemod.commands"):
        entry_point.load()(app)


_register_framework_commands()
_register_installed_commands()


def main() -> None:
    app()

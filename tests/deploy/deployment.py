"""The pieces of docs/deploy.md the deployment test runs: the doc's blocks with their placeholders filled in,
its nginx configuration under a master process of the test's own, and the `linemod` processes the service units
would start, restarted the way `Restart=always` would."""

from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"
LINEMOD = Path(sys.executable).parent / "linemod"
PLACEHOLDER = re.compile(r"__[A-Z0-9_]+__")


def doc_block(first_line: str) -> str:
    """The fenced block of docs/deploy.md whose first line is `first_line` (its file name comment), as written."""
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", DOC.read_text(), flags=re.S | re.M):
        if block.splitlines()[0] == first_line:
            return str(block)
    raise AssertionError(f"docs/deploy.md has no block starting with {first_line!r}")


def fill(template: str, values: Mapping[str, str]) -> str:
    """`template` with each `__NAME__` replaced by `values["NAME"]`; every placeholder must be given."""
    missing = {name.strip("_") for name in PLACEHOLDER.findall(template)} - set(values)
    assert not missing, f"placeholders without a value: {sorted(missing)}"
    return PLACEHOLDER.sub(lambda found: values[found.group(0).strip("_")], template)


def environment_file(text: str) -> dict[str, str]:
    """The variables of an EnvironmentFile (KEY=VALUE lines; comments and blank lines skipped)."""
    variables = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip()
    return variables


def unit_option(unit: str, name: str) -> str:
    """The value of `name=` in a unit file (the first one)."""
    for line in unit.splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1]
    raise AssertionError(f"the unit has no {name}=")


def client(base_url: str, certificate: Path, *, source: str = "127.0.0.2") -> httpx.Client:
    """An https client trusting `certificate` that connects from `source` (another loopback address, so the
    client IP nginx sees differs from nginx's own)."""
    context = ssl.create_default_context(cafile=str(certificate))
    transport = httpx.HTTPTransport(verify=context, local_address=source)
    return httpx.Client(base_url=base_url, transport=transport, verify=context, timeout=20)


@dataclass
class Service:
    """One process of a service unit: started, stopped by a signal, started again."""

    name: str
    command: list[str]
    env: dict[str, str]
    logs: Path
    process: subprocess.Popen[bytes] | None = None
    exit_codes: list[int] = field(default_factory=list)
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.logs / f"{self.name}.{self.starts}.log").open("wb")
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 60) -> int:
        """Send `sig`, wait for the exit, and return (and keep) its status."""
        assert self.process is not None and self.process.poll() is None, f"{self.name} is not running: {self.log()}"
        self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self.exit_codes.append(code)
        return code

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return (self.logs / f"{self.name}.{self.starts}.log").read_text(errors="replace")[-4000:]


ACCESS_FORMAT = "$status $request_method $uri $upstream_addr $upstream_status"


class Nginx:
    """Debian's nginx running the doc's site file under a master process of the test's own: its own prefix,
    main configuration (pid file, logs, temporary directories), in the foreground, as the current user."""

    def __init__(self, prefix: Path, site: str) -> None:
        self.prefix = prefix
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        (prefix / "linemod.conf").write_text(site)
        for temporary in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / temporary).mkdir(exist_ok=True)
        # As root, the master would hand requests to workers running as `nobody`, who could not read this
        # directory: the workers run as the current user too.
        user = f"user {os.environ.get('USER') or 'root'};\n" if os.geteuid() == 0 else ""
        (prefix / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"    log_format deploy_test '{ACCESS_FORMAT}';\n"
            f"    access_log {prefix}/access.log deploy_test;\n"
            + "".join(f"    {kind}_temp_path {prefix}/{kind.split('_')[0]};\n"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"    include {prefix}/linemod.conf;\n"
            "}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def command(self, *extra: str) -> list[str]:
        return [self.binary, "-p", f"{self.prefix}/", "-c", f"{self.prefix}/nginx.conf", *extra]

    def check(self) -> None:
        checked = subprocess.run(self.command("-t"), capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr

    def start(self) -> None:
        self.check()
        log = (self.prefix / "master.log").open("wb")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: answers what it has, then exits
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def answers(self, method: str | None = None, uri: str | None = None) -> Counter[int]:
        """The status codes nginx answered, by its access log (filtered by method and URI)."""
        statuses: Counter[int] = Counter()
        log = self.prefix / "access.log"
        for line in log.read_text().splitlines() if log.exists() else []:
            status, request_method, request_uri, *_ = line.split(" ")
            if (method is None or request_method == method) and (uri is None or request_uri == uri):
                statuses[int(status)] += 1
        return statuses

    def error_log(self) -> str:
        log = self.prefix / "error.log"
        return log.read_text()[-4000:] if log.exists() else ""


def wait_until(predicate: object, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll `predicate()` (a callable) until it is truthy; fail saying `what` after `timeout` seconds."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(interval)

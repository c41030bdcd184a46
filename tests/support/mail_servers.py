"""Real mail servers on loopback for the help desk's tests: Debian's Dovecot (IMAP) with a configuration of
its own in a temporary directory, and aiosmtpd (SMTP) capturing what is sent.

Dovecot is started as a child process (`dovecot -F -c <our config>`): its own base and state directories,
a passwd-file user with a plain password, plaintext login allowed on 127.0.0.1 only, a free port, no
system service touched. scripts/mail-servers.sh installs it (`make test` runs the script).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    port: int
    user: str
    password: str
    root: Path

    @property
    def host(self) -> str:
        return "127.0.0.1"


def _config(root: Path, port: int, mail_user: pwd.struct_passwd, internal: str, login: str) -> str:
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
default_login_user = {login}
first_valid_uid = {mail_user.pw_uid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@contextmanager
def dovecot_server() -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        # `make test` installs it (scripts/mail-servers.sh); run alone, a missing server is a failure that says
        # how to install it, never a silent skip (as for Chromium).
        pytest.fail("dovecot is not installed: run scripts/mail-servers.sh (as root), or apt-get install dovecot-imapd")
    root = Path(tempfile.mkdtemp(prefix="linemod-dovecot-"))
    root.chmod(0o755)  # the mail and login users must reach their directories under it
    if os.geteuid() == 0:
        # Dovecot refuses mail processes as root: mail belongs to "nobody", its own processes to its users.
        mail_user, internal, login = pwd.getpwnam("nobody"), "dovecot", "dovenull"
    else:
        me = pwd.getpwuid(os.geteuid())
        mail_user, internal, login = me, me.pw_name, me.pw_name
    (root / "mail").mkdir()
    if os.geteuid() == 0:
        os.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
    user, password = "support", "support-pw"
    (root / "passwd").write_text(f"{user}:{{PLAIN}}{password}::::::\n")
    port = free_port()
    (root / "dovecot.conf").write_text(_config(root, port, mail_user, internal, login))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_port(port, process, root)
        yield Dovecot(port, user, password, root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    for _ in range(200):
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited ({process.returncode}): {output}\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("dovecot did not answer on its port")


@dataclass
class CapturedMail:
    envelope_from: str
    envelope_to: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpCapture:
    """An aiosmtpd handler (aiosmtpd calls `handle_DATA` by that name) keeping every mail it accepts."""

    port: int
    mails: list[CapturedMail] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.mails.append(
            CapturedMail(
                getattr(envelope, "mail_from", ""),
                list(getattr(envelope, "rcpt_tos", [])),
                bytes(getattr(envelope, "original_content", None) or getattr(envelope, "content", b"")),
            )
        )
        return "250 OK"


@contextmanager
def smtp_capture() -> Iterator[SmtpCapture]:
    """aiosmtpd serving on a loopback port in its own thread; `mails` holds what it received."""
    from aiosmtpd.controller import Controller

    capture = SmtpCapture(free_port())
    controller = Controller(capture, hostname="127.0.0.1", port=capture.port)
    controller.start()
    try:
        yield capture
    finally:
        controller.stop()

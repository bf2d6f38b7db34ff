"""A real Dovecot IMAP server for tests, run from its own config in a temp directory.

It listens on free loopback ports: plain IMAP (offering STARTTLS) and implicit TLS,
with a certificate signed by a test CA made at start. Mail is stored as Maildir owned by
nobody/nogroup; each user has a passwd-file of their own, so users can be added while
the server runs.
Administration (folders, status, sessions) goes through `doveadm` with the same config.
"""

from __future__ import annotations

import base64
import contextlib
import grp
import imaplib
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import string
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Literal

from tests.servers.oauth import TokenService

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
COMMAND_TIMEOUT = 30.0

Security = Literal["plain", "starttls", "tls"]
Message = bytes | tuple[bytes, datetime]

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*\Z")
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")

_CONFIG = string.Template(r"""# The tests' own Dovecot, apart from the system's.
base_dir = $root/run
state_dir = $root/state
log_path = $root/dovecot.log
instance_name = inbox-crm-test
protocols = imap
listen = $host
ssl = yes
ssl_cert = <$root/server.crt
ssl_key = <$root/server.key
# Tests log in with a plain LOGIN on loopback, and wrong passwords must fail fast.
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
mail_location = maildir:$root/mail/%u
mail_uid = $uid
mail_gid = $gid
mail_fsync = never
# New mail reaches an IDLE session within a second, even where inotify is missing.
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = 10 secs
verbose_proctitle = yes
passdb {
  # XOAUTH2 access tokens are checked with the tests' own token service.
  driver = oauth2
  mechanisms = xoauth2
  args = $root/oauth2.conf.ext
}
passdb {
  driver = passwd-file
  # One file per user: Dovecot rereads a changed file only once a second.
  args = scheme=PLAIN username_format=%u $root/users/%u
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$root/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    auto = subscribe
    special_use = \Sent
  }
  mailbox Drafts {
    auto = subscribe
    special_use = \Drafts
  }
  mailbox Trash {
    auto = subscribe
    special_use = \Trash
  }
}
protocol imap {
  # Tests open many sessions for one user from one address.
  mail_max_userip_connections = 1000
}
service imap-login {
  service_count = 0
  process_min_avail = 1
  inet_listener imap {
    port = $port
  }
  inet_listener imaps {
    port = $tls_port
    ssl = yes
  }
}
service imap {
  process_min_avail = 4
}
service anvil {
  # No growing delays after failed logins: tests try wrong passwords on purpose.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service stats {
  # Mail processes run as nobody and report to stats.
  unix_listener stats-writer {
    mode = 0666
  }
}
""")

_OAUTH2_CONFIG = string.Template("""introspection_mode = post
introspection_url = $url
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
""")


class DovecotError(RuntimeError):
    """The test Dovecot could not start, or a `doveadm` command failed."""


def missing_requirements() -> str | None:
    """Say what this machine lacks to run the test Dovecot, or None if nothing."""
    for program in ("dovecot", "doveadm", "openssl"):
        if _program(program) is None:
            return f"`{program}` is not installed"
    if os.geteuid() != 0:
        return "the test Dovecot must start as root (mail processes run as nobody)"
    return None


def fast_parent_directory() -> str | None:
    """/dev/shm when it has room, for mail in memory; None for the default temp dir.

    On these machines Maildir writes to disk run 5 to 10 times slower than to
    tmpfs, and stall now and then.
    """
    try:
        stats = os.statvfs("/dev/shm")
    except OSError:
        return None
    room = stats.f_bavail * stats.f_frsize
    return "/dev/shm" if room >= 2**30 and os.access("/dev/shm", os.W_OK) else None


def imap_mailbox_name(folder: str) -> str:
    """Quote a folder name for an IMAP command, in modified UTF-7 (RFC 3501 5.1.3)."""
    encoded = _modified_utf7(folder)
    escaped = encoded.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


class DovecotServer:
    """One Dovecot process tree, its temp directory, users and Maildirs."""

    host = HOST

    def __init__(
        self, parent: str | Path | None = None, extra_config: str = ""
    ) -> None:
        # Settings appended to the config, such as a narrower imap_capability.
        self.extra_config = extra_config
        self.root = Path(tempfile.mkdtemp(prefix="inbox-crm-dovecot-", dir=parent))
        # The auth process runs as the `dovecot` user and reads the passwd-file here.
        self.root.chmod(0o755)
        self.port = 0
        self.tls_port = 0
        self.ca_file = self.root / "ca.crt"
        self.log_path = self.root / "dovecot.log"
        self.config_path = self.root / "dovecot.conf"
        self._process: subprocess.Popen[bytes] | None = None
        self.tokens = TokenService()
        self._passwords: dict[str, str] = {}
        self._folder_paths: dict[tuple[str, str], Path] = {}
        self._file_numbers = itertools.count()

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    # -- life cycle -------------------------------------------------------------

    def start(self) -> None:
        """Start Dovecot and wait until both ports greet; user alice/secret exists."""
        problem = missing_requirements()
        if problem is not None:
            raise DovecotError(problem)

        _make_certificates(self.root)
        self._make_directories()
        self.tokens.start()
        self.add_user("alice", "secret")

        # A free port may be taken between probing and binding: try fresh ones.
        for attempt in range(3):
            self.port, self.tls_port = _free_ports(2)
            self._write_config()
            try:
                self._spawn()
                return
            except BaseException:
                busy = "Address already in use" in self.log_tail()
                self._terminate()
                if not busy or attempt == 2:
                    raise

    def stop(self) -> None:
        """Stop every Dovecot process and remove the temp directory."""
        self._terminate()
        self.tokens.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def pid(self) -> int | None:
        """The Dovecot master's process id, which is also its process group's."""
        return None if self._process is None else self._process.pid

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of Dovecot's log and of its console output."""
        parts = []
        for path in (self.log_path, self.root / "dovecot.out"):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)

    # -- users ------------------------------------------------------------------

    def add_user(self, name: str, password: str = "secret") -> ImapAccount:
        """Create a user who can log in at once (a changed password takes a second)."""
        _check_name(name)
        if any(char in password for char in ":\r\n"):
            raise ValueError("a test password cannot hold ':' or a line break")
        self._passwords[name] = password
        self._write_password_file(name)
        return ImapAccount(self, name, password)

    def account(self, name: str) -> ImapAccount:
        """The account of an existing user."""
        return ImapAccount(self, name, self._passwords[name])

    def remove_user(self, name: str) -> None:
        """Drop the user's sessions, then delete the user and all their mail."""
        self.kick(name, hard=True)
        del self._passwords[name]
        (self.root / "users" / name).unlink()
        self._forget_folders(name)
        shutil.rmtree(self.root / "mail" / name, ignore_errors=True)

    # -- connections ------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts the test CA and checks the host name."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def open(self, security: Security = "plain") -> imaplib.IMAP4:
        """An imaplib client, not yet logged in."""
        if security == "tls":
            context = self.ssl_context()
            return imaplib.IMAP4_SSL(
                HOST, self.tls_port, ssl_context=context, timeout=10
            )
        client = imaplib.IMAP4(HOST, self.port, timeout=10)
        if security == "starttls":
            client.starttls(self.ssl_context())
        return client

    def connect(self, user: str, security: Security = "plain") -> imaplib.IMAP4:
        """An imaplib client logged in as the user."""
        client = self.open(security)
        client.login(user, self._passwords[user])
        return client

    def connections(self, user: str) -> list[int]:
        """Process ids of the user's logged-in IMAP sessions."""
        return [int(row["pid"]) for row in self._doveadm_table("who", "-1", user)]

    def kick(self, user: str, *, hard: bool = False) -> int:
        """Drop all the user's sessions and return how many there were.

        Soft: Dovecot says `* BYE` and closes. Hard: the session processes are
        killed, so a client sees the connection end mid-response, as on a network
        failure.
        """
        pids = self.connections(user)
        if hard:
            for pid in pids:
                _kill(pid, signal.SIGKILL)
        elif pids:
            self.doveadm("kick", user)
        self._wait_until_gone(user)
        return len(pids)

    # -- folders and messages ---------------------------------------------------

    def folders(self, user: str) -> list[str]:
        """The user's folder names, as Dovecot lists them (UTF-8, '/' separated)."""
        return self.doveadm("mailbox", "list", "-u", user).splitlines()

    def create_folder(self, user: str, folder: str) -> None:
        """Create and subscribe a folder; an existing one is left as it is."""
        result = self._run_doveadm("mailbox", "create", "-u", user, "-s", folder)
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise DovecotError(_failure("mailbox create", result))

    def delete_folder(self, user: str, folder: str) -> None:
        """Delete a folder with its subfolders and messages."""
        self._run_doveadm("mailbox", "delete", "-u", user, "-r", "-s", folder)
        self._forget_folders(user)
        if folder in self.folders(user):
            raise DovecotError(f"folder {folder!r} of {user} could not be deleted")

    def status(self, user: str, folder: str = "INBOX") -> dict[str, int]:
        """messages, unseen, uidnext and uidvalidity of a folder."""
        items = "messages unseen uidnext uidvalidity"
        rows = self._doveadm_table("mailbox", "status", "-u", user, items, folder)
        return {key: int(value) for key, value in rows[0].items() if key != "mailbox"}

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        """The folder's current UIDVALIDITY."""
        return self.status(user, folder)["uidvalidity"]

    def change_uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        """Give the folder a new UIDVALIDITY, as if it were recreated; return it.

        The user's sessions are dropped first (with BYE), as a server does when it
        rebuilds a mailbox. The messages stay, renumbered from UID 1 in their
        stored order. Dovecot draws the new value from a per-user counter, so it
        always differs from the old one.
        """
        before = self.uidvalidity(user, folder)
        path = self._folder_path(user, folder)
        # A session holding the old index open would go on serving stale UIDs.
        self.kick(user)

        # Without its UID list and indexes, Dovecot rebuilds the folder anew.
        (path / "dovecot-uidlist").unlink(missing_ok=True)
        for index in path.glob("dovecot.index*"):
            index.unlink()
        for index in (self.root / "mail" / user).glob("dovecot.list.index*"):
            index.unlink()

        after = self.uidvalidity(user, folder)
        if after == before:
            raise DovecotError(f"UIDVALIDITY of {folder!r} stayed {before}")
        return after

    def append(
        self,
        user: str,
        message: bytes,
        folder: str = "INBOX",
        *,
        flags: Iterable[str] = (),
        internaldate: datetime | None = None,
    ) -> int:
        """APPEND one message over IMAP and return its UID; creates the folder.

        A naive `internaldate` is taken as UTC.
        """
        self._folder_path(user, folder)
        flag_list = "(" + " ".join(flags) + ")"
        date = None if internaldate is None else _internaldate(internaldate)
        with self.connect(user) as client:
            kind, data = client.append(
                imap_mailbox_name(folder), flag_list, date, message
            )
        return _appended_uid(kind, data)

    def bulk_load(
        self, user: str, messages: Iterable[Message], folder: str = "INBOX"
    ) -> int:
        """Write messages straight into the folder's Maildir; return how many.

        Far faster than APPEND. Items are raw bytes or (bytes, INTERNALDATE); UIDs
        follow the order given. Files appear complete only once written, so load
        a folder that no client is reading at the same moment (use `append` for
        mail that arrives during a session). The folder is indexed before return.
        """
        path = self._folder_path(user, folder) / "cur"
        owner = _mail_owner()
        # Dovecot gives new files UIDs by the leading time, then by name.
        prefix = f"{int(time.time())}.P{os.getpid()}N"

        count = 0
        directory = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for item in messages:
                raw, date = (item, None) if isinstance(item, bytes) else item
                name = f"{prefix}{next(self._file_numbers):010d}.test,S={len(raw)}:2,"
                _write_mail_file(directory, name, raw, date, owner)
                count += 1
        finally:
            os.close(directory)

        self.status(user, folder)
        return count

    # -- doveadm ----------------------------------------------------------------

    def doveadm(self, *args: str) -> str:
        """Run `doveadm` against this server and return its output."""
        result = self._run_doveadm(*args)
        if result.returncode != 0:
            raise DovecotError(_failure(args[0], result))
        return result.stdout

    def _run_doveadm(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [_require("doveadm"), "-c", str(self.config_path), *args]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
        )

    def _doveadm_table(self, *args: str) -> list[dict[str, str]]:
        lines = self.doveadm("-f", "tab", *args).splitlines()
        if not lines:
            return []
        keys, rows = lines[0].split("\t"), lines[1:]
        return [dict(zip(keys, row.split("\t"), strict=True)) for row in rows]

    # -- internals --------------------------------------------------------------

    def _make_directories(self) -> None:
        (self.root / "users").mkdir(mode=0o755, exist_ok=True)
        mail = self.root / "mail"
        mail.mkdir(exist_ok=True)
        uid, gid = _mail_owner()
        os.chown(mail, uid, gid)

    def _write_password_file(self, name: str) -> None:
        line = f"{name}:{{PLAIN}}{self._passwords[name]}::::::\n"
        # Replace the file whole so that the auth process never reads half of it.
        staging = self.root / "users" / f".{name}.new"
        staging.write_text(line)
        staging.chmod(0o644)
        staging.replace(self.root / "users" / name)

    def _write_config(self) -> None:
        uid, gid = _mail_owner()
        oauth2 = _OAUTH2_CONFIG.substitute(url=self.tokens.url)
        (self.root / "oauth2.conf.ext").write_text(oauth2)
        self.config_path.write_text(
            _CONFIG.substitute(
                root=self.root,
                host=HOST,
                uid=uid,
                gid=gid,
                port=self.port,
                tls_port=self.tls_port,
            )
            + self.extra_config
        )

    def _spawn(self) -> None:
        self.log_path.unlink(missing_ok=True)
        command = [_require("dovecot"), "-F", "-c", str(self.config_path)]
        with open(self.root / "dovecot.out", "wb") as console:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        last_error: OSError | None = None
        while time.monotonic() < deadline:
            status = self._process.poll()
            if status is not None:
                raise DovecotError(
                    f"dovecot exited with status {status}\n{self.log_tail()}"
                )
            try:
                if _greets(self.port) and _greets(self.tls_port, self.ssl_context()):
                    return
            except OSError as error:
                # Refused while starting; a TLS failure shows in the message below.
                last_error = error
            time.sleep(0.02)
        raise DovecotError(
            f"dovecot did not greet on ports {self.port} and {self.tls_port} "
            f"within {START_TIMEOUT:.0f} s (last error: {last_error})\n"
            f"{self.log_tail()}"
        )

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return

        # Every process gets SIGTERM (sessions say BYE); sessions may outlive the
        # master, so whatever is left of the group is killed after it exits.
        group = process.pid
        _signal_group(group, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=3)
        _signal_group(group, signal.SIGKILL)
        process.wait()
        _wait_group_gone(group)

    def _wait_until_gone(self, user: str) -> None:
        deadline = time.monotonic() + 5
        while self.connections(user):
            if time.monotonic() > deadline:
                raise DovecotError(f"sessions of {user} still open after a kick")
            time.sleep(0.01)

    def _folder_path(self, user: str, folder: str) -> Path:
        """The folder's Maildir directory, creating the folder if it is missing."""
        key = (user, folder)
        if key not in self._folder_paths:
            if folder.upper() != "INBOX":
                self.create_folder(user, folder)
            # A status lookup makes Dovecot create the Maildir and its index.
            self.status(user, folder)
            path = self.doveadm("mailbox", "path", "-u", user, folder).strip()
            self._folder_paths[key] = Path(path)
        return self._folder_paths[key]

    def _forget_folders(self, user: str) -> None:
        for key in [key for key in self._folder_paths if key[0] == user]:
            del self._folder_paths[key]


@dataclass(frozen=True)
class ImapAccount:
    """One user of a DovecotServer, with what a client needs to reach it."""

    server: DovecotServer
    user: str
    password: str

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        """Plain IMAP, offering STARTTLS."""
        return self.server.port

    @property
    def tls_port(self) -> int:
        """IMAP over implicit TLS (the port-993 kind)."""
        return self.server.tls_port

    @property
    def ca_file(self) -> Path:
        return self.server.ca_file

    def ssl_context(self) -> ssl.SSLContext:
        return self.server.ssl_context()

    def issue_token(self) -> str:
        """A fresh XOAUTH2 access token for this user."""
        return self.server.tokens.issue(self.user)

    def connect(self, security: Security = "plain") -> imaplib.IMAP4:
        return self.server.connect(self.user, security)

    def connections(self) -> list[int]:
        return self.server.connections(self.user)

    def kick(self, *, hard: bool = False) -> int:
        return self.server.kick(self.user, hard=hard)

    def folders(self) -> list[str]:
        return self.server.folders(self.user)

    def create_folder(self, folder: str) -> None:
        self.server.create_folder(self.user, folder)

    def delete_folder(self, folder: str) -> None:
        self.server.delete_folder(self.user, folder)

    def status(self, folder: str = "INBOX") -> dict[str, int]:
        return self.server.status(self.user, folder)

    def uidvalidity(self, folder: str = "INBOX") -> int:
        return self.server.uidvalidity(self.user, folder)

    def change_uidvalidity(self, folder: str = "INBOX") -> int:
        return self.server.change_uidvalidity(self.user, folder)

    def append(
        self,
        message: bytes,
        folder: str = "INBOX",
        *,
        flags: Iterable[str] = (),
        internaldate: datetime | None = None,
    ) -> int:
        return self.server.append(
            self.user, message, folder, flags=flags, internaldate=internaldate
        )

    def bulk_load(self, messages: Iterable[Message], folder: str = "INBOX") -> int:
        return self.server.bulk_load(self.user, messages, folder)


# -- certificates ---------------------------------------------------------------

_SERVER_EXTENSIONS = (
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature",
    "extendedKeyUsage=serverAuth",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
)


def _make_certificates(directory: Path) -> None:
    """Write ca.crt, and server.crt/server.key signed by it, for localhost."""
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    common = [_require("openssl"), "req", "-x509", "-days", "30", *new_key]
    _openssl(
        *common,
        *("-keyout", "ca.key", "-out", "ca.crt"),
        *("-subj", "/CN=inbox-crm test CA"),
        *("-addext", "basicConstraints=critical,CA:TRUE"),
        *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
        cwd=directory,
    )
    extensions = itertools.chain.from_iterable(
        ("-addext", extension) for extension in _SERVER_EXTENSIONS
    )
    _openssl(
        *common,
        *("-keyout", "server.key", "-out", "server.crt"),
        *("-subj", "/CN=localhost", "-CA", "ca.crt", "-CAkey", "ca.key"),
        *extensions,
        cwd=directory,
    )


def _openssl(*command: str, cwd: Path) -> None:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
    )
    if result.returncode != 0:
        raise DovecotError(f"openssl failed: {result.stderr.strip()}")


# -- small pieces -----------------------------------------------------------------


def _program(name: str) -> str | None:
    # Root's PATH has /usr/sbin, a developer's often not.
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")


def _require(name: str) -> str:
    path = _program(name)
    if path is None:
        raise DovecotError(f"`{name}` is not installed")
    return path


def _mail_owner() -> tuple[int, int]:
    """uid and gid of nobody/nogroup, which own the mail."""
    user = pwd.getpwnam("nobody")
    try:
        return user.pw_uid, grp.getgrnam("nogroup").gr_gid
    except KeyError:
        return user.pw_uid, user.pw_gid


def _check_name(name: str) -> None:
    # Names become paths and doveadm user masks: no separators, no wildcards.
    if not _SAFE_NAME.match(name):
        raise ValueError(f"unusable test user name: {name!r}")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _greets(port: int, context: ssl.SSLContext | None = None) -> bool:
    """Whether an IMAP greeting comes from the port (over TLS with a context)."""
    with socket.create_connection((HOST, port), timeout=2) as plain:
        if context is None:
            return plain.recv(256).startswith(b"* OK")
        with context.wrap_socket(plain, server_hostname=HOST) as secure:
            return secure.recv(256).startswith(b"* OK")


def _signal_group(group: int, number: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, number)


def _kill(pid: int, number: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def _wait_group_gone(group: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise DovecotError(f"Dovecot processes of group {group} outlived SIGKILL")


def _write_mail_file(
    directory: int, name: str, raw: bytes, date: datetime | None, owner: tuple[int, int]
) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    descriptor = os.open(name, flags, 0o600, dir_fd=directory)
    try:
        view = memoryview(raw)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fchown(descriptor, *owner)
        # Dovecot takes a Maildir message's INTERNALDATE from the file's mtime.
        if date is not None:
            moment = _as_utc(date).timestamp()
            os.utime(descriptor, (moment, moment))
    finally:
        os.close(descriptor)


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _internaldate(moment: datetime) -> str:
    return imaplib.Time2Internaldate(_as_utc(moment))


def _appended_uid(kind: str, data: Sequence[bytes | None]) -> int:
    response = data[0] or b""
    found = _APPENDUID.search(response)
    if kind != "OK" or found is None:
        raise DovecotError(f"APPEND failed: {kind} {response!r}")
    return int(found.group(1))


def _failure(command: str, result: subprocess.CompletedProcess[str]) -> str:
    return f"doveadm {command} exited {result.returncode}: {result.stderr.strip()}"


def _modified_utf7(text: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            packed = base64.b64encode("".join(pending).encode("utf-16-be"))
            out.append("&" + packed.decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in text:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)

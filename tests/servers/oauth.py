"""A token introspection endpoint (RFC 7662) that the test Dovecot asks about
XOAUTH2 access tokens: tokens are issued per user and can be revoked."""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

HOST = "127.0.0.1"


class TokenService:
    """Issues access tokens and answers Dovecot's introspection POSTs."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # How many introspection requests came in: proves the server asked us.
        self.requests = 0

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the token service is not running")
        return f"http://{HOST}:{self._server.server_port}/introspect"

    def start(self) -> None:
        self._server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="token-service", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def issue(self, user: str) -> str:
        """A fresh access token that logs `user` in."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = user
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def introspect(self, token: str) -> dict[str, str]:
        with self._lock:
            self.requests += 1
            user = self._tokens.get(token)
        if user is None:
            return {"active": "false"}
        return {"active": "true", "username": user}


def _handler_for(service: TokenService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode("ascii", "replace"))
            token = (form.get("token") or [""])[0]
            body = json.dumps(service.introspect(token)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the tests read Dovecot's log, not this one."""

    return Handler

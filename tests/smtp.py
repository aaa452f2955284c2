"""A small SMTP server for tests: it accepts every message on a local port and keeps what it received.

Just enough of RFC 5321 for smtplib (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT). A message counts as
received once its data has ended (the line with a single dot), which is when a real server takes
responsibility for it; ``delay`` holds the 250 answer back, as a slow server would; ``refuse`` answers 550 to
the recipients it names, as a server does for an unknown mailbox. ``connections`` counts the client sessions.
"""

from __future__ import annotations

import contextlib
import email
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    message: Message

    @property
    def message_id(self) -> str | None:
        return self.message["Message-ID"]


@dataclass
class SMTPServer:
    """Run with ``with SMTPServer() as server:``; ``server.port`` is where it listens."""

    #: seconds to wait before accepting each message (given the message, so one recipient can be slow)
    delay: Callable[[Message], float] = lambda _message: 0.0
    #: whether to refuse a recipient (given the address as the client sent it, e.g. ``<a@example.org>``)
    refuse: Callable[[str], bool] = lambda _rcpt: False
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> SMTPServer:
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                # A client that dies (a killed sender) breaks the pipe: what it completed is already recorded.
                with contextlib.suppress(OSError):
                    outer._session(self.rfile, self.wfile)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def by_message_id(self) -> dict[str | None, int]:
        counts: dict[str | None, int] = {}
        with self.lock:
            for item in self.received:
                counts[item.message_id] = counts.get(item.message_id, 0) + 1
        return counts

    def _session(self, rfile, wfile) -> None:
        def reply(line: str) -> None:
            wfile.write(line.encode() + b"\r\n")
            wfile.flush()

        with self.lock:
            self.connections += 1
        reply("220 localhost test SMTP")
        mail_from, rcpt_to = "", []
        while True:
            line = rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in {"EHLO", "HELO"}:
                reply("250 localhost")
            elif verb == "MAIL":
                mail_from, rcpt_to = command[10:].strip(), []
                reply("250 OK")
            elif verb == "RCPT":
                if self.refuse(command[8:].strip()):
                    reply("550 No such mailbox")
                    continue
                rcpt_to.append(command[8:].strip())
                reply("250 OK")
            elif verb == "DATA":
                reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    data = rfile.readline()
                    if not data:
                        return  # the client went away before the end of the data: not received
                    if data in (b".\r\n", b".\n"):
                        break
                    lines.append(data[1:] if data.startswith(b"..") else data)
                message = email.message_from_bytes(b"".join(lines))
                with self.lock:
                    self.received.append(Received(mail_from, rcpt_to, message))
                pause = self.delay(message)
                if pause:
                    time.sleep(pause)
                reply("250 OK queued")
            elif verb in {"RSET", "NOOP"}:
                reply("250 OK")
            elif verb == "QUIT":
                reply("221 Bye")
                return
            else:
                reply("502 Command not implemented")

"""A real SMTP server on 127.0.0.1 for the tests that check delivery (aiosmtpd)."""

from __future__ import annotations

import email
import email.parser
import email.policy
import socket
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.default)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    envelope_to: list[str]
    content: bytes
    message_id: str

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)


@dataclass
class Recorder:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        # Headers only here, so the server keeps pace; tests parse the rest when they look.
        headers = _HEADERS.parsebytes(envelope.content)
        with self.lock:
            self.received.append(
                Received(list(envelope.rcpt_tos), envelope.content, headers["Message-ID"])
            )
        return "250 Message accepted for delivery"

    def by_recipient(self) -> dict[str, list[str]]:
        """Recipient -> the Message-IDs received for them, in order."""
        with self.lock:
            result: dict[str, list[str]] = defaultdict(list)
            for item in self.received:
                for rcpt in item.envelope_to:
                    result[rcpt.lower()].append(item.message_id)
            return dict(result)

    def count(self) -> int:
        with self.lock:
            return len(self.received)


class MailServer:
    """Start, stop and start again on the same port (to play an outage)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.recorder = Recorder()
        self._controller: Controller | None = None

    def start(self) -> MailServer:
        self._controller = Controller(
            self.recorder, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def mailers_setting(self) -> dict:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
            }
        }

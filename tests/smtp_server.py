"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepted, for the mail tests."""

from __future__ import annotations

import email
import socket
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    """What the SMTP server accepted."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook
        parsed = email.message_from_bytes(envelope.content, policy=default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalSmtp:
    """``with LocalSmtp() as smtp:`` a server at ``smtp.url``; ``smtp.messages()`` what it accepted."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=free_port())

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self._controller.port}"

    def messages(self) -> list[EmailMessage]:
        return [message for _, _, message in self.inbox.messages]

    def __enter__(self) -> "LocalSmtp":
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()

"""Sending e-mail: an SMTP sender configured by URL, and an in-memory one for development.

``NEWSBRIDGE_SMTP_URL`` names the server: ``smtp://host:25`` (plain, upgraded with STARTTLS
when the server offers it), ``smtp+starttls://host:587`` (STARTTLS required), ``smtps://host:465``
(TLS from the start); ``user:password@`` before the host signs in. Nothing configured: no mail.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

from newsbridge.errors import InvalidInput, NewsbridgeError

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailNotSent(NewsbridgeError):
    """The SMTP server refused the message or could not be reached."""

    status = 502
    code = "mail_not_sent"


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass
class MemoryMailer:
    """Keeps what it is given (development, and a hub without SMTP that wants to see digests)."""

    sent: list[EmailMessage] = field(default_factory=list)

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    mode: str  # smtp | smtp+starttls | smtps
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, timeout: float = 30.0) -> "SmtpMailer":
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise InvalidInput("NEWSBRIDGE_SMTP_URL must look like smtp://host:25, smtp+starttls://user:password@host:587 "
                               "or smtps://host:465", field="NEWSBRIDGE_SMTP_URL")
        return cls(parts.hostname, parts.port or SCHEMES[parts.scheme], parts.scheme,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None, timeout)

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        try:
            if self.mode == "smtps":
                server: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                server.ehlo()
                if self.mode == "smtp+starttls" or (self.mode == "smtp" and server.has_extn("starttls")):
                    server.starttls(context=context)
                    server.ehlo()
                if self.username:
                    server.login(self.username, self.password or "")
                server.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailNotSent(f"the mail to {message['To']} was not sent: {exc}; check NEWSBRIDGE_SMTP_URL",
                              field="NEWSBRIDGE_SMTP_URL") from None

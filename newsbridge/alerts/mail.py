"""Sending e-mail: the hub's one mail service. :func:`compose` writes every message the hub sends
(invitations, password resets, alert digests) as plain text and HTML (multipart/alternative), in the
reader's language, HTML-escaped, right-to-left for Persian; an SMTP sender configured by URL sends it,
and an in-memory one keeps it for development.

``NEWSBRIDGE_SMTP_URL`` names the server: ``smtp://host:25`` (plain, upgraded with STARTTLS
when the server offers it), ``smtp+starttls://host:587`` (STARTTLS required), ``smtps://host:465``
(TLS from the start); ``user:password@`` before the host signs in. Nothing configured: no mail.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol
from urllib.parse import unquote, urlsplit

from newsbridge.errors import InvalidInput, NewsbridgeError

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
RTL_LANGUAGES = {"fa", "ar", "he", "ur", "ps"}


@dataclass(frozen=True)
class Link:
    """A link in a message: in the text part its URL (after the label, if any), in the HTML part an anchor."""

    url: str
    label: str | None = None


Line = str | Link


def _text_line(line: Line) -> str:
    if isinstance(line, Link):
        return f"{line.label}: {line.url}" if line.label else line.url
    return line


def _html_line(line: Line) -> str:
    if isinstance(line, Link):
        label = html.escape(line.label or line.url)
        if not line.url.startswith(("https://", "http://")):
            return label  # nothing but web links becomes clickable
        return f'<a href="{html.escape(line.url, quote=True)}">{label}</a>'
    return html.escape(line)


def compose(*, sender: str, to: str, subject: str, locale: str, blocks: Sequence[Sequence[Line]]) -> EmailMessage:
    """A message of ``blocks`` (paragraphs of lines) as plain text and HTML alternatives.

    Everything given is text: the HTML part escapes it (a name like ``<b>`` arrives as written), and
    its direction follows the language (``dir="rtl"`` for Persian), so each client shows it right."""
    direction = "rtl" if locale.split("-")[0] in RTL_LANGUAGES else "ltr"
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, sender, to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="newsbridge")
    message["Content-Language"] = locale
    message.set_content("\n\n".join("\n".join(_text_line(line) for line in block) for block in blocks) + "\n")
    align = "right" if direction == "rtl" else "left"
    body = "\n".join(f"<p>{'<br>'.join(_html_line(line) for line in block)}</p>" for block in blocks)
    message.add_alternative(
        f'<!DOCTYPE html>\n<html lang="{html.escape(locale)}" dir="{direction}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>\n"
        f'<body dir="{direction}" style="font-family: sans-serif; line-height: 1.5; text-align: {align}">\n'
        f"{body}\n</body>\n</html>\n", subtype="html")
    return message


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


def mailer_for(smtp_url: str | None) -> Mailer | None:
    """The SMTP sender of NEWSBRIDGE_SMTP_URL; None when no mail server is configured (the caller shows
    the link itself instead)."""
    return SmtpMailer.from_url(smtp_url) if smtp_url else None

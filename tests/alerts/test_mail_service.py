"""The hub's one mail service (alerts/mail.py): every message it sends (invitation, password reset, alert
digest) leaves through the real SMTP server of NEWSBRIDGE_SMTP_URL as plain text and HTML alternatives, in
the reader's language, with what it quotes escaped, and right to left for Persian."""

from __future__ import annotations

from datetime import datetime, timezone
from email.message import EmailMessage

import pytest

from newsbridge.accounts.members import Member, Role
from newsbridge.accounts.organizations import Organization
from newsbridge.accounts.team import Invitation
from newsbridge.alerts.feed import Alert
from newsbridge.alerts.mail import Link, SmtpMailer, compose
from newsbridge.config import load_settings
from newsbridge.web.invitation_mail import invitation_mail
from newsbridge.web.views.alerts import digest_message
from newsbridge.web.views.password_reset import reset_mail
from tests.smtp_server import LocalSmtp

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)
HOSTILE = 'Alpha <script>alert("x")</script> & Co'


def _member(locale: str) -> Member:
    return Member("m1", "o1", f"{locale}@alpha.example", HOSTILE, Role.EDITOR, NOW, locale=locale)


def _organization() -> Organization:
    return Organization("o1", "alpha", HOSTILE, None, "KZ", ("kk",), "Asia/Almaty", "Alpha", NOW)


def _messages() -> list[tuple[str, EmailMessage]]:
    settings = load_settings(env={}, public_url="http://hub.test")
    alert = Alert("k1", "withdrawn", NOW, f"Withdrawn: {HOSTILE}", "/items/1", (("beta", "Beta"),))
    return [
        ("invitation", invitation_mail(settings, Invitation("i1", "o1", "new@alpha.example", "editor", NOW), HOSTILE,
                                       "http://hub.test/invite/nbi_abc", "fa")),
        ("reset", reset_mail(settings, _member("fa"), "http://hub.test/reset?token=nbr_abc&x=1")),
        ("digest", digest_message(settings, _member("fa"), _organization(), [alert])),
    ]


@pytest.mark.parametrize("kind", ["invitation", "reset", "digest"])
def test_every_message_arrives_as_text_and_escaped_rtl_html(kind: str) -> None:
    message = dict(_messages())[kind]
    with LocalSmtp() as smtp:
        SmtpMailer.from_url(smtp.url).send(message)
        [(_sender, recipients, got)] = smtp.inbox.messages
    assert recipients == [message["To"]] and got.get_content_type() == "multipart/alternative"
    text = got.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = got.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "http://hub.test/" in text and "<script>" not in html
    if HOSTILE in text:  # the reset quotes only the address; the others the organization's or member's name
        assert "Alpha &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
    assert kind == "reset" or HOSTILE in text
    assert '<html lang="fa" dir="rtl">' in html and 'href="http://hub.test/' in html
    assert any("\u0600" <= ch <= "\u06ff" for ch in text), "not in the reader's language (Persian)"


def test_a_left_to_right_language_and_only_web_links_are_clickable() -> None:
    made = compose(sender="hub@x.example", to="a@x.example", subject="Тест", locale="ru",
                   blocks=[["Привет"], [Link("javascript:alert(1)", "bad")], [Link("https://hub.test/a?b=1&c=2")]])
    html = made.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert 'dir="ltr"' in html and "javascript:" not in html
    assert 'href="https://hub.test/a?b=1&amp;c=2"' in html
    assert made.get_body(("plain",)).get_content().split("\n\n")[1] == "bad: javascript:alert(1)"  # type: ignore[union-attr]

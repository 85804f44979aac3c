"""E-mail digests through a real SMTP server (aiosmtpd on loopback), on both databases: the
member's new unread alerts, in their language, once."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from newsbridge.accounts.members import add_member
from newsbridge.alerts.mail import MailNotSent, SmtpMailer
from newsbridge.alerts.settings import save_settings
from newsbridge.cli import app
from newsbridge.db.engine import writing
from newsbridge.desk.pickups import record_pickup
from tests.conftest import active_agreement
from tests.smtp_server import Inbox, free_port as _free_port

pytestmark = pytest.mark.anyio
runner = CliRunner()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, str]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


def digest(engine, smtp_url: str, *args: str, ok: bool = True):  # type: ignore[no-untyped-def]
    url = engine.url.render_as_string(hide_password=False)
    env = {"NEWSBRIDGE_SMTP_URL": smtp_url, "NEWSBRIDGE_MAIL_FROM": "Desk <desk@hub.example>",
           "NEWSBRIDGE_PUBLIC_URL": "https://hub.example", "COLUMNS": "200"}
    result = runner.invoke(app, ["--database-url", url, "alerts", "digest", *args], env=env, catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_the_digest_arrives_in_the_members_language_with_the_url_to_take_down(
        client, make_partner, engine, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, url = smtp
    kazinform = make_partner("kazinform", name="Kazinform", scopes=("publish", "read", "manage"))
    irna = make_partner("irna", name="IRNA", timezone="Asia/Tehran", scopes=("publish", "read", "manage"))
    await active_agreement(client, kazinform, irna, {})
    published = await client.post("/api/v1/items", headers=kazinform.headers, json={
        "uri": "kz-1", "version": "1", "language": "en", "headlines": [{"value": "Budget approved"}]})
    item_id = published.json()["id"]
    with writing(engine) as conn:
        editor = add_member(conn, "irna", "sara@irna.example", "Sara", "editor", "correct horse battery", locale="fa")
        colleague = add_member(conn, "irna", "ivan@irna.example", "Иван", "editor", "correct horse battery",
                               locale="ru")
        quiet = add_member(conn, "irna", "quiet@irna.example", "Quiet", "editor", "correct horse battery")
        save_settings(conn, quiet, ["corrected"], [], [], digest=False)
        add_member(conn, "kazinform", "aigerim@kazinform.example", "Aigerim", "editor", "correct horse battery")
        record_pickup(conn, irna.org, editor, item_id, "https://irna.example/fa/news/42")
    assert "no member has new unread alerts" in digest(engine, url)
    assert inbox.messages == []
    await client.post("/api/v1/items", headers=kazinform.headers, json={
        "uri": "kz-1", "version": "2", "language": "en", "pubStatus": "canceled",
        "headlines": [{"value": "Budget approved"}]})

    assert "would send 1 alert(s) to sara@irna.example" in digest(engine, url, "--dry-run")
    assert inbox.messages == []
    output = digest(engine, url)
    assert "sent 1 alert(s) to ivan@irna.example" in output and "sent 1 alert(s) to sara@irna.example" in output
    by_recipient = {to[0]: (sender, message) for sender, to, message in inbox.messages}
    assert set(by_recipient) == {"ivan@irna.example", "sara@irna.example"}  # not Quiet, not Kazinform
    sender, persian = by_recipient["sara@irna.example"]
    assert sender == "desk@hub.example" and persian["From"] == "Desk <desk@hub.example>"
    assert persian["Subject"] == "Newsbridge: ۱ هشدار تازه"
    text = body(persian)
    assert "سلام Sara،" in text and "Newsbridge برای «IRNA» ۱ هشدار تازه دارد:" in text
    assert "لغو شد: بازنشر خود را بردارید: Budget approved" in text
    assert "https://irna.example/fa/news/42" in text
    assert f"https://hub.example/alerts/open?key=withdrawn%3A{item_id}%3A2" in text
    _, russian = by_recipient["ivan@irna.example"]
    assert russian["Subject"] == "Newsbridge: 1 новое оповещение"
    assert "Отозвано: снимите вашу перепечатку: Budget approved" in body(russian)

    assert "no member has new unread alerts" in digest(engine, url)  # nothing twice
    assert len(inbox.messages) == 2


def test_a_server_that_cannot_be_reached_is_a_clear_error() -> None:
    message = EmailMessage()
    message["To"] = "sara@irna.example"
    message.set_content("x")
    with pytest.raises(MailNotSent, match="was not sent"):
        SmtpMailer.from_url(f"smtp://127.0.0.1:{_free_port()}", timeout=2).send(message)


def test_without_an_smtp_url_the_command_says_what_to_set(engine) -> None:  # type: ignore[no-untyped-def]
    output = digest(engine, "", ok=False)
    assert "NEWSBRIDGE_SMTP_URL is not set" in output

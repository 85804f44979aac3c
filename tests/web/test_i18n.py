"""The desk speaks English and Russian fully; Kazakh and Persian catalogues exist and grow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsbridge.web.i18n import catalogue, direction, gettext_for, local_time

WEB = Path(__file__).resolve().parents[2] / "newsbridge" / "web"
MESSAGE = re.compile(r"""_\((["'])(.+?)\1\)""")


def messages() -> set[str]:
    found = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("views/*.py")]:
        found |= {m.group(2) for m in MESSAGE.finditer(path.read_text("utf-8"))}
    return found


def test_there_are_messages_to_translate() -> None:
    assert len(messages()) > 80


@pytest.mark.parametrize("message", sorted(messages()))
def test_every_message_has_a_russian_translation(message: str) -> None:
    assert catalogue("ru").get(message), f"add {message!r} to newsbridge/web/locale/ru/desk.po"


@pytest.mark.parametrize("locale", ["kk", "fa"])
def test_kazakh_and_persian_catalogues_cover_the_navigation(locale: str) -> None:
    translate = gettext_for(locale)
    for message in ("Incoming", "Outgoing", "Agreements", "Partners", "Sign in", "Sign out"):
        assert translate(message) != message


def test_unknown_messages_fall_back_to_english() -> None:
    assert gettext_for("ru")("A sentence nobody wrote") == "A sentence nobody wrote"
    assert gettext_for("en")("Incoming") == "Incoming"


@pytest.mark.parametrize("language, expected", [("fa", "rtl"), ("fa-IR", "rtl"), ("ar", "rtl"), ("kk", "ltr"),
                                                ("ru", "ltr"), (None, "ltr")])
def test_direction(language, expected) -> None:
    assert direction(language) == expected


def test_times_are_shown_in_the_members_zone_and_locale() -> None:
    from datetime import datetime, timezone

    moment = datetime(2018, 7, 12, 2, 38, tzinfo=timezone.utc)
    assert "07:08" in local_time(moment, "Asia/Tehran", "ru")
    assert "июл" in local_time(moment, "Asia/Tehran", "ru")

"""The desk's languages: message catalogues (gettext .po files read with Babel), dates and direction.

English is the source language. A locale's catalogue is every ``web/locale/<locale>/*.po`` file
(one file per part of the desk, so parts grow without touching each other's files); a missing
translation falls back to English.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.pofile import read_po

LOCALES = {"en": "English", "ru": "Русский", "kk": "Қазақша", "fa": "فارسی"}
RTL_LANGUAGES = {"fa", "ar", "he", "ur", "ps"}


@cache
def catalogue(locale: str) -> dict[str, str]:
    """msgid -> msgstr for a locale (empty for English or a locale without a catalogue)."""
    folder = resources.files("newsbridge.web").joinpath("locale", locale)
    if locale == "en" or not folder.is_dir():
        return {}
    messages: dict[str, str] = {}
    for path in sorted((p for p in folder.iterdir() if p.name.endswith(".po")), key=lambda p: p.name):
        with path.open("rb") as handle:
            parsed = read_po(handle, locale=locale)
        messages.update({m.id: m.string for m in parsed if m.id and isinstance(m.id, str) and m.string})
    return messages


def gettext_for(locale: str) -> Callable[[str], str]:
    messages = catalogue(locale)
    return lambda text: messages.get(text, text)


def direction(language: str | None) -> str:
    """``rtl`` for right-to-left languages (Persian), else ``ltr``."""
    return "rtl" if (language or "").split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def local_time(value: datetime | None, zone: str, locale: str, fmt: str = "medium") -> str:
    """A time in the member's zone and locale (``12 Jul 2018, 07:08``)."""
    if value is None:
        return ""
    return format_datetime(value, format=fmt, tzinfo=ZoneInfo(zone), locale=locale)

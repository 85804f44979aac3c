"""The desk's languages: message catalogues (gettext .po files read with Babel), numbers, dates and direction.

English is the source language. A locale's catalogue is every ``web/locale/<locale>/*.po`` file
(one file per part of the desk, so parts grow without touching each other's files); a missing
translation falls back to English.

Numbers and dates are the locale's own: Persian shows Persian digits and the Solar Hijri
calendar (the one Iranian newsrooms date their work in), Russian and Kazakh their CLDR
formats. Lists never show seconds, and a value that is only a date is shown as a date.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.lists import format_list
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LOCALES = {"en": "English", "ru": "Русский", "kk": "Қазақша", "fa": "فارسی"}
RTL_LANGUAGES = {"fa", "ar", "he", "ur", "ps"}
_PERSIAN_DIGITS = str.maketrans("0123456789%", "۰۱۲۳۴۵۶۷۸۹٪")
# Babel knows Persian month names only for the Gregorian calendar; these are the Solar Hijri ones.
_SOLAR_HIJRI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی",
                       "بهمن", "اسفند")


def N_(message: str) -> str:
    """Marks a message for the catalogues where it is defined (a table, a flash); it is translated where shown."""
    return message


@dataclass(frozen=True)
class _Catalogue:
    messages: dict[str, str] = field(default_factory=dict)
    plurals: dict[str, tuple[str, ...]] = field(default_factory=dict)  # singular msgid -> forms
    plural_index: Callable[[int], int] = lambda n: int(n != 1)


@cache
def _load(locale: str) -> _Catalogue:
    folder = resources.files("newsbridge.web").joinpath("locale", locale)
    if locale == "en" or not folder.is_dir():
        return _Catalogue()
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    expression = None
    for path in sorted((p for p in folder.iterdir() if p.name.endswith(".po")), key=lambda p: p.name):
        with path.open("rb") as handle:
            parsed = read_po(handle, locale=locale)
        expression = expression or parsed.plural_expr
        for m in parsed:
            if isinstance(m.id, str) and m.id and m.string:
                messages[m.id] = m.string
            elif isinstance(m.id, tuple) and all(m.string):
                plurals[m.id[0]] = tuple(m.string)
    index = _gettext.c2py(expression) if expression else (lambda n: int(n != 1))
    return _Catalogue(messages, plurals, index)


def catalogue(locale: str) -> dict[str, str]:
    """msgid -> msgstr for a locale (empty for English or a locale without a catalogue)."""
    return _load(locale).messages


def plural_catalogue(locale: str) -> dict[str, tuple[str, ...]]:
    """singular msgid -> the translated forms, for messages with a plural."""
    return _load(locale).plurals


def _fill(text: str, values: dict[str, Any]) -> str:
    return text % values if values else text


def gettext_for(locale: str) -> Callable[..., str]:
    """``_("Changes from version %(older)s to %(newer)s", older=..., newer=...)``: translated, then filled."""
    messages = catalogue(locale)
    return lambda text, **values: _fill(messages.get(text, text), values)


def ngettext_for(locale: str) -> Callable[..., str]:
    """``ngettext("%(num)s item", "%(num)s items", n)``: the locale's plural form, ``num`` in its digits."""
    loaded = _load(locale)

    def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
        forms = loaded.plurals.get(singular)
        if forms:
            text = forms[min(loaded.plural_index(n), len(forms) - 1)]
        else:
            text = singular if n == 1 else plural
        return _fill(text, {"num": number(n, locale), **values})

    return ngettext


def _digits(text: str, locale: str) -> str:
    return text.translate(_PERSIAN_DIGITS) if locale == "fa" else text


def number(value: int | float, locale: str) -> str:
    """A number as the locale writes it (``1 403`` in Russian, ``۱٬۴۰۳`` in Persian)."""
    return _digits(format_decimal(value, locale=locale, numbering_system="default"), locale)


def percent(value: int | float, locale: str) -> str:
    """A whole percentage (``value`` from 0 to 100) as the locale writes it (``40 %``, ``۴۰٪``)."""
    return _digits(format_percent(value / 100, locale=locale, numbering_system="default"), locale)


@lru_cache(maxsize=1024)
def language_name(code: str | None, locale: str) -> str:
    """A language's name in the member's language (``fa`` → "Persian", "персидский", "فارсی")."""
    if not code:
        return ""
    primary = code.split("-")[0].lower()
    return Locale.parse(locale).languages.get(primary, code)


def words(items: Iterable[str], locale: str, style: str = "standard") -> str:
    """A list in the locale's words: "A, B and C", "A, B и C", "A، B و C".

    When an item holds a comma itself ("economy, business and finance"), items are set apart by
    semicolons instead, so nobody reads one topic as three.
    """
    found = list(items)
    if any("," in item or "،" in item for item in found):
        return ("؛ " if locale == "fa" else "; ").join(found)
    return format_list(found, style=style, locale=locale)


def separator(locale: str) -> str:
    """The mark set between the parts of a line ("3 items · 3 languages"): a middle dot, but a
    vertical bar in Persian, where "·" beside Persian digits reads as the digit zero ("۰")."""
    return "|" if locale == "fa" else "·"


def direction(language: str | None) -> str:
    """``rtl`` for right-to-left languages (Persian), else ``ltr``."""
    return "rtl" if (language or "").split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def _solar_hijri_date(day: date) -> str:
    found = jdatetime.date.fromgregorian(date=day)
    return f"{found.day} {_SOLAR_HIJRI_MONTHS[found.month - 1]} {found.year}"


# A page of 100 rows shows a few days and minutes, each formatted once (Babel reads the locale's
# patterns on every call: 12 µs a row, a third of rendering the desk's list).
@lru_cache(maxsize=4096)
def _date(day: date, locale: str) -> str:
    return _solar_hijri_date(day) if locale == "fa" else format_date(day, format="medium", locale=locale)


@lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, locale: str) -> str:
    """A time of day in the locale's short form (no seconds, no zone: the moment is already local)."""
    return format_time(time(hour, minute), format="short", locale=locale)


@cache
def _date_time_pattern(locale: str) -> str:
    return get_datetime_format("medium", locale=locale).replace("'", "")


def local_time(value: datetime | date | None, zone: str, locale: str, fmt: str = "datetime") -> str:
    """A moment in the member's zone, locale and calendar, without seconds (``12 июл. 2018 г., 07:08``).

    ``fmt="date"`` shows the day alone; a ``date`` (an item that carries only a day) is always
    shown as a day, never as midnight in some zone. Persian: Solar Hijri calendar, Persian digits.
    """
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return _digits(_date(value, locale), locale)
    moment = value.astimezone(ZoneInfo(zone))
    if fmt == "date":
        return _digits(_date(moment.date(), locale), locale)
    text = _date_time_pattern(locale).replace("{1}", _date(moment.date(), locale)).replace(
        "{0}", _clock(moment.hour, moment.minute, locale))
    return _digits(text, locale)

"""The desk speaks English, Russian, Kazakh and Persian fully: every message, plural, number and date.

The messages are extracted the way gettext tools do (Babel's Python extractor over the views and
every module of the desk, Jinja's over the templates): ``_()``, ``gettext()``, ``ngettext()`` and
``N_()`` (a message defined in a table and translated where shown). Each must be in the merged
catalogue of every locale, whichever part's ``.po`` file holds it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from babel.messages.extract import extract
from jinja2.ext import babel_extract

from newsbridge.exchange.lifecycle import Action, Status
from newsbridge.exchange.roadmap import CommitmentStatus
from newsbridge.web.i18n import (catalogue, direction, gettext_for, local_time, ngettext_for, number, percent,
                                 plural_catalogue)
from newsbridge.web.wording import STATUS_WORDS, status_word

WEB = Path(__file__).resolve().parents[2] / "newsbridge" / "web"
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
TRANSLATED = ("ru", "kk", "fa")
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w*)\}")


def _template_messages(path: Path) -> list[str | tuple[str, str] | None]:
    """Jinja gives every argument (None when not a literal); keep the message's own, as Babel does for Python."""
    with path.open("rb") as handle:
        found = babel_extract(handle, KEYWORDS, [], {"trim_blocks": "true", "lstrip_blocks": "true"})
        return [(tuple(m[:2]) if function == "ngettext" else m[0]) if isinstance(m, tuple) else m
                for _, function, m, _ in found]


def _python_messages(path: Path) -> list[str | tuple[str, str]]:
    with path.open("rb") as handle:
        return [message for _, message, _, _ in extract("python", handle, KEYWORDS)]


def messages() -> dict[str | tuple[str, str], str]:
    """Every message of the desk -> the file it is in (a plural is a (singular, plural) pair)."""
    found: dict[str | tuple[str, str], str] = {}
    for path in sorted(WEB.rglob("*.html")):
        found.update({m: path.name for m in _template_messages(path)})
    for path in sorted(WEB.rglob("*.py")):
        found.update({m: path.name for m in _python_messages(path)})
    # the extractors yield None for a call with a non-literal argument (``_(label)``): those
    # values are marked with N_ where they are defined, and found there
    return {m: where for m, where in found.items()
            if m and (isinstance(m, str) or all(isinstance(part, str) for part in m))}


MESSAGES = messages()
SINGULAR = sorted(m for m in MESSAGES if isinstance(m, str))
PLURAL = sorted(m for m in MESSAGES if isinstance(m, tuple))


def test_the_extraction_finds_the_desk_messages() -> None:
    # one from a template, one from a view's table (N_), one plural, one from the wording module
    assert {"Incoming", "Ended for good.", "Received under the agreement “%(agreement)s”."} <= set(SINGULAR)
    assert ("%(num)s overdue", "%(num)s overdue") in PLURAL
    assert len(SINGULAR) > 250


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated(locale: str) -> None:
    known = catalogue(locale)
    missing = [f"{m!r} ({MESSAGES[m]})" for m in SINGULAR if not known.get(m)]
    assert not missing, f"add to newsbridge/web/locale/{locale}/*.po:\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_plural_message_is_translated_in_every_form(locale: str) -> None:
    known = plural_catalogue(locale)
    missing = [f"{m[0]!r} ({MESSAGES[m]})" for m in PLURAL if m[0] not in known]
    assert not missing, f"add msgid_plural entries to newsbridge/web/locale/{locale}/*.po:\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_their_placeholders(locale: str) -> None:
    """A translation that loses or renames %(agreement)s would show the wrong words or fail to render."""
    known, plurals = catalogue(locale), plural_catalogue(locale)
    wrong = [m for m in SINGULAR if m in known and sorted(PLACEHOLDER.findall(m)) != sorted(PLACEHOLDER.findall(known[m]))]
    wrong += [m[0] for m in PLURAL if m[0] in plurals and any(
        set(PLACEHOLDER.findall(form)) - set(PLACEHOLDER.findall(m[1])) for form in plurals[m[0]])]
    assert not wrong


@pytest.mark.parametrize("locale", TRANSLATED)
def test_persian_uses_persian_letters(locale: str) -> None:
    if locale != "fa":
        pytest.skip("Persian only")
    arabic_yeh_kaf = [s for s in catalogue("fa").values() if re.search("[\u064a\u0643]", s)]
    assert not arabic_yeh_kaf


@pytest.mark.parametrize("value", [*Status, *Action, "create", *CommitmentStatus, "usable", "withheld", "canceled",
                                   "available", "retrying", "dead", "delivered"])
def test_every_status_has_words(value) -> None:
    assert str(getattr(value, "value", value)) in STATUS_WORDS
    assert status_word(value, "fa") != str(getattr(value, "value", value))


def test_unknown_messages_fall_back_to_english() -> None:
    assert gettext_for("ru")("A sentence nobody wrote") == "A sentence nobody wrote"
    assert gettext_for("en")("Incoming") == "Incoming"
    assert gettext_for("kk")("Changes from version %(older)s to %(newer)s", older="1", newer="2") \
        == "1-нұсқадан 2-нұсқаға дейінгі өзгерістер"


@pytest.mark.parametrize("locale, n, expected", [
    ("en", 1, "1 item read from a.txt."), ("en", 2, "2 items read from a.txt."),
    ("ru", 1, "Прочитан 1 материал из a.txt."), ("ru", 3, "Прочитано 3 материала из a.txt."),
    ("ru", 5, "Прочитано 5 материалов из a.txt."), ("ru", 21, "Прочитан 21 материал из a.txt."),
    ("kk", 1, "a.txt файлынан 1 материал оқылды."), ("kk", 5, "a.txt файлынан 5 материал оқылды."),
    ("fa", 1, "۱ مطلب از a.txt خوانده شد."), ("fa", 12, "۱۲ مطلب از a.txt خوانده شد."),
])
def test_plurals_in_every_language(locale: str, n: int, expected: str) -> None:
    assert ngettext_for(locale)("%(num)s item read from %(file)s.", "%(num)s items read from %(file)s.", n,
                                file="a.txt") == expected


@pytest.mark.parametrize("locale, expected_number, expected_percent", [
    ("en", "1,403", "40%"), ("ru", "1\xa0403", "40\xa0%"), ("kk", "1\xa0403", "40%"), ("fa", "۱٬۴۰۳", "۴۰٪")])
def test_numbers_in_the_locales_digits(locale: str, expected_number: str, expected_percent: str) -> None:
    assert number(1403, locale) == expected_number
    assert percent(40, locale) == expected_percent


@pytest.mark.parametrize("language, expected", [("fa", "rtl"), ("fa-IR", "rtl"), ("ar", "rtl"), ("kk", "ltr"),
                                                ("ru", "ltr"), (None, "ltr")])
def test_direction(language, expected) -> None:
    assert direction(language) == expected


def plain(text: str) -> str:
    """CLDR puts (narrow) no-break spaces where a line must not break; compare them as spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


MOMENT = datetime(2018, 7, 12, 2, 38, 45, tzinfo=timezone.utc)


@pytest.mark.parametrize("locale, expected", [
    ("en", "Jul 12, 2018, 7:08 AM"), ("ru", "12 июл. 2018 г., 07:08"), ("kk", "2018 ж. 12 шіл., 07:08"),
    # 12 July 2018 is 21 Tir 1397 in the Solar Hijri calendar
    ("fa", "۲۱ تیر ۱۳۹۷،\u200f ۷:۰۸")])
def test_times_in_the_members_zone_locale_and_calendar_without_seconds(locale: str, expected: str) -> None:
    assert plain(local_time(MOMENT, "Asia/Tehran", locale)) == expected


@pytest.mark.parametrize("day, expected", [(date(2024, 3, 20), "۱ فروردین ۱۴۰۳"), (date(2025, 3, 20), "۳۰ اسفند ۱۴۰۳"),
                                           (date(2026, 1, 1), "۱۱ دی ۱۴۰۴")])
def test_solar_hijri_dates_with_persian_digits(day: date, expected: str) -> None:
    assert local_time(day, "Asia/Tehran", "fa") == expected


@pytest.mark.parametrize("locale, expected", [("en", "Mar 20, 2024"), ("ru", "20 мар. 2024 г."),
                                              ("kk", "2024 ж. 20 нау."), ("fa", "۱ فروردین ۱۴۰۳")])
def test_an_item_with_only_a_date_shows_the_date_alone(locale: str, expected: str) -> None:
    # far east of UTC, a midnight would become the day before or a "3:30 AM"
    assert plain(local_time(date(2024, 3, 20), "Pacific/Kiritimati", locale)) == expected


@pytest.mark.parametrize("locale", ["en", "ru", "kk", "fa"])
def test_a_time_formatted_once_reads_as_babel_writes_it_in_every_zone(locale: str) -> None:
    """Days and minutes are formatted once and kept (a page of 100 rows shows a few of each): what is
    kept must not lose the zone, the day or the minute, so every moment reads as Babel writes it."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from babel.dates import format_date, format_time, get_datetime_format

    start = datetime(2023, 3, 25, 20, 17, 41, tzinfo=timezone.utc)  # across Europe's and Iran's clock changes
    for zone in ("UTC", "Asia/Almaty", "Asia/Tehran", "Europe/Moscow", "America/New_York"):
        for step in range(0, 400 * 24 * 60, 997):  # every few hours for over a year, odd minutes and seconds
            moment = start + timedelta(minutes=step, seconds=step % 59)
            local = moment.astimezone(ZoneInfo(zone))
            day = format_date(local.date(), format="medium", locale=locale)
            expected = get_datetime_format("medium", locale=locale).replace("'", "").replace(
                "{1}", day).replace("{0}", format_time(local, format="short", locale=locale))
            shown = local_time(moment, zone, locale)
            if locale == "fa":  # the Solar Hijri day and Persian digits: the clock part is Babel's
                assert shown.endswith(expected.rsplit(" ", 1)[-1].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
            else:
                assert shown == expected, (moment, zone)

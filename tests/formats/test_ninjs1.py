"""ninjs 1.x: recognition, validation against the IPTC 1.6 schema, and reading into ninjs 3.x shapes."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from newsbridge.formats.errors import FormatError
from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import decode_json, schema_document, to_ninjs3, validate
from newsbridge.formats.ninjs1 import (
    FORMAT_NAME,
    ONLY_1X_KEYS,
    Ninjs1Error,
    is_ninjs1,
    parse_ninjs1,
    schema,
    validate_ninjs1,
)
from tests.conftest import FIXTURES

ALMATY = timezone(timedelta(hours=5))
MOSCOW = timezone(timedelta(hours=3))
TEHRAN = timezone(timedelta(hours=3, minutes=30))
MEDTOP = "http://cv.iptc.org/newscodes/mediatopic/"
EXAMPLES = sorted((FIXTURES / "ninjs" / "examples").glob("*.json"))

KAZINFORM_TEXT: dict[str, Any] = {
    "$standard": {"name": "ninjs", "version": "1.6", "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_1.6.json"},
    "uri": "https://www.inform.kz/kz/article/4051234",
    "type": "text",
    "mimetype": "text/html",
    "representationtype": "complete",
    "profile": "text-photo",
    "version": "2",
    "firstcreated": "2023-04-26T09:12:00+05:00",
    "versioncreated": "2023-04-26T10:05:00+05:00",
    "embargoed": "2023-04-26T12:00:00+05:00",
    "pubstatus": "usable",
    "urgency": 3,
    "language": "kk",
    "headline": "Астанада Қазақстан мен Иран медиа ынтымақтастығын талқылады",
    "headline_short": "Қазақстан–Иран медиа кездесуі",
    "slugline": "kz-iran-media",
    "byline": "Айгерім Сапарова",
    "located": "Астана",
    "description_text": "Президенттің Телерадиокешені ирандық медиа компаниялармен ынтымақтастықты дамытады.",
    "body_text": "АСТАНА. ҚАЗАҚПАРАТ – Кездесу барысында тараптар бірлескен жобаларды талқылады.\n\n"
                 "Келесі кездесу Тегеранда өтеді.",
    "body_html": "<p>АСТАНА. ҚАЗАҚПАРАТ – Кездесу барысында тараптар бірлескен жобаларды талқылады.</p>"
                 "<p>Келесі кездесу Тегеранда өтеді.</p>",
    "charcount": 112,
    "wordcount": 14,
    "copyrightholder": "ҚАЗАҚПАРАТ",
    "copyrightnotice": "© 2023 ҚАЗАҚПАРАТ ХАА",
    "usageterms": "Серіктестер үшін ғана",
    "ednote": "Фотосурет кейінірек жаңартылады",
    "subject": [
        {"name": "бұқаралық ақпарат құралдары", "scheme": "http://cv.iptc.org/newscodes/mediatopic/",
         "code": "20000045", "rel": "about", "relevance": 90},
        {"name": "халықаралық қатынастар", "code": "medtop:11000000"},
        {"name": "Иран", "code": "iran"},
    ],
    "genre": [{"name": "Current", "scheme": "http://cv.iptc.org/newscodes/genre/", "code": "Current"}],
    "person": [{"name": "Ерлан Қарин", "rel": "mentioned", "contactinfo": [
        {"type": "office", "address": {"lines": ["Мәңгілік Ел даңғылы, 6"], "locality": "Астана",
                                       "postalcode": "010000", "country": "Қазақстан"}}]}],
    "organisation": [{"name": "Kazakhtelecom", "symbols": [
        {"ticker": "KZTK", "exchange": "KASE",
         "symboltype": "http://cv.iptc.org/newscodes/financialinstrumentsymboltype/ticker"}]}],
    "place": [{"name": "Астана", "scheme": "http://sws.geonames.org", "code": "1526273",
               "geometry_geojson": {"type": "Point", "coordinates": [71.45, 51.17]}}],
    "infosource": [{"name": "ҚАЗАҚПАРАТ", "rel": "originator", "code": "kazinform"}],
    "altids": {"kazinform": "4051234", "legacy": 4051234},
    "trustindicator": [{"scheme": "http://cv.iptc.org/newscodes/trustindicator/", "code": "ethics",
                        "title": "Редакциялық этика", "href": "https://www.inform.kz/ethics"}],
    "rightsinfo": {"linkedrights": "https://www.inform.kz/terms"},
    "renditions": {
        "original": {"href": "https://www.inform.kz/kz/article/4051234.html", "mimetype": "text/html",
                     "title": "Веб-нұсқа"},
    },
    "associations": {
        "featureimage": {
            "uri": "https://www.inform.kz/photo/778899",
            "type": "picture",
            "headline": "Астанадағы кездесу",
            "byline": "Данияр Есенов",
            "versioncreated": "2023-04-26T09:40:00+05:00",
            "renditions": {
                "thumbnail": {"href": "https://www.inform.kz/photo/778899_thumb.jpg", "mimetype": "image/jpeg",
                              "width": 160, "height": 90.0},
                "highres": {"href": "https://www.inform.kz/photo/778899.jpg", "mimetype": "image/jpeg",
                            "width": 3000, "height": 1688, "sizeinbytes": 2450000},
            },
        },
    },
}

TASS_PHOTO: dict[str, Any] = {
    "uri": "urn:tass:photo:2023-04-26:17500001",
    "type": "picture",
    "versioncreated": "2023-04-26T09:45:00+03:00",
    "firstcreated": "2023-04-26",
    "language": "ru",
    "headline": "Открытие моста через Иртыш",
    "description_html": "<p>Первые автомобили на новом мосту в <b>Павлодаре</b>.</p>",
    "byline": "Анна Иванова / ТАСС",
    "copyrightholder": "ТАСС",
    "genre": [{"name": "фото"}],
    "renditions": {
        "preview": {"href": "https://photo.tass.example/17500001_preview.jpg", "mimetype": "image/jpeg",
                    "width": 640, "height": 426.6},
        "original": {"href": "https://photo.tass.example/17500001.jpg", "mimetype": "image/jpeg",
                     "width": 6000, "height": 4000, "sizeinbytes": 9800000, "format": "JPEG Baseline"},
    },
}

PARSTODAY_1_0: dict[str, Any] = {  # a 1.0-era document: no $standard, texts by suffix
    "uri": "https://parstoday.ir/fa/news/iran-i190001",
    "versioncreated": "2018-07-12T07:08:00+04:30",
    "language": "fa",
    "pubstatus": "withheld",
    "headline": "همکاری رسانه‌ای ایران و قزاقستان گسترش می‌یابد",
    "body_text": "معاون وزیر فرهنگ از گسترش همکاری‌های رسانه‌ای خبر داد.",
    "body_xhtml": "<p xmlns=\"http://www.w3.org/1999/xhtml\" dir=\"rtl\">معاون وزیر فرهنگ از گسترش "
                  "همکاری‌های رسانه‌ای خبر داد.</p>",
    "body_teaser": "همکاری رسانه‌ای گسترش می‌یابد",
    "description_text": "دیدار معاون وزیر فرهنگ با هیئت قزاقستانی",
    "description_html": "<p>دیدار معاون وزیر فرهنگ با <b>هیئت قزاقستانی</b></p>",
    "subject": [{"name": "رسانه", "code": "medtop:20000045"}],
    "urgency": 5.0,
}

DOCS = {"kazinform": KAZINFORM_TEXT, "tass-photo": TASS_PHOTO, "parstoday": PARSTODAY_1_0}
# where a test document bends the standard on purpose, as agencies do (the reader accepts it with a warning)
BENT = {"tass-photo": ["'2023-04-26' is not a 'date-time'"]}


@pytest.mark.parametrize("name", DOCS)
def test_documents_are_valid_ninjs_1_6(name: str) -> None:
    # The test documents themselves, against the reference implementation with format checks on
    # (rfc3339-validator installed: without it jsonschema checks no date-time at all).
    errors = list(jsonschema.Draft7Validator(schema(), format_checker=jsonschema.FormatChecker()).iter_errors(
        DOCS[name]))

    assert [e.message for e in errors] == BENT.get(name, [])
    validate_ninjs1(DOCS[name])


def test_shipped_schema_is_the_iptc_1_6_schema() -> None:
    assert schema() == json.loads((FIXTURES / "ninjs" / "ninjs-schema_1.6.json").read_text("utf-8"))
    assert schema()["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "1.6" in schema()["$id"]


def test_only_1x_keys_are_exactly_what_the_schemas_say() -> None:
    later = {k.lower() for major in (2, 3) for k in schema_document(major)["$defs"]["ninjsType"]["properties"]}

    assert ONLY_1X_KEYS == set(schema()["properties"]) - later


@pytest.mark.parametrize("doc", [
    KAZINFORM_TEXT, TASS_PHOTO, PARSTODAY_1_0,
    {"uri": "urn:a", "$standard": {"name": "ninjs", "version": "1.0"}},
    {"uri": "urn:a", "headline": "Only a headline"},
    {"uri": "urn:a", "byline": "Someone"},
    {"uri": "urn:a", "body_richtext": "x"},
    {"uri": "urn:a", "renditions": {"web": {"href": "https://e.example/1"}}},
    {"uri": "urn:a", "associations": {}},
], ids=["kazinform", "tass", "parstoday", "standard", "headline", "byline", "body-suffix", "keyed-renditions",
        "keyed-associations"])
def test_is_ninjs1(doc: dict[str, Any]) -> None:
    assert is_ninjs1(doc)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_no_iptc_2x_or_3x_example_looks_like_1x(path: Path) -> None:
    assert not is_ninjs1(decode_json(path.read_bytes()))


@pytest.mark.parametrize("doc", [
    {"uri": "urn:a", "versioncreated": "2023-04-26T09:00:00Z"},  # reads alike in every version: not 1.x
    {"uri": "urn:a", "headlines": [{"value": "x"}]},
    {"uri": "urn:a", "renditions": [{"name": "web", "href": "https://e.example/1"}]},
    [{"uri": "urn:a", "headline": "in an array"}],
])
def test_is_not_ninjs1(doc: Any) -> None:
    assert not is_ninjs1(doc)


def test_kazinform_text_fields() -> None:
    item = parse_ninjs1(copy.deepcopy(KAZINFORM_TEXT))

    assert item.uri == "https://www.inform.kz/kz/article/4051234"
    assert (item.type, item.version, item.pubstatus, item.urgency, item.language) == ("text", "2", "usable", 3, "kk")
    assert item.firstcreated == datetime(2023, 4, 26, 9, 12, tzinfo=ALMATY)
    assert item.versioncreated == datetime(2023, 4, 26, 10, 5, tzinfo=ALMATY)
    assert item.embargoed == datetime(2023, 4, 26, 12, 0, tzinfo=ALMATY)
    assert item.headline == KAZINFORM_TEXT["headline"]
    assert item.body_text == KAZINFORM_TEXT["body_text"]
    assert item.body_html == KAZINFORM_TEXT["body_html"]
    assert item.description == KAZINFORM_TEXT["description_text"]
    assert (item.byline, item.located) == ("Айгерім Сапарова", "Астана")
    assert (item.copyrightholder, item.copyrightnotice, item.usageterms) == (
        "ҚАЗАҚПАРАТ", "© 2023 ҚАЗАҚПАРАТ ХАА", "Серіктестер үшін ғана")
    assert item.subjects == [
        {"name": "бұқаралық ақпарат құралдары", "rel": "about", "relevance": 90, "uri": MEDTOP + "20000045"},
        {"name": "халықаралық қатынастар", "uri": MEDTOP + "11000000"},
        {"name": "Иран", "literal": "iran"},
    ]
    assert item.genres == [{"name": "Current", "uri": "http://cv.iptc.org/newscodes/genre/Current"}]
    assert item.renditions == [{"name": "original", "href": "https://www.inform.kz/kz/article/4051234.html",
                                "contentType": "text/html", "title": "Веб-нұсқа"}]


def test_kazinform_associations_become_a_named_array_of_3x_items() -> None:
    [image] = parse_ninjs1(copy.deepcopy(KAZINFORM_TEXT)).associations

    assert image["name"] == "featureimage"
    assert image["uri"] == "https://www.inform.kz/photo/778899"
    assert image["type"] == "picture"
    assert image["headlines"] == [{"role": "main", "value": "Астанадағы кездесу"}]
    assert image["by"] == "Данияр Есенов"
    assert image["versionCreated"] == "2023-04-26T09:40:00+05:00"
    assert image["renditions"] == [
        {"name": "thumbnail", "href": "https://www.inform.kz/photo/778899_thumb.jpg", "contentType": "image/jpeg",
         "width": 160, "height": 90},
        {"name": "highres", "href": "https://www.inform.kz/photo/778899.jpg", "contentType": "image/jpeg",
         "width": 3000, "height": 1688, "sizeInBytes": 2450000},
    ]
    assert isinstance(image["renditions"][0]["height"], int)  # 90.0 in 1.x, an integer in 3.x


def test_kazinform_everything_else_lands_in_3x_keys() -> None:
    extra = parse_ninjs1(copy.deepcopy(KAZINFORM_TEXT)).extra

    assert extra == {
        "headlines": [{"role": "short", "value": "Қазақстан–Иран медиа кездесуі"}],
        "edNote": "Фотосурет кейінірек жаңартылады",
        "profile": "text-photo",
        "slugline": "kz-iran-media",
        "rightsInfo": {"linkedRights": "https://www.inform.kz/terms"},
        "people": [{"name": "Ерлан Қарин", "rel": "mentioned", "contactInfo": [
            {"type": "office", "address": {"lines": ["Мәңгілік Ел даңғылы, 6"], "locality": "Астана",
                                           "postalCode": "010000", "country": "Қазақстан"}}]}],
        "organisations": [{"name": "Kazakhtelecom", "symbols": [
            {"exchange": "KASE", "symbolType": "http://cv.iptc.org/newscodes/financialinstrumentsymboltype/ticker",
             "symbol": "KZTK"}]}],
        "places": [{"name": "Астана", "uri": "http://sws.geonames.org/1526273"}],
        "infoSources": [{"name": "ҚАЗАҚПАРАТ", "role": "originator", "literal": "kazinform"}],
        "representationType": "full",
        "altIds": [{"role": "kazinform", "value": "4051234"}, {"role": "legacy", "value": "4051234"}],
        "trustIndicators": [{"role": "http://cv.iptc.org/newscodes/trustindicator/ethics",
                             "title": "Редакциялық этика", "href": "https://www.inform.kz/ethics"}],
    }


def test_tass_photo_fields() -> None:
    item = parse_ninjs1(copy.deepcopy(TASS_PHOTO))

    assert item.type == "picture"
    assert item.version is None
    assert item.firstcreated == date(2023, 4, 26)  # a day stays a day
    assert item.versioncreated == datetime(2023, 4, 26, 9, 45, tzinfo=MOSCOW)
    assert item.pubstatus == "usable"
    assert item.headline == "Открытие моста через Иртыш"
    assert item.description == "<p>Первые автомобили на новом мосту в <b>Павлодаре</b>.</p>"
    assert item.body_text is None and item.body_html is None
    assert item.byline == "Анна Иванова / ТАСС"
    assert item.genres == [{"name": "фото"}]
    assert item.subjects == []
    assert item.renditions == [
        {"name": "preview", "href": "https://photo.tass.example/17500001_preview.jpg", "contentType": "image/jpeg",
         "width": 640, "height": 427},
        {"name": "original", "href": "https://photo.tass.example/17500001.jpg", "contentType": "image/jpeg",
         "width": 6000, "height": 4000, "sizeInBytes": 9800000, "format": "JPEG Baseline"},
    ]
    assert item.extra == {}


def test_parstoday_texts_by_suffix() -> None:
    item = parse_ninjs1(copy.deepcopy(PARSTODAY_1_0))

    assert item.versioncreated == datetime(2018, 7, 12, 7, 8, tzinfo=timezone(timedelta(hours=4, minutes=30)))
    assert (item.language, item.pubstatus, item.urgency) == ("fa", "withheld", 5)
    assert isinstance(item.urgency, int)
    assert item.headline == "همکاری رسانه‌ای ایران و قزاقستان گسترش می‌یابد"
    assert item.body_text == "معاون وزیر فرهنگ از گسترش همکاری‌های رسانه‌ای خبر داد."
    assert item.body_html is None
    assert item.description == "دیدار معاون وزیر فرهنگ با هیئت قزاقستانی"
    assert item.subjects == [{"name": "رسانه", "uri": MEDTOP + "20000045"}]
    assert item.extra == {
        "bodies": [
            {"role": "main", "contentType": "application/xhtml+xml", "value": PARSTODAY_1_0["body_xhtml"]},
            {"role": "teaser", "value": "همکاری رسانه‌ای گسترش می‌یابد"},
        ],
        "descriptions": [{"role": "main", "contentType": "text/html", "value": PARSTODAY_1_0["description_html"]}],
    }


@pytest.mark.parametrize("name", DOCS)
def test_read_items_are_valid_ninjs3(name: str) -> None:
    doc3 = to_ninjs3(parse_ninjs1(copy.deepcopy(DOCS[name])))

    assert validate(doc3) == 3
    assert doc3["uri"] == DOCS[name]["uri"]


def test_parse_leaves_the_document_alone() -> None:
    doc = copy.deepcopy(KAZINFORM_TEXT)

    parse_ninjs1(doc)

    assert doc == KAZINFORM_TEXT


def with_(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(TASS_PHOTO)
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(KAZINFORM_TEXT)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


@pytest.mark.parametrize("doc, field, hint", [
    (with_(headline=["Открытие"]), "$.headline", "is not of type 'string'"),
    (with_(pubstatus="killed"), "$.pubstatus", "is not one of"),
    (with_(renditions=[{"href": "https://e.example/1"}]), "$.renditions", "is not of type 'object'"),
    (nested(("subject", 0, "relevance"), 150), "$.subject[0].relevance", "is greater than the maximum of 100"),
    (nested(("renditions", "original", "width"), "wide"), "$.renditions.original.width", "is not of type 'number'"),
], ids=["headline-array", "bad-pubstatus", "renditions-array", "relevance", "rendition-width"])
def test_schema_errors_name_the_path(doc: dict[str, Any], field: str, hint: str) -> None:
    with pytest.raises(Ninjs1Error) as caught:
        parse_ninjs1(doc)

    error = caught.value
    assert isinstance(error, FormatError)
    assert (error.kind, error.field, error.format) == ("schema", field, FORMAT_NAME)
    assert error.message.startswith(f"not valid ninjs 1.x at {field}: ")
    assert hint in error.message


@pytest.mark.parametrize("doc, warnings, note", [
    (with_(uri=None), [("uri_derived", "$.uri")], None),
    (with_(type="article"), [("code_unknown", "$.type")], None),
    (with_(keywords=["мост"]), [], "keywords"),
    (with_(headlines=[{"value": "3.x style"}]), [], "headlines"),
    (with_(versionCreated="2023-04-26T09:45:00+03:00"), [], "versionCreated"),
    (nested(("associations", "featureimage", "uri"), None), [("uri_derived", "$.associations.featureimage.uri")],
     None),
    (nested(("renditions", "original", "url"), "https://e.example/1"), [], "renditions.original.url"),
    (nested(("renditions", "original", "width"), "1200"), [("value_coerced", "$.renditions.original.width")], None),
], ids=["missing-uri", "bad-type", "unknown-key", "3x-headlines", "3x-camel-case", "association-without-uri",
        "rendition-unknown-key", "rendition-width-string"])
def test_what_1x_has_no_place_for_is_named_not_refused(doc: dict[str, Any], warnings: list[tuple[str, str]],
                                                       note: str | None) -> None:
    item = parse_ninjs1(doc)

    assert [(w.code, w.field) for w in item.warnings] == warnings
    if note:
        assert item.extra["edNote"].endswith(f"ninjs 1.x fields over to ninjs 3.x: {note}.")
        assert item.extra["representationType"] == "partial"
    assert validate(to_ninjs3(item)) == 3


def test_superdesk_1x_output_is_read() -> None:
    # Superdesk writes guid, source, authors, priority, service, firstpublished, extra... beside 1.x
    item = parse_ninjs1({"guid": "tag:sd:1", "source": "AAP", "priority": 6, "headline": "H", "readtime": 3,
                         "authors": [{"name": "Josh Pitt", "role": "editor", "code": "61919"}],
                         "firstpublished": "2022-06-26T23:54:25+0000", "extra": {"doi": "10.54377/1"},
                         "annotations": [], "service": [{"code": "i", "name": "International News"}]})

    assert (item.uri, item.byline, item.headline) == ("tag:sd:1", "Josh Pitt", "H")
    assert item.extra["infoSources"] == [{"name": "AAP", "role": "source"}]
    assert item.extra["people"] == [{"name": "Josh Pitt", "rel": "editor"}]
    assert item.extra["edNote"] == ("Newsbridge could not carry these ninjs 1.x fields over to ninjs 3.x: priority, "
                                    "readtime, firstpublished, extra, service.")
    assert [w.code for w in item.warnings] == ["uri_from_guid"]
    assert validate(to_ninjs3(item)) == 3


def test_not_an_object_is_a_schema_error() -> None:
    with pytest.raises(Ninjs1Error) as caught:
        parse_ninjs1(["not", "an", "object"])  # type: ignore[arg-type]

    assert (caught.value.kind, caught.value.field) == ("schema", "$")


def test_a_non_uri_uri_is_accepted_like_the_reference_implementation_does() -> None:
    # jsonschema-rs checks format "uri" and says no; python-jsonschema treats format as a note.
    item = parse_ninjs1({"uri": "tass-17500001", "headline": "Короткий идентификатор"})

    assert item == Item(uri="tass-17500001", headline="Короткий идентификатор")


@pytest.mark.parametrize("doc, code, field, read", [
    (with_(versioncreated="вчера"), "time_unreadable", "$.versioncreated", lambda i: i.versioncreated is None),
    (with_(versioncreated="2023-04-26T09:45:00"), "time_zone_assumed", "$.versioncreated",
     lambda i: i.versioncreated.isoformat() == "2023-04-26T09:45:00+06:00"),  # Almaty kept +06:00 until 2024
    (with_(embargoed="2023-04-26 12:00"), "time_zone_assumed", "$.embargoed",
     lambda i: i.embargoed.isoformat() == "2023-04-26T12:00:00+06:00"),
    (with_(version="v2"), "value_invalid", "$.version", lambda i: i.version is None),
    (with_(urgency=12), "value_invalid", "$.urgency", lambda i: i.urgency is None),
    (with_(urgency=2.5), "value_invalid", "$.urgency", lambda i: i.urgency is None),
    (with_(urgency=float("nan")), "value_invalid", "$.urgency", lambda i: i.urgency is None),
    (nested(("associations", "featureimage", "versioncreated"), "2023-04-26"), "time_day_only",
     "$.associations.featureimage.versioncreated",
     lambda i: i.associations[0]["versionCreated"] == "2023-04-26T00:00:00+06:00"),
], ids=["bad-date", "no-offset", "embargo-no-offset", "version-letters", "urgency-range", "urgency-fraction",
        "urgency-nan", "association-date"])
def test_bent_values_are_read_with_a_warning(doc: dict[str, Any], code: str, field: str, read) -> None:  # type: ignore[no-untyped-def]
    item = parse_ninjs1(doc, zone="Asia/Almaty")

    assert [(w.code, w.field) for w in item.warnings if w.code != "uri_from_guid"] == [(code, field)]
    assert read(item)


def test_non_finite_rendition_numbers_are_dropped() -> None:
    doc = decode_json(b'{"uri": "urn:a", "headline": "x", "renditions": {"web": {"href": "https://e.example/1", '
                      b'"width": NaN, "height": Infinity, "duration": 12.5, "sizeinbytes": 1024}}}')

    item = parse_ninjs1(doc)

    assert item.renditions == [{"name": "web", "href": "https://e.example/1", "duration": 12.5, "sizeInBytes": 1024}]
    assert validate(to_ninjs3(item)) == 3

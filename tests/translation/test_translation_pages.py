"""The desk: "Translate into my language" on the item page (labelled with its engine, cached, the
original kept beside it), and the Glossary page in all four languages, with CSRF on every form."""

from __future__ import annotations

import pytest

from newsbridge.db.engine import writing
from newsbridge.translation.glossary import add_term
from tests.conftest import active_agreement
from tests.translation.far_side import FarSide

pytestmark = pytest.mark.anyio
FA_STORY = {"uri": "urn:irna:t:1", "language": "fa", "headlines": [{"value": "همکاری رسانه‌ای"}],
            "bodies": [{"contentType": "text/plain", "value": "بند نخست.\n\nدیدار با قاسم جومارت توکایف"}]}


@pytest.fixture
async def received(client, make_partner):  # type: ignore[no-untyped-def]
    """An IRNA item in Persian delivered to Kazinform: (its id, Kazinform, a publisher for IRNA)."""
    irna = make_partner("irna", scopes=("publish", "read", "manage"))
    kazinform = make_partner("kazinform", scopes=("publish", "read", "manage"))
    await active_agreement(client, irna, kazinform, {})

    async def publish(doc: dict[str, object]) -> str:
        return (await client.post("/api/v1/items", json=doc, headers=irna.headers)).json()["id"]

    return await publish(FA_STORY), kazinform, publish


async def test_the_item_page_shows_a_labelled_translation_beside_the_original(sign_in, received, engine,
                                                                            service: FarSide) -> None:
    item_id, kazinform, _ = received
    editor = await sign_in("kazinform", "editor")
    with writing(engine) as conn:
        add_term(conn, kazinform.org, {"fa": "قاسم جومارت توکایف", "en": "Kassym-Jomart Tokayev"})
    plain = (await editor.get(f"/items/{item_id}")).text
    assert "Translate into my language" in plain and 'href="/glossary"' in plain and "Machine translation" not in plain
    side = (await editor.get(f"/items/{item_id}?translate=1")).text
    assert 'class="side-by-side"' in side and 'dir="rtl"' in side and "همکاری رسانه‌ای" in side
    assert "cooperation media" in side and "meeting with Kassym-Jomart Tokayev" in side
    assert "Machine translation by LibreTranslate" in side
    await editor.get(f"/items/{item_id}?translate=1")
    assert len(service.requests) == 1  # read back from the cache


async def test_a_failing_service_is_said_on_the_page_in_the_members_language(sign_in, received) -> None:
    _, _, publish = received
    failing = await publish({**FA_STORY, "uri": "urn:irna:t:2", "headlines": [{"value": "FAIL"}]})
    editor = await sign_in("kazinform", "editor", locale="ru")
    page = await editor.get(f"/items/{failing}?translate=1")
    assert page.status_code == 200 and 'class="side-by-side"' not in page.text
    assert "Машинный перевод не удалось сделать:" in page.text and "translation service did not translate" in page.text


@pytest.mark.parametrize(("locale", "title", "added"), [
    ("en", "Glossary", "The glossary is saved."),
    ("ru", "Глоссарий", "Глоссарий сохранён."),
    ("kk", "Глоссарий", "Глоссарий сақталды."),
    ("fa", "واژه‌نامه", "واژه‌نامه ذخیره شد."),
])
async def test_the_glossary_page_in_every_language(sign_in, make_partner, locale: str, title: str,
                                                   added: str) -> None:
    make_partner("kazinform")
    editor = await sign_in("kazinform", "editor", locale=locale)
    empty = await editor.get("/glossary")
    assert empty.status_code == 200 and f"<h1>{title}</h1>" in empty.text
    assert f'<html lang="{locale}" dir="{"rtl" if locale == "fa" else "ltr"}">' in empty.text
    saved = await editor.post("/glossary", {"form_kk": "Қасым-Жомарт Тоқаев", "form_ru": "Касым-Жомарт Токаев",
                                            "form_fa": "قاسم جومارت توکایف", "form_en": "Kassym-Jomart Tokayev"})
    assert saved.status_code == 303 and saved.headers["location"] == "/glossary?saved=1"
    shown = (await editor.get("/glossary?saved=1")).text
    assert added in shown and 'value="قاسم جومارت توکایف"' in shown


async def test_editors_add_change_and_remove_and_viewers_only_read(sign_in, make_partner, engine) -> None:
    kazinform, other = make_partner("kazinform"), make_partner("other")
    with writing(engine) as conn:
        term = add_term(conn, kazinform.org, {"en": "Kazinform", "tr": "Kazinform Ajansı"})
        theirs = add_term(conn, other.org, {"en": "Other"})
    editor = await sign_in("kazinform", "editor")
    assert (await editor.post("/glossary", {"form_en": "Kazinform"})).status_code == 409  # already there
    assert (await editor.post("/glossary", {"form_en": "x"}, csrf=False)).status_code == 403
    changed = await editor.post(f"/glossary/{term.id}", {"form_en": "Kazinform", "form_ru": "Казинформ", "note": "us"})
    assert changed.status_code == 303
    page = (await editor.get("/glossary")).text
    assert 'value="Казинформ"' in page and "Other" not in page
    from newsbridge.db.engine import reading
    from newsbridge.translation.glossary import get_term
    with reading(engine) as conn:  # the Turkish form, which the page has no field for, is kept
        assert get_term(conn, kazinform.org, term.id).forms == {"en": "Kazinform", "tr": "Kazinform Ajansı",
                                                                "ru": "Казинформ"}
    for path in (f"/glossary/{theirs.id}", f"/glossary/{theirs.id}/delete"):
        assert (await editor.post(path, {"form_en": "Taken"})).status_code == 404
    viewer = await sign_in("kazinform", "viewer")
    assert 'action="/glossary"' not in (await viewer.get("/glossary")).text
    assert (await viewer.post(f"/glossary/{term.id}/delete")).status_code == 403
    assert (await editor.post(f"/glossary/{term.id}/delete")).status_code == 303
    assert "Казинформ" not in (await editor.get("/glossary")).text

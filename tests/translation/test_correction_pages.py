"""The desk: an editor corrects the machine translation beside the original, the organization's
members see the correction instead (labelled as a human translation, its markup inert), the editor
shares it with the source, whose own item page shows it; viewers cannot, a new version starts fresh,
and the translation part reads in all four languages."""

from __future__ import annotations

import pytest

from tests.conftest import active_agreement
from tests.translation.far_side import FarSide
from tests.translation.test_translation_pages import FA_STORY

pytestmark = pytest.mark.anyio
HOSTILE = '<script>alert("x")</script> <img src=x onerror="alert(1)">'


@pytest.fixture
async def received(client, make_partner):  # type: ignore[no-untyped-def]
    """An IRNA item in Persian delivered to Kazinform and to Kazakh Radio: (its id, publish for IRNA)."""
    irna = make_partner("irna", scopes=("publish", "read", "manage"), name="IRNA")
    for slug, name in (("kazinform", "Kazinform"), ("kazradio", "Kazakh Radio")):
        await active_agreement(client, irna, make_partner(slug, scopes=("publish", "read", "manage"), name=name), {},
                               title=f"IRNA-{name}")
    make_partner("stranger", name="Stranger")

    async def publish(doc: dict[str, object]) -> str:
        return (await client.post("/api/v1/items", json=doc, headers=irna.headers)).json()["id"]

    return await publish(FA_STORY), publish


async def test_an_editor_corrects_members_see_it_and_the_source_receives_it(sign_in, received,
                                                                          service: FarSide) -> None:
    item_id, _ = received
    editor = await sign_in("kazinform", "editor", name="Aigerim")
    machine = (await editor.get(f"/items/{item_id}?translate=1")).text
    assert "Machine translation by LibreTranslate" in machine and "Correct this translation" in machine
    assert f'action="/items/{item_id}/translations/en"' in machine
    saved = await editor.post(f"/items/{item_id}/translations/en",
                              {"headline": f"Media cooperation {HOSTILE}", "body": "First.\r\n\r\nSecond."})
    assert saved.status_code == 303 and saved.headers["location"] == f"/items/{item_id}?translation_saved=1#translation"
    colleague = await sign_in("kazinform", "viewer")
    for page in ((await editor.get(f"/items/{item_id}?translation_saved=1")).text,
                 (await colleague.get(f"/items/{item_id}")).text):  # shown without asking, to every member
        assert "Human translation" in page and "Machine translation by" not in page
        assert "Translated by Kazinform (edited from LibreTranslate)" in page and "<p>Second.</p>" in page
        assert "<script>alert" not in page and "<img src=x" not in page  # shown as text, never run
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &lt;img src=x onerror=" in page
        assert "همکاری رسانه‌ای" in page  # the original stays beside it
    assert "Correct this translation" not in (await colleague.get(f"/items/{item_id}")).text  # a viewer
    source = await sign_in("irna", "editor")
    assert "Human translations from partners" not in (await source.get(f"/items/{item_id}")).text  # not yet shared
    shared = await editor.post(f"/items/{item_id}/translations/en/share", {})
    assert shared.headers["location"] == f"/items/{item_id}?translation_shared=1#translation"
    after = (await editor.get(f"/items/{item_id}?translation_shared=1")).text
    assert "The translation is shared with the source." in after and "Shared with IRNA" in after
    own = (await source.get(f"/items/{item_id}")).text
    assert "Human translations from partners" in own and "Human translation into English by Kazinform" in own
    assert "<p>Second.</p>" in own and HOSTILE not in own and "Translated by Kazinform" in own
    for other in (await sign_in("kazradio", "editor"), await sign_in("stranger", "admin")):
        page = await other.get(f"/items/{item_id}")
        assert "Media cooperation" not in page.text and "Human translation" not in page.text
    assert len(service.requests) == 1


async def test_viewers_cannot_and_strangers_get_the_404_page(sign_in, received) -> None:
    item_id, _ = received
    viewer = await sign_in("kazinform", "viewer")
    for path, form in ((f"/items/{item_id}/translations/en", {"headline": "x", "body": "y"}),
                       (f"/items/{item_id}/translations/en/share", {})):
        assert (await viewer.post(path, form)).status_code == 403
    stranger = await sign_in("stranger", "admin")
    assert (await stranger.post(f"/items/{item_id}/translations/en", {"headline": "x"})).status_code == 404
    editor = await sign_in("kazinform", "editor")
    assert (await editor.post(f"/items/{item_id}/translations/en/share", {})).status_code == 409  # nothing yet
    assert (await editor.post(f"/items/{item_id}/translations/en", {"headline": " "})).status_code == 422


async def test_a_new_version_shows_the_machine_translation_again(sign_in, received) -> None:
    item_id, publish = received
    editor = await sign_in("kazinform", "editor")
    await editor.post(f"/items/{item_id}/translations/en", {"headline": "Corrected for version one", "body": "One."})
    assert "Corrected for version one" in (await editor.get(f"/items/{item_id}")).text
    await publish({**FA_STORY, "version": "2", "bodies": [{"contentType": "text/plain", "value": "بند نخست."}]})
    page = (await editor.get(f"/items/{item_id}")).text
    assert "Corrected for version one" not in page and "Translate into my language" in page
    again = (await editor.get(f"/items/{item_id}?translate=1")).text
    assert "Machine translation by LibreTranslate" in again and "Corrected for version one" not in again


@pytest.mark.parametrize(("locale", "label", "button"), [
    ("en", "Human translation", "Share with IRNA"),
    ("ru", "Перевод, сделанный человеком", "Передать агентству IRNA"),
    ("kk", "Адам жасаған аударма", "IRNA агенттігімен бөлісу"),
    ("fa", "ترجمهٔ انسانی", "اشتراک با IRNA"),
])
async def test_the_translation_part_in_every_language(sign_in, received, locale: str, label: str,
                                                      button: str) -> None:
    item_id, _ = received
    editor = await sign_in("kazinform", "editor", locale=locale)
    await editor.post(f"/items/{item_id}/translations/{locale}", {"headline": "Заголовок", "body": "Текст."})
    page = (await editor.get(f"/items/{item_id}")).text
    assert label in page and button in page
    assert f'<html lang="{locale}" dir="{"rtl" if locale == "fa" else "ltr"}">' in page

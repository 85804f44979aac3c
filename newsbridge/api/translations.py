"""``/api/v1/items/{id}/translations`` and ``/api/v1/glossary``: machine translations of what you
may read, shaped by your organization's glossary of names and terms.

A machine translation is asked for: the first request makes it through the configured engine
(``NEWSBRIDGE_TRANSLATOR``), later ones for the same item version and language read it back. An
editor may correct it (``PUT .../translations/{language}``: your organization's human translation,
shown to your members instead) and share the correction with the item's source (``:share``);
``GET .../translations`` lists the translations your organization may see.
Access is the item's own: an item another organization did not deliver to you, or not yet (an
embargo), answers 404 like any unknown id. Another organization's glossary entries answer 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import Hub, caller, hub, json_body
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput, TranslatorNotConfigured
from newsbridge.items.queries import get_item
from newsbridge.translation.backends import translator_from_settings
from newsbridge.translation.glossary import LANGUAGE, Term, add_term, change_term, list_terms, remove_term
from newsbridge.translation.corrections import correct_translation, share_translation, visible_translations
from newsbridge.translation.service import translate_item

router = APIRouter(prefix="/api/v1", tags=["translation"])


def term_json(term: Term) -> dict[str, Any]:
    return {"id": term.id, "forms": dict(term.forms), "note": term.note,
            "updated_at": term.updated_at.isoformat() if term.updated_at else None}


def _language(data: Any) -> str:
    language = data.get("language") if isinstance(data, dict) else None
    if not isinstance(language, str) or not LANGUAGE.match(language.lower()):
        raise InvalidInput('send {"language": "en"}: the ISO 639 code to translate into (en, ru, kk, fa...)',
                           field="language")
    return language.lower()


@router.post("/items/{item_id}/translations", summary="Machine-translate an item you may read (cached)")
async def translate(item_id: str, request: Request, principal: Principal = Depends(caller("read")),
                    the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Body: `{"language": "en"}`. The headline and text of the version you see, translated by the
    configured engine with your glossary's names and terms kept, labelled `machine_translation`
    with the engine's name (`backend`); `cached` when it was made before for this version. 403
    `translation_not_allowed` when the terms you received the item under forbid translation, 503
    `translator_not_configured` without an engine, 502 `translation_failed` when it fails."""
    language = _language(await json_body(request))
    return await run_in_threadpool(_translate, the_hub, principal, item_id, language)


def _translate(the_hub: Hub, principal: Principal, item_id: str, language: str) -> dict[str, Any]:
    translator = translator_from_settings(the_hub.settings)
    if translator is None:
        with reading(the_hub.engine) as conn:  # an unknown id is still a 404, configured or not
            get_item(conn, principal.organization, item_id)
        raise TranslatorNotConfigured("this hub has no machine translation service configured "
                                      "(NEWSBRIDGE_TRANSLATOR_URL): ask its operator", field="language")
    return translate_item(the_hub.engine, principal.organization, item_id, language, translator).to_json()


@router.get("/items/{item_id}/translations", summary="The translations of an item your organization may see")
def translations(item_id: str, principal: Principal = Depends(caller("read")),
                 the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Your organization's machine (`kind: machine`) and human (`kind: human`) translations of the
    item, every version, newest first (`current`: of the version you see now); for the item's
    source, also the human translations its recipients shared with it (`by`: who translated)."""
    return {"translations": visible_translations(the_hub.engine, principal.organization, item_id)}


@router.put("/items/{item_id}/translations/{language}", summary="Correct the translation: your human translation")
async def correct(item_id: str, language: str, request: Request, principal: Principal = Depends(caller("publish")),
                  the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Body: `{"headline": "...", "text": "paragraphs separated by a blank line"}` (or `"paragraphs":
    [...]`). Stored as your organization's human translation of the version you see (`edited_from`:
    the engine whose translation you corrected); your members see it instead of the machine one until
    a new version of the item arrives. 403 `translation_not_allowed` where the terms forbid translating."""
    data = await json_body(request)
    if not isinstance(data, dict):
        data = {}
    return await run_in_threadpool(lambda: correct_translation(
        the_hub.engine, principal.organization, item_id, language, data.get("headline"), data.get("text"),
        data.get("paragraphs")).to_json())


@router.post("/items/{item_id}/translations/{language}:share", summary="Share your human translation with the source")
def share(item_id: str, language: str, principal: Principal = Depends(caller("publish")),
          the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """The item's source (and no one else) sees your human translation of the version you see, on its
    item page and in its `GET .../translations`. 409 `conflict` when there is none to share."""
    return share_translation(the_hub.engine, principal.organization, item_id, language).to_json()


@router.get("/glossary", summary="Your organization's glossary of names and terms")
def glossary(principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return {"terms": [term_json(t) for t in list_terms(conn, principal.organization)]}


@router.post("/glossary", status_code=201, summary="Add a name or term to your glossary")
async def add(request: Request, principal: Principal = Depends(caller("publish")),
              the_hub: Hub = Depends(hub)) -> JSONResponse:
    """Body: `{"forms": {"kk": "Қасым-Жомарт Тоқаев", "ru": "Касым-Жомарт Токаев", "en": "Kassym-Jomart
    Tokayev"}, "note": "..."}`. A language without a form keeps the term as written."""
    data = await json_body(request)
    if not isinstance(data, dict):
        raise InvalidInput('send {"forms": {"en": "...", "ru": "..."}}', field="forms")
    return await run_in_threadpool(_add, the_hub, principal, data)


def _add(the_hub: Hub, principal: Principal, data: dict[str, Any]) -> JSONResponse:
    with writing(the_hub.engine) as conn:
        term = add_term(conn, principal.organization, data.get("forms"), data.get("note"))
    return JSONResponse(term_json(term), status_code=201)


@router.put("/glossary/{term_id}", summary="Replace a glossary entry's forms and note")
async def change(term_id: str, request: Request, principal: Principal = Depends(caller("publish")),
                 the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    data = await json_body(request)
    if not isinstance(data, dict):
        raise InvalidInput('send {"forms": {"en": "...", "ru": "..."}}', field="forms")
    return await run_in_threadpool(_change, the_hub, principal, term_id, data)


def _change(the_hub: Hub, principal: Principal, term_id: str, data: dict[str, Any]) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        return term_json(change_term(conn, principal.organization, term_id, data.get("forms"), data.get("note")))


@router.delete("/glossary/{term_id}", status_code=204, summary="Remove a glossary entry")
def remove(term_id: str, principal: Principal = Depends(caller("publish")), the_hub: Hub = Depends(hub)) -> Response:
    with writing(the_hub.engine) as conn:
        remove_term(conn, principal.organization, term_id)
    return Response(status_code=204)

"""Translation on the desk: the item page's "Translate into my language" (a helper the item page
calls), the editor's correction of it (saved as the organization's human translation, shown to its
members instead) and its sharing with the item's source, and the Glossary page, where an
organization keeps the names and terms translations must write its way (four fields: Kazakh,
Russian, Persian, English). Another organization's item or entry ids answer the 404 page;
correcting, sharing and editing need the editor's role (``publish``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.db.engine import reading, writing
from newsbridge.errors import NewsbridgeError
from newsbridge.translation.backends import translator_from_settings
from newsbridge.translation.corrections import (correct_translation, human_translation, share_translation,
                                               shared_with_source)
from newsbridge.translation.glossary import add_term, change_term, get_term, list_terms, remove_term
from newsbridge.translation.service import item_language, translate_item, translation_allowed
from newsbridge.web.context import Viewer, checked_form, page, viewer

router = APIRouter(include_in_schema=False)
GLOSSARY_LANGUAGES = ("kk", "ru", "fa", "en")  # the desk's languages: one field each


def item_translation(request: Request, who: Viewer, record: Any, withdrawn: bool, asked: bool) -> dict[str, Any]:
    """What the item page shows about translation: whether it offers one (``can_translate``), the
    organization's human translation of this version into the member's language when there is one
    (``human_translation``, shown without asking), else the machine translation when ``asked``
    (cached per version) or why it could not be made (``translation_error``); whether the member may
    correct and share it (``can_correct``); on the source's own item, what recipients shared with it."""
    hub = request.app.state.hub
    translator = translator_from_settings(hub.settings)
    language = item_language(record)
    with reading(hub.engine) as conn:
        allowed = not withdrawn and translation_allowed(conn, who.organization, record)
        human = human_translation(conn, who.organization, record, who.locale) if allowed else None
        shared = shared_with_source(conn, who.organization, record)
    offered = translator is not None and language != who.locale and allowed
    found: dict[str, Any] = {"can_translate": offered, "translation": None, "translation_error": None,
                             "human_translation": human, "shared_translations": shared,
                             "source_name": record.source.name, "own_item": record.source.id == who.organization.id}
    if asked and offered and translator is not None and human is None:
        try:
            found["translation"] = translate_item(hub.engine, who.organization, record.id, who.locale, translator)
        except NewsbridgeError as exc:
            if exc.status == 404:
                raise
            found["translation_error"] = exc.message
    found["can_correct"] = allowed and who.may("publish") and (human or found["translation"]) is not None
    return found


def _translation_saved(item_id: str, action: Any, flag: str) -> Response:
    """Runs the correction or the share; any refusal is the error page with its status (a stranger's
    item: the same 404 page as a missing one), success goes back to the item page's translation."""
    action()
    return RedirectResponse(f"/items/{item_id}?{flag}=1#translation", status_code=303)


@router.post("/items/{item_id}/translations/{language}")
async def correct_item_translation(request: Request, item_id: str, language: str,
                                   who: Viewer = Depends(viewer)) -> Response:
    form = await _editor_form(request, who)
    return await run_in_threadpool(_translation_saved, item_id, lambda: correct_translation(
        request.app.state.hub.engine, who.organization, item_id, language, str(form.get("headline", "")),
        str(form.get("body", "")), edited_by=who.member.name), "translation_saved")


@router.post("/items/{item_id}/translations/{language}/share")
async def share_item_translation(request: Request, item_id: str, language: str,
                                 who: Viewer = Depends(viewer)) -> Response:
    await _editor_form(request, who)
    return await run_in_threadpool(_translation_saved, item_id, lambda: share_translation(
        request.app.state.hub.engine, who.organization, item_id, language, shared_by=who.member.name),
        "translation_shared")


def _glossary(request: Request, who: Viewer, status: int = 200, **extra: Any) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        terms = list_terms(conn, who.organization)
    return page(request, "glossary.html", who, status=status, terms=terms, languages=GLOSSARY_LANGUAGES,
                **extra)


@router.get("/glossary")
def glossary_page(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return _glossary(request, who)


def _forms(form: dict[str, Any]) -> dict[str, str]:
    return {language: str(form.get(f"form_{language}", "")) for language in GLOSSARY_LANGUAGES}


async def _editor_form(request: Request, who: Viewer) -> dict[str, Any]:
    form = await checked_form(request, who)
    who.require("publish")
    return form


def _saved(request: Request, who: Viewer, action: Any, values: dict[str, Any]) -> Response:
    try:
        with writing(request.app.state.hub.engine) as conn:
            action(conn)
    except NewsbridgeError as exc:
        if exc.status == 404:
            raise  # someone else's entry: the same "not found" page as a missing one
        return _glossary(request, who, status=exc.status, flash=exc.message, flash_kind="error", values=values)
    return RedirectResponse("/glossary?saved=1", status_code=303)


@router.post("/glossary")
async def add_glossary_term(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await _editor_form(request, who)
    forms, note = _forms(form), str(form.get("note", ""))
    return await run_in_threadpool(_saved, request, who, lambda conn: add_term(conn, who.organization, forms, note),
                                   {**forms, "note": note})


@router.post("/glossary/{term_id}")
async def change_glossary_term(request: Request, term_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = await _editor_form(request, who)
    forms, note = _forms(form), str(form.get("note", ""))

    def change(conn: Any) -> None:  # forms in languages the page has no field for are kept
        kept = {code: form for code, form in get_term(conn, who.organization, term_id).forms.items()
                if code not in GLOSSARY_LANGUAGES}
        change_term(conn, who.organization, term_id, {**kept, **forms}, note)

    return await run_in_threadpool(_saved, request, who, change, {})


@router.post("/glossary/{term_id}/delete")
async def delete_glossary_term(request: Request, term_id: str, who: Viewer = Depends(viewer)) -> Response:
    await _editor_form(request, who)
    return await run_in_threadpool(_saved, request, who, lambda conn: remove_term(conn, who.organization, term_id), {})

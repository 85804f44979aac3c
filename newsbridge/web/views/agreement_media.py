"""Changing a term's media rules from the agreement page (``web/media_rules_form.py`` builds the forms).

The form posts the term's index and the terms revision the page showed. The change is an amendment
of the agreement through the same service and checks as ``POST /api/v1/agreements/{id}:amend``:
a new terms revision that every party signs again, recorded in the history. Only admins of the
term's sharing party may send it; a stranger gets the 404 page, like for an agreement that does not
exist. A form that changes nothing amends nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.organizations import list_organizations
from newsbridge.db.engine import reading, writing
from newsbridge.errors import Forbidden, InvalidInput, NewsbridgeError, RevisionChanged
from newsbridge.exchange.agreements import act, get_agreement, parse_draft
from newsbridge.exchange.lifecycle import Action
from newsbridge.web.context import Viewer, checked_form, viewer
from newsbridge.web.i18n import gettext_for
from newsbridge.web.media_rules_form import amendment, entered_values, form_field, may_change, media_forms
from newsbridge.web.views.agreements import TERMS_CHANGED, _actor, _agreement_page, _seen_revision

router = APIRouter(include_in_schema=False)


@router.post("/agreements/{agreement_id}/media")
async def change_media_rules(request: Request, agreement_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    kinds = [str(k) for k in (await request.form()).getlist("kinds")]
    return await run_in_threadpool(_change_media_rules, request, who, agreement_id, form, kinds)


def _term_index(form: dict[str, Any], count: int) -> int:
    raw = str(form.get("term", "")).strip()
    if not raw.isdigit() or int(raw) >= count:
        raise InvalidInput(f"term must be the number of one of the agreement's {count} terms, from 0", field="term")
    return int(raw)


def _change_media_rules(request: Request, who: Viewer, agreement_id: str, form: dict[str, Any],
                        kinds: list[str]) -> Response:
    engine = request.app.state.hub.engine
    with reading(engine) as conn:
        agreement = get_agreement(conn, who.organization, agreement_id)  # a stranger: 404 before anything else
        slugs = {o.id: o.slug for o in list_organizations(conn)}
        index = _term_index(form, len(agreement.terms))
        term = agreement.terms[index]
        if not may_change(agreement, term, who.organization.id, who.may("manage")):
            raise Forbidden("only admins of the sharing party change its media rules, while the agreement can "
                            "be amended; ask them, or read the rules on this page", field="term")
        values = entered_values(form, kinds, [p.slug for p in agreement.parties if p.id != term.from_id])
        body = amendment(agreement, slugs, index, values)
        try:
            # the API's checks, before anything is written: a form that changes nothing amends nothing
            draft = parse_draft(conn, body, parties_fixed=[p.id for p in agreement.parties],
                                targets_in_force=agreement.targets)
        except InvalidInput as exc:
            return _form_again(request, who, agreement_id, slugs, index, values, exc)
    if draft.terms == agreement.terms:
        return RedirectResponse(f"/agreements/{agreement_id}?done=unchanged#media-{index}", status_code=303)
    try:
        with writing(engine) as conn:
            act(conn, agreement_id, Action.AMEND, who.organization, _actor(who), body,
                revision=_seen_revision(form) or None)
    except RevisionChanged as exc:
        return _agreement_page(request, who, agreement_id, status=exc.status,
                               flash=gettext_for(who.locale)(TERMS_CHANGED), flash_kind="error")
    except InvalidInput as exc:
        return _form_again(request, who, agreement_id, slugs, index, values, exc)
    except NewsbridgeError as exc:
        return _agreement_page(request, who, agreement_id, status=exc.status, flash=exc.message, flash_kind="error")
    return RedirectResponse(f"/agreements/{agreement_id}?done=amended#media-{index}", status_code=303)


def _form_again(request: Request, who: Viewer, agreement_id: str, slugs: dict[str, str], index: int,
                values: dict[str, Any], exc: InvalidInput) -> Response:
    """The page again, the form as it was sent, open, with what is wrong beside the field."""
    with reading(request.app.state.hub.engine) as conn:
        agreement = get_agreement(conn, who.organization, agreement_id)
    found = form_field(exc.field)
    error = {"field": found[1] if found else "kinds", "message": exc.message}
    forms = media_forms(agreement, who.organization.id, who.may("manage"), slugs, (index, values, error))
    return _agreement_page(request, who, agreement_id, status=exc.status, media_forms=forms)

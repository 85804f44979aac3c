"""Agreement pages: the list, one agreement (terms in plain words, signatures, history, roadmap), proposing.

Everyone of a party reads; only admins of a party itself (not its outlets) propose, sign,
suspend, end, amend and follow up the roadmap; a term's media rules have a form of their own
(``views/agreement_media.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from babel import Locale
from babel.dates import format_timedelta
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from sqlalchemy.engine import Connection
from starlette.datastructures import FormData

from newsbridge.accounts.organizations import Organization, list_organizations
from newsbridge.db.engine import reading, writing
from newsbridge.errors import Forbidden, InvalidInput, NewsbridgeError, NotFound, RevisionChanged
from newsbridge.exchange.agreements import (Agreement, act, create_agreement, get_agreement, history,
                                            list_agreements)
from newsbridge.exchange.lifecycle import TRANSITIONS, Action, Status
from newsbridge.exchange.roadmap import (CommitmentStatus, add_commitments, list_commitments, progress,
                                         update_commitment)
from newsbridge.exchange.pace_targets import PaceTargets
from newsbridge.exchange.terms import DEFAULT_CREDIT, Terms, render_credit
from newsbridge.metrics.indicators import measure_if_running
from newsbridge.vocab import topic_labels
from newsbridge.vocab.mediatopics import normalize_qcode, vocabulary
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.i18n import N_, gettext_for
from newsbridge.web.media_rules_form import media_forms
from newsbridge.web.mediarules import media_sentences
from newsbridge.web.roadmap_measure import STATES as MEASURE_STATES, measure_view
from newsbridge.web.targets_form import LABELS as TARGET_LABELS, form_field, targets_body, targets_values
from newsbridge.web.wording import Sharing, terms_sentences


router = APIRouter(include_in_schema=False)
TOP_TOPICS = [q for q, t in vocabulary().items() if not t.broader and not t.retired]
LANGUAGES = ("en", "ru", "kk", "fa")
BUTTONS = (Action.PROPOSE, Action.SIGN, Action.DECLINE, Action.SUSPEND, Action.END)  # amending: its own form
BADGES = {Status.DRAFT: "", Status.PROPOSED: "new", Status.ACTIVE: "picked", Status.SUSPENDED: "embargo",
          Status.ENDED: "withdrawn", Status.EXPIRED: "withdrawn"}
COLUMNS = {CommitmentStatus.PLANNED: N_("Planned"), CommitmentStatus.IN_PROGRESS: N_("In progress"),
           CommitmentStatus.DONE: N_("Done"), CommitmentStatus.BLOCKED: N_("Blocked"),
           CommitmentStatus.DROPPED: N_("Dropped")}
FLASHES = {"proposed": N_("Proposed. Each partner's admin now signs it on this page."),
           "signed": N_("Signed. The agreement is active once every party has signed the current terms."),
           "suspended": N_("Suspended: nothing is routed until a party proposes it again and all sign."),
           "ended": N_("Ended for good."), "commitment": N_("Commitment updated."), "added": N_("Commitment added."),
           "active": N_("Signed. Every party has now signed the current terms: the agreement is active."),
           "declined": N_("Declined. The agreement is a draft again: its terms can be amended and proposed anew."),
           "amended": N_("Terms amended. Every party signs the new revision before it applies."),
           "unchanged": N_("Nothing changed: the terms stay as they are.")}
TERMS_CHANGED = N_("The terms changed since this page was shown. Read them again below, and sign if you agree.")
DONE = {Action.PROPOSE: "proposed", Action.SIGN: "signed", Action.SUSPEND: "suspended", Action.END: "ended",
        Action.DECLINE: "declined"}
DIRECTIONS = ("ours", "theirs")
FIELDS = {"title": N_("Title"), "partners": N_("Partner organizations"), "valid_from": N_("Valid from"),
          "valid_until": N_("Valid until"), "share": N_("Share in this direction"), "topics": N_("Topics"),
          "languages": N_("Languages"), "delay_minutes": N_("Delay"), "credit_line": N_("Credit line"),
          "usage_terms": N_("Usage terms")}


def topic_label(qcode: str, locale: str) -> str:
    return topic_labels.label(qcode, locale) if qcode in vocabulary() else qcode


def _delay(minutes: int, locale: str) -> str | None:
    """How long partners wait, in the member's words (90 → "90 minutes", 120 → "2 hours"); None: at once."""
    if not minutes:
        return None
    count = next(minutes // n for n in (1440, 60, 1) if minutes % n == 0)
    # the threshold equal to the count makes Babel use exactly that unit, never a rounded bigger one
    return format_timedelta(timedelta(minutes=minutes), threshold=count, format="long", locale=locale)


def _sharing(terms: Terms, orgs: dict[str, Organization], title: str, locale: str) -> Sharing:
    source = orgs[terms.from_id]
    sharers = [orgs[o].name for o in terms.outlets] if terms.outlets else \
        [source.name] + [o.name for o in orgs.values() if o.parent_id == source.id]
    names = Locale.parse(locale).languages
    return Sharing(sharers, [topic_label(q, locale) for q in terms.topics], [names.get(c, c) for c in terms.languages],
                   list(terms.types), _delay(terms.delay_minutes, locale),
                   render_credit(terms.credit_line, source.credit_name, title), terms.usage_terms,
                   terms.allow_translation, terms.allow_republication)


def _actor(who: Viewer) -> str:
    return f"{who.member.name} ({who.member.email})"


def _flash(request: Request, who: Viewer) -> str | None:
    """Only known messages: a link must not be able to put words on our page."""
    key = request.query_params.get("done", "")
    return gettext_for(who.locale)(FLASHES[key]) if key in FLASHES else None


def _buttons(agreement: Agreement, who: Viewer) -> list[str]:
    mine = agreement.party(who.organization.id)
    if mine is None or not who.may("manage"):
        return []
    return [a.value for a in BUTTONS if (agreement.status, a) in TRANSITIONS and not (a is Action.SIGN and mine.signed)]


def _detail(conn: Connection, who: Viewer, agreement_id: str) -> dict[str, Any]:
    agreement = get_agreement(conn, who.organization, agreement_id)
    orgs = {o.id: o for o in list_organizations(conn)}
    names = {o.slug: o.name for o in orgs.values()}
    items, events = list_commitments(conn, agreement.id), history(conn, agreement.id)
    today = date.today()
    return {"agreement": agreement, "badge": BADGES[agreement.status], "buttons": _buttons(agreement, who),
            "sharing": [terms_sentences(_sharing(t, orgs, agreement.title, who.locale), who.locale)
                        + media_sentences(t.media, t.types, {o.id: o.name for o in orgs.values()}, who.locale)
                        for t in agreement.terms],
            "may_edit": agreement.party(who.organization.id) is not None and who.may("manage"),
            "media_forms": media_forms(agreement, who.organization.id, who.may("manage"),
                                       {o.id: o.slug for o in orgs.values()}),
            "columns": [(s, label, [c for c in items if c.status is s]) for s, label in COLUMNS.items()],
            "statuses": COLUMNS, "progress": progress(items, today), "names": names,
            "overdue": {c.id for c in items if c.due and c.due < today
                        and c.status not in (CommitmentStatus.DONE, CommitmentStatus.DROPPED)},
            "events": events, "measure_states": MEASURE_STATES,
            "measures": {c.id: measure_view(agreement.id, c, names) for c in items}}


def _agreement_page(request: Request, who: Viewer, agreement_id: str, status: int = 200, **extra: Any) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        context = _detail(conn, who, agreement_id)
    context = {"flash": _flash(request, who), **context, **extra, **_history_page(request, who, context["events"])}
    agreement = context["agreement"]
    context["may_amend"] = (context["may_edit"] and agreement.party(who.organization.id) is not None
                            and (agreement.status, Action.AMEND) in TRANSITIONS)
    return page(request, "agreement.html", who, status=status, **context)


HISTORY_PAGE = 50


def _history_page(request: Request, who: Viewer, events: list[Any]) -> dict[str, Any]:
    """The history newest first, a page at a time. The cursor is an event's place in the history
    (events are only ever appended, so it keeps pointing at the same event)."""
    raw = request.query_params.get("events_before", "")
    before = min(int(raw), len(events)) if raw.isdigit() and len(raw) < 10 else len(events)
    start = max(0, before - HISTORY_PAGE)
    shown = list(reversed(events[start:before]))
    path = request.url.path
    first = len(events) - before + 1
    return {"events": shown,
            "events_count": {"first": first if shown else 0,
                             "last": first + len(shown) - 1,
                             "total": len(events)},
            "events_next_link": f"{path}?events_before={start}" if start > 0 else None,
            "events_first_link": path if before < len(events) else None}


def _back(agreement_id: str, done: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/agreements/{agreement_id}?done={done}{anchor}", status_code=303)


@router.get("/agreements")
def agreements_page(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        found = list_agreements(conn, who.organization)
        rows = [(a, BADGES[a.status], progress(list_commitments(conn, a.id), date.today())) for a in found]
        since = {a.id: _active_since(history(conn, a.id)) for a in found if not a.valid_from}
    return page(request, "agreements.html", who, rows=rows, since=since, flash=_flash(request, who))


def _active_since(events: list[Any]) -> date | None:
    """The day an agreement last became active (its last signature), for one without a first valid day."""
    started = [e for e in events if e.to_status == Status.ACTIVE.value and e.from_status != Status.ACTIVE.value]
    return started[-1].at.date() if started else None


# --- proposing -----------------------------------------------------------------------------------------------------

def _blank() -> dict[str, Any]:
    values: dict[str, Any] = {"title": "", "partners": [], "valid_from": "", "valid_until": "", "sign_now": "on"}
    for d in DIRECTIONS:
        values.update({f"{d}_share": "on", f"{d}_topics": [], f"{d}_extra_topics": "", f"{d}_languages": [],
                       f"{d}_extra_languages": "", f"{d}_delay_minutes": "0", f"{d}_credit_line": DEFAULT_CREDIT,
                       f"{d}_usage_terms": "", f"{d}_allow_translation": "on", f"{d}_allow_republication": "on"})
    return {**values, **targets_values(PaceTargets())}


def _entered(form: FormData) -> dict[str, Any]:
    """What the person typed and ticked, in the shape of :func:`_blank` (unticked boxes are absent)."""
    return {k: ([str(v) for v in form.getlist(k)] if isinstance(v, list) else str(form.get(k, "")).strip())
            for k, v in _blank().items()}


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,;]+", text) if w]


def _term(source: str, values: dict[str, Any], d: str) -> dict[str, Any]:
    try:
        delay = int(values[f"{d}_delay_minutes"] or 0)
    except ValueError:
        raise InvalidInput("the delay must be a whole number of minutes, like 0 or 30",
                           field=f"{d}_delay_minutes") from None
    extra = [normalize_qcode(w) or w for w in _words(values[f"{d}_extra_topics"])]
    return {"from": source, "topics": list(dict.fromkeys(values[f"{d}_topics"] + extra)),
            "languages": values[f"{d}_languages"] + [w.lower() for w in _words(values[f"{d}_extra_languages"])],
            "delay_minutes": delay, "credit_line": values[f"{d}_credit_line"],
            "usage_terms": values[f"{d}_usage_terms"],
            "allow_translation": bool(values[f"{d}_allow_translation"]),
            "allow_republication": bool(values[f"{d}_allow_republication"])}


def _body(who: Viewer, values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The agreement as the service takes it, and which form direction each term came from."""
    partners = [p for p in values["partners"] if p != who.organization.slug]
    if not partners:
        raise InvalidInput("choose at least one partner organization", field="partners")
    terms, directions = [], []
    for d, sources in (("ours", [who.organization.slug]), ("theirs", partners)):
        if values[f"{d}_share"]:
            terms += [_term(source, values, d) for source in sources]
            directions += [d] * len(sources)
    if not terms:
        raise InvalidInput("tick at least one direction: what you share, or what your partners share",
                           field="ours_share")
    return {"title": values["title"], "parties": [who.organization.slug, *partners], "valid_from": values["valid_from"],
            "valid_until": values["valid_until"], "terms": terms, "targets": targets_body(values)}, directions


def _error(exc: NewsbridgeError, directions: list[str]) -> dict[str, str | None]:
    """The service names fields of its JSON body (``terms[1].topics``); name the form's instead."""
    field = exc.field or ""
    if target := form_field(field):
        return {"field": target, "section": N_("Pace targets"), "message": exc.message,
                "label": TARGET_LABELS.get(target.removeprefix("target_"))}
    if found := re.match(r"terms\[(\d+)\]\.?(\w*)", field):
        field = f"{directions[int(found[1])]}_{found[2] or 'share'}"
    field = {"parties": "partners"}.get(field, field)
    direction, _, name = field.partition("_") if field.startswith(DIRECTIONS) else ("", "", field)
    section = {"ours": N_("What you share"), "theirs": N_("What your partners share")}.get(direction)
    return {"field": field, "section": section, "label": FIELDS.get(name), "message": exc.message}


def _form_page(request: Request, who: Viewer, values: dict[str, Any], status: int = 200,
               error: dict[str, str | None] | None = None, amending: Agreement | None = None) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        others = [o for o in list_organizations(conn) if o.id != who.organization.id]
    if amending is not None:  # the parties of an agreement never change
        others = [o for o in others if amending.party(o.id) is not None]
    names = Locale.parse(who.locale).languages
    return page(request, "agreement_new.html", who, status=status, values=values, error=error, amending=amending,
                target_labels=TARGET_LABELS, partners=[(o.slug, o.name) for o in others],
                topics=[(q, topic_label(q, who.locale)) for q in TOP_TOPICS],
                languages=[(code, names.get(code, code)) for code in LANGUAGES])


@router.get("/agreements/new")
def new_agreement_form(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    who.require("manage")
    return _form_page(request, who, _blank())


@router.post("/agreements/new")
async def propose_agreement(request: Request, who: Viewer = Depends(viewer)) -> Response:
    await checked_form(request, who)
    who.require("manage")
    values = _entered(await request.form())
    return await run_in_threadpool(_propose_agreement, request, who, values)


def _propose_agreement(request: Request, who: Viewer, values: dict[str, Any]) -> Response:
    directions: list[str] = []
    try:
        body, directions = _body(who, values)
        with writing(request.app.state.hub.engine) as conn:
            agreement = create_agreement(conn, who.organization, _actor(who), body)
            act(conn, agreement.id, Action.PROPOSE, who.organization, _actor(who))
            if values["sign_now"]:
                act(conn, agreement.id, Action.SIGN, who.organization, _actor(who))
    except InvalidInput as exc:
        return _form_page(request, who, values, status=422, error=_error(exc, directions))
    return _back(agreement.id, "proposed")


# --- amending ------------------------------------------------------------------------------------------------------

def _split(chosen: Any, offered: Any) -> tuple[list[str], str]:
    """Codes the form offers as boxes, and the others as the text of its "more" field."""
    return [c for c in chosen if c in offered], " ".join(c for c in chosen if c not in offered)


def _values_of(agreement: Agreement, who: Viewer) -> dict[str, Any]:
    """The form's values for an agreement's current terms: ours, and the first partner's for theirs."""
    values = _blank()
    values.update(title=agreement.title, sign_now="", partners=[p.slug for p in agreement.parties
                                                                if p.id != who.organization.id],
                  valid_from=agreement.valid_from.isoformat() if agreement.valid_from else "",
                  valid_until=agreement.valid_until.isoformat() if agreement.valid_until else "")
    values.update(targets_values(agreement.targets))
    ours = next((t for t in agreement.terms if t.from_id == who.organization.id), None)
    theirs = next((t for t in agreement.terms if t.from_id != who.organization.id), None)
    for d, term in (("ours", ours), ("theirs", theirs)):
        if term is None:
            values[f"{d}_share"] = ""
            continue
        topics, extra_topics = _split(term.topics, TOP_TOPICS)
        languages, extra_languages = _split(term.languages, LANGUAGES)
        values.update({f"{d}_share": "on", f"{d}_topics": topics, f"{d}_extra_topics": extra_topics,
                       f"{d}_languages": languages, f"{d}_extra_languages": extra_languages,
                       f"{d}_delay_minutes": str(term.delay_minutes), f"{d}_credit_line": term.credit_line,
                       f"{d}_usage_terms": term.usage_terms,
                       f"{d}_allow_translation": "on" if term.allow_translation else "",
                       f"{d}_allow_republication": "on" if term.allow_republication else ""})
    return values


def _amendable(conn: Connection, who: Viewer, agreement_id: str) -> Agreement:
    agreement = get_agreement(conn, who.organization, agreement_id)
    if agreement.party(who.organization.id) is None:
        raise Forbidden("only a party itself can amend an agreement, not its outlets", field="id")
    return agreement


@router.get("/agreements/{agreement_id}/amend")
def amend_form(request: Request, agreement_id: str, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """The proposing form filled with the current terms; sending it makes a new terms revision."""
    who.require("manage")
    with reading(request.app.state.hub.engine) as conn:
        agreement = _amendable(conn, who, agreement_id)
    return _form_page(request, who, _values_of(agreement, who), amending=agreement)


@router.post("/agreements/{agreement_id}/amend")
async def amend_agreement(request: Request, agreement_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    who.require("manage")
    values = _entered(await request.form())
    return await run_in_threadpool(_amend_agreement, request, who, agreement_id, values, _seen_revision(form))


def _amend_agreement(request: Request, who: Viewer, agreement_id: str, values: dict[str, Any],
                     revision: int) -> Response:
    directions: list[str] = []
    with reading(request.app.state.hub.engine) as conn:
        agreement = _amendable(conn, who, agreement_id)
        slugs = {o.id: o.slug for o in list_organizations(conn)}
    values["partners"] = [p.slug for p in agreement.parties if p.id != who.organization.id]
    try:
        body, directions = _body(who, values)
        body.pop("parties")
        # What the form does not show (kinds of items, outlets, media rules) stays as it was for each sharer.
        before = {slugs[t.from_id]: t for t in agreement.terms}
        for term in body["terms"]:
            if (kept := before.get(term["from"])) is not None:
                term.update(types=list(kept.types), outlets=[slugs[o] for o in kept.outlets],
                            media=kept.media.to_json(slugs))
        with writing(request.app.state.hub.engine) as conn:
            act(conn, agreement_id, Action.AMEND, who.organization, _actor(who), body, revision=revision or None)
    except RevisionChanged as exc:
        return _agreement_page(request, who, agreement_id, status=exc.status,
                               flash=gettext_for(who.locale)(TERMS_CHANGED), flash_kind="error")
    except InvalidInput as exc:
        return _form_page(request, who, values, status=422, error=_error(exc, directions), amending=agreement)
    return _back(agreement_id, "amended")


# --- one agreement -------------------------------------------------------------------------------------------------

@router.get("/agreements/{agreement_id}")
def agreement_page(request: Request, agreement_id: str, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return _agreement_page(request, who, agreement_id)


def _seen_revision(form: Any) -> int:
    """The terms revision the sign form was shown with; a form without one signs nothing (0 is no revision)."""
    value = str(form.get("revision", "")).strip()
    return int(value) if value.isdigit() else 0


def _lifecycle(action: Action) -> None:
    async def endpoint(request: Request, agreement_id: str, who: Viewer = Depends(viewer)) -> Response:
        form = await checked_form(request, who)
        return await run_in_threadpool(_endpoint, request, who, agreement_id, form)

    def _endpoint(request: Request, who: Viewer, agreement_id: str, form: dict[str, Any]) -> Response:
        who.require("manage")
        if action is Action.END and form.get("confirm") != "yes":  # ending is final: never on one click
            return _confirm_end_page(request, who, agreement_id)
        # A member signs the terms the page showed them, never a revision amended after it was drawn.
        revision = _seen_revision(form) if action is Action.SIGN else None
        data = {"reason": str(form.get("reason", ""))} if action is Action.DECLINE else None
        try:
            with writing(request.app.state.hub.engine) as conn:
                done = act(conn, agreement_id, action, who.organization, _actor(who), data, revision=revision)
        except NotFound:
            raise
        except RevisionChanged as exc:
            return _agreement_page(request, who, agreement_id, status=exc.status,
                                   flash=gettext_for(who.locale)(TERMS_CHANGED), flash_kind="error")
        except NewsbridgeError as exc:
            return _agreement_page(request, who, agreement_id, status=exc.status, flash=exc.message,
                                   flash_kind="error")
        return _back(agreement_id, "active" if done.status is Status.ACTIVE else DONE[action])

    endpoint.__name__ = f"agreement_{action.value}"
    router.add_api_route(f"/agreements/{{agreement_id}}/{action.value}", endpoint, methods=["POST"])


for _action in BUTTONS:
    _lifecycle(_action)


def _confirm_end_page(request: Request, who: Viewer, agreement_id: str) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        agreement = get_agreement(conn, who.organization, agreement_id)
    return page(request, "agreement_end.html", who, agreement=agreement)


@router.get("/agreements/{agreement_id}/end")
def confirm_end(request: Request, agreement_id: str, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """The confirmation step of "End for good" (the page's dialog shows the same form without a page load)."""
    who.require("manage")
    return _confirm_end_page(request, who, agreement_id)


async def _change_roadmap(request: Request, who: Viewer, agreement_id: str,
                          change: Callable[[Connection, Agreement, dict[str, Any]], object], done: str) -> Response:
    """Roadmap follow-up is for admins of a party itself; a wrong entry shows the page again with why."""
    form = await checked_form(request, who)
    return await run_in_threadpool(_change_roadmap_sync, request, who, agreement_id, change, done, form)


def _change_roadmap_sync(request: Request, who: Viewer, agreement_id: str,
                         change: Callable[[Connection, Agreement, dict[str, Any]], object], done: str,
                         form: dict[str, Any]) -> Response:
    who.require("manage")
    try:
        with writing(request.app.state.hub.engine) as conn:
            # locked: two processes appending evidence to one commitment must not lose one of them
            agreement = get_agreement(conn, who.organization, agreement_id, for_update=True)
            if agreement.party(who.organization.id) is None:
                raise Forbidden("only a party itself can change the roadmap, not its outlets", field="id")
            change(conn, agreement, form)
            measure_if_running(conn, agreement.id)  # a measured commitment shows its figure at once
    except InvalidInput as exc:
        return _agreement_page(request, who, agreement_id, status=exc.status, flash=exc.message, flash_kind="error")
    return _back(agreement_id, done, "#roadmap")


@router.post("/agreements/{agreement_id}/roadmap")
async def add_commitment(request: Request, agreement_id: str, who: Viewer = Depends(viewer)) -> Response:
    def add(conn: Connection, agreement: Agreement, form: dict[str, Any]) -> None:
        spec = {"title": str(form.get("title", "")), "owner": str(form.get("owner", "")) or None,
                "due": str(form.get("due", "")) or None, "notes": str(form.get("notes", ""))}
        add_commitments(conn, agreement.id, [p.id for p in agreement.parties], [spec], who.organization)

    return await _change_roadmap(request, who, agreement_id, add, "added")


@router.post("/agreements/{agreement_id}/roadmap/{commitment_id}")
async def change_commitment(request: Request, agreement_id: str, commitment_id: str,
                            who: Viewer = Depends(viewer)) -> Response:
    def change(conn: Connection, agreement: Agreement, form: dict[str, Any]) -> None:
        changes: dict[str, Any] = {"status": form["status"]} if form.get("status") else {}
        if url := str(form.get("evidence_url", "")).strip():  # evidence is replaced whole: keep what is there
            current = next((c for c in list_commitments(conn, agreement.id) if c.id == commitment_id), None)
            if current is None:
                raise NotFound(f"no commitment {commitment_id!r} in this agreement", field="commitment_id")
            changes["evidence"] = [*current.evidence, {"kind": "url", "ref": url, "note": ""}]
        update_commitment(conn, agreement.id, [p.id for p in agreement.parties], commitment_id, changes,
                          who.organization, _actor(who))

    return await _change_roadmap(request, who, agreement_id, change, "commitment")

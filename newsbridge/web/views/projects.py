"""Joint projects in the desk: the list, a project's board and timeline, a deliverable's drafts.

Every page and form that names a project (or a deliverable, comment, revision of one) answers 404
unless the member's organization takes part in or observes the project (projects.get_project),
exactly like a missing id. The writes go through the same services as the API; a draft saved on
a stale revision answers with the conflict view (both texts and the merge proposal).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.organizations import list_organizations
from newsbridge.db.engine import reading, writing
from newsbridge.errors import DraftConflict, NewsbridgeError, NotFound
from newsbridge.exchange.agreements import get_agreement
from newsbridge.projects.approvals import approve, change_deliverable
from newsbridge.projects.comments import add_comment, resolve_comment
from newsbridge.projects.deliverables import (KINDS, VIDEO_KINDS, Status, add_deliverable, get_deliverable,
                                              move_by_member)
from newsbridge.projects.drafts import DraftContent, get_revision, latest_revision, read_save, save_draft
from newsbridge.projects.projects import Actor, accept_project, create_project, get_project, list_projects
from newsbridge.projects.publication import publish
from newsbridge.projects.reads import mark_seen, member_label, unread_counts, unread_events
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.i18n import N_, gettext_for, ngettext_for, number
from newsbridge.web.views import project_live
from newsbridge.web.project_pages import (BOARD, EVENT_NAMES, KIND_NAMES, MEDIA_KINDS, STATUS_NAMES,
                                          assignable, cards, deliverable_context, event_key, event_words, move_name,
                                          names_of, newest_event_id, recent_events, timeline)

router = APIRouter(include_in_schema=False)
# the live events and the drop zone's attach (project_live.py) are routes of this router, beside these pages
# (taken over as they are, not as an included router: the desk's route checks list one level of routers)
router.routes.extend(project_live.router.routes)
SHOT_ROWS = 3  # empty shot-list rows under a video draft's shots (the page's script adds more)
FLASHES = {
    "created": N_("The project is started: plan its deliverables."),
    "accepted": N_("Your organization takes part in the project."),
    "added": N_("The deliverable is planned."),
    "moved": N_("The status is changed."),
    "assigned": N_("The assignment is saved."),
    "saved": N_("The draft is saved as a new revision."),
    "reset": N_("The draft is saved; the approvals given before were reset and are needed again."),
    "unchanged": N_("Nothing changed: no new revision."),
    "commented": N_("The comment is posted."),
    "resolved": N_("The comment is marked resolved."),
    "reopened": N_("The comment is open again."),
    "approved": N_("Your organization's approval is recorded."),
    "published": N_("Published: the items are in every participant's desk."),
}


def _today(who: Viewer) -> date:
    """The member's day: the timeline's "today" and what is overdue, as the times beside them are shown."""
    return datetime.now(ZoneInfo(who.timezone)).date()


def _actor(who: Viewer) -> Actor:
    return Actor(who.organization, who.member, member_label(who.member, who.organization))


def _flash(request: Request, who: Viewer) -> str | None:
    """Only known messages: a link must not be able to put words on our page."""
    key = request.query_params.get("done", "")
    return gettext_for(who.locale)(FLASHES[key]) if key in FLASHES else None


def _words() -> dict[str, Any]:
    return {"status_names": STATUS_NAMES, "move_name": move_name, "kind_names": KIND_NAMES,
            "media_kinds": MEDIA_KINDS, "names_of": names_of,
            "event_names": EVENT_NAMES, "event_key": event_key, "board": BOARD}


# --- navigation, list, new project ---------------------------------------------------------------------------------

@router.get("/projects/summary")
def summary(request: Request, who: Viewer = Depends(viewer)) -> JSONResponse:
    """The unread project notifications of the member, for the navigation's marker (projects-nav.js)."""
    with reading(request.app.state.hub.engine) as conn:
        count = sum(unread_counts(conn, who.organization, who.member).values())
    label = ngettext_for(who.locale)("%(num)s unread project notification", "%(num)s unread project notifications",
                                     count)
    return JSONResponse({"count": count, "count_text": number(count, who.locale), "label": label},
                        headers={"Cache-Control": "no-store"})


@router.get("/projects")
def project_list(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    today = _today(who)
    with reading(request.app.state.hub.engine) as conn:
        found = list_projects(conn, who.organization)
        unread = unread_counts(conn, who.organization, who.member)
        rows = [(p, cards(conn, p, today)) for p in found]
    return page(request, "projects.html", who, rows=rows, unread=unread, today=today, flash=_flash(request, who),
                **_words())


def _new_context(conn: Any, who: Viewer, agreement_id: str) -> dict[str, Any]:
    agreement = get_agreement(conn, who.organization, agreement_id)
    parties = {p.id for p in agreement.parties}
    choices = [o for o in list_organizations(conn) if o.id in parties or o.parent_id in parties]
    return {"agreement": agreement, "choices": choices}


@router.get("/projects/new")
def new_project(request: Request, agreement: str = "", who: Viewer = Depends(viewer)) -> HTMLResponse:
    """Start a project from an agreement: its participants are chosen among the parties and their outlets."""
    with reading(request.app.state.hub.engine) as conn:
        try:
            context = _new_context(conn, who, agreement)
        except NotFound:
            raise NotFound("choose the agreement on its page: Start a joint project", field="agreement") from None
    return page(request, "project_new.html", who, form={"participants": [who.organization.slug]}, **context)


@router.post("/projects/new")
async def create(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    multi = await request.form()
    who.require("publish")
    extra = [x.strip() for x in str(form.get("other_languages", "")).split(",") if x.strip()]
    data = {"title": form.get("title", ""), "description": form.get("description", ""),
            "agreement": form.get("agreement", ""), "participants": [str(v) for v in multi.getlist("participants")],
            "languages": list(dict.fromkeys([*(str(v) for v in multi.getlist("languages")), *extra])),
            "starts": form.get("starts") or None, "ends": form.get("ends") or None,
            "lead": form.get("lead") or None, "share_with_partners": form.get("share") == "on"}

    def run() -> Response:
        with writing(request.app.state.hub.engine) as conn:
            try:
                made = create_project(conn, _actor(who), data)
            except NewsbridgeError as exc:
                failed = exc
            else:
                return RedirectResponse(f"/projects/{made.id}?done=created", status_code=303)
        with reading(request.app.state.hub.engine) as conn:
            context = _new_context(conn, who, str(data["agreement"]))
        return page(request, "project_new.html", who, status=failed.status, flash=failed.message,
                    flash_kind="error", form=data, **context)

    return await run_in_threadpool(run)


# --- a project: board, timeline, planning ---------------------------------------------------------------------------

def _project_page(request: Request, who: Viewer, project_id: str, status: int = 200, **extra: Any) -> HTMLResponse:
    today = _today(who)
    org, lang = request.query_params.get("organization", ""), request.query_params.get("language", "")
    with writing(request.app.state.hub.engine) as conn:
        project = get_project(conn, who.organization, project_id)
        unread = {e.id for e in unread_events(conn, who.organization, who.member, project.id)}
        mark_seen(conn, who.member, project.id)
        found = cards(conn, project, today, org, lang)
        everything = found if not (org or lang) else cards(conn, project, today)
        context = {"project": project, "cards": found, "timeline": timeline(found, today),
                   "dropped": [c for c in found if c.deliverable.status == Status.DROPPED],
                   "events": recent_events(conn, project), "newest_event": newest_event_id(conn, project),
                   "unread": unread, "people": assignable(conn, project),
                   "filter_org": org, "filter_lang": lang, "kinds": KINDS, "today": today}
    titles = {c.deliverable.id: c.deliverable.title for c in everything}
    side = project.side(who.organization)
    return page(request, "project.html", who, status=status, **_words(),
                participant=side is not None and side.role == "participant" and who.may("publish"),
                event_text=lambda e: event_words(e, titles), **{"flash": _flash(request, who), **context, **extra})


@router.get("/projects/{project_id}")
def project_page(request: Request, project_id: str, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return _project_page(request, who, project_id)


async def _project_write(request: Request, who: Viewer, project_id: str, deliverable_id: str | None,
                         work: Any, done: str, back: str | None = None) -> Response:
    """Run ``work(conn, project, deliverable, form)`` in a write transaction, then back to the page
    (``back``, else the project's) with the flash ``done`` (or the key ``work`` returns); the page
    again with the service's message when it refuses. A project the member does not see: 404 first."""
    form = await checked_form(request, who)

    def run() -> Response:
        with writing(request.app.state.hub.engine) as conn:
            project = get_project(conn, who.organization, project_id, for_update=True)
            deliverable = get_deliverable(conn, project, deliverable_id) if deliverable_id else None
            who.require("publish")
            try:
                outcome = work(conn, project, deliverable, form)
            except NewsbridgeError as exc:
                failed = exc
            else:
                request.app.state.hub.signal.notify()  # the project's open pages hear of it now
                target = back or f"/projects/{project_id}"
                key = outcome if isinstance(outcome, str) else done
                return RedirectResponse(f"{target}{'&' if '?' in target else '?'}done={key}", status_code=303)
        if back:
            return _deliverable_page(request, who, project_id, deliverable_id or "", status=failed.status,
                                     flash=failed.message, flash_kind="error")
        return _project_page(request, who, project_id, status=failed.status, flash=failed.message,
                             flash_kind="error")

    return await run_in_threadpool(run)


@router.post("/projects/{project_id}/accept")
async def accept(request: Request, project_id: str, who: Viewer = Depends(viewer)) -> Response:
    """A participant of a project made without an agreement takes part (active once all did)."""
    def work(conn: Any, project: Any, _d: Any, form: dict[str, Any]) -> None:
        accept_project(conn, project.id, _actor(who))

    return await _project_write(request, who, project_id, None, work, "accepted")


@router.post("/projects/{project_id}/deliverables")
async def plan(request: Request, project_id: str, who: Viewer = Depends(viewer)) -> Response:
    multi = await request.form()

    def work(conn: Any, project: Any, _d: Any, form: dict[str, Any]) -> None:
        data: dict[str, Any] = {"title": form.get("title", ""), "kind": form.get("kind"),
                                "due": form.get("due") or None}
        if languages := [str(v) for v in multi.getlist("languages")]:
            data["languages"] = languages
            data["source_language"] = form.get("source_language") or languages[0]
        if form.get("assignee"):
            data["assignee"] = form["assignee"]
            data["assignee_member"] = form.get("assignee_member") or None
        add_deliverable(conn, project, _actor(who), data)

    return await _project_write(request, who, project_id, None, work, "added")


def _back_to(project_id: str, deliverable_id: str, form: dict[str, Any]) -> str | None:
    return f"/projects/{project_id}/deliverables/{deliverable_id}" if form.get("back") == "deliverable" else None


@router.post("/projects/{project_id}/deliverables/{deliverable_id}/status")
async def move_status(request: Request, project_id: str, deliverable_id: str,
                      who: Viewer = Depends(viewer)) -> Response:
    form = dict(await request.form())

    def work(conn: Any, project: Any, d: Any, form: dict[str, Any]) -> None:
        move_by_member(conn, project, d, _actor(who), {"to": form.get("to")})

    return await _project_write(request, who, project_id, deliverable_id, work, "moved",
                                _back_to(project_id, deliverable_id, form))


@router.post("/projects/{project_id}/deliverables/{deliverable_id}/assign")
async def assign(request: Request, project_id: str, deliverable_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = dict(await request.form())

    def work(conn: Any, project: Any, d: Any, form: dict[str, Any]) -> None:
        slug, _, email = str(form.get("assignee", "")).partition(" ")  # "irna" or "irna reza@irna.ir"
        data: dict[str, Any] = {"assignee": slug or None, "assignee_member": email or None}
        if "due" in form:
            data["due"] = form.get("due") or None
        change_deliverable(conn, project, d, _actor(who), data)

    return await _project_write(request, who, project_id, deliverable_id, work, "assigned",
                                _back_to(project_id, deliverable_id, form))


# --- a deliverable: drafts, revisions, comments, approvals, publication -----------------------------------------------

def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else None  # not '²'


def _deliverable_page(request: Request, who: Viewer, project_id: str, deliverable_id: str, status: int = 200,
                      language: str | None = None, **extra: Any) -> HTMLResponse:
    params = request.query_params
    with reading(request.app.state.hub.engine) as conn:
        project = get_project(conn, who.organization, project_id)
        d = get_deliverable(conn, project, deliverable_id)
        lang = language or params.get("language") or d.source_language
        if lang not in d.languages:
            lang = d.source_language
        context = deliverable_context(conn, who, project, d, lang, _int(params.get("from")), _int(params.get("to")),
                                      _today(who))
    latest = context["latest"]
    context["shot_rows"] = (list(latest.content.shot_list) if latest else []) + [{}] * SHOT_ROWS
    return page(request, "project_deliverable.html", who, status=status, **_words(),
                **{"flash": _flash(request, who), **context, **extra})


@router.get("/projects/{project_id}/deliverables/{deliverable_id}")
def deliverable_page(request: Request, project_id: str, deliverable_id: str,
                     who: Viewer = Depends(viewer)) -> HTMLResponse:
    return _deliverable_page(request, who, project_id, deliverable_id)


def _draft_body(form: dict[str, Any], multi: Any, video: bool) -> dict[str, Any]:
    """The API's PUT body from the editor's form (shots as rows, media kept by id, uploads by id)."""
    data: dict[str, Any] = {"headline": form.get("headline", ""), "lead": form.get("lead", ""),
                            "body_html": form.get("body_html", ""),
                            "base_revision": _int(str(form.get("base_revision", ""))) or 0}
    if video:
        starts, ends, texts = (multi.getlist(n) for n in ("shot_start", "shot_end", "shot_text"))
        data["shot_list"] = [{"description": str(t), **({"start": str(s)} if s else {}),
                              **({"end": str(e)} if e else {})}
                             for s, e, t in zip(starts, ends, texts) if str(t).strip()]
    data["media"] = [{"media": str(m)} for m in multi.getlist("keep_media")] + \
                    [{"upload": str(u).strip()} for u in multi.getlist("upload") if str(u).strip()]
    return data


@router.post("/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}")
async def save(request: Request, project_id: str, deliverable_id: str, language: str,
               who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    multi = await request.form()
    engine = request.app.state.hub.engine
    back = f"/projects/{project_id}/deliverables/{deliverable_id}?language={language}"

    def run() -> Response:
        with reading(engine) as conn:
            project = get_project(conn, who.organization, project_id)
            d = get_deliverable(conn, project, deliverable_id)
            if language not in d.languages:
                raise NotFound(f"the deliverable has no {language} version", field="language")
        who.require("publish")
        data = _draft_body(form, multi, d.kind in VIDEO_KINDS)
        try:
            prepared = read_save(engine, who.organization, d.kind, data)
            with writing(engine) as conn:
                project = get_project(conn, who.organization, project_id, for_update=True)
                current = get_deliverable(conn, project, deliverable_id)
                before = latest_revision(conn, current.id, language)
                revision, reset = save_draft(conn, project, current, language, _actor(who), prepared)
        except DraftConflict as conflict:
            return _conflict_page(request, who, project_id, deliverable_id, language, conflict)
        except NewsbridgeError as exc:
            return _deliverable_page(request, who, project_id, deliverable_id, status=exc.status, language=language,
                                     flash=exc.message, flash_kind="error")
        request.app.state.hub.signal.notify()
        done = "unchanged" if before is not None and revision.number == before.number else \
            "reset" if reset else "saved"
        return RedirectResponse(f"{back}&done={done}", status_code=303)

    return await run_in_threadpool(run)


def _conflict_page(request: Request, who: Viewer, project_id: str, deliverable_id: str, language: str,
                   conflict: DraftConflict) -> HTMLResponse:
    """Both texts, who changed the draft and when, and the merge proposal to take (editable) or not (409)."""
    with reading(request.app.state.hub.engine) as conn:
        project = get_project(conn, who.organization, project_id)
        d = get_deliverable(conn, project, deliverable_id)
    details: dict[str, Any] = dict(conflict.details)
    theirs = DraftContent(**{k: v for k, v in details["theirs"].items() if k in ("headline", "lead", "body_html")})
    return page(request, "project_conflict.html", who, status=409, project=project, d=d, language=language,
                details=details, theirs=theirs, yours=details["yours"], merge=details["merge"],
                changed_at=datetime.fromisoformat(str(details["changed_at"])), **_words())


@router.post("/projects/{project_id}/deliverables/{deliverable_id}/comments")
async def comment(request: Request, project_id: str, deliverable_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = dict(await request.form())
    language = str(form.get("language", ""))

    def work(conn: Any, project: Any, d: Any, form: dict[str, Any]) -> None:
        revision = _int(str(form.get("revision", ""))) or 0
        get_revision(conn, d, language, revision)
        add_comment(conn, project, d, language, revision, _actor(who),
                    {"body": form.get("body", ""), "parent": form.get("parent") or None})

    back = f"/projects/{project_id}/deliverables/{deliverable_id}?language={language}"
    return await _project_write(request, who, project_id, deliverable_id, work, "commented", back)


@router.post("/projects/{project_id}/deliverables/{deliverable_id}/comments/{comment_id}/resolve")
async def resolve(request: Request, project_id: str, deliverable_id: str, comment_id: str,
                  who: Viewer = Depends(viewer)) -> Response:
    form = dict(await request.form())

    def work(conn: Any, project: Any, d: Any, form: dict[str, Any]) -> str:
        again = form.get("reopen") == "yes"
        resolve_comment(conn, project, d, comment_id, _actor(who), resolved=not again)
        return "reopened" if again else "resolved"

    back = f"/projects/{project_id}/deliverables/{deliverable_id}?language={form.get('language', '')}"
    return await _project_write(request, who, project_id, deliverable_id, work, "resolved", back)


@router.post("/projects/{project_id}/deliverables/{deliverable_id}/approve")
async def approve_it(request: Request, project_id: str, deliverable_id: str,
                     who: Viewer = Depends(viewer)) -> Response:
    def work(conn: Any, project: Any, d: Any, form: dict[str, Any]) -> None:
        approve(conn, project, d, _actor(who))

    back = f"/projects/{project_id}/deliverables/{deliverable_id}?language="
    return await _project_write(request, who, project_id, deliverable_id, work, "approved", back)


@router.post("/projects/{project_id}/deliverables/{deliverable_id}/publish")
async def publish_it(request: Request, project_id: str, deliverable_id: str,
                     who: Viewer = Depends(viewer)) -> Response:
    await checked_form(request, who)
    hub = request.app.state.hub
    back = f"/projects/{project_id}/deliverables/{deliverable_id}"

    def run() -> Response:
        with reading(hub.engine) as conn:  # a stranger's id: 404 before anything else
            project = get_project(conn, who.organization, project_id)
            get_deliverable(conn, project, deliverable_id)
        who.require("publish")
        try:
            publish(hub.engine, hub.ingestor, project_id, deliverable_id, _actor(who))
        except NewsbridgeError as exc:
            return _deliverable_page(request, who, project_id, deliverable_id, status=exc.status,
                                     flash=exc.message, flash_kind="error")
        hub.signal.notify()
        return RedirectResponse(f"{back}?done=published", status_code=303)

    return await run_in_threadpool(run)

"""``/api/v1/projects``: joint projects, their deliverables, shared drafts, comments, approvals, publication.

Every route answers 404 for a project the caller's organization neither takes part in nor
observes, whatever follows in the path. Writes need the ``publish`` scope, reads ``read``. A write
may name the member acting (``"member": "e-mail"`` of the key's organization): revisions and
comments are signed with their name, and approval and publication need an editor or admin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import Hub, caller, hub, json_body
from newsbridge.db.engine import reading, writing
from newsbridge.errors import DraftConflict, InvalidInput, NotFound
from newsbridge.projects.approvals import approval_state, approve, change_deliverable as change_planned
from newsbridge.projects.comments import add_comment, list_comments, resolve_comment
from newsbridge.projects.deliverables import (Deliverable, add_deliverable, get_deliverable, list_deliverables,
                                              move_by_member)
from newsbridge.projects.drafts import (diff_revisions, draft_json, get_revision, latest_numbers, latest_revision,
                                        list_revisions, read_save, save_draft)
from newsbridge.projects.events import list_events
from newsbridge.projects.projects import (Actor, Project, accept_project, actor_for, body_object, create_project,
                                          get_project, invite_observer, list_projects)
from newsbridge.projects.publication import credit_line, list_publications, publications, publish

router = APIRouter(prefix="/api/v1", tags=["projects"])

_PROJECT_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "required": ["title", "languages"]},
    "example": {"title": "Silk Way: Kazakhstan and Iran", "description": "A documentary series on cultural ties",
                "agreement": "01J...", "participants": ["krtc", "irna"], "lead": "krtc", "languages": ["kk", "fa"],
                "starts": "2026-03-01", "ends": "2026-12-31", "observers": [], "share_with_partners": False}}}}}
_DELIVERABLE_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "required": ["title", "kind"]},
    "example": {"title": "Episode 1: The caravan roads", "kind": "documentary_episode", "assignee": "krtc",
                "assignee_member": "editor@krtc.kz", "due": "2026-05-01", "languages": ["kk", "fa"],
                "source_language": "kk"}}}}}
_DRAFT_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object"},
    "example": {"headline": "Керуен жолдары", "lead": "...", "body_html": "<p>...</p>",
                "shot_list": [{"start": "00:00:05", "end": "00:00:20", "description": "Caravanserai at dawn"}],
                "media": [{"upload": "01J..."}], "base_revision": 3, "member": "editor@krtc.kz"}}}}}


def _actor(conn: Connection, principal: Principal, data: Any) -> Actor:
    email = data.get("member") if isinstance(data, dict) else None
    return actor_for(conn, principal.organization, email, f"api key {principal.key_id}")


def revision_number(text: str) -> int:
    """A revision number from the path; anything else names no revision (404, like a missing one)."""
    if not text.isdigit() or len(text) > 9:
        raise NotFound(f"no revision {text!r}", field="revision")
    return int(text)


async def _body(request: Request) -> Any:
    return await json_body(request) if (await request.body()).strip() else {}


def deliverable_json(conn: Connection, project: Project, d: Deliverable, today: date) -> dict[str, Any]:
    numbers = latest_numbers(conn, d.id)
    drafts = {}
    for lang in d.languages:
        latest = latest_revision(conn, d.id, lang) if lang in numbers else None
        source = numbers.get(d.source_language)
        drafts[lang] = None if latest is None else {
            "revision": latest.number, "author": latest.author, "saved_at": latest.created_at.isoformat(),
            "source_changed": lang != d.source_language and source is not None
            and (latest.source_revision or 0) < source}
    return {"id": d.id, "project": d.project_id, "title": d.title, "kind": d.kind, "status": d.status.value,
            "assignee": d.assignee, "assignee_member": d.assignee_member,
            "due": d.due.isoformat() if d.due else None, "overdue": d.overdue(today),
            "languages": list(d.languages), "source_language": d.source_language, "drafts": drafts,
            **approval_state(conn, project, d), "published_items": list_publications(conn, d.id),
            "publications": [p.to_json() for p in publications(conn, d.id)],
            "published_at": d.published_at.isoformat() if d.published_at else None,
            "created_at": d.created_at.isoformat(), "updated_at": d.updated_at.isoformat()}


def project_json(conn: Connection, project: Project, *, full: bool = True) -> dict[str, Any]:
    today = date.today()
    items = list_deliverables(conn, project.id)
    body: dict[str, Any] = {
        "id": project.id, "title": project.title, "description": project.description,
        "agreement": project.agreement_id, "status": project.status, "lead": project.lead.slug,
        "participants": [{"slug": o.slug, "name": o.name, "lead": o.lead, "accepted": o.accepted_at is not None,
                          "accepted_at": o.accepted_at.isoformat() if o.accepted_at else None}
                         for o in project.participants],
        "observers": [o.slug for o in project.organizations if o.role == "observer"],
        "languages": list(project.languages), "starts": project.starts.isoformat() if project.starts else None,
        "ends": project.ends.isoformat() if project.ends else None,
        "share_with_partners": project.share_with_partners, "credit_line": credit_line(project),
        "progress": {"done": sum(d.published_at is not None for d in items),  # a correction in review still counts
                     "total": sum(d.status.value != "dropped" for d in items),
                     "overdue": sum(d.overdue(today) for d in items)},
        "created_at": project.created_at.isoformat(), "updated_at": project.updated_at.isoformat()}
    if full:
        body["deliverables"] = [deliverable_json(conn, project, d, today) for d in items]
    return body


# --- projects ------------------------------------------------------------------------------------------------------

@router.post("/projects", status_code=201, openapi_extra=_PROJECT_BODY, summary="Start a joint project")
async def create(request: Request, principal: Principal = Depends(caller("publish")),
                 the_hub: Hub = Depends(hub)) -> JSONResponse:
    """Under an active agreement (`agreement`; `participants`: some of its parties or their outlets, all by
    default) it is active at once; with `participants` alone it waits until each of them accepts."""
    data = await json_body(request)
    return await run_in_threadpool(_create, the_hub, principal, data)


def _create(the_hub: Hub, principal: Principal, data: Any) -> JSONResponse:
    with writing(the_hub.engine) as conn:
        project = create_project(conn, _actor(conn, principal, data), data)
        body = project_json(conn, project)
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/v1/projects/{project.id}"})


@router.get("/projects", summary="The projects your organization takes part in or observes")
def index(principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return {"projects": [project_json(conn, p, full=False) for p in list_projects(conn, principal.organization)]}


@router.get("/projects/{project_id}", summary="One project: participants, plan of deliverables, progress")
def show(project_id: str, principal: Principal = Depends(caller("read")),
         the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return project_json(conn, get_project(conn, principal.organization, project_id))


@router.post("/projects/{project_id}:accept", summary="Accept taking part (active once every participant did)")
async def accept(project_id: str, request: Request, principal: Principal = Depends(caller("publish")),
                 the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    data = await _body(request)

    def run() -> dict[str, Any]:
        with writing(the_hub.engine) as conn:
            return project_json(conn, accept_project(conn, project_id, _actor(conn, principal, data)))

    return await run_in_threadpool(run)


@router.post("/projects/{project_id}/observers", summary="Invite an agreement party to read along (read-only)")
async def observers(project_id: str, request: Request, principal: Principal = Depends(caller("publish")),
                    the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Body: `{"organization": "slug"}`, a party of the project's agreement that does not take part."""
    data = await json_body(request)

    def run() -> dict[str, Any]:
        with writing(the_hub.engine) as conn:
            return project_json(conn, invite_observer(conn, project_id, _actor(conn, principal, data), data))

    return await run_in_threadpool(run)


@router.get("/projects/{project_id}/events", summary="What happened in the project (notifications), oldest first")
def events(project_id: str, after: int = Query(0, ge=0, le=2**62, description="Only events after this event id"),
           limit: int = Query(200, ge=1, le=1000), principal: Principal = Depends(caller("read")),
           the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        get_project(conn, principal.organization, project_id)
        found = list_events(conn, project_id, after, limit)
    return {"events": [e.to_json() for e in found], "after": found[-1].id if found else after}


# --- deliverables --------------------------------------------------------------------------------------------------

@router.post("/projects/{project_id}/deliverables", status_code=201, openapi_extra=_DELIVERABLE_BODY,
             summary="Plan a deliverable (article, photo_set, video_report, documentary_episode, series_part)")
async def create_deliverable(project_id: str, request: Request, principal: Principal = Depends(caller("publish")),
                             the_hub: Hub = Depends(hub)) -> JSONResponse:
    data = await json_body(request)

    def run() -> JSONResponse:
        with writing(the_hub.engine) as conn:
            project = get_project(conn, principal.organization, project_id, for_update=True)
            made = add_deliverable(conn, project, _actor(conn, principal, data), data)
            body = deliverable_json(conn, project, made, date.today())
        return JSONResponse(body, status_code=201,
                            headers={"Location": f"/api/v1/projects/{project_id}/deliverables/{made.id}"})

    return await run_in_threadpool(run)


@router.get("/projects/{project_id}/deliverables/{deliverable_id}",
            summary="One deliverable: status, assignee, drafts per language, approvals, published items")
def show_deliverable(project_id: str, deliverable_id: str, principal: Principal = Depends(caller("read")),
                     the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        project = get_project(conn, principal.organization, project_id)
        return deliverable_json(conn, project, get_deliverable(conn, project, deliverable_id), date.today())


async def _act_on_deliverable(the_hub: Hub, principal: Principal, project_id: str, deliverable_id: str,
                              act: Callable[[Connection, Project, Deliverable], Deliverable]) -> dict[str, Any]:
    """Lock the project, find the deliverable, ``act`` on it in one write, and answer the deliverable as it is now."""
    def run() -> dict[str, Any]:
        with writing(the_hub.engine) as conn:
            project = get_project(conn, principal.organization, project_id, for_update=True)
            done = act(conn, project, get_deliverable(conn, project, deliverable_id))
            return deliverable_json(conn, project, done, date.today())

    return await run_in_threadpool(run)


@router.patch("/projects/{project_id}/deliverables/{deliverable_id}",
              summary="Change title, due day, languages or assignee (assigning an idea makes it assigned)")
async def change_deliverable(project_id: str, deliverable_id: str, request: Request,
                             principal: Principal = Depends(caller("publish")),
                             the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    data = await json_body(request)
    return await _act_on_deliverable(the_hub, principal, project_id, deliverable_id, lambda conn, project, found: (
        change_planned(conn, project, found, _actor(conn, principal, data), data)))


@router.post("/projects/{project_id}/deliverables/{deliverable_id}:move",
             summary="Move the status by hand: {\"to\": \"in_review\"} (the transitions of docs/projects.md)")
async def move_deliverable(project_id: str, deliverable_id: str, request: Request,
                           principal: Principal = Depends(caller("publish")),
                           the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    data = await json_body(request)
    return await _act_on_deliverable(the_hub, principal, project_id, deliverable_id, lambda conn, project, found: (
        move_by_member(conn, project, found, _actor(conn, principal, data), data)))


@router.post("/projects/{project_id}/deliverables/{deliverable_id}:approve",
             summary="Approve for your organization (an editor or admin: {\"member\": \"e-mail\"})")
async def approve_deliverable(project_id: str, deliverable_id: str, request: Request,
                              principal: Principal = Depends(caller("publish")),
                              the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    data = await _body(request)
    return await _act_on_deliverable(the_hub, principal, project_id, deliverable_id, lambda conn, project, found: (
        approve(conn, project, found, _actor(conn, principal, body_object(data)))))


@router.post("/projects/{project_id}/deliverables/{deliverable_id}:publish",
             summary="Publish an approved deliverable jointly: one item per language, to every co-producer; "
                     "once published, a correction approved again by all (new versions of the changed items)")
async def publish_deliverable(project_id: str, deliverable_id: str, request: Request,
                              principal: Principal = Depends(caller("publish")),
                              the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    data = await _body(request)

    def run() -> dict[str, Any]:
        with reading(the_hub.engine) as conn:
            actor = _actor(conn, principal, body_object(data))
        return publish(the_hub.engine, the_hub.ingestor, project_id, deliverable_id, actor).to_json()

    return await run_in_threadpool(run)


# --- drafts, revisions, comments -----------------------------------------------------------------------------------

def _deliverable(conn: Connection, principal: Principal, project_id: str, deliverable_id: str,
                 for_update: bool = False) -> tuple[Project, Deliverable]:
    project = get_project(conn, principal.organization, project_id, for_update=for_update)
    return project, get_deliverable(conn, project, deliverable_id)


@router.get("/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}",
            summary="The newest revision of the draft in one language (translations: source_changed)")
def show_draft(project_id: str, deliverable_id: str, language: str, principal: Principal = Depends(caller("read")),
               the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        _project, deliverable = _deliverable(conn, principal, project_id, deliverable_id)
        return draft_json(conn, deliverable, language)


@router.put("/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}", openapi_extra=_DRAFT_BODY,
            summary="Save the draft as a new revision; 409 draft_conflict when base_revision is not the newest")
async def put_draft(project_id: str, deliverable_id: str, language: str, request: Request,
                    principal: Principal = Depends(caller("publish")), the_hub: Hub = Depends(hub)) -> JSONResponse:
    data = await json_body(request)
    return await run_in_threadpool(_put_draft, the_hub, principal, project_id, deliverable_id, language, data)


def _put_draft(the_hub: Hub, principal: Principal, project_id: str, deliverable_id: str, language: str,
               data: Any) -> JSONResponse:
    with reading(the_hub.engine) as conn:
        _project, deliverable = _deliverable(conn, principal, project_id, deliverable_id)
    save = read_save(the_hub.engine, principal.organization, deliverable.kind, data)  # media: own transactions
    try:
        with writing(the_hub.engine) as conn:
            project, deliverable = _deliverable(conn, principal, project_id, deliverable_id, for_update=True)
            revision, reset = save_draft(conn, project, deliverable, language,
                                         _actor(conn, principal, body_object(data)), save)
            body = {**draft_json(conn, deliverable, language), "approvals_reset": reset}
    except DraftConflict as exc:
        return JSONResponse(exc.to_dict(), status_code=exc.status)
    return JSONResponse(body)


@router.get("/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}/revisions",
            summary="Every revision of the draft, oldest first (author, time, content)")
def revisions(project_id: str, deliverable_id: str, language: str, principal: Principal = Depends(caller("read")),
              the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        _project, deliverable = _deliverable(conn, principal, project_id, deliverable_id)
        return {"revisions": [r.to_json() for r in list_revisions(conn, deliverable, language)]}


@router.get("/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}/revisions/{number}",
            summary="One revision of the draft")
def revision(project_id: str, deliverable_id: str, language: str, number: str,
             principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        _project, deliverable = _deliverable(conn, principal, project_id, deliverable_id)
        return get_revision(conn, deliverable, language, revision_number(number)).to_json()


@router.get("/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}/diff",
            summary="Word diff between two revisions (runs of equal, delete and insert per field)")
def diff(project_id: str, deliverable_id: str, language: str,
         from_: int | None = Query(None, alias="from", ge=1, le=10**9,
                                   description="The older revision (default: to - 1)"),
         to: int | None = Query(None, ge=1, le=10**9, description="The newer revision (default: the newest)"),
         principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        _project, deliverable = _deliverable(conn, principal, project_id, deliverable_id)
        newest = latest_numbers(conn, deliverable.id).get(language, 0) if to is None else to
        older, newer = (get_revision(conn, deliverable, language, n)
                        for n in (max(newest - 1, 1) if from_ is None else from_, newest))
        return diff_revisions(older, newer)


@router.get("/projects/{project_id}/deliverables/{deliverable_id}/comments",
            summary="The comment threads of every draft of the deliverable")
def comments(project_id: str, deliverable_id: str,
             language: str | None = Query(None, description="Only the threads on this language's draft"),
             principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        _project, deliverable = _deliverable(conn, principal, project_id, deliverable_id)
        return {"comments": [c.to_json() for c in list_comments(conn, deliverable, language)]}


@router.post("/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}/revisions/{number}/comments",
             status_code=201, summary="Comment on a revision ({\"body\", \"parent\"}; @member mentions)")
async def comment(project_id: str, deliverable_id: str, language: str, number: str, request: Request,
                  principal: Principal = Depends(caller("publish")), the_hub: Hub = Depends(hub)) -> JSONResponse:
    data = await json_body(request)

    def run() -> JSONResponse:
        with writing(the_hub.engine) as conn:
            project, deliverable = _deliverable(conn, principal, project_id, deliverable_id, for_update=True)
            made = add_comment(conn, project, deliverable, language, revision_number(number),
                               _actor(conn, principal, body_object(data)), data)
            return JSONResponse(made.to_json(), status_code=201)

    return await run_in_threadpool(run)


@router.post("/projects/{project_id}/deliverables/{deliverable_id}/comments/{comment_id}:resolve",
             summary="Resolve a comment thread ({\"resolved\": false} opens it again)")
async def resolve(project_id: str, deliverable_id: str, comment_id: str, request: Request,
                  principal: Principal = Depends(caller("publish")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    data = body_object(await _body(request))
    resolved = data.get("resolved", True)
    if not isinstance(resolved, bool):
        raise InvalidInput("resolved is true or false", field="resolved")

    def run() -> dict[str, Any]:
        with writing(the_hub.engine) as conn:
            project, deliverable = _deliverable(conn, principal, project_id, deliverable_id, for_update=True)
            return resolve_comment(conn, project, deliverable, comment_id, _actor(conn, principal, data),
                                   resolved).to_json()

    return await run_in_threadpool(run)

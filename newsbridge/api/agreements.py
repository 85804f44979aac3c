"""``/api/v1/agreements``: exchange agreements, their lifecycle, history and roadmap."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from sqlalchemy.engine import Connection

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import Hub, caller, hub, json_body
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import organizations
from newsbridge.exchange.agreements import (Agreement, act, create_agreement, get_agreement, history, list_agreements,
                                            read_revision)
from newsbridge.errors import Forbidden
from newsbridge.exchange.lifecycle import Action
from newsbridge.exchange.roadmap import Commitment, add_commitments, list_commitments, progress, update_commitment
from newsbridge.metrics.indicators import measure_if_running
from newsbridge.vocab.mediatopics import vocabulary

router = APIRouter(prefix="/api/v1", tags=["agreements"])

_AGREEMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "required": ["title", "parties", "terms"]},
                                         "example": {
            "title": "Kazinform-IRNA news exchange", "parties": ["krtc", "irna"],
            "valid_from": "2026-01-01", "valid_until": "2028-12-31",
            "terms": [{"from": "krtc", "topics": ["medtop:11000000", "medtop:04000000"], "languages": ["en", "ru"],
                       "types": ["text"], "outlets": ["kazinform"], "delay_minutes": 0,
                       "credit_line": "{source} via Newsbridge", "usage_terms": "Republication with credit.",
                       "allow_translation": True, "allow_republication": True,
                       "media": {"types": ["picture", "video"], "allow_gps": False,
                                 "partners": {"irna": {"max_resolution": 1080}}}},
                      {"from": "irna", "topics": ["medtop:11000000"], "languages": ["en", "fa"]}],
            "targets": {"balance": 0.5, "topic_coverage": 0.8, "same_day_share": 0.6, "pickup_rate": None,
                        "volume_not_falling": True},
            "roadmap": [{"title": "Exchange news daily", "owner": "irna", "due": "2026-06-30", "status": "planned"},
                        {"title": "At least 30 items a week from IRNA to the Complex", "owner": "irna",
                         "indicator": {"kind": "items_per_period", "from": "irna", "to": "krtc", "at_least": 30,
                                       "per": "week"}}]}}},
    }
}


def _slugs(conn: Connection) -> dict[str, str]:
    return {r.id: r.slug for r in conn.execute(sa.select(organizations.c.id, organizations.c.slug))}


def commitment_json(c: Commitment) -> dict[str, Any]:
    return {"id": c.id, "position": c.position, "title": c.title, "owner": c.owner,
            "due": c.due.isoformat() if c.due else None, "status": c.status.value, "notes": c.notes,
            "evidence": list(c.evidence), "updated_at": c.updated_at.isoformat(),
            "indicator": dict(c.indicator) if c.indicator else None, "measure": dict(c.measure) if c.measure else None,
            "measured_at": c.measured_at.isoformat() if c.measured_at else None}


def roadmap_json(items: list[Commitment]) -> dict[str, Any]:
    done = progress(items, date.today())
    return {"progress": {"percent": done.percent, "done": done.done, "counted": done.counted,
                         "overdue": done.overdue, "by_status": done.by_status},
            "commitments": [commitment_json(c) for c in items]}


def agreement_json(conn: Connection, agreement: Agreement) -> dict[str, Any]:
    slugs, topics = _slugs(conn), vocabulary()
    return {
        "id": agreement.id,
        "title": agreement.title,
        "status": agreement.status.value,
        "valid_from": agreement.valid_from.isoformat() if agreement.valid_from else None,
        "valid_until": agreement.valid_until.isoformat() if agreement.valid_until else None,
        "terms_revision": agreement.terms_revision,
        "parties": [{"slug": p.slug, "name": p.name, "signed": p.signed,
                     "signed_at": p.signed_at.isoformat() if p.signed_at else None, "signed_by": p.signed_by}
                    for p in agreement.parties],
        "terms": [{**t.to_json(), "from": slugs[t.from_id], "outlets": [slugs[o] for o in t.outlets],
                   "media": t.media.to_json(slugs),
                   "topic_labels": {q: topics[q].label for q in t.topics if q in topics}} for t in agreement.terms],
        "targets": agreement.targets.to_json(),
        "roadmap": roadmap_json(list_commitments(conn, agreement.id)),
        "created_by": slugs.get(agreement.created_by),
        "created_at": agreement.created_at.isoformat(),
        "updated_at": agreement.updated_at.isoformat(),
    }


def _actor(principal: Principal) -> str:
    return f"api key {principal.key_id}"


@router.post("/agreements", status_code=201, openapi_extra=_AGREEMENT_BODY, summary="Draft a new agreement")
async def create(request: Request, principal: Principal = Depends(caller("manage")),
                 the_hub: Hub = Depends(hub)) -> JSONResponse:
    """Create a draft between your organization and partners; propose it, then every party signs."""
    data = await json_body(request)
    return await run_in_threadpool(_create, the_hub, principal, data)


def _create(the_hub: Hub, principal: Principal, data: Any) -> JSONResponse:
    with writing(the_hub.engine) as conn:
        agreement = create_agreement(conn, principal.organization, _actor(principal), data)
        body = agreement_json(conn, agreement)
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/v1/agreements/{agreement.id}"})


@router.get("/agreements", summary="Agreements your organization (or its holding) is party to")
def index(principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return {"agreements": [agreement_json(conn, a) for a in list_agreements(conn, principal.organization)]}


@router.get("/agreements/{agreement_id}", summary="One agreement: status, parties and signatures, terms, roadmap")
def show(agreement_id: str, principal: Principal = Depends(caller("read")),
         the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return agreement_json(conn, get_agreement(conn, principal.organization, agreement_id))


@router.get("/agreements/{agreement_id}/history", summary="Every change: action, organization, who, when")
def changes(agreement_id: str, principal: Principal = Depends(caller("read")),
            the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        get_agreement(conn, principal.organization, agreement_id)
        events = history(conn, agreement_id)
    return {"events": [{"action": e.action, "organization": e.organization, "actor": e.actor,
                        "from_status": e.from_status, "to_status": e.to_status, "details": e.details,
                        "at": e.at.isoformat()} for e in events]}


_SIGN_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {
            "schema": {"type": "object", "properties": {"revision": {"type": "integer", "minimum": 1}}},
            "example": {"revision": 2}}},
    }
}


async def _optional_body(request: Request) -> Any:
    return await json_body(request) if (await request.body()).strip() else None


def _lifecycle(action: Action, summary: str, *, body: str = "none") -> None:
    """``body``: "none", "optional" (sign: ``{"revision": N}``) or "agreement" (amend)."""

    async def endpoint(agreement_id: str, request: Request, principal: Principal = Depends(caller("manage")),
                       the_hub: Hub = Depends(hub)) -> dict[str, Any]:
        data = await json_body(request) if body == "agreement" else \
            await _optional_body(request) if body == "optional" else None
        return await run_in_threadpool(_endpoint, the_hub, principal, agreement_id, data)

    def _endpoint(the_hub: Hub, principal: Principal, agreement_id: str, data: Any) -> dict[str, Any]:
        revision = read_revision(data)  # the terms revision the caller read: acting on other terms is refused
        with writing(the_hub.engine) as conn:
            agreement = act(conn, agreement_id, action, principal.organization, _actor(principal), data,
                            revision=revision)
            return agreement_json(conn, agreement)

    endpoint.__name__ = f"agreement_{action.value}"
    extra = {"agreement": _AGREEMENT_BODY, "optional": _SIGN_BODY}.get(body)
    router.add_api_route(f"/agreements/{{agreement_id}}:{action.value}", endpoint, methods=["POST"], summary=summary,
                         openapi_extra=extra)


_lifecycle(Action.PROPOSE, "Propose a draft (or a suspended agreement again) for signature")
_lifecycle(Action.SIGN, "Sign the current terms (send {\"revision\": N}, the revision you read); "
                        "active once every party signed", body="optional")
_lifecycle(Action.SUSPEND, "Suspend an active agreement (any party)")
_lifecycle(Action.END, "End an agreement for good (any party)")
_lifecycle(Action.DECLINE, "Decline a proposal (any party; optional body {\"reason\": \"...\"}): it goes back "
                           "to draft, and every party signs again once it is proposed again", body="optional")
_lifecycle(Action.AMEND, "Change title, validity or terms (\"revision\": the one you read); "
                         "every party must sign again", body="agreement")


@router.get("/agreements/{agreement_id}/roadmap", summary="The roadmap with computed progress")
def roadmap(agreement_id: str, principal: Principal = Depends(caller("read")),
            the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        get_agreement(conn, principal.organization, agreement_id)
        return roadmap_json(list_commitments(conn, agreement_id))


@router.post("/agreements/{agreement_id}/roadmap", status_code=201, summary="Add commitments to the roadmap")
async def add_to_roadmap(agreement_id: str, request: Request, principal: Principal = Depends(caller("manage")),
                         the_hub: Hub = Depends(hub)) -> JSONResponse:
    """Body: one commitment `{"title", "owner", "due", "status", "notes", "indicator"}` or a list of them;
    an indicator makes the hub measure it (docs/metrics.md, "Measured commitments")."""
    data = await json_body(request)
    return await run_in_threadpool(_add_to_roadmap, the_hub, principal, agreement_id, data)


def _add_to_roadmap(the_hub: Hub, principal: Principal, agreement_id: str, data: Any) -> JSONResponse:
    specs = data if isinstance(data, list) else [data]
    with writing(the_hub.engine) as conn:
        agreement = _party_view(conn, principal, agreement_id)
        added = add_commitments(conn, agreement.id, [p.id for p in agreement.parties], specs,
                                principal.organization)
        if measure_if_running(conn, agreement.id) or any(c.indicator for c in added):
            fresh = {c.id: c for c in list_commitments(conn, agreement.id)}
            added = [fresh[c.id] for c in added]
    return JSONResponse({"commitments": [commitment_json(c) for c in added]}, status_code=201)


@router.patch("/agreements/{agreement_id}/roadmap/{commitment_id}", summary="Update a commitment")
async def change_commitment(agreement_id: str, commitment_id: str, request: Request,
                            principal: Principal = Depends(caller("manage")),
                            the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Change status (planned, in_progress, done, blocked, dropped), owner, due, notes, title, evidence or
    indicator (null: followed by hand again). A measured commitment's status is the hub's, but for blocked
    and dropped."""
    data = await json_body(request)
    return await run_in_threadpool(_change_commitment, the_hub, principal, agreement_id, commitment_id, data)


def _change_commitment(the_hub: Hub, principal: Principal, agreement_id: str, commitment_id: str,
                       data: Any) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        agreement = _party_view(conn, principal, agreement_id)
        changed = update_commitment(conn, agreement.id, [p.id for p in agreement.parties], commitment_id, data,
                                    principal.organization, _actor(principal))
        if measure_if_running(conn, agreement.id) or changed.indicator:
            changed = next(c for c in list_commitments(conn, agreement.id) if c.id == commitment_id)
        return commitment_json(changed)


def _party_view(conn: Connection, principal: Principal, agreement_id: str) -> Agreement:
    """The agreement, locked: roadmap changes of two processes take turns (positions, evidence)."""
    agreement = get_agreement(conn, principal.organization, agreement_id, for_update=True)
    if agreement.party(principal.organization.id) is None:
        raise Forbidden("only a party itself can change the roadmap, not its outlets", field="id")
    return agreement
